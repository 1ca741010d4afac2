/* Flag and config-file parsing for `songlake build`. Every error names what
 * is wrong and how to fix it, in one line; config errors also name the file,
 * line and key. */
#include "cli/build_opts.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    "                       max_rejects= endpoint_url= region= postgres=; flags win\n"
    "\n"
    "processing:\n"
    "  --threads N          worker threads (default: number of cores)\n"
    "  --compression C      snappy (default, as Spark), zstd, gzip or none\n"
    "  --max-rejects N      fail the run when more than N records are rejected\n"
    "                       (default: unlimited; rejects go to <out>/_songlake/rejects.jsonl)\n"
    "  --row-group-rows N   rows per Parquet row group (default 1048576)\n"
    "  --quiet              no progress line and no summary\n"
    "\n"
    "S3 (credentials: environment, --config [AWS], ~/.aws with AWS_PROFILE, or\n"
    "instance metadata; never put secrets on the command line):\n"
    "  --endpoint-url URL   S3-compatible endpoint (also AWS_ENDPOINT_URL)\n"
    "  --region R           AWS region (also AWS_REGION)\n"
    "  --profile P          profile of ~/.aws/credentials (also AWS_PROFILE)\n"
    "  --no-sign-request    anonymous requests, for public buckets\n"
    "  --s3-max-connections N  S3 requests in flight (default 64)\n"
    "\n"
    "PostgreSQL:\n"
    "  --postgres CONNINFO  after publishing, load the star into PostgreSQL\n"
    "  --pg-schema NAME     schema to load into (default: public)\n"
    "\n"
    "Exit status: 0 on success; 1 when the run failed (the previous lake is left\n"
    "as it was); 2 on a usage error.\n";

static char *own(build_opts *o, const char *s) {
    char *c = sl_strdup(s);
    if (o->nowned < (int)(sizeof o->owned / sizeof o->owned[0])) o->owned[o->nowned++] = c;
    return c;
}

void build_opts_free(build_opts *o) {
    for (int i = 0; i < o->nowned; i++) free(o->owned[i]);
    o->nowned = 0;
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

/* Applies one setting (from a flag or the config file). Returns NULL on
 * success or a static description of what a valid value looks like. */
static const char *apply(build_opts *o, const char *key, const char *val) {
    uint64_t n;
    if (!strcmp(key, "songs"))
        o->songs = own(o, val);
    else if (!strcmp(key, "logs"))
        o->logs = own(o, val);
    else if (!strcmp(key, "out"))
        o->out = own(o, val);
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
    } else if (!strcmp(key, "row_group_rows") || !strcmp(key, "row-group-rows")) {
        if (!parse_u64(val, &n) || n < 1) return "a positive integer";
        o->row_group_rows = (size_t)n;
    } else if (!strcmp(key, "endpoint_url") || !strcmp(key, "endpoint-url"))
        o->io.endpoint_url = own(o, val);
    else if (!strcmp(key, "region"))
        o->io.region = own(o, val);
    else if (!strcmp(key, "profile"))
        o->io.profile = own(o, val);
    else if (!strcmp(key, "s3_max_connections") || !strcmp(key, "s3-max-connections")) {
        if (!parse_u64(val, &n) || n < 1 || n > 4096) return "a number from 1 to 4096";
        o->io.max_connections = (int)n;
    } else if (!strcmp(key, "postgres"))
        o->postgres = own(o, val);
    else if (!strcmp(key, "pg_schema") || !strcmp(key, "pg-schema"))
        o->pg_schema = own(o, val);
    else if (!strcmp(key, "quiet")) {
        if (!strcmp(val, "true") || !strcmp(val, "1"))
            o->quiet = true;
        else if (!strcmp(val, "false") || !strcmp(val, "0"))
            o->quiet = false;
        else
            return "true or false";
    } else
        return "";
    return NULL;
}

/* ---- config file ----------------------------------------------------- */
typedef struct cfg_ctx {
    build_opts *o;
    const char *path;
    char err[512];
} cfg_ctx;

static const char *const AWS_KEYS[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"};

/* Debian's inih is built without line numbers in callbacks: find the line
 * of (section, key) ourselves so errors can name it. */
static int find_line(const char *path, const char *section, const char *key) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[4096], cur[256] = "";
    int line = 0, found = 0;
    while (!found && fgets(buf, sizeof buf, f)) {
        line++;
        char *p = buf;
        while (*p == ' ' || *p == '\t') p++;
        if (*p == '[') {
            char *e = strchr(p, ']');
            if (e) snprintf(cur, sizeof cur, "%.*s", (int)(e - p - 1), p + 1);
            continue;
        }
        size_t kl = strcspn(p, "=:");
        while (kl && (p[kl - 1] == ' ' || p[kl - 1] == '\t')) kl--;
        if (!strcasecmp(cur, section) && kl == strlen(key) && !strncmp(p, key, kl)) found = line;
    }
    fclose(f);
    return found;
}

