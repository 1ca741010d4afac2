/* Unit tests for etl/ through a real lake on a temp dir: files are handed
 * to the engine from memory, the published Parquet files are read back with
 * the parquet reader. Covers the SPEC rules whose code paths are easy to
 * miss (ties across files, several matching songs, rejects and the
 * --max-rejects limit, a failed run leaving nothing published) and runs
 * under the sanitizers in CI. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "etl/etl.h"
#include "lake/lake.h"
#include "parquet/parquet.h"

typedef struct files {
    const char *const *bodies;
} files;

static int fetch_mem(void *ctx, size_t i, sl_buf *out, sl_err *err) {
    (void)err;
    const files *f = ctx;
    out->len = 0;
    sl_buf_append(out, f->bodies[i], strlen(f->bodies[i]));
    return 0;
}

static char *make_root(void) {
    char tmpl[] = "/tmp/songlake-etl-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return sl_strdup(d);
}

static void rm_rf(const char *p) {
    char *cmd = sl_sprintf("rm -rf '%s'", p);
    assert_int_equal(system(cmd), 0);
    free(cmd);
}

typedef struct run {
    char *root;
    io_store *store;
    lake *lk;
    etl *e;
    sl_err err;
} run;

static void run_open(run *r, uint64_t max_rejects) {
    memset(r, 0, sizeof *r);
    r->root = make_root();
    r->store = io_store_open(r->root, NULL, "test", &r->err);
    assert_non_null(r->store);
    lake_opts lo = {.codec = PQ_CODEC_SNAPPY, .threads = 2};
    r->lk = lake_open(r->store, &lo, &r->err);
    assert_non_null(r->lk);
    etl_opts eo = {.threads = 2, .max_rejects = max_rejects};
    r->e = etl_new(r->lk, &eo);
}

static int run_all(run *r, const char *const *songs, size_t ns, const char *const *logs,
                   size_t nl) {
    char *names[16];
    for (size_t i = 0; i < 16; i++) names[i] = sl_sprintf("mem://%zu.json", i);
    files fs = {songs}, fl = {logs};
    int rc = etl_run_songs(r->e, ns, names, fetch_mem, &fs, &r->err);
    if (rc == 0) rc = etl_run_events(r->e, nl, names, fetch_mem, &fl, &r->err);
    if (rc == 0) rc = etl_finish(r->e, &r->err);
    if (rc == 0) rc = lake_finish(r->lk, &r->err);
    if (rc == 0) rc = lake_publish(r->lk, "{}", 2, &r->err);
    if (rc < 0) lake_abort(r->lk);
    for (size_t i = 0; i < 16; i++) free(names[i]);
    return rc;
}

static void run_close(run *r) {
    etl_free(r->e);
    lake_free(r->lk);
    io_store_close(r->store);
    rm_rf(r->root);
    free(r->root);
}

/* Reads column col of a one-row-group file as strings ("" for null) or
 * int64 values into out[]. */
static size_t read_col(const char *path, size_t col, char out[][32], int64_t *iv) {
    sl_err err;
    pq_reader *rd = pq_reader_open_file(path, &err);
    if (!rd) fail_msg("%s", err.msg);
    size_t n = 0;
    for (size_t rg = 0; rg < pq_reader_num_row_groups(rd); rg++) {
        pq_column_data d;
        assert_int_equal(pq_reader_read_column(rd, rg, col, &d, &err), 0);
        for (size_t i = 0; i < d.n; i++, n++) {
            if (d.type == PQ_STRING && out) {
                size_t len = d.valid[i] ? d.v.str[i].len : 0;
                if (len > 31) len = 31;
                memcpy(out[n], d.valid[i] ? d.v.str[i].ptr : "", len);
                out[n][len] = 0;
            } else if (iv) {
                iv[n] = d.valid[i] ? d.v.i64[i] : -1;
            }
        }
        pq_column_data_free(&d);
    }
    pq_reader_close(rd);
    return n;
}

static const char *S_DUP[] = {
    "{\"song_id\":\"SOZ\",\"artist_id\":\"ARZ\",\"title\":\"Hit\",\"artist_name\":\"Band\","
    "\"duration\":200.25,\"year\":1}",
    "{\"song_id\":\"SOB\",\"artist_id\":\"ARB\",\"title\":\"Hit\",\"artist_name\":\"Band\","
    "\"duration\":200.25,\"year\":1}\n"
    "{\"song_id\":\"SOZ\",\"artist_id\":\"ARQ\",\"title\":\"Other\",\"artist_name\":\"X\","
    "\"duration\":1,\"year\":1}",
};

#define EV(uid, ts, first, extra)                                                                  \
    "{\"page\":\"NextSong\",\"userId\":\"" uid "\",\"ts\":" ts ",\"firstName\":\"" first           \
    "\",\"level\":\"free\",\"song\":\"Hit\",\"artist\":\"Band\",\"length\":200.25" extra "}\n"

