/**
 * A small Prometheus registry: counters and gauges with labels, and the text exposition format
 * 0.0.4 that `GET /metrics` serves (histograms: metrics-histogram.ts). It replaces prom-client,
 * which at start loads @opentelemetry/api (51 modules) and node's http, https, tls, zlib, cluster
 * and perf_hooks modules, 1.5-2 MiB of private memory on a gateway (docs/performance.md).
 *
 * The text is prom-client's for the same updates (metrics-registry.test.ts renders both):
 * metrics in the order they were registered, a metric's label sets in the order of their first
 * update, labels in `labelNames` order, one blank line between metrics. A metric without labels
 * shows 0 before its first update; a labelled one shows no sample until then.
 *
 * A label set is looked up once (`labels(...)`) and kept; updating it is plain arithmetic, and
 * the text of its labels is built once, so a scrape only joins strings.
 */

export const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** HELP text: backslash and line feed escaped, as the format 0.0.4 says. */
export function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A label value: backslash, double quote and line feed escaped, as the format 0.0.4 says. */
export function escapeLabelValue(value: string): string {
  return escapeHelp(value).replace(/"/g, '\\"');
}

/** `a="x",b="y"` for label names and their values (no braces). */
export function labelText(names: readonly string[], values: readonly string[]): string {
  return names.map((n, i) => `${n}="${escapeLabelValue(values[i]!)}"`).join(',');
}

/** A sample value: `+Inf`, `-Inf`, `NaN` (the format's spellings), else JavaScript's shortest form. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** What the registry needs of a metric. */
export interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  /** Appends the metric's sample lines (after calling its collect, if any). */
  samples(out: string[]): void;
}

export class Registry {
  readonly contentType = CONTENT_TYPE;
  private readonly list: Metric[] = [];
  private readonly byName = new Map<string, Metric>();

  register(metric: Metric): void {
    if (this.byName.has(metric.name)) throw new Error(`A metric named ${metric.name} is already registered`);
    this.byName.set(metric.name, metric);
    this.list.push(metric);
  }

  get(name: string): Metric | undefined {
    return this.byName.get(name);
  }

  /** The exposition text of every metric, in the order they were registered. */
  metrics(): string {
    const parts: string[] = [];
    for (const m of this.list) {
      const lines = [`# HELP ${m.name} ${escapeHelp(m.help)}`, `# TYPE ${m.name} ${m.type}`];
      m.samples(lines);
      parts.push(lines.join('\n'));
    }
    return `${parts.join('\n\n')}\n`;
  }
}

/** Checks a metric's and its labels' names (programmer errors: thrown at construction). */
export function checkNames(name: string, labelNames: readonly string[], reserved: readonly string[] = []): void {
  if (!METRIC_NAME.test(name)) throw new Error(`Invalid metric name: ${name}`);
  for (const l of labelNames) {
    if (!LABEL_NAME.test(l) || l.startsWith('__') || reserved.includes(l)) throw new Error(`Invalid label name for ${name}: ${l}`);
  }
}

/** One label set of a counter or gauge. */
export class Series {
  value = 0;
  private shown = false;

  /**
   * `text`: its labels as the exposition writes them (`{a="x"}`, or '' without labels);
   * `show`: called once, at the first update (the metric lists its label sets in that order).
   */
  constructor(readonly labels: Readonly<Record<string, string>>, readonly text: string,
              private readonly show: (s: Series) => void) {}

  /** Listed from now on (called by the first update). */
  touch(): void {
    if (this.shown) return;
    this.shown = true;
    this.show(this);
  }
}

export class CounterSeries extends Series {
  inc(n = 1): void {
    if (!(n >= 0) || n === Infinity) throw new TypeError(`A counter only goes up by a finite number: ${n}`);
    this.touch();
    this.value += n;
  }
}

export class GaugeSeries extends Series {
  set(v: number): void {
    if (typeof v !== 'number') throw new TypeError(`Value is not a number: ${String(v)}`);
    this.touch();
    this.value = v;
  }
}

export interface ScalarOptions<L extends string, M> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registry?: Registry;
  /** Called before each scrape of this metric, to bring its values up to date. */
  collect?: (metric: M) => void;
}

type LabelValues<L extends string> = Readonly<Record<L, string | number>>;

/** A counter or gauge: its label sets, shown in the order of their first update. */
abstract class Scalar<L extends string, S extends Series> implements Metric {
  abstract readonly type: 'counter' | 'gauge';
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  private readonly series = new Map<string, S>();
  private readonly shown: S[] = [];
  private readonly collect: (() => void) | undefined;
  private readonly make: (labels: Record<string, string>, text: string, show: (s: Series) => void) => S;

  constructor(opts: ScalarOptions<L, unknown>, make: (labels: Record<string, string>, text: string, show: (s: Series) => void) => S) {
    this.make = make;
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames ?? [];
    const collect = opts.collect;
    this.collect = collect ? () => collect(this) : undefined;
    checkNames(this.name, this.labelNames);
    opts.registry?.register(this);
    if (this.labelNames.length === 0) this.labels().touch();
  }

  /** The label set with these values, in `labelNames` order: keep it for updates on a hot path. */
  labels(...values: string[]): S {
    if (values.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${values.length}`);
    }
    const key = values.join('\0');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => { labels[n] = values[i]!; });
      const text = values.length ? `{${labelText(this.labelNames, values)}}` : '';
      s = this.make(labels, text, (x) => this.shown.push(x as S));
      this.series.set(key, s);
    }
    return s;
  }

  /** The label set of these labels, each of `labelNames` given once. */
  protected of(labels: LabelValues<L> | undefined): S {
    if (!labels) return this.labels();
    const given = Object.keys(labels);
    const unknown = given.find((k) => !(this.labelNames as readonly string[]).includes(k));
    if (unknown !== undefined || given.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes the labels ${this.labelNames.join(', ') || '(none)'}, got ${given.join(', ') || '(none)'}`);
    }
    return this.labels(...this.labelNames.map((n) => String(labels[n])));
  }

  /** Every shown label set with its value (tests, status). */
  values(): Array<{ labels: Readonly<Record<string, string>>; value: number }> {
    this.collect?.();
    return this.shown.map((s) => ({ labels: s.labels, value: s.value }));
  }

  samples(out: string[]): void {
    this.collect?.();
    for (const s of this.shown) out.push(`${this.name}${s.text} ${formatValue(s.value)}`);
  }
}

export class Counter<L extends string = never> extends Scalar<L, CounterSeries> {
  readonly type = 'counter';

  constructor(opts: ScalarOptions<L, Counter<L>>) {
    super(opts as ScalarOptions<L, unknown>, (l, t, show) => new CounterSeries(l, t, show));
  }

  /** `inc()`, `inc(n)`, `inc(labels)` or `inc(labels, n)`. */
  inc(labels?: LabelValues<L> | number, n = 1): void {
    if (typeof labels === 'number') this.of(undefined).inc(labels);
    else this.of(labels).inc(n);
  }
}

export class Gauge<L extends string = never> extends Scalar<L, GaugeSeries> {
  readonly type = 'gauge';

  constructor(opts: ScalarOptions<L, Gauge<L>>) {
    super(opts as ScalarOptions<L, unknown>, (l, t, show) => new GaugeSeries(l, t, show));
  }

  /** `set(v)` or `set(labels, v)`. */
  set(labels: LabelValues<L> | number, v?: number): void {
    if (typeof labels === 'number') this.of(undefined).set(labels);
    else this.of(labels).set(v as number);
  }
}
