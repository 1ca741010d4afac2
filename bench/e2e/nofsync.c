/* bench_nofsync: an LD_PRELOAD shim that turns fsync/fdatasync/syncfs into
 * no-ops. The benchmark harness (run.mjs --nofsync) runs songlake a second
 * way with it, to separate what durability costs on this disk from the
 * engine's own work: DuckDB's COPY ... TO does not fsync its files, songlake
 * fsyncs every file and directory before publishing. Never for production. */
#include <unistd.h>

int fsync(int fd) {
    (void)fd;
    return 0;
}

int fdatasync(int fd) {
    (void)fd;
    return 0;
}

int syncfs(int fd) {
    (void)fd;
    return 0;
}
