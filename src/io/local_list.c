/* Local input listing: a file, a directory (walked recursively) or a glob
 * (*, ?, [..], **) expanded into files. The glob is expanded component by
 * component, so a glob with wildcards only in its last component reads one
 * directory rather than walking the whole tree; only '**' walks. Rules (docs/io.md):
 *  - a path that exists is taken as is, even if it holds glob characters;
 *  - names starting with '.' or '_' are skipped while walking and are not
 *    matched by a wildcard, but a component the user spelled out literally
 *    (or a wildcard component starting with that literal '.'/'_') is taken;
 *  - a glob match that is a directory is walked recursively, like a
 *    directory given directly;
 *  - symlinks are followed; a directory already on the current descent path
 *    (same dev/ino) is a loop and is skipped with a warning; a dangling
 *    symlink met while walking is skipped with a warning.
 * Sorting and duplicate removal happen in io.c. */
#include "io/backend.h"
#include "io/io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_DEPTH 256

typedef struct lister {
    io_list *out;
    size_t cap;
    sl_err *err;
    dev_t dev[MAX_DEPTH];
    ino_t ino[MAX_DEPTH];
    int depth;
} lister;

/* "prefix" + "name": prefix is "" (current directory) or ends with '/'. */
static char *join(const char *prefix, const char *name, size_t n) {
    return sl_sprintf("%s%.*s", prefix, (int)n, name);
}

static const char *dir_of(const char *prefix) {
    return *prefix ? prefix : ".";
}

/* Enters directory st; false (with a warning) when it is already on the
 * descent path or the tree is too deep. */
static bool enter(lister *L, const struct stat *st, const char *path) {
    for (int i = 0; i < L->depth; i++) {
        if (L->dev[i] == st->st_dev && L->ino[i] == st->st_ino) {
            sl_log(SL_LOG_WARN, "%s: directory loop (symlink to an ancestor), skipped", path);
            return false;
        }
    }
    if (L->depth == MAX_DEPTH) {
        sl_log(SL_LOG_WARN, "%s: more than %d directory levels, skipped", path, MAX_DEPTH);
        return false;
    }
    L->dev[L->depth] = st->st_dev;
    L->ino[L->depth] = st->st_ino;
    L->depth++;
    return true;
}

/* stat following symlinks, of `name` in the open directory dfd (one
 * component for the kernel to walk instead of the whole path); path is
 * that entry's full name for messages. 1 ok, 0 vanished/dangling (skip),
 * -1 error */
static int stat_child(lister *L, int dfd, const char *name, const char *path, struct stat *st) {
    if (fstatat(dfd, name, st, 0) == 0) return 1;
    if (errno == ENOENT) {
        sl_log(SL_LOG_WARN, "%s: dangling symlink or vanished file, skipped", path);
        return 0;
    }
    sl_err_errno(L->err, errno, "%s", path);
    return -1;
}

typedef int (*entry_fn)(lister *L, const char *path, const char *name, const struct stat *st,
                        void *ctx);

/* Calls fn for every entry of directory `prefix` except "." and "..". */
static int for_entries(lister *L, const char *prefix, entry_fn fn, void *ctx) {
    DIR *d = opendir(dir_of(prefix));
    if (!d) return sl_err_errno(L->err, errno, "%s", dir_of(prefix));
    int rc = 0;
    struct dirent *de;
    for (;;) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) rc = sl_err_errno(L->err, errno, "%s", dir_of(prefix));
            break;
        }
        const char *nm = de->d_name;
        if (!strcmp(nm, ".") || !strcmp(nm, "..")) continue;
        char *path = join(prefix, nm, strlen(nm));
        struct stat st;
        int s = stat_child(L, dirfd(d), nm, path, &st);
        if (s > 0) s = fn(L, path, nm, &st, ctx);
        free(path);
        if (s < 0) {
            rc = -1;
            break;
        }
    }
    closedir(d);
    return rc;
}

static int walk(lister *L, const char *dirpath, const struct stat *st);

static void add_file(lister *L, const char *path, const struct stat *st) {
    io_list_push(L->out, &L->cap, sl_strdup(path), (uint64_t)st->st_size);
}

/* A matched or named path: files are taken, directories walked. */
static int take(lister *L, const char *path, const struct stat *st) {
    if (S_ISREG(st->st_mode)) {
        add_file(L, path, st);
        return 0;
    }
    if (S_ISDIR(st->st_mode)) return walk(L, path, st);
    return 0; /* fifos, sockets, devices: not inputs */
}

static int walk_entry(lister *L, const char *path, const char *name, const struct stat *st,
                      void *ctx) {
    (void)ctx;
    if (io_name_hidden(name, strlen(name))) return 0;
    return take(L, path, st);
}

/* Walks the directory named by prefix ("" = current directory, else
 * ending in '/'); st is its stat. */
static int walk_prefix(lister *L, const char *prefix, const struct stat *st) {
    if (!enter(L, st, dir_of(prefix))) return 0;
    int rc = for_entries(L, prefix, walk_entry, NULL);
    L->depth--;
    return rc;
}

