/* songlake vacuum: deletes the data files of a Delta lake (build --format
 * delta) that no table version within the retention period references
 * (SPEC section 6). Nothing else ever deletes from a Delta table. The lake
 * is opened (and locked) as build opens it, and an unfinished run is rolled
 * back first, so the latest versions are the last star's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_config.h"
#include "core/core.h"
#include "io/io.h"
#include "lake/lake.h"

static void usage(FILE *f) {
    fprintf(f, "usage: songlake vacuum --lake URI [--retain-hours H] [--dry-run]\n"
               "\n"
               "Deletes the files of a Delta lake (songlake build --format delta) that no\n"
               "version of any table newer than the retention period references: the files\n"
               "that later runs replaced. The latest versions read the same afterwards;\n"
               "time travel to versions older than the retention period no longer works.\n"
               "\n"
               "  --lake URI          the lake: a directory or s3://bucket/prefix\n"
               "  --retain-hours H    keep what versions of the last H hours use (default 168)\n"
               "  --dry-run           list the files that would be deleted, delete nothing\n"
               "  --endpoint-url URL  S3-compatible endpoint (also AWS_ENDPOINT_URL)\n"
               "  --region R          AWS region (also AWS_REGION)\n"
               "  --profile P         profile of ~/.aws/credentials (also AWS_PROFILE)\n"
               "  --help              this text\n"
               "\n"
               "Exit status: 0 on success, 1 when the lake cannot be read or a file cannot be\n"
               "deleted, 2 on a usage error (a lake that is not a Delta lake, say).\n");
}

static const char *value(int argc, char **argv, int *i, const char *name, bool *bad) {
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n)) return NULL;
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (argv[*i][n] != 0) return NULL;
    if (*i + 1 >= argc) {
        fprintf(stderr, "songlake vacuum: error: %s needs a value\n", name);
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

/* --endpoint-url, --region, --profile: true when argv[*i] was one */
static bool s3_flag(int argc, char **argv, int *i, io_config *io, cli_strings *own, bool *bad,
                    int *rc) {
    static const char *const NAMES[] = {"--endpoint-url", "--region", "--profile"};
    for (size_t k = 0; k < sizeof NAMES / sizeof NAMES[0]; k++) {
        const char *v = value(argc, argv, i, NAMES[k], bad);
        if (*bad) return true;
        if (!v) continue;
        const char *why = cli_apply_s3(io, own, NAMES[k] + 2, v);
        if (why) {
            fprintf(stderr, "songlake vacuum: error: %s '%s': expected %s\n", NAMES[k], v, why);
            *rc = 2;
        }
        return true;
    }
    return false;
}

static char *run_id(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return sl_sprintf("vacuum-%lld-%d", (long long)ts.tv_sec, (int)getpid());
}

int cmd_vacuum(int argc, char **argv) {
    const char *lake_uri = NULL;
    double hours = 168;
    bool dry = false;
    io_config io;
    memset(&io, 0, sizeof io);
    cli_strings own = {0};
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        bool bad = false;
        const char *v;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage(stdout);
            cli_strings_free(&own);
            return 0;
        }
        if (!strcmp(argv[i], "--dry-run"))
            dry = true;
        else if ((v = value(argc, argv, &i, "--lake", &bad)))
            lake_uri = v;
        else if ((v = value(argc, argv, &i, "--retain-hours", &bad))) {
            char *end;
            errno = 0;
            hours = strtod(v, &end);
            if (errno || end == v || *end || !isfinite(hours) || hours < 0) {
                fprintf(stderr,
                        "songlake vacuum: error: --retain-hours '%s': expected a number of "
                        "hours, 0 or more\n",
                        v);
                rc = 2;
            }
        } else if (s3_flag(argc, argv, &i, &io, &own, &bad, &rc)) {
        } else if (!bad) {
            fprintf(stderr,
                    "songlake vacuum: error: unknown argument '%.*s' (see songlake vacuum "
                    "--help)\n",
                    (int)strcspn(argv[i], "="), argv[i]);
            rc = 2;
        }
        if (bad) rc = 2;
    }
    if (rc == 0 && !lake_uri) {
        fprintf(stderr, "songlake vacuum: error: --lake URI is required (the --out of songlake "
                        "build --format delta)\n");
        rc = 2;
    }
    if (rc) {
        cli_strings_free(&own);
        return rc;
    }
    sl_err err = {{0}};
    char *rid = run_id();
    io_store *store = io_store_open(lake_uri, &io, rid, &err);
    if (!store) {
        rc = 1;
    } else {
        bool d = false;
        int pr = lake_prepare(store, &io, true, &err);
        if (pr == LAKE_REFUSED)
            rc = 2;
        else if (pr < 0)
            rc = 1;
        else {
            int64_t star, v[LAKE_NTABLES];
            rc = lake_star_versions(io_store_uri(store), &io, &star, v, &err) < 0 ? 1 : 0;
            d = star >= 0;
            if (rc == 0 && !d) {
                sl_err_set(&err, "%s: not a Delta lake (no star record): nothing to vacuum",
                           lake_uri);
                rc = 2;
            }
        }
        if (rc == 0 && lake_vacuum(store, &io, hours, dry, stdout, &err) < 0) rc = 1;
    }
    if (rc) fprintf(stderr, "songlake: error: %s\n", err.msg);
    io_store_close(store);
    free(rid);
    cli_strings_free(&own);
    return rc;
}
