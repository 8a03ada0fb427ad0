import { parseClients, ClientConfigError } from './table';

describe('client table from the config file', () => {
  it('numbers clients by array position and fills defaults', () => {
    const t = parseClients({ dhcpv4: [{ interface: 'erouter0', enable: true }, { interface: 'wan1' }], dhcpv6: [{ interface: 'erouter0', enable: true, requestPrefixes: true }] });
    expect(t.dhcpv4.map((c) => [c.interface, c.instance, c.enable])).toEqual([['erouter0', 1, true], ['wan1', 2, false]]);
    expect(t.dhcpv6[0]).toMatchObject({ instance: 1, requestAddresses: true, requestPrefixes: true, rapidCommit: false, suggestedT1: -1, prefixLengthHint: 0 });
  });

  it('refuses one interface at two different positions in the v4 and v6 lists', () => {
    expect(() => parseClients({ dhcpv4: [{ interface: 'a0' }, { interface: 'b0' }], dhcpv6: [{ interface: 'b0' }] }))
      .toThrow(/clients\.dhcpv6\[0\]: interface b0 gets instance 1 but clients\.dhcpv4\[1\] gave it 2/);
  });

  it('accepts an explicit instance that lines the lists up', () => {
    const t = parseClients({ dhcpv4: [{ interface: 'a0' }, { interface: 'b0' }], dhcpv6: [{ interface: 'b0', instance: 2 }] });
    expect(t.dhcpv6[0]!.instance).toBe(2);
  });

  it.each([
    [{ dhcpv4: [{ interface: 'bad/name' }] }, /clients\.dhcpv4\[0\]\.interface: "bad\/name"/],
    [{ dhcpv4: [{ interface: 'a0', enable: 'yes' }] }, /clients\.dhcpv4\[0\]\.enable: "yes" is not a boolean/],
    [{ dhcpv4: [{ interface: 'a0', colour: 1 }] }, /unknown key "colour"/],
    [{ dhcpv4: [{ interface: 'a0', sentOptions: [{ tag: 60, value: 'xyz' }] }] }, /sentOptions\[0\]\.value: "xyz": expected hexBinary/],
    [{ dhcpv4: [{ interface: 'a0', reqOptions: [255] }] }, /reqOptions\[0\]\.tag: 255: expected an option code from 1 to 254/],
    [{ dhcpv4: [{ interface: 'a0' }, { interface: 'a0' }] }, /a second dhcpv4 client on interface a0/],
    [{ dhcpv6: [{ interface: 'a0', suggestedT1: -2 }] }, /suggestedT1: -2: expected -1 or whole seconds/],
    [{ dhcpv3: [] }, /unknown key "dhcpv3"/],
  ])('refuses %j', (raw, message) => {
    expect(() => parseClients(raw)).toThrow(ClientConfigError);
    expect(() => parseClients(raw)).toThrow(message);
  });
});
