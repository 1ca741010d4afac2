/* Options of `songlake build`: flags, the dl.cfg-style config file, and
 * their defaults. Flags override the file. */
#ifndef SONGLAKE_CLI_BUILD_OPTS_H
#define SONGLAKE_CLI_BUILD_OPTS_H

#include "build/build.h"
#include "cli/cli_config.h"
#include "core/core.h"
#include "io/io.h"
#include "parquet/parquet.h"

/* build/build.h's build_opts (what build_run takes) and the strings it
 * points at. */
typedef struct build_cli_opts {
    build_opts run;
    cli_strings own;    /* strings to free */
    double mpi_timeout; /* --mpi-timeout seconds; < 0: not given (dist.h's default) */
} build_cli_opts;

/* Returns -1 when the build should run, 0 after --help, 2 on a usage error
 * (already printed). */
int build_opts_parse(build_cli_opts *o, int argc, char **argv);
void build_opts_free(build_cli_opts *o);
/* Applies one flag (key without --) or [songlake] key of the config file;
 * NULL, "" (unknown key) or what a valid value looks like (cli_apply_fn). */
const char *build_opts_apply(build_cli_opts *o, const char *key, const char *val);

#endif
