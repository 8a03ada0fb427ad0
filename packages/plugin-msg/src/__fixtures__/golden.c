/*
 * Golden PLUGIN_MSG bytes and layout facts, laid out by gcc (test fixture; see cgolden.ts).
 * Compiled to an object only (`gcc -c`, and `gcc -m32 -c` for ILP32), never run: every object
 * sits in its own ELF section and the test extracts it with `objcopy -O binary --only-section`.
 *
 * Padding is zero because every instance has static storage duration and a constant
 * initialiser: C11 6.7.9p10 zero-initialises the padding of static objects, and gcc emits the
 * whole object image into the section with every byte the initialiser does not name (padding,
 * the union bytes beyond the v4 member, `next`) as zero. The test does not take this on trust:
 * it checks each C image against our encoder byte for byte, and our decoder rejects any non-zero
 * padding byte.
 *
 * The values mirror golden.ts (keyed by section name); the instances were written from it with
 * cInitialiser() and are kept here so the C can be read and compiled on its own.
 */
#include <stddef.h>
#include "plugin_msg.h"

#define GOLDEN(sec) __attribute__((section(sec), used))

static const PLUGIN_MSG gold_v4_bound_msg GOLDEN("gold_v4_bound") = {
    .ifname = "veth-cli",
    .version = DHCP_VERSION_4,
    .data.dhcpv4.addressAssigned = true,
    .data.dhcpv4.isExpired = false,
    .data.dhcpv4.address = "192.168.77.130",
    .data.dhcpv4.netmask = "255.255.255.0",
    .data.dhcpv4.gateway = "192.168.77.1",
    .data.dhcpv4.dnsServer = "192.168.77.53",
    .data.dhcpv4.dnsServer1 = "192.168.77.54",
    .data.dhcpv4.dhcpcInterface = "veth-cli",
    .data.dhcpv4.leaseTime = 120u,
    .data.dhcpv4.rebindingTime = 105u,
    .data.dhcpv4.renewalTime = 60u,
    .data.dhcpv4.timeOffset = 3600,
    .data.dhcpv4.isTimeOffsetAssigned = true,
    .data.dhcpv4.timeZone = "CET-1CEST,M3.5.0,M10.5.0/3",
    .data.dhcpv4.upstreamCurrRate = 1000000u,
    .data.dhcpv4.downstreamCurrRate = 50000000u,
    .data.dhcpv4.dhcpServerId = "192.168.77.1",
    .data.dhcpv4.dhcpState = "bound",
    .data.dhcpv4.mtuAssigned = true,
    .data.dhcpv4.mtuSize = 1400u,
    .data.dhcpv4.sipSrv = "sip.lab.test",
    .data.dhcpv4.staticRoutes = "10.99.0.0/16 192.168.77.1 0.0.0.0/0 192.168.77.1",
};

static const PLUGIN_MSG gold_v4_edge_msg GOLDEN("gold_v4_edge") = {
    .ifname = "wan0-abcdefghijklmnopqrstuvwxyz",
    .version = DHCP_VERSION_4,
    .data.dhcpv4.addressAssigned = false,
    .data.dhcpv4.isExpired = true,
    .data.dhcpv4.address = "0123456789.0123456789.012345678",
    .data.dhcpv4.netmask = "\001\177\200\377",
    .data.dhcpv4.gateway = "10.0.0.1 10.0.0.1 10.0.0.1 10.0.",
    .data.dhcpv4.dnsServer = "ns1.example ns1.example ns1.example ns1.example ns1.example ns1.",
    .data.dhcpv4.dnsServer1 = "\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351\350\377\200abc\351",
    .data.dhcpv4.dhcpcInterface = "ethethethethethethethethethethe",
    .data.dhcpv4.leaseTime = 4294967295u,
    .data.dhcpv4.rebindingTime = 2147483648u,
    .data.dhcpv4.renewalTime = 1u,
    .data.dhcpv4.timeOffset = (-2147483647 - 1),
    .data.dhcpv4.isTimeOffsetAssigned = true,
    .data.dhcpv4.timeZone = "UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0/UTC0",
    .data.dhcpv4.upstreamCurrRate = 16909060u,
    .data.dhcpv4.downstreamCurrRate = 4275878552u,
    .data.dhcpv4.dhcpServerId = "\042quoted\134\077\042quoted\134\077\042quoted\134\077\042quoted\134\077\042quoted\134\077\042quoted\134\077\042quoted\134\077\042",
    .data.dhcpv4.dhcpState = "leasefailleasefailleasefailleasefailleasefailleasefailleasefail",
    .data.dhcpv4.mtuAssigned = false,
    .data.dhcpv4.mtuSize = 4294967295u,
    .data.dhcpv4.sipSrv = "sipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsipsips",
    .data.dhcpv4.staticRoutes = "0.0.0.0/0 1.2.3.4 0.0.0.0/0 1.2.3.4 0.0.0.0/0 1.2.3.4 0.0.0.0/0 ",
};

