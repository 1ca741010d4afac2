/* Local disk backend: reading files, and the output store with its publish
 * protocol (docs/io.md, "Publishing on local disk"):
 *
 *   <root>/.songlake.lock                 flock'ed for the whole run
 *   <root>/.songlake-staging-<run>/<t>/   table t being written
 *   <root>/<t>/                           live table
 *
 * Commit writes <t>/_SUCCESS last, makes the staged tree durable (one
 * syncfs), then swaps staged and live with renameat2(RENAME_EXCHANGE),
 * fsyncs the root; the old tree, now in the staging dir, is deleted with
 * it when the store closes (so all tables switch in a short window). A
 * SIGKILL at any moment leaves <root>/<t> either the old or the new
 * complete table; the next run's cleanup deletes leftovers. Filesystems
 * without RENAME_EXCHANGE get rename-aside (live -> staging/.old-<t>) then
 * rename-in; a kill between the two leaves <t> missing until the next run's
 * cleanup renames the old table back. */
#include "io/backend.h"
#include "io/io_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STAGING_PREFIX ".songlake-staging-"
#define LOCK_NAME ".songlake.lock"
#define OLD_PREFIX ".old-"
#define WRITE_BUF (1u << 20)

void (*io_local_commit_hook)(const char *point, const char *table);
bool io_local_no_exchange;

static void hook(const char *point, const char *table) {
    if (io_local_commit_hook) io_local_commit_hook(point, table);
}

/* ---- reading ---------------------------------------------------------- */
static int local_read_raw(const char *uri, const io_config *cfg, sl_buf *out, bool *exists,
                          sl_err *err) {
    (void)cfg;
    *exists = true;
    int fd = open(uri, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) {
            *exists = false;
            return 0;
        }
        return sl_err_errno(err, errno, "%s", uri);
    }
    struct stat st;
    int e = fstat(fd, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? EISDIR : 0;
    if (e) {
        close(fd);
        return sl_err_errno(err, e, "%s", uri);
    }
    size_t want = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size : 0, got = 0;
    if (want) sl_buf_reserve(out, want + 1);
    /* a regular file of known size is done once that many bytes are in:
     * no extra read to see EOF (one syscall less per small song file) */
    while (!want || got < want) {
        if (out->cap == out->len) sl_buf_reserve(out, out->len < 65536 ? 65536 : out->len);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0) {
            if (errno == EINTR) continue;
            e = errno;
            close(fd);
            return sl_err_errno(err, e, "%s", uri);
        }
        if (r == 0) break;
        out->len += (size_t)r;
        got += (size_t)r;
    }
    close(fd);
    return 0;
}

/* ---- filesystem helpers ---------------------------------------------- */
/* mkdir -p, bottom-up: the common case (parent exists, or only the last
 * level is new) costs one mkdir instead of one per level. */
