/* core: errors, memory, buffers, arena, vector, hash map, logging, threads.
 * Kept in one file because each piece is small and used everywhere. */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

/* ---- errors ---------------------------------------------------------- */
static size_t utf8_seq(const unsigned char *s, size_t n);

/* Error messages end up on terminals and in logs: control bytes (C0, DEL,
 * the C1 controls U+0080..U+009F) and bytes that are not UTF-8, which may
 * come from file names or values, are written as \xNN so a name holding
 * ESC[2J cannot drive the terminal. Idempotent (the escapes are printable). */
static void err_escape(sl_err *err) {
    char out[sizeof err->msg];
    const unsigned char *p = (const unsigned char *)err->msg;
    size_t n = strnlen(err->msg, sizeof err->msg - 1), o = 0;
    bool any = false;
    for (size_t i = 0; i < n;) {
        size_t k = p[i] < 0x20 || p[i] == 0x7f ? 0 : utf8_seq(p + i, n - i);
        if (k == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0) k = 0; /* C1 */
        if (k) {
            if (o + k >= sizeof out) break;
            memcpy(out + o, p + i, k);
            o += k;
            i += k;
            continue;
        }
        any = true;
        if (o + 4 >= sizeof out) break;
        snprintf(out + o, 5, "\\x%02X", p[i]);
        o += 4;
        i++;
    }
    if (!any) return;
    out[o] = 0;
    memcpy(err->msg, out, o + 1);
}

int sl_err_set(sl_err *err, const char *fmt, ...) {
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err_escape(err);
    return -1;
}

