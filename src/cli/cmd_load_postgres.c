/* songlake load-postgres: copy a built lake (local or S3) into PostgreSQL in
 * one transaction. Flags and the --config file (the same dl.cfg as build,
 * read by cli_config.c); the work is in sinks/. A DSN may hold a password:
 * nothing here prints one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/build_opts.h"
#include "cli/cli.h"
#include "cli/cli_config.h"
#include "core/core.h"
#include "sinks/sinks.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: songlake load-postgres --lake URI --dsn CONNINFO [--schema NAME] [--adopt]\n"
            "       songlake load-postgres --config FILE [options]\n"
            "\n"
            "Loads the five tables of a lake built by 'songlake build' into PostgreSQL,\n"
            "replacing the previous star in one transaction (all tables or nothing).\n"
            "\n"
            "  --lake URI       the lake: a directory or s3://bucket/prefix (the --out of build)\n"
            "  --dsn CONNINFO   libpq connection string or URI, e.g.\n"
            "                   'host=localhost port=5432 dbname=sparkify user=etl' or\n"
            "                   postgresql://etl@localhost/sparkify?sslmode=require;\n"
            "                   '' uses the PG* environment variables. Give the password\n"
            "                   with PGPASSWORD or ~/.pgpass rather than on the command line.\n"
            "  --schema NAME    target schema (default public; created if missing). Only\n"
            "                   tables songlake created there are replaced; any other\n"
            "                   object by a star name, or depending on one, stops the load\n"
            "  --adopt          also replace star tables without songlake's mark that have\n"
            "                   exactly songlake's columns (loaded by an older songlake)\n"
            "  --config FILE    the dl.cfg-style file of 'songlake build --config': the lake\n"
            "                   from [songlake] out=, the DSN from postgres=, the schema from\n"
            "                   pg_schema=, S3 settings and [AWS] credentials as for build;\n"
            "                   build's other keys are checked and ignored; flags win\n"
            "  --help           this text\n"
            "\n"
            "A lake on S3 (credentials: environment, --config [AWS], ~/.aws with AWS_PROFILE,\n"
            "or instance metadata, as for build; never put secrets on the command line):\n"
            "  --endpoint-url URL   S3-compatible endpoint (also AWS_ENDPOINT_URL)\n"
            "  --region R           AWS region (also AWS_REGION)\n"
            "  --profile P          profile of ~/.aws/credentials (also AWS_PROFILE)\n"
            "  --no-sign-request    anonymous requests, for public buckets\n"
            "  --s3-timeout SECONDS    a request stalled this long is retried (default 30)\n"
            "  --s3-max-attempts N     attempts per request, 1 = no retries (default 8)\n"
            "  --s3-max-retry-seconds SECONDS  stop retrying a request after this (default 120)\n"
            "  --s3-max-connections N  S3 requests in flight (default 64)\n");
}

/* --name value or --name=value; returns the value or NULL (after a usage
 * error). *i is advanced past a separate value. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, bool *bad) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != 0) return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "songlake load-postgres: error: %s needs a value\n", name);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

/* The settings of a run: flags over the --config file. */
typedef struct lp_opts {
    const char *lake, *dsn, *schema;
    bool adopt;
    io_config io;
    cli_strings own;
} lp_opts;

/* [songlake] keys: out= (the lake), postgres= (the DSN), pg_schema= and the
 * S3 settings; build's other keys are checked as build checks them (one
 * file drives both commands) and not used here. */
static const char *apply_file(void *ctx, const char *key, const char *val) {
    lp_opts *o = ctx;
    if (!strcmp(key, "out"))
        o->lake = cli_own(&o->own, val);
    else if (!strcmp(key, "postgres"))
        o->dsn = cli_own(&o->own, val);
    else if (!strcmp(key, "pg_schema") || !strcmp(key, "pg-schema"))
        o->schema = cli_own(&o->own, val);
    else {
        const char *why = cli_apply_s3(&o->io, &o->own, key, val);
        if (!why || *why) return why;
        build_cli_opts scratch;
        memset(&scratch, 0, sizeof scratch);
        why = build_opts_apply(&scratch, key, val);
        build_opts_free(&scratch);
        return why;
    }
    return NULL;
}

