/**
 * A Prometheus histogram for values observed per message: each label set keeps its bucket
 * counts, sum and count in plain numbers (no label object built or hashed per observation), and
 * renders the text prom-client's Histogram gives for the same observations
 * (metrics-registry.test.ts renders both).
 */
import { elapsedNow } from './elapsed';
import { checkNames, formatValue, labelText, type Metric, type Registry } from './metrics-registry';

/** One label set: non-cumulative bucket counts, sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /**
   * `shared`: its labels as the exposition writes them beside `le` (`a="x"`, or '');
   * `first`: called at the first observation (the histogram lists label sets in that order).
   */
  constructor(readonly labels: Readonly<Record<string, string>>, readonly shared: string,
              private readonly bounds: readonly number[], private readonly first: (s: HistogramSeries) => void) {
    this.counts = new Float64Array(bounds.length);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    if (this.count === 0) this.first(this);
    const b = this.bounds;
    let i = 0;
    while (i < b.length && value > b[i]!) i++;
    if (i < b.length) this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

export class FastHistogram<L extends string = string> implements Metric {
  readonly type = 'histogram';
  private readonly series = new Map<string, HistogramSeries>();
  /** Label sets in the order of their first observation, as prom-client lists them. */
  private shown: HistogramSeries[] = [];
  /** The `le` label of each bucket, then of +Inf, as written in the text. */
  private readonly le: string[];

  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[],
              private readonly labelNames: readonly L[], registry?: Registry) {
    checkNames(name, labelNames, ['le']);
    this.le = [...buckets.map((b) => `le="${formatValue(b)}"`), 'le="+Inf"'];
    this.init();
    registry?.register(this);
  }

  /** The series of these label values (in labelNames order); keep it and observe() on it. */
  labels(...values: string[]): HistogramSeries {
    const key = values.join('\0');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => { labels[n] = values[i] ?? ''; });
      const shared = labelText(this.labelNames, this.labelNames.map((n) => labels[n]!));
      s = new HistogramSeries(labels, shared, this.buckets, (x) => { if (!this.shown.includes(x)) this.shown.push(x); });
      this.series.set(key, s);
    }
    return s;
  }

  observe(value: number): void {
    this.labels().observe(value);
  }

  /** Observes the seconds from now to the call of the returned function. */
  startTimer(): () => number {
    const t0 = elapsedNow();
    return () => {
      const seconds = (elapsedNow() - t0) / 1000;
      this.observe(seconds);
      return seconds;
    };
  }

  /** Cumulative bucket lines (`le` before the series' labels, as prom-client writes), sum, count. */
  samples(out: string[]): void {
    const n = this.name;
    for (const s of this.shown) {
      const sep = s.shared ? ',' : '';
      let acc = 0;
      for (let i = 0; i <= this.buckets.length; i++) {
        acc = i < this.buckets.length ? acc + s.counts[i]! : s.count;
        out.push(`${n}_bucket{${this.le[i]}${sep}${s.shared}} ${formatValue(acc)}`);
      }
      const braces = s.shared ? `{${s.shared}}` : '';
      out.push(`${n}_sum${braces} ${formatValue(s.sum)}`, `${n}_count${braces} ${formatValue(s.count)}`);
    }
  }

  /** Zeros every label set in place (callers may hold a series from labels()). */
  reset(): void {
    for (const s of this.series.values()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
    this.shown = [];
    this.init();
  }

  /** Like prom-client, a histogram without labels shows zeros before its first observation. */
  private init(): void {
    if (this.labelNames.length === 0 && !this.shown.includes(this.labels())) this.shown.push(this.labels());
  }
}
