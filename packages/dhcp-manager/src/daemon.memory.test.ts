/**
 * The real daemon gives memory back after start-up and after work (memory.ts), and not again
 * while nothing happens; `--release-memory-after-ms 0` turns it off.
 */
import { cleanup, endpoints, Endpoints, httpJson, push, requireBuilt, startDaemon, v4 } from './__fixtures__/daemon-harness';

jest.setTimeout(30000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function memory(port: number): Promise<any> {
  const r = await httpJson(port, '/api/v1/status');
  expect(r.status).toBe(200);
  return r.body.memory;
}

async function releasesAtLeast(port: number, n: number, timeoutMs = 10000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const got = (await memory(port)).idleRelease.releases as number;
    if (got >= n) return got;
    if (Date.now() > end) throw new Error(`releases stayed at ${got}, expected ${n}`);
    await sleep(100);
  }
}

describe('daemon memory release', () => {
  const es: Endpoints[] = [];
  afterAll(() => es.forEach(cleanup));

  it('releases once after start-up, again only after work, and reports its memory', async () => {
    requireBuilt();
    const e = endpoints(23800 + Math.floor(Math.random() * 40));
    es.push(e);
    await startDaemon(e, ['--release-memory-after-ms', '300']);
    expect(await releasesAtLeast(e.port, 1)).toBe(1);
    // Quiet: no further release.
    await sleep(1200);
    const quiet = await memory(e.port);
    expect(quiet.idleRelease).toMatchObject({ available: true, releases: 1 });
    expect(quiet.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
    expect(quiet.heapUsedBytes).toBeGreaterThan(1024 * 1024);
    expect(quiet.heapTotalBytes).toBeGreaterThanOrEqual(quiet.heapUsedBytes);
    // The saving window (20 s) has not ended yet: malloc_trim is available and has not run.
    expect(quiet.cHeapTrim).toEqual({ available: true });
    // Work: a committed lease makes the next quiet period release again.
    await push(e, v4('erouter0', 'bound'));
    expect(await releasesAtLeast(e.port, 2)).toBe(2);
  });

  it('has glibc trim the C heap when the saving window after a release ends quiet', async () => {
    requireBuilt();
    const e = endpoints(23880 + Math.floor(Math.random() * 8));
    es.push(e);
    await startDaemon(e, ['--release-memory-after-ms', '300']);
    const end = Date.now() + 35000;
    let m = await memory(e.port);
    while (m.idleRelease.quietEnds < 1 && Date.now() < end) {
      await sleep(500);
      m = await memory(e.port);
    }
    expect(m.idleRelease).toMatchObject({ available: true, releases: 1, quietEnds: 1 });
    expect(m.cHeapTrim.available).toBe(true);
    expect([0, 1]).toContain(m.cHeapTrim.lastResult);
  }, 45000);

  it('--release-memory-after-ms 0 never releases', async () => {
    requireBuilt();
    const e = endpoints(23800 + 40 + Math.floor(Math.random() * 40));
    es.push(e);
    await startDaemon(e, ['--release-memory-after-ms', '0']);
    await sleep(800);
    const m = await memory(e.port);
    expect(m.idleRelease).toBeUndefined();
    expect(m.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
  });
});
