/* Unit tests for parquet/writer.c through the public API with a memory
 * sink: the exact bytes of a 0-row file (computed by hand from
 * parquet.thrift), the page sequence of a column chunk (dictionary page,
 * RLE_DICTIONARY pages, then PLAIN pages after the dictionary fills), that
 * full row groups reach the sink before close (streaming), determinism
 * across batchings, and the errors a caller can hit. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pqw_test.h"

typedef struct memsink {
    sl_buf b;
    int fail_after; /* fail the n-th write (1-based); 0 = never */
    int writes;
} memsink;

static int mem_write(void *ctx, const void *p, size_t n, sl_err *err) {
    memsink *m = ctx;
    if (m->fail_after && ++m->writes >= m->fail_after) return sl_err_set(err, "disk full (test)");
    sl_buf_append(&m->b, p, n);
    return 0;
}

static pq_sink sink_of(memsink *m) {
    pq_sink s = {mem_write, m};
    return s;
}

static void test_zero_rows_bytes(void **state) {
    (void)state;
    memsink m = {0};
    pq_column_def cols[] = {{"a", PQ_INT32, false}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.created_by = "t";
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 1, &o, sink_of(&m), &err);
    assert_non_null(w);
    pq_file_info info;
    assert_int_equal(pq_writer_close(w, &info, &err), 0);
    /* clang-format off */
    const uint8_t footer[] = {
        0x15, 0x02,                               /* 1: version = 1 */
        0x19, 0x2C,                               /* 2: schema, list of 2 structs */
        0x48, 0x06, 's', 'c', 'h', 'e', 'm', 'a', /*   4: name */
        0x15, 0x02, 0x00,                         /*   5: num_children = 1 */
        0x15, 0x02,                               /*   1: type INT32 */
        0x25, 0x00,                               /*   3: REQUIRED */
        0x18, 0x01, 'a', 0x00,                    /*   4: name */
        0x16, 0x00,                               /* 3: num_rows = 0 */
        0x19, 0x0C,                               /* 4: row_groups, empty list */
        0x28, 0x01, 't',                          /* 6: created_by */
        0x19, 0x1C, 0x1C, 0x00, 0x00,             /* 7: column_orders [{TYPE_ORDER {}}] */
        0x00};
    /* clang-format on */
    size_t n = sizeof footer;
    assert_int_equal(m.b.len, 4 + n + 8);
    assert_memory_equal(m.b.data, "PAR1", 4);
    assert_memory_equal(m.b.data + 4, footer, n);
    const uint8_t tail[] = {(uint8_t)n, 0, 0, 0, 'P', 'A', 'R', '1'};
    assert_memory_equal(m.b.data + 4 + n, tail, 8);
    assert_int_equal(info.rows, 0);
    assert_int_equal(info.row_groups, 0);
    assert_int_equal(info.bytes, m.b.len);
    sl_buf_free(&m.b);
}

/* ---- a tiny compact-protocol reader, enough to walk page headers ------ */
typedef struct rd {
    const uint8_t *p, *end;
} rd;

static uint64_t rd_varint(rd *r) {
    uint64_t v = 0;
    for (int s = 0; r->p < r->end; s += 7) {
        uint8_t b = *r->p++;
        v |= (uint64_t)(b & 0x7F) << s;
        if (!(b & 0x80)) break;
    }
    return v;
}

