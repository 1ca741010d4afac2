/* Unit tests of the reader's page decompression: each codec round-trips
 * data compressed by the reference library, and wrong sizes, corrupt or
 * truncated data, absurd declared sizes and unsupported codecs fail with
 * a message instead of misreading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/pq_read_internal.h"

#define N 50000

static uint8_t *sample(void) {
    uint8_t *p = malloc(N);
    uint32_t x = 12345;
    for (size_t i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(i % 7 == 0 ? x >> 24 : 'a' + i % 13);
    }
    return p;
}

static size_t gzip_into(const uint8_t *src, size_t n, uint8_t *dst, size_t cap) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dst;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    size_t out = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

/* Compresses with codec, checks the round trip and a few corruptions. */
static void roundtrip(int codec) {
    uint8_t *src = sample();
    size_t cap = N * 2 + 1024, n = 0;
    uint8_t *c = malloc(cap), *d = malloc(N + 16);
    switch (codec) {
    case PQ_CODEC_SNAPPY: {
        size_t out = cap;
        assert_int_equal(snappy_compress((const char *)src, N, (char *)c, &out), SNAPPY_OK);
        n = out;
        break;
    }
    case PQ_CODEC_GZIP: n = gzip_into(src, N, c, cap); break;
    case PQ_CODEC_ZSTD: n = ZSTD_compress(c, cap, src, N, 3); break;
    default: memcpy(c, src, N), n = N;
    }
    sl_err err = {{0}};
    memset(d, 0, N);
    if (pq_decompress(codec, c, n, d, N, &err) < 0) fail_msg("%s", err.msg);
    assert_memory_equal(d, src, N);
    /* declared size too small or too large */
    assert_int_equal(pq_decompress(codec, c, n, d, N - 1, &err), -1);
    assert_int_equal(pq_decompress(codec, c, n, d, N + 1, &err), -1);
    /* truncated */
    if (codec != PQ_CODEC_UNCOMPRESSED) {
        assert_int_equal(pq_decompress(codec, c, n / 2, d, N, &err), -1);
        assert_int_equal(pq_decompress(codec, c, n - 1, d, N, &err), -1);
        /* flipped bytes: never a crash, and never a silent wrong answer
         * for codecs with checksums (gzip CRC) */
        for (size_t i = 0; i < n; i += n / 37 + 1) {
            c[i] ^= 0x5a;
            int rc = pq_decompress(codec, c, n, d, N, &err);
            if (codec == PQ_CODEC_GZIP && rc == 0) assert_memory_equal(d, src, N);
            c[i] ^= 0x5a;
        }
    }
    free(src);
    free(c);
    free(d);
}

static void test_uncompressed(void **state) {
    (void)state;
    roundtrip(PQ_CODEC_UNCOMPRESSED);
}

static void test_snappy(void **state) {
    (void)state;
    roundtrip(PQ_CODEC_SNAPPY);
}

static void test_gzip(void **state) {
    (void)state;
    roundtrip(PQ_CODEC_GZIP);
    /* two concatenated gzip members are one page */
    uint8_t *src = sample();
    uint8_t c[2 * N], d[N];
    size_t a = gzip_into(src, N / 2, c, sizeof c);
    size_t b = gzip_into(src + N / 2, N / 2, c + a, sizeof c - a);
    sl_err err = {{0}};
    if (pq_decompress(PQ_CODEC_GZIP, c, a + b, d, N, &err) < 0) fail_msg("%s", err.msg);
    assert_memory_equal(d, src, N);
    free(src);
}

static void test_zstd(void **state) {
    (void)state;
    roundtrip(PQ_CODEC_ZSTD);
}

static void test_limits(void **state) {
    (void)state;
    sl_err err = {{0}};
    uint8_t tiny[16] = {0};
    /* a 16-byte gzip page cannot hold 100 MB: refused before allocating */
    assert_int_equal(pq_decompress_check(PQ_CODEC_GZIP, tiny, 16, 100u << 20, &err), -1);
    assert_non_null(strstr(err.msg, "cannot expand"));
    assert_int_equal(pq_decompress_check(PQ_CODEC_ZSTD, tiny, 16, 1u << 29, &err), -1);
    assert_int_equal(pq_decompress_check(PQ_CODEC_UNCOMPRESSED, tiny, 16, (size_t)2 << 30, &err),
                     -1);
    assert_non_null(strstr(err.msg, "limit"));
    /* snappy states its length: a mismatch is caught from the header */
    uint8_t s[64];
    size_t sn = sizeof s;
    assert_int_equal(snappy_compress("hello hello hello", 17, (char *)s, &sn), SNAPPY_OK);
    assert_int_equal(pq_decompress_check(PQ_CODEC_SNAPPY, s, sn, 18, &err), -1);
    assert_non_null(strstr(err.msg, "snappy data holds 17 bytes"));
    assert_int_equal(pq_decompress_check(PQ_CODEC_SNAPPY, s, sn, 17, &err), 0);
    static const int unsupported[] = {3, 4, 5, 7, 99};
    for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++) {
        uint8_t out[16];
        assert_int_equal(pq_decompress(unsupported[i], tiny, 16, out, 16, &err), -1);
        assert_non_null(strstr(err.msg, "not supported"));
    }
    assert_int_equal(pq_decompress_check(5, tiny, 16, 16, &err), -1);
    assert_non_null(strstr(err.msg, "LZ4"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uncompressed), cmocka_unit_test(test_snappy),
        cmocka_unit_test(test_gzip),         cmocka_unit_test(test_zstd),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
