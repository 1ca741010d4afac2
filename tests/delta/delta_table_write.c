/* delta_table_write: writes a small partitioned Delta table through 13
 * versions with src/parquet and src/delta, checking our own log reader at
 * every version on the way, for tests/delta/delta_readers.py to read with
 * delta-rs, polars, DuckDB and Spark.
 *
 * Usage: delta_table_write <table-dir>
 *
 * Table: id BIGINT NOT NULL, ts TIMESTAMP NOT NULL, name STRING, score
 * DOUBLE, year INT (partition), tag STRING (partition, with characters a
 * path escapes, and null: the default partition). Versions: 0 overwrite
 * (create), 1-2 appends, 3 overwrite, 4-5 appends, 6 RESTORE of version 2,
 * 7-12 appends (one an overwrite at 9), so version 10 has a checkpoint and
 * 11-12 come after it. Names run past 32 characters (cut statistics),
 * one file holds a NaN score (no bounds), one an all-null name, some
 * timestamps are before 1970 and some not on a millisecond.
 *
 * Beside the table it writes versions.json: for every version, the files
 * (paths relative to the table) it must hold and their rows, from this
 * program's own bookkeeping, not from the log. It also checks that a
 * commit on a stale snapshot is refused (DELTA_TAKEN) and writes nothing.
 * Exit 0 when every check passed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "delta/delta.h"

static const pq_column_def TABLE[] = {
    {"id", PQ_INT64, false},    {"ts", PQ_TIMESTAMP_US, false}, {"name", PQ_STRING, true},
    {"score", PQ_DOUBLE, true}, {"year", PQ_INT32, true},       {"tag", PQ_STRING, true},
};
static const pq_column_def FILE_COLS[] = {{"id", PQ_INT64, false},
                                          {"ts", PQ_TIMESTAMP_US, false},
                                          {"name", PQ_STRING, true},
                                          {"score", PQ_DOUBLE, true}};
static const char *const PARTS[] = {"year", "tag"};
static const delta_schema SCHEMA = {TABLE, 6, PARTS, 2};

static const char *TAGS[] = {"plain", "a b", "x:y/z", "\xc3\xa9t\xc3\xa9", NULL};

#define MAXF 256
typedef struct tracked {
    char *path;
    uint64_t rows;
} tracked;
static tracked live[MAXF];
static char *owned[MAXF];
static size_t nowned;
static size_t nlive;
static sl_buf versions_json;
static const char *table;
static int failures;

#define CHECK(c, ...)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

static void die(const sl_err *e) {
    fprintf(stderr, "delta_table_write: %s\n", e->msg);
    exit(1);
}

/* Hive escaping of a partition value for the directory name. */
static void hive_escape(sl_buf *b, const char *v) {
    if (!v || !*v) {
        sl_buf_printf(b, "__HIVE_DEFAULT_PARTITION__");
        return;
    }
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p < 0x20 || *p == 0x7F || strchr("\"#%'*/:=?\\{[]^", *p))
            sl_buf_printf(b, "%%%02X", *p);
        else
            sl_buf_putc(b, *p);
    }
}

static int fd_sink(void *ctx, const void *p, size_t n, sl_err *err) {
    return sl_write_all((int)(intptr_t)ctx, p, n, err);
}

static void mkdirs(const char *path) {
    char *d = sl_strdup(path);
    for (char *p = d + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(d, 0777);
            *p = '/';
        }
    free(d);
}

