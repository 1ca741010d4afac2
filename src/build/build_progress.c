/* build progress: one line on stderr, redrawn at most every 0.2 s, while
 * the files of a phase are merged (only when stderr is a terminal). */
#include "build/build_internal.h"

void build_progress_cb(void *ctx, uint64_t files, uint64_t bytes) {
    build_progress *p = ctx;
    if (!p->on) return;
    double now = sl_now();
    if (now - p->last < 0.2 && files < p->total_files) return;
    p->last = now;
    double el = now - p->start, mb = (double)bytes / 1e6;
    double rate = el > 0 ? mb / el : 0;
    double frac = p->total_files ? (double)files / (double)p->total_files : 1;
    double eta = frac > 0 ? el / frac - el : 0;
    fprintf(stderr, "\r%-6s %llu/%llu files  %.1f MB  %.1f MB/s  ETA %.0fs   ", p->what,
            (unsigned long long)files, (unsigned long long)p->total_files, mb, rate, eta);
    if (files >= p->total_files) fprintf(stderr, "\n");
}

/* The steps after reading, which have no file count: one line each, so
 * the terminal shows what the run is doing until its end. */
void build_progress_step(build_progress *p, const char *what) {
    if (!p->on) return;
    fprintf(stderr, "%s...\n", what);
}
