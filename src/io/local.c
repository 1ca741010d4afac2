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
    int fd = io_open_regular(uri, err);
    if (fd < 0) {
        if (fd == IO_ABSENT) {
            *exists = false;
            return 0;
        }
        return -1;
    }
    struct stat st;
    int e = fstat(fd, &st) < 0 ? errno : 0;
    if (e) {
        close(fd);
        return sl_err_errno(err, e, "%s", uri);
    }
    size_t want = st.st_size > 0 ? (size_t)st.st_size : 0, got = 0;
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
typedef struct lstage lstage;
typedef struct lstore {
    char *root;    /* without trailing '/' (except "/") */
    char *staging; /* <root>/.songlake-staging-<run_id> */
    char *staging_name;
    int lockfd;
    int rootfd;      /* the root directory, flock'ed: the lock a user cannot delete */
    lstage **sealed; /* stages waiting for io_store_commit */
    size_t nsealed;
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
    /* io_stage_begin_direct: dir is the live table; the files created
     * (paths, with s->mu) are what abort removes */
    bool direct;
    sl_vec created;
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
    s->rootfd = -1;
    s->no_sync = cfg && cfg->no_sync;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->wb_cv, &ca);
    pthread_condattr_destroy(&ca);
    s->staging_name = sl_sprintf(STAGING_PREFIX "%s", run_id);
    s->staging = sl_path_join(s->root, s->staging_name);
    char *lock = sl_path_join(s->root, LOCK_NAME);
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
    s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->rootfd < 0) {
        sl_err_errno(err, errno, "%s", s->root);
        goto fail;
    }
    /* Two locks: the lock file (what earlier versions take) and the root
     * directory itself, which no one can delete or replace under a run
     * without the commit noticing (check_lock). */
    if (flock(s->rootfd, LOCK_EX | LOCK_NB) < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
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
    if (s->rootfd >= 0) close(s->rootfd);
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
        char *live = sl_path_join(s->root, t), *aside = sl_path_join(leftover, de->d_name);
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

static int recover(lstore *s, bool remove, sl_err *err);
static void sealed_drop(lstore *s);

static int local_store_cleanup(void *h, sl_err *err) {
    lstore *s = h;
    if (s->follower) return 0;
    /* We hold the root's lock, so any other staging dir belongs to a run
     * that is gone. */
    return recover(s, true, err);
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
    sealed_drop(s);
    if (s->lockfd >= 0) close(s->lockfd); /* releases the flocks */
    if (s->rootfd >= 0) close(s->rootfd);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->wb_cv);
    free(s->root);
    free(s->staging);
    free(s->staging_name);
    free(s);
}

/* ---- stages ----------------------------------------------------------- */
static void stage_unref(lstage *st);

/* Opens the stage's table directory (files are created relative to it)
 * and marks it the top of a hierarchy (spread_subdirs); frees st on
 * failure. */
static lstage *stage_open_dir(lstage *st, sl_err *err) {
    st->dirfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (st->dirfd < 0) {
        sl_err_errno(err, errno, "%s", st->dir);
        stage_unref(st);
        return NULL;
    }
    spread_subdirs(st->dirfd);
    return st;
}

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
    st->dir = sl_path_join(s->staging, name);
    st->live = sl_path_join(s->root, name);
    if (mkdir(st->dir, 0755) < 0 && !(errno == EEXIST && s->follower)) {
        if (errno == EEXIST)
            sl_err_set(err, "%s: table '%s' is already being written by this run", st->dir, name);
        else
            sl_err_errno(err, errno, "%s", st->dir);
        stage_unref(st);
        return NULL;
    }
    return stage_open_dir(st, err);
}

/* A Delta table's files go straight into the live directory under names
 * unique to the run; its log, not a rename, publishes them. */
