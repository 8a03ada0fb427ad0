import { parseClients } from './table';
import { planWrite } from './writes';

const table = () => parseClients({
  dhcpv4: [{ interface: 'erouter0', enable: true, reqOptions: [{ tag: 42 }], sentOptions: [{ tag: 60, value: '6162' }] }],
  dhcpv6: [{ interface: 'erouter0', enable: false }],
});
const V4 = 'Device.DHCPv4.Client.1.';
const V6 = 'Device.DHCPv6.Client.1.';

describe('TR-181 writes to the client table', () => {
  it('applies a multi-parameter write on a copy and reports what changed', () => {
    const t = table();
    const r = planWrite(t, { [`${V4}Enable`]: false, [`${V4}X_DHCPMGR_HostName`]: 'cpe;$(reboot)', [`${V6}SuggestedT1`]: '3600', [`${V4}SentOption.1.Value`]: '00ff' });
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.table.dhcpv4[0]).toMatchObject({ enable: false, hostName: 'cpe;$(reboot)' });
    expect(r.table.dhcpv4[0]!.sentOptions[0]!.value).toBe('00ff');
    expect(r.table.dhcpv6[0]!.suggestedT1).toBe(3600);
    expect(r.changed.sort()).toEqual(['dhcpv4.1', 'dhcpv6.1']);
    expect(t.dhcpv4[0]!.enable).toBe(true);
  });

  it('takes TR-069 lexical booleans', () => {
    const r = planWrite(table(), { [`${V4}Enable`]: '0', [`${V6}RapidCommit`]: 'true' });
    expect(r.ok && [r.table.dhcpv4[0]!.enable, r.table.dhcpv6[0]!.rapidCommit]).toEqual([false, true]);
  });

  it('changes nothing and names every bad path when one parameter is wrong', () => {
    const t = table();
    const rendered = new Set([`${V4}Status`, `${V4}Interface`]);
    const r = planWrite(t, {
      [`${V4}Enable`]: false,
      'Device.DHCPv4.Client.9.Enable': true,
      [`${V4}Status`]: 'Enabled',
      [`${V4}Interface`]: 'wan1',
      [`${V4}Colour`]: 'red',
      [`${V6}RequestPrefixes`]: 'yes',
      [`${V6}X_DHCPMGR_PrefixLengthHint`]: 129,
      [`${V4}ReqOption.1.Tag`]: 0,
      [`${V4}ReqOption.2.Tag`]: 3,
      [`${V4}X_DHCPMGR_HostName`]: 7,
      'Device.Foo': 1,
    }, (path) => rendered.has(path));
    if (r.ok) throw new Error('accepted');
    const byPath = Object.fromEntries(r.errors.map((e) => [e.path, e.error]));
    expect(byPath['Device.DHCPv4.Client.9.Enable']).toMatch(/no such object/);
    expect(byPath[`${V4}Status`]).toBe('parameter is read-only');
    expect(byPath[`${V4}Interface`]).toBe('parameter is read-only');
    expect(byPath[`${V4}Colour`]).toBe('unknown parameter');
    expect(byPath[`${V6}RequestPrefixes`]).toMatch(/^wrong type: "yes" is not a boolean/);
    expect(byPath[`${V6}X_DHCPMGR_PrefixLengthHint`]).toMatch(/^out of range: 129/);
    expect(byPath[`${V4}ReqOption.1.Tag`]).toMatch(/^out of range: 0/);
    expect(byPath[`${V4}ReqOption.2.Tag`]).toMatch(/no such object: ReqOption\.2\./);
    expect(byPath[`${V4}X_DHCPMGR_HostName`]).toMatch(/^wrong type: 7 is not a string/);
    expect(byPath['Device.Foo']).toMatch(/unknown/);
    expect(r.errors).toHaveLength(10);
    expect(t.dhcpv4[0]!.enable).toBe(true);
  });

  it('refuses Renew of a disabled client and treats Renew=false as nothing to do', () => {
    const r = planWrite(table(), { [`${V6}Renew`]: true });
    expect(r).toEqual({ ok: false, errors: [{ path: `${V6}Renew`, error: 'the client is disabled (set Enable=true first)' }] });
    const ok = planWrite(table(), { [`${V4}Renew`]: true, [`${V6}Renew`]: false });
    expect(ok.ok && [ok.renew, ok.changed]).toEqual([['dhcpv4.1'], []]);
  });

  it('refuses a body that is not an object of parameters', () => {
    expect(planWrite(table(), [1])).toMatchObject({ ok: false });
    expect(planWrite(table(), {})).toEqual({ ok: false, errors: [{ path: '', error: 'no parameter given' }] });
  });
});