static int64_t rd_zz(rd *r) {
    uint64_t u = rd_varint(r);
    return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

typedef struct page_info {
    int64_t type, unc, comp, num_values, encoding;
} page_info;

/* Reads a struct; for PageHeader fields 1-3 and the nested data page (5)
 * or dictionary page (7) header fields 1-2 land in `pi`. */
static void rd_struct(rd *r, page_info *pi, int nested) {
    int16_t last = 0;
    for (;;) {
        assert_true(r->p < r->end);
        uint8_t h = *r->p++;
        if (h == 0) return;
        int type = h & 0x0F;
        int16_t id = (h >> 4) ? (int16_t)(last + (h >> 4)) : (int16_t)rd_zz(r);
        last = id;
        if (type == PQW_TC_I32 || type == PQW_TC_I64 || type == PQW_TC_I16) {
            int64_t v = rd_zz(r);
            if (!nested && id == 1) pi->type = v;
            if (!nested && id == 2) pi->unc = v;
            if (!nested && id == 3) pi->comp = v;
            if (nested && id == 1) pi->num_values = v;
            if (nested && id == 2) pi->encoding = v;
        } else if (type == PQW_TC_STRUCT) {
            rd_struct(r, pi, 1);
        } else if (type == PQW_TC_BINARY) {
            r->p += rd_varint(r);
        } else {
            assert_true(type == PQW_TC_BOOL_TRUE || type == PQW_TC_BOOL_FALSE);
        }
    }
}

/* Walks the pages of a one-column file; returns how many. */
static size_t walk_pages(const sl_buf *f, page_info *out, size_t max) {
    uint32_t flen;
    memcpy(&flen, f->data + f->len - 8, 4);
    const uint8_t *footer = f->data + f->len - 8 - flen;
    rd r = {f->data + 4, footer};
    size_t n = 0;
    while (r.p < footer && n < max) {
        page_info pi = {-1, -1, -1, -1, -1};
        rd_struct(&r, &pi, 0);
        r.p += pi.comp;
        out[n++] = pi;
    }
    assert_true(r.p == footer);
    return n;
}

static void test_dictionary_fallback_pages(void **state) {
    (void)state;
    memsink m = {0};
    pq_column_def cols[] = {{"v", PQ_INT64, true}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_UNCOMPRESSED;
    o.page_bytes = 64;      /* pages of ~64 index bytes */
    o.dict_max_bytes = 800; /* 100 int64 entries */
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 1, &o, sink_of(&m), &err);
    assert_non_null(w);
    enum { N = 2000 };
    int64_t *v = malloc(N * sizeof *v);
    uint8_t *valid = malloc(N);
    for (int i = 0; i < N; i++) {
        v[i] = (i / 4) * 1000003LL; /* each value 4 times: the dictionary pays */
        valid[i] = i % 10 != 3;
    }
    pq_column_batch b = {valid, {.i64 = v}, false};
    assert_int_equal(pq_writer_write(w, &b, N, &err), 0);
    pq_file_info info;
    assert_int_equal(pq_writer_close(w, &info, &err), 0);
    assert_int_equal(info.rows, N);
    assert_int_equal(info.row_groups, 1);

    page_info pages[1024];
    size_t n = walk_pages(&m.b, pages, 1024);
    assert_true(n >= 4);
    assert_int_equal(pages[0].type, PQW_PAGE_DICTIONARY);
    assert_int_equal(pages[0].encoding, PQW_ENC_PLAIN);
    assert_int_equal(pages[0].num_values, 100); /* the dictionary stopped at its limit */
    assert_int_equal(pages[0].unc, 800);
    size_t dict_pages = 0, plain_pages = 0;
    int64_t values = 0;
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(pages[i].type, PQW_PAGE_DATA);
        assert_int_equal(pages[i].unc, pages[i].comp); /* uncompressed */
        if (pages[i].encoding == PQW_ENC_RLE_DICTIONARY) {
            assert_int_equal(plain_pages, 0); /* never back to the dictionary */
            dict_pages++;
        } else {
            assert_int_equal(pages[i].encoding, PQW_ENC_PLAIN);
            plain_pages++;
        }
        values += pages[i].num_values;
    }
    assert_true(dict_pages >= 2);
    assert_true(plain_pages >= 2);
    assert_int_equal(values, N);
    free(v);
    free(valid);
    sl_buf_free(&m.b);
}

/* Strings are remembered by address (pcache): within one write call only,
 * unless the batch says the addresses are stable. A buffer reused with other
 * bytes in the next call must not be taken for the earlier value, and stable
 * strings repeated over many calls and a new row group read back right. */
