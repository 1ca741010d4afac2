/* Where two locations lie relative to each other (io_location_relation),
 * for the build's up-front checks: an output that holds or lies inside an
 * input would replace the input with tables (issue 15). */
#include "io/io.h"
#include "io/io_internal.h"
#include "io/s3_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* The part of a location before its first glob component: a glob's files
 * all lie under it. "a/b/x*.json" gives "a/b". */
static char *static_prefix(const char *loc) {
    const char *cut = NULL;
    for (const char *s = loc;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (io_glob_has_magic(s, n)) {
            cut = s;
            break;
        }
        if (!e) break;
        s = e + 1;
    }
    if (!cut) return sl_strdup(loc);
    size_t n = (size_t)(cut - loc);
    while (n > 1 && loc[n - 1] == '/') n--;
    if (n == 1 && loc[0] == '/') return sl_strdup("/");
    return n ? sl_strndup(loc, n) : sl_strdup(".");
}

/* Absolute, symlink-free form of a local path that may not exist yet: the
 * deepest existing ancestor resolved with realpath, the rest appended with
 * "." and ".." folded. */
static char *local_canon(const char *path) {
    char *p = sl_strdup(path && *path ? path : ".");
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = 0;
    char *rest = sl_strdup("");
    char buf[PATH_MAX];
    for (;;) {
        if (realpath(p, buf)) break;
        char *slash = strrchr(p, '/');
        char *tail;
        if (!slash) {
            tail = sl_sprintf("%s%s%s", p, *rest ? "/" : "", rest);
            strcpy(p, ".");
        } else {
            tail = sl_sprintf("%s%s%s", slash + 1, *rest ? "/" : "", rest);
            if (slash == p)
                p[1] = 0;
            else
                *slash = 0;
        }
        free(rest);
        rest = tail;
        if (!strcmp(p, ".") && !realpath(p, buf)) {
            buf[0] = '/', buf[1] = 0;
            break;
        }
    }
    /* fold the missing components onto buf */
    sl_buf out = {0};
    sl_buf_append(&out, buf, strlen(buf));
    for (char *s = rest; *s;) {
        char *e = strchr(s, '/');
        size_t k = e ? (size_t)(e - s) : strlen(s);
        if (k == 0 || (k == 1 && s[0] == '.')) {
        } else if (k == 2 && s[0] == '.' && s[1] == '.') {
            while (out.len > 1 && out.data[out.len - 1] != '/') out.len--;
            if (out.len > 1) out.len--;
        } else {
            if (!(out.len == 1 && out.data[0] == '/')) sl_buf_putc(&out, '/');
            sl_buf_append(&out, s, k);
        }
        if (!e) break;
        s = e + 1;
    }
    sl_buf_putc(&out, 0);
    free(p);
    free(rest);
    return (char *)out.data;
}

/* a lies under b (b a directory prefix of a on component boundaries) */
static bool under(const char *a, const char *b) {
    size_t n = strlen(b);
    if (n == 1 && b[0] == '/') return a[0] == '/';
    return !strncmp(a, b, n) && (a[n] == '/' || a[n] == 0);
}

static int relation_of(const char *a, const char *b) {
    if (!strcmp(a, b)) return IO_LOC_SAME;
    if (under(a, b)) return IO_LOC_INSIDE;
    if (under(b, a)) return IO_LOC_CONTAINS;
    return IO_LOC_APART;
}

/* "bucket/key" without trailing '/', or NULL when not parseable */
static char *s3_canon(const char *uri) {
    char *bucket, *key;
    sl_err e;
    if (s3_parse_uri(uri, &bucket, &key, &e) < 0) return NULL;
    size_t n = strlen(key);
    while (n && key[n - 1] == '/') key[--n] = 0;
    char *r = sl_sprintf("/%s%s%s", bucket, n ? "/" : "", key);
    free(bucket), free(key);
    return r;
}

char *io_location_canon(const char *loc) {
    char *pre = static_prefix(loc);
    char *c = io_is_s3(loc) ? s3_canon(pre) : local_canon(pre);
    free(pre);
    return c ? c : sl_strdup(loc);
}

int io_location_relation(const char *a, const char *b) {
    if (io_is_s3(a) != io_is_s3(b)) return IO_LOC_APART;
    char *ca = io_location_canon(a), *cb = io_location_canon(b);
    int r = relation_of(ca, cb);
    free(ca), free(cb);
    return r;
}

bool io_location_is_root(const char *loc) {
    if (io_is_s3(loc)) return false; /* a bucket of its own is a fine home for a lake */
    char *c = io_location_canon(loc);
    bool r = !strcmp(c, "/");
    free(c);
    return r;
}