static int on_ini(void *user, const char *section, const char *name, const char *value) {
    cfg_ctx *c = user;
    int line = c->err[0] ? 0 : find_line(c->path, section, name);
    if (c->err[0]) return 0;
    if (!strcasecmp(section, "AWS")) {
        for (size_t i = 0; i < sizeof AWS_KEYS / sizeof AWS_KEYS[0]; i++)
            if (!strcasecmp(name, AWS_KEYS[i])) {
                /* the region may come from here; credentials are read by the
                 * S3 client itself, in AWS's order of precedence */
                if ((i == 3 || i == 4) && !c->o->io.region) c->o->io.region = own(c->o, value);
                return 1;
            }
        snprintf(c->err, sizeof c->err,
                 "%s:%d: unknown key '%s' in [AWS] (expected AWS_ACCESS_KEY_ID, "
                 "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_REGION)",
                 c->path, line, name);
        return 0;
    }
    if (!strcasecmp(section, "songlake")) {
        build_opts probe = *c->o;
        probe.nowned = 0;
        const char *why = apply(&probe, name, value);
        for (int i = 0; i < probe.nowned; i++) free(probe.owned[i]);
        if (why && !*why) {
            snprintf(c->err, sizeof c->err,
                     "%s:%d: unknown key '%s' in [songlake] (see songlake build --help)", c->path,
                     line, name);
            return 0;
        }
        if (why) {
            snprintf(c->err, sizeof c->err, "%s:%d: %s = '%s': expected %s", c->path, line, name,
                     value, why);
            return 0;
        }
        apply(c->o, name, value);
        return 1;
    }
    snprintf(c->err, sizeof c->err, "%s:%d: unknown section [%s] (expected [AWS] or [songlake])",
             c->path, line, section);
    return 0;
}

static int load_config(build_opts *o, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "songlake: error: --config %s: %s\n", path, strerror(errno));
        return 2;
    }
    cfg_ctx c = {.o = o, .path = path};
    int r = ini_parse_file(f, on_ini, &c);
    fclose(f);
    if (c.err[0]) {
        fprintf(stderr, "songlake: error: %s\n", c.err);
        return 2;
    }
    if (r > 0) {
        fprintf(stderr, "songlake: error: %s:%d: not a valid INI line (expected key = value)\n",
                path, r);
        return 2;
    }
    return 0;
}

/* ---- flags ----------------------------------------------------------- */
static char *default_input(build_opts *o, const char *sub) {
    char *p = sl_sprintf("%s/data/sparkify-sample/%s", SONGLAKE_SOURCE_DIR, sub);
    struct stat st;
    if (stat(p, &st) != 0) {
        free(p);
        p = sl_sprintf("data/sparkify-sample/%s", sub);
    }
    char *r = own(o, p);
    free(p);
    return r;
}

int build_opts_parse(build_opts *o, int argc, char **argv) {
    memset(o, 0, sizeof *o);
    o->codec = PQ_CODEC_SNAPPY;
    o->max_rejects = UINT64_MAX;
    o->threads = sl_cpu_count();
    /* first pass: --help and --config, so flags can override the file */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(USAGE, stdout);
            return 0;
        }
        if (!strcmp(argv[i], "--config") || !strncmp(argv[i], "--config=", 9)) {
            const char *v = argv[i][8] == '=' ? argv[i] + 9 : (i + 1 < argc ? argv[i + 1] : NULL);
            if (!v) {
                fprintf(stderr, "songlake: error: --config needs a file name\n");
                return 2;
            }
            o->config = own(o, v);
            o->io.config_file = o->config;
            int rc = load_config(o, v);
            if (rc) {
                build_opts_free(o);
                return rc;
            }
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
        static const char *const VALUED[] = {"songs",       "logs",           "out",
                                             "config",      "threads",        "compression",
                                             "max-rejects", "row-group-rows", "endpoint-url",
                                             "region",      "profile",        "s3-max-connections",
                                             "postgres",    "pg-schema"};
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
        const char *why = apply(o, key, val);
        if (why) {
            fprintf(stderr, "songlake: error: --%s '%s': expected %s\n", key, val, why);
            goto usage_err;
        }
    }
    if (!o->songs) o->songs = default_input(o, "song_data");
    if (!o->logs) o->logs = default_input(o, "log_data");
    if (!o->out) o->out = own(o, "lake");
    o->progress = !o->quiet && isatty(2);
    return -1;
usage_err:
    build_opts_free(o);
    return 2;
}