int sl_err_prefix(sl_err *err, const char *fmt, ...) {
    if (!err) return -1;
    char pre[512], old[sizeof err->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    memcpy(old, err->msg, sizeof old);
    size_t pl = strlen(pre), ol = strnlen(old, sizeof old - 1);
    if (pl > sizeof err->msg - 3) pl = sizeof err->msg - 3;
    if (ol > sizeof err->msg - 3 - pl) ol = sizeof err->msg - 3 - pl;
    memcpy(err->msg, pre, pl);
    memcpy(err->msg + pl, ": ", 2);
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = 0;
    err_escape(err);
    return -1;
}

int sl_err_errno(sl_err *err, int errnum, const char *fmt, ...) {
    if (!err) return -1;
    char pre[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pre, sizeof pre, fmt, ap);
    va_end(ap);
    snprintf(err->msg, sizeof err->msg, "%s: %s", pre, strerror(errnum));
    err_escape(err);
    return -1;
}

/* ---- memory ---------------------------------------------------------- */
static void oom(size_t n) {
    fprintf(stderr, "songlake: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sl_malloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) oom(n);
    return p;
}

void *sl_calloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom(n * size);
    return p;
}

void *sl_realloc(void *p, size_t n) {
    void *q = realloc(p, n ? n : 1);
    if (!q) oom(n);
    return q;
}

char *sl_strdup(const char *s) {
    return sl_strndup(s, strlen(s));
}

char *sl_strndup(const char *s, size_t n) {
    char *p = sl_malloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *sl_sprintf(const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = sl_malloc((size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return p;
}

/* ---- buffers --------------------------------------------------------- */
void sl_buf_reserve(sl_buf *b, size_t extra) {
    if (b->cap - b->len >= extra) return;
    size_t need = b->len + extra, cap = b->cap ? b->cap : 256;
    while (cap < need) cap *= 2;
    b->data = sl_realloc(b->data, cap);
    b->cap = cap;
}

void sl_buf_append(sl_buf *b, const void *p, size_t n) {
    if (!n) return;
    sl_buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void sl_buf_putc(sl_buf *b, uint8_t c) {
    sl_buf_reserve(b, 1);
    b->data[b->len++] = c;
}

void sl_buf_printf(sl_buf *b, const char *fmt, ...) {
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    sl_buf_reserve(b, (size_t)n + 1);
    vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n) {
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    unsigned min;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (n < len) return 0;
    unsigned cp = c & (0xFF >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return len;
}

void sl_buf_json_str(sl_buf *b, const char *s, size_t n) {
    sl_buf_json_str_max(b, s, n, SIZE_MAX);
}

void sl_buf_json_str_max(sl_buf *b, const char *s, size_t n, size_t max) {
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)s;
    sl_buf_reserve(b, (n < max ? n : max) + 2);
    sl_buf_putc(b, '"');
    size_t start = b->len;
    for (size_t i = 0; i < n;) {
        if (max != SIZE_MAX) { /* the next character, escaped, must fit whole */
            unsigned c = u[i];
            size_t w = c == '"' || c == '\\' ? 2
                       : c < 0x20 || c == 0x7F
                           ? (c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f' ? 2 : 6)
                       : c < 0x80 ? 1
                                  : utf8_seq(u + i, n - i);
            if (b->len - start + (w ? w : 6) > max) break;
        }
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            sl_buf_putc(b, '\\');
            sl_buf_putc(b, (uint8_t)c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            const char *e = NULL;
            switch (c) {
            case '\n': e = "\\n"; break;
            case '\r': e = "\\r"; break;
            case '\t': e = "\\t"; break;
            case '\b': e = "\\b"; break;
            case '\f': e = "\\f"; break;
            }
            if (e)
                sl_buf_append(b, e, 2);
            else {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sl_buf_append(b, esc, 6);
            }
            i++;
        } else if (c < 0x80) {
            sl_buf_putc(b, (uint8_t)c);
            i++;
        } else {
            size_t l = utf8_seq(u + i, n - i);
            if (l) {
                sl_buf_append(b, u + i, l);
                i += l;
            } else { /* invalid byte: keep it visible as U+00XX */
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                sl_buf_append(b, esc, 6);
                i++;
            }
        }
    }
    sl_buf_putc(b, '"');
}

void sl_buf_free(sl_buf *b) {
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* ---- arena ----------------------------------------------------------- */
struct sl_arena_block {
    sl_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
};

void *sl_arena_alloc(sl_arena *a, size_t n) {
    n = (n + 7) & ~(size_t)7;
    sl_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = 64 * 1024;
        if (b && b->cap < (8u << 20)) cap = b->cap * 2;
        if (cap < n) cap = n;
        sl_arena_block *nb = sl_malloc(sizeof *nb + cap);
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        a->head = b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    a->used_bytes += n;
    return p;
}

char *sl_arena_strndup(sl_arena *a, const char *s, size_t n) {
    char *p = sl_arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = 0;
    return p;
}

void sl_arena_free(sl_arena *a) {
    sl_arena_block *b = a->head;
    while (b) {
        sl_arena_block *n = b->next;
        free(b);
        b = n;
    }
    a->head = NULL;
    a->used_bytes = 0;
}

/* ---- vector ---------------------------------------------------------- */
void sl_vec_init(sl_vec *v, size_t elem) {
    v->data = NULL;
    v->len = v->cap = 0;
    v->elem = elem;
}

void *sl_vec_push(sl_vec *v) {
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->data = sl_realloc(v->data, v->cap * v->elem);
    }
    void *p = (char *)v->data + v->len * v->elem;
    memset(p, 0, v->elem);
    v->len++;
    return p;
}

void sl_vec_free(sl_vec *v) {
    free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

/* ---- hashing and map ------------------------------------------------- */
uint64_t sl_hash(const void *p, size_t n) {
    return XXH3_64bits(p, n);
}

/* Drops repeats from sorted v[0, n) in place; returns the new count. */
static size_t sorted_unique(int64_t *v, size_t n) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i]) v[m++] = v[i];
    return m;
}

size_t sl_sort_i64(int64_t *v, size_t n, bool unique) {
    if (n < 2) return n;
    size_t k = 1;
    while (k < n && v[k - 1] <= v[k]) k++;
    if (k == n) return unique ? sorted_unique(v, n) : n; /* already in order (often: logs are) */
    /* LSD radix, 11-bit digits, all six histograms in one pass; a digit
     * that is the same in every key (the high bits of nearby times) is
     * skipped */
    enum { DIGITS = 6, RADIX = 2048 };
    uint64_t *a = (uint64_t *)v, *b = sl_malloc(n * sizeof *b);
    const uint64_t flip = UINT64_C(1) << 63;
    size_t(*count)[RADIX] = sl_calloc(DIGITS, sizeof *count);
    for (size_t i = 0; i < n; i++) {
        uint64_t x = a[i] ^= flip;
        for (int d = 0; d < DIGITS; d++) count[d][(x >> (11 * d)) & (RADIX - 1)]++;
    }
    for (int d = 0; d < DIGITS; d++) {
        int shift = 11 * d;
        if (count[d][(a[0] >> shift) & (RADIX - 1)] == n) continue; /* digit all equal */
        size_t sum = 0;
        for (size_t x = 0; x < RADIX; x++) {
            size_t c = count[d][x];
            count[d][x] = sum;
            sum += c;
        }
        for (size_t i = 0; i < n; i++) b[count[d][(a[i] >> shift) & (RADIX - 1)]++] = a[i];
        uint64_t *t = a;
        a = b;
        b = t;
    }
    free(count);
    if (a != (uint64_t *)v) {
        memcpy(v, a, n * sizeof *a);
        b = a;
    }
    free(b);
    for (size_t i = 0; i < n; i++) v[i] = (int64_t)((uint64_t)v[i] ^ flip);
    return unique ? sorted_unique(v, n) : n;
}

void sl_map_init(sl_map *m) {
    memset(m, 0, sizeof *m);
}

static uint64_t map_hash(const char *key, size_t n) {
    uint64_t h = sl_hash(key, n);
    return h ? h : 1; /* 0 marks an empty slot */
}

static void map_grow(sl_map *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    uint64_t *nh = sl_calloc(ncap, sizeof *nh);
    uint32_t *nv = sl_malloc(ncap * sizeof *nv);
    sl_str *nk = sl_malloc(ncap * sizeof *nk);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->hashes[i]) continue;
        size_t j = m->hashes[i] & (ncap - 1);
        while (nh[j]) j = (j + 1) & (ncap - 1);
        nh[j] = m->hashes[i];
        nv[j] = m->vals[i];
        nk[j] = m->keys[i];
    }
    free(m->hashes);
    free(m->vals);
    free(m->keys);
    m->hashes = nh;
    m->vals = nv;
    m->keys = nk;
    m->cap = ncap;
}

uint32_t *sl_map_upsert(sl_map *m, const char *key, size_t n, bool *inserted) {
    if ((m->count + 1) * 4 > m->cap * 3) map_grow(m);
    uint64_t h = map_hash(key, n);
    size_t j = h & (m->cap - 1);
    while (m->hashes[j]) {
        if (m->hashes[j] == h && m->keys[j].len == n && memcmp(m->keys[j].ptr, key, n) == 0) {
            if (inserted) *inserted = false;
            return &m->vals[j];
        }
        j = (j + 1) & (m->cap - 1);
    }
    m->hashes[j] = h;
    m->vals[j] = 0;
    m->keys[j].ptr = sl_arena_strndup(&m->keys_arena, key, n);
    m->keys[j].len = (uint32_t)n;
    m->count++;
    if (inserted) *inserted = true;
    return &m->vals[j];
}

uint32_t *sl_map_get(const sl_map *m, const char *key, size_t n) {
    if (!m->cap) return NULL;
    uint64_t h = map_hash(key, n);
    size_t j = h & (m->cap - 1);
    while (m->hashes[j]) {
        if (m->hashes[j] == h && m->keys[j].len == n && memcmp(m->keys[j].ptr, key, n) == 0)
            return &m->vals[j];
        j = (j + 1) & (m->cap - 1);
    }
    return NULL;
}

void sl_map_free(sl_map *m) {
    free(m->hashes);
    free(m->vals);
    free(m->keys);
    sl_arena_free(&m->keys_arena);
    memset(m, 0, sizeof *m);
}

/* ---- logging --------------------------------------------------------- */
int sl_log_level = SL_LOG_INFO;

void sl_log(int level, const char *fmt, ...) {
    if (level > sl_log_level) return;
    static const char *names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (level == SL_LOG_INFO)
        fprintf(stderr, "songlake: %s\n", line);
    else
        fprintf(stderr, "songlake: %s: %s\n", names[level], line);
}

/* ---- threads --------------------------------------------------------- */
typedef struct pf_state {
    size_t n;
    size_t next;
    pthread_mutex_t mu;
    sl_task_fn fn;
    void *ctx;
} pf_state;

typedef struct pf_worker {
    pf_state *st;
    int id;
} pf_worker;

static void *pf_run(void *arg) {
    pf_worker *w = arg;
    pf_state *st = w->st;
    for (;;) {
        pthread_mutex_lock(&st->mu);
        size_t i = st->next++;
        pthread_mutex_unlock(&st->mu);
        if (i >= st->n) break;
        st->fn(st->ctx, i, w->id);
    }
    return NULL;
}

void sl_parallel_for(size_t n, int threads, sl_task_fn fn, void *ctx) {
    if (threads <= 1 || n <= 1) {
        for (size_t i = 0; i < n; i++) fn(ctx, i, 0);
        return;
    }
    if ((size_t)threads > n) threads = (int)n;
    pf_state st = {.n = n, .next = 0, .fn = fn, .ctx = ctx};
    pthread_mutex_init(&st.mu, NULL);
    pthread_t *tids = sl_malloc(sizeof *tids * (size_t)threads);
    pf_worker *ws = sl_malloc(sizeof *ws * (size_t)threads);
    for (int t = 0; t < threads; t++) {
        ws[t].st = &st;
        ws[t].id = t;
        if (t > 0 && pthread_create(&tids[t], NULL, pf_run, &ws[t]) != 0) {
            fprintf(stderr, "songlake: cannot start thread\n");
            abort();
        }
    }
    pf_run(&ws[0]);
    for (int t = 1; t < threads; t++) pthread_join(tids[t], NULL);
    pthread_mutex_destroy(&st.mu);
    free(tids);
    free(ws);
}

int sl_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

/* ---- time ------------------------------------------------------------ */
double sl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int64_t sl_epoch_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *sl_path_join(const char *dir, const char *rel) {
    size_t n = strlen(dir);
    return sl_sprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", rel);
}

/* ---- files ----------------------------------------------------------- */
void sl_escape_name(sl_buf *out, const char *name) {
    const uint8_t *p = (const uint8_t *)name;
    size_t n = strlen(name);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq(p + i, n - i);
        if (k == 1 && p[i] >= 0x20 && p[i] != 0x7f && p[i] != '\\') {
            sl_buf_append(out, p + i, 1);
        } else if (k > 1) {
            sl_buf_append(out, p + i, k);
            i += k;
            continue;
        } else if (p[i] == '\\') {
            sl_buf_append(out, "\\\\", 2);
        } else {
            char hex[5];
            snprintf(hex, sizeof hex, "\\x%02X", p[i]);
            sl_buf_append(out, hex, 4);
        }
        i++;
    }
    sl_buf_reserve(out, 1);
    out->data[out->len] = 0;
}

/* Opening never blocks (O_NONBLOCK: a FIFO put in a file's place would
 * wait for a writer forever) and the check is on the opened descriptor, not
 * on a name looked up earlier: a file swapped for a FIFO, a device or a
 * link to /dev/zero after listing is refused, not read. */
int sl_open_regular(const char *path, sl_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    struct stat st;
    int e = fd < 0 ? errno : fstat(fd, &st) < 0 ? errno : 0;
    if (e) {
        if (fd >= 0) close(fd);
        sl_buf b = {0};
        sl_escape_name(&b, path);
        sl_err_errno(err, e, "%s", (const char *)b.data);
        sl_buf_free(&b);
        errno = e;
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        const char *what = S_ISDIR(st.st_mode)    ? "a directory"
                           : S_ISFIFO(st.st_mode) ? "a FIFO"
                           : S_ISCHR(st.st_mode)  ? "a character device"
                           : S_ISBLK(st.st_mode)  ? "a block device"
                           : S_ISSOCK(st.st_mode) ? "a socket"
                                                  : "a special file";
        sl_buf b = {0};
        sl_escape_name(&b, path);
        sl_err_set(err, "%s: not a regular file (%s); only regular files are read",
                   (const char *)b.data, what);
        sl_buf_free(&b);
        errno = EINVAL;
        return -1;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    return fd;
}

int sl_read_file(const char *path, sl_buf *out, sl_err *err) {
    int fd = sl_open_regular(path, err);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) < 0) st.st_size = 0;
    if (st.st_size > 0) sl_buf_reserve(out, (size_t)st.st_size);
    for (;;) {
        sl_buf_reserve(out, 65536);
        ssize_t r = read(fd, out->data + out->len, out->cap - out->len);
        if (r < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            close(fd);
            return sl_err_errno(err, e, "%s", path);
        }
        if (r == 0) break;
        out->len += (size_t)r;
    }
    close(fd);
    return 0;
}

