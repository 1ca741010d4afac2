/* The dl.cfg-style config file (INI over inih) and the S3 settings shared by
 * `songlake build` and `songlake load-postgres`, so both read the same file
 * the same way and give the same errors: one line naming file:line:key,
 * what is wrong and what a valid value looks like. Values of keys are only
 * echoed for settings that cannot hold a secret. */
#include "cli/cli_config.h"
#include "cli/cli_opts.h"

#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *cli_own(cli_strings *o, const char *s) {
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 16;
        o->s = sl_realloc(o->s, (size_t)o->cap * sizeof *o->s);
    }
    return o->s[o->n++] = sl_strdup(s);
}

void cli_strings_free(cli_strings *o) {
    for (int i = 0; i < o->n; i++) free(o->s[i]);
    free(o->s);
    memset(o, 0, sizeof *o);
}

/* ---- S3 settings ------------------------------------------------------ */
/* key equals name, '-' and '_' alike (flags use dashes, the file either) */
bool cli_key_is(const char *key, const char *name) {
    for (; *key && *name; key++, name++)
        if (*key != *name && !((*key == '-' || *key == '_') && (*name == '-' || *name == '_')))
            return false;
    return !*key && !*name;
}

static bool parse_int(const char *s, long lo, long hi, int *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi) return false;
    *out = (int)v;
    return true;
}

static bool parse_seconds(const char *s, double lo, double hi, double *out) {
    if (!s || !*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v)) return false;
    if (*end == 's' && end[1] == 0) end++;
    if (*end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

/* A byte count: digits, then optionally B, KB/MB/GB (powers of 1000) or
 * KiB/MiB/GiB (powers of 1024), in any case, spaces allowed between. */
static bool parse_bytes(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (!s || *s < '0' || *s > '9') return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno) return false;
    while (*end == ' ') end++;
    static const struct {
        const char *unit;
        uint64_t mult;
    } UNITS[] = {{"", 1},
                 {"b", 1},
                 {"kb", 1000},
                 {"mb", 1000000},
                 {"gb", 1000000000},
                 {"kib", 1ull << 10},
                 {"mib", 1ull << 20},
                 {"gib", 1ull << 30}};
    for (size_t i = 0; i < sizeof UNITS / sizeof UNITS[0]; i++) {
        if (strcasecmp(end, UNITS[i].unit)) continue;
        if (v > hi / UNITS[i].mult) return false;
        v *= UNITS[i].mult;
        if (v < lo) return false;
        *out = v;
        return true;
    }
    return false;
}

#define MIB (1ull << 20)
#define GIB (1ull << 30)

const char *cli_parse_bool(const char *s, bool *out) {
    if (!strcmp(s, "true") || !strcmp(s, "1"))
        *out = true;
    else if (!strcmp(s, "false") || !strcmp(s, "0"))
        *out = false;
    else
        return "true or false";
    return NULL;
}

const char *cli_apply_log(const char *name, const char *val) {
    static const char *const LEVELS[] = {"error", "warn", "info", "debug"};
    if (!strcmp(name, "verbose")) {
        bool on = false;
        const char *why = cli_parse_bool(val, &on);
        if (!why && on) sl_log_level = SL_LOG_DEBUG;
        return why;
    }
    for (int i = 0; i < 4; i++)
        if (!strcasecmp(val, LEVELS[i]) || (i == 1 && !strcasecmp(val, "warning"))) {
            sl_log_level = i;
            return NULL;
        }
    return "one of error, warn, info, debug";
}

const char *cli_apply_s3(io_config *io, cli_strings *own, const char *key, const char *val) {
    uint64_t b;
    if (cli_key_is(key, "no_sign_request"))
        return cli_parse_bool(val, &io->no_sign_request);
    else if (cli_key_is(key, "endpoint_url"))
        io->endpoint_url = cli_own(own, val);
    else if (cli_key_is(key, "region"))
        io->region = cli_own(own, val);
    else if (cli_key_is(key, "profile"))
        io->profile = cli_own(own, val);
    else if (cli_key_is(key, "s3_max_connections")) {
        if (!parse_int(val, 1, 4096, &io->max_connections)) return "a number from 1 to 4096";
    } else if (cli_key_is(key, "s3_max_attempts")) {
        if (!parse_int(val, 1, 100, &io->max_attempts))
            return "a number of attempts per request from 1 (no retries) to 100";
    } else if (cli_key_is(key, "s3_timeout")) {
        if (!parse_seconds(val, 0.1, 3600, &io->timeout_seconds))
            return "seconds from 0.1 to 3600 that a stalled request may wait before it is retried";
    } else if (cli_key_is(key, "s3_max_retry_seconds")) {
        if (!parse_seconds(val, 0.1, 86400, &io->max_retry_seconds))
            return "seconds from 0.1 to 86400 to keep retrying one request";
    } else if (cli_key_is(key, "s3_part_size")) {
        if (!parse_bytes(val, 5 * MIB, 5 * GIB, &b))
            return "a size from 5MiB to 5GiB such as 8MiB or 16MB (S3 refuses parts under 5 MiB)";
        io->multipart_part_size = (size_t)b;
    } else if (cli_key_is(key, "s3_multipart_threshold")) {
        if (!parse_bytes(val, 5 * MIB, 5 * GIB, &b))
            return "a size from 5MiB to 5GiB such as 16MiB or 64MB (larger files are uploaded in "
                   "parts)";
        io->multipart_threshold = (size_t)b;
    } else
        return "";
    return NULL;
}

