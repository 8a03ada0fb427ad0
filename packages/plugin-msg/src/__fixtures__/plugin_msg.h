/*
 * PLUGIN_MSG as the RDK-B DHCP Manager's plugins send it, declared by us from the facts in the
 * project's wire-format spec (member types, array widths and order). Test fixture only: gcc lays
 * this out and the codec tests compare its offsets, sizes and bytes with layout.ts.
 *
 * No packing pragmas: the layout is whatever the target ABI's natural alignment gives, which is
 * exactly what the C plugins get. The inner interface name is the member the spec table lists as
 * `ifname` at struct offset 226; we call it dhcpcInterface, as layout.ts does (names do not
 * change the layout).
 */
#ifndef DHCPMGR_TEST_PLUGIN_MSG_H
#define DHCPMGR_TEST_PLUGIN_MSG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum {
    DHCP_VERSION_4 = 0,
    DHCP_VERSION_6 = 1,
} DHCP_SOURCE;

typedef struct dhcpv4_plugin_msg {
    bool addressAssigned;
    bool isExpired;
    char address[32];
    char netmask[32];
    char gateway[32];
    char dnsServer[64];
    char dnsServer1[64];
    char dhcpcInterface[32];
    uint32_t leaseTime;
    uint32_t rebindingTime;
    uint32_t renewalTime;
    int32_t timeOffset;
    bool isTimeOffsetAssigned;
    char timeZone[64];
    uint32_t upstreamCurrRate;
    uint32_t downstreamCurrRate;
    char dhcpServerId[64];
    char dhcpState[64];
    bool mtuAssigned;
    uint32_t mtuSize;
    char sipSrv[64];
    char staticRoutes[64];
    struct dhcpv4_plugin_msg *next;
} DHCPv4_PLUGIN_MSG;

typedef struct {
    bool assigned;
    char address[48];
    uint32_t IA_ID;
    uint32_t PreferedLifeTime; /* sic, as in the C manager */
    uint32_t ValidLifeTime;
    uint32_t T1;
    uint32_t T2;
} IA_NA_INFO;

typedef struct {
    bool assigned;
    char Prefix[48];
    uint32_t PrefixLength;
    uint32_t IA_ID;
    uint32_t PreferedLifeTime;
    uint32_t ValidLifeTime;
    uint32_t T1;
    uint32_t T2;
} IA_PD_INFO;

typedef struct {
    bool assigned;
    char nameserver[128];
    char nameserver1[128];
} DNS_INFO;

typedef struct {
    bool Assigned;
    unsigned char Container[256]; /* option 95 as text */
} MAPT_INFO;

typedef struct {
    bool Assigned;
    char Data[256]; /* option 17 */
    uint32_t Length;
} VENDOR_INFO;

typedef struct dhcpv6_plugin_msg {
    bool isExpired;
    char ifname[32];
    IA_NA_INFO ia_na;
    IA_PD_INFO ia_pd;
    DNS_INFO dns;
    MAPT_INFO mapt;
    VENDOR_INFO vendor;
    char domainName[64];
    char ntpserver[128];
    char aftr[256]; /* option 64 */
    uint32_t ipv6_TimeOffset;
    struct dhcpv6_plugin_msg *next;
} DHCPv6_PLUGIN_MSG;

typedef struct {
    char ifname[32];
    DHCP_SOURCE version;
    union {
        DHCPv4_PLUGIN_MSG dhcpv4;
        DHCPv6_PLUGIN_MSG dhcpv6;
    } data;
} PLUGIN_MSG;

#endif
