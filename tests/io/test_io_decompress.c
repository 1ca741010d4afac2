/* Decompression by suffix: .gz (single and multi-member, zero padding) and
 * .zst (known and unknown content size, several frames, skippable frames)
 * round trips against zlib/zstd compressing in the test, and the errors for
 * corrupt, truncated, empty and oversized data. Also io_read_all /
 * io_read_raw / io_batch_* on real files. */
#include "io_test_util.h"

#include <zlib.h>
#include <zstd.h>

#include "io/io.h"
#include "io/io_internal.h"

/* Deterministic, somewhat compressible payload of n bytes. */
static sl_buf payload(size_t n, uint32_t seed) {
    sl_buf b = {0};
    sl_buf_reserve(&b, n);
    uint32_t x = seed * 2654435761u + 1;
    while (b.len < n) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        char line[64];
        int k = snprintf(line, sizeof line, "{\"userId\":\"%u\",\"ts\":%u}\n", x % 100, x);
        size_t take = (size_t)k < n - b.len ? (size_t)k : n - b.len;
        sl_buf_append(&b, line, take);
    }
    return b;
}

static void gz_append(sl_buf *out, const sl_buf *in) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    sl_buf_reserve(out, deflateBound(&zs, in->len) + 64);
    zs.next_in = in->data;
    zs.avail_in = (uInt)in->len;
    zs.next_out = out->data + out->len;
    zs.avail_out = (uInt)(out->cap - out->len);
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out->len += zs.total_out;
    deflateEnd(&zs);
}

/* One zstd frame; with_size=false streams it so the header has no size. */
static void zst_append(sl_buf *out, const sl_buf *in, bool with_size) {
    size_t bound = ZSTD_compressBound(in->len);
    sl_buf_reserve(out, bound);
    if (with_size) {
        size_t r = ZSTD_compress(out->data + out->len, bound, in->data, in->len, 3);
        assert_false(ZSTD_isError(r));
        out->len += r;
        return;
    }
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 0);
    ZSTD_inBuffer ib = {in->data, in->len, 0};
    size_t start = out->len;
    ZSTD_outBuffer ob = {out->data + out->len, bound, 0};
    size_t r;
    do {
        r = ZSTD_compressStream2(cc, &ob, &ib, ZSTD_e_end);
        assert_false(ZSTD_isError(r));
    } while (r != 0);
    out->len += ob.pos;
    ZSTD_freeCCtx(cc);
    assert_int_equal(ZSTD_getFrameContentSize(out->data + start, out->len - start),
                     ZSTD_CONTENTSIZE_UNKNOWN);
}

static void expect_round_trip(const char *name, sl_buf *comp, const sl_buf *want) {
    sl_err err = {{0}};
    if (io_decompress_by_name(name, comp, &err) < 0) fail_msg("%s", err.msg);
    assert_int_equal(comp->len, want->len);
    assert_memory_equal(comp->data, want->data, want->len);
}

static void expect_fail(const char *name, sl_buf *comp, const char *substr) {
    sl_err err = {{0}};
    assert_int_equal(io_decompress_by_name(name, comp, &err), -1);
    if (!strstr(err.msg, name) || !strstr(err.msg, substr))
        fail_msg("error '%s' should name %s and say '%s'", err.msg, name, substr);
}

static void test_gz_round_trips(void **state) {
    (void)state;
    sl_buf a = payload(3 << 20, 1), b = payload(1000, 2), c = {0}, both = {0};
    gz_append(&c, &a);
    expect_round_trip("x.json.gz", &c, &a);
    sl_buf_free(&c);
    /* two members, then zero padding */
    gz_append(&c, &a);
    gz_append(&c, &b);
    sl_buf_append(&c, "\0\0\0\0", 4);
    sl_buf_append(&both, a.data, a.len);
    sl_buf_append(&both, b.data, b.len);
    expect_round_trip("dir/x.gz", &c, &both);
    sl_buf_free(&c);
    /* an empty payload is a valid gzip member */
    sl_buf empty = {0};
    gz_append(&c, &empty);
    expect_round_trip("e.gz", &c, &empty);
    sl_buf_free(&c);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_buf_free(&both);
}

