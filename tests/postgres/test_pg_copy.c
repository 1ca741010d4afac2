/* Unit tests for sinks/pg_copy.c: the COPY BINARY stream (header, per-row
 * field count, big-endian fields, NULL as length -1, timestamptz relative to
 * 2000-01-01 UTC), partition columns from path text, refusals of values a
 * column cannot hold, and the text form used to find a key in the lake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lake/lake.h"
#include "sinks/pg_internal.h"

static const pgs_table *table(int lake_id) {
    for (int i = 0; i < 5; i++)
        if (PGS_TABLES[i].lake_id == lake_id) return &PGS_TABLES[i];
    return NULL;
}

static uint64_t be(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v = v << 8 | p[i];
    return v;
}

/* One column of `n` rows, owned by the test. */
static void col_i64(pq_column_data *d, pq_type t, const int64_t *v, const uint8_t *valid,
                    size_t n) {
    memset(d, 0, sizeof *d);
    d->type = t;
    d->n = n;
    d->valid = (uint8_t *)valid;
    d->v.i64 = (int64_t *)v;
}
static void col_str(pq_column_data *d, const sl_str *v, const uint8_t *valid, size_t n) {
    memset(d, 0, sizeof *d);
    d->type = PQ_STRING;
    d->n = n;
    d->valid = (uint8_t *)valid;
    d->v.str = (sl_str *)v;
}

/* songplays: 2 rows; month/year from the path. */
typedef struct sp_fixture {
    int64_t id[2], user[2], ts[2], sess[2];
    sl_str level[2], song[2], artist[2], agent[2];
    uint8_t all[2], second_null[2];
    pgl_file file;
    pgl_batch b;
} sp_fixture;

static void sp_init(sp_fixture *f, const char *month, const char *year) {
    memset(f, 0, sizeof *f);
    f->id[0] = 1, f->id[1] = 2;
    f->user[0] = 39;
    f->ts[0] = INT64_C(946684800000000);  /* 2000-01-01 00:00:00 UTC: PostgreSQL's zero */
    f->ts[1] = INT64_C(1541106106796000); /* 2018-11-01 21:01:46.796 UTC */
    f->sess[0] = 7, f->sess[1] = 8;
    f->level[0] = (sl_str){"free", 4}, f->level[1] = (sl_str){"paid", 4};
    f->song[0] = (sl_str){"SOABC", 5};
    f->artist[0] = (sl_str){"ARX", 3};
    f->agent[0] = (sl_str){"", 0}, f->agent[1] = (sl_str){"Mozilla \"5.0\"", 13};
    f->all[0] = f->all[1] = 1;
    f->second_null[0] = 1;
    f->file.uri = "lake/songplays/year=2018/month=11/part-00000.snappy.parquet";
    f->b.file = &f->file;
    f->b.n = 2;
    col_i64(&f->b.data[0], PQ_INT64, f->id, f->all, 2);
    col_i64(&f->b.data[1], PQ_INT64, f->user, f->second_null, 2);
    col_i64(&f->b.data[2], PQ_TIMESTAMP_US, f->ts, f->all, 2);
    col_str(&f->b.data[3], f->level, f->all, 2);
    col_str(&f->b.data[4], f->song, f->second_null, 2);
    col_str(&f->b.data[5], f->artist, f->second_null, 2);
    col_i64(&f->b.data[6], PQ_INT64, f->sess, f->all, 2);
    col_str(&f->b.data[7], f->agent, f->all, 2);
    f->b.from_path[8] = f->b.from_path[9] = true;
    f->b.part_val[8] = month;
    f->b.part_val[9] = year;
}