static void *local_stage_begin_direct(void *h, const char *name, sl_err *err) {
    lstore *s = h;
    if (check_relpath(name, "table name", err) < 0) return NULL;
    if (strchr(name, '/') || !strncmp(name, ".songlake", 9)) {
        sl_err_set(err, "invalid table name '%s'", name);
        return NULL;
    }
    lstage *st = sl_calloc(1, sizeof *st);
    st->refs = 1;
    st->s = s;
    st->direct = true;
    sl_vec_init(&st->created, sizeof(char *));
    st->name = sl_strdup(name);
    st->dir = sl_path_join(s->root, name);
    st->live = sl_strdup(st->dir);
    st->dirfd = -1;
    if (mkdir_p(st->dir, err) < 0) {
        stage_unref(st);
        return NULL;
    }
    return stage_open_dir(st, err);
}

static void stage_unref(lstage *st) {
    if (--st->refs > 0) return;
    for (size_t i = 0; i < st->created.len; i++) free(SL_VEC_AT(&st->created, char *, i));
    if (st->direct) sl_vec_free(&st->created);
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
    char *path = sl_path_join(st->dir, relpath);
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
    if (st->direct) {
        pthread_mutex_lock(&st->s->mu);
        *(char **)sl_vec_push(&st->created) = sl_strdup(path);
        pthread_mutex_unlock(&st->s->mu);
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

/* ---- the star's commit (docs/design.md, "Publishing") ------------------
 * Sealing writes a stage's _SUCCESS inside the staging dir and checks every
 * file its manifest names; nothing live changes. io_store_commit then
 * publishes every sealed stage as one transaction:
 *   1. the lock is checked again (the root is still the directory we
 *      locked), everything staged is made durable (syncfs);
 *   2. <staging>/_COMMIT is written (temporary, fsync, rename, fsync): the
 *      commit point. It names each staged table and its directory's inode;
 *   3. each table is swapped in (RENAME_EXCHANGE; rename when there was no
 *      live table; aside + rename where exchange is unsupported), the root
 *      fsynced, and _COMMIT removed.
 * A failure in 3 swaps the tables back and removes _COMMIT (exit non-zero,
 * previous lake as it was). A kill after 2 is completed by the next songlake
 * command on the lake (roll forward: a table whose live inode is not the
 * recorded one is swapped in); a kill before 2 leaves only staging for the
 * next run to delete. */
#define COMMIT_NAME "_COMMIT"
#define COMMIT_MAGIC "songlake commit 1\n"

typedef struct commit_ent {
    char *name;
    uint64_t ino;
} commit_ent;

static void commit_ents_free(commit_ent *e, size_t n) {
    for (size_t i = 0; i < n; i++) free(e[i].name);
    free(e);
}

/* Reads <staging>/_COMMIT: 0 and *n = 0 when absent, -1 when unreadable. */
static int commit_read(const char *staging, commit_ent **out, size_t *n, sl_err *err) {
    *out = NULL;
    *n = 0;
    char *p = sl_path_join(staging, COMMIT_NAME);
    sl_buf b = {0};
    bool exists;
    int rc = local_read_raw(p, NULL, &b, &exists, err);
    if (rc == 0 && exists) {
        sl_buf_putc(&b, 0);
        char *txt = (char *)b.data;
        if (strncmp(txt, COMMIT_MAGIC, strlen(COMMIT_MAGIC)) != 0) {
            rc = sl_err_set(err, "%s: not a songlake commit record", p);
        } else {
            size_t cap = 0;
            for (char *line = txt + strlen(COMMIT_MAGIC); *line;) {
                char *nl = strchr(line, '\n');
                if (!nl) break;
                *nl = 0;
                char *sp = strrchr(line, ' ');
                if (sp && sp != line) {
                    *sp = 0;
                    if (*n == cap)
                        *out = sl_realloc(*out, (cap = cap ? cap * 2 : 8) * sizeof **out);
                    (*out)[*n].name = sl_strdup(line);
                    (*out)[(*n)++].ino = strtoull(sp + 1, NULL, 10);
                }
                line = nl + 1;
            }
        }
    }
    sl_buf_free(&b);
    free(p);
    return rc;
}

static uint64_t ino_of(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 && S_ISDIR(st.st_mode) ? (uint64_t)st.st_ino : 0;
}

/* Puts <staging>/<name> in place of <root>/<name>. *how: 1 exchanged, 2
 * renamed into an empty place, 3 live moved aside to <staging>/.old-<name>
 * then renamed. */
static int swap_in(lstore *s, const char *staging, const char *name, int *how, sl_err *err) {
    char *dir = sl_path_join(staging, name), *live = sl_path_join(s->root, name);
    char *old = sl_sprintf("%s/" OLD_PREFIX "%s", staging, name);
    int rc = 0;
    errno = EINVAL;
    if (!io_local_no_exchange && renameat2(AT_FDCWD, dir, AT_FDCWD, live, RENAME_EXCHANGE) == 0) {
        *how = 1;
    } else if (errno == ENOENT && ino_of(dir)) {
        if (rename(dir, live) < 0)
            rc = sl_err_errno(err, errno, "publishing %s as %s", dir, live);
        else
            *how = 2;
    } else if (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP) {
        bool aside = rename(live, old) == 0;
        if (!aside && errno != ENOENT) {
            rc = sl_err_errno(err, errno, "moving %s aside to %s", live, old);
        } else {
            if (aside) hook("aside", name);
            if (rename(dir, live) < 0) {
                rc = sl_err_errno(err, errno, "publishing %s as %s", dir, live);
                if (aside && rename(old, live) < 0) {
                    sl_log(SL_LOG_ERROR, "%s: could not put the previous table back from %s", live,
                           old);
                    s->keep_staging = true;
                }
            } else
                *how = aside ? 3 : 2;
        }
    } else {
        rc = sl_err_errno(err, errno, "publishing %s as %s", dir, live);
    }
    free(dir), free(live), free(old);
    return rc;
}

/* Undoes swap_in. */
static int swap_out(lstore *s, const char *staging, const char *name, int how, sl_err *err) {
    char *dir = sl_path_join(staging, name), *live = sl_path_join(s->root, name);
    char *old = sl_sprintf("%s/" OLD_PREFIX "%s", staging, name);
    int rc = 0;
    if (how == 1) {
        if (renameat2(AT_FDCWD, dir, AT_FDCWD, live, RENAME_EXCHANGE) < 0)
            rc = sl_err_errno(err, errno, "putting back the previous %s", live);
    } else {
        if (rename(live, dir) < 0)
            rc = sl_err_errno(err, errno, "taking back %s", live);
        else if (how == 3 && rename(old, live) < 0)
            rc = sl_err_errno(err, errno, "putting back the previous %s from %s", live, old);
    }
    free(dir), free(live), free(old);
    return rc;
}

static int write_durable(lstore *s, const char *dir, const char *name, const void *p, size_t n,
                         sl_err *err) {
    char *tmp = sl_sprintf("%s/%s.tmp", dir, name), *fin = sl_path_join(dir, name);
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) rc = sl_err_errno(err, errno, "%s", tmp);
    if (rc == 0 && sl_write_all(fd, p, n, err) < 0) rc = sl_err_prefix(err, "%s", tmp);
    if (rc == 0 && !s->no_sync && fsync(fd) < 0) rc = sl_err_errno(err, errno, "fsync %s", tmp);
    if (fd >= 0 && close(fd) < 0 && rc == 0) rc = sl_err_errno(err, errno, "close %s", tmp);
    if (rc == 0 && rename(tmp, fin) < 0) rc = sl_err_errno(err, errno, "%s", fin);
    if (rc == 0 && !s->no_sync) rc = fsync_path(dir, err);
    if (rc < 0) unlink(tmp);
    free(tmp), free(fin);
    return rc;
}

/* Completes the commit recorded in a killed run's staging dir. */
static int roll_forward(lstore *s, const char *staging, const commit_ent *ents, size_t n,
                        sl_err *err) {
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        char *live = sl_path_join(s->root, ents[i].name);
        uint64_t li = ino_of(live);
        free(live);
        if (li == ents[i].ino) continue; /* already swapped in */
        char *dir = sl_path_join(staging, ents[i].name);
        uint64_t di = ino_of(dir);
        free(dir);
        if (di != ents[i].ino) {
            rc = sl_err_set(err,
                            "%s: the committed table '%s' is missing from %s; the lake needs a "
                            "new build",
                            s->root, ents[i].name, staging);
            break;
        }
        int how;
        rc = swap_in(s, staging, ents[i].name, &how, err);
    }
    if (rc == 0 && !s->no_sync) rc = fsync_path(s->root, err);
    if (rc == 0) {
        char *c = sl_path_join(staging, COMMIT_NAME);
        if (unlink(c) < 0 && errno != ENOENT) rc = sl_err_errno(err, errno, "%s", c);
        free(c);
        sl_log(SL_LOG_WARN, "%s: completed the publish of a run that was killed while publishing",
               s->root);
    }
    return rc;
}