/* ---- config file ------------------------------------------------------ */
typedef struct cfg_ctx {
    const char *path;
    const cli_parse_spec *s;
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

/* One [songlake] key through the option table: a switch takes true/false
 * (negated for CLI_CFG_NEG), a location is normalised as its flag is. */
static const char *apply_key(const cli_opt *o, cli_apply_fn apply, void *ctx, const char *value) {
    char *norm = NULL;
    const char *why = NULL;
    if (!o->arg) {
        bool b;
        if ((why = cli_parse_bool(value, &b))) return why;
        if (o->flags & CLI_CFG_NEG) b = !b;
        return apply(ctx, o, b ? "true" : "false");
    }
    if (o->flags & CLI_URI) {
        if (!(norm = cli_uri_normalize(value, &why))) return why;
        value = norm;
    }
    why = apply(ctx, o, value);
    free(norm);
    return why;
}

static int on_ini(void *user, const char *section, const char *name, const char *value) {
    cfg_ctx *c = user;
    const cli_parse_spec *s = c->s;
    if (c->err[0]) return 0;
    int line = find_line(c->path, section, name);
    if (!strcasecmp(section, "AWS")) {
        for (size_t i = 0; i < sizeof AWS_KEYS / sizeof AWS_KEYS[0]; i++)
            if (!strcasecmp(name, AWS_KEYS[i])) {
                /* the region may come from here; credentials are read by the
                 * S3 client itself, in AWS's order of precedence */
                if ((i == 3 || i == 4) && s->io && !s->io->region)
                    s->io->region = cli_own(s->own, value);
                return 1;
            }
        snprintf(c->err, sizeof c->err,
                 "%s:%d: unknown key '%s' in [AWS] (expected AWS_ACCESS_KEY_ID, "
                 "AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN or AWS_REGION)",
                 c->path, line, name);
        return 0;
    }
    if (!strcasecmp(section, "songlake")) {
        const cli_opt *o = cli_find_cfg(s->cmd, name);
        const char *why = NULL;
        if (o)
            why = apply_key(o, s->apply, s->ctx, value);
        else if (s->also && (o = cli_find_cfg(s->also, name)))
            why = apply_key(o, s->also_apply, s->also_ctx, value);
        if (!o)
            snprintf(c->err, sizeof c->err,
                     "%s:%d: unknown key '%s' in [songlake] (see songlake %s --help)", c->path,
                     line, name, s->cmd->name);
        else if (why && (o->flags & CLI_SECRET))
            snprintf(c->err, sizeof c->err, "%s:%d: %s: expected %s", c->path, line, name, why);
        else if (why)
            snprintf(c->err, sizeof c->err, "%s:%d: %s = '%s': expected %s", c->path, line, name,
                     value, why);
        return o && !why;
    }
    snprintf(c->err, sizeof c->err, "%s:%d: unknown section [%s] (expected [AWS] or [songlake])",
             c->path, line, section);
    return 0;
}

int cli_config_load(const cli_parse_spec *s, const char *path) {
    FILE *f = fopen(path, "r");
    if (!f) return cli_usage_error(s->cmd, "--config %s: %s", path, strerror(errno));
    if (s->io) s->io->config_file = cli_own(s->own, path);
    cfg_ctx c = {.path = path, .s = s};
    int r = ini_parse_file(f, on_ini, &c);
    fclose(f);
    if (c.err[0]) return cli_usage_error(s->cmd, "%s", c.err);
    if (r > 0)
        return cli_usage_error(s->cmd, "%s:%d: not a valid INI line (expected key = value)", path,
                               r);
    return 0;
}
