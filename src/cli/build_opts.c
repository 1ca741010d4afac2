/* Flag and config-file parsing for `songlake build`. Every error names what
 * is wrong and how to fix it, in one line; config errors also name the file,
 * line and key. */
#include "cli/build_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SONGLAKE_SOURCE_DIR
#define SONGLAKE_SOURCE_DIR "."
#endif

static const char USAGE[] =
    "usage: songlake build [options]\n"
    "\n"
    "Reads Sparkify song files and event logs and publishes the star schema\n"
    "(songplays, users, songs, artists, time) as partitioned Parquet.\n"
    "With no options it runs on the sample bundled with songlake and writes ./lake.\n"
    "\n"
    "inputs and output (a local path, a glob, or s3://bucket/prefix):\n"
    "  --songs URI          song files (default: the bundled sample's song_data)\n"
    "  --logs URI           event logs (default: the bundled sample's log_data)\n"
    "  --out URI            output root of the lake (default: ./lake)\n"
    "  --config FILE        dl.cfg-style INI file: [AWS] keys as in the original job,\n"
    "                       [songlake] songs= logs= out= threads= compression=\n"
    "                       max_rejects= max_reject_rate= row_group_rows= quiet= sync= "
    "endpoint_url= region=\n"
    "                       profile= s3_max_connections= s3_timeout= s3_max_attempts=\n"
    "                       s3_max_retry_seconds= s3_part_size= s3_multipart_threshold=\n"
    "                       postgres= pg_schema= format=; flags win over the file\n"
    "\n"
    "processing:\n"
    "  --threads N          worker threads (default: number of cores)\n"
    "  --compression C      snappy (default, as Spark), zstd, gzip or none\n"
    "  --format F           parquet (default: plain Parquet tables) or delta (each table\n"
    "                       also a Delta Lake table; `songlake vacuum` removes old files)\n"
    "  --max-rejects N      fail the run when more than N records are rejected\n"
    "                       (default: unlimited; rejects go to <out>/_songlake/rejects.jsonl)\n"
    "  --max-reject-rate R  fail the run, publishing nothing, when a source rejects more\n"
    "                       than this share of its records (default 0.05; 1 = off); a\n"
    "                       source with records and none accepted always fails; the\n"
    "                       rejects of a failed run go to <out>/_songlake/failed/<run>/\n"
    "  --row-group-rows N   rows per Parquet row group (default 1048576)\n"
    "  --quiet              no progress line and no summary\n"
    "  --no-sync            local output: publish without syncfs/fsync (faster; a killed\n"
    "                       run still leaves the previous lake, a power loss may not)\n"
    "\n"
    "S3 (credentials: environment, --config [AWS], ~/.aws with AWS_PROFILE, or\n"
    "instance metadata; never put secrets on the command line):\n"
    "  --endpoint-url URL   S3-compatible endpoint (also AWS_ENDPOINT_URL)\n"
    "  --region R           AWS region (also AWS_REGION)\n"
    "  --profile P          profile of ~/.aws/credentials (also AWS_PROFILE)\n"
    "  --no-sign-request    anonymous requests, for public buckets\n"
    "  --s3-max-connections N  S3 requests in flight (default 64)\n"
    "  --s3-timeout SECONDS    a request stalled this long is retried (default 30)\n"
    "  --s3-max-attempts N     attempts per request, 1 = no retries (default 8)\n"
    "  --s3-max-retry-seconds SECONDS  stop retrying a request after this (default 120)\n"
    "  --s3-part-size BYTES    multipart upload part size, 5MiB..5GiB (default 8MiB)\n"
    "  --s3-multipart-threshold BYTES  files from this size are uploaded in parts\n"
    "                       (default 16MiB); sizes take B, KB, MB, GB, KiB, MiB, GiB\n"
    "\n"
    "PostgreSQL:\n"
    "  --postgres CONNINFO  after publishing, load the star into PostgreSQL\n"
    "  --pg-schema NAME     schema to load into (default: public)\n"
    "\n"
    "Exit status: 0 on success; 1 when the run failed (the previous lake is left\n"
    "as it was); 2 on a usage error; 3 when another writer committed a Delta\n"
    "version first (--format delta; nothing more is committed).\n";

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

/* NULL with *out set, or what a valid value looks like */
static const char *parse_bool(const char *s, bool *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "0"))
        *out = false;
    else
        return "true or false";
    return NULL;
}

