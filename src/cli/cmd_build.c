/* songlake build: flags and config file (build_opts.c), then the run
 * (build/, which owns it) or --dry-run's plan (cmd_build_plan.c), and the
 * outcome as an exit status and one line. */
#include "build/build.h"
#include "cli/build_opts.h"
#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "dist/dist.h"

#include <string.h>

int cmd_build(int argc, char **argv) {
    build_cli_opts o;
    int rc = build_opts_parse(&o, argc, argv);
    if (rc >= 0) return rc; /* --help (0) or a usage error (2) */
    if (o.mpi_timeout >= 0) dist_set_timeout(o.mpi_timeout);
    if (o.dry_run)
        rc = build_dry_run(&o);
    else {
        sl_err err = {{0}};
        build_summary sum;
        memset(&sum, 0, sizeof sum);
        double t0 = sl_now();
        cli_build_on_interrupt();
        rc = build_run(&o.run, &sum, &err);
        /* refused before writing: usage; another Delta writer first: 3 */
        rc = rc == BUILD_REFUSED ? 2 : rc == BUILD_CONFLICT ? 3 : rc < 0 ? 1 : 0;
        if (rc && err.msg[0]) cli_run_error(&CLI_CMD_BUILD, "%s", err.msg);
        if (!rc && !o.run.quiet && sum.rank == 0)
            cli_build_summary(stdout, &sum, &o.run, sl_now() - t0);
    }
    build_opts_free(&o);
    return rc;
}
