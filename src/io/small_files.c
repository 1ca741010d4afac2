/* small_files: whole small files written outside any stage, for logs whose
 * entries are named by version (Delta's _delta_log/N.json, the lake's star
 * records): created only if absent, replaced whole, removed.
 *
 * "Only if absent" is what makes two writers unable to both commit version
 * N. Locally: the bytes go to a temporary in the same directory, are
 * fsynced, then link()ed to the name, which fails with EEXIST when the name
 * exists (a rename would silently replace it); the directory is fsynced
 * after. On S3: PUT with If-None-Match: *, which AWS S3 honours since 2024
 * and answers 412 PreconditionFailed (or 409 ConditionalRequestConflict
 * while another conditional PUT of the key is in flight) when taken. A
 * store that ignores the header would let both writers win, so
 * io_check_create_if_absent probes it: a second conditional PUT of a probe
 * key must fail.
 *
 * A retried PUT whose first attempt did land answers 412 too: the object is
 * then read back and, if it holds our bytes, it is ours. A created object is
 * read back as well, and lost if it holds another writer's bytes: on AWS S3
 * it never does, but versitygw v1.7.0's posix backend checks and publishes
 * in two steps, so of racing conditional PUTs several may be answered 200
 * (fixed upstream after 1.7.0, versitygw pull 2288); reading back narrows
 * that window, it cannot close it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "io/s3_internal.h"

/* ---- local ------------------------------------------------------------ */

static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return sl_strdup(".");
    if (slash == path) return sl_strdup("/");
    return sl_strndup(path, (size_t)(slash - path));
}

/* Creates the directories of `path` that are missing (mkdir -p of its
 * parent), top-down from the first missing one. */
static int make_parents(const char *path, sl_err *err) {
    char *d = dir_of(path);
    struct stat st;
    int rc = 0;
    if (stat(d, &st) < 0) {
        for (char *p = d + 1; rc == 0; p++) {
            bool end = *p == 0;
            if (*p != '/' && !end) continue;
            *p = 0;
            if (mkdir(d, 0777) < 0 && errno != EEXIST) rc = sl_err_errno(err, errno, "mkdir %s", d);
            if (end) break;
            *p = '/';
        }
    } else if (!S_ISDIR(st.st_mode)) {
        rc = sl_err_set(err, "%s is not a directory", d);
    }
    free(d);
    return rc;
}

static int fsync_dir(const char *path, sl_err *err) {
    char *d = dir_of(path);
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || (fsync(fd) < 0 && errno != EINVAL)) rc = sl_err_errno(err, errno, "fsync %s", d);
    if (fd >= 0) close(fd);
    free(d);
    return rc;
}

/* Writes the bytes to a new temporary beside path (its name returned). */
static char *write_temp(const char *path, const void *p, size_t n, bool sync, sl_err *err) {
    if (make_parents(path, err) < 0) return NULL;
    char *d = dir_of(path);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *tmp = sl_sprintf("%s/.%s.tmp-%ld-%ld", d, base, (long)getpid(), (long)ts.tv_nsec);
    free(d);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        sl_err_errno(err, errno, "create %s", tmp);
        free(tmp);
        return NULL;
    }
    int rc = sl_write_all(fd, p, n, err);
    if (rc == 0 && sync && fsync(fd) < 0) rc = sl_err_errno(err, errno, "fsync %s", tmp);
    if (close(fd) < 0 && rc == 0) rc = sl_err_errno(err, errno, "close %s", tmp);
    if (rc < 0) {
        unlink(tmp);
        free(tmp);
        return NULL;
    }
    return tmp;
}

static int local_create(const char *path, bool sync, const void *p, size_t n, sl_err *err) {
    char *tmp = write_temp(path, p, n, sync, err);
    if (!tmp) return -1;
    int rc = IO_CREATED;
    if (link(tmp, path) < 0) {
        rc = errno == EEXIST
                 ? IO_EXISTS
                 : sl_err_errno(err, errno, "%s: cannot create it exclusively (link)", path);
    }
    unlink(tmp);
    free(tmp);
    if (rc == IO_CREATED && sync && fsync_dir(path, err) < 0) return -1;
    return rc;
}

static int local_replace(const char *path, bool sync, const void *p, size_t n, sl_err *err) {
    char *tmp = write_temp(path, p, n, sync, err);
    if (!tmp) return -1;
    int rc = 0;
    if (rename(tmp, path) < 0) {
        rc = sl_err_errno(err, errno, "rename to %s", path);
        unlink(tmp);
    }
    free(tmp);
    if (rc == 0 && sync) rc = fsync_dir(path, err);
    return rc;
}

/* ---- S3 ----------------------------------------------------------------- */

typedef struct s3_target {
    s3_client *c;
    char *bucket, *key;
} s3_target;

