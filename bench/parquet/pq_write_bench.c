/* pq_write_bench: write throughput of songlake's Parquet writer on a
 * songplays-like table, per codec. Not a test: it prints numbers.
 *
 *   pq_write_bench <out-dir> [rows (default 2000000)] [codec ...]
 *
 * The table (generated in memory first, deterministic): songplayId INT64
 * (dense ids), user_id INT64 nullable (~100 users, 3% null), start_time
 * TIMESTAMP (increasing), level STRING (free/paid), song_id and artist_id
 * STRING nullable (ids from pools of 5,000 / 2,000, 40% null), sessionId
 * INT64 (thousands), userAgent STRING (50 long agents). Rows go to the
 * writer in batches of 8,192 as the lake writes them; the time counts
 * encoding, compression and writing the file (close included). Prints one
 * JSON object per codec on stdout: codec, rows, bytes, seconds (wall),
 * cpu_seconds (user + system), mb_per_s (encoded output), rows_per_s. bench/parquet/run.mjs drives
 * it.
 *
 * With PQ_WRITE_BENCH_SHAPE=lake in the environment the table is shaped as
 * `songlake build` writes bench/data/l's songplays instead: 2,500 users
 * (user_id never null, as there), song_id / artist_id 50% null from a
 * catalog of 15,000 songs and marked stable, ~50,000 sessions, and batches of
 * 1,000 rows (what merge_events hands the lake). Its strings are scattered in
 * memory as a catalog's are, so the writer's lookups miss the caches as they
 * do in the real run. */
#include "parquet/parquet.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { NCOLS = 8, BATCH = 8192 };

typedef struct table {
    size_t n;
    int64_t *id, *user, *ts, *session;
    uint8_t *user_valid, *song_valid;
    sl_str *level, *song, *artist, *agent;
    sl_arena strings;
} table;

static uint64_t mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static sl_str pool_str(sl_arena *a, const char *fmt, uint64_t k) {
    char tmp[256];
    int n = snprintf(tmp, sizeof tmp, fmt, (unsigned long long)k,
                     (unsigned long long)(k * 7919 % 1000), (unsigned long long)(k % 17));
    char *p = sl_arena_strndup(a, tmp, (size_t)n);
    return (sl_str){p, (uint32_t)n};
}

static void alloc_table(table *t, size_t n) {
    memset(t, 0, sizeof *t);
    t->n = n;
    t->id = malloc(n * 8);
    t->user = malloc(n * 8);
    t->ts = malloc(n * 8);
    t->session = malloc(n * 8);
    t->user_valid = malloc(n);
    t->song_valid = malloc(n);
    t->level = malloc(n * sizeof(sl_str));
    t->song = malloc(n * sizeof(sl_str));
    t->artist = malloc(n * sizeof(sl_str));
    t->agent = malloc(n * sizeof(sl_str));
}

static void make_table(table *t, size_t n) {
    alloc_table(t, n);
    sl_str songs[5000], artists[2000], agents[50];
    for (uint64_t k = 0; k < 5000; k++)
        songs[k] = pool_str(&t->strings, "SO%08llX%03lluA%02llu", mix(k));
    for (uint64_t k = 0; k < 2000; k++)
        artists[k] = pool_str(&t->strings, "AR%08llX%03lluB%02llu", mix(k + 77));
    for (uint64_t k = 0; k < 50; k++)
        agents[k] =
            pool_str(&t->strings,
                     "\"Mozilla/5.0 (Windows NT 6.%llu; WOW64) AppleWebKit/537.%llu (KHTML, like "
                     "Gecko) Chrome/36.0.1985.%llu Safari/537.36\"",
                     k);
    int64_t ts = 1541030400000000ll; /* 2018-11-01 */
    for (size_t i = 0; i < n; i++) {
        uint64_t h = mix(i);
        t->id[i] = (int64_t)i + 1;
        t->user[i] = (int64_t)(h % 100) + 2;
        t->user_valid[i] = h % 33 != 0;
        ts += (int64_t)(h >> 40) % 2000000;
        t->ts[i] = ts / 1000 * 1000; /* millisecond precision, as events have */
        t->session[i] = (int64_t)(i / 40) % 7000 + (int64_t)(h >> 20) % 3;
        bool paid = (h >> 8) % 10 < 7;
        t->level[i] = paid ? (sl_str){"paid", 4} : (sl_str){"free", 4};
        t->song_valid[i] = (h >> 12) % 10 < 6;
        t->song[i] = songs[(h >> 24) % 5000];
        t->artist[i] = artists[(h >> 24) % 2000];
        t->agent[i] = agents[t->user[i] % 50];
    }
}

