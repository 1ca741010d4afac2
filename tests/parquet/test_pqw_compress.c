/* Unit tests for parquet/compress.c: every codec round-trips through the
 * library's OWN decompressor (snappy_uncompress, ZSTD_decompress, zlib
 * inflate with the gzip wrapper), the compressor is reusable across pages,
 * and bad levels are refused with a message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/pq_write_internal.h"

static void make_input(sl_buf *b, size_t n, uint32_t seed) {
    b->len = 0;
    sl_buf_reserve(b, n);
    uint32_t x = seed;
    for (size_t i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;
        /* half repetitive text, half noise: compressible but not trivially */
        b->data[i] = (i / 64) % 2 ? (uint8_t)(x >> 24) : (uint8_t)("songplay "[i % 9]);
    }
    b->len = n;
}

static void decompress(pq_codec codec, const sl_buf *z, size_t n, uint8_t *out) {
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        assert_int_equal(z->len, n);
        if (n) memcpy(out, z->data, n);
        break;
    case PQ_CODEC_SNAPPY: {
        size_t len = 0;
        assert_int_equal(snappy_uncompressed_length((const char *)z->data, z->len, &len),
                         SNAPPY_OK);
        assert_int_equal(len, n);
        assert_int_equal(snappy_uncompress((const char *)z->data, z->len, (char *)out, &len),
                         SNAPPY_OK);
        assert_int_equal(len, n);
        break;
    }
    case PQ_CODEC_ZSTD: {
        size_t r = ZSTD_decompress(out, n + 1, z->data, z->len);
        assert_false(ZSTD_isError(r));
        assert_int_equal(r, n);
        break;
    }
    case PQ_CODEC_GZIP: {
        assert_true(z->len >= 18);
        assert_int_equal(z->data[0], 0x1f); /* gzip magic, not a raw zlib stream */
        assert_int_equal(z->data[1], 0x8b);
        z_stream s;
        memset(&s, 0, sizeof s);
        assert_int_equal(inflateInit2(&s, 31), Z_OK);
        s.next_in = z->data;
        s.avail_in = (uInt)z->len;
        s.next_out = out;
        s.avail_out = (uInt)n + 1;
        assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
        assert_int_equal(s.total_out, n);
        inflateEnd(&s);
        break;
    }
    }
}

static void round_trip(pq_codec codec, int level) {
    sl_err err;
    pqw_compressor *c = pqw_compressor_new(codec, level, &err);
    assert_non_null(c);
    sl_buf in = {0}, z = {0};
    const size_t sizes[] = {0, 1, 100, 65536, 1 << 20};
    for (int round = 0; round < 2; round++) /* the same context serves page after page */
        for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
            size_t n = sizes[k];
            make_input(&in, n, (uint32_t)(k * 31 + (size_t)round));
            z.len = 0;
            sl_buf_append(&z, "hdr", 3); /* compression appends: earlier bytes stay */
            assert_int_equal(pqw_compress(c, in.data, n, &z, &err), 0);
            assert_memory_equal(z.data, "hdr", 3);
            sl_buf body = {z.data + 3, z.len - 3, z.len - 3};
            uint8_t *out = malloc(n + 1);
            decompress(codec, &body, n, out);
            if (n) assert_memory_equal(out, in.data, n);
            if (codec != PQ_CODEC_UNCOMPRESSED && n == (1u << 20)) assert_true(body.len < n);
            free(out);
        }
    sl_buf_free(&in);
    sl_buf_free(&z);
    pqw_compressor_free(c);
}

static void test_uncompressed(void **state) {
    (void)state;
    round_trip(PQ_CODEC_UNCOMPRESSED, 0);
}
static void test_snappy(void **state) {
    (void)state;
    round_trip(PQ_CODEC_SNAPPY, 0);
}
static void test_zstd(void **state) {
    (void)state;
    round_trip(PQ_CODEC_ZSTD, 0);
    round_trip(PQ_CODEC_ZSTD, 19);
    round_trip(PQ_CODEC_ZSTD, -5);
}
static void test_gzip(void **state) {
    (void)state;
    round_trip(PQ_CODEC_GZIP, 0);
    round_trip(PQ_CODEC_GZIP, 1);
    round_trip(PQ_CODEC_GZIP, 9);
}

static void test_bad_levels(void **state) {
    (void)state;
    sl_err err;
    assert_null(pqw_compressor_new(PQ_CODEC_GZIP, 12, &err));
    assert_non_null(strstr(err.msg, "gzip"));
    assert_null(pqw_compressor_new(PQ_CODEC_ZSTD, 1000, &err));
    assert_non_null(strstr(err.msg, "zstd"));
    assert_null(pqw_compressor_new((pq_codec)4, 0, &err));
    assert_non_null(strstr(err.msg, "codec"));
}

static void test_codec_names(void **state) {
    (void)state;
    assert_int_equal(pq_codec_parse("snappy"), PQ_CODEC_SNAPPY);
    assert_int_equal(pq_codec_parse("ZSTD"), PQ_CODEC_ZSTD);
    assert_int_equal(pq_codec_parse("gzip"), PQ_CODEC_GZIP);
    assert_int_equal(pq_codec_parse("none"), PQ_CODEC_UNCOMPRESSED);
    assert_int_equal(pq_codec_parse("uncompressed"), PQ_CODEC_UNCOMPRESSED);
    assert_int_equal(pq_codec_parse("lz4"), -1);
    assert_int_equal(pq_codec_parse(NULL), -1);
    for (int c = 0; c < 8; c++) {
        const char *n = pq_codec_name((pq_codec)c);
        if (strcmp(n, "unknown")) assert_int_equal(pq_codec_parse(n), c);
    }
    assert_string_equal(pq_type_name(PQ_TIMESTAMP_US), "TIMESTAMP");
    assert_string_equal(pq_type_name(PQ_STRING), "STRING");
    assert_int_equal(pq_value_size(PQ_BOOLEAN), 1);
    assert_int_equal(pq_value_size(PQ_INT32), 4);
    assert_int_equal(pq_value_size(PQ_TIMESTAMP_US), 8);
    assert_int_equal(pq_value_size(PQ_DOUBLE), 8);
    assert_int_equal(pq_value_size(PQ_STRING), sizeof(sl_str));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uncompressed), cmocka_unit_test(test_snappy),
        cmocka_unit_test(test_zstd),         cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_bad_levels),   cmocka_unit_test(test_codec_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
