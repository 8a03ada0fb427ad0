import * as prom from 'prom-client';
import { FastHistogram } from './metrics-histogram';
import { Counter, escapeHelp, escapeLabelValue, formatValue, Gauge, Registry } from './metrics-registry';

// prom-client is the reference implementation (a devDependency, for these tests only): the same
// updates on both registries must give the same /metrics text.

/** Label values the exposition must escape (backslash, double quote, line feed) or pass as they are. */
const AWKWARD = ['plain', 'say "hi"', 'C:\\dir\\', 'two\nlines', 'all \\" \n at once\\n', '', 'ünï € \t tab', '{a="b"}, x'];
const HELP = 'Help with a backslash \\ and a "quote",\nover two lines \\n.';

describe('Registry text against prom-client', () => {
  it('renders counters the same: unlabelled at 0, labelled from their first update, escaped label values', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    const c = new Counter({ name: 'a_total', help: HELP, registry: ours });
    const rc = new prom.Counter({ name: 'a_total', help: HELP, registers: [theirs] });
    const l = new Counter({ name: 'b_total', help: 'by path and kind', labelNames: ['path', 'kind'], registry: ours });
    const rl = new prom.Counter({ name: 'b_total', help: 'by path and kind', labelNames: ['path', 'kind'], registers: [theirs] });
    new Counter({ name: 'c_total', help: 'never counted', labelNames: ['x'], registry: ours });
    new prom.Counter({ name: 'c_total', help: 'never counted', labelNames: ['x'], registers: [theirs] });
    expect(ours.metrics()).toBe(await theirs.metrics());

    AWKWARD.forEach((v, i) => {
      l.labels(v, String(i % 3)).inc(i);
      rl.labels(v, String(i % 3)).inc(i);
      l.inc({ path: v, kind: 'again' }, 0.25);
      rl.inc({ path: v, kind: 'again' }, 0.25);
    });
    l.labels(AWKWARD[0]!, '0').inc();
    rl.labels(AWKWARD[0]!, '0').inc();
    c.inc();
    c.inc(2.5);
    rc.inc();
    rc.inc(2.5);
    const text = ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('b_total{path="say \\"hi\\"",kind="1"} 1\n');
    expect(text).toContain('b_total{path="two\\nlines",kind="0"} 3\n');
    expect(text).toContain('b_total{path="C:\\\\dir\\\\",kind="2"} 2\n');
    expect(text).toContain('# HELP a_total Help with a backslash \\\\ and a "quote",\\nover two lines \\\\n.\n');
    expect(text).toContain('\na_total 3.5\n');
  });

  it('renders gauges the same: negative, tiny, huge, infinite values, a set that overwrites', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    const g = new Gauge({ name: 'g', help: 'plain', registry: ours });
    const rg = new prom.Gauge({ name: 'g', help: 'plain', registers: [theirs] });
    const lg = new Gauge({ name: 'lg', help: 'by k', labelNames: ['k'], registry: ours });
    const rlg = new prom.Gauge({ name: 'lg', help: 'by k', labelNames: ['k'], registers: [theirs] });
    g.set(-3.5);
    rg.set(-3.5);
    const values = [1e-7, 1e21, 0.1 + 0.2, Infinity, -Infinity, 42, 2 ** 53 + 2];
    values.forEach((v, i) => {
      lg.set({ k: AWKWARD[i]! }, v);
      rlg.set({ k: AWKWARD[i]! }, v);
    });
    lg.labels(AWKWARD[0]!).set(7);
    rlg.labels(AWKWARD[0]!).set(7);
    const text = ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('\ng -3.5\n');
    expect(text).toContain('lg{k="plain"} 7\nlg{k="say \\"hi\\""} 1e+21\n');
    expect(text).toContain('lg{k="two\\nlines"} +Inf\n');
    expect(text).toContain('lg{k="all \\\\\\" \\n at once\\\\n"} -Inf\n');
  });

  it('renders counters, gauges and histograms together in the order they were registered', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    const h = new FastHistogram('h_seconds', HELP, [0.001, 0.5], ['op'], ours);
    const rh = new prom.Histogram({ name: 'h_seconds', help: HELP, buckets: [0.001, 0.5], labelNames: ['op'], registers: [theirs] });
    const c = new Counter({ name: 'z_total', help: 'z', labelNames: ['op'], registry: ours });
    const rc = new prom.Counter({ name: 'z_total', help: 'z', labelNames: ['op'], registers: [theirs] });
    const g = new Gauge({ name: 'a_gauge', help: 'a', registry: ours });
    const rg = new prom.Gauge({ name: 'a_gauge', help: 'a', registers: [theirs] });
    for (const [op, v] of [['read "x"', 0.0002], ['write\\n', 0.7], ['read "x"', 0.3]] as const) {
      h.labels(op).observe(v);
      rh.labels(op).observe(v);
      c.inc({ op });
      rc.inc({ op });
    }
    g.set(1);
    rg.set(1);
    const text = ours.metrics();
    expect(text).toBe(await theirs.metrics());
    expect(text).toContain('h_seconds_bucket{le="0.5",op="read \\"x\\""} 2\n');
    expect(text).toContain('h_seconds_sum{op="write\\\\n"} 0.7\n');
    expect(text.indexOf('# TYPE h_seconds histogram')).toBeLessThan(text.indexOf('# TYPE z_total counter'));
    expect(text.indexOf('# TYPE z_total counter')).toBeLessThan(text.indexOf('# TYPE a_gauge gauge'));
    expect(ours.contentType).toBe(prom.Registry.PROMETHEUS_CONTENT_TYPE);
  });

  it('calls collect before each scrape, as prom-client does', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    let depth = 3;
    let dropped = 0;
    let seen = 0;
    new Gauge({ name: 'depth', help: 'd', registry: ours, collect: (g) => g.set(depth) });
    new prom.Gauge({ name: 'depth', help: 'd', registers: [theirs], collect() { this.set(depth); } });
    const add = (c: { inc(n: number): void }): void => { if (dropped > seen) c.inc(dropped - seen); };
    new Counter({ name: 'dropped_total', help: 'd', registry: ours, collect: add });
    new prom.Counter({ name: 'dropped_total', help: 'd', registers: [theirs], collect() { add(this); } });
    const scrape = async (): Promise<string> => {
      const text = ours.metrics();
      expect(text).toBe(await theirs.metrics());
      seen = dropped;
      return text;
    };
    expect(await scrape()).toContain('\ndepth 3\n');
    depth = 0;
    dropped = 5;
    expect(await scrape()).toMatch(/\ndepth 0\n[^]*\ndropped_total 5\n$/);
    dropped = 7;
    expect(await scrape()).toMatch(/\ndropped_total 7\n$/);
  });
});