static void test_string_address_cache(void **state) {
    (void)state;
    memsink m = {0};
    pq_column_def cols[] = {{"s", PQ_STRING, false}, {"k", PQ_STRING, false}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = 3000;
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 2, &o, sink_of(&m), &err);
    assert_non_null(w);
    static const char *const catalog[5] = {"SOAAA", "SOBBB", "SOCCC", "SODDD", "SOEEE"};
    char buf[4][8];
    sl_str s[4], k[4];
    for (int call = 0; call < 2000; call++) {
        for (int i = 0; i < 4; i++) {
            snprintf(buf[i], sizeof buf[i], "v%05d", call * 4 + i); /* same address, new bytes */
            s[i] = (sl_str){buf[i], 6};
            const char *c = catalog[(call + i) % 5];
            k[i] = (sl_str){c, 5};
        }
        pq_column_batch b[2] = {{NULL, {.str = s}, false}, {NULL, {.str = k}, true}};
        assert_int_equal(pq_writer_write(w, b, 4, &err), 0);
    }
    assert_int_equal(pq_writer_close(w, NULL, &err), 0);
    pq_reader *r = pq_reader_open_mem(m.b.data, m.b.len, &err);
    assert_non_null(r);
    assert_true(pq_reader_num_row_groups(r) >= 2);
    size_t row = 0;
    for (size_t g = 0; g < pq_reader_num_row_groups(r); g++) {
        pq_column_data d0, d1;
        assert_int_equal(pq_reader_read_column(r, g, 0, &d0, &err), 0);
        assert_int_equal(pq_reader_read_column(r, g, 1, &d1, &err), 0);
        for (size_t i = 0; i < d0.n; i++, row++) {
            char want[8];
            snprintf(want, sizeof want, "v%05zu", row);
            assert_int_equal(d0.v.str[i].len, 6);
            assert_memory_equal(d0.v.str[i].ptr, want, 6);
            const char *c = catalog[(row / 4 + row % 4) % 5];
            assert_int_equal(d1.v.str[i].len, 5);
            assert_memory_equal(d1.v.str[i].ptr, c, 5);
        }
        pq_column_data_free(&d0);
        pq_column_data_free(&d1);
    }
    assert_int_equal(row, 8000);
    pq_reader_close(r);
    sl_buf_free(&m.b);
}

/* Values that don't repeat: the first page shows the dictionary doesn't
 * pay, so the chunk is PLAIN with no dictionary page at all. */
static void test_dictionary_not_paying(void **state) {
    (void)state;
    memsink m = {0};
    pq_column_def cols[] = {{"v", PQ_INT32, false}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_UNCOMPRESSED;
    o.page_bytes = 256;
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 1, &o, sink_of(&m), &err);
    int32_t v[1000];
    for (int i = 0; i < 1000; i++) v[i] = i * 7;
    pq_column_batch b = {NULL, {.i32 = v}, false};
    assert_int_equal(pq_writer_write(w, &b, 1000, &err), 0);
    assert_int_equal(pq_writer_close(w, NULL, &err), 0);
    page_info pages[64];
    size_t n = walk_pages(&m.b, pages, 64);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(pages[i].type, PQW_PAGE_DATA);
        assert_int_equal(pages[i].encoding, PQW_ENC_PLAIN);
    }
    /* the first PLAIN page holds the values in order, no levels (REQUIRED) */
    const uint8_t *body = m.b.data + 4;
    rd r = {body, m.b.data + m.b.len};
    page_info pi;
    rd_struct(&r, &pi, 0);
    int32_t first[2];
    memcpy(first, r.p, 8);
    assert_int_equal(first[0], 0);
    assert_int_equal(first[1], 7);
    sl_buf_free(&m.b);
}

