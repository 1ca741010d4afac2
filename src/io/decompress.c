/* Decompression by file suffix: ".gz" (zlib; several concatenated gzip
 * members, as `cat a.gz b.gz` or pigz/bgzip produce, read as one stream)
 * and ".zst" (libzstd streaming; several frames, skippable frames, frames
 * without a content size). Whole files are decompressed in memory because
 * the engine parses whole files; the output is capped (io_max_decompressed)
 * so a decompression bomb is a clear error rather than an out-of-memory
 * abort. Corrupt or truncated data is an error naming the file. */
#include "io/io_internal.h"

#include <stdatomic.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static _Atomic uint64_t max_out = 64ull << 30;

void io_set_max_decompressed(uint64_t bytes) {
    max_out = bytes;
}
uint64_t io_max_decompressed(void) {
    return max_out;
}

static bool ends_with(const char *s, const char *suf) {
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

/* Room left in out, growing it geometrically. Output may reach cap + 1
 * bytes, one past the limit, so "exactly cap" and "more than cap" differ;
 * callers fail once out->len > cap. */
static size_t room(sl_buf *out, uint64_t cap) {
    uint64_t lim = cap + 1;
    if (out->cap == out->len && out->len < lim) {
        uint64_t extra = out->len < (1u << 20) ? (1u << 16) : out->len / 2;
        if (out->len + extra > lim) extra = lim - out->len;
        sl_buf_reserve(out, (size_t)extra);
    }
    uint64_t end = out->cap < lim ? out->cap : lim;
    return end > out->len ? (size_t)(end - out->len) : 0;
}

/* A size announced by the file (gzip ISIZE, zstd frame header) is only
 * trusted as a first allocation when plausible: deflate cannot expand more
 * than ~1032:1, and a lying header must not make a tiny file reserve GiBs. */
static bool size_hint_ok(uint64_t hint, size_t in_len, uint64_t cap) {
    return hint <= cap && hint < (1ull << 31) && hint <= (uint64_t)in_len * 1032;
}

static int too_big(const char *name, uint64_t cap, sl_err *err) {
    return sl_err_set(err,
                      "%s: decompressed data exceeds %llu bytes; split the file or raise the "
                      "limit",
                      name, (unsigned long long)cap);
}

static bool all_zero(const uint8_t *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

static int gunzip(const char *name, const sl_buf *in, sl_buf *out, sl_err *err) {
    uint64_t cap = max_out;
    /* hint: ISIZE of the last member (size mod 2^32), bounded */
    if (in->len >= 18) {
        const uint8_t *t = in->data + in->len - 4;
        uint64_t isz =
            (uint64_t)t[0] | (uint64_t)t[1] << 8 | (uint64_t)t[2] << 16 | (uint64_t)t[3] << 24;
        if (size_hint_ok(isz, in->len, cap)) sl_buf_reserve(out, isz + 1);
    }
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 15 + 16) != Z_OK) return sl_err_set(err, "%s: zlib init failed", name);
    size_t pos = 0, members = 0;
    int rc = 0;
    bool in_member = false;
    for (;;) {
        if (!in_member) {
            /* between members: trailing zero padding is tolerated (gzip
             * does the same); anything else must be another member */
            if (pos >= in->len || (members && all_zero(in->data + pos, in->len - pos))) break;
            in_member = true;
        }
        size_t avail_in = in->len - pos, avail_out = room(out, cap);
        if (out->len > cap) {
            rc = too_big(name, cap, err);
            break;
        }
        zs.next_in = in->data + pos;
        zs.avail_in = avail_in > UINT32_MAX ? UINT32_MAX : (uInt)avail_in;
        zs.next_out = out->data + out->len;
        zs.avail_out = avail_out > UINT32_MAX ? UINT32_MAX : (uInt)avail_out;
        uInt ai = zs.avail_in, ao = zs.avail_out;
        int z = inflate(&zs, Z_NO_FLUSH);
        pos += ai - zs.avail_in;
        out->len += ao - zs.avail_out;
        if (z == Z_STREAM_END) {
            in_member = false;
            members++;
            inflateReset(&zs);
            continue;
        }
        if (z == Z_OK || (z == Z_BUF_ERROR && zs.avail_out == 0)) continue;
        if (z == Z_BUF_ERROR) {
            rc = sl_err_set(err, "%s: truncated gzip data (file ends inside a member)", name);
            break;
        }
        rc = sl_err_set(err, "%s: corrupt gzip data near byte %zu: %s", name, pos,
                        zs.msg ? zs.msg : "invalid stream");
        break;
    }
    if (rc == 0 && out->len > cap) rc = too_big(name, cap, err);
    if (rc == 0 && members == 0) rc = sl_err_set(err, "%s: not gzip data (empty file)", name);
    inflateEnd(&zs);
    return rc;
}

static int unzstd(const char *name, const sl_buf *in, sl_buf *out, sl_err *err) {
    uint64_t cap = max_out;
    unsigned long long fcs = ZSTD_getFrameContentSize(in->data, in->len);
    if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR &&
        size_hint_ok(fcs, in->len, cap))
        sl_buf_reserve(out, (size_t)fcs + 1);
    ZSTD_DCtx *dc = ZSTD_createDCtx();
    if (!dc) return sl_err_set(err, "%s: zstd init failed", name);
    ZSTD_inBuffer ib = {in->data, in->len, 0};
    size_t last = 1; /* 0 once the decoder sits at a frame boundary */
    int rc = 0;
    if (in->len == 0) rc = sl_err_set(err, "%s: empty file is not zstd data", name);
    /* runs on after the input is consumed to flush what the decoder holds */
    while (rc == 0 && (ib.pos < ib.size || last != 0)) {
        size_t avail_out = room(out, cap), in_before = ib.pos;
        if (out->len > cap) {
            rc = too_big(name, cap, err);
            break;
        }
        ZSTD_outBuffer ob = {out->data + out->len, avail_out, 0};
        last = ZSTD_decompressStream(dc, &ob, &ib);
        out->len += ob.pos;
        if (ZSTD_isError(last))
            rc = sl_err_set(err, "%s: corrupt zstd data at byte %zu: %s", name, ib.pos,
                            ZSTD_getErrorName(last));
        else if (last != 0 && ob.pos == 0 && ib.pos == in_before && ib.pos == ib.size)
            rc = sl_err_set(err, "%s: truncated zstd data (stream ends inside a frame)", name);
    }
    if (rc == 0 && out->len > cap) rc = too_big(name, cap, err);
    ZSTD_freeDCtx(dc);
    return rc;
}

bool io_name_is_compressed(const char *name) {
    return ends_with(name, ".gz") || ends_with(name, ".zst");
}

int io_decompress_by_name(const char *name, sl_buf *buf, sl_err *err) {
    int (*fn)(const char *, const sl_buf *, sl_buf *, sl_err *) = NULL;
    if (ends_with(name, ".gz"))
        fn = gunzip;
    else if (ends_with(name, ".zst"))
        fn = unzstd;
    if (!fn) return 0;
    sl_buf out = {0};
    if (fn(name, buf, &out, err) < 0) {
        sl_buf_free(&out);
        return -1;
    }
    sl_buf_free(buf);
    *buf = out;
    return 0;
}