static void test_rules(void **state) {
    (void)state;
    const char *logs[] = {
        EV("1", "1541105830000", "A", "") EV("2", "1541105830000", "Tie1", "") "not json\n",
        EV("2", "1541105830000", "Tie2", ",\"sessionId\":\"x\"")
            EV("2", "1541105830000", "Tie3", "") EV("", "1541105831000", "Anon", ""),
    };
    run r;
    run_open(&r, UINT64_MAX);
    assert_int_equal(run_all(&r, S_DUP, 2, logs, 2), 0);
    etl_stats st;
    etl_get_stats(r.e, &st);
    assert_int_equal(st.matched, 4);
    assert_int_equal(st.events.rejected, 2); /* "not json", sessionId "x" */
    assert_int_equal(st.events.accepted, 4);
    assert_int_equal(lake_stats(r.lk, LAKE_SONGS)->rows, 2);
    assert_int_equal(lake_stats(r.lk, LAKE_ARTISTS)->rows, 3);
    assert_int_equal(lake_stats(r.lk, LAKE_TIME)->rows, 2);

    char *p = sl_sprintf("%s/songplays/year=2018/month=11/part-00000.snappy.parquet", r.root);
    char sid[8][32];
    int64_t ids[8];
    assert_int_equal(read_col(p, 0, NULL, ids), 4);
    for (int i = 0; i < 4; i++) assert_int_equal(ids[i], i + 1);
    read_col(p, 4, sid, NULL);
    for (int i = 0; i < 4; i++) assert_string_equal(sid[i], "SOB"); /* smallest of SOB, SOZ */
    int64_t uid[8];
    read_col(p, 1, NULL, uid);
    assert_int_equal(uid[3], -1); /* "" -> null */
    free(p);

    p = sl_sprintf("%s/users/part-00000.snappy.parquet", r.root);
    char first[8][32];
    assert_int_equal(read_col(p, 1, first, NULL), 2);
    assert_string_equal(first[0], "A");
    assert_string_equal(first[1], "Tie3"); /* equal ts: the last in input order */
    free(p);
    run_close(&r);
}

/* userAgent as each play gave it, whether it repeats the user's last one,
 * alternates with another, is escaped (the scanner's memo: etl skips
 * comparing bytes when the memo numbers are equal), is too short for the
 * memo, or has no escapes at all; in one file and across two. */
#define EVU(uid, ts, ua)                                                                           \
    "{\"page\":\"NextSong\",\"userId\":\"" uid "\",\"ts\":" ts                                     \
    ",\"level\":\"free\",\"song\":\"Hit\",\"artist\":\"Band\",\"length\":1,\"userAgent\":\"" ua    \
    "\"}\n"
#define UA_A "Mozilla\\/5.0 (Windows NT 6.1) AppleWebKit\\/537.36 (KHTML, like Gecko)"
#define UA_B "Mozilla\\/5.0 (Windows NT 6.3) AppleWebKit\\/537.36 (KHTML, like Gecko)"
#define UA_C "a\\/b"
#define UA_D "Plain agent with no escapes at all, long enough"
static void test_user_agents(void **state) {
    (void)state;
    const char *logs[] = {
        EVU("1", "1541105830000", UA_A) EVU("1", "1541105830001", UA_B)
            EVU("2", "1541105830002", UA_B) EVU("1", "1541105830003", UA_A)
                EVU("1", "1541105830004", UA_A) EVU("2", "1541105830005", UA_A)
                    EVU("1", "1541105830006", UA_C) EVU("1", "1541105830007", UA_C)
                        EVU("1", "1541105830008", UA_D) EVU("1", "1541105830009", UA_A)
                            EVU("2", "1541105830010", UA_A) EVU("", "1541105830011", UA_B),
        EVU("1", "1541105830012", UA_A) EVU("1", "1541105830013", UA_B)
            EVU("2", "1541105830014", UA_A),
    };
    const char *a = "Mozilla/5.0 (Windows NT 6.1) Ap", *b = "Mozilla/5.0 (Windows NT 6.3) Ap",
               *c = "a/b", *d = "Plain agent with no escapes at ";
    const char *want[] = {a, b, b, a, a, a, c, c, d, a, a, b, a, b, a};
    enum { N = sizeof want / sizeof want[0] };
    run r;
    run_open(&r, UINT64_MAX);
    assert_int_equal(run_all(&r, S_DUP, 1, logs, 2), 0);
    etl_stats st;
    etl_get_stats(r.e, &st);
    assert_int_equal(st.events.accepted, N);
    char *p = sl_sprintf("%s/songplays/year=2018/month=11/part-00000.snappy.parquet", r.root);
    char ua[N][32];
    int64_t ids[N];
    assert_int_equal(read_col(p, 0, NULL, ids), N);
    read_col(p, 7, ua, NULL);
    for (int i = 0; i < N; i++) {
        assert_int_equal(ids[i], i + 1);
        assert_string_equal(ua[i], want[i]);
    }
    free(p);
    run_close(&r);
}

static void test_max_rejects(void **state) {
    (void)state;
    const char *logs[] = {"[1]\n{\"userId\":\"q\"}\n", EV("1", "1", "A", "")};
    run r;
    run_open(&r, 1);
    assert_int_equal(run_all(&r, S_DUP, 1, logs, 2), -1);
    assert_non_null(strstr(r.err.msg, "--max-rejects"));
    /* nothing was published */
    char *p = sl_sprintf("%s/songs", r.root);
    struct stat sb;
    assert_int_not_equal(stat(p, &sb), 0);
    free(p);
    run_close(&r);
}

static void test_empty_inputs(void **state) {
    (void)state;
    run r;
    run_open(&r, UINT64_MAX);
    assert_int_equal(run_all(&r, NULL, 0, NULL, 0), 0);
    for (int t = 0; t < LAKE_NTABLES; t++) assert_int_equal(lake_stats(r.lk, t)->rows, 0);
    char *p = sl_sprintf("%s/time/_SUCCESS", r.root);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    free(p);
    run_close(&r);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_user_agents),
        cmocka_unit_test(test_max_rejects),
        cmocka_unit_test(test_empty_inputs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
