/**
 * Is an interface ready for a DHCP client? Cheap file reads of /sys and /proc (in the manager's
 * own network namespace), polled while a client waits, instead of starting a client that would
 * spin. DHCPv6 also needs a link-local address that is no longer tentative: dibbler-client
 * exits when it finds only a tentative one, as the C manager's wait for it avoids.
 */
import { readFileSync } from 'fs';

const IFF_UP = 0x1;
const IFA_F_TENTATIVE = 0x40;
const IFA_F_DADFAILED = 0x08;
const SCOPE_LINK = 0x20;

function read(file: string): string | undefined {
  try { return readFileSync(file, 'utf8').trim(); } catch { return undefined; }
}

/** Why the interface is not ready, or undefined when it is. */
export function linkProblem(ifname: string, version: 4 | 6, root = ''): string | undefined {
  const flags = read(`${root}/sys/class/net/${ifname}/flags`);
  if (flags === undefined) return 'interface missing';
  if ((parseInt(flags, 16) & IFF_UP) === 0) return 'interface down';
  if (read(`${root}/sys/class/net/${ifname}/carrier`) !== '1') return 'no carrier';
  if (version === 6) {
    const table = read(`${root}/proc/net/if_inet6`) ?? '';
    const usable = table.split('\n').some((line) => {
      const f = line.trim().split(/\s+/);
      if (f.length < 6 || f[5] !== ifname) return false;
      const scope = parseInt(f[3]!, 16);
      const aflags = parseInt(f[4]!, 16);
      return scope === SCOPE_LINK && (aflags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) === 0;
    });
    if (!usable) return 'no usable (non-tentative) link-local address';
  }
  return undefined;
}
