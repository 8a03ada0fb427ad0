/*
 * Load generator in C (libnanomsg, blocking sends), so that the load processes cost the machine
 * as little as possible and the receiver under test gets the CPU. Built by bench/lib/cload.js.
 *
 *   loadgen push ADDR FRAMES FRAMESIZE COUNT
 *       PUSH COUNT frames, cycling through the FRAMESIZE-byte frames in the file FRAMES; report,
 *       then keep the socket open until stdin reaches EOF (no linger in libnanomsg).
 *   loadgen req ADDR FRAMES FRAMESIZE COUNT THREADS
 *       THREADS REQ sockets (one thread each), closed loop; thread t sends frames
 *       t*K/THREADS .. (t+1)*K/THREADS-1 of the file wrapped in our acked envelope (48-byte header,
 *       docs/wire-format.md) and waits for each reply.
 * Both print one JSON line: {"sent":N,"ok":N,"ns":N[,"p50us":x,"p99us":x]}.
 */
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <nanomsg/reqrep.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char *frames;
static long nframes, fsize, count;
static const char *addr;

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (uint64_t)ts.tv_sec * 1000000ull + (uint64_t)ts.tv_nsec / 1000;
}

static void put32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }
static void put64(unsigned char *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i)); }

static int do_push(void) {
  int s = nn_socket(AF_SP, NN_PUSH);
  if (s < 0 || nn_connect(s, addr) < 0) { fprintf(stderr, "push: %s\n", nn_strerror(nn_errno())); return 1; }
  usleep(50000);
  uint64_t t0 = now_ns();
  long sent = 0;
  for (; sent < count; sent++) {
    if (nn_send(s, frames + (sent % nframes) * fsize, (size_t)fsize, 0) < 0) break;
  }
  uint64_t t1 = now_ns();
  printf("{\"sent\":%ld,\"ok\":%ld,\"ns\":%llu}\n", sent, sent, (unsigned long long)(t1 - t0));
  fflush(stdout);
  /* libnanomsg 1.x has no linger: frames still in the socket's buffer are lost at nn_close. When
     the parent gave us a pipe on stdin, hold the socket open until it closes it (EOF); with
     /dev/null this returns at once. Then a short grace for the worker thread. */
  char c;
  while (read(0, &c, 1) > 0) {}
  usleep(200000);
  nn_close(s);
  return sent == count ? 0 : 1;
}

struct job { long first, n, per, ok; uint32_t *lat_us; };
static long threads;
static unsigned char boot_id[16];

static void *req_thread(void *arg) {
  struct job *j = arg;
  int s = nn_socket(AF_SP, NN_REQ);
  if (s < 0 || nn_connect(s, addr) < 0) return NULL;
  unsigned char *msg = malloc(48 + fsize);
  for (long i = 0; i < j->per; i++) {
    memset(msg, 0, 48);
    put32(msg, 0x52474d44); msg[4] = 1; msg[5] = 0; msg[6] = (unsigned char)fsize; msg[7] = (unsigned char)(fsize >> 8);
    memcpy(msg + 8, boot_id, 16);
    uint64_t t = now_ns();
    put64(msg + 24, t); put64(msg + 32, wall_us()); put32(msg + 40, (uint32_t)getpid());
    memcpy(msg + 48, frames + (j->first + i % j->n) * fsize, (size_t)fsize);
    if (nn_send(s, msg, 48 + (size_t)fsize, 0) < 0) break;
    char *reply = NULL;
    int r = nn_recv(s, &reply, NN_MSG, 0);
    if (r < 0) break;
    j->lat_us[i] = (uint32_t)((now_ns() - t) / 1000);
    if (r >= 8 && reply[5] == 0) j->ok++;
    nn_freemsg(reply);
  }
  free(msg);
  nn_close(s);
  return NULL;
}

static int cmp32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static int do_req(void) {
  FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
  if (f) {
    char hex[64] = {0};
    if (fgets(hex, sizeof hex, f)) {
      int k = 0;
      for (int i = 0; hex[i] && k < 16; i++) {
        if (hex[i] == '-') continue;
        unsigned v; sscanf(hex + i, "%2x", &v); boot_id[k++] = (unsigned char)v; i++;
      }
    }
    fclose(f);
  }
  pthread_t *th = calloc((size_t)threads, sizeof *th);
  struct job *jobs = calloc((size_t)threads, sizeof *jobs);
  long per = count / threads;
  for (long t = 0; t < threads; t++) {
    jobs[t].n = nframes / threads; jobs[t].first = t * jobs[t].n; jobs[t].per = per;
    jobs[t].lat_us = calloc((size_t)per, sizeof(uint32_t));
  }
  uint64_t t0 = now_ns();
  for (long t = 0; t < threads; t++) pthread_create(&th[t], NULL, req_thread, &jobs[t]);
  for (long t = 0; t < threads; t++) pthread_join(th[t], NULL);
  uint64_t t1 = now_ns();
  uint32_t *all = calloc((size_t)(per * threads), sizeof(uint32_t));
  long ok = 0;
  for (long t = 0; t < threads; t++) { memcpy(all + t * per, jobs[t].lat_us, (size_t)per * 4); ok += jobs[t].ok; }
  qsort(all, (size_t)(per * threads), 4, cmp32);
  long n = per * threads;
  printf("{\"sent\":%ld,\"ok\":%ld,\"ns\":%llu,\"p50us\":%u,\"p99us\":%u}\n", n, ok, (unsigned long long)(t1 - t0),
         all[n / 2], all[(long)(n * 0.99)]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: loadgen push|req ADDR FRAMES FRAMESIZE COUNT [THREADS]\n"); return 2; }
  addr = argv[2]; fsize = atol(argv[4]); count = atol(argv[5]);
  FILE *f = fopen(argv[3], "rb");
  if (!f) { perror(argv[3]); return 2; }
  fseek(f, 0, SEEK_END); long len = ftell(f); rewind(f);
  frames = malloc((size_t)len);
  if (fread(frames, 1, (size_t)len, f) != (size_t)len) { perror("read"); return 2; }
  fclose(f);
  nframes = len / fsize;
  if (strcmp(argv[1], "push") == 0) return do_push();
  if (strcmp(argv[1], "req") == 0 && argc >= 7) { threads = atol(argv[6]); return do_req(); }
  fprintf(stderr, "unknown mode %s\n", argv[1]);
  return 2;
}