static int mkdir_p(char *path, sl_err *err) {
    if (mkdir(path, 0755) == 0) return 0;
    int e = errno;
    struct stat st;
    if (e == EEXIST) {
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return 0;
        return sl_err_errno(err, ENOTDIR, "%s", path);
    }
    char *slash = strrchr(path, '/');
    if (e != ENOENT || !slash || slash == path) return sl_err_errno(err, e, "%s", path);
    *slash = 0;
    int rc = mkdir_p(path, err);
    *slash = '/';
    if (rc < 0) return -1;
    if (mkdir(path, 0755) == 0 || (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return 0;
    return sl_err_errno(err, errno, "%s", path);
}

/* Marks a stage's table directory as the top of a hierarchy (ext2/3/4
 * FS_TOPDIR_FL): the Orlov allocator then puts each first-level partition
 * directory (year=...) in its own block group, and its children near it,
 * instead of packing a whole table into the group of the staging dir. In a
 * group that just had a lake deleted (the previous run's, at store close)
 * every new inode rescans the recently freed ones, O(n^2) over ~28,000
 * song partition inodes. Marking deeper levels too makes every mkdir scan
 * all groups: slower. Best effort: elsewhere the ioctl fails, no change. */
static void spread_subdirs(int fd) {
#ifdef FS_IOC_SETFLAGS
    int flags = 0;
    if (ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 && !(flags & FS_TOPDIR_FL)) {
        flags |= FS_TOPDIR_FL;
        (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
    }
#else
    (void)fd;
#endif
}

static int fsync_path(const char *path, sl_err *err) {
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return sl_err_errno(err, errno, "%s", path);
    int rc = fsync(fd) < 0 && errno != EINVAL ? sl_err_errno(err, errno, "fsync %s", path) : 0;
    close(fd);
    return rc;
}

/* Removes entry `name` of parent and everything below it, never following
 * symlinks. ENOENT is success. is_dir: a hint from readdir (saves a failed
 * unlink per directory). */
static int rm_at(int parent, const char *name, const char *shown, bool is_dir, sl_err *err) {
    if (!is_dir) {
        if (unlinkat(parent, name, 0) == 0 || errno == ENOENT) return 0;
        if (errno != EISDIR && errno != EPERM) return sl_err_errno(err, errno, "remove %s", shown);
    }
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        if (errno == ENOTDIR || errno == ELOOP) return rm_at(parent, name, shown, false, err);
        return sl_err_errno(err, errno, "remove %s", shown);
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return sl_err_errno(err, errno, "remove %s", shown);
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *sub = sl_sprintf("%s/%s", shown, de->d_name);
        rc = rm_at(dirfd(d), de->d_name, sub, de->d_type == DT_DIR, err);
        free(sub);
    }
    closedir(d);
    if (rc == 0 && unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        rc = sl_err_errno(err, errno, "remove %s", shown);
    return rc;
}

static int rm_tree(const char *path, sl_err *err) {
    return rm_at(AT_FDCWD, path, path, true, err);
}

/* Deleting a lake of ~30,000 partition files and directories waits on the
 * disk more than it computes: the subtrees `RM_LEVELS` below the root are
 * removed by RM_THREADS threads (about twice as fast at 1 GiB), then what
 * is left with rm_tree. Errors of the parallel part resurface there. */
#define RM_LEVELS 3
#define RM_THREADS 4

typedef struct rm_item {
    char *path;
    bool is_dir;
} rm_item;

static void rm_collect(const char *dir, int levels, sl_vec *out) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char *p = sl_sprintf("%s/%s", dir, de->d_name);
        if (de->d_type == DT_DIR && levels > 1) {
            rm_collect(p, levels - 1, out);
            free(p);
            continue;
        }
        rm_item *it = sl_vec_push(out);
        it->path = p;
        it->is_dir = de->d_type == DT_DIR;
    }
    closedir(d);
}

static void rm_task(void *ctx, size_t i, int worker) {
    (void)worker;
    rm_item *it = &((rm_item *)((sl_vec *)ctx)->data)[i];
    sl_err e;
    (void)rm_at(AT_FDCWD, it->path, it->path, it->is_dir, &e);
}

static int rm_tree_parallel(const char *path, sl_err *err) {
    sl_vec items;
    sl_vec_init(&items, sizeof(rm_item));
    rm_collect(path, RM_LEVELS, &items);
    sl_parallel_for(items.len, RM_THREADS, rm_task, &items);
    for (size_t i = 0; i < items.len; i++) free(((rm_item *)items.data)[i].path);
    sl_vec_free(&items);
    return rm_tree(path, err);
}

static int write_file(const char *path, const void *p, size_t n, sl_err *err) {
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) return sl_err_errno(err, errno, "%s", path);
    int rc = sl_write_all(fd, p, n, err);
    if (rc < 0) sl_err_prefix(err, "%s", path);
    if (close(fd) < 0 && rc == 0) rc = sl_err_errno(err, errno, "close %s", path);
    return rc;
}

/* Checks a path relative to a table: no absolute path, no empty, "." or
 * ".." component. The last line of defence keeping every file inside its
 * table's directory whatever the input values. */
