/* The options of `songlake build`: one table (flags, [songlake] keys of
 * the --config file, help and man page), its defaults, and the bundled
 * sample as the default input. Flags override the file. */
#include "cli/build_opts.h"

#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"

enum {
    O_SONGS = 1,
    O_LOGS,
    O_OUT,
    O_THREADS,
    O_COMPRESSION,
    O_FORMAT,
    O_MAX_REJECTS,
    O_MAX_REJECT_RATE,
    O_ROW_GROUP_ROWS,
    O_QUIET,
    O_NO_SYNC,
    O_MPI_TIMEOUT,
    O_DRY_RUN,
    O_POSTGRES,
    O_PG_SCHEMA
};

static const cli_opt OPTS[] = {
    {O_SONGS, "songs", "URI", "songs", CLI_URI, NULL,
     "inputs and output (a local path, a glob, or s3://bucket/prefix; s3a:// and s3n:// too)",
     "song files (default: the bundled sample's song_data)"},
    {O_LOGS, "logs", "URI", "logs", CLI_URI, NULL, NULL,
     "event logs (default: the bundled sample's log_data)"},
    {O_OUT, "out", "URI", "out", CLI_URI, NULL, NULL, "output root of the lake (default: ./lake)"},
    {CLI_OPT_CONFIG, "config", "FILE", NULL, 0, NULL, NULL,
     "dl.cfg-style INI file: [AWS] keys as in the original job and\n"
     "[songlake] keys (listed below); flags win over the file"},
    {O_DRY_RUN, "dry-run", NULL, NULL, 0, NULL, NULL,
     "list what would be read (files and bytes per source) and where\n"
     "each table would go; write nothing"},
    {O_THREADS, "threads", "N", "threads", 0, NULL, "processing",
     "worker threads (default: number of cores)"},
    {O_COMPRESSION, "compression", "CODEC", "compression", 0, "snappy zstd gzip none", NULL,
     "snappy (default, as Spark), zstd, gzip or none"},
    {O_FORMAT, "format", "F", "format", 0, "parquet delta", NULL,
     "parquet (default: plain Parquet tables) or delta (each table\n"
     "also a Delta Lake table; `songlake vacuum` removes old files)"},
    {O_MAX_REJECTS, "max-rejects", "N", "max_rejects", 0, NULL, NULL,
     "fail the run when more than N records are rejected\n"
     "(default: unlimited; rejects go to <out>/_songlake/rejects.jsonl)"},
    {O_MAX_REJECT_RATE, "max-reject-rate", "R", "max_reject_rate", 0, NULL, NULL,
     "fail the run, publishing nothing, when a source rejects more\n"
     "than this share of its records (default 0.05; 1 = off); a\n"
     "source with records and none accepted always fails; the\n"
     "rejects of a failed run go to <out>/_songlake/failed/<run>/"},
    {O_ROW_GROUP_ROWS, "row-group-rows", "N", "row_group_rows", 0, NULL, NULL,
     "rows per Parquet row group (default 1048576)"},
    {O_MPI_TIMEOUT, "mpi-timeout", "SECONDS", "mpi_timeout", 0, NULL, NULL,
     "under mpirun/srun: a rank not heard from this long is lost\n"
     "and ends the job (default 25, or SONGLAKE_MPI_TIMEOUT; 0 = off)"},
    {O_NO_SYNC, "no-sync", NULL, "sync", CLI_CFG_NEG, NULL, NULL,
     "local output: publish without syncfs/fsync (faster; a killed\n"
     "run still leaves the previous lake, a power loss may not)"},
    {O_QUIET, "quiet", NULL, "quiet", 0, NULL, "output", "no progress line and no summary"},
    CLI_LOG_OPTS,
    CLI_S3_READ_OPTS,
    CLI_S3_WRITE_OPTS,
    {O_POSTGRES, "postgres", "CONNINFO", "postgres", CLI_SECRET, NULL, "PostgreSQL",
     "after publishing, load the star into PostgreSQL"},
    {O_PG_SCHEMA, "pg-schema", "NAME", "pg_schema", 0, NULL, NULL,
     "schema to load into (default: public)"},
};

const cli_cmd CLI_CMD_BUILD = {
    .name = "build",
    .summary = "read song files and event logs, publish the five tables\n"
               "(songplays, users, songs, artists, time) as partitioned Parquet",
    .synopsis = "[options]",
    .description = "Reads Sparkify song files and event logs and publishes the star schema\n"
                   "(songplays, users, songs, artists, time) as partitioned Parquet.\n"
                   "With no options it runs on the sample bundled with songlake and writes "
                   "./lake.",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .footer = "The summary (tables, inputs, match rate) goes to stdout, the progress line\n"
              "and errors to stderr; <out>/_songlake/report.json holds all of it.\n"
              "Exit status: 0 on success; 1 when the run failed (the previous lake is left\n"
              "as it was); 2 on a usage error.",
};

static char *own(build_cli_opts *c, const char *s) {
    return cli_own(&c->own, s);
}

void build_opts_free(build_cli_opts *c) {
    cli_strings_free(&c->own);
}

static bool parse_u64(const char *s, uint64_t *out) {
    if (!s || !*s || *s == '-') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) return false;
    *out = v;
    return true;
}

