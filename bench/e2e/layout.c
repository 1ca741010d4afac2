/* bench_layout: the file-system floor of a lake. Recreates the directory
 * tree and files of a finished lake (same relative paths, same sizes,
 * zero-filled) under a new directory with N threads, then makes it durable
 * with one syncfs, the way songlake publishes (FS_TOPDIR_FL on each table
 * directory, partitions taken alternately from both ends of the sorted list
 * so two threads rarely create in the same parent). No parsing and no
 * Parquet: what is left is what creating these inodes and writing these
 * bytes costs on this file system, which bounds any engine that writes the
 * same layout. Prints one JSON line:
 *   {"bench_layout":{"files":N,"dirs":N,"bytes":N,"create":S,"sync":S}}
 *
 *   bench_layout SRC_LAKE DST_DIR [THREADS] */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct entry {
    char *rel;
    off_t size;
} entry;

static entry *files;
static size_t nfiles, capfiles, ndirs;
static unsigned long long total_bytes;
static const char *dst;
static atomic_size_t next_task;
static atomic_int failed;
static char zeros[1 << 16];

static void add_file(const char *rel, off_t size) {
    if (nfiles == capfiles) {
        capfiles = capfiles ? capfiles * 2 : 1024;
        files = realloc(files, capfiles * sizeof *files);
        if (!files) abort();
    }
    files[nfiles].rel = strdup(rel);
    files[nfiles++].size = size;
    total_bytes += (unsigned long long)size;
}

static void walk(const char *root, const char *rel) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "bench_layout: %s: %s\n", path, strerror(errno));
        exit(2);
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
        char r[4096], p[8192];
        if (snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", de->d_name) >= (int)sizeof r)
            continue;
        snprintf(p, sizeof p, "%s/%s", root, r);
        struct stat st;
        if (lstat(p, &st) < 0) continue;
        if (S_ISDIR(st.st_mode)) {
            ndirs++;
            walk(root, r);
        } else if (S_ISREG(st.st_mode))
            add_file(r, st.st_size);
    }
    closedir(d);
}

static int cmp_entry(const void *a, const void *b) {
    return strcmp(((const entry *)a)->rel, ((const entry *)b)->rel);
}

static int mkdir_p(char *path) {
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    if (errno != ENOENT) return -1;
    char *slash = strrchr(path, '/');
    if (!slash) return -1;
    *slash = 0;
    int rc = mkdir_p(path);
    *slash = '/';
    return rc < 0 ? -1 : (mkdir(path, 0755) == 0 || errno == EEXIST ? 0 : -1);
}

static void write_one(const entry *e) {
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dst, e->rel);
    /* as songlake: one file per partition, so its directory is new: mkdir
     * first, and the whole chain only when the open says ENOENT */
    char *slash = strrchr(path, '/');
    *slash = 0;
    (void)mkdir(path, 0755);
    *slash = '/';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == ENOENT) {
        *slash = 0;
        int rc = mkdir_p(path);
        *slash = '/';
        if (rc == 0) fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        fprintf(stderr, "bench_layout: %s: %s\n", path, strerror(errno));
        failed = 1;
        return;
    }
    for (off_t left = e->size; left > 0;) {
        size_t n = left > (off_t)sizeof zeros ? sizeof zeros : (size_t)left;
        ssize_t w = write(fd, zeros, n);
        if (w <= 0) {
            failed = 1;
            break;
        }
        left -= w;
    }
    close(fd);
}

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        size_t i = atomic_fetch_add(&next_task, 1);
        if (i >= nfiles) return NULL;
        /* alternately from the front and the back, as songlake's songs writer */
        write_one(&files[i % 2 == 0 ? i / 2 : nfiles - 1 - i / 2]);
    }
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: bench_layout SRC_LAKE DST_DIR [THREADS]\n");
        return 2;
    }
    int threads = argc > 3 ? atoi(argv[3]) : 2;
    if (threads < 1) threads = 1;
    dst = argv[2];
    walk(argv[1], "");
    qsort(files, nfiles, sizeof *files, cmp_entry);
    double t0 = now();
    if (mkdir(dst, 0755) < 0) {
        fprintf(stderr, "bench_layout: %s: %s\n", dst, strerror(errno));
        return 2;
    }
    /* each table directory first, marked as songlake marks it */
    for (size_t i = 0; i < nfiles; i++) {
        char path[8192];
        const char *slash = strchr(files[i].rel, '/');
        if (!slash) continue;
        snprintf(path, sizeof path, "%s/%.*s", dst, (int)(slash - files[i].rel), files[i].rel);
        if (mkdir(path, 0755) < 0) continue; /* seen */
#ifdef FS_IOC_SETFLAGS
        int fd = open(path, O_RDONLY | O_DIRECTORY);
        int flags = 0;
        if (fd >= 0 && ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
            flags |= FS_TOPDIR_FL;
            (void)ioctl(fd, FS_IOC_SETFLAGS, &flags);
        }
        if (fd >= 0) close(fd);
#endif
    }
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    for (int t = 1; t < threads; t++) pthread_create(&th[t], NULL, worker, NULL);
    worker(NULL);
    for (int t = 1; t < threads; t++) pthread_join(th[t], NULL);
    double t1 = now();
    int fd = open(dst, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || syncfs(fd) < 0) failed = 1;
    if (fd >= 0) close(fd);
    double t2 = now();
    printf("{\"bench_layout\":{\"files\":%zu,\"dirs\":%zu,\"bytes\":%llu,\"create\":%.4f,"
           "\"sync\":%.4f}}\n",
           nfiles, ndirs, total_bytes, t1 - t0, t2 - t1);
    for (size_t i = 0; i < nfiles; i++) free(files[i].rel);
    free(files);
    free(th);
    return failed ? 1 : 0;
}
