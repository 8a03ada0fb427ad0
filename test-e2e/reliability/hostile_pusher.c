/*
 * Hostile sender for the reliability suite: PUSHes COUNT frames at full speed (blocking nn_send,
 * as the C plugins do) to the manager's legacy PULL endpoint. Every VALID_EVERY-th frame is the
 * valid template with its leaseTime set to LEASE_BASE + n (n = 0, 1, ...); the others are drawn
 * from: wrong sizes, bad versions, unterminated strings, random garbage, byte-mutated copies of
 * the second template, empty frames, ILP32-sized garbage; every BIG_EVERY-th is a 10 MiB frame.
 *   usage: hostile_pusher ADDR COUNT SEED VALID_TEMPLATE MUTATE_TEMPLATE LEASE_OFFSET LEASE_BASE VALID_EVERY BIG_EVERY
 * Prints one JSON object of counts per category on stdout. Exit 0 done, 1 I/O error, 2 usage.
 */
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_LP64 1464
#define MSG_ILP32 1456
#define VERSION_AT 32
#define BIG (10u << 20)

static uint64_t rng;
static uint32_t next32(void) { /* xorshift64*: fast, reproducible from SEED */
    rng ^= rng >> 12; rng ^= rng << 25; rng ^= rng >> 27;
    return (uint32_t)((rng * 2685821657736338717ULL) >> 32);
}
static void fill(unsigned char *p, size_t n) { for (size_t i = 0; i < n; i++) p[i] = (unsigned char)next32(); }

static int read_template(const char *file, unsigned char *out) {
    FILE *f = fopen(file, "rb");
    if (!f) return -1;
    size_t n = fread(out, 1, MSG_LP64 + 1, f);
    fclose(f);
    return n == MSG_LP64 ? 0 : -1;
}

enum { C_VALID, C_SIZE, C_VERSION, C_UNTERM, C_GARBAGE, C_MUTATED, C_EMPTY, C_ILP32, C_BIG, C_N };
static const char *names[C_N] = { "valid", "wrongSize", "badVersion", "unterminated", "garbage", "mutated", "empty", "ilp32Garbage", "big10MiB" };

int main(int argc, char **argv) {
    if (argc != 10) {
        fprintf(stderr, "usage: %s ADDR COUNT SEED VALID_TEMPLATE MUTATE_TEMPLATE LEASE_OFFSET LEASE_BASE VALID_EVERY BIG_EVERY\n", argv[0]);
        return 2;
    }
    long count = atol(argv[2]);
    rng = (uint64_t)atoll(argv[3]) * 0x9E3779B97F4A7C15ULL + 1;
    static unsigned char valid[MSG_LP64], mutate[MSG_LP64];
    if (read_template(argv[4], valid) || read_template(argv[5], mutate)) { fprintf(stderr, "bad template\n"); return 2; }
    long lease_at = atol(argv[6]);
    uint32_t lease_base = (uint32_t)atol(argv[7]);
    long valid_every = atol(argv[8]), big_every = atol(argv[9]);
    unsigned char *buf = malloc(BIG);
    if (!buf) return 1;
    int s = nn_socket(AF_SP, NN_PUSH);
    if (s < 0 || nn_connect(s, argv[1]) < 0) { fprintf(stderr, "connect: %s\n", nn_strerror(nn_errno())); return 1; }
    int sndbuf = 4 << 20;
    nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDBUF, &sndbuf, sizeof sndbuf);
    long counts[C_N] = {0};
    uint32_t n_valid = 0;
    for (long i = 0; i < count; i++) {
        size_t len;
        int c;
        if (i % valid_every == 0) {
            c = C_VALID;
            memcpy(buf, valid, MSG_LP64);
            uint32_t lt = lease_base + n_valid++;
            memcpy(buf + lease_at, &lt, 4);
            len = MSG_LP64;
        } else if (big_every > 0 && i % big_every == 1) {
            c = C_BIG;
            fill(buf, 4096);
            memset(buf + 4096, 0x41, BIG - 4096);
            len = BIG;
        } else {
            c = 1 + (int)(next32() % 7); /* C_SIZE .. C_ILP32 */
            switch (c) {
            case C_SIZE:
                do len = next32() % 4000; while (len == MSG_LP64 || len == MSG_ILP32);
                fill(buf, len);
                break;
            case C_VERSION: {
                memcpy(buf, valid, MSG_LP64);
                uint32_t v = 2 + next32() % 1000;
                memcpy(buf + VERSION_AT, &v, 4);
                len = MSG_LP64;
                break;
            }
            case C_UNTERM:
                memcpy(buf, valid, MSG_LP64);
                memset(buf, 'x', 32); /* ifname without its NUL */
                len = MSG_LP64;
                break;
            case C_GARBAGE:
                len = MSG_LP64;
                fill(buf, len);
                break;
            case C_MUTATED: {
                memcpy(buf, mutate, MSG_LP64);
                int flips = 1 + (int)(next32() % 8);
                for (int k = 0; k < flips; k++) buf[next32() % MSG_LP64] ^= (unsigned char)(1 + next32() % 255);
                len = MSG_LP64;
                break;
            }
            case C_EMPTY:
                len = 0;
                break;
            default:
                len = MSG_ILP32;
                fill(buf, len);
                break;
            }
        }
        if (nn_send(s, buf, len, 0) < 0) { fprintf(stderr, "send: %s\n", nn_strerror(nn_errno())); return 1; }
        counts[c]++;
    }
    /* nn_close has no working linger: give the worker thread time to write the last frames. */
    usleep(1500 * 1000);
    nn_close(s);
    printf("{\"sent\":%ld", count);
    for (int c = 0; c < C_N; c++) printf(",\"%s\":%ld", names[c], counts[c]);
    printf(",\"lastValidLease\":%u}\n", lease_base + n_valid - 1);
    return 0;
}