/* For every staging dir of a dead run: roll its commit forward, or put
 * back a table it left aside; then (remove) delete it. */
static int recover(lstore *s, bool remove, sl_err *err) {
    DIR *d = opendir(s->root);
    if (!d) return sl_err_errno(err, errno, "%s", s->root);
    int rc = 0;
    bool changed = false;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) != 0) continue;
        if (s->staging_name && !strcmp(de->d_name, s->staging_name)) continue;
        char *p = sl_path_join(s->root, de->d_name);
        commit_ent *ents;
        size_t n;
        rc = commit_read(p, &ents, &n, err);
        if (rc == 0 && n) rc = roll_forward(s, p, ents, n, err);
        commit_ents_free(ents, n);
        if (rc == 0 && !n) rc = restore_aside(s, p, err);
        if (rc == 0 && remove) {
            rc = rm_tree(p, err);
            if (rc == 0) sl_log(SL_LOG_INFO, "%s: removed staging leftovers of a killed run", p);
        }
        changed = true;
        free(p);
    }
    closedir(d);
    if (rc == 0 && changed && !s->no_sync) rc = fsync_path(s->root, err);
    return rc;
}

static void local_stage_abort(void *h);

static int local_stage_seal(void *h, const void *body, size_t n, const io_list *expect,
                            sl_err *err) {
    lstage *st = h;
    lstore *s = st->s;
    if (st->direct) { /* durable, and not part of the store's commit: the
                       * Delta log publishes these files */
        int drc = 0;
        if (st->refs > 1)
            drc = sl_err_set(err, "%s: %d file(s) still being written at commit", st->dir,
                             (int)st->refs - 1);
        if (drc == 0 && !s->no_sync && syncfs(st->dirfd) < 0)
            drc = sl_err_errno(err, errno, "syncfs %s", st->dir);
        if (drc == 0)
            stage_free(st);
        else
            local_stage_abort(st);
        return drc;
    }
    if (s->follower) { /* our files are closed; the leader commits them */
        stage_free(st);
        return 0;
    }
    int rc = 0;
    if (st->refs > 1)
        rc = sl_err_set(err, "%s: %d file(s) still being written at commit", st->dir,
                        (int)st->refs - 1);
    for (size_t i = 0; rc == 0 && expect && i < expect->n; i++) {
        struct stat sb;
        const io_file *f = &expect->files[i];
        if (fstatat(st->dirfd, f->uri, &sb, AT_SYMLINK_NOFOLLOW) < 0)
            rc = sl_err_errno(err, errno, "%s/%s (named by the manifest)", st->dir, f->uri);
        else if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != f->size)
            rc = sl_err_set(err, "%s/%s: %llu bytes, but the manifest records %llu", st->dir,
                            f->uri, (unsigned long long)sb.st_size, (unsigned long long)f->size);
    }
    char *success = sl_path_join(st->dir, "_SUCCESS");
    if (rc == 0) rc = write_file(success, body, n, err);
    free(success);
    if (rc < 0) {
        sl_err e;
        rm_tree(st->dir, &e);
        stage_free(st);
        return -1;
    }
    hook("success", st->name);
    pthread_mutex_lock(&s->mu);
    s->sealed = sl_realloc(s->sealed, (s->nsealed + 1) * sizeof *s->sealed);
    s->sealed[s->nsealed++] = st;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static void sealed_drop(lstore *s) {
    for (size_t i = 0; i < s->nsealed; i++) stage_free(s->sealed[i]);
    free(s->sealed);
    s->sealed = NULL;
    s->nsealed = 0;
}