static void write_rows(memsink *m, size_t nrows, size_t batch, size_t rg_rows, size_t rg_bytes,
                       pq_file_info *info) {
    pq_column_def cols[] = {
        {"id", PQ_INT64, false}, {"s", PQ_STRING, true}, {"b", PQ_BOOLEAN, true}};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.row_group_rows = rg_rows;
    o.row_group_bytes = rg_bytes;
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 3, &o, sink_of(m), &err);
    assert_non_null(w);
    int64_t *id = malloc(nrows * 8);
    sl_str *s = malloc(nrows * sizeof *s);
    uint8_t *valid = malloc(nrows), *bv = malloc(nrows);
    static const char *const words[] = {"free", "paid", "", "\xc3\xa9t\xc3\xa9"};
    for (size_t i = 0; i < nrows; i++) {
        id[i] = (int64_t)i + 1;
        s[i] = (sl_str){words[i % 4], (uint32_t)strlen(words[i % 4])};
        valid[i] = i % 5 != 0;
        bv[i] = i % 3 == 0;
    }
    size_t sent_before_close = 0;
    for (size_t off = 0; off < nrows; off += batch) {
        size_t n = nrows - off < batch ? nrows - off : batch;
        pq_column_batch b[3] = {{NULL, {.i64 = id + off}, false},
                                {valid + off, {.str = s + off}, false},
                                {valid + off, {.b = bv + off}, false}};
        assert_int_equal(pq_writer_write(w, b, n, &err), 0);
    }
    sent_before_close = m->b.len;
    assert_int_equal(pq_writer_close(w, info, &err), 0);
    if (nrows > rg_rows) assert_true(sent_before_close > 4); /* full row groups were streamed */
    free(id);
    free(s);
    free(valid);
    free(bv);
}

static void test_streaming_and_determinism(void **state) {
    (void)state;
    memsink a = {0}, b = {0}, c = {0};
    pq_file_info ia, ib, ic;
    write_rows(&a, 2500, 2500, 1000, 0, &ia);
    write_rows(&b, 2500, 7, 1000, 0, &ib);
    assert_int_equal(ia.row_groups, 3);
    assert_int_equal(ia.rows, 2500);
    assert_int_equal(ia.bytes, a.b.len);
    assert_int_equal(a.b.len, b.b.len);
    assert_memory_equal(a.b.data, b.b.data, a.b.len);
    write_rows(&c, 2500, 2500, 5000, 0, &ic);
    assert_int_equal(ic.row_groups, 1);
    assert_int_equal(c.b.len > 4, 1);

    /* row groups bounded by bytes: boundaries don't move with the batching */
    memsink d = {0}, e = {0};
    pq_file_info id, ie;
    write_rows(&d, 20000, 20000, 1 << 20, 8192, &id);
    write_rows(&e, 20000, 3, 1 << 20, 8192, &ie);
    assert_true(id.row_groups > 2);
    assert_int_equal(id.row_groups, ie.row_groups);
    assert_int_equal(d.b.len, e.b.len);
    assert_memory_equal(d.b.data, e.b.data, d.b.len);
    sl_buf_free(&d.b);
    sl_buf_free(&e.b);
    sl_buf_free(&a.b);
    sl_buf_free(&b.b);
    sl_buf_free(&c.b);
}

static void test_errors(void **state) {
    (void)state;
    memsink m = {0};
    sl_err err;
    pq_column_def bad[] = {{"f", PQ_FLOAT, false}};
    assert_null(pq_writer_open(bad, 1, NULL, sink_of(&m), &err));
    assert_non_null(strstr(err.msg, "FLOAT"));
    pq_column_def dup[] = {{"a", PQ_INT32, false}, {"a", PQ_INT64, false}};
    assert_null(pq_writer_open(dup, 2, NULL, sink_of(&m), &err));
    assert_non_null(strstr(err.msg, "duplicate"));
    assert_null(pq_writer_open(dup, 0, NULL, sink_of(&m), &err));
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = (pq_codec)5;
    assert_null(pq_writer_open(dup, 1, &o, sink_of(&m), &err));

    /* a null in a REQUIRED column is refused and the writer stays usable */
    pq_column_def cols[] = {{"id", PQ_INT64, false}};
    m.b.len = 0;
    pq_writer *w = pq_writer_open(cols, 1, NULL, sink_of(&m), &err);
    assert_non_null(w);
    int64_t v[3] = {1, 2, 3};
    uint8_t valid[3] = {1, 0, 1};
    pq_column_batch b = {valid, {.i64 = v}, false};
    assert_int_equal(pq_writer_write(w, &b, 3, &err), -1);
    assert_non_null(strstr(err.msg, "REQUIRED"));
    assert_non_null(strstr(err.msg, "id"));
    b.valid = NULL;
    assert_int_equal(pq_writer_write(w, &b, 3, &err), 0);
    pq_file_info info;
    assert_int_equal(pq_writer_close(w, &info, &err), 0);
    assert_int_equal(info.rows, 3);

    /* sink failures surface from write or close, and nothing leaks */
    for (int k = 1; k <= 3; k++) {
        memsink f = {.fail_after = k};
        pq_writer_opts_default(&o);
        o.row_group_rows = 2;
        w = pq_writer_open(cols, 1, &o, sink_of(&f), &err);
        if (!w) {
            assert_non_null(strstr(err.msg, "disk full"));
            sl_buf_free(&f.b);
            continue;
        }
        int rc = pq_writer_write(w, &b, 3, &err);
        if (rc == 0)
            rc = pq_writer_close(w, NULL, &err);
        else
            pq_writer_abort(w);
        assert_int_equal(rc, -1);
        sl_buf_free(&f.b);
    }
    sl_buf_free(&m.b);
}