static int check_relpath(const char *rel, const char *what, sl_err *err) {
    if (!rel || !*rel) return sl_err_set(err, "empty %s", what);
    if (rel[0] == '/') return sl_err_set(err, "%s '%s' must be relative", what, rel);
    for (const char *s = rel;;) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
            return sl_err_set(err, "%s '%s' has an empty, '.' or '..' component", what, rel);
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

/* ---- store ------------------------------------------------------------ */
typedef struct lstore {
    char *root;    /* without trailing '/' (except "/") */
    char *staging; /* <root>/.songlake-staging-<run_id> */
    char *staging_name;
    int lockfd;
    pthread_mutex_t mu;
    bool staging_made;
    bool keep_staging; /* holds a table we could not put back: leave it to cleanup */
    bool follower;     /* io_config.stage_follower: the leader's stage, never ours */
    bool no_sync;      /* io_config.no_sync: publish without syncfs/fsync */
    /* background write-back (local_store_writeback) */
    pthread_t wb_thread;
    pthread_cond_t wb_cv; /* with mu */
    bool wb_running, wb_stop;
} lstore;

typedef struct lstage {
    lstore *s;
    /* 1 for the stage itself + 1 per open writer; freed at 0. Committing
     * with files still open is a bug upstream: refused, and the writers
     * stay valid until they are closed or aborted. */
    _Atomic int refs;
    char *name;
    char *dir;  /* staged table directory */
    char *live; /* <root>/<name> */
    int dirfd;  /* dir, open: files are created relative to it (short path walks) */
} lstage;

typedef struct lwriter {
    lstage *st;
    int fd;
    char *path;
    char *rel;
    uint8_t *buf;
    size_t len;
    uint64_t bytes;
} lwriter;

static char *path_join(const char *a, const char *b) {
    size_t n = strlen(a);
    return sl_sprintf("%s%s%s", a, n && a[n - 1] == '/' ? "" : "/", b);
}

static void *local_store_open(const char *uri, const io_config *cfg, const char *run_id,
                              sl_err *err) {
    if (!run_id || !*run_id || strchr(run_id, '/') || run_id[0] == '.') {
        sl_err_set(err, "%s: invalid run id '%s'", uri, run_id ? run_id : "");
        return NULL;
    }
    lstore *s = sl_calloc(1, sizeof *s);
    s->root = sl_strdup(uri);
    size_t n = strlen(s->root);
    while (n > 1 && s->root[n - 1] == '/') s->root[--n] = 0;
    s->lockfd = -1;
    s->no_sync = cfg && cfg->no_sync;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wb_cv, &ca);
    pthread_condattr_destroy(&ca);
    s->staging_name = sl_sprintf(STAGING_PREFIX "%s", run_id);
    s->staging = path_join(s->root, s->staging_name);
    char *lock = path_join(s->root, LOCK_NAME);
    if (mkdir_p(s->root, err) < 0) goto fail;
    if (cfg && cfg->stage_follower) { /* the leader holds the lock */
        s->follower = true;
        free(lock);
        return s;
    }
    s->lockfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (s->lockfd < 0) {
        sl_err_errno(err, errno, "%s", lock);
        goto fail;
    }
    if (flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            sl_err_set(err, "another songlake run is writing %s (it holds %s); wait for it to end",
                       s->root, lock);
        else
            sl_err_errno(err, errno, "lock %s", lock);
        goto fail;
    }
    free(lock);
    return s;
fail:
    free(lock);
    if (s->lockfd >= 0) close(s->lockfd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wb_cv);
    free(s->root);
    free(s->staging);
    free(s->staging_name);
    free(s);
    return NULL;
}

/* A leftover staging dir of a killed run may hold ".old-<t>": the live
 * table moved aside by the rename fallback. If <root>/<t> is missing, the
 * kill came between the two renames: put the old table back. */
static int restore_aside(lstore *s, const char *leftover, sl_err *err) {
    DIR *d = opendir(leftover);
    if (!d) return errno == ENOENT ? 0 : sl_err_errno(err, errno, "%s", leftover);
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, OLD_PREFIX, strlen(OLD_PREFIX)) != 0) continue;
        const char *t = de->d_name + strlen(OLD_PREFIX);
        if (!*t) continue;
        char *live = path_join(s->root, t), *aside = path_join(leftover, de->d_name);
        struct stat st;
        if (lstat(live, &st) < 0 && errno == ENOENT) {
            if (rename(aside, live) < 0)
                rc = sl_err_errno(err, errno, "restoring %s from %s", live, aside);
            else
                sl_log(SL_LOG_WARN, "%s: restored the previous table left aside by a killed run",
                       live);
        }
        free(live);
        free(aside);
    }
    closedir(d);
    return rc;
}