describe('Registry rules', () => {
  it('writes NaN as the format spells it (prom-client writes "Nan")', () => {
    const r = new Registry();
    new Gauge({ name: 'n', help: 'h', registry: r }).set(Number.NaN);
    expect(r.metrics()).toBe('# HELP n h\n# TYPE n gauge\nn NaN\n');
    expect(formatValue(Number.NaN)).toBe('NaN');
  });

  it('escapes help text and label values as the format 0.0.4 says', () => {
    expect(escapeHelp('a\\b\nc"d')).toBe('a\\\\b\\nc"d');
    expect(escapeLabelValue('a\\b\nc"d')).toBe('a\\\\b\\nc\\"d');
  });

  it('refuses a second metric of the same name, a counter going down, unknown or missing labels', () => {
    const r = new Registry();
    const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['a', 'b'], registry: r });
    expect(() => new Gauge({ name: 'x_total', help: 'h', registry: r })).toThrow('A metric named x_total is already registered');
    expect(() => c.labels('1', '2').inc(-1)).toThrow(TypeError);
    expect(() => c.labels('1', '2').inc(Number.NaN)).toThrow(TypeError);
    expect(() => c.labels('1')).toThrow('x_total takes 2 label values (a, b), got 1');
    expect(() => c.inc({ a: '1', c: '2' } as unknown as { a: string; b: string })).toThrow('x_total takes the labels a, b, got a, c');
    expect(() => new Counter({ name: 'bad-name', help: 'h' })).toThrow('Invalid metric name: bad-name');
    expect(() => new Counter({ name: 'ok', help: 'h', labelNames: ['__reserved'] })).toThrow('Invalid label name for ok: __reserved');
    expect(() => new FastHistogram('hist', 'h', [1], ['le'])).toThrow('Invalid label name for hist: le');
    expect(r.metrics()).toBe('# HELP x_total h\n# TYPE x_total counter\n');
  });

  it('gives the values of every shown label set, after collect', () => {
    let n = 0;
    const g = new Gauge({ name: 'v', help: 'h', labelNames: ['k'], collect: (m) => m.set({ k: 'c' }, ++n) });
    g.labels('never set');
    g.set({ k: 'a' }, 2);
    expect(g.values()).toEqual([{ labels: { k: 'a' }, value: 2 }, { labels: { k: 'c' }, value: 1 }]);
    expect(g.values()[1]!.value).toBe(2);
  });
});