const char *build_opts_apply(void *ctx, const cli_opt *opt, const char *val) {
    build_cli_opts *c = ctx;
    build_opts *o = &c->run;
    uint64_t n;
    bool on = !strcmp(val, "true");
    switch (opt->id) {
    case O_SONGS: o->songs = own(c, val); break;
    case O_LOGS: o->logs = own(c, val); break;
    case O_OUT: o->out = own(c, val); break;
    case CLI_OPT_CONFIG: o->config = own(c, val); break;
    case O_THREADS:
        if (!parse_u64(val, &n) || n < 1 || n > 1024) return "a number of threads from 1 to 1024";
        o->threads = (int)n;
        break;
    case O_COMPRESSION: {
        int c = pq_codec_parse(val);
        if (c < 0) return "one of snappy, zstd, gzip, none";
        o->codec = (pq_codec)c;
        break;
    }
    case O_MAX_REJECTS:
        if (!parse_u64(val, &n)) return "a non-negative integer";
        o->max_rejects = n;
        break;
    case O_MAX_REJECT_RATE: {
        char *end;
        double r = strtod(val, &end);
        if (!*val || *end || !(r >= 0 && r <= 1)) return "a share from 0 to 1 (0.05 = 5%; 1 = off)";
        o->max_reject_rate =
            r > 0 ? r : 1e-300; /* 0: any reject fails (0 in the struct = default) */
        break;
    }
    case O_FORMAT:
        if (strcmp(val, "parquet") && strcmp(val, "delta")) return "parquet or delta";
        o->delta = !strcmp(val, "delta");
        break;
    case O_MPI_TIMEOUT: {
        char *end;
        double v = strtod(val, &end);
        if (!*val || *end || !(v >= 0 && v <= 86400))
            return "seconds from 0 (no watchdog) to 86400";
        c->mpi_timeout = v;
        break;
    }
    case O_ROW_GROUP_ROWS:
        if (!parse_u64(val, &n) || n < 1) return "a positive integer";
        o->row_group_rows = (size_t)n;
        break;
    case O_QUIET: o->quiet = on; break;
    case O_NO_SYNC: o->io.no_sync = on; break;
    case O_DRY_RUN: c->dry_run = on; break;
    case O_POSTGRES: o->postgres = own(c, val); break;
    case O_PG_SCHEMA:
        if (!*val) return "a schema name";
        o->pg_schema = own(c, val);
        break;
    case CLI_OPT_LOG: return cli_apply_log(opt->name, val);
    default: return cli_apply_s3(&o->io, &c->own, opt->name, val);
    }
    return NULL;
}

/* ---- the bundled sample ---------------------------------------------- */
static bool is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

char *cli_sample_dir(char *looked, size_t looked_len) {
    const char *env = getenv("SONGLAKE_DATA_DIR");
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *cand[3] = {0};
    int nc = 0;
    if (env && *env) cand[nc++] = sl_sprintf("%s/sparkify-sample", env);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        cand[nc++] = sl_sprintf("%s/../share/songlake/sparkify-sample", exe);
        cand[nc++] = sl_sprintf("%s/share/songlake/sparkify-sample", exe);
    }
    char *found = NULL;
    if (looked && looked_len) looked[0] = 0;
    for (int i = 0; i < nc; i++) {
        if (!found && is_dir(cand[i])) {
            found = realpath(cand[i], NULL);
            if (!found) found = sl_strdup(cand[i]);
        }
        if (looked && looked_len) {
            size_t l = strlen(looked);
            snprintf(looked + l, looked_len - l, "%s%s", l ? ", " : "", cand[i]);
        }
        free(cand[i]);
    }
    return found;
}

/* The bundled sample, found next to the binary (cli_sample_dir), never
 * through a path compiled in. */
static int default_inputs(build_cli_opts *c) {
    build_opts *o = &c->run;
    if (o->songs && o->logs) return 0;
    char looked[2048];
    char *dir = cli_sample_dir(looked, sizeof looked);
    if (!dir)
        return cli_usage_error(&CLI_CMD_BUILD,
                               "no --songs/--logs given and no bundled sample found (looked in "
                               "%s); give --songs and --logs, or set SONGLAKE_DATA_DIR",
                               looked);
    char *p;
    if (!o->songs) o->songs = own(c, p = sl_sprintf("%s/song_data", dir)), free(p);
    if (!o->logs) o->logs = own(c, p = sl_sprintf("%s/log_data", dir)), free(p);
    free(dir);
    return 0;
}

int build_opts_parse(build_cli_opts *c, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    build_opts *o = &c->run;
    o->codec = PQ_CODEC_SNAPPY;
    o->max_rejects = UINT64_MAX;
    c->mpi_timeout = -1;
    o->threads = sl_cpu_count();
    cli_parse_spec s = {
        .cmd = &CLI_CMD_BUILD, .apply = build_opts_apply, .ctx = c, .io = &o->io, .own = &c->own};
    int rc = cli_parse(&s, argc, argv, NULL);
    if (rc < 0 && default_inputs(c)) rc = 2;
    if (rc >= 0) {
        build_opts_free(c);
        return rc;
    }
    if (!o->out) o->out = own(c, "lake");
    o->progress = !o->quiet && isatty(2);
    return -1;
}
