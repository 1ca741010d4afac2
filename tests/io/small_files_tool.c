/* small_files_tool: drives io.h's small-file calls for the tests
 * (tests/io/small_files.mjs against s3rver and versitygw, and locally).
 *   create URI TEXT      io_create_if_absent: prints "created" (exit 0) or
 *                        "exists" (exit 3, as songlake exits on a lost
 *                        version race)
 *   race URI N           forks N processes that create URI at once, each
 *                        with its own text ("writer I"); prints how many
 *                        created and which ("created K winners I,J")
 *   replace URI TEXT     io_put_replace
 *   remove URI           io_remove
 *   probe ROOT           io_check_create_if_absent: "honoured" or the error
 * Errors go to stderr with exit 1. S3 settings come from the environment. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/io.h"

static int usage(void) {
    fprintf(stderr, "usage: small_files_tool create|race|replace|remove|probe ...\n");
    return 2;
}

int main(int argc, char **argv) {
    if (argc < 3) return usage();
    const char *cmd = argv[1], *uri = argv[2];
    io_config cfg = {0};
    sl_err err = {{0}};
    if (!strcmp(cmd, "create") && argc == 4) {
        int rc = io_create_if_absent(uri, &cfg, argv[3], strlen(argv[3]), &err);
        if (rc < 0) return fprintf(stderr, "error: %s\n", err.msg), 1;
        printf("%s\n", rc == IO_CREATED ? "created" : "exists");
        return rc == IO_CREATED ? 0 : 3;
    }
    if (!strcmp(cmd, "race") && argc == 4) {
        int n = atoi(argv[3]), created = 0;
        char winners[256] = "";
        pid_t pids[64];
        if (n < 1 || n > 64) return usage();
        for (int i = 0; i < n; i++) {
            pids[i] = fork();
            if (pids[i] == 0) {
                char text[32];
                snprintf(text, sizeof text, "writer %d", i);
                int rc = io_create_if_absent(uri, &cfg, text, strlen(text), &err);
                if (rc < 0) fprintf(stderr, "error: %s\n", err.msg);
                _exit(rc == IO_CREATED ? 0 : rc == IO_EXISTS ? 3 : 1);
            }
        }
        int bad = 0;
        for (int i = 0; i < n; i++) {
            int st;
            waitpid(pids[i], &st, 0);
            int code = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
            if (code == 0) {
                size_t l = strlen(winners);
                snprintf(winners + l, sizeof winners - l, "%s%d", created++ ? "," : "", i);
            } else if (code != 3)
                bad++;
        }
        printf("created %d winners %s errors %d\n", created, winners, bad);
        return bad ? 1 : 0;
    }
    if (!strcmp(cmd, "replace") && argc == 4) {
        if (io_put_replace(uri, &cfg, argv[3], strlen(argv[3]), &err) < 0)
            return fprintf(stderr, "error: %s\n", err.msg), 1;
        return 0;
    }
    if (!strcmp(cmd, "remove") && argc == 3) {
        if (io_remove(uri, &cfg, &err) < 0) return fprintf(stderr, "error: %s\n", err.msg), 1;
        return 0;
    }
    if (!strcmp(cmd, "probe") && argc == 3) {
        if (io_check_create_if_absent(uri, &cfg, &err) < 0)
            return fprintf(stderr, "%s\n", err.msg), 1;
        printf("honoured\n");
        return 0;
    }
    return usage();
}
