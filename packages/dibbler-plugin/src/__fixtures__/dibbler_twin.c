/*
 * Test twin of the C RDK-B dibbler plugin, written by us from the facts in the project's
 * wire-format spec (section 3): same environment in, the PLUGIN_MSG bytes it would send out on
 * stdout. It keeps the C behaviour on purpose (only ADDR1/PREFIX1, strtol, strncpy cuts, raw
 * list values with their trailing space) so the test can show where our plugin agrees byte for
 * byte and where it differs by design.
 * Exit: 0 with the bytes, 0 with nothing for ignored events, 255 without argv[1].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugin_msg.h"

static void copy_full(char *dst, size_t size, const char *src) { strncpy(dst, src, size); }
static void copy_term(char *dst, size_t size, const char *src) { strncpy(dst, src, size - 1); }

/* Each numeric variable is copied whenever it is set. */
static void num(uint32_t *dst, const char *name) {
    const char *v = getenv(name);
    if (v) *dst = (uint32_t)strtol(v, NULL, 10);
}

int main(int argc, char **argv) {
    if (argc < 2) return 255;
    const char *ev = argv[1];
    int up = !strcmp(ev, "add") || !strcmp(ev, "update");
    int gone = !strcmp(ev, "del") || !strcmp(ev, "delete") || !strcmp(ev, "expire");
    if (!up && !gone) return 0;

    PLUGIN_MSG msg;
    memset(&msg, 0, sizeof msg);
    DHCPv6_PLUGIN_MSG *l = &msg.data.dhcpv6;
    const char *v;
    msg.version = DHCP_VERSION_6;
    l->isExpired = gone;
    if ((v = getenv("IFACE"))) {
        copy_term(msg.ifname, sizeof msg.ifname, v);
        copy_term(l->ifname, sizeof l->ifname, v);
    }
    if ((v = getenv("ADDR1"))) { l->ia_na.assigned = 1; copy_term(l->ia_na.address, sizeof l->ia_na.address, v); }
    num(&l->ia_na.IA_ID, "ADDR1IAID");
    num(&l->ia_na.PreferedLifeTime, "ADDR1PREF");
    num(&l->ia_na.ValidLifeTime, "ADDR1VALID");
    num(&l->ia_na.T1, "ADDR1T1");
    num(&l->ia_na.T2, "ADDR1T2");
    if ((v = getenv("PREFIX1"))) { l->ia_pd.assigned = 1; copy_term(l->ia_pd.Prefix, sizeof l->ia_pd.Prefix, v); }
    num(&l->ia_pd.PrefixLength, "PREFIX1LEN");
    num(&l->ia_pd.IA_ID, "PREFIX1IAID");
    num(&l->ia_pd.PreferedLifeTime, "PREFIX1PREF");
    num(&l->ia_pd.ValidLifeTime, "PREFIX1VALID");
    num(&l->ia_pd.T1, "PREFIX1T1");
    num(&l->ia_pd.T2, "PREFIX1T2");
    if ((v = getenv("SRV_OPTION23"))) {
        char buf[256];
        strncpy(buf, v, 255);
        buf[255] = 0;
        l->dns.assigned = 1;
        char *save = NULL;
        char *tok = strtok_r(buf, " ", &save);
        if (tok) {
            copy_term(l->dns.nameserver, sizeof l->dns.nameserver, tok);
            tok = strtok_r(NULL, " ", &save);
            if (tok) copy_term(l->dns.nameserver1, sizeof l->dns.nameserver1, tok);
        }
    }
    if ((v = getenv("SRV_OPTION24"))) copy_full(l->domainName, sizeof l->domainName, v);
    if ((v = getenv("SRV_OPTION31"))) copy_full(l->ntpserver, sizeof l->ntpserver, v);
    if ((v = getenv("SRV_OPTION64"))) copy_full(l->aftr, sizeof l->aftr, v);
    if ((v = getenv("SRV_OPTION95"))) {
        l->mapt.Assigned = 1;
        strncpy((char *)l->mapt.Container, v, sizeof l->mapt.Container);
    }
    if ((v = getenv("SRV_OPTION17"))) {
        l->vendor.Assigned = 1;
        copy_term(l->vendor.Data, sizeof l->vendor.Data, v);
        l->vendor.Length = (uint32_t)strlen(v);
    }
    fwrite(&msg, sizeof msg, 1, stdout);
    return 0;
}