static int local_store_cleanup(void *h, sl_err *err) {
    lstore *s = h;
    if (s->follower) return 0;
    /* We hold the root's lock, so any other staging dir belongs to a run
     * that is gone. */
    DIR *d = opendir(s->root);
    if (!d) return sl_err_errno(err, errno, "%s", s->root);
    int rc = 0;
    bool removed = false;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) != 0) continue;
        if (!strcmp(de->d_name, s->staging_name)) continue;
        char *p = path_join(s->root, de->d_name);
        rc = restore_aside(s, p, err);
        if (rc == 0) rc = rm_tree(p, err);
        if (rc == 0) sl_log(SL_LOG_INFO, "%s: removed staging leftovers of a killed run", p);
        removed = true;
        free(p);
    }
    closedir(d);
    if (rc == 0 && removed && !s->no_sync) rc = fsync_path(s->root, err);
    return rc;
}

/* Background write-back: syncfs of the output's file system every
 * WB_INTERVAL_MS while the last tables are written. Without it the kernel
 * writes back nothing until the commit's syncfs, which then keeps one core
 * busy while the other idles. Nothing waits on these syncs and their
 * errors are left to the commit's own syncfs, which still decides
 * durability. Measured on the `l` benchmark (ext4, 14,300 song partitions,
 * 8 alternating pairs): the commit's sync 0.29-0.37 -> 0.01-0.02 s, finish
 * 0.55-0.77 -> 0.76-0.94 s (the flusher now shares the cores with it), the
 * run 2.10 -> 1.81 s median, 7 of 8 pairs won (in a faster hour of this VM
 * 1.48 vs 1.48 s over 4 pairs). */
#define WB_INTERVAL_MS 50

static void *writeback_main(void *arg) {
    lstore *s = arg;
    int fd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    pthread_mutex_lock(&s->mu);
    while (fd >= 0 && !s->wb_stop) {
        pthread_mutex_unlock(&s->mu);
        (void)syncfs(fd);
        pthread_mutex_lock(&s->mu);
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        t.tv_nsec += WB_INTERVAL_MS * 1000000L;
        if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
        if (!s->wb_stop) /* an early wake-up only syncs sooner */
            pthread_cond_timedwait(&s->wb_cv, &s->mu, &t);
    }
    pthread_mutex_unlock(&s->mu);
    if (fd >= 0) close(fd);
    return NULL;
}

static void local_store_writeback(void *h, bool on) {
    lstore *s = h;
    if (on) {
        if (s->no_sync || s->wb_running) return;
        s->wb_stop = false;
        s->wb_running = pthread_create(&s->wb_thread, NULL, writeback_main, s) == 0;
        return;
    }
    if (!s->wb_running) return;
    pthread_mutex_lock(&s->mu);
    s->wb_stop = true;
    pthread_cond_signal(&s->wb_cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->wb_thread, NULL);
    s->wb_running = false;
}

static void local_store_close(void *h) {
    lstore *s = h;
    if (!s) return;
    local_store_writeback(s, false);
    sl_err e;
    if (s->staging_made && !s->keep_staging && !s->follower && rm_tree_parallel(s->staging, &e) < 0)
        sl_log(SL_LOG_WARN, "%s", e.msg);
    if (s->lockfd >= 0) close(s->lockfd); /* releases the flock */
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wb_cv);
    free(s->root);
    free(s->staging);
    free(s->staging_name);
    free(s);
}

/* ---- stages ----------------------------------------------------------- */
static void stage_unref(lstage *st);