static int s3_target_open(s3_target *t, const char *uri, const io_config *cfg, sl_err *err) {
    memset(t, 0, sizeof *t);
    if (s3_parse_uri(uri, &t->bucket, &t->key, err) < 0) return -1;
    if (!t->key[0]) {
        free(t->bucket);
        free(t->key);
        return sl_err_set(err, "%s: names a bucket, not an object", uri);
    }
    t->c = s3_client_open(cfg, err);
    if (!t->c) {
        free(t->bucket);
        free(t->key);
        return -1;
    }
    return 0;
}

static void s3_target_close(s3_target *t) {
    s3_client_close(t->c);
    free(t->bucket);
    free(t->key);
}

/* The object holds exactly (p, n)? */
static int s3_holds(s3_target *t, const void *p, size_t n, bool *same, sl_err *err) {
    s3_req r;
    s3_req_init(&r, "GET", t->bucket, t->key, NULL);
    int rc = s3_run(t->c, &r, err);
    *same = rc == 0 && r.resp.len == n && (n == 0 || memcmp(r.resp.data, p, n) == 0);
    s3_req_free(&r);
    return rc;
}

static int s3_put(s3_target *t, const void *p, size_t n, bool if_absent, sl_err *err) {
    s3_req r;
    s3_req_init(&r, "PUT", t->bucket, t->key, NULL);
    r.body = p;
    r.body_len = n;
    if (if_absent) s3_req_add_header(&r, "If-None-Match: *");
    s3_submit(t->c, &r);
    s3_wait(t->c, &r);
    int rc;
    if (r.curl_code == 0 && r.status >= 200 && r.status < 300) {
        rc = IO_CREATED;
        bool same = false;
        if (if_absent && s3_holds(t, p, n, &same, err) < 0)
            rc = -1;
        else if (if_absent && !same)
            rc = IO_EXISTS;
    } else if (if_absent && r.curl_code == 0 && (r.status == 412 || r.status == 409)) {
        rc = IO_EXISTS;
        bool same = false;
        /* an earlier attempt of this very request may have landed */
        if (r.attempts > 1 && s3_holds(t, p, n, &same, err) == 0 && same) rc = IO_CREATED;
    } else {
        rc = s3_req_error(&r, err);
    }
    s3_req_free(&r);
    return rc;
}

/* ---- interface ---------------------------------------------------------- */

int io_create_if_absent(const char *uri, const io_config *cfg, const void *p, size_t n,
                        sl_err *err) {
    if (!io_is_s3(uri)) return local_create(uri, !(cfg && cfg->no_sync), p, n, err);
    s3_target t;
    if (s3_target_open(&t, uri, cfg, err) < 0) return -1;
    int rc = s3_put(&t, p, n, true, err);
    s3_target_close(&t);
    return rc;
}

int io_put_replace(const char *uri, const io_config *cfg, const void *p, size_t n, sl_err *err) {
    if (!io_is_s3(uri)) return local_replace(uri, !(cfg && cfg->no_sync), p, n, err);
    s3_target t;
    if (s3_target_open(&t, uri, cfg, err) < 0) return -1;
    int rc = s3_put(&t, p, n, false, err);
    s3_target_close(&t);
    return rc < 0 ? -1 : 0;
}

int io_remove(const char *uri, const io_config *cfg, sl_err *err) {
    if (!io_is_s3(uri)) {
        if (unlink(uri) < 0 && errno != ENOENT) return sl_err_errno(err, errno, "remove %s", uri);
        return 0;
    }
    s3_target t;
    if (s3_target_open(&t, uri, cfg, err) < 0) return -1;
    s3_req r;
    s3_req_init(&r, "DELETE", t.bucket, t.key, NULL);
    int rc = s3_run(t.c, &r, err);
    s3_req_free(&r);
    s3_target_close(&t);
    return rc;
}

int io_check_create_if_absent(const char *root, const io_config *cfg, sl_err *err) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    size_t rl = strlen(root);
    char *uri =
        sl_sprintf("%s%s_songlake/probe-%ld-%ld%09ld", root, rl && root[rl - 1] == '/' ? "" : "/",
                   (long)getpid(), (long)ts.tv_sec, (long)ts.tv_nsec);
    static const char body[] = "songlake conditional-create probe\n";
    int first = io_create_if_absent(uri, cfg, body, sizeof body - 1, err);
    int second = first == IO_CREATED ? io_create_if_absent(uri, cfg, body, 1, err) : first;
    int rc = 0;
    if (first < 0 || second < 0) {
        rc = sl_err_prefix(err, "%s: probing create-only-if-absent", root);
    } else if (first == IO_EXISTS) {
        rc = sl_err_set(
            err, "%s: a new probe key already exists; cannot check create-only-if-absent", root);
    } else if (second == IO_CREATED) {
        rc = sl_err_set(err,
                        "%s: the store ignores create-only-if-absent (a second PUT with "
                        "If-None-Match: * of a probe key succeeded), so two writers could both "
                        "commit one version: use a store that honours it (AWS S3, versitygw)",
                        root);
    }
    sl_err ignored;
    io_remove(uri, cfg, &ignored);
    free(uri);
    return rc;
}
