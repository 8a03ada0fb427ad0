/**
 * A client kind that is not configured is not loaded: a real daemon (built dist/) with no client
 * loads neither the udhcpc nor the dibbler module; with one DHCPv4 client (on an interface that
 * does not exist, so nothing is spawned) it loads the udhcpc module and still not dibbler's.
 */
import { inFreshDaemon, requireBuilt } from '../__fixtures__/daemon-harness';

function clientModules(clients: unknown): { udhcpc: boolean; dibbler: boolean } {
  const r = inFreshDaemon<{ udhcpc: boolean; dibbler: boolean }>({
    files: () => ({ 'config.json': JSON.stringify({ clients }) }),
    flags: (d) => ({ listen: `ipc://${d}/p.sock`, 'ack-listen': 'off', events: 'off', http: 'off',
      'state-dir': `${d}/state`, 'spool-dir': `${d}/spool`, durability: 'normal' }),
    body: `const has = (name) => Object.keys(require.cache).some((k) => k.endsWith('/dist/clients/' + name + '.js'));
           return { udhcpc: has('udhcpc'), dibbler: has('dibbler') };`,
  });
  if (!r.value) throw new Error(`child failed: ${r.out}`);
  return r.value;
}

describe('client modules loading', () => {
  beforeAll(() => requireBuilt());

  it('loads neither client kind without clients', () => {
    expect(clientModules({})).toEqual({ udhcpc: false, dibbler: false });
  });

  it('loads only the udhcpc module for a DHCPv4 client', () => {
    expect(clientModules({ dhcpv4: [{ interface: 'dhcpmgrlazy0', enable: true }] })).toEqual({ udhcpc: true, dibbler: false });
  });
});