int sl_write_all(int fd, const void *p, size_t n, sl_err *err) {
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return sl_err_errno(err, errno, "write");
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

char *sl_url_redact(const char *url) {
    if (!url) return NULL;
    const char *sep = strstr(url, "://");
    if (!sep) return sl_strdup(url);
    const char *host = sep + 3, *end = host + strcspn(host, "/?#");
    const char *at = NULL;
    for (const char *q = host; q < end; q++)
        if (*q == '@') at = q;
    if (!at) return sl_strdup(url);
    size_t pre = (size_t)(host - url);
    char *o = sl_malloc(strlen(url) + 1);
    memcpy(o, url, pre);
    strcpy(o + pre, at + 1);
    return o;
}

/* ---- sl_imap ----------------------------------------------------------- */
void sl_imap_init(sl_imap *m) {
    memset(m, 0, sizeof *m);
}

void sl_imap_free(sl_imap *m) {
    free(m->slots);
    sl_imap_init(m);
}

static size_t imap_slot(int64_t key, size_t cap) {
    uint64_t x = (uint64_t)key; /* murmur3's fmix64 */
    x ^= x >> 33;
    x *= UINT64_C(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x *= UINT64_C(0xc4ceb9fe1a85ec53);
    x ^= x >> 33;
    return (size_t)x & (cap - 1);
}

static void imap_grow(sl_imap *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    struct sl_imap_slot *ns = sl_calloc(ncap, sizeof *ns);
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].used) continue;
        size_t j = imap_slot(m->slots[i].key, ncap);
        while (ns[j].used) j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
}

uint32_t *sl_imap_get(const sl_imap *m, int64_t key) {
    if (!m->cap) return NULL;
    for (size_t i = imap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->slots[i].used) return NULL;
        if (m->slots[i].key == key) return &m->slots[i].val;
    }
}

uint32_t *sl_imap_upsert(sl_imap *m, int64_t key, bool *inserted) {
    if ((m->len + 1) * 2 > m->cap) imap_grow(m); /* load <= 1/2 */
    size_t i = imap_slot(key, m->cap);
    while (m->slots[i].used && m->slots[i].key != key) i = (i + 1) & (m->cap - 1);
    *inserted = !m->slots[i].used;
    if (*inserted) {
        m->slots[i] = (struct sl_imap_slot){key, 0, 1};
        m->len++;
    }
    return &m->slots[i].val;
}
