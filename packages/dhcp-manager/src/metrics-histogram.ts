/**
 * A Prometheus histogram for values observed per message. prom-client's `observe()` builds and
 * hashes a label object on every call (about 0.4 KB of garbage and a few hundred ns each, several
 * times per message: docs/performance.md); this one keeps each label set's buckets, sum and count
 * in plain numbers and hands the registry the same values prom-client's Histogram would, so
 * `GET /metrics` reads the same.
 */
import * as prom from 'prom-client';

/** One label set: non-cumulative bucket counts (as prom-client keeps them), sum and count. */
export class HistogramSeries {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  /** `first`: called at the first observation (the registry lists label sets in that order). */
  constructor(readonly labels: Readonly<Record<string, string>>, private readonly bounds: readonly number[],
              private readonly first: (s: HistogramSeries) => void) {
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

interface Value { labels: Record<string, string | number>; sharedLabels?: Record<string, string>; value: number; metricName: string }

export class FastHistogram<L extends string = string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, HistogramSeries>();
  /** Label sets in the order of their first observation, as prom-client lists them. */
  private shown: HistogramSeries[] = [];

  constructor(readonly name: string, readonly help: string, readonly buckets: readonly number[],
              private readonly labelNames: readonly L[], registry: prom.Registry) {
    this.init();
    // The registry only calls name, help, type, aggregator and get() (or getForPromString()).
    registry.registerMetric(this as unknown as prom.Metric<string>);
  }

  /** The series of these label values (in labelNames order); keep it and observe() on it. */
  labels(...values: string[]): HistogramSeries {
    const key = values.join('\0');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => { labels[n] = values[i] ?? ''; });
      s = new HistogramSeries(labels, this.buckets, (x) => { if (!this.shown.includes(x)) this.shown.push(x); });
      this.series.set(key, s);
    }
    return s;
  }

  observe(value: number): void {
    this.labels().observe(value);
  }

  /** Observes the seconds from now to the call of the returned function. */
  startTimer(): () => number {
    const t0 = process.hrtime.bigint();
    return () => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      this.observe(seconds);
      return seconds;
    };
  }

  /** The registry's text: bucket labels apart from the series' labels, as prom-client gives them. */
  async getForPromString(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const values: Value[] = [];
    for (const s of this.shown) {
      const shared = { ...s.labels };
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += s.counts[i]!;
        values.push({ labels: { le }, sharedLabels: shared, value: acc, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: shared, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: {}, sharedLabels: shared, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: shared, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** As prom-client's get(): each value's labels include the series' labels. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const got = await this.getForPromString();
    got.values = got.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } }));
    return got;
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