static void test_gz_errors(void **state) {
    (void)state;
    sl_buf a = payload(200000, 3), c = {0};
    gz_append(&c, &a);
    sl_buf t = {0};
    sl_buf_append(&t, c.data, c.len / 2);
    expect_fail("trunc.gz", &t, "truncated");
    sl_buf_free(&t);
    sl_buf_append(&t, c.data, c.len);
    for (size_t i = 20; i < 60; i++) t.data[i] ^= 0x5a;
    expect_fail("corrupt.gz", &t, "corrupt gzip");
    sl_buf_free(&t);
    sl_buf_append(&t, "hello, not gzip", 15);
    expect_fail("plain.gz", &t, "corrupt gzip");
    sl_buf_free(&t);
    expect_fail("empty.gz", &t, "not gzip");
    /* member followed by garbage: the garbage is not a member */
    sl_buf_append(&t, c.data, c.len);
    sl_buf_append(&t, "garbage", 7);
    expect_fail("tail.gz", &t, "corrupt gzip");
    sl_buf_free(&t);
    sl_buf_free(&c);
    sl_buf_free(&a);
}

static void test_zst_round_trips(void **state) {
    (void)state;
    sl_buf a = payload(3 << 20, 4), b = payload(777, 5), c = {0}, both = {0};
    zst_append(&c, &a, true);
    expect_round_trip("x.json.zst", &c, &a);
    sl_buf_free(&c);
    zst_append(&c, &a, false);
    expect_round_trip("x.zst", &c, &a);
    sl_buf_free(&c);
    /* frame with size, skippable frame, frame without size */
    zst_append(&c, &a, true);
    static const uint8_t skip[12] = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
    sl_buf_append(&c, skip, sizeof skip);
    zst_append(&c, &b, false);
    sl_buf_append(&both, a.data, a.len);
    sl_buf_append(&both, b.data, b.len);
    expect_round_trip("multi.zst", &c, &both);
    sl_buf_free(&c);
    sl_buf_free(&a);
    sl_buf_free(&b);
    sl_buf_free(&both);
}

static void test_zst_errors(void **state) {
    (void)state;
    sl_buf a = payload(300000, 6), c = {0}, t = {0};
    zst_append(&c, &a, false);
    sl_buf_append(&t, c.data, c.len - 10);
    expect_fail("trunc.zst", &t, "truncated");
    sl_buf_free(&t);
    sl_buf_append(&t, c.data, c.len);
    for (size_t i = 8; i < 40; i++) t.data[i] ^= 0xa5;
    expect_fail("corrupt.zst", &t, "corrupt zstd");
    sl_buf_free(&t);
    sl_buf_append(&t, "not zstd at all", 15);
    expect_fail("plain.zst", &t, "corrupt zstd");
    sl_buf_free(&t);
    expect_fail("empty.zst", &t, "not zstd");
    sl_buf_free(&c);
    sl_buf_free(&a);
}

static void test_size_cap(void **state) {
    (void)state;
    uint64_t old = io_max_decompressed();
    io_set_max_decompressed(100000);
    sl_buf a = payload(100001, 7), c = {0};
    gz_append(&c, &a);
    expect_fail("bomb.gz", &c, "exceeds 100000 bytes");
    sl_buf_free(&c);
    zst_append(&c, &a, false);
    expect_fail("bomb.zst", &c, "exceeds 100000 bytes");
    sl_buf_free(&c);
    /* exactly at the cap is fine */
    a.len = 100000;
    zst_append(&c, &a, true);
    expect_round_trip("ok.zst", &c, &a);
    sl_buf_free(&c);
    io_set_max_decompressed(old);
    sl_buf_free(&a);
}

static void test_no_suffix_is_passthrough(void **state) {
    (void)state;
    sl_buf t = {0};
    sl_buf_append(&t, "\x1f\x8b junk", 7);
    sl_err err;
    assert_int_equal(io_decompress_by_name("x.json", &t, &err), 0);
    assert_int_equal(t.len, 7);
    assert_int_equal(io_decompress_by_name("x.gz.json", &t, &err), 0);
    assert_int_equal(t.len, 7);
    sl_buf_free(&t);
}

static void write_bytes(const char *path, const sl_buf *b) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b->data, 1, b->len, f), b->len);
    fclose(f);
}

