/* S3 small pieces with no I/O: s3:// URI parsing, SigV4 percent-encoding,
 * the retry schedule and which outcomes are retried, user hints for S3
 * error codes, Content-MD5 (DeleteObjects requires it; a compact MD5 here
 * beats linking a crypto library for one header), time parsing, and the
 * run-id file naming of the S3 commit protocol (docs/s3.md). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/s3_internal.h"

int s3_parse_uri(const char *uri, char **bucket, char **key, sl_err *err) {
    if (strncmp(uri, "s3://", 5) != 0) return sl_err_set(err, "%s: not an s3:// URI", uri);
    const char *b = uri + 5, *slash = strchr(b, '/');
    size_t bl = slash ? (size_t)(slash - b) : strlen(b);
    if (bl == 0)
        return sl_err_set(err, "%s: missing bucket name (expected s3://bucket/prefix)", uri);
    *bucket = sl_strndup(b, bl);
    *key = sl_strdup(slash ? slash + 1 : "");
    return 0;
}

void s3_uri_encode(sl_buf *b, const char *s, size_t n, bool keep_slash) {
    static const char HEX[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash))
            sl_buf_putc(b, c);
        else {
            uint8_t e[3] = {'%', (uint8_t)HEX[c >> 4], (uint8_t)HEX[c & 15]};
            sl_buf_append(b, e, 3);
        }
    }
}

double s3_backoff_delay(int attempt, double base, double cap, double rnd) {
    if (attempt < 1) return 0;
    double d = base;
    for (int i = 1; i < attempt && d < cap; i++) d *= 2;
    if (d > cap) d = cap;
    return d * rnd;
}

bool s3_retryable(int curl_code, long status, const char *s3_code) {
    if (curl_code != 0) return true; /* resets, timeouts, truncated bodies */
    /* 501 NotImplemented is the store's answer for good, not a hiccup */
    if ((status >= 500 && status != 501) || status == 429) return true;
    if (status == 400 && s3_code && !strcmp(s3_code, "RequestTimeout")) return true;
    return false;
}

const char *s3_error_hint(long status, const char *code) {
    static const struct {
        const char *code, *hint;
    } H[] = {
        {"AccessDenied", "check AWS_ACCESS_KEY_ID / the profile's permissions on this bucket"},
        {"InvalidAccessKeyId", "the access key id is unknown: check AWS_ACCESS_KEY_ID, --config "
                               "[AWS] or the AWS profile"},
        {"SignatureDoesNotMatch", "the secret key does not match the access key id: check "
                                  "AWS_SECRET_ACCESS_KEY (and the region)"},
        {"NoSuchBucket", "the bucket does not exist: check the bucket name, --region and "
                         "--endpoint-url"},
        {"NoSuchKey", "no such object"},
        {"ExpiredToken", "the session token expired: refresh the credentials"},
        {"RequestTimeTooSkewed", "this machine's clock differs from the server's by more than "
                                 "15 minutes: set it right (NTP)"},
        {"InvalidToken", "check AWS_SESSION_TOKEN"},
        {"AuthorizationHeaderMalformed", "check --region (the bucket's region)"},
        {"PermanentRedirect", "the bucket is in another region: set --region"},
        {"SlowDown", "S3 is throttling: lower --s3-max-connections"},
    };
    if (code && *code)
        for (size_t i = 0; i < sizeof H / sizeof H[0]; i++)
            if (!strcmp(code, H[i].code)) return H[i].hint;
    if (status == 403) return "check the credentials and the bucket policy";
    if (status == 301) return "the bucket is in another region: set --region";
    if (status >= 500) return "the server kept failing; retry later";
    return "";
}

/* ---- MD5 (RFC 1321) ------------------------------------------------------ */
static uint32_t rol(uint32_t x, int c) {
    return (x << c) | (x >> (32 - c));
}