/* Fixed-width columns through every loop of the writer: INT64 keys that
 * collide in the dictionary's slot and tag (with nulls, and a dictionary
 * limit that sends the chunk to PLAIN mid-page), INT32 that stays
 * dictionary-encoded, DOUBLE with -0.0, 0.0 and NaN, and unique timestamps
 * that go PLAIN after the first page; small pages and batches that cut
 * through them. Every value, null and min/max must read back. */
static void test_fixed_columns_roundtrip(void **state) {
    (void)state;
    enum { N = 12000, BATCH = 777 };
    pq_column_def cols[] = {{"a", PQ_INT64, true},
                            {"b", PQ_INT32, false},
                            {"c", PQ_DOUBLE, true},
                            {"d", PQ_TIMESTAMP_US, false}};
    int64_t *a = malloc(N * sizeof *a), *d = malloc(N * sizeof *d);
    int32_t *b = malloc(N * sizeof *b);
    double *c = malloc(N * sizeof *c);
    uint8_t *av = malloc(N), *cv = malloc(N);
    const double dv[] = {-0.0, 0.0, 1.5, NAN, -2.25};
    for (int i = 0; i < N; i++) {
        /* 50 keys in turn per 1,000 rows: the dictionary pays, and fills
         * in the first row group's second page */
        a[i] = (int64_t)pqw_test_colliding((uint32_t)(i * 7 % 50 + 50 * (i / 1000)), 20);
        av[i] = i % 11 != 0;
        b[i] = i % 500 * 3 - 700;
        c[i] = dv[(i / 2) % 5];
        cv[i] = (uint8_t)(i % 13 == 0 ? 0 : 1 + i % 3); /* any non-zero byte is valid */
        d[i] = 1541030400000000LL + (int64_t)i * 1000;
    }
    memsink m = {0};
    pq_writer_opts o;
    pq_writer_opts_default(&o);
    o.codec = PQ_CODEC_UNCOMPRESSED;
    o.page_bytes = 2000;
    o.dict_max_bytes = 200 * 8;
    o.row_group_rows = 5000;
    sl_err err;
    pq_writer *w = pq_writer_open(cols, 4, &o, sink_of(&m), &err);
    assert_non_null(w);
    for (int off = 0; off < N; off += BATCH) {
        int n = N - off < BATCH ? N - off : BATCH;
        pq_column_batch bt[4] = {{av + off, {.i64 = a + off}, false},
                                 {NULL, {.i32 = b + off}, false},
                                 {cv + off, {.f64 = c + off}, false},
                                 {NULL, {.i64 = d + off}, false}};
        assert_int_equal(pq_writer_write(w, bt, (size_t)n, &err), 0);
    }
    assert_int_equal(pq_writer_close(w, NULL, &err), 0);
    pq_reader *r = pq_reader_open_mem(m.b.data, m.b.len, &err);
    assert_non_null(r);
    assert_int_equal(pq_reader_num_row_groups(r), 3);
    size_t row0 = 0;
    for (size_t g = 0; g < 3; g++) {
        pq_column_data cd[4];
        for (size_t j = 0; j < 4; j++)
            assert_int_equal(pq_reader_read_column(r, g, j, &cd[j], &err), 0);
        int64_t amin = INT64_MAX, amax = INT64_MIN;
        uint64_t anull = 0;
        for (size_t i = 0; i < cd[0].n; i++) {
            size_t row = row0 + i;
            assert_int_equal(cd[0].valid[i], av[row]);
            if (av[row]) {
                assert_int_equal(cd[0].v.i64[i], a[row]);
                amin = a[row] < amin ? a[row] : amin;
                amax = a[row] > amax ? a[row] : amax;
            } else {
                anull++;
            }
            assert_int_equal(cd[1].v.i32[i], b[row]);
            assert_int_equal(cd[2].valid[i], cv[row] != 0);
            if (cv[row]) assert_memory_equal(&cd[2].v.f64[i], &c[row], 8);
            assert_int_equal(cd[3].v.i64[i], d[row]);
        }
        pq_stats st;
        assert_int_equal(pq_reader_column_stats(r, g, 0, &st), 0);
        assert_int_equal(st.null_count, anull);
        assert_int_equal(st.min_i, amin);
        assert_int_equal(st.max_i, amax);
        assert_int_equal(pq_reader_column_stats(r, g, 3, &st), 0);
        assert_int_equal(st.min_i, d[row0]);
        assert_int_equal(st.max_i, d[row0 + cd[3].n - 1]);
        row0 += cd[0].n;
        for (size_t j = 0; j < 4; j++) pq_column_data_free(&cd[j]);
    }
    assert_int_equal(row0, N);
    pq_reader_close(r);
    /* the first chunk of "a": a dictionary page that stopped at its limit
     * of 200 distinct keys, dictionary pages, then PLAIN */
    static page_info pages[4096];
    size_t np = walk_pages(&m.b, pages, 4096);
    assert_int_equal(pages[0].type, PQW_PAGE_DICTIONARY);
    assert_int_equal(pages[0].num_values, 200);
    bool dict_data = false, plain_data = false;
    for (size_t i = 1; i < np && pages[i].type == PQW_PAGE_DATA; i++) {
        if (pages[i].encoding == PQW_ENC_RLE_DICTIONARY) dict_data = true;
        if (pages[i].encoding == PQW_ENC_PLAIN) plain_data = true;
    }
    assert_true(dict_data && plain_data);
    sl_buf_free(&m.b);

    /* pages close right after the row that brings the page's estimate to
     * page_bytes (2,000), however many rows a loop takes at once: PLAIN
     * int64 pages of 250 rows (after the first, dictionary-tried, page);
     * int32 dictionary indices of 9 bits (500 keys) 1 + ceil(9n / 8) >=
     * 2,000 at n = 1,777 */
    o.dict_max_bytes = 1 << 20;
    for (int col = 1; col <= 3; col += 2) {
        memsink m1 = {0};
        w = pq_writer_open(&cols[col], 1, &o, sink_of(&m1), &err);
        assert_non_null(w);
        for (int off = 0; off < 4000; off += BATCH) {
            int n = 4000 - off < BATCH ? 4000 - off : BATCH;
            pq_column_batch bt = {NULL, {.i64 = d + off}, false};
            if (col == 1) bt.v.i32 = b + off;
            assert_int_equal(pq_writer_write(w, &bt, (size_t)n, &err), 0);
        }
        assert_int_equal(pq_writer_close(w, NULL, &err), 0);
        np = walk_pages(&m1.b, pages, 4096);
        assert_true(np > 2);
        for (size_t i = 1; i + 1 < np; i++) /* after the dictionary / first page */
            assert_int_equal(pages[i].num_values, col == 1 ? 1777 : 250);
        sl_buf_free(&m1.b);
    }
    free(a);
    free(b);
    free(c);
    free(d);
    free(av);
    free(cv);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero_rows_bytes),
        cmocka_unit_test(test_dictionary_fallback_pages),
        cmocka_unit_test(test_dictionary_not_paying),
        cmocka_unit_test(test_streaming_and_determinism),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_string_address_cache),
        cmocka_unit_test(test_fixed_columns_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