static void test_header_rows_trailer(void **state) {
    (void)state;
    sp_fixture f;
    sp_init(&f, "11", "2018");
    sl_buf out = {0};
    sl_err err;
    pgc_header(&out);
    assert_int_equal(out.len, 19);
    assert_memory_equal(out.data, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
    assert_int_equal(pgc_encode(&out, table(LAKE_SONGPLAYS), &f.b, 0, 2, &err), 0);
    pgc_trailer(&out);
    const uint8_t *p = out.data + 19;
    /* row 1 */
    assert_int_equal(be(p, 2), 10), p += 2;
    assert_int_equal(be(p, 4), 8), assert_int_equal(be(p + 4, 8), 1), p += 12;  /* songplayId */
    assert_int_equal(be(p, 4), 8), assert_int_equal(be(p + 4, 8), 39), p += 12; /* user_id */
    assert_int_equal(be(p, 4), 8), assert_int_equal(be(p + 4, 8), 0), p += 12;  /* 2000-01-01 */
    assert_int_equal(be(p, 4), 4), assert_memory_equal(p + 4, "free", 4), p += 8;
    assert_int_equal(be(p, 4), 5), assert_memory_equal(p + 4, "SOABC", 5), p += 9;
    assert_int_equal(be(p, 4), 3), p += 7;
    assert_int_equal(be(p, 4), 8), assert_int_equal(be(p + 4, 8), 7), p += 12;
    assert_int_equal(be(p, 4), 0), p += 4;                                     /* "" is not NULL */
    assert_int_equal(be(p, 4), 4), assert_int_equal(be(p + 4, 4), 11), p += 8; /* month integer */
    assert_int_equal(be(p, 4), 4), assert_int_equal(be(p + 4, 4), 2018), p += 8;
    /* row 2: NULLs are length -1 with no bytes */
    assert_int_equal(be(p, 2), 10), p += 2;
    p += 12;
    assert_int_equal(be(p, 4), 0xFFFFFFFFu), p += 4;
    assert_int_equal(be(p, 4), 8);
    assert_int_equal((int64_t)be(p + 4, 8), INT64_C(1541106106796000) - INT64_C(946684800000000));
    p += 12 + 8;
    assert_int_equal(be(p, 4), 0xFFFFFFFFu), assert_int_equal(be(p + 4, 4), 0xFFFFFFFFu), p += 8;
    p += 12;
    assert_int_equal(be(p, 4), 13), p += 17;
    p += 16;
    assert_int_equal(be(p, 2), 0xFFFF), p += 2; /* trailer */
    assert_int_equal((size_t)(p - out.data), out.len);
    sl_buf_free(&out);
}

static void test_refusals(void **state) {
    (void)state;
    sp_fixture f;
    sl_buf out = {0};
    sl_err err;
    sp_init(&f, "11x", "2018");
    assert_int_equal(pgc_encode(&out, table(LAKE_SONGPLAYS), &f.b, 0, 2, &err), -1);
    assert_non_null(strstr(err.msg, "month=11x is not an integer"));
    sp_init(&f, "99999999999", "2018");
    assert_int_equal(pgc_encode(&out, table(LAKE_SONGPLAYS), &f.b, 0, 2, &err), -1);
    sp_init(&f, "11", "2018");
    f.all[1] = 0; /* songplayId and start_time NOT NULL */
    out.len = 0;
    assert_int_equal(pgc_encode(&out, table(LAKE_SONGPLAYS), &f.b, 0, 2, &err), -1);
    assert_non_null(strstr(err.msg, "row 2: NOT NULL column songplayId is null"));
    assert_non_null(strstr(err.msg, "month=11/part-00000"));
    sp_init(&f, "11", "2018");
    f.b.data[3].type = PQ_INT64; /* level must be text */
    assert_int_equal(pgc_encode(&out, table(LAKE_SONGPLAYS), &f.b, 0, 2, &err), -1);
    assert_non_null(strstr(err.msg, "column level"));
    sl_buf_free(&out);
}

static void test_value_text(void **state) {
    (void)state;
    sp_fixture f;
    sp_init(&f, "11", NULL);
    sl_buf s = {0};
    const pgs_table *t = table(LAKE_SONGPLAYS);
    pgc_value_text(&s, t, &f.b, 2, 1);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "2018-11-01 21:01:46.796+00");
    s.len = 0;
    pgc_value_text(&s, t, &f.b, 2, 0);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "2000-01-01 00:00:00+00");
    s.len = 0;
    f.ts[0] = -1; /* before 1970: floor, not truncation */
    pgc_value_text(&s, t, &f.b, 2, 0);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "1969-12-31 23:59:59.999999+00");
    s.len = 0;
    pgc_value_text(&s, t, &f.b, 1, 1); /* NULL */
    pgc_value_text(&s, t, &f.b, 9, 0); /* __HIVE_DEFAULT_PARTITION__ */
    assert_int_equal(s.len, 0);
    pgc_value_text(&s, t, &f.b, 8, 0);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "11");
    /* doubles as float8out prints them: shortest exact */
    double d[2] = {218.93506, 0.1};
    uint8_t ok[2] = {1, 1};
    pgl_batch b;
    memset(&b, 0, sizeof b);
    b.n = 2;
    b.data[3].type = PQ_DOUBLE;
    b.data[3].valid = ok;
    b.data[3].v.f64 = d;
    s.len = 0;
    pgc_value_text(&s, table(LAKE_SONGS), &b, 3, 0);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "218.93506");
    s.len = 0;
    pgc_value_text(&s, table(LAKE_SONGS), &b, 3, 1);
    sl_buf_putc(&s, 0);
    assert_string_equal((char *)s.data, "0.1");
    sl_buf_free(&s);
}

static void test_ddl(void **state) {
    (void)state;
    sl_buf s = {0};
    pgs_create_sql(&s, table(LAKE_TIME), "\"x\"");
    assert_string_equal(
        (char *)s.data,
        "CREATE TABLE \"x\".time (timestamp timestamptz NOT NULL, hour integer, day integer, "
        "week integer, weekday integer, month integer, year integer)");
    s.len = 0;
    pgs_subst(&s, "ALTER TABLE @.a REFERENCES @.b", "s");
    assert_string_equal((char *)s.data, "ALTER TABLE s.a REFERENCES s.b");
    sl_buf_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_rows_trailer),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_value_text),
        cmocka_unit_test(test_ddl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
