/* Writer -> reader round trips of random tables: every type, nullable and
 * required columns, nulls from none to all, empty, multi-byte UTF-8 and
 * long strings, 0 rows, many row groups and pages, each codec, dictionary,
 * plain and dictionary fallback. Every value and every chunk's statistics
 * (null count exact, min/max equal to the data for numbers, bounding the
 * data for strings) are compared with what was written. Deterministic:
 * fixed seeds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "parquet/parquet.h"

static uint64_t rng;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t stats_seen; /* chunks whose min/max were checked */

static int buf_write(void *ctx, const void *p, size_t n, sl_err *err) {
    (void)err;
    sl_buf_append(ctx, p, n);
    return 0;
}

enum { NTYPES = 6 };
static const pq_type types[NTYPES] = {PQ_BOOLEAN, PQ_INT32,  PQ_INT64,
                                      PQ_DOUBLE,  PQ_STRING, PQ_TIMESTAMP_US};

typedef struct table {
    size_t rows;
    pq_column_def defs[NTYPES * 2];
    size_t ncols;
    uint8_t *valid[NTYPES * 2];
    void *vals[NTYPES * 2];
    sl_arena heap;
} table;

static const char *pieces[] = {"", "a", "é", "日本語", "🎵", "song", "Ünïcødé", "\t\"q\"\\"};

static sl_str random_string(sl_arena *a, int card) {
    uint64_t k = next() % 100;
    if (k < 3) { /* long string */
        size_t n = 1000 + next() % 70000;
        char *s = sl_arena_alloc(a, n);
        for (size_t i = 0; i < n; i++) s[i] = (char)('a' + (i * 7 + n) % 26);
        return (sl_str){s, (uint32_t)n};
    }
    if (k < 8) return (sl_str){"", 0};
    sl_buf b = {0};
    int parts = card ? 2 : 1 + (int)(next() % 5);
    for (int i = 0; i < parts; i++) {
        const char *p = pieces[next() % (sizeof pieces / sizeof *pieces)];
        sl_buf_append(&b, p, strlen(p));
    }
    if (card)
        sl_buf_printf(&b, "%d", (int)(next() % (uint64_t)card));
    else
        sl_buf_printf(&b, "%llu", (unsigned long long)next());
    char *s = sl_arena_strndup(a, (const char *)b.data, b.len);
    sl_str r = {s, (uint32_t)b.len};
    sl_buf_free(&b);
    return r;
}

static void make_table(table *t, size_t rows, int null_pct, int card) {
    memset(t, 0, sizeof *t);
    t->rows = rows;
    for (int c = 0; c < NTYPES * 2; c++) {
        pq_type ty = types[c % NTYPES];
        bool nullable = c >= NTYPES;
        t->defs[c] = (pq_column_def){NULL, ty, nullable};
        char *name = sl_sprintf("%s_%s", pq_type_name(ty), nullable ? "opt" : "req");
        t->defs[c].name = sl_arena_strndup(&t->heap, name, strlen(name));
        free(name);
        t->valid[c] = sl_malloc(rows + 1);
        t->vals[c] = sl_calloc(rows + 1, 16);
        for (size_t i = 0; i < rows; i++) {
            t->valid[c][i] = nullable ? (int)(next() % 100) >= null_pct : 1;
            uint64_t x = next();
            if (card) x %= (uint64_t)card;
            switch (ty) {
            case PQ_BOOLEAN: ((uint8_t *)t->vals[c])[i] = x & 1; break;
            case PQ_INT32: ((int32_t *)t->vals[c])[i] = (int32_t)(uint32_t)x; break;
            case PQ_INT64:
            case PQ_TIMESTAMP_US: ((int64_t *)t->vals[c])[i] = (int64_t)x; break;
            case PQ_DOUBLE: ((double *)t->vals[c])[i] = (double)(int64_t)x / 3.0; break;
            default: ((sl_str *)t->vals[c])[i] = random_string(&t->heap, card); break;
            }
        }
    }
    t->ncols = NTYPES * 2;
}

static void free_table(table *t) {
    for (size_t c = 0; c < t->ncols; c++) {
        free(t->valid[c]);
        free(t->vals[c]);
    }
    sl_arena_free(&t->heap);
}

static size_t width(pq_type t) {
    switch (t) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: return 4;
    case PQ_STRING: return sizeof(sl_str);
    default: return 8;
    }
}

