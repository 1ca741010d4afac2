/* songlake load-postgres: copy a built lake (local or S3) into PostgreSQL in
 * one transaction. Flag parsing and the summary; the work is in sinks/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"
#include "sinks/sinks.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: songlake load-postgres --lake URI --dsn CONNINFO [--schema NAME]\n"
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
            "  --schema NAME    target schema (default public; created if missing)\n"
            "  --help           this text\n"
            "\n"
            "A lake on S3 (credentials: environment, ~/.aws with AWS_PROFILE, or instance\n"
            "metadata, as for build; never put secrets on the command line):\n"
            "  --endpoint-url URL   S3-compatible endpoint (also AWS_ENDPOINT_URL)\n"
            "  --region R           AWS region (also AWS_REGION)\n"
            "  --profile P          profile of ~/.aws/credentials (also AWS_PROFILE)\n"
            "  --no-sign-request    anonymous requests, for public buckets\n");
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

int cmd_load_postgres(int argc, char **argv) {
    const char *lake = NULL, *dsn = NULL, *schema = "public";
    io_config cfg;
    memset(&cfg, 0, sizeof cfg);
    for (int i = 1; i < argc; i++) {
        bool bad = false;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            return 0;
        }
        if ((v = flag_value(argc, argv, &i, "--lake", &bad)))
            lake = v;
        else if ((v = flag_value(argc, argv, &i, "--dsn", &bad)))
            dsn = v;
        else if ((v = flag_value(argc, argv, &i, "--schema", &bad)))
            schema = v;
        else if ((v = flag_value(argc, argv, &i, "--endpoint-url", &bad)))
            cfg.endpoint_url = v;
        else if ((v = flag_value(argc, argv, &i, "--region", &bad)))
            cfg.region = v;
        else if ((v = flag_value(argc, argv, &i, "--profile", &bad)))
            cfg.profile = v;
        else if (!strcmp(argv[i], "--no-sign-request"))
            cfg.no_sign_request = true;
        else if (!bad) {
            /* never echo an argument: it may hold a password */
            fprintf(stderr,
                    "songlake load-postgres: error: unknown option (argument %d); see --help\n", i);
            return 2;
        } else {
            return 2;
        }
    }
    if (!lake || !*lake) {
        fprintf(stderr, "songlake load-postgres: error: --lake URI is required (the --out of "
                        "songlake build)\n");
        return 2;
    }
    if (!dsn) {
        fprintf(stderr, "songlake load-postgres: error: --dsn CONNINFO is required ('' for the PG* "
                        "environment)\n");
        return 2;
    }
    if (!*schema) {
        fprintf(stderr, "songlake load-postgres: error: --schema needs a name\n");
        return 2;
    }
    sl_err err = {{0}};
    if (sink_pg_load(lake, dsn, schema, &cfg, stdout, NULL, &err) < 0) {
        fprintf(stderr, "songlake: error: %s\n", err.msg);
        return 1;
    }
    return 0;
}