static void *local_stage_begin(void *h, const char *name, sl_err *err) {
    lstore *s = h;
    if (check_relpath(name, "table name", err) < 0) return NULL;
    if (strchr(name, '/') || !strncmp(name, ".songlake", 9) ||
        !strncmp(name, OLD_PREFIX, strlen(OLD_PREFIX))) {
        sl_err_set(err, "invalid table name '%s'", name);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (!s->staging_made) {
        if (mkdir(s->staging, 0755) < 0 && errno != EEXIST)
            rc = sl_err_errno(err, errno, "%s", s->staging);
        else
            s->staging_made = true;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc < 0) return NULL;
    lstage *st = sl_calloc(1, sizeof *st);
    st->refs = 1;
    st->dirfd = -1;
    st->s = s;
    st->name = sl_strdup(name);
    st->dir = path_join(s->staging, name);
    st->live = path_join(s->root, name);
    if (mkdir(st->dir, 0755) < 0 && !(errno == EEXIST && s->follower)) {
        if (errno == EEXIST)
            sl_err_set(err, "%s: table '%s' is already being written by this run", st->dir, name);
        else
            sl_err_errno(err, errno, "%s", st->dir);
        stage_unref(st);
        return NULL;
    }
    st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dirfd < 0) {
        sl_err_errno(err, errno, "%s", st->dir);
        stage_unref(st);
        return NULL;
    }
    spread_subdirs(st->dirfd);
    return st;
}

static void stage_unref(lstage *st) {
    if (--st->refs > 0) return;
    if (st->dirfd >= 0) close(st->dirfd);
    free(st->name);
    free(st->dir);
    free(st->live);
    free(st);
}

/* the stage is done (committed or aborted); open writers keep it alive */
static void stage_free(lstage *st) {
    stage_unref(st);
}

