import pino from 'pino';
import { Writable } from 'stream';
import { bindWithRetry, isAddressInUse } from './bindretry';

function logger(lines: Array<Record<string, unknown>>) {
  return pino({ level: 'info' }, new Writable({ write(c, _e, cb) { lines.push(JSON.parse(String(c))); cb(); } }));
}
const inUse = () => Object.assign(new Error('cannot bind tcp://127.0.0.1:50324: Address already in use'), {});

describe('bindWithRetry', () => {
  it('retries while the address is in use, logging each time with the reason, then returns the bound value', async () => {
    const lines: Array<Record<string, unknown>> = [];
    let calls = 0;
    const got = await bindWithRetry('tcp://127.0.0.1:50324', () => {
      if (++calls < 3) throw inUse();
      return 'bound';
    }, { limitS: 5, log: logger(lines), firstDelayMs: 5, maxDelayMs: 10 });
    expect(got).toBe('bound');
    expect(calls).toBe(3);
    const retries = lines.filter((l) => l.msg === 'address in use: retrying the bind');
    expect(retries.map((l) => [l.endpoint, l.attempt, l.retryInMs])).toEqual([['tcp://127.0.0.1:50324', 1, 5], ['tcp://127.0.0.1:50324', 2, 10]]);
    expect(retries[0]!.reason).toBe('cannot bind tcp://127.0.0.1:50324: Address already in use');
    expect(lines.at(-1)).toMatchObject({ msg: 'bound after the address was in use', attempts: 3 });
  });

  it('throws any other bind error at once', async () => {
    let calls = 0;
    await expect(bindWithRetry('x', () => { calls++; throw new Error('cannot bind nonsense://x: Invalid argument'); }, { limitS: 5, log: logger([]) }))
      .rejects.toThrow(/Invalid argument/);
    expect(calls).toBe(1);
  });

  it('gives up with the last error after the limit, and does not retry at all with 0', async () => {
    let calls = 0;
    const t0 = Date.now();
    await expect(bindWithRetry('x', () => { calls++; throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }); },
      { limitS: 0.2, log: logger([]), firstDelayMs: 40, maxDelayMs: 40 })).rejects.toThrow(/EADDRINUSE/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(190);
    expect(calls).toBeGreaterThanOrEqual(4);
    calls = 0;
    await expect(bindWithRetry('x', () => { calls++; throw inUse(); }, { limitS: 0, log: logger([]) })).rejects.toThrow(/in use/);
    expect(calls).toBe(1);
  });

  it('stops retrying when cancelled (the daemon is stopping)', async () => {
    let calls = 0;
    await expect(bindWithRetry('x', () => { calls++; throw inUse(); }, { limitS: 60, log: logger([]), cancelled: () => calls >= 2, firstDelayMs: 1 }))
      .rejects.toThrow(/in use/);
    expect(calls).toBe(2);
  });

  it('knows "in use" from Node (code) and from nanomsg (message) only', () => {
    expect(isAddressInUse(Object.assign(new Error('x'), { code: 'EADDRINUSE' }))).toBe(true);
    expect(isAddressInUse(inUse())).toBe(true);
    expect(isAddressInUse(new Error('cannot bind tcp://1.2.3.4:1: Cannot assign requested address'))).toBe(false);
  });
});