/* The lock is ours only while <root> is still the directory we locked. */
static int check_lock(lstore *s, sl_err *err) {
    struct stat a, b;
    if (s->rootfd < 0 || fstat(s->rootfd, &a) < 0 || stat(s->root, &b) < 0 ||
        a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return sl_err_set(err,
                          "%s was moved or replaced during the run (it is no longer the "
                          "directory this run locked); nothing was published",
                          s->root);
    return 0;
}

static int local_store_commit(void *h, sl_err *err) {
    lstore *s = h;
    if (s->follower || !s->nsealed) return 0;
    size_t n = s->nsealed;
    int *how = sl_calloc(n, sizeof *how);
    sl_buf rec = {0};
    int rc = 0;
    /* Everything written under the stage made durable: one syncfs of its
     * filesystem instead of an fsync per file and directory (a lake has
     * thousands of small partition files; one journal flush beats
     * thousands), before the commit record that publishes. */
    if (!s->no_sync && syncfs(s->sealed[0]->dirfd) < 0)
        rc = sl_err_errno(err, errno, "syncfs %s", s->staging);
    if (rc == 0) rc = check_lock(s, err);
    if (rc == 0) {
        sl_buf_append(&rec, COMMIT_MAGIC, strlen(COMMIT_MAGIC));
        for (size_t i = 0; i < n; i++) {
            struct stat sb;
            if (fstat(s->sealed[i]->dirfd, &sb) < 0) {
                rc = sl_err_errno(err, errno, "%s", s->sealed[i]->dir);
                break;
            }
            sl_buf_printf(&rec, "%s %llu\n", s->sealed[i]->name, (unsigned long long)sb.st_ino);
        }
    }
    if (rc == 0) rc = write_durable(s, s->staging, COMMIT_NAME, rec.data, rec.len, err);
    sl_buf_free(&rec);
    if (rc < 0) goto out; /* nothing live changed */
    hook("commit", NULL);
    size_t done = 0;
    for (; done < n; done++) {
        if (swap_in(s, s->staging, s->sealed[done]->name, &how[done], err) < 0) break;
        hook("swapped", s->sealed[done]->name);
    }
    /* the swaps made durable; if that fails the run fails, so put the
     * previous tables back as for a failed swap */
    if (done == n && !s->no_sync && fsync_path(s->root, err) < 0) done = n + 1;
    if (done > n) done = n, rc = -1;
    if (rc < 0 || done < n) { /* put back what we swapped, then forget the commit */
        sl_err e2;
        bool back = !s->keep_staging;
        for (size_t i = done; back && i-- > 0;)
            if (swap_out(s, s->staging, s->sealed[i]->name, how[i], &e2) < 0) back = false;
        char *c = sl_path_join(s->staging, COMMIT_NAME);
        if (back && unlink(c) == 0) {
            if (!s->no_sync) (void)fsync_path(s->root, &e2);
        } else {
            s->keep_staging = true;
            sl_err_prefix(err,
                          "the run was committed but could not be completed (the next songlake "
                          "command on %s completes it)",
                          s->root);
        }
        free(c);
        rc = -1;
        goto out;
    }
    /* published; a record left behind (unlink failed) is harmless: the next
     * command finds every table already swapped in and removes it */
    char *c = sl_path_join(s->staging, COMMIT_NAME);
    if (unlink(c) < 0) {
        sl_log(SL_LOG_WARN, "%s: %s (the next run removes it)", c, strerror(errno));
        s->keep_staging = true;
    }
    free(c);
    /* The old trees stay in our staging dir until io_store_close deletes
     * them with the rest: deleting thousands of partition files here would
     * stretch the window in which readers walk a half-deleted tree. */
    if (rc == 0) hook("done", NULL);
out:
    free(how);
    sealed_drop(s);
    return rc;
}

static void local_stage_abort(void *h) {
    lstage *st = h;
    sl_err e;
    if (st->direct) { /* only what this stage created */
        for (size_t i = 0; i < st->created.len; i++)
            (void)unlink(SL_VEC_AT(&st->created, char *, i));
        stage_free(st);
        return;
    }
    if (!st->s->follower && rm_tree(st->dir, &e) < 0) sl_log(SL_LOG_WARN, "%s", e.msg);
    stage_free(st);
}

/* ---- kept outside the transaction -------------------------------------- */
static int local_stage_keep(void *h, const char *rel, const char *dest, sl_err *err) {
    lstage *st = h;
    if (st->s->follower) return 0;
    if (check_relpath(rel, "file path", err) < 0 || check_relpath(dest, "file path", err) < 0)
        return -1;
    char *from = sl_path_join(st->dir, rel), *to = sl_path_join(st->live, dest);
    char *dir = sl_strdup(to);
    *strrchr(dir, '/') = 0;
    int rc = mkdir_p(dir, err);
    if (rc == 0 && rename(from, to) < 0) rc = sl_err_errno(err, errno, "%s", to);
    if (rc == 0 && !st->s->no_sync) rc = fsync_path(dir, err);
    free(from), free(to), free(dir);
    return rc;
}

static int name_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Hard links of the regular files of the last `keep` entries of
 * <live>/<dir>/ into the staged table. */
static int local_stage_carry(void *h, const char *dir, size_t keep, sl_err *err) {
    lstage *st = h;
    if (st->s->follower || check_relpath(dir, "directory", err) < 0)
        return st->s->follower ? 0 : -1;
    char *src = sl_path_join(st->live, dir);
    DIR *d = opendir(src);
    if (!d) {
        free(src);
        return 0; /* nothing to carry */
    }
    sl_vec names;
    sl_vec_init(&names, sizeof(char *));
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.') *(char **)sl_vec_push(&names) = sl_strdup(de->d_name);
    closedir(d);
    qsort(names.data, names.len, sizeof(char *), name_cmp);
    int rc = 0;
    for (size_t i = names.len > keep ? names.len - keep : 0; rc == 0 && i < names.len; i++) {
        const char *name = SL_VEC_AT(&names, char *, i);
        char *from = sl_sprintf("%s/%s", src, name);
        char *to = sl_sprintf("%s/%s/%s", st->dir, dir, name);
        DIR *e = opendir(from);
        if (e) {
            rc = mkdir_p(to, err);
            while (rc == 0 && (de = readdir(e)) != NULL) {
                if (de->d_name[0] == '.') continue;
                char *f = sl_sprintf("%s/%s", from, de->d_name);
                char *t = sl_sprintf("%s/%s", to, de->d_name);
                struct stat sb;
                if (lstat(f, &sb) == 0 && S_ISREG(sb.st_mode) && link(f, t) < 0)
                    rc = sl_err_errno(err, errno, "%s", t);
                free(f), free(t);
            }
            closedir(e);
        }
        free(from), free(to);
    }
    for (size_t i = 0; i < names.len; i++) free(SL_VEC_AT(&names, char *, i));
    sl_vec_free(&names);
    free(src);
    return rc;
}

/* ---- what is live (ownership checks, readers) --------------------------- */
static void tree_walk(int dfd, const char *rel, io_list *out, size_t *cap, int depth) {
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return;
    }
    bool any = false;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        any = true;
        char *r = *rel ? sl_sprintf("%s/%s", rel, de->d_name) : sl_strdup(de->d_name);
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
            io_list_push(out, cap, r, UINT64_MAX);
            continue;
        }
        if (S_ISDIR(sb.st_mode) && depth < 64) {
            int fd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                tree_walk(fd, r, out, cap, depth + 1);
                free(r);
                continue;
            }
        }
        io_list_push(out, cap, r, S_ISREG(sb.st_mode) ? (uint64_t)sb.st_size : UINT64_MAX);
    }
    closedir(d);
    if (!any && *rel) io_list_push(out, cap, sl_sprintf("%s/", rel), 0);
}