/* The S3 flags load-postgres takes (those that matter for reading). */
static const char *const S3_FLAGS[] = {"--endpoint-url",      "--region",
                                       "--profile",           "--s3-timeout",
                                       "--s3-max-attempts",   "--s3-max-retry-seconds",
                                       "--s3-max-connections"};

/* Returns -1 to run, else the exit status (after --help or a usage error). */
static int parse(lp_opts *o, int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
    const char *cfg;
    if (cli_find_config(argc, argv, &cfg)) return 2;
    if (cfg && cli_config_load(cfg, "load-postgres", &o->io, &o->own, apply_file, o)) return 2;
    for (int i = 1; i < argc; i++) {
        bool bad = false, s3 = false;
        const char *v;
        if ((v = flag_value(argc, argv, &i, "--lake", &bad)))
            o->lake = v;
        else if ((v = flag_value(argc, argv, &i, "--dsn", &bad)))
            o->dsn = v;
        else if ((v = flag_value(argc, argv, &i, "--schema", &bad)))
            o->schema = v;
        else if (flag_value(argc, argv, &i, "--config", &bad))
            continue; /* read first */
        else if (!strcmp(argv[i], "--no-sign-request"))
            o->io.no_sign_request = true;
        else if (!strcmp(argv[i], "--adopt"))
            o->adopt = true;
        else {
            for (size_t k = 0; !s3 && !bad && k < sizeof S3_FLAGS / sizeof S3_FLAGS[0]; k++) {
                if (!(v = flag_value(argc, argv, &i, S3_FLAGS[k], &bad))) continue;
                s3 = true;
                const char *why = cli_apply_s3(&o->io, &o->own, S3_FLAGS[k] + 2, v);
                if (why) {
                    fprintf(stderr, "songlake load-postgres: error: %s '%s': expected %s\n",
                            S3_FLAGS[k], v, why);
                    return 2;
                }
            }
            if (bad) return 2;
            if (!s3) {
                /* never echo a value: it may hold a password; an option's
                 * name (before any '=') is safe */
                if (!strncmp(argv[i], "--", 2))
                    fprintf(stderr,
                            "songlake load-postgres: error: unknown option '%.*s' (see "
                            "songlake load-postgres --help)\n",
                            (int)strcspn(argv[i], "="), argv[i]);
                else
                    fprintf(stderr,
                            "songlake load-postgres: error: unexpected argument %d (options "
                            "start with --; see --help)\n",
                            i);
                return 2;
            }
        }
        if (bad) return 2;
    }
    if (!o->lake || !*o->lake) {
        fprintf(stderr, "songlake load-postgres: error: --lake URI is required (the --out of "
                        "songlake build, or out= in [songlake] of --config)\n");
        return 2;
    }
    if (!o->dsn) {
        fprintf(stderr, "songlake load-postgres: error: --dsn CONNINFO is required ('' for the PG* "
                        "environment, or postgres= in [songlake] of --config)\n");
        return 2;
    }
    if (!o->schema) o->schema = "public";
    if (!*o->schema) {
        fprintf(stderr, "songlake load-postgres: error: --schema needs a name\n");
        return 2;
    }
    return -1;
}

int cmd_load_postgres(int argc, char **argv) {
    lp_opts o;
    memset(&o, 0, sizeof o);
    int rc = parse(&o, argc, argv);
    if (rc < 0) {
        sl_err err = {{0}};
        rc = 0;
        sink_pg_options po = {.adopt = o.adopt};
        if (sink_pg_load_opts(o.lake, o.dsn, o.schema, &po, &o.io, stdout, NULL, &err) < 0) {
            fprintf(stderr, "songlake: error: %s\n", err.msg);
            rc = 1;
        }
    }
    cli_strings_free(&o.own);
    return rc;
}
