/**
 * Process metrics under the names (and help texts) of prom-client's default metrics, so the
 * dashboards and alerts made for Node.js services read them: CPU, resident memory, start time,
 * file descriptors, V8 heap and the Node.js version. Each is computed when `/metrics` is read
 * (its collect), from `process` and /proc; nothing runs between scrapes and no module is loaded
 * for them.
 *
 * Not provided: `nodejs_eventloop_lag_*` (perf_hooks' monitorEventLoopDelay wakes the event loop
 * every 10 ms, also when idle), `nodejs_gc_duration_seconds` (a GC observer on every collection),
 * `nodejs_active_handles*`, `nodejs_active_requests*`, `nodejs_active_resources*`,
 * `nodejs_heap_space_size_*`, `process_virtual_memory_bytes`, `process_heap_bytes`.
 */
import { readdirSync, readFileSync } from 'fs';
import { Counter, Gauge, type Registry } from './metrics-registry';

/** The soft limit of open files from /proc/self/limits; undefined where unreadable. */
export function maxFds(limits: string): number | undefined {
  const line = limits.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  return soft === undefined || soft === 'unlimited' || !/^\d+$/.test(soft) ? undefined : Number(soft);
}

/** A counter that follows a running total read at each scrape (the total never goes down). */
function total(name: string, help: string, r: Registry, read: () => number): void {
  new Counter({
    name, help, registry: r,
    collect: (c) => { c.inc(Math.max(0, read() - c.labels().value)); },
  });
}

export function registerProcessMetrics(r: Registry): void {
  total('process_cpu_user_seconds_total', 'Total user CPU time spent in seconds.', r, () => process.cpuUsage().user / 1e6);
  total('process_cpu_system_seconds_total', 'Total system CPU time spent in seconds.', r, () => process.cpuUsage().system / 1e6);
  total('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds.', r, () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  });
  const start = Math.round(Date.now() / 1000 - process.uptime());
  new Gauge({ name: 'process_start_time_seconds', help: 'Start time of the process since unix epoch in seconds.', registry: r, collect: (g) => g.set(start) });
  new Gauge({ name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes.', registry: r, collect: (g) => g.set(process.memoryUsage.rss()) });
  if (process.platform === 'linux') {
    new Gauge({
      name: 'process_open_fds', help: 'Number of open file descriptors.', registry: r,
      // Less the descriptor readdirSync itself had open while reading.
      collect: (g) => { try { g.set(readdirSync('/proc/self/fd').length - 1); } catch { /* keeps the last value */ } },
    });
    new Gauge({
      name: 'process_max_fds', help: 'Maximum number of open file descriptors.', registry: r,
      collect: (g) => {
        try {
          const n = maxFds(readFileSync('/proc/self/limits', 'utf8'));
          if (n !== undefined) g.set(n);
        } catch { /* keeps the last value */ }
      },
    });
  }
  new Gauge({ name: 'nodejs_heap_size_total_bytes', help: 'Process heap size from Node.js in bytes.', registry: r, collect: (g) => g.set(process.memoryUsage().heapTotal) });
  new Gauge({ name: 'nodejs_heap_size_used_bytes', help: 'Process heap size used from Node.js in bytes.', registry: r, collect: (g) => g.set(process.memoryUsage().heapUsed) });
  new Gauge({ name: 'nodejs_external_memory_bytes', help: 'Node.js external memory size in bytes.', registry: r, collect: (g) => g.set(process.memoryUsage().external) });
  const [major, minor, patch] = process.version.slice(1).split('.');
  new Gauge({
    name: 'nodejs_version_info', help: 'Node.js version info.', labelNames: ['version', 'major', 'minor', 'patch'], registry: r,
    collect: (g) => g.labels(process.version, major ?? '', minor ?? '', patch ?? '').set(1),
  });
}
