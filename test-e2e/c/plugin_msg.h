/*
 * PLUGIN_MSG as the RDK-B DHCP Manager lays it out, written for this project's tests from the
 * layout facts in docs (sizes, offsets, field order). Only used to build the test peers; the
 * _Static_asserts below pin every offset the tests rely on, so a wrong declaration fails to build.
 */
#ifndef E2E_PLUGIN_MSG_H
#define E2E_PLUGIN_MSG_H

#include <stddef.h>
#include <stdint.h>

enum e2e_dhcp_version { E2E_DHCP_V4 = 0, E2E_DHCP_V6 = 1 };

struct e2e_v4_lease {
    uint8_t  address_assigned;
    uint8_t  is_expired;
    char     address[32];
    char     netmask[32];
    char     gateway[32];
    char     dns_server[64];
    char     dns_server1[64];
    char     ifname[32];
    uint32_t lease_time;
    uint32_t rebinding_time;
    uint32_t renewal_time;
    int32_t  time_offset;
    uint8_t  time_offset_assigned;
    char     time_zone[64];
    uint32_t upstream_rate;
    uint32_t downstream_rate;
    char     server_id[64];
    char     state[64];
    uint8_t  mtu_assigned;
    uint32_t mtu_size;
    char     sip_server[64];
    char     static_routes[64];
    void    *next;
};

struct e2e_ia_na {
    uint8_t  assigned;
    char     address[48];
    uint32_t iaid;
    uint32_t preferred;
    uint32_t valid;
    uint32_t t1;
    uint32_t t2;
};

struct e2e_ia_pd {
    uint8_t  assigned;
    char     prefix[48];
    uint32_t length;
    uint32_t iaid;
    uint32_t preferred;
    uint32_t valid;
    uint32_t t1;
    uint32_t t2;
};

struct e2e_v6_lease {
    uint8_t          is_expired;
    char             ifname[32];
    struct e2e_ia_na ia_na;
    struct e2e_ia_pd ia_pd;
    struct { uint8_t assigned; char server[128]; char server1[128]; } dns;
    struct { uint8_t assigned; uint8_t container[256]; } mapt;
    struct { uint8_t assigned; char data[256]; uint32_t length; } vendor;
    char             domain[64];
    char             ntp[128];
    char             aftr[256];
    uint32_t         time_offset;
    void            *next;
};

struct e2e_plugin_msg {
    char ifname[32];
    enum e2e_dhcp_version version;
    union {
        struct e2e_v4_lease v4;
        struct e2e_v6_lease v6;
    } u;
};

#define E2E_V4_AT(f) (offsetof(struct e2e_v4_lease, f))
#define E2E_V6_AT(f) (offsetof(struct e2e_v6_lease, f))

_Static_assert(offsetof(struct e2e_plugin_msg, version) == 32, "version at 32");
_Static_assert(E2E_V4_AT(lease_time) == 260 && E2E_V4_AT(time_zone) == 277, "v4 times");
_Static_assert(E2E_V4_AT(upstream_rate) == 344 && E2E_V4_AT(server_id) == 352, "v4 rates/server");
_Static_assert(E2E_V4_AT(mtu_size) == 484 && E2E_V4_AT(static_routes) == 552, "v4 mtu/routes");
_Static_assert(E2E_V4_AT(next) == 616, "v4 next");
_Static_assert(E2E_V6_AT(ia_na) == 36 && E2E_V6_AT(ia_na.iaid) == 88 && E2E_V6_AT(ia_na.t2) == 104, "v6 ia_na");
_Static_assert(E2E_V6_AT(ia_pd) == 108 && E2E_V6_AT(ia_pd.length) == 160 && E2E_V6_AT(ia_pd.t2) == 180, "v6 ia_pd");
_Static_assert(E2E_V6_AT(dns) == 184 && E2E_V6_AT(mapt) == 441 && E2E_V6_AT(vendor) == 700, "v6 options");
_Static_assert(E2E_V6_AT(vendor.length) == 960 && E2E_V6_AT(domain) == 964 && E2E_V6_AT(ntp) == 1028, "v6 tail");
_Static_assert(E2E_V6_AT(aftr) == 1156 && E2E_V6_AT(time_offset) == 1412 && E2E_V6_AT(next) == 1416, "v6 end");
#if UINTPTR_MAX == 0xffffffffffffffffu
_Static_assert(sizeof(struct e2e_plugin_msg) == 1464 && offsetof(struct e2e_plugin_msg, u) == 40, "LP64 size");
#else
_Static_assert(sizeof(struct e2e_plugin_msg) == 1456 && offsetof(struct e2e_plugin_msg, u) == 36, "ILP32 size");
#endif

#endif
