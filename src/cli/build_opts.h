/* Options of `songlake build`: flags, the dl.cfg-style config file, and
 * their defaults. Flags override the file. */
#ifndef SONGLAKE_CLI_BUILD_OPTS_H
#define SONGLAKE_CLI_BUILD_OPTS_H

#include "cli/cli_config.h"
#include "core/core.h"
#include "io/io.h"
#include "parquet/parquet.h"

typedef struct build_opts {
    char *songs, *logs, *out, *config;
    char *postgres, *pg_schema; /* build then load into PostgreSQL */
    int threads;
    pq_codec codec;
    uint64_t max_rejects;        /* UINT64_MAX: unlimited */
    uint64_t max_rejects_global; /* MPI: the limit on the sum over ranks */
    size_t row_group_rows;
    bool quiet, progress;
    io_config io;
    cli_strings own; /* strings to free */
} build_opts;

/* Returns -1 when the build should run, 0 after --help, 2 on a usage error
 * (already printed). */
int build_opts_parse(build_opts *o, int argc, char **argv);
void build_opts_free(build_opts *o);
/* Applies one flag (key without --) or [songlake] key of the config file;
 * NULL, "" (unknown key) or what a valid value looks like (cli_apply_fn). */
const char *build_opts_apply(build_opts *o, const char *key, const char *val);
int build_run(build_opts *o);

#endif