static void test_read_files(void **state) {
    (void)state;
    char *dir = tu_tmpdir("read");
    sl_buf a = payload(50000, 8), gz = {0}, zs = {0};
    gz_append(&gz, &a);
    zst_append(&zs, &a, false);
    char *pg = sl_sprintf("%s/1.json.gz", dir), *pz = sl_sprintf("%s/2.json.zst", dir),
         *pp = sl_sprintf("%s/3.json", dir), *pm = sl_sprintf("%s/missing.json", dir);
    write_bytes(pg, &gz);
    write_bytes(pz, &zs);
    write_bytes(pp, &a);
    sl_err err;
    sl_buf out = {0};
    bool exists = true;
    assert_int_equal(io_read_raw(pm, NULL, &out, &exists, &err), 0);
    assert_false(exists);
    assert_int_equal(io_read_raw(pg, NULL, &out, &exists, &err), 0);
    assert_true(exists);
    assert_int_equal(out.len, gz.len);
    assert_int_equal(io_read_all(pm, NULL, &out, &err), -1);
    assert_non_null(strstr(err.msg, "missing.json: No such file"));
    assert_int_equal(io_read_raw(dir, NULL, &out, &exists, &err), -1);
    assert_non_null(strstr(err.msg, "not a regular file (a directory)"));

    io_list l;
    assert_int_equal(io_list_inputs(dir, NULL, &l, &err), 0);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.files[0].size, gz.len); /* stored size */
    io_batch_reader *br = io_batch_open(&l, NULL, 4, &err);
    assert_non_null(br);
    for (size_t i = 3; i-- > 0;) { /* any order */
        assert_int_equal(io_batch_get(br, i, &out, &err), 0);
        assert_int_equal(out.len, a.len);
        assert_memory_equal(out.data, a.data, a.len);
    }
    assert_int_equal(io_batch_get(br, 3, &out, &err), -1);
    /* a file removed after listing is an error naming it */
    assert_int_equal(unlink(pp), 0);
    assert_int_equal(io_batch_get(br, 2, &out, &err), -1);
    assert_non_null(strstr(err.msg, "3.json"));
    io_batch_close(br);
    io_list_free(&l);

    free(pg), free(pz), free(pp), free(pm);
    sl_buf_free(&out);
    sl_buf_free(&a);
    sl_buf_free(&gz);
    sl_buf_free(&zs);
    tu_rmtree(dir);
    free(dir);
}

/* io_batch_get from several threads at once, each index once, any order. */
typedef struct par_ctx {
    io_batch_reader *br;
    int failures;
    size_t lens[64];
    uint32_t sums[64];
} par_ctx;

static void par_get(void *ctx, size_t i, int worker) {
    (void)worker;
    par_ctx *c = ctx;
    sl_buf out = {0};
    sl_err err;
    if (io_batch_get(c->br, i, &out, &err) < 0) {
        __atomic_add_fetch(&c->failures, 1, __ATOMIC_RELAXED);
    } else {
        uint32_t h = 0;
        for (size_t k = 0; k < out.len; k++) h = h * 31 + out.data[k];
        c->lens[i] = out.len;
        c->sums[i] = h;
    }
    sl_buf_free(&out);
}

static void test_parallel_batch(void **state) {
    (void)state;
    char *dir = tu_tmpdir("par");
    uint32_t want[64];
    size_t want_len[64];
    for (int i = 0; i < 64; i++) {
        sl_buf a = payload(20000 + (size_t)i * 997, (uint32_t)i + 100), c = {0};
        if (i % 3 == 0)
            gz_append(&c, &a);
        else if (i % 3 == 1)
            zst_append(&c, &a, i % 2 == 0);
        else
            sl_buf_append(&c, a.data, a.len);
        char *p = sl_sprintf("%s/f%02d.json%s", dir, i,
                             i % 3 == 0   ? ".gz"
                             : i % 3 == 1 ? ".zst"
                                          : "");
        write_bytes(p, &c);
        free(p);
        uint32_t h = 0;
        for (size_t k = 0; k < a.len; k++) h = h * 31 + a.data[k];
        want[i] = h;
        want_len[i] = a.len;
        sl_buf_free(&a);
        sl_buf_free(&c);
    }
    io_list l;
    sl_err err;
    assert_int_equal(io_list_inputs(dir, NULL, &l, &err), 0);
    assert_int_equal(l.n, 64);
    par_ctx c = {0};
    c.br = io_batch_open(&l, NULL, 16, &err);
    assert_non_null(c.br);
    sl_parallel_for(l.n, 4, par_get, &c);
    io_batch_close(c.br);
    assert_int_equal(c.failures, 0);
    for (int i = 0; i < 64; i++) { /* names sort as f00..f63 */
        assert_int_equal(c.lens[i], want_len[i]);
        assert_int_equal(c.sums[i], want[i]);
    }
    io_list_free(&l);
    tu_rmtree(dir);
    free(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gz_round_trips),  cmocka_unit_test(test_gz_errors),
        cmocka_unit_test(test_zst_round_trips), cmocka_unit_test(test_zst_errors),
        cmocka_unit_test(test_size_cap),        cmocka_unit_test(test_no_suffix_is_passthrough),
        cmocka_unit_test(test_read_files),      cmocka_unit_test(test_parallel_batch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
