/* bench_json: how fast src/json scans Sparkify event logs, beside jansson.
 *
 *   bench_json [--mb N] [--peer-mb N] [--runs N] [FILE_OR_DIR]
 *
 * Reads every *.json under the sample's log_data (or the given file or
 * directory), replicates it in memory to about N MB (default 500), and
 * scans it single-threaded with the key set etl.c requests for events; the
 * best of 3 runs is reported as GB/s per core, twice: every string decoded,
 * and as etl scans (userAgent a raw key: validated, not decoded). The peer is jansson
 * (json_loadb per line, then the same 12 keys looked up) on the first
 * --peer-mb MB (default 100) of the same image; the ratio is printed. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "json/json.h"

/* bench_json_jansson.c (jansson's header clashes with ours) */
int bench_jansson(const uint8_t *img, size_t len, const char *const *keys, size_t nkeys,
                  uint64_t *records);

/* the event keys of src/etl/etl.c, in its order */
static const char *const EVENT_KEYS[] = {"page",     "userId", "ts",        "firstName",
                                         "lastName", "gender", "level",     "song",
                                         "artist",   "length", "sessionId", "userAgent"};
#define NKEYS (sizeof EVENT_KEYS / sizeof *EVENT_KEYS)

/* CPU seconds of this thread: per-core speed even when the machine is busy */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* appends every *.json file under path (sorted) to out */
static void load(const char *path, sl_buf *out) {
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench_json: %s: not found\n", path);
        exit(2);
    }
    if (!S_ISDIR(st.st_mode)) {
        sl_err err;
        sl_buf b = {0};
        if (sl_read_file(path, &b, &err) < 0) {
            fprintf(stderr, "bench_json: %s\n", err.msg);
            exit(2);
        }
        sl_buf_append(out, b.data, b.len);
        if (b.len && b.data[b.len - 1] != '\n') sl_buf_putc(out, '\n');
        sl_buf_free(&b);
        return;
    }
    DIR *d = opendir(path);
    if (!d) return;
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = sl_sprintf("%s/%s", path, e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        if (stat(names[i], &st) == 0 &&
            (S_ISDIR(st.st_mode) || (l > 5 && !strcmp(names[i] + l - 5, ".json"))))
            load(names[i], out);
        free(names[i]);
    }
    free(names);
}

typedef struct counts {
    uint64_t records, rejects, bytes_seen;
} counts;

static int on_record(void *ctx, const json_value *v, json_pos pos) {
    counts *c = ctx;
    (void)pos;
    c->records++;
    c->bytes_seen += v[0].len + v[11].len; /* touch the values */
    return 0;
}

static int on_reject(void *ctx, json_pos pos, const char *r, const char *raw, size_t n) {
    (void)pos, (void)r, (void)raw, (void)n;
    ((counts *)ctx)->rejects++;
    return 0;
}

int main(int argc, char **argv) {
    double mb = 500, peer_mb = 100;
    int runs = 3;
    const char *path = SONGLAKE_SAMPLE_LOGS;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--mb") && i + 1 < argc)
            mb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--peer-mb") && i + 1 < argc)
            peer_mb = atof(argv[++i]);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else
            path = argv[i];
    }
    sl_buf one = {0}, img = {0};
    load(path, &one);
    if (!one.len) {
        fprintf(stderr, "bench_json: no *.json under %s\n", path);
        return 2;
    }
    size_t target = (size_t)(mb * 1e6);
    while (img.len < target) sl_buf_append(&img, one.data, one.len);
    printf("input: %s (%zu bytes) x %zu = %.1f MB\n", path, one.len, img.len / one.len,
           img.len / 1e6);

    double ours = 0;
    for (int raw = 0; raw < 2; raw++) {
        json_fields *f = json_fields_new(EVENT_KEYS, NKEYS);
        if (raw) json_fields_set_raw(f, NKEYS - 1); /* userAgent, as etl_parse.c */
        json_scanner *s = json_scanner_new(f);
        json_callbacks cb = {on_record, on_reject};
        double best = 1e30, best_wall = 1e30;
        counts c = {0};
        for (int run = 0; run < runs; run++) {
            memset(&c, 0, sizeof c);
            double w0 = sl_now(), t0 = cpu_now();
            json_scan(s, img.data, img.len, &cb, &c);
            double t = cpu_now() - t0, w = sl_now() - w0;
            if (t < best) best = t;
            if (w < best_wall) best_wall = w;
        }
        double gbs = img.len / best / 1e9;
        if (!raw) ours = gbs;
        printf("songlake json_scan%s: %.3f GB/s per core (CPU time; wall %.3f GB/s), %.0f "
               "ns/record, %llu records, %llu rejects, best of %d\n",
               raw ? ", userAgent raw (as etl)" : ", every string decoded", gbs,
               img.len / best_wall / 1e9, best * 1e9 / (double)c.records,
               (unsigned long long)c.records, (unsigned long long)c.rejects, runs);
        json_scanner_free(s);
        json_fields_free(f);
    }

#ifdef HAVE_JANSSON
    if (peer_mb > 0) {
        size_t plen = (size_t)(peer_mb * 1e6);
        if (plen > img.len) plen = img.len;
        while (plen < img.len && img.data[plen - 1] != '\n') plen++;
        uint64_t precords = 0;
        double t0 = cpu_now();
        bench_jansson(img.data, plen, EVENT_KEYS, NKEYS, &precords);
        double peer = (double)plen / (cpu_now() - t0) / 1e9;
        printf("jansson json_loadb per line + 12 lookups: %.3f GB/s per core (CPU time; %llu "
               "records, %.0f MB)\n",
               peer, (unsigned long long)precords, plen / 1e6);
        printf("ratio songlake/jansson: %.1fx\n", ours / peer);
    }
#else
    (void)peer_mb;
    (void)ours;
#endif
    sl_buf_free(&one);
    sl_buf_free(&img);
    return 0;
}