static const PLUGIN_MSG gold_v6_add_msg GOLDEN("gold_v6_add") = {
    .ifname = "veth-cli",
    .version = DHCP_VERSION_6,
    .data.dhcpv6.isExpired = false,
    .data.dhcpv6.ifname = "veth-cli",
    .data.dhcpv6.ia_na.assigned = true,
    .data.dhcpv6.ia_na.address = "fd00:77::240",
    .data.dhcpv6.ia_na.IA_ID = 1u,
    .data.dhcpv6.ia_na.PreferedLifeTime = 20u,
    .data.dhcpv6.ia_na.ValidLifeTime = 30u,
    .data.dhcpv6.ia_na.T1 = 10u,
    .data.dhcpv6.ia_na.T2 = 16u,
    .data.dhcpv6.ia_pd.assigned = true,
    .data.dhcpv6.ia_pd.Prefix = "fd00:77:1::",
    .data.dhcpv6.ia_pd.PrefixLength = 56u,
    .data.dhcpv6.ia_pd.IA_ID = 2u,
    .data.dhcpv6.ia_pd.PreferedLifeTime = 3600u,
    .data.dhcpv6.ia_pd.ValidLifeTime = 7200u,
    .data.dhcpv6.ia_pd.T1 = 1800u,
    .data.dhcpv6.ia_pd.T2 = 2880u,
    .data.dhcpv6.dns.assigned = true,
    .data.dhcpv6.dns.nameserver = "fd00:77::53",
    .data.dhcpv6.dns.nameserver1 = "fd00:77::54",
    .data.dhcpv6.mapt.Assigned = false,
    .data.dhcpv6.mapt.Container = "",
    .data.dhcpv6.vendor.Assigned = true,
    .data.dhcpv6.vendor.Data = "vendor-data",
    .data.dhcpv6.vendor.Length = 11u,
    .data.dhcpv6.domainName = "lab.test corp.test ",
    .data.dhcpv6.ntpserver = "fd00:77::1 ",
    .data.dhcpv6.aftr = "aftr.lab.test",
    .data.dhcpv6.ipv6_TimeOffset = 7200u,
};

static const PLUGIN_MSG gold_v6_edge_msg GOLDEN("gold_v6_edge") = {
    .ifname = "wan0-abcdefghijklmnopqrstuvwxyz",
    .version = DHCP_VERSION_6,
    .data.dhcpv6.isExpired = true,
    .data.dhcpv6.ifname = "erouter0erouter0erouter0erouter",
    .data.dhcpv6.ia_na.assigned = true,
    .data.dhcpv6.ia_na.address = "2001:db8::2001:db8::2001:db8::2001:db8::2001:db",
    .data.dhcpv6.ia_na.IA_ID = 4294967295u,
    .data.dhcpv6.ia_na.PreferedLifeTime = 287454020u,
    .data.dhcpv6.ia_na.ValidLifeTime = 1432778632u,
    .data.dhcpv6.ia_na.T1 = 2578103244u,
    .data.dhcpv6.ia_na.T2 = 3723427584u,
    .data.dhcpv6.ia_pd.assigned = true,
    .data.dhcpv6.ia_pd.Prefix = "2001:db8:ff::/2001:db8:ff::/2001:db8:ff::/2001:",
    .data.dhcpv6.ia_pd.PrefixLength = 128u,
    .data.dhcpv6.ia_pd.IA_ID = 16843009u,
    .data.dhcpv6.ia_pd.PreferedLifeTime = 33686018u,
    .data.dhcpv6.ia_pd.ValidLifeTime = 50529027u,
    .data.dhcpv6.ia_pd.T1 = 67372036u,
    .data.dhcpv6.ia_pd.T2 = 84215045u,
    .data.dhcpv6.dns.assigned = true,
    .data.dhcpv6.dns.nameserver = "2001:4860::8888 2001:4860::8888 2001:4860::8888 2001:4860::8888 2001:4860::8888 2001:4860::8888 2001:4860::8888 2001:4860::8888",
    .data.dhcpv6.dns.nameserver1 = "\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377dns\240\377",
    .data.dhcpv6.mapt.Assigned = true,
    .data.dhcpv6.mapt.Container = "\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200\001\002mapt\177\200",
    .data.dhcpv6.vendor.Assigned = true,
    .data.dhcpv6.vendor.Data = "vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:vendor:ven",
    .data.dhcpv6.vendor.Length = 4000u,
    .data.dhcpv6.domainName = "example.org example.org example.org example.org example.org exam",
    .data.dhcpv6.ntpserver = "ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ntp ",
    .data.dhcpv6.aftr = "aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example aftr.isp.example a",
    .data.dhcpv6.ipv6_TimeOffset = 4294967295u,
};