/* Writes one data file of `rows` rows for (year, tag); fills the add. */
static void write_file(int64_t version, int k, int year, const char *tag, size_t rows, delta_add *a,
                       char **pv) {
    sl_buf rel = {0};
    sl_buf_printf(&rel, "year=%d/tag=", year);
    hive_escape(&rel, tag);
    sl_buf_printf(&rel, "/part-%05d-v%02lld.snappy.parquet", k, (long long)version);
    sl_buf_putc(&rel, 0);
    char *full = sl_sprintf("%s/%s", table, (const char *)rel.data);
    mkdirs(full);
    FILE *f = fopen(full, "wb");
    if (!f) {
        perror(full);
        exit(1);
    }
    int64_t *id = calloc(rows + 1, 8), *ts = calloc(rows + 1, 8);
    double *score = calloc(rows + 1, 8);
    sl_str *name = calloc(rows + 1, sizeof *name);
    uint8_t *nv = calloc(rows + 1, 1), *sv = calloc(rows + 1, 1);
    char **names = calloc(rows + 1, sizeof *names);
    for (size_t i = 0; i < rows; i++) {
        id[i] = version * 100000 + k * 1000 + (int64_t)i;
        /* 2018-11 in ms, some before 1970, some with microseconds */
        ts[i] = (k % 3 == 2 ? -86400000000LL * 400 : 1541030400000000LL) +
                (int64_t)(version * 3600 + (int64_t)i * 61) * 1000000 + (i % 4 == 3 ? 123 : 0);
        bool all_null = version == 4 && k == 0;
        nv[i] = !all_null && i % 5 != 4;
        names[i] =
            sl_sprintf("%s-%s-%zu", i % 2 ? "user" : "a-name-longer-than-thirty-two-characters",
                       tag ? tag : "none", i);
        name[i] = (sl_str){names[i], (uint32_t)strlen(names[i])};
        sv[i] = i % 7 != 6;
        score[i] = (version == 8 && k == 1 && i == 1) ? NAN : (double)(int64_t)i * 0.25 - 3;
    }
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = 5; /* stats must span row groups */
    sl_err err = {{0}};
    pq_writer *w =
        pq_writer_open(FILE_COLS, 4, &o, (pq_sink){fd_sink, (void *)(intptr_t)fileno(f)}, &err);
    if (!w) die(&err);
    pq_column_batch b[4] = {
        {.v.i64 = id}, {.v.i64 = ts}, {.valid = nv, .v.str = name}, {.valid = sv, .v.f64 = score}};
    if (pq_writer_write(w, b, rows, &err) < 0) die(&err);
    pq_file_info info;
    pq_file_stats st;
    if (pq_writer_close_stats(w, &info, &st, &err) < 0) die(&err);
    fclose(f);
    sl_buf stats = {0};
    delta_stats_json(FILE_COLS, &st, info.rows, &stats);
    sl_buf_putc(&stats, 0);
    pq_file_stats_free(&st);
    pv[0] = sl_sprintf("%d", year);
    pv[1] = tag ? sl_strdup(tag) : NULL;
    *a = (delta_add){.path = (const char *)rel.data,
                     .partition_values = (const char *const *)pv,
                     .size = info.bytes,
                     .modification_time = 1700000000000LL + version * 1000 + k,
                     .stats = (const char *)stats.data,
                     .rows = info.rows};
    for (size_t i = 0; i < rows; i++) free(names[i]);
    free(names), free(id), free(ts), free(score), free(name), free(nv), free(sv), free(full);
}

static void record_version(int64_t v) {
    sl_buf_printf(&versions_json, "%s{\"version\":%lld,\"files\":[", v ? ",\n" : "", (long long)v);
    for (size_t i = 0; i < nlive; i++) {
        if (i) sl_buf_putc(&versions_json, ',');
        sl_buf_printf(&versions_json, "{\"path\":");
        sl_buf_json_str(&versions_json, live[i].path, strlen(live[i].path));
        sl_buf_printf(&versions_json, ",\"rows\":%llu}", (unsigned long long)live[i].rows);
    }
    sl_buf_printf(&versions_json, "]}");
}

static tracked history[16][MAXF];
static size_t nhistory[16];

/* Our reader at version v holds exactly the tracked files. */
static void check_snapshot(int64_t v) {
    delta_snapshot s;
    sl_err err = {{0}};
    if (delta_snapshot_load(table, NULL, v, &s, &err) < 0) die(&err);
    CHECK(s.version == v, "version %lld loaded as %lld", (long long)v, (long long)s.version);
    CHECK(s.nfiles == nhistory[v], "version %lld: %zu files, tracked %zu", (long long)v, s.nfiles,
          nhistory[v]);
    for (size_t i = 0; i < nhistory[v]; i++) {
        const delta_file *f = delta_snapshot_find(&s, history[v][i].path);
        CHECK(f != NULL, "version %lld lacks %s", (long long)v, history[v][i].path);
        if (f) CHECK(f->stats && strstr(f->stats, "\"numRecords\""), "%s: stats", f->path);
    }
    CHECK(s.npartition == 2 && !strcmp(s.partition_cols[0], "year"), "partition columns");
    CHECK(delta_snapshot_txn(&s, "songlake") == 1000 + v, "txn at %lld", (long long)v);
    CHECK(s.min_reader == 1 && s.min_writer == 2, "protocol");
    CHECK(v < 10 ? s.checkpoint_version == -1 : s.checkpoint_version == 10,
          "version %lld read from checkpoint %lld", (long long)v, (long long)s.checkpoint_version);
    delta_snapshot_free(&s);
}

static void commit(int64_t v, const char *mode, int nfiles, size_t rows) {
    delta_snapshot prev;
    sl_err err = {{0}};
    if (delta_snapshot_load(table, NULL, -1, &prev, &err) < 0) die(&err);
    CHECK(prev.version == v - 1, "latest before %lld is %lld", (long long)v,
          (long long)prev.version);
    delta_add adds[8];
    char *pv[8][2];
    bool over = !strcmp(mode, "Overwrite");
    if (over) nlive = 0;
    for (int k = 0; k < nfiles; k++) {
        write_file(v, k, 2018 + (int)((v + k) % 2), TAGS[(v + k) % 5], rows + (size_t)k * 3,
                   &adds[k], pv[k]);
        owned[nowned] = sl_strdup(adds[k].path);
        live[nlive++] = (tracked){owned[nowned++], adds[k].rows};
    }
    char run[32];
    snprintf(run, sizeof run, "run-%02lld", (long long)v);
    delta_commit c = {.mode = mode,
                      .run_id = run,
                      .txn_version = 1000 + v,
                      .timestamp = 1700000000000LL + v * 60000,
                      .adds = adds,
                      .nadds = (size_t)nfiles,
                      .remove_all = over};
    int64_t got;
    int rc = delta_commit_version(table, NULL, &SCHEMA, &prev, &c, &got, &err);
    if (rc < 0) die(&err);
    CHECK(rc == DELTA_COMMITTED && got == v, "commit %lld", (long long)v);
    /* the same commit again, on the now stale snapshot: refused, nothing written */
    rc = delta_commit_version(table, NULL, &SCHEMA, &prev, &c, &got, &err);
    CHECK(rc == DELTA_TAKEN, "a second writer of version %lld: rc %d", (long long)v, rc);
    CHECK(strstr(err.msg, "another writer committed version") != NULL, "message: %s", err.msg);
    for (int k = 0; k < nfiles; k++) {
        free((char *)adds[k].path);
        free((char *)adds[k].stats);
        free(pv[k][0]);
        free(pv[k][1]);
    }
    delta_snapshot_free(&prev);
    memcpy(history[v], live, nlive * sizeof *live);
    nhistory[v] = nlive;
    record_version(v);
    check_snapshot(v);
}