static int walk(lister *L, const char *dirpath, const struct stat *st) {
    size_t n = strlen(dirpath);
    char *prefix = sl_sprintf("%s%s", dirpath, n && dirpath[n - 1] == '/' ? "" : "/");
    int rc = walk_prefix(L, prefix, st);
    free(prefix);
    return rc;
}

/* ---- glob expansion ---------------------------------------------------- */
typedef struct pattern {
    char **comp; /* components, empty ones dropped */
    size_t n;
} pattern;

static int expand(lister *L, const pattern *p, size_t k, const char *prefix);

typedef struct expand_ctx {
    const pattern *p;
    size_t k;
} expand_ctx;

static char *dir_prefix(const char *path) {
    return sl_sprintf("%s/", path);
}

/* descend into a directory entry and continue with component k */
static int descend(lister *L, const pattern *p, size_t k, const char *path, const struct stat *st) {
    if (!S_ISDIR(st->st_mode) || !enter(L, st, path)) return 0;
    char *pre = dir_prefix(path);
    int rc = expand(L, p, k, pre);
    free(pre);
    L->depth--;
    return rc;
}

static int magic_entry(lister *L, const char *path, const char *name, const struct stat *st,
                       void *ctx) {
    expand_ctx *c = ctx;
    const char *pc = c->p->comp[c->k];
    size_t pl = strlen(pc), nl = strlen(name);
    if (!io_glob_match(pc, pl, name, nl)) return 0;
    if (io_name_hidden(name, nl) && pc[0] != name[0]) return 0;
    if (c->k + 1 == c->p->n) return take(L, path, st);
    return descend(L, c->p, c->k + 1, path, st);
}

static int starstar_entry(lister *L, const char *path, const char *name, const struct stat *st,
                          void *ctx) {
    expand_ctx *c = ctx;
    if (io_name_hidden(name, strlen(name))) return 0;
    return descend(L, c->p, c->k, path, st); /* '**' absorbs one more level */
}

/* Unescapes a literal component ("a\*b" names the file "a*b"). */
static char *unescape(const char *s) {
    char *o = sl_strdup(s), *w = o;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) s++;
        *w++ = *s;
    }
    *w = 0;
    return o;
}

static int expand(lister *L, const pattern *p, size_t k, const char *prefix) {
    const char *pc = p->comp[k];
    bool last = k + 1 == p->n;
    if (!strcmp(pc, "**")) {
        /* the directory itself was entered by descend() (or is the top) */
        if (last) return for_entries(L, prefix, walk_entry, NULL);
        if (expand(L, p, k + 1, prefix) < 0) return -1; /* zero directories */
        expand_ctx c = {p, k};
        return for_entries(L, prefix, starstar_entry, &c);
    }
    if (io_glob_has_magic(pc, strlen(pc))) {
        expand_ctx c = {p, k};
        return for_entries(L, prefix, magic_entry, &c);
    }
    char *lit = unescape(pc);
    char *path = join(prefix, lit, strlen(lit));
    free(lit);
    struct stat st;
    int rc = 0;
    if (stat(path, &st) == 0) /* missing literal: simply no match */
        rc = last ? take(L, path, &st) : descend(L, p, k + 1, path, &st);
    else if (errno != ENOENT && errno != ENOTDIR)
        rc = sl_err_errno(L->err, errno, "%s", path);
    free(path);
    return rc;
}

static void split(const char *s, pattern *p) {
    p->comp = sl_calloc(strlen(s) / 2 + 2, sizeof *p->comp);
    p->n = 0;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n) p->comp[p->n++] = sl_strndup(s, n);
        s += n + (e ? 1 : 0);
    }
}

static int list_glob(lister *L, const char *uri) {
    pattern p;
    split(uri, &p);
    int rc = 0;
    if (p.n) rc = expand(L, &p, 0, uri[0] == '/' ? "/" : "");
    for (size_t i = 0; i < p.n; i++) free(p.comp[i]);
    free(p.comp);
    if (rc == 0 && L->out->n == 0)
        rc = sl_err_set(L->err, "'%s': no files match; check the path or quote the glob", uri);
    return rc;
}

int io_local_list(const char *uri, const io_config *cfg, io_list *out, sl_err *err) {
    (void)cfg;
    lister *L = sl_calloc(1, sizeof *L);
    L->out = out;
    L->err = err;
    struct stat st;
    int rc;
    if (stat(uri, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            rc = walk(L, uri, &st);
            if (rc == 0 && out->n == 0)
                rc = sl_err_set(err,
                                "%s: directory holds no input files (names starting with '.' "
                                "or '_' are skipped)",
                                uri);
        } else if (S_ISREG(st.st_mode)) {
            add_file(L, uri, &st);
            rc = 0;
        } else {
            rc = sl_err_set(err, "%s: not a regular file or directory", uri);
        }
    } else if (io_glob_has_magic(uri, strlen(uri))) {
        rc = list_glob(L, uri);
    } else {
        rc = sl_err_errno(err, errno, "%s", uri);
    }
    free(L);
    return rc;
}
