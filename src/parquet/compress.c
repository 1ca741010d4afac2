/* compress: page compression for the writer. One compressor per open writer
 * so zstd and zlib contexts are allocated once and reset per page instead of
 * per call (a row group has hundreds of pages). GZIP is the gzip wrapper
 * (deflateInit2 with windowBits 31), which is what the format calls GZIP. */
#include "parquet/pq_write_internal.h"

#include <stdlib.h>

#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

struct pqw_compressor {
    pq_codec codec;
    int level;
    ZSTD_CCtx *zctx;
    z_stream zs;
    bool zs_live;
};

pqw_compressor *pqw_compressor_new(pq_codec codec, int level, sl_err *err) {
    pqw_compressor *c = sl_calloc(1, sizeof *c);
    c->codec = codec;
    c->level = level;
    switch (codec) {
    case PQ_CODEC_UNCOMPRESSED:
    case PQ_CODEC_SNAPPY: break;
    case PQ_CODEC_ZSTD:
        if (c->level == 0) c->level = ZSTD_CLEVEL_DEFAULT;
        if (c->level < ZSTD_minCLevel() || c->level > ZSTD_maxCLevel()) {
            free(c);
            sl_err_set(err, "zstd compression level %d out of range [%d, %d]", level,
                       ZSTD_minCLevel(), ZSTD_maxCLevel());
            return NULL;
        }
        c->zctx = ZSTD_createCCtx();
        if (!c->zctx) {
            free(c);
            sl_err_set(err, "zstd: cannot create a compression context");
            return NULL;
        }
        break;
    case PQ_CODEC_GZIP:
        if (c->level == 0) c->level = Z_DEFAULT_COMPRESSION;
        if (c->level != Z_DEFAULT_COMPRESSION && (c->level < 1 || c->level > 9)) {
            free(c);
            sl_err_set(err, "gzip compression level %d out of range [1, 9]", level);
            return NULL;
        }
        if (deflateInit2(&c->zs, c->level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
            free(c);
            sl_err_set(err, "zlib: deflateInit2 failed");
            return NULL;
        }
        c->zs_live = true;
        break;
    default:
        free(c);
        sl_err_set(err, "unsupported parquet codec %d (use snappy, zstd, gzip or none)",
                   (int)codec);
        return NULL;
    }
    return c;
}

void pqw_compressor_free(pqw_compressor *c) {
    if (!c) return;
    if (c->zctx) ZSTD_freeCCtx(c->zctx);
    if (c->zs_live) deflateEnd(&c->zs);
    free(c);
}

static int gzip_page(pqw_compressor *c, const void *p, size_t n, sl_buf *out, sl_err *err) {
    if (deflateReset(&c->zs) != Z_OK) return sl_err_set(err, "zlib: deflateReset failed");
    uLong bound = deflateBound(&c->zs, (uLong)n) + 32;
    sl_buf_reserve(out, bound);
    c->zs.next_in = (Bytef *)(uintptr_t)p;
    c->zs.avail_in = (uInt)n;
    c->zs.next_out = out->data + out->len;
    c->zs.avail_out = (uInt)bound;
    int rc = deflate(&c->zs, Z_FINISH);
    if (rc != Z_STREAM_END) return sl_err_set(err, "zlib: deflate failed (%d)", rc);
    out->len += bound - c->zs.avail_out;
    return 0;
}

int pqw_compress(pqw_compressor *c, const void *p, size_t n, sl_buf *out, sl_err *err) {
    switch (c->codec) {
    case PQ_CODEC_UNCOMPRESSED: sl_buf_append(out, p, n); return 0;
    case PQ_CODEC_SNAPPY: {
        size_t cap = snappy_max_compressed_length(n);
        sl_buf_reserve(out, cap);
        size_t olen = cap;
        if (snappy_compress((const char *)p, n, (char *)out->data + out->len, &olen) != SNAPPY_OK)
            return sl_err_set(err, "snappy: compression failed");
        out->len += olen;
        return 0;
    }
    case PQ_CODEC_ZSTD: {
        size_t cap = ZSTD_compressBound(n);
        sl_buf_reserve(out, cap);
        size_t r = ZSTD_compressCCtx(c->zctx, out->data + out->len, cap, p, n, c->level);
        if (ZSTD_isError(r)) return sl_err_set(err, "zstd: %s", ZSTD_getErrorName(r));
        out->len += r;
        return 0;
    }
    case PQ_CODEC_GZIP:
        if (n > (size_t)UINT32_MAX / 2) return sl_err_set(err, "gzip: page too large");
        return gzip_page(c, p, n, out, err);
    }
    return sl_err_set(err, "unsupported parquet codec %d", (int)c->codec);
}
