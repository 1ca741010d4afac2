/* songlake build: flags and config file (build_opts.c), then the run
 * (build/, which owns it), and its outcome as an exit status. */
#include "build/build.h"
#include "cli/build_opts.h"
#include "cli/cli.h"

int cmd_build(int argc, char **argv) {
    build_cli_opts o;
    int rc = build_opts_parse(&o, argc, argv);
    if (rc >= 0) return rc; /* --help (0) or a usage error (2) */
    sl_err err = {{0}};
    rc = build_run(&o.run, NULL, &err);
    rc = rc == BUILD_REFUSED ? 2 : rc == BUILD_CONFLICT ? 3 : rc < 0 ? 1 : 0;
    if (rc && err.msg[0]) fprintf(stderr, "songlake: error: %s\n", err.msg);
    build_opts_free(&o);
    return rc;
}
