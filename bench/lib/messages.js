'use strict';
/**
 * Valid PLUGIN_MSG frames for load: v4 `bound`/`renew` leases and v6 `add` leases spread over
 * `interfaces` names, encoded once with the project's own codec (the built dist), so the load
 * generators only copy bytes. Every frame passes the manager's validation.
 */
const path = require('path');

const msgLib = require(path.join(__dirname, '..', '..', 'packages', 'plugin-msg', 'dist'));

function ifname(i) {
  return `bench${i}`;
}

function v4Frame(i, k, abi) {
  const name = ifname(i);
  const lease = {
    ...msgLib.emptyV4Lease(),
    addressAssigned: true, address: `10.${(i >> 8) & 255}.${i & 255}.${2 + (k % 200)}`,
    netmask: '255.255.255.0', gateway: `10.${(i >> 8) & 255}.${i & 255}.1`,
    dnsServer: '192.0.2.53', dnsServer1: '192.0.2.54', ifname: name, leaseTime: 3600,
    rebindingTime: 3150, renewalTime: 1800, dhcpServerId: `10.${(i >> 8) & 255}.${i & 255}.1`,
    dhcpState: k % 2 === 0 ? 'bound' : 'renew', mtuAssigned: true, mtuSize: 1500,
  };
  return msgLib.encode({ version: 4, ifname: name, dhcpv4: lease }, { abi });
}

function v6Frame(i, k, abi) {
  const name = ifname(i);
  const hex = (i + 0x100).toString(16);
  const lease = {
    ...msgLib.emptyV6Lease(),
    ifname: name,
    iaNa: { assigned: true, address: `2001:db8:${hex}::${(2 + (k % 200)).toString(16)}`, iaid: 1, preferredLifetime: 1800, validLifetime: 3600, t1: 900, t2: 1440 },
    iaPd: { assigned: true, prefix: `2001:db8:${hex}:100::`, prefixLength: 56, iaid: 2, preferredLifetime: 1800, validLifetime: 3600, t1: 900, t2: 1440 },
    dns: { assigned: true, nameserver: '2001:db8::53', nameserver1: '2001:db8::54' },
  };
  return msgLib.encode({ version: 6, ifname: name, dhcpv6: lease }, { abi });
}

/**
 * `count` frames, alternating v4 and v6, cycling over `interfaces` names; `seed` shifts the
 * addresses so that several pushers do not all send identical leases.
 */
function framePool(count, interfaces, seed = 0, abi = 'lp64') {
  const out = [];
  for (let n = 0; n < count; n++) {
    const i = (n + seed) % interfaces;
    const k = Math.floor(n / interfaces) + seed;
    out.push(n % 2 === 0 ? v4Frame(i, k, abi) : v6Frame(i, k, abi));
  }
  return out;
}

module.exports = { msgLib, framePool, v4Frame, v6Frame, ifname };
