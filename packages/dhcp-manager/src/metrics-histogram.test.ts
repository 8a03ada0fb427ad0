import * as prom from 'prom-client';
import { FastHistogram } from './metrics-histogram';
import { ManagerMetrics } from './metrics';
import { Registry } from './metrics-registry';

/** The sample lines of one metric's text, without HELP and TYPE. */
const samples = (h: FastHistogram<string>): string[] => { const out: string[] = []; h.samples(out); return out; };

const BUCKETS = [1e-6, 2.5e-4, 1e-3, 0.5];
const VALUES = [0, 1e-6, 3e-6, 2.5e-4, 0.0009, 0.4, 7];

describe('FastHistogram', () => {
  it('renders the same /metrics text as prom-client\'s Histogram for the same observations', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    const fast = new FastHistogram('x_seconds', 'help text', BUCKETS, ['version'], ours);
    const ref = new prom.Histogram({ name: 'x_seconds', help: 'help text', buckets: BUCKETS, labelNames: ['version'], registers: [theirs] });
    const plainFast = new FastHistogram('y_size', 'sizes', [1, 10], [], ours);
    const plainRef = new prom.Histogram({ name: 'y_size', help: 'sizes', buckets: [1, 10], registers: [theirs] });
    fast.labels('6');
    for (const v of VALUES) {
      fast.labels('4').observe(v);
      ref.labels('4').observe(v);
    }
    fast.labels('6').observe(0.002);
    ref.labels('6').observe(0.002);
    plainFast.observe(3);
    plainRef.observe(3);
    expect(ours.metrics()).toBe(await theirs.metrics());
    expect(ours.metrics()).toContain('x_seconds_bucket{le="0.001",version="4"} 5');
  });

  it('shows a histogram without labels as zeros before its first observation, as prom-client does', async () => {
    const ours = new Registry();
    const theirs = new prom.Registry();
    new FastHistogram('z', 'h', [1], [], ours);
    new prom.Histogram({ name: 'z', help: 'h', buckets: [1], registers: [theirs] });
    expect(ours.metrics()).toBe(await theirs.metrics());
    expect(ours.metrics()).toContain('z_count 0');
  });

  it('zeros on reset, and a series taken before the reset counts on', async () => {
    const h = new FastHistogram('r', 'h', [1], ['k'], new Registry());
    const s = h.labels('a');
    s.observe(0.5);
    h.reset();
    expect(samples(h)).toEqual([]);
    s.observe(2);
    expect(samples(h)).toEqual(['r_bucket{le="1",k="a"} 0', 'r_bucket{le="+Inf",k="a"} 1', 'r_sum{k="a"} 2', 'r_count{k="a"} 1']);
  });

  it('refuses a value that is not a finite number', () => {
    const h = new FastHistogram('w', 'h', [1], [], new Registry());
    expect(() => h.observe(Number.NaN)).toThrow(TypeError);
    expect(() => h.observe(Infinity)).toThrow(TypeError);
  });

  it('times from startTimer() to the call of its result', async () => {
    const h = new FastHistogram('t_seconds', 'h', [10], [], new Registry());
    const end = h.startTimer();
    await new Promise((r) => setTimeout(r, 20));
    const s = end();
    expect(s).toBeGreaterThanOrEqual(0.015);
    expect(samples(h)).toContain('t_seconds_count 1');
    expect(samples(h)).toContain(`t_seconds_sum ${s}`);
  });
});

describe('ManagerMetrics counters', () => {
  it('counts in plain numbers and shows every increment when the registry is read, again after more', async () => {
    const m = new ManagerMetrics();
    m.message('legacy', 4);
    m.message('legacy', 4);
    m.message('acked', 'unknown');
    m.result('applied', 3);
    m.result('applied', 0);
    expect(await m.value('dhcpmgr_messages_total', { channel: 'legacy', version: '4' })).toBe(2);
    expect(await m.value('dhcpmgr_messages_total', { version: 'unknown' })).toBe(1);
    m.message('legacy', 4);
    m.result('applied');
    const text = m.registry.metrics();
    expect(text).toContain('dhcpmgr_messages_total{channel="legacy",version="4"} 3');
    expect(text).toContain('dhcpmgr_ingest_results_total{status="applied"} 4');
    expect(text).not.toContain('status="rejected"');
  });

  it('sets the active-lease gauges to the counts given, only when they change', async () => {
    const m = new ManagerMetrics();
    m.setActiveLeases(3, 0);
    expect(await m.value('dhcpmgr_active_leases', { version: '4' })).toBe(3);
    m.activeLeases.set({ version: '4' }, 99); // not by setActiveLeases: the next equal count leaves it
    m.setActiveLeases(3, 1);
    expect(await m.value('dhcpmgr_active_leases', { version: '4' })).toBe(99);
    expect(await m.value('dhcpmgr_active_leases', { version: '6' })).toBe(1);
  });
});
