/* Options of `songlake build`: the option table (build_opts.c) fills
 * build/build.h's build_opts; flags override the --config file. */
#ifndef SONGLAKE_CLI_BUILD_OPTS_H
#define SONGLAKE_CLI_BUILD_OPTS_H

#include "build/build.h"
#include "cli/cli_config.h"
#include "core/core.h"
#include "io/io.h"
#include "parquet/parquet.h"

/* build/build.h's build_opts (what build_run takes), the strings it
 * points at, and what only the command line decides. */
typedef struct build_cli_opts {
    build_opts run;
    cli_strings own;    /* strings to free */
    bool dry_run;       /* list what would be read and written, write nothing */
    double mpi_timeout; /* --mpi-timeout seconds; < 0: not given (dist.h's default) */
} build_cli_opts;

/* Returns -1 when the build should run, 0 after --help, 2 on a usage error
 * (already printed). */
int build_opts_parse(build_cli_opts *o, int argc, char **argv);
void build_opts_free(build_cli_opts *o);
/* Applies one option of the table to a build_cli_opts (a cli_apply_fn):
 * NULL or what a valid value looks like. */
struct cli_opt;
const char *build_opts_apply(void *o, const struct cli_opt *opt, const char *val);
/* The summary after a run, secs its whole wall time; and the line an
 * interrupted run prints (cmd_build_summary.c). */
void cli_build_summary(FILE *f, const build_summary *s, const build_opts *o, double secs);
void cli_build_on_interrupt(void);
/* --dry-run: what build_run would read and write (cmd_build_plan.c). */
int build_dry_run(const build_cli_opts *o);

#endif