/* offsetof/sizeof of everything layout.ts knows, one 64-byte row each (no padding inside). */
typedef struct {
    char name[56];
    uint32_t offset;
    uint32_t size;
} LAYOUT_ROW;

_Static_assert(sizeof(LAYOUT_ROW) == 64, "LAYOUT_ROW must have no padding");

#define MEMBER_SIZE(type, m) sizeof(((type *)0)->m)
#define ROW(label, type, m) { label, offsetof(type, m), MEMBER_SIZE(type, m) }
#define MSG(m) ROW("msg." #m, PLUGIN_MSG, m)
#define V4(m) ROW("v4." #m, DHCPv4_PLUGIN_MSG, m)
#define V6(m) ROW("v6." #m, DHCPv6_PLUGIN_MSG, m)
#define SIZE(t) { "sizeof." #t, 0, sizeof(t) }

static const LAYOUT_ROW gold_layout_rows[] GOLDEN("gold_layout") = {
    SIZE(PLUGIN_MSG), SIZE(DHCPv4_PLUGIN_MSG), SIZE(DHCPv6_PLUGIN_MSG), SIZE(bool), SIZE(DHCP_SOURCE),
    MSG(ifname), MSG(version), MSG(data), MSG(data.dhcpv4), MSG(data.dhcpv6),
    V4(addressAssigned), V4(isExpired), V4(address), V4(netmask), V4(gateway), V4(dnsServer),
    V4(dnsServer1), V4(dhcpcInterface), V4(leaseTime), V4(rebindingTime), V4(renewalTime),
    V4(timeOffset), V4(isTimeOffsetAssigned), V4(timeZone), V4(upstreamCurrRate),
    V4(downstreamCurrRate), V4(dhcpServerId), V4(dhcpState), V4(mtuAssigned), V4(mtuSize),
    V4(sipSrv), V4(staticRoutes), V4(next),
    V6(isExpired), V6(ifname), V6(ia_na), V6(ia_na.assigned), V6(ia_na.address), V6(ia_na.IA_ID),
    V6(ia_na.PreferedLifeTime), V6(ia_na.ValidLifeTime), V6(ia_na.T1), V6(ia_na.T2),
    V6(ia_pd), V6(ia_pd.assigned), V6(ia_pd.Prefix), V6(ia_pd.PrefixLength), V6(ia_pd.IA_ID),
    V6(ia_pd.PreferedLifeTime), V6(ia_pd.ValidLifeTime), V6(ia_pd.T1), V6(ia_pd.T2),
    V6(dns), V6(dns.assigned), V6(dns.nameserver), V6(dns.nameserver1),
    V6(mapt), V6(mapt.Assigned), V6(mapt.Container),
    V6(vendor), V6(vendor.Assigned), V6(vendor.Data), V6(vendor.Length),
    V6(domainName), V6(ntpserver), V6(aftr), V6(ipv6_TimeOffset), V6(next),
};