static void md5_block(uint32_t h[4], const uint8_t *p) {
    static const uint32_t K[64] = {
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613,
        0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193,
        0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d,
        0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed,
        0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122,
        0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
        0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244,
        0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
        0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391};
    static const int R[64] = {7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
                              5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
                              4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
                              6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[i * 4] | (uint32_t)p[i * 4 + 1] << 8 | (uint32_t)p[i * 4 + 2] << 16 |
               (uint32_t)p[i * 4 + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g;
        if (i < 16)
            f = (b & c) | (~b & d), g = i;
        else if (i < 32)
            f = (d & b) | (~d & c), g = (5 * i + 1) % 16;
        else if (i < 48)
            f = b ^ c ^ d, g = (3 * i + 5) % 16;
        else
            f = c ^ (b | ~d), g = (7 * i) % 16;
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rol(a + f + K[i] + w[g], R[i]);
        a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d;
}

void s3_content_md5(const void *data, size_t n, char out[25]) {
    uint32_t h[4] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    const uint8_t *p = data;
    size_t i = 0;
    for (; i + 64 <= n; i += 64) md5_block(h, p + i);
    uint8_t tail[128] = {0};
    size_t rem = n - i;
    if (rem) memcpy(tail, p + i, rem);
    tail[rem] = 0x80;
    size_t tl = rem < 56 ? 64 : 128;
    uint64_t bits = (uint64_t)n * 8;
    for (int k = 0; k < 8; k++) tail[tl - 8 + k] = (uint8_t)(bits >> (8 * k));
    md5_block(h, tail);
    if (tl == 128) md5_block(h, tail + 64);
    uint8_t dg[16];
    for (int k = 0; k < 16; k++) dg[k] = (uint8_t)(h[k / 4] >> (8 * (k % 4)));
    static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (int k = 0; k < 16; k += 3) {
        uint32_t v = (uint32_t)dg[k] << 16 | (k + 1 < 16 ? (uint32_t)dg[k + 1] << 8 : 0) |
                     (k + 2 < 16 ? dg[k + 2] : 0);
        out[o++] = B64[(v >> 18) & 63];
        out[o++] = B64[(v >> 12) & 63];
        out[o++] = k + 1 < 16 ? B64[(v >> 6) & 63] : '=';
        out[o++] = k + 2 < 16 ? B64[v & 63] : '=';
    }
    out[o] = 0;
}

int64_t s3_parse_time(const char *s) {
    struct tm tm = {0};
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                     &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
        return 0;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm);
}

char *s3_name_with_run(const char *relpath, const char *run_id) {
    const char *base = strrchr(relpath, '/');
    base = base ? base + 1 : relpath;
    const char *dot = strchr(base, '.');
    if (!dot) dot = base + strlen(base);
    return sl_sprintf("%.*s-%s%s", (int)(dot - relpath), relpath, run_id, dot);
}

char *s3_run_of_name(const char *key) {
    const char *base = strrchr(key, '/');
    base = base ? base + 1 : key;
    if (strncmp(base, "part-", 5) != 0) return NULL;
    /* part-NNNNN-<run>.ext: the run id is between the second '-' and the
     * first '.' */
    const char *p = base + 5;
    while (*p >= '0' && *p <= '9') p++;
    if (*p != '-') return NULL;
    p++;
    const char *dot = strchr(p, '.');
    size_t n = dot ? (size_t)(dot - p) : strlen(p);
    if (n == 0) return NULL;
    return sl_strndup(p, n);
}

static bool run_id_shape(const char *p, size_t n) {
    static const char SHAPE[] = "DDDDDDDDTDDDDDDZ-HHHHHH";
    if (n != sizeof SHAPE - 1) return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i], w = SHAPE[i];
        bool ok = w == 'D'   ? c >= '0' && c <= '9'
                  : w == 'H' ? (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')
                             : c == w;
        if (!ok) return false;
    }
    return true;
}

bool s3_songlake_key(const char *root, const char *key, char run[24]) {
    size_t rl = strlen(root);
    if (strncmp(key, root, rl) != 0) return false;
    const char *rel = key + rl;
    static const char STAGING[] = ".songlake-staging-";
    if (!strncmp(rel, STAGING, sizeof STAGING - 1)) {
        const char *id = rel + sizeof STAGING - 1, *slash = strchr(id, '/');
        if (!slash || !run_id_shape(id, (size_t)(slash - id))) return false;
        memcpy(run, id, 23);
        run[23] = 0;
        return true;
    }
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    if (strncmp(base, "part-", 5) != 0) return false;
    /* the run id ends right before the first '.' of the name, after a '-' */
    size_t n = strcspn(base, ".");
    if (n < 5 + 24 || base[n - 24] != '-' || !run_id_shape(base + n - 23, 23)) return false;
    memcpy(run, base + n - 23, 23);
    run[23] = 0;
    return true;
}
