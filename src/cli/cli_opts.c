/* The option tables' parser, the usage errors and --help (cli_opts.h). Every
 * subcommand parses through cli_parse, so every one takes --opt value and
 * --opt=value, refuses an unknown flag with a suggestion, and exits 2 on a
 * usage error with the same one-line prefix. The man page and the
 * completions are in cli_doc.c. */
#include "cli/cli_opts.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_config.h"

static void vline(const cli_cmd *c, const char *fmt, va_list ap) {
    fflush(stdout);
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    /* one line, whatever the message held */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    fprintf(stderr, "songlake%s%s: error: %s\n", c ? " " : "", c ? c->name : "", msg);
}

int cli_usage_error(const cli_cmd *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vline(c, fmt, ap);
    va_end(ap);
    return 2;
}

int cli_run_error(const cli_cmd *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vline(c, fmt, ap);
    va_end(ap);
    return 1;
}

const cli_opt *cli_find_opt(const cli_cmd *c, const char *name) {
    for (size_t i = 0; i < c->nopts; i++)
        if (!strcmp(c->opts[i].name, name)) return &c->opts[i];
    return NULL;
}

const cli_opt *cli_find_cfg(const cli_cmd *c, const char *key) {
    for (size_t i = 0; i < c->nopts; i++)
        if (c->opts[i].cfg && cli_key_is(c->opts[i].cfg, key)) return &c->opts[i];
    return NULL;
}

/* ---- locations ------------------------------------------------------- */
char *cli_uri_normalize(const char *uri, const char **why) {
    size_t n = 0;
    if (isalpha((unsigned char)uri[0]))
        for (n = 1;
             isalnum((unsigned char)uri[n]) || uri[n] == '+' || uri[n] == '-' || uri[n] == '.';
             n++) {
        }
    if (!n || strncmp(uri + n, "://", 3)) return sl_strdup(uri); /* a local path */
    const char *rest = uri + n + 3;
    if ((n == 2 && !strncasecmp(uri, "s3", 2)) || (n == 3 && !strncasecmp(uri, "s3a", 3)) ||
        (n == 3 && !strncasecmp(uri, "s3n", 3)))
        return sl_sprintf("s3://%s", rest);
    if (n == 4 && !strncasecmp(uri, "file", 4)) {
        if (*rest == '/') return sl_strdup(rest);
        if (!strncmp(rest, "localhost/", 10)) return sl_strdup(rest + 9);
        *why = "a file:// URI with an absolute path (file:///path)";
        return NULL;
    }
    *why = "a local path or s3://bucket/prefix (s3a:// and s3n:// are the same; no other URI "
           "scheme is supported)";
    return NULL;
}

/* ---- did you mean ---------------------------------------------------- */
static size_t edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return SIZE_MAX;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (row[j] + 1 < best) best = row[j] + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* The closest flag of c, when it is close enough to be a typo (or name is
 * a prefix of exactly one flag), else NULL. */
static const char *suggest(const cli_cmd *c, const char *name) {
    const char *best = NULL, *prefix = NULL;
    size_t bd = SIZE_MAX, len = strlen(name);
    int nprefix = 0;
    for (size_t i = 0; i < c->nopts; i++) {
        const char *o = c->opts[i].name;
        if (len >= 3 && !strncmp(o, name, len)) prefix = o, nprefix++;
        size_t d = edit_distance(name, o);
        if (d < bd) bd = d, best = o;
    }
    if (nprefix == 1) return prefix;
    size_t limit = len < 6 ? 2 : len / 3 + 1;
    return bd <= limit ? best : NULL;
}

static int unknown_option(const cli_cmd *c, const char *name) {
    const char *s = suggest(c, name);
    if (s) return cli_usage_error(c, "unknown option --%s (did you mean --%s?)", name, s);
    return cli_usage_error(c, "unknown option --%s (see songlake %s --help)", name, c->name);
}

/* ---- the parser ------------------------------------------------------ */
static int apply_flag(const cli_parse_spec *s, const cli_opt *o, const char *val) {
    const cli_cmd *c = s->cmd;
    char *norm = NULL;
    const char *why = NULL;
    if (o->flags & CLI_URI) {
        if (!*val)
            why = "a path or URI (it is empty)";
        else if ((norm = cli_uri_normalize(val, &why)))
            val = norm;
    }
    if (!why) why = s->apply(s->ctx, o, val);
    int rc = 0;
    if (why) {
        if (!o->arg)
            rc = cli_usage_error(c, "--%s: %s", o->name, why);
        else if (o->flags & CLI_SECRET)
            rc = cli_usage_error(c, "--%s: expected %s", o->name, why);
        else
            rc = cli_usage_error(c, "--%s '%s': expected %s", o->name, val, why);
    }
    free(norm);
    return rc;
}

