/*
 * C sender for the e2e suite: builds one PLUGIN_MSG from `field=value` arguments, the way a C
 * plugin fills the struct (strncpy into zeroed arrays, integers in host order), and PUSHes it to
 * the manager's legacy PULL address with libnanomsg.
 *   usage: msg_sender ADDR 4|6 IFNAME [field=value ...] [--out FILE]
 * Prints the byte count sent. Exit 0 sent, 1 send/connect failure, 2 bad usage.
 */
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "plugin_msg.h"

enum kind { K_STR, K_U8, K_U32, K_I32 };
struct field { const char *name; int v6; size_t at; size_t size; enum kind kind; };

#define S4(n, f) { n, 0, E2E_V4_AT(f), sizeof(((struct e2e_v4_lease *)0)->f), K_STR }
#define N4(n, f, k) { n, 0, E2E_V4_AT(f), 0, k }
#define S6(n, f) { n, 1, E2E_V6_AT(f), sizeof(((struct e2e_v6_lease *)0)->f), K_STR }
#define N6(n, f, k) { n, 1, E2E_V6_AT(f), 0, k }

static const struct field fields[] = {
    N4("addressAssigned", address_assigned, K_U8), N4("isExpired", is_expired, K_U8),
    S4("address", address), S4("netmask", netmask), S4("gateway", gateway),
    S4("dnsServer", dns_server), S4("dnsServer1", dns_server1), S4("ifname", ifname),
    N4("leaseTime", lease_time, K_U32), N4("rebindingTime", rebinding_time, K_U32),
    N4("renewalTime", renewal_time, K_U32), N4("timeOffset", time_offset, K_I32),
    N4("isTimeOffsetAssigned", time_offset_assigned, K_U8), S4("timeZone", time_zone),
    S4("dhcpServerId", server_id), S4("dhcpState", state), N4("mtuAssigned", mtu_assigned, K_U8),
    N4("mtuSize", mtu_size, K_U32), S4("sipSrv", sip_server), S4("staticRoutes", static_routes),
    N6("isExpired", is_expired, K_U8), S6("ifname", ifname),
    N6("iaNa.assigned", ia_na.assigned, K_U8), S6("iaNa.address", ia_na.address),
    N6("iaNa.iaid", ia_na.iaid, K_U32), N6("iaNa.preferredLifetime", ia_na.preferred, K_U32),
    N6("iaNa.validLifetime", ia_na.valid, K_U32), N6("iaNa.t1", ia_na.t1, K_U32), N6("iaNa.t2", ia_na.t2, K_U32),
    N6("iaPd.assigned", ia_pd.assigned, K_U8), S6("iaPd.prefix", ia_pd.prefix),
    N6("iaPd.prefixLength", ia_pd.length, K_U32), N6("iaPd.iaid", ia_pd.iaid, K_U32),
    N6("iaPd.preferredLifetime", ia_pd.preferred, K_U32), N6("iaPd.validLifetime", ia_pd.valid, K_U32),
    N6("iaPd.t1", ia_pd.t1, K_U32), N6("iaPd.t2", ia_pd.t2, K_U32),
    N6("dns.assigned", dns.assigned, K_U8), S6("dns.nameserver", dns.server), S6("dns.nameserver1", dns.server1),
    S6("domainName", domain), S6("ntpServer", ntp), S6("aftr", aftr),
};

static int set_field(unsigned char *lease, int v6, const char *arg) {
    const char *eq = strchr(arg, '=');
    if (!eq) return -1;
    size_t n = (size_t)(eq - arg);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const struct field *f = &fields[i];
        if (f->v6 != v6 || strlen(f->name) != n || strncmp(f->name, arg, n) != 0) continue;
        const char *v = eq + 1;
        unsigned char *p = lease + f->at;
        if (f->kind == K_STR) { strncpy((char *)p, v, f->size); return 0; }
        if (f->kind == K_U8) { *p = (unsigned char)atoi(v); return 0; }
        uint32_t u = (uint32_t)strtol(v, NULL, 10);
        memcpy(p, &u, sizeof u);
        return 0;
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: %s ADDR 4|6 IFNAME [field=value ...] [--out FILE]\n", argv[0]); return 2; }
    struct e2e_plugin_msg msg;
    memset(&msg, 0, sizeof msg);
    int v6 = strcmp(argv[2], "6") == 0;
    msg.version = v6 ? E2E_DHCP_V6 : E2E_DHCP_V4;
    strncpy(msg.ifname, argv[3], sizeof msg.ifname);
    unsigned char *lease = v6 ? (unsigned char *)&msg.u.v6 : (unsigned char *)&msg.u.v4;
    const char *out = NULL;
    for (int i = 4; i < argc; i++) {
        if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) { out = argv[++i]; continue; }
        if (set_field(lease, v6, argv[i]) != 0) { fprintf(stderr, "unknown field: %s\n", argv[i]); return 2; }
    }
    if (out) {
        FILE *fp = fopen(out, "wb");
        if (!fp || fwrite(&msg, sizeof msg, 1, fp) != 1) { perror(out); return 1; }
        fclose(fp);
    }
    int s = nn_socket(AF_SP, NN_PUSH);
    if (s < 0 || nn_connect(s, argv[1]) < 0) { fprintf(stderr, "connect %s: %s\n", argv[1], nn_strerror(nn_errno())); return 1; }
    int timeout = 3000;
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDTIMEO, &timeout, sizeof timeout);
    int sent = nn_send(s, &msg, sizeof msg, 0);
    if (sent < 0) { fprintf(stderr, "send: %s\n", nn_strerror(nn_errno())); return 1; }
    /* libnanomsg has no working linger: give its worker thread time to write before closing. */
    usleep(100 * 1000);
    nn_close(s);
    printf("%d\n", sent);
    return 0;
}
