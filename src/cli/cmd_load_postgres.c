/* songlake load-postgres: copy a built lake (local or S3) into PostgreSQL in
 * one transaction. Flags and the --config file (the same dl.cfg as build:
 * its build keys are checked with build's table and not used); the work is
 * in sinks/. A DSN may hold a password: nothing here prints one (the
 * option is CLI_SECRET, and a stray argument is named by position only). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/build_opts.h"
#include "cli/cli.h"
#include "cli/cli_config.h"
#include "cli/cli_opts.h"
#include "core/core.h"
#include "lake/lake.h"
#include "sinks/sinks.h"

enum { O_LAKE = 1, O_DSN, O_SCHEMA, O_ADOPT, O_QUIET, O_REPORT };

static const cli_opt OPTS[] = {
    {O_LAKE, "lake", "URI", "out", CLI_URI, NULL, NULL,
     "the lake: a directory or s3://bucket/prefix (the --out of build)"},
    {O_DSN, "dsn", "CONNINFO", "postgres", CLI_SECRET, NULL, NULL,
     "libpq connection string or URI, e.g.\n"
     "'host=localhost port=5432 dbname=sparkify user=etl' or\n"
     "postgresql://etl@localhost/sparkify?sslmode=require;\n"
     "'' uses the PG* environment variables. Give the password\n"
     "with PGPASSWORD or ~/.pgpass rather than on the command line."},
    {O_SCHEMA, "schema", "NAME", "pg_schema", 0, NULL, NULL,
     "target schema (default public; created if missing). Only\n"
     "tables songlake created there are replaced; any other\n"
     "object by a star name, or depending on one, stops the load"},
    {O_ADOPT, "adopt", NULL, NULL, 0, NULL, NULL,
     "also replace star tables without songlake's mark that have\n"
     "exactly songlake's columns (loaded by an older songlake)"},
    {CLI_OPT_CONFIG, "config", "FILE", NULL, 0, NULL, NULL,
     "the dl.cfg-style file of 'songlake build --config': the lake\n"
     "from [songlake] out=, the DSN from postgres=, the schema from\n"
     "pg_schema=, S3 settings and [AWS] credentials as for build;\n"
     "build's other keys are checked and ignored; flags win"},
    {O_QUIET, "quiet", NULL, "quiet", 0, NULL, NULL, "print nothing on success"},
    {O_REPORT, "report", "FILE", NULL, 0, NULL, NULL,
     "after a load, write what it did as JSON to FILE: the lake, the\n"
     "schema, rows per table, seconds (never the DSN)"},
    CLI_LOG_OPTS,
    CLI_S3_READ_OPTS,
};

const cli_cmd CLI_CMD_LOAD_POSTGRES = {
    .name = "load-postgres",
    .summary = "load a built lake into PostgreSQL in one transaction",
    .synopsis = "--lake URI --dsn CONNINFO [--schema NAME] | --config FILE [options]",
    .description = "Loads the five tables of a lake built by 'songlake build' into PostgreSQL,\n"
                   "replacing the previous star in one transaction (all tables or nothing).",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .hide_args = true,
    .footer = "Progress and the summary go to stdout (a closed pipe does not stop a load:\n"
              "songlake ignores SIGPIPE); errors to stderr, one line, never with a password.\n"
              "Exit status: 0 when the star is replaced; 1 when the load failed (PostgreSQL\n"
              "is unchanged); 2 on a usage error.",
};

/* The settings of a run: flags over the --config file. */
typedef struct lp_opts {
    const char *lake, *dsn, *schema, *report;
    bool quiet, adopt;
    io_config io;
    cli_strings own;
} lp_opts;

