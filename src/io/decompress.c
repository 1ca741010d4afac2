/* Decompression by file suffix: ".gz" (zlib; several concatenated gzip
 * members, as `cat a.gz b.gz` or pigz/bgzip produce, read as one stream)
 * and ".zst" (libzstd streaming; several frames, skippable frames, frames
 * without a content size). Two ways: a whole buffer (S3 objects, io_read_all)
 * and a stream (io_stream, local files: memory independent of the sizes).
 * The output is capped (io_max_decompressed) so a decompression bomb is a
 * clear error rather than an out-of-memory abort. Corrupt or truncated data
 * is an error naming the file. */
#include "io/io_internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
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

/* ---- streams ----------------------------------------------------------- */
/* A compressed local file read as a stream of its decompressed bytes: the
 * compressed side in IO_STREAM_IN-byte reads, the output into the caller's
 * buffer, so memory does not depend on either size (a 1 MB file inflating
 * to 10 GB takes the same as any other). Same rules as above: several gzip
 * members, zero padding after the last, several zstd frames; corrupt or
 * truncated data is an error naming the file; io_max_decompressed still
 * caps the total. */
enum { IO_STREAM_IN = 1 << 20 };

struct io_stream {
    int fd;
    char *name;
    bool zst;
    uint8_t *in;
    size_t in_len, in_pos;
    uint64_t in_off; /* compressed bytes before in[0] */
    bool in_eof;
    z_stream zs;
    ZSTD_DCtx *dc;
    bool in_member; /* gzip: inside a member */
    bool padded;    /* gzip: zero bytes seen after the last member */
    size_t members;
    size_t zlast; /* zstd: 0 at a frame boundary */
    bool any_in;  /* zstd: the file is not empty */
    bool done;
    uint64_t out_total;
};

io_stream *io_stream_open(int fd, const char *name, sl_err *err) {
    io_stream *s = sl_calloc(1, sizeof *s);
    s->fd = fd;
    s->name = sl_strdup(name);
    s->zst = ends_with(name, ".zst");
    s->in = sl_malloc(IO_STREAM_IN);
    s->zlast = 0;
    if (s->zst) {
        if (!(s->dc = ZSTD_createDCtx())) {
            sl_err_set(err, "%s: zstd init failed", name);
            io_stream_close(s);
            return NULL;
        }
    } else if (inflateInit2(&s->zs, 15 + 16) != Z_OK) {
        sl_err_set(err, "%s: zlib init failed", name);
        s->zs.state = NULL;
        io_stream_close(s);
        return NULL;
    }
    return s;
}

void io_stream_close(io_stream *s) {
    if (!s) return;
    if (s->zst)
        ZSTD_freeDCtx(s->dc);
    else if (s->zs.state)
        inflateEnd(&s->zs);
    if (s->fd >= 0) close(s->fd);
    free(s->in);
    free(s->name);
    free(s);
}

/* More compressed input when all of it is used: 0, or -1 on a read error. */
static int refill(io_stream *s, sl_err *err) {
    if (s->in_pos < s->in_len || s->in_eof) return 0;
    s->in_off += s->in_len;
    s->in_len = s->in_pos = 0;
    for (;;) {
        ssize_t r = read(s->fd, s->in, IO_STREAM_IN);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return sl_err_errno(err, errno, "%s", s->name);
        if (r == 0) s->in_eof = true;
        s->in_len = (size_t)r;
        return 0;
    }
}

static ssize_t gz_read(io_stream *s, uint8_t *p, size_t n, sl_err *err) {
    size_t got = 0;
    while (got < n && !s->done) {
        if (refill(s, err) < 0) return -1;
        if (!s->in_member) {
            /* between members: zero padding after one is tolerated (as
             * gzip does); anything else must be another member */
            if (s->members)
                while (s->in_pos < s->in_len && s->in[s->in_pos] == 0)
                    s->in_pos++, s->padded = true;
            if (s->in_pos == s->in_len) {
                if (!s->in_eof) continue;
                if (!s->members) return sl_err_set(err, "%s: not gzip data (empty file)", s->name);
                s->done = true;
                break;
            }
            if (s->padded)
                return sl_err_set(err, "%s: corrupt gzip data near byte %llu: data after padding",
                                  s->name, (unsigned long long)(s->in_off + s->in_pos));
            s->in_member = true;
        }
        s->zs.next_in = s->in + s->in_pos;
        s->zs.avail_in = (uInt)(s->in_len - s->in_pos);
        s->zs.next_out = p + got;
        s->zs.avail_out = n - got > UINT32_MAX ? UINT32_MAX : (uInt)(n - got);
        uInt ai = s->zs.avail_in, ao = s->zs.avail_out;
        int z = inflate(&s->zs, Z_NO_FLUSH);
        s->in_pos += ai - s->zs.avail_in;
        got += ao - s->zs.avail_out;
        if (z == Z_STREAM_END) {
            s->in_member = false;
            s->members++;
            inflateReset(&s->zs);
            continue;
        }
        if (z == Z_OK) continue;
        if (z == Z_BUF_ERROR && s->zs.avail_out == 0) continue;
        if (z == Z_BUF_ERROR && !s->in_eof) continue;
        if (z == Z_BUF_ERROR)
            return sl_err_set(err, "%s: truncated gzip data (file ends inside a member)", s->name);
        return sl_err_set(err, "%s: corrupt gzip data near byte %llu: %s", s->name,
                          (unsigned long long)(s->in_off + s->in_pos),
                          s->zs.msg ? s->zs.msg : "invalid stream");
    }
    return (ssize_t)got;
}

static ssize_t zst_read(io_stream *s, uint8_t *p, size_t n, sl_err *err) {
    size_t got = 0;
    while (got < n && !s->done) {
        if (refill(s, err) < 0) return -1;
        if (s->in_len) s->any_in = true;
        if (s->in_pos == s->in_len && s->in_eof && s->zlast == 0) {
            if (!s->any_in) return sl_err_set(err, "%s: empty file is not zstd data", s->name);
            s->done = true;
            break;
        }
        ZSTD_inBuffer ib = {s->in, s->in_len, s->in_pos};
        ZSTD_outBuffer ob = {p + got, n - got, 0};
        size_t before = ib.pos;
        s->zlast = ZSTD_decompressStream(s->dc, &ob, &ib);
        s->in_pos = ib.pos;
        got += ob.pos;
        if (ZSTD_isError(s->zlast))
            return sl_err_set(err, "%s: corrupt zstd data at byte %llu: %s", s->name,
                              (unsigned long long)(s->in_off + s->in_pos),
                              ZSTD_getErrorName(s->zlast));
        if (s->zlast != 0 && ob.pos == 0 && ib.pos == before && s->in_pos == s->in_len && s->in_eof)
            return sl_err_set(err, "%s: truncated zstd data (stream ends inside a frame)", s->name);
    }
    return (ssize_t)got;
}

ssize_t io_stream_read(io_stream *s, void *p, size_t n, sl_err *err) {
    ssize_t r = s->zst ? zst_read(s, p, n, err) : gz_read(s, p, n, err);
    if (r < 0) return -1;
    s->out_total += (uint64_t)r;
    if (s->out_total > max_out) return too_big(s->name, max_out, err);
    return r;
}
