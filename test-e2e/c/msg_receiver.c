/*
 * C receiver for the e2e suite: binds a PULL socket like the C manager's lease monitor and writes
 * each message it receives, as is, to DIR/msg-N.bin, printing "N SIZE" per message. It checks the
 * size exactly as the C manager does (a message that is not sizeof(PLUGIN_MSG) is reported).
 *   usage: msg_receiver ADDR DIR COUNT TIMEOUT_MS
 * Exit 0 when COUNT messages arrived, 1 on timeout or socket error, 2 bad usage.
 */
#include <nanomsg/nn.h>
#include <nanomsg/pipeline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugin_msg.h"

int main(int argc, char **argv) {
    if (argc != 5) { fprintf(stderr, "usage: %s ADDR DIR COUNT TIMEOUT_MS\n", argv[0]); return 2; }
    int want = atoi(argv[3]), timeout = atoi(argv[4]);
    int s = nn_socket(AF_SP, NN_PULL);
    if (s < 0 || nn_bind(s, argv[1]) < 0) { fprintf(stderr, "bind %s: %s\n", argv[1], nn_strerror(nn_errno())); return 1; }
    nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVTIMEO, &timeout, sizeof timeout);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < want; i++) {
        void *buf = NULL;
        int n = nn_recv(s, &buf, NN_MSG, 0);
        if (n < 0) { fprintf(stderr, "recv: %s\n", nn_strerror(nn_errno())); nn_close(s); return 1; }
        char path[4096];
        snprintf(path, sizeof path, "%s/msg-%d.bin", argv[2], i);
        FILE *fp = fopen(path, "wb");
        if (!fp || fwrite(buf, 1, (size_t)n, fp) != (size_t)n) { perror(path); return 1; }
        fclose(fp);
        printf("%d %d%s\n", i, n, n == (int)sizeof(struct e2e_plugin_msg) ? "" : " BAD_SIZE");
        fflush(stdout);
        nn_freemsg(buf);
    }
    nn_close(s);
    return 0;
}