static void write_table(const table *t, const pq_writer_opts *o, sl_buf *out) {
    sl_err err = {{0}};
    pq_writer *w = pq_writer_open(t->defs, t->ncols, o, (pq_sink){buf_write, out}, &err);
    if (!w) fail_msg("open: %s", err.msg);
    /* random batch sizes: row groups must not depend on them */
    for (size_t at = 0; at < t->rows;) {
        size_t n = 1 + next() % 3000;
        if (n > t->rows - at) n = t->rows - at;
        pq_column_batch b[NTYPES * 2];
        for (size_t c = 0; c < t->ncols; c++) {
            b[c].valid = t->defs[c].nullable ? t->valid[c] + at : NULL;
            b[c].v.b = (const uint8_t *)t->vals[c] + at * width(t->defs[c].type);
            b[c].stable = false;
        }
        if (pq_writer_write(w, b, n, &err) < 0) fail_msg("write: %s", err.msg);
        at += n;
    }
    pq_file_info info;
    if (pq_writer_close(w, &info, &err) < 0) fail_msg("close: %s", err.msg);
    assert_int_equal(info.rows, t->rows);
    assert_int_equal(info.bytes, out->len);
}

static int cmp_str(sl_str a, const uint8_t *b, size_t bn) {
    size_t n = a.len < bn ? a.len : bn;
    int c = n ? memcmp(a.ptr, b, n) : 0;
    return c ? c : (a.len > bn) - (a.len < bn);
}

static void check_stats(const pq_reader *r, size_t g, size_t c, const table *t, size_t base,
                        size_t n) {
    pq_stats st;
    assert_int_equal(pq_reader_column_stats(r, g, c, &st), 0);
    size_t nulls = 0;
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    double fmn = 0, fmx = 0;
    bool any = false;
    pq_type ty = t->defs[c].type;
    for (size_t i = base; i < base + n; i++) {
        if (!t->valid[c][i]) {
            nulls++;
            continue;
        }
        int64_t v = 0;
        double f = 0;
        switch (ty) {
        case PQ_BOOLEAN: v = ((uint8_t *)t->vals[c])[i]; break;
        case PQ_INT32: v = ((int32_t *)t->vals[c])[i]; break;
        case PQ_DOUBLE: f = ((double *)t->vals[c])[i]; break;
        case PQ_STRING:
            if (st.has_min_max) {
                sl_str s = ((sl_str *)t->vals[c])[i];
                assert_true(cmp_str(s, st.min, st.min_len) >= 0);
                assert_true(cmp_str(s, st.max, st.max_len) <= 0);
            }
            break;
        default: v = ((int64_t *)t->vals[c])[i];
        }
        if (!any || v < mn) mn = v;
        if (!any || v > mx) mx = v;
        if (!any || f < fmn) fmn = f;
        if (!any || f > fmx) fmx = f;
        any = true;
    }
    if (st.has_null_count) assert_int_equal(st.null_count, nulls);
    if (!st.has_min_max) return;
    assert_true(any);
    stats_seen++;
    if (ty == PQ_STRING) return;
    if (ty == PQ_DOUBLE) {
        assert_true(st.min_f == fmn && st.max_f == fmx);
    } else {
        assert_int_equal(st.min_i, mn);
        assert_int_equal(st.max_i, mx);
    }
}