int cli_parse(const cli_parse_spec *s, int argc, char **argv, cli_args *pos) {
    const cli_cmd *c = s->cmd;
    if (pos) {
        pos->v = sl_calloc((size_t)argc + 1, sizeof *pos->v);
        pos->n = 0;
    }
    /* --help anywhere wins; then --config, so the flags can override it */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            cli_print_help(c, stdout);
            return 0;
        }
    const cli_opt *cfg = cli_find_opt(c, "config");
    const char *cfg_path = NULL;
    for (int i = 1; cfg && i < argc && strcmp(argv[i], "--"); i++) {
        if (!strcmp(argv[i], "--config"))
            cfg_path = i + 1 < argc ? argv[++i] : "";
        else if (!strncmp(argv[i], "--config=", 9))
            cfg_path = argv[i] + 9;
    }
    if (cfg_path && !*cfg_path) return cli_usage_error(c, "--config needs a file name");
    if (cfg_path) {
        int rc = cli_config_load(s, cfg_path);
        if (rc) return rc;
        const char *why = s->apply(s->ctx, cfg, cfg_path);
        if (why) return cli_usage_error(c, "--config '%s': expected %s", cfg_path, why);
    }
    bool options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (options && !strcmp(a, "--")) {
            options = false;
            continue;
        }
        if (!options || a[0] != '-' || !a[1]) {
            if (pos && c->positional) {
                pos->v[pos->n++] = a;
                continue;
            }
            if (c->hide_args)
                return cli_usage_error(c,
                                       "unexpected argument %d (options start with --; see "
                                       "songlake %s --help)",
                                       i, c->name);
            return cli_usage_error(
                c, "unexpected argument '%s' (options start with --; see songlake %s --help)", a,
                c->name);
        }
        if (a[1] != '-') {
            /* a single-dash option: never echo more than its first letters */
            return cli_usage_error(c,
                                   "unknown option %.2s (options are long: --name; see songlake "
                                   "%s --help)",
                                   a, c->name);
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        char key[64];
        size_t kl = eq ? (size_t)(eq - name) : strlen(name);
        if (kl >= sizeof key) kl = sizeof key - 1;
        memcpy(key, name, kl);
        key[kl] = 0;
        const cli_opt *o = cli_find_opt(c, key);
        if (!o) return unknown_option(c, key);
        const char *val;
        if (!o->arg) {
            if (eq) return cli_usage_error(c, "--%s takes no value", key);
            val = "true";
        } else if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return cli_usage_error(c, "--%s needs a value (%s)", key, o->arg);
        if (o->id == CLI_OPT_CONFIG) continue; /* read first */
        int rc = apply_flag(s, o, val);
        if (rc) return rc;
    }
    return -1;
}

#define HELP_COL 24

/* ---- --help ---------------------------------------------------------- */
void cli_print_indented(FILE *f, const char *text, int col, bool first_done) {
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t n = strcspn(p, "\n");
        if (!first || !first_done) fprintf(f, "%*s", col, "");
        fprintf(f, "%.*s\n", (int)n, p);
        first = false;
        p += n;
        if (*p) p++;
    }
}

static void print_cfg_keys(const cli_cmd *c, FILE *f) {
    int col = 2, any = 0;
    for (size_t i = 0; i < c->nopts; i++) {
        const cli_opt *o = &c->opts[i];
        if (!o->cfg) continue;
        if (!any++) fprintf(f, "\n[songlake] keys of --config (flags win over the file):\n  ");
        int w = (int)strlen(o->cfg) + 2;
        if (col + w > 78) {
            fprintf(f, "\n ");
            col = 2;
        }
        fprintf(f, "%s%s=", col > 2 ? " " : "", o->cfg);
        col += w;
    }
    if (any) fprintf(f, "\n");
}

void cli_print_help(const cli_cmd *c, FILE *f) {
    fprintf(f, "usage: songlake %s %s\n\n", c->name, c->synopsis);
    fprintf(f, "%s\n", c->description);
    for (size_t i = 0; i < c->nopts; i++) {
        const cli_opt *o = &c->opts[i];
        if (o->section || i == 0) fprintf(f, "\n%s:\n", o->section ? o->section : "options");
        char left[96];
        snprintf(left, sizeof left, "  --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        int w = (int)strlen(left);
        if (w + 1 < HELP_COL) {
            fprintf(f, "%-*s", HELP_COL, left);
            cli_print_indented(f, o->help, HELP_COL, true);
        } else {
            fprintf(f, "%s\n", left);
            cli_print_indented(f, o->help, HELP_COL, false);
        }
    }
    fprintf(f, "  %-*s%s\n", HELP_COL - 2, "--help", "this text");
    print_cfg_keys(c, f);
    if (c->footer) fprintf(f, "\n%s\n", c->footer);
}
