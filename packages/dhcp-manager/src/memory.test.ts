import { IdleRelease, fullCollection } from './memory';

describe('IdleRelease', () => {
  function setup(idleMs = 1000, savingMs = 5000, slack = false) {
    let now = 10_000;
    const calls: string[] = [];
    const r = new IdleRelease({
      idleMs, savingMs,
      heapSlack: () => slack,
      now: () => now,
      collect: () => calls.push('collect'),
      before: () => calls.push('before'),
      afterQuiet: () => calls.push('after quiet'),
      saving: (on) => calls.push(on ? 'saving on' : 'saving off'),
    });
    return { r, calls, advance: (ms: number) => { now += ms; } };
  }

  it('releases once after start-up when the manager has been quiet for idleMs', () => {
    const { r, calls, advance } = setup();
    advance(999);
    expect(r.check()).toBe(false);
    advance(1);
    expect(r.check()).toBe(true);
    expect(calls).toEqual(['saving on', 'before', 'collect']);
    advance(10_000);
    // No work since: nothing more to give back, and the saving mode has ended.
    expect(r.check()).toBe(false);
    expect(calls).toEqual(['saving on', 'before', 'collect', 'saving off', 'after quiet']);
    expect(r.status()).toMatchObject({ available: true, releases: 1, quietEnds: 1 });
  });

  it('waits for quiet after work, and work ends the saving mode at once', () => {
    const { r, calls, advance } = setup();
    advance(1000);
    r.check();
    expect(r.saving).toBe(true);
    advance(100);
    r.worked();
    expect(r.saving).toBe(false);
    // Work ended the window: the C heap is not trimmed while work goes on.
    expect(calls).toEqual(['saving on', 'before', 'collect', 'saving off']);
    advance(600);
    r.worked();
    advance(900);
    expect(r.check()).toBe(false);
    advance(100);
    expect(r.check()).toBe(true);
    expect(r.status().releases).toBe(2);
    expect(calls.filter((c) => c === 'collect')).toHaveLength(2);
  });

  it('tries again, at most twice, when the heap is still large after a quiet saving window', () => {
    const { r, calls, advance } = setup(1000, 5000, true);
    advance(1000);
    expect(r.check()).toBe(true);
    advance(5000);
    expect(r.check()).toBe(true);
    advance(5000);
    expect(r.check()).toBe(true);
    advance(5000);
    expect(r.check()).toBe(false);
    expect(calls.filter((c) => c === 'collect')).toHaveLength(3);
    expect(r.saving).toBe(false);
    expect(r.status()).toMatchObject({ releases: 3, quietEnds: 3 });
    // Each quiet window end trims before the next try: the trim sees what the collections freed.
    expect(calls.slice(3, 6)).toEqual(['saving off', 'after quiet', 'saving on']);
  });

  it('does not try again when work arrived during the saving window', () => {
    const { r, calls, advance } = setup(1000, 5000, true);
    advance(1000);
    r.check();
    advance(100);
    r.worked();
    advance(400);
    expect(r.check()).toBe(false);
    advance(600);
    // The work's own quiet period ends: one release for it, not a retry of the first.
    expect(r.check()).toBe(true);
    expect(calls.filter((c) => c === 'collect')).toHaveLength(2);
  });

  it('stop() leaves the saving mode', () => {
    const { r, calls, advance } = setup();
    advance(1000);
    r.check();
    r.stop();
    expect(calls[calls.length - 1]).toBe('saving off');
    expect(r.saving).toBe(false);
  });

  it('does nothing without a collection function, and says so in status', () => {
    const r = new IdleRelease({ idleMs: 0, collect: null, now: () => 0, saving: () => { throw new Error('must not be called'); } });
    r.start();
    expect(r.check()).toBe(false);
    expect(r.status()).toEqual({ available: false, releases: 0, quietEnds: 0 });
    r.stop();
  });

  it("reaches V8's full collection in this runtime, and it frees unreachable memory", async () => {
    const gc = fullCollection();
    expect(typeof gc).toBe('function');
    let big: number[][] | undefined = Array.from({ length: 200 }, () => new Array(10_000).fill(1));
    const ref = new WeakRef(big);
    big = undefined;
    // A WeakRef keeps its target alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    gc!();
    expect(ref.deref()).toBeUndefined();
  });
});
