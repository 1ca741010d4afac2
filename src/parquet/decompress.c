/* parquet reader: page decompression (SNAPPY, GZIP, ZSTD).
 *
 * A page header declares its uncompressed size; the reader allocates that
 * much and the data must fill it exactly. pq_decompress_check runs first so
 * a hostile header cannot make the reader allocate far more than the
 * compressed bytes could ever expand to (each codec has a bounded ratio, or
 * states its output size in its own header). */
#include <snappy-c.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "parquet/pq_read_internal.h"

/* gzip (deflate) never expands more than ~1032:1; zstd RLE blocks give at
 * most 128 KiB per 4 bytes. */
#define GZIP_MAX_RATIO 1032
#define ZSTD_MAX_RATIO 32768

int pq_decompress_check(int codec, const uint8_t *src, size_t n, size_t dn, sl_err *err) {
    if (dn > PQ_MAX_PAGE_BYTES)
        return sl_err_set(err, "page declares %zu uncompressed bytes (limit %zu)", dn,
                          PQ_MAX_PAGE_BYTES);
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (dn != n)
            return sl_err_set(err, "uncompressed page has %zu bytes but declares %zu", n, dn);
        return 0;
    case PQ_CODEC_SNAPPY: {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK)
            return sl_err_set(err, "corrupt snappy data (bad length header)");
        if (ulen != dn)
            return sl_err_set(err, "snappy data holds %zu bytes but the page declares %zu", ulen,
                              dn);
        return 0;
    }
    case PQ_CODEC_GZIP:
        if (dn / GZIP_MAX_RATIO > n + 64)
            return sl_err_set(err, "gzip page of %zu bytes cannot expand to the declared %zu", n,
                              dn);
        return 0;
    case PQ_CODEC_ZSTD: {
        unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
        if (fcs == ZSTD_CONTENTSIZE_ERROR) return sl_err_set(err, "corrupt zstd frame header");
        if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > dn)
            return sl_err_set(err, "zstd frame holds %llu bytes but the page declares %zu", fcs,
                              dn);
        if (dn / ZSTD_MAX_RATIO > n + 64)
            return sl_err_set(err, "zstd page of %zu bytes cannot expand to the declared %zu", n,
                              dn);
        return 0;
    }
    default:
        return sl_err_set(err,
                          "compression codec %s is not supported (songlake reads UNCOMPRESSED, "
                          "SNAPPY, GZIP and ZSTD)",
                          pq_codec_name_any(codec));
    }
}

/* Page sizes are below 2^31 (i32 in the page header), so they fit zlib's
 * 32-bit counters. Concatenated gzip members are accepted. */
static int gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t dn, sl_err *err) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 47) != Z_OK) return sl_err_set(err, "gzip: inflateInit2 failed");
    uint8_t dummy;
    zs.next_in = (Bytef *)src;
    zs.avail_in = (uInt)n;
    zs.next_out = dn ? dst : &dummy;
    zs.avail_out = (uInt)dn;
    int rc;
    for (;;) {
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_STREAM_END || zs.avail_in == 0) break;
        if (zs.avail_out == 0) { /* another member but no room: too much data */
            rc = Z_BUF_ERROR;
            break;
        }
        if (inflateReset(&zs) != Z_OK) break;
    }
    size_t got = dn - zs.avail_out;
    const char *msg = zs.msg;
    bool in_done = zs.avail_in == 0;
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
        if (rc == Z_BUF_ERROR && in_done) return sl_err_set(err, "truncated gzip data");
        if (got == dn && rc == Z_BUF_ERROR)
            return sl_err_set(err, "gzip data expands beyond the declared %zu bytes", dn);
        return sl_err_set(err, "corrupt gzip data (%s)", msg ? msg : "truncated");
    }
    if (got != dn)
        return sl_err_set(err, "gzip data holds %zu bytes but the page declares %zu", got, dn);
    return 0;
}

int pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dn, sl_err *err) {
    if (pq_decompress_check(codec, src, n, dn, err) < 0) return -1;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
        if (n) memcpy(dst, src, n);
        return 0;
    case PQ_CODEC_SNAPPY: {
        size_t out = dn;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &out) != SNAPPY_OK || out != dn)
            return sl_err_set(err, "corrupt snappy data");
        return 0;
    }
    case PQ_CODEC_GZIP: return gunzip(src, n, dst, dn, err);
    case PQ_CODEC_ZSTD: {
        uint8_t dummy;
        size_t r = ZSTD_decompress(dn ? dst : &dummy, dn, src, n);
        if (ZSTD_isError(r)) return sl_err_set(err, "corrupt zstd data (%s)", ZSTD_getErrorName(r));
        if (r != dn)
            return sl_err_set(err, "zstd data holds %zu bytes but the page declares %zu", r, dn);
        return 0;
    }
    default: return sl_err_set(err, "unsupported codec %d", codec);
    }
}