static void restore(int64_t v, int64_t target) {
    delta_snapshot cur;
    sl_err err = {{0}};
    if (delta_snapshot_load(table, NULL, -1, &cur, &err) < 0) die(&err);
    int64_t got;
    int rc = delta_restore(table, NULL, &cur, target, "run-restore", 1000 + v,
                           1700000000000LL + v * 60000, &got, &err);
    if (rc < 0) die(&err);
    CHECK(rc == DELTA_COMMITTED && got == v, "restore as %lld", (long long)v);
    delta_snapshot_free(&cur);
    memcpy(live, history[target], nhistory[target] * sizeof *live);
    nlive = nhistory[target];
    memcpy(history[v], live, nlive * sizeof *live);
    nhistory[v] = nlive;
    record_version(v);
    check_snapshot(v);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: delta_table_write <table-dir>\n");
        return 2;
    }
    table = argv[1];
    delta_snapshot none;
    sl_err err = {{0}};
    if (delta_snapshot_load(table, NULL, -1, &none, &err) < 0) die(&err);
    CHECK(none.version == -1 && none.nfiles == 0, "an empty directory is no table yet");
    delta_snapshot_free(&none);
    sl_buf_printf(&versions_json, "[");
    commit(0, "Overwrite", 3, 7);
    commit(1, "Append", 2, 4);
    commit(2, "Append", 1, 12);
    commit(3, "Overwrite", 3, 6);
    commit(4, "Append", 2, 5);
    commit(5, "Append", 1, 3);
    restore(6, 2);
    commit(7, "Append", 2, 4);
    commit(8, "Append", 2, 6);
    commit(9, "Overwrite", 2, 8);
    commit(10, "Append", 1, 5);
    commit(11, "Append", 2, 3);
    commit(12, "Append", 1, 9);
    sl_buf_printf(&versions_json, "]\n");
    /* every earlier version again, now that a checkpoint exists */
    for (int64_t v = 0; v <= 12; v++) check_snapshot(v);
    /* history of the latest: versions after the checkpoint */
    delta_snapshot s;
    if (delta_snapshot_load(table, NULL, -1, &s, &err) < 0) die(&err);
    CHECK(s.nhistory == 2 && s.history[1].version == 12 && !strcmp(s.history[1].mode, "Append") &&
              !strcmp(s.history[1].run_id, "run-12"),
          "history after the checkpoint");
    delta_snapshot_free(&s);
    delta_snapshot six;
    if (delta_snapshot_load(table, NULL, 6, &six, &err) < 0) die(&err);
    CHECK(six.nhistory == 7 && !strcmp(six.history[6].operation, "RESTORE"),
          "version 6 is a RESTORE");
    delta_snapshot_free(&six);
    /* vacuum: everything removed before now + 1 day with no retention,
     * nothing with a week's retention of times in 2023 seen from then */
    char **paths;
    size_t n;
    if (delta_vacuum_plan(table, NULL, 1700000000000LL + 86400000, 0, &paths, &n, &err) < 0)
        die(&err);
    CHECK(n > 0, "vacuum finds removed files");
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < nlive; j++)
            CHECK(strcmp(paths[i], live[j].path) != 0, "vacuum would delete live %s", paths[i]);
    delta_paths_free(paths, n);
    if (delta_vacuum_plan(table, NULL, 1700000000000LL + 13 * 60000, 7 * 86400000LL, &paths, &n,
                          &err) < 0)
        die(&err);
    CHECK(n == 0, "a week's retention keeps every file (%zu listed)", n);
    delta_paths_free(paths, n);
    char *vj = sl_sprintf("%s/../versions.json", table);
    FILE *f = fopen(vj, "w");
    if (!f || fwrite(versions_json.data, 1, versions_json.len, f) != versions_json.len) {
        perror(vj);
        return 1;
    }
    fclose(f);
    free(vj);
    sl_buf_free(&versions_json);
    for (size_t i = 0; i < nowned; i++) free(owned[i]);
    if (failures) fprintf(stderr, "%d checks failed\n", failures);
    return failures ? 1 : 0;
}
