/* libFuzzer target for the dl.cfg-style config file of `songlake build`
 * (build_opts.c over inih): any bytes must give either a parsed set of
 * options or a one-line usage error, never a crash, a leak or UB. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cli/build_opts.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/songlake-fuzz-config-%d.cfg", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    /* usage errors go to stderr: silence them, but only around the call so
     * libFuzzer's own reports stay visible */
    fflush(stderr);
    int saved = dup(2), null = open("/dev/null", O_WRONLY);
    dup2(null, 2);
    char *argv[] = {"build", "--config", path, NULL};
    build_cli_opts o;
    int rc = build_opts_parse(&o, 3, argv);
    if (rc < 0) build_opts_free(&o);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    close(null);
    return 0;
}
