/*
 * Test twin of the C RDK-B udhcpc plugin, written by us from the facts in the project's
 * wire-format spec (section 3): it reads the same environment and writes the PLUGIN_MSG bytes it
 * would send to stdout instead of a nanomsg socket. It reproduces the C behaviour on purpose,
 * quirks included (atoi, silent truncation by strncpy, hex fallbacks), so that the test can show
 * where our plugin agrees byte for byte and where it refuses what C would cut or misread.
 * Exit: 0 with 1464/1456 bytes on stdout, 0 with nothing for ignored events, 255 without argv[1].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugin_msg.h"

/* Full-width copy: a value that fills the array arrives with no terminator. */
static void copy_full(char *dst, size_t size, const char *src) { strncpy(dst, src, size); }
/* Terminated copy: at most size - 1 bytes. */
static void copy_term(char *dst, size_t size, const char *src) { strncpy(dst, src, size - 1); }

/* opt58/opt59 are hex text: non-hex characters skipped, the last 8 digits kept. */
static uint32_t hex_u32(const char *s) {
    uint32_t v = 0;
    for (; *s; s++) {
        int d;
        if (*s >= '0' && *s <= '9') d = *s - '0';
        else if (*s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
        else if (*s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
        else continue;
        v = (v << 4) | (uint32_t)d;
    }
    return v;
}

static uint32_t timer(const char *decimal, const char *hex) {
    const char *d = getenv(decimal);
    if (d) return (uint32_t)atoi(d); /* set, even empty: blocks the hex fallback */
    const char *h = getenv(hex);
    return h ? hex_u32(h) : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return 255;
    const char *ev = argv[1];
    int live = !strcmp(ev, "bound") || !strcmp(ev, "renew");
    int down = !strcmp(ev, "deconfig") || !strcmp(ev, "leasefail");
    if (!live && !down) return 0;

    PLUGIN_MSG msg;
    memset(&msg, 0, sizeof msg);
    DHCPv4_PLUGIN_MSG *l = &msg.data.dhcpv4;
    const char *v;
    msg.version = DHCP_VERSION_4;
    if ((v = getenv("interface"))) {
        copy_term(msg.ifname, sizeof msg.ifname, v);
        copy_term(l->dhcpcInterface, sizeof l->dhcpcInterface, v);
    }
    copy_term(l->dhcpState, sizeof l->dhcpState, ev);
    l->addressAssigned = live;
    l->isExpired = !live;
    if ((v = getenv("serverid"))) copy_full(l->dhcpServerId, sizeof l->dhcpServerId, v);
    if ((v = getenv("sipsrv"))) copy_full(l->sipSrv, sizeof l->sipSrv, v);
    if ((v = getenv("staticroutes"))) copy_full(l->staticRoutes, sizeof l->staticRoutes, v);
    if (live) {
        if ((v = getenv("ip"))) copy_term(l->address, sizeof l->address, v);
        if ((v = getenv("subnet"))) copy_term(l->netmask, sizeof l->netmask, v);
        if ((v = getenv("router"))) copy_full(l->gateway, sizeof l->gateway, v);
        if ((v = getenv("dns"))) {
            char buf[256];
            strncpy(buf, v, 255);
            buf[255] = 0;
            char *save = NULL;
            char *tok = strtok_r(buf, " ", &save);
            if (tok) {
                copy_full(l->dnsServer, sizeof l->dnsServer, tok);
                tok = strtok_r(NULL, " ", &save);
                if (tok) copy_full(l->dnsServer1, sizeof l->dnsServer1, tok);
            }
        }
        if ((v = getenv("lease"))) l->leaseTime = (uint32_t)atoi(v);
        l->renewalTime = timer("renewaltime", "opt58");
        l->rebindingTime = timer("rebindingtime", "opt59");
        if ((v = getenv("timezone"))) copy_full(l->timeZone, sizeof l->timeZone, v);
        if ((v = getenv("timeoffset"))) { l->timeOffset = atoi(v); l->isTimeOffsetAssigned = 1; }
        if ((v = getenv("upstreamrate"))) l->upstreamCurrRate = (uint32_t)atoi(v);
        if ((v = getenv("downstreamrate"))) l->downstreamCurrRate = (uint32_t)atoi(v);
    }
    fwrite(&msg, sizeof msg, 1, stdout);
    return 0;
}