const char *build_opts_apply(build_cli_opts *c, const char *key, const char *val) {
    build_opts *o = &c->run;
    uint64_t n;
    if (!strcmp(key, "songs"))
        o->songs = own(c, val);
    else if (!strcmp(key, "logs"))
        o->logs = own(c, val);
    else if (!strcmp(key, "out"))
        o->out = own(c, val);
    else if (!strcmp(key, "threads")) {
        if (!parse_u64(val, &n) || n < 1 || n > 1024) return "a number of threads from 1 to 1024";
        o->threads = (int)n;
    } else if (!strcmp(key, "compression")) {
        int c = pq_codec_parse(val);
        if (c < 0) return "one of snappy, zstd, gzip, none";
        o->codec = (pq_codec)c;
    } else if (!strcmp(key, "max_rejects") || !strcmp(key, "max-rejects")) {
        if (!parse_u64(val, &n)) return "a non-negative integer";
        o->max_rejects = n;
    } else if (!strcmp(key, "max_reject_rate") || !strcmp(key, "max-reject-rate")) {
        char *end;
        double r = strtod(val, &end);
        if (!*val || *end || !(r >= 0 && r <= 1)) return "a share from 0 to 1 (0.05 = 5%; 1 = off)";
        o->max_reject_rate =
            r > 0 ? r : 1e-300; /* 0: any reject fails (0 in the struct = default) */
    } else if (!strcmp(key, "row_group_rows") || !strcmp(key, "row-group-rows")) {
        if (!parse_u64(val, &n) || n < 1) return "a positive integer";
        o->row_group_rows = (size_t)n;
    } else if (!strcmp(key, "format")) {
        if (strcmp(val, "parquet") && strcmp(val, "delta")) return "parquet or delta";
        o->delta = !strcmp(val, "delta");
    } else if (!strcmp(key, "postgres"))
        o->postgres = own(c, val);
    else if (!strcmp(key, "pg_schema") || !strcmp(key, "pg-schema"))
        o->pg_schema = own(c, val);
    else if (!strcmp(key, "quiet"))
        return parse_bool(val, &o->quiet);
    else if (!strcmp(key, "sync")) {
        bool sync = true;
        const char *why = parse_bool(val, &sync);
        o->io.no_sync = !sync;
        return why;
    } else
        return cli_apply_s3(&o->io, &c->own, key, val);
    return NULL;
}

static const char *apply_cb(void *o, const char *key, const char *val) {
    return build_opts_apply(o, key, val);
}

/* ---- flags ----------------------------------------------------------- */
static char *default_input(build_cli_opts *c, const char *sub) {
    char *p = sl_sprintf("%s/data/sparkify-sample/%s", SONGLAKE_SOURCE_DIR, sub);
    struct stat st;
    if (stat(p, &st) != 0) {
        free(p);
        p = sl_sprintf("data/sparkify-sample/%s", sub);
    }
    char *r = own(c, p);
    free(p);
    return r;
}

int build_opts_parse(build_cli_opts *c, int argc, char **argv) {
    memset(c, 0, sizeof *c);
    build_opts *o = &c->run;
    o->codec = PQ_CODEC_SNAPPY;
    o->max_rejects = UINT64_MAX;
    o->threads = sl_cpu_count();
    /* first pass: --help and --config, so flags can override the file */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
    }
    const char *cfg;
    if (cli_find_config(argc, argv, &cfg)) return 2;
    if (cfg) {
        o->config = own(c, cfg);
        int rc = cli_config_load(cfg, "build", &o->io, &c->own, apply_cb, c);
        if (rc) {
            build_opts_free(c);
            return rc;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr,
                    "songlake: error: unexpected argument '%s' (options start with --; see "
                    "songlake build --help)\n",
                    a);
            goto usage_err;
        }
        const char *name = a + 2, *val = NULL;
        char key[64];
        const char *eq = strchr(name, '=');
        size_t kl = eq ? (size_t)(eq - name) : strlen(name);
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, name, kl);
        key[kl] = 0;
        if (!strcmp(key, "quiet")) {
            o->quiet = true;
            continue;
        }
        if (!strcmp(key, "no-sign-request")) {
            o->io.no_sign_request = true;
            continue;
        }
        if (!strcmp(key, "no-sync")) {
            o->io.no_sync = true;
            continue;
        }
        static const char *const VALUED[] = {"songs",
                                             "logs",
                                             "out",
                                             "config",
                                             "threads",
                                             "compression",
                                             "format",
                                             "max-rejects",
                                             "max-reject-rate",
                                             "row-group-rows",
                                             "endpoint-url",
                                             "region",
                                             "profile",
                                             "s3-max-connections",
                                             "s3-timeout",
                                             "s3-max-attempts",
                                             "s3-max-retry-seconds",
                                             "s3-part-size",
                                             "s3-multipart-threshold",
                                             "postgres",
                                             "pg-schema"};
        bool known = false;
        for (size_t k = 0; k < sizeof VALUED / sizeof VALUED[0]; k++)
            if (!strcmp(key, VALUED[k])) known = true;
        if (!known) {
            fprintf(stderr, "songlake: error: unknown option '--%s' (see songlake build --help)\n",
                    key);
            goto usage_err;
        }
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else {
            fprintf(stderr, "songlake: error: --%s needs a value (see songlake build --help)\n",
                    key);
            goto usage_err;
        }
        if (!strcmp(key, "config")) continue; /* done in the first pass */
        const char *why = build_opts_apply(c, key, val);
        if (why) {
            fprintf(stderr, "songlake: error: --%s '%s': expected %s\n", key, val, why);
            goto usage_err;
        }
    }
    if (!o->songs) o->songs = default_input(c, "song_data");
    if (!o->logs) o->logs = default_input(c, "log_data");
    if (!o->out) o->out = own(c, "lake");
    o->progress = !o->quiet && isatty(2);
    return -1;
usage_err:
    build_opts_free(c);
    return 2;
}