static const char *apply(void *ctx, const cli_opt *opt, const char *val) {
    lp_opts *o = ctx;
    switch (opt->id) {
    case O_LAKE: o->lake = cli_own(&o->own, val); break;
    case O_DSN: o->dsn = cli_own(&o->own, val); break;
    case O_SCHEMA:
        if (!*val) return "a schema name";
        o->schema = cli_own(&o->own, val);
        break;
    case O_QUIET: o->quiet = !strcmp(val, "true"); break;
    case O_ADOPT: o->adopt = !strcmp(val, "true"); break;
    case O_REPORT:
        if (!*val) return "a file name";
        o->report = cli_own(&o->own, val);
        break;
    case CLI_OPT_CONFIG: break;
    case CLI_OPT_LOG: return cli_apply_log(opt->name, val);
    default: return cli_apply_s3(&o->io, &o->own, opt->name, val);
    }
    return NULL;
}

/* --report: the load's numbers as JSON (written after the commit). */
static int write_report(const char *path, const char *lake, const char *schema,
                        const sink_pg_stats *st, sl_err *err) {
    sl_buf b = {0};
    sl_buf_printf(&b,
                  "{\"tool\":\"songlake\",\"version\":\"%s\",\"command\":\"load-postgres\","
                  "\"lake\":",
                  SONGLAKE_VERSION);
    sl_buf_json_str(&b, lake, strlen(lake));
    sl_buf_printf(&b, ",\"schema\":");
    sl_buf_json_str(&b, schema, strlen(schema));
    sl_buf_printf(&b, ",\"tables\":{");
    for (int t = 0; t < LAKE_NTABLES; t++)
        sl_buf_printf(&b, "%s\"%s\":{\"rows\":%llu}", t ? "," : "", lake_table_name(t),
                      (unsigned long long)st->rows[t]);
    sl_buf_printf(&b, "},\"total_rows\":%llu,\"seconds\":%.3f}\n",
                  (unsigned long long)st->total_rows, st->seconds);
    FILE *f = fopen(path, "w");
    int rc = 0;
    if (!f || fwrite(b.data, 1, b.len, f) != b.len) rc = sl_err_set(err, "%s", strerror(errno));
    if (f && fclose(f) != 0 && rc == 0) rc = sl_err_set(err, "%s", strerror(errno));
    sl_buf_free(&b);
    return rc;
}

int cmd_load_postgres(int argc, char **argv) {
    const cli_cmd *c = &CLI_CMD_LOAD_POSTGRES;
    lp_opts o;
    memset(&o, 0, sizeof o);
    build_cli_opts scratch; /* build's keys of a shared dl.cfg: checked, not used */
    memset(&scratch, 0, sizeof scratch);
    cli_parse_spec s = {.cmd = c,
                        .apply = apply,
                        .ctx = &o,
                        .io = &o.io,
                        .own = &o.own,
                        .also = &CLI_CMD_BUILD,
                        .also_apply = build_opts_apply,
                        .also_ctx = &scratch};
    int rc = cli_parse(&s, argc, argv, NULL);
    build_opts_free(&scratch);
    if (rc < 0 && (!o.lake || !*o.lake))
        rc = cli_usage_error(c, "--lake URI is required (the --out of songlake build, or out= in "
                                "[songlake] of --config)");
    if (rc < 0 && !o.dsn)
        rc = cli_usage_error(c, "--dsn CONNINFO is required ('' for the PG* environment, or "
                                "postgres= in [songlake] of --config)");
    if (rc < 0) {
        sl_err err = {{0}};
        sink_pg_stats st = {0};
        const char *schema = o.schema ? o.schema : "public";
        rc = 0;
        sink_pg_options po = {.adopt = o.adopt};
        if (sink_pg_load_opts(o.lake, o.dsn, schema, &po, &o.io, o.quiet ? NULL : stdout, &st,
                              &err) < 0)
            rc = cli_run_error(c, "%s", err.msg);
        else if (o.report && write_report(o.report, o.lake, schema, &st, &err) < 0)
            rc = cli_run_error(c, "--report %s: %s (the load is committed)", o.report, err.msg);
    }
    cli_strings_free(&o.own);
    return rc;
}
