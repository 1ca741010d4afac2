/* Helpers shared by the io unit tests: temporary trees, small files, and a
 * recursive listing of what is on disk. Header-only (static) so each test
 * program stays one .c file. */
#ifndef SONGLAKE_IO_TEST_UTIL_H
#define SONGLAKE_IO_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

/* A fresh directory under $TMPDIR (or /tmp); free with tu_rmtree + free. */
static inline char *tu_tmpdir(const char *tag) {
    const char *t = getenv("TMPDIR");
    char *p = sl_sprintf("%s/songlake-%s-XXXXXX", t && *t ? t : "/tmp", tag);
    assert_non_null(mkdtemp(p));
    return p;
}

static inline int tu_rm_cb(const char *path, const struct stat *st, int flag, struct FTW *f) {
    (void)st, (void)flag, (void)f;
    return remove(path);
}

static inline void tu_rmtree(const char *path) {
    nftw(path, tu_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Writes a file at root/rel with content s (parents created). */
static inline void tu_put(const char *root, const char *rel, const char *s) {
    char *path = sl_sprintf("%s/%s", root, rel);
    for (char *p = path + strlen(root) + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0755) < 0) assert_int_equal(errno, EEXIST);
        *p = '/';
    }
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(s, 1, strlen(s), f);
    fclose(f);
    free(path);
}

static inline bool tu_exists(const char *root, const char *rel) {
    char *path = sl_sprintf("%s/%s", root, rel);
    struct stat st;
    bool ok = lstat(path, &st) == 0;
    free(path);
    return ok;
}

/* Reads root/rel into a malloc'd string (NULL if missing). */
static inline char *tu_get(const char *root, const char *rel) {
    char *path = sl_sprintf("%s/%s", root, rel);
    sl_buf b = {0};
    sl_err e;
    int rc = sl_read_file(path, &b, &e);
    free(path);
    if (rc < 0) {
        sl_buf_free(&b);
        return NULL;
    }
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

/* Appends "rel=content\n" for every file under dir (hidden ones too),
 * in sorted order, so two trees compare as strings. */
static inline int tu_cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static inline void tu_tree_rec(const char *root, const char *rel, sl_vec *lines) {
    char *path = *rel ? sl_sprintf("%s/%s", root, rel) : sl_strdup(root);
    DIR *d = opendir(path);
    if (!d) {
        free(path);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *sub = *rel ? sl_sprintf("%s/%s", rel, de->d_name) : sl_strdup(de->d_name);
        char *full = sl_sprintf("%s/%s", root, sub);
        struct stat st;
        assert_int_equal(lstat(full, &st), 0);
        if (S_ISDIR(st.st_mode)) {
            tu_tree_rec(root, sub, lines);
        } else {
            char *c = tu_get(root, sub);
            *(char **)sl_vec_push(lines) = sl_sprintf("%s=%s", sub, c ? c : "?");
            free(c);
        }
        free(full);
        free(sub);
    }
    closedir(d);
    free(path);
}

/* malloc'd "a=..\nb/c=..\n" of the tree at root/rel ("" if missing). */
static inline char *tu_tree(const char *root, const char *rel) {
    char *dir = sl_sprintf("%s/%s", root, rel);
    sl_vec lines;
    sl_vec_init(&lines, sizeof(char *));
    tu_tree_rec(dir, "", &lines);
    qsort(lines.data, lines.len, sizeof(char *), tu_cmp_str);
    sl_buf b = {0};
    for (size_t i = 0; i < lines.len; i++) {
        char *l = SL_VEC_AT(&lines, char *, i);
        sl_buf_printf(&b, "%s\n", l);
        free(l);
    }
    sl_buf_putc(&b, 0);
    sl_vec_free(&lines);
    free(dir);
    return (char *)b.data;
}

#endif
