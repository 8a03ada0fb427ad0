import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { ClientStore } from './persist';
import { parseClients } from './table';

describe('client table persistence', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'dhcpmgr-clients-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const seed = () => parseClients({ dhcpv4: [{ interface: 'erouter0', enable: true }, { interface: 'wan1', enable: true }] });

  it('keeps a committed write across a reopen while the config file entry is unchanged', () => {
    let s = new ClientStore(dir);
    const t = s.load(seed());
    s.save([{ ...t.dhcpv4[0]!, enable: false, hostName: 'kept' }]);
    s.close();
    s = new ClientStore(dir);
    const again = s.load(seed());
    expect(again.dhcpv4[0]).toMatchObject({ enable: false, hostName: 'kept' });
    expect(again.dhcpv4[1]!.enable).toBe(true);
    s.close();
  });

  it('takes an edited config file entry over the stored one and forgets removed entries', () => {
    let s = new ClientStore(dir);
    const t = s.load(seed());
    s.save([{ ...t.dhcpv4[0]!, enable: false }, { ...t.dhcpv4[1]!, enable: false }]);
    s.close();
    s = new ClientStore(dir);
    const edited = s.load(parseClients({ dhcpv4: [{ interface: 'erouter0', enable: true, hostName: 'new' }] }));
    expect(edited.dhcpv4).toHaveLength(1);
    expect(edited.dhcpv4[0]).toMatchObject({ enable: true, hostName: 'new' });
    s.close();
    s = new ClientStore(dir);
    expect(s.load(seed()).dhcpv4[1]!.enable).toBe(true);
    s.close();
  });

  it('refuses to save a client that has no row', () => {
    const s = new ClientStore(dir);
    s.load(seed());
    expect(() => s.save([{ ...seed().dhcpv4[0]!, instance: 7 }])).toThrow(/dhcpv4\.7 has no row/);
    s.close();
  });

  it('runs from the config file in memory when the state dir cannot be written, and refuses every write', () => {
    // A state dir below a regular file cannot be created, even by root.
    writeFileSync(join(dir, 'file'), 'x');
    const s = new ClientStore(join(dir, 'file', 'state'));
    expect(s.unwritable).toMatch(/file\/state\/dhcpmgr\.sqlite: .*(ENOTDIR|not a directory)/i);
    const t = s.load(seed());
    expect(t.dhcpv4.map((c) => [c.interface, c.enable])).toEqual([['erouter0', true], ['wan1', true]]);
    expect(() => s.save([{ ...t.dhcpv4[0]!, enable: false }])).toThrow(/the client table cannot be saved \(.*file\/state\/dhcpmgr\.sqlite/);
    s.close();
  });
});