static void *local_stage_create(void *h, const char *relpath, const char **final_name,
                                sl_err *err) {
    lstage *st = h;
    if (check_relpath(relpath, "file path", err) < 0) return NULL;
    if (!strncmp(relpath, "_SUCCESS", 8) && (relpath[8] == 0 || relpath[8] == '/')) {
        sl_err_set(err, "%s: '%s': _SUCCESS is written by commit", st->name, relpath);
        return NULL;
    }
    char *path = path_join(st->dir, relpath);
    /* A file in a partition directory is nearly always its first (lake
     * writes one file per partition): mkdir first saves the failed open.
     * Both go relative to the table directory, so the kernel walks only
     * the partition levels, not the whole output path, for each of the
     * ~14,300 song partitions. Errors are the open's and mkdir_p's. */
    char *rel = path + strlen(path) - strlen(relpath);
    char *last = strrchr(rel, '/');
    if (last) {
        *last = 0;
        (void)mkdirat(st->dirfd, rel, 0755);
        *last = '/';
    }
    int fd = openat(st->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) { /* first file of its directory */
        char *slash = strrchr(path, '/');
        *slash = 0;
        int rc = mkdir_p(path, err);
        *slash = '/';
        if (rc < 0) {
            free(path);
            return NULL;
        }
        fd = openat(st->dirfd, rel, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        sl_err_errno(err, errno, "%s", path);
        free(path);
        return NULL;
    }
    lwriter *w = sl_calloc(1, sizeof *w);
    w->st = st;
    st->refs++;
    w->fd = fd;
    w->path = path;
    w->rel = sl_strdup(relpath);
    *final_name = w->rel;
    return w;
}

static int flush(lwriter *w, sl_err *err) {
    if (!w->len) return 0;
    if (sl_write_all(w->fd, w->buf, w->len, err) < 0) {
        sl_err_prefix(err, "%s", w->path);
        return -1;
    }
    w->len = 0;
    return 0;
}

static int local_writer_write(void *h, const void *p, size_t n, sl_err *err) {
    lwriter *w = h;
    w->bytes += n;
    if (w->len + n <= WRITE_BUF) {
        if (!w->buf) w->buf = sl_malloc(WRITE_BUF);
        memcpy(w->buf + w->len, p, n);
        w->len += n;
        return 0;
    }
    if (flush(w, err) < 0) return -1;
    if (n >= WRITE_BUF / 2) {
        if (sl_write_all(w->fd, p, n, err) < 0) return sl_err_prefix(err, "%s", w->path);
        return 0;
    }
    if (!w->buf) w->buf = sl_malloc(WRITE_BUF);
    memcpy(w->buf, p, n);
    w->len = n;
    return 0;
}

static void writer_free(lwriter *w) {
    stage_unref(w->st);
    free(w->buf);
    free(w->path);
    free(w->rel);
    free(w);
}

static int local_writer_close(void *h, uint64_t *bytes, sl_err *err) {
    lwriter *w = h;
    int rc = flush(w, err); /* made durable by the commit's syncfs */
    if (close(w->fd) < 0 && rc == 0) rc = sl_err_errno(err, errno, "close %s", w->path);
    *bytes = w->bytes;
    writer_free(w);
    return rc;
}

static void local_writer_abort(void *h) {
    lwriter *w = h;
    close(w->fd);
    unlink(w->path);
    writer_free(w);
}

static int local_stage_commit(void *h, const void *body, size_t n, sl_err *err) {
    lstage *st = h;
    lstore *s = st->s;
    if (s->follower) { /* our files are closed; the leader commits them */
        stage_free(st);
        return 0;
    }
    char *success = path_join(st->dir, "_SUCCESS");
    char *old = NULL;
    int rc = 0;
    if (st->refs > 1)
        rc = sl_err_set(err, "%s: %d file(s) still being written at commit", st->dir,
                        (int)st->refs - 1);
    if (rc == 0) rc = write_file(success, body, n, err);
    free(success);
    /* Everything written under the stage made durable: one syncfs of its
     * filesystem instead of an fsync per file and directory (a lake has
     * thousands of small partition files; one journal flush beats
     * thousands), before the rename that publishes. */
    if (rc == 0 && !s->no_sync && syncfs(st->dirfd) < 0)
        rc = sl_err_errno(err, errno, "syncfs %s", st->dir);
    if (rc < 0) goto fail; /* nothing live changed */
    hook("success", st->name);

    errno = EINVAL;
    if (!io_local_no_exchange &&
        renameat2(AT_FDCWD, st->dir, AT_FDCWD, st->live, RENAME_EXCHANGE) == 0) {
        old = sl_strdup(st->dir); /* the previous table now sits in staging */
    } else if (errno == ENOENT) {
        if (rename(st->dir, st->live) < 0) {
            rc = sl_err_errno(err, errno, "publishing %s as %s", st->dir, st->live);
            goto fail;
        }
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
        /* no RENAME_EXCHANGE here: move the live table aside into our
         * staging dir (cleanup restores it if we die now), then rename */
        old = path_join(s->staging, OLD_PREFIX);
        char *aside = sl_sprintf("%s%s", old, st->name);
        free(old);
        old = aside;
        if (rename(st->live, old) < 0) {
            if (errno != ENOENT) {
                rc = sl_err_errno(err, errno, "moving %s aside to %s", st->live, old);
                goto fail;
            }
            free(old); /* there was no live table */
            old = NULL;
        }
        hook("aside", st->name);
        if (rename(st->dir, st->live) < 0) {
            rc = sl_err_errno(err, errno, "publishing %s as %s", st->dir, st->live);
            if (old && rename(old, st->live) < 0) {
                sl_log(SL_LOG_ERROR, "%s: could not restore the previous table from %s", st->live,
                       old);
                s->keep_staging = true;
                free(old);
                old = NULL;
            }
            goto fail;
        }
    } else {
        rc = sl_err_errno(err, errno, "publishing %s as %s", st->dir, st->live);
        goto fail;
    }
    hook("swapped", st->name);
    rc = s->no_sync ? 0 : fsync_path(s->root, err);
    /* The old tree stays in our staging dir until io_store_close deletes
     * it with the rest: deleting thousands of partition files here would
     * stretch the window in which some tables are new and others old. */
    free(old);
    hook("done", st->name);
    stage_free(st);
    return rc;
fail:
    free(old);
    sl_err e;
    rm_tree(st->dir, &e);
    stage_free(st);
    return -1;
}

static void local_stage_abort(void *h) {
    lstage *st = h;
    sl_err e;
    if (!st->s->follower && rm_tree(st->dir, &e) < 0) sl_log(SL_LOG_WARN, "%s", e.msg);
    stage_free(st);
}

const io_backend io_local_backend = {
    .name = "local",
    .list_inputs = io_local_list,
    .read_raw = local_read_raw,
    .store_open = local_store_open,
    .store_cleanup = local_store_cleanup,
    .store_close = local_store_close,
    .store_writeback = local_store_writeback,
    .stage_begin = local_stage_begin,
    .stage_create = local_stage_create,
    .writer_write = local_writer_write,
    .writer_close = local_writer_close,
    .writer_abort = local_writer_abort,
    .stage_commit = local_stage_commit,
    .stage_abort = local_stage_abort,
};