static int local_list_table(void *h, const char *name, io_list *out, int *what, sl_err *err) {
    lstore *s = h;
    char *p = sl_path_join(s->root, name);
    struct stat sb;
    int rc = 0;
    if (lstat(p, &sb) < 0) {
        if (errno != ENOENT) rc = sl_err_errno(err, errno, "%s", p);
    } else if (!S_ISDIR(sb.st_mode)) {
        *what = IO_TABLE_OTHER;
    } else {
        *what = IO_TABLE_DIR;
        int fd = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            rc = sl_err_errno(err, errno, "%s", p);
        } else {
            size_t cap = 0;
            tree_walk(fd, "", out, &cap, 0);
            io_list_sort_unique(out);
        }
    }
    free(p);
    return rc;
}

/* A commit in progress: a staging dir holding a commit record. */
static bool committing(const char *root) {
    DIR *d = opendir(root);
    if (!d) return false;
    bool found = false;
    struct dirent *de;
    while (!found && (de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, STAGING_PREFIX, strlen(STAGING_PREFIX)) != 0) continue;
        char *c = sl_sprintf("%s/%s/" COMMIT_NAME, root, de->d_name);
        struct stat sb;
        found = lstat(c, &sb) == 0;
        free(c);
    }
    closedir(d);
    return found;
}