/* The lake shape (see the top of the file). */
static void make_lake_table(table *t, size_t n) {
    enum { USERS = 2500, SONGS = 15000, ARTISTS = 9000, AGENTS = 50 };
    alloc_table(t, n);
    sl_str *songs = malloc(SONGS * sizeof *songs), *artists = malloc(ARTISTS * sizeof *artists);
    sl_str agents[AGENTS];
    /* catalog strings interleaved with other catalog data, as the ETL keeps them */
    for (uint64_t k = 0; k < SONGS; k++) {
        songs[k] = pool_str(&t->strings, "SO%08llX%03lluA%02llu", mix(k));
        (void)pool_str(&t->strings, "title of song %llu %llu %llu", k);
        if (k < ARTISTS) artists[k] = pool_str(&t->strings, "AR%08llX%03lluB%02llu", mix(k + 77));
    }
    for (uint64_t k = 0; k < AGENTS; k++)
        agents[k] =
            pool_str(&t->strings, "Mozilla/5.0 (X11; Linux x86_64) Gecko/%llu.%llu.%llu", k);
    int64_t ts = 1541030400000000ll;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = mix(i), u = h % USERS;
        t->id[i] = (int64_t)i + 1;
        t->user[i] = (int64_t)u + 2;
        t->user_valid[i] = 1;
        ts += (int64_t)(h >> 40) % 2000 * 1000;
        t->ts[i] = ts;
        t->session[i] = (int64_t)((i / 40 + u * 7) % 50000) + 1;
        t->level[i] = u % 10 < 7 ? (sl_str){"paid", 4} : (sl_str){"free", 4};
        t->song_valid[i] = (h >> 12) % 2;
        uint64_t song = (h >> 24) % SONGS;
        t->song[i] = songs[song];
        t->artist[i] = artists[song % ARTISTS];
        t->agent[i] = agents[u % AGENTS];
    }
    free(songs);
    free(artists);
}

static void free_table(table *t) {
    free(t->id);
    free(t->user);
    free(t->ts);
    free(t->session);
    free(t->user_valid);
    free(t->song_valid);
    free(t->level);
    free(t->song);
    free(t->artist);
    free(t->agent);
    sl_arena_free(&t->strings);
}

static double cpu_seconds(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static int run(const table *t, const char *dir, pq_codec codec, bool lake) {
    static const pq_column_def cols[NCOLS] = {
        {"songplayId", PQ_INT64, false},        {"user_id", PQ_INT64, true},
        {"start_time", PQ_TIMESTAMP_US, false}, {"level", PQ_STRING, true},
        {"song_id", PQ_STRING, true},           {"artist_id", PQ_STRING, true},
        {"sessionId", PQ_INT64, true},          {"userAgent", PQ_STRING, true}};
    char *path = sl_sprintf("%s/songlake_%s.parquet", dir, pq_codec_name(codec));
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    if (fd < 0) {
        perror(path);
        free(path);
        return -1;
    }
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = codec;
    sl_err err;
    double t0 = sl_now(), c0 = cpu_seconds();
    pq_writer *w = pq_writer_open(cols, NCOLS, &o, pq_sink_fd(fd), &err);
    int rc = w ? 0 : -1;
    size_t batch = lake ? 1000 : BATCH;
    for (size_t off = 0; rc == 0 && off < t->n; off += batch) {
        size_t n = t->n - off < batch ? t->n - off : batch;
        pq_column_batch b[NCOLS] = {
            {NULL, {.i64 = t->id + off}, false},
            {t->user_valid + off, {.i64 = t->user + off}, false},
            {NULL, {.i64 = t->ts + off}, false},
            {NULL, {.str = t->level + off}, false},
            {t->song_valid + off, {.str = t->song + off}, lake},
            {t->song_valid + off, {.str = t->artist + off}, lake},
            {NULL, {.i64 = t->session + off}, false},
            {NULL, {.str = t->agent + off}, false},
        };
        rc = pq_writer_write(w, b, n, &err);
    }
    pq_file_info info = {0};
    if (w) rc = rc == 0 ? pq_writer_close(w, &info, &err) : (pq_writer_abort(w), -1);
    double secs = sl_now() - t0, cpu = cpu_seconds() - c0;
    close(fd);
    free(path);
    if (rc < 0) {
        fprintf(stderr, "pq_write_bench: %s\n", err.msg);
        return -1;
    }
    printf("{\"codec\":\"%s\",\"rows\":%zu,\"bytes\":%llu,\"row_groups\":%u,\"seconds\":%.4f,"
           "\"cpu_seconds\":%.4f,\"mb_per_s\":%.1f,\"rows_per_s\":%.0f}\n",
           pq_codec_name(codec), t->n, (unsigned long long)info.bytes, info.row_groups, secs, cpu,
           (double)info.bytes / 1e6 / secs, (double)t->n / secs);
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pq_write_bench <out-dir> [rows] [codec ...]\n");
        return 2;
    }
    size_t rows = argc > 2 ? strtoull(argv[2], NULL, 10) : 2000000;
    const char *shape = getenv("PQ_WRITE_BENCH_SHAPE");
    bool lake = shape && !strcmp(shape, "lake");
    table t;
    if (lake)
        make_lake_table(&t, rows);
    else
        make_table(&t, rows);
    int rc = 0;
    if (argc > 3) {
        for (int i = 3; i < argc && rc == 0; i++) {
            int c = pq_codec_parse(argv[i]);
            if (c < 0) {
                fprintf(stderr, "pq_write_bench: unknown codec %s\n", argv[i]);
                rc = -1;
            } else {
                rc = run(&t, argv[1], (pq_codec)c, lake);
            }
        }
    } else {
        const pq_codec all[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_ZSTD,
                                PQ_CODEC_GZIP};
        for (int i = 0; i < 4 && rc == 0; i++) rc = run(&t, argv[1], all[i], lake);
    }
    free_table(&t);
    return rc == 0 ? 0 : 1;
}
