import { readdirSync } from 'fs';
import * as prom from 'prom-client';
import { Registry } from './metrics-registry';
import { maxFds, registerProcessMetrics } from './metrics-process';

/** name -> value of the unlabelled samples in exposition text. */
function values(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const l of text.split('\n')) {
    const hit = /^([a-z_]+) (\S+)$/.exec(l);
    if (hit) m.set(hit[1]!, Number(hit[2]));
  }
  return m;
}

/** The HELP and TYPE lines of the metrics named in `names`. */
const heads = (text: string, names: string[]): string[] =>
  text.split('\n').filter((l) => /^# (HELP|TYPE) /.test(l) && names.includes(l.split(' ')[2]!));

describe('process metrics', () => {
  const ours = new Registry();
  registerProcessMetrics(ours);
  const theirs = new prom.Registry();
  prom.collectDefaultMetrics({ register: theirs });
  const NAMES = ['process_cpu_user_seconds_total', 'process_cpu_system_seconds_total', 'process_cpu_seconds_total',
    'process_start_time_seconds', 'process_resident_memory_bytes', 'process_open_fds', 'process_max_fds',
    'nodejs_heap_size_total_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_external_memory_bytes', 'nodejs_version_info'];

  it('has the names, help texts and types of prom-client\'s default metrics', async () => {
    const text = ours.metrics();
    const ref = await theirs.metrics();
    expect(heads(text, NAMES)).toHaveLength(2 * NAMES.length);
    expect(heads(text, NAMES).sort()).toEqual(heads(ref, NAMES).sort());
    const versionLine = (t: string): string | undefined => t.split('\n').find((l) => l.startsWith('nodejs_version_info{'));
    expect(versionLine(text)).toBe(versionLine(ref));
    expect(versionLine(text)).toBe(`nodejs_version_info{version="${process.version}",major="${process.versions.node.split('.')[0]}",minor="${process.versions.node.split('.')[1]}",patch="${process.versions.node.split('.')[2]}"} 1`);
  });

  it('reads the values when scraped: what prom-client reads for limits and start, this process\'s memory and fds', async () => {
    const ref = values(await theirs.metrics());
    const fds = readdirSync('/proc/self/fd').length - 1;
    const rss = process.memoryUsage.rss();
    const got = values(ours.metrics());
    expect(got.get('process_max_fds')).toBe(ref.get('process_max_fds'));
    expect(got.get('process_max_fds')).toBeGreaterThan(0);
    expect(Math.abs(got.get('process_start_time_seconds')! - ref.get('process_start_time_seconds')!)).toBeLessThanOrEqual(1);
    expect(Math.abs(got.get('process_open_fds')! - fds)).toBeLessThanOrEqual(2);
    expect(got.get('process_resident_memory_bytes')).toBeGreaterThan(rss * 0.8);
    expect(got.get('process_resident_memory_bytes')).toBeLessThan(rss * 1.25);
    expect(got.get('nodejs_heap_size_used_bytes')).toBeGreaterThan(1e6);
    expect(got.get('nodejs_heap_size_total_bytes')).toBeGreaterThanOrEqual(got.get('nodejs_heap_size_used_bytes')!);
    expect(got.get('nodejs_external_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts CPU time spent between scrapes, user and system adding up to the total', () => {
    const before = values(ours.metrics());
    const end = Date.now() + 60;
    let x = 0;
    while (Date.now() < end) x += Math.sqrt(x + 1);
    expect(x).toBeGreaterThan(0);
    const after = values(ours.metrics());
    expect(after.get('process_cpu_user_seconds_total')! - before.get('process_cpu_user_seconds_total')!).toBeGreaterThan(0.03);
    const sum = after.get('process_cpu_user_seconds_total')! + after.get('process_cpu_system_seconds_total')!;
    expect(after.get('process_cpu_seconds_total')).toBeGreaterThanOrEqual(sum - 1e-3);
    expect(after.get('process_cpu_seconds_total')).toBeLessThan(sum + 0.05);
  });

  it('reads the soft open-files limit from /proc/self/limits', () => {
    const limits = 'Limit                     Soft Limit           Hard Limit           Units     \n'
      + 'Max processes             63432                63432                processes \n'
      + 'Max open files            1024                 524288               files     \n';
    expect(maxFds(limits)).toBe(1024);
    expect(maxFds(limits.replace('1024 ', 'unlimited'))).toBeUndefined();
    expect(maxFds('Max processes 5\n')).toBeUndefined();
  });
});