static void check_file(const sl_buf *f, const table *t, size_t want_rgs) {
    sl_err err = {{0}};
    pq_reader *r = pq_reader_open_mem(f->data, f->len, &err);
    if (!r) fail_msg("open: %s", err.msg);
    assert_int_equal(pq_reader_num_rows(r), t->rows);
    assert_int_equal(pq_reader_num_columns(r), t->ncols);
    if (want_rgs) assert_int_equal(pq_reader_num_row_groups(r), want_rgs);
    for (size_t c = 0; c < t->ncols; c++) {
        const pq_column_def *d = pq_reader_column(r, c);
        assert_string_equal(d->name, t->defs[c].name);
        assert_int_equal(d->type, t->defs[c].type);
        assert_int_equal(d->nullable, t->defs[c].nullable);
    }
    size_t base = 0;
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++) {
        size_t n = (size_t)pq_reader_row_group_rows(r, g);
        for (size_t c = 0; c < t->ncols; c++) {
            pq_column_data d;
            if (pq_reader_read_column(r, g, c, &d, &err) < 0) fail_msg("read: %s", err.msg);
            assert_int_equal(d.n, n);
            assert_int_equal(d.type, t->defs[c].type);
            size_t w = width(d.type);
            for (size_t i = 0; i < n; i++) {
                bool v = t->valid[c][base + i];
                if (d.valid[i] != v) fail_msg("rg %zu col %zu row %zu: validity", g, c, i);
                if (!v) continue;
                const uint8_t *want = (const uint8_t *)t->vals[c] + (base + i) * w;
                if (d.type == PQ_STRING) {
                    const sl_str *s = (const sl_str *)want;
                    if (s->len != d.v.str[i].len ||
                        (s->len && memcmp(s->ptr, d.v.str[i].ptr, s->len)))
                        fail_msg("rg %zu col %zu row %zu: string differs", g, c, i);
                } else if (memcmp(want, d.v.b + i * w, w)) {
                    fail_msg("rg %zu col %zu row %zu: value differs", g, c, i);
                }
            }
            /* the same rows read in windows (pq_reader_read_column_rows,
             * as load-postgres batches them): equal to the whole read */
            size_t win = 1 + next() % (n < 50000 ? n + 1 : 50000);
            for (size_t at = 0; at < n; at += win) {
                pq_column_data x;
                if (pq_reader_read_column_rows(r, g, c, at, win, &x, &err) < 0)
                    fail_msg("read rows %zu+%zu: %s", at, win, err.msg);
                size_t k = n - at < win ? n - at : win;
                assert_int_equal(x.n, k);
                for (size_t i = 0; i < k; i++) {
                    if (x.valid[i] != d.valid[at + i])
                        fail_msg("rg %zu col %zu row %zu (window %zu): validity", g, c, at + i,
                                 win);
                    if (!x.valid[i]) continue;
                    if (d.type == PQ_STRING
                            ? x.v.str[i].len != d.v.str[at + i].len ||
                                  (x.v.str[i].len &&
                                   memcmp(x.v.str[i].ptr, d.v.str[at + i].ptr, x.v.str[i].len))
                            : memcmp(x.v.b + i * w, d.v.b + (at + i) * w, w) != 0)
                        fail_msg("rg %zu col %zu row %zu (window %zu): value", g, c, at + i, win);
                }
                pq_column_data_free(&x);
            }
            pq_column_data_free(&d);
            check_stats(r, g, c, t, base, n);
        }
        base += n;
    }
    assert_int_equal(base, t->rows);
    pq_reader_close(r);
}

static void roundtrip(size_t rows, int null_pct, int card, pq_codec codec, bool no_dict,
                      size_t rg_rows, size_t page_bytes, size_t dict_max) {
    table t;
    make_table(&t, rows, null_pct, card);
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = codec;
    o.no_dictionary = no_dict;
    if (rg_rows) o.row_group_rows = rg_rows;
    if (page_bytes) o.page_bytes = page_bytes;
    if (dict_max) o.dict_max_bytes = dict_max;
    sl_buf f = {0};
    write_table(&t, &o, &f);
    size_t want_rgs = rg_rows && rows ? (rows + rg_rows - 1) / rg_rows : 0;
    check_file(&f, &t, want_rgs);
    sl_buf_free(&f);
    free_table(&t);
}

static void test_each_codec(void **state) {
    (void)state;
    rng = 0x9e3779b97f4a7c15u;
    static const pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP,
                                      PQ_CODEC_ZSTD};
    for (size_t i = 0; i < 4; i++) {
        roundtrip(3000, 30, 50, codecs[i], false, 0, 0, 0); /* dictionary */
        roundtrip(3000, 30, 0, codecs[i], true, 0, 0, 0);   /* plain */
    }
    assert_true(stats_seen >= 8 * 12); /* the writer writes statistics */
}

static void test_nulls_and_empty(void **state) {
    (void)state;
    rng = 42;
    roundtrip(0, 0, 0, PQ_CODEC_SNAPPY, false, 0, 0, 0);
    roundtrip(1, 0, 0, PQ_CODEC_SNAPPY, false, 0, 0, 0);
    roundtrip(500, 100, 10, PQ_CODEC_ZSTD, false, 0, 0, 0); /* all null */
    roundtrip(500, 0, 10, PQ_CODEC_GZIP, false, 0, 0, 0);   /* no null */
    roundtrip(500, 95, 0, PQ_CODEC_UNCOMPRESSED, true, 0, 0, 0);
}

static void test_row_groups_and_pages(void **state) {
    (void)state;
    rng = 7;
    roundtrip(2000, 20, 30, PQ_CODEC_SNAPPY, false, 7, 0, 0);       /* 286 row groups */
    roundtrip(30000, 10, 1000, PQ_CODEC_ZSTD, false, 0, 4096, 0);   /* many small pages */
    roundtrip(20000, 10, 0, PQ_CODEC_SNAPPY, false, 0, 8192, 2048); /* dictionary fallback */
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_each_codec),
        cmocka_unit_test(test_nulls_and_empty),
        cmocka_unit_test(test_row_groups_and_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