int io_local_recover(const char *root, sl_err *err) {
    for (int waited = 0;; waited++) {
        int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return errno == ENOENT ? 0 : sl_err_errno(err, errno, "%s", root);
        if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
            lstore s = {.root = sl_strdup(root), .lockfd = -1, .rootfd = fd};
            size_t n = strlen(s.root);
            while (n > 1 && s.root[n - 1] == '/') s.root[--n] = 0;
            int rc = recover(&s, false, err);
            free(s.root);
            close(fd); /* releases the lock */
            return rc;
        }
        int e = errno;
        close(fd);
        if (e != EWOULDBLOCK) return sl_err_errno(err, e, "lock %s", root);
        /* a run is writing: its swaps take milliseconds once it has
         * written its commit record */
        if (!committing(root)) return 0;
        if (waited == 600)
            return sl_err_set(err, "%s: a songlake run has been publishing for 30 s; try again",
                              root);
        struct timespec ts = {0, 50 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* Every top-level directory of the lake (tables and _songlake; not the
 * hidden staging dirs): publishing swaps them, so their inodes change. */
uint64_t io_local_generation(const char *root) {
    DIR *d = opendir(root);
    if (!d) return 0;
    uint64_t h = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(sb.st_mode))
            continue;
        uint64_t id[2] = {(uint64_t)sb.st_ino, (uint64_t)sb.st_dev};
        h += sl_hash(id, sizeof id); /* a sum: readdir order does not matter */
    }
    closedir(d);
    return h;
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
    .stage_begin_direct = local_stage_begin_direct,
    .stage_create = local_stage_create,
    .writer_write = local_writer_write,
    .writer_close = local_writer_close,
    .writer_abort = local_writer_abort,
    .stage_seal = local_stage_seal,
    .store_commit = local_store_commit,
    .list_table = local_list_table,
    .stage_keep = local_stage_keep,
    .stage_carry = local_stage_carry,
    .stage_abort = local_stage_abort,
};
