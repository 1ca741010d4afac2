/* core: what every layer uses. Errors, byte buffers, arenas, a string-keyed
 * hash index, logging, a thread pool and a clock.
 *
 * Error convention: a function that can fail returns 0 on success and -1 on
 * failure, filling an sl_err with a one-line message a user can act on.
 * Nothing below cli/ exits the process. */
#ifndef SONGLAKE_CORE_H
#define SONGLAKE_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- errors ---------------------------------------------------------- */
typedef struct sl_err {
    char msg[1024];
} sl_err;

#if defined(__GNUC__)
#define SL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SL_PRINTF(a, b)
#endif

/* Sets the message (if err is non-NULL) and returns -1, so callers can write
 * `return sl_err_set(err, "...")`. */
int sl_err_set(sl_err *err, const char *fmt, ...) SL_PRINTF(2, 3);
/* Prefixes an existing message: "ctx: old message". Returns -1. */
int sl_err_prefix(sl_err *err, const char *fmt, ...) SL_PRINTF(2, 3);
/* Sets the message to "<fmt>: strerror(errnum)". Returns -1. */
int sl_err_errno(sl_err *err, int errnum, const char *fmt, ...) SL_PRINTF(3, 4);

/* ---- memory ---------------------------------------------------------- */
/* Allocation that aborts on out-of-memory: an ETL tool cannot do anything
 * useful once malloc fails, and checking every small allocation hides logic. */
void *sl_malloc(size_t n);
void *sl_calloc(size_t n, size_t size);
void *sl_realloc(void *p, size_t n);
char *sl_strdup(const char *s);
char *sl_strndup(const char *s, size_t n);
char *sl_sprintf(const char *fmt, ...) SL_PRINTF(1, 2); /* malloc'd */

/* A string slice (not NUL-terminated). */
typedef struct sl_str {
    const char *ptr;
    uint32_t len;
} sl_str;

/* Growable byte buffer. */
typedef struct sl_buf {
    uint8_t *data;
    size_t len, cap;
} sl_buf;
void sl_buf_reserve(sl_buf *b, size_t extra);
void sl_buf_append(sl_buf *b, const void *p, size_t n);
void sl_buf_putc(sl_buf *b, uint8_t c);
void sl_buf_printf(sl_buf *b, const char *fmt, ...) SL_PRINTF(2, 3);
/* Appends s as a JSON string literal (quotes and escapes; invalid UTF-8 bytes
 * become \u00XX escapes of the byte so the output is always valid JSON). */
void sl_buf_json_str(sl_buf *b, const char *s, size_t n);
/* sl_buf_json_str with at most max bytes between the quotes: the text is cut
 * after escaping, never inside an escape or a UTF-8 sequence. */
void sl_buf_json_str_max(sl_buf *b, const char *s, size_t n, size_t max);
void sl_buf_free(sl_buf *b);

/* Bump arena: many small allocations freed together. */
typedef struct sl_arena_block sl_arena_block;
typedef struct sl_arena {
    sl_arena_block *head;
    size_t used_bytes;
} sl_arena;
void *sl_arena_alloc(sl_arena *a, size_t n);                  /* 8-byte aligned */
char *sl_arena_strndup(sl_arena *a, const char *s, size_t n); /* NUL-terminated copy */
void sl_arena_free(sl_arena *a);

/* Generic growable array of fixed-size elements. */
typedef struct sl_vec {
    void *data;
    size_t len, cap, elem;
} sl_vec;
void sl_vec_init(sl_vec *v, size_t elem);
void *sl_vec_push(sl_vec *v); /* returns pointer to the new zeroed slot */
void sl_vec_free(sl_vec *v);
#define SL_VEC_AT(v, T, i) (((T *)(v)->data)[i])

/* ---- hashing and hash index ----------------------------------------- */
uint64_t sl_hash(const void *p, size_t n); /* XXH3 64-bit */

/* Sorts int64 ascending (LSD radix, 11-bit digits: several times faster than
 * qsort on millions of keys); returns the count after removing duplicates
 * when `unique`. */
size_t sl_sort_i64(int64_t *v, size_t n, bool unique);

/* Open-addressing map from a byte key to a uint32 value. Keys are copied
 * into an internal arena. */
typedef struct sl_map {
    uint64_t *hashes; /* 0 = empty slot */
    uint32_t *vals;
    sl_str *keys;
    size_t cap, count;
    sl_arena keys_arena;
} sl_map;
void sl_map_init(sl_map *m);
/* Returns pointer to the value of key; if absent inserts it with *inserted=1
 * and value 0. */
uint32_t *sl_map_upsert(sl_map *m, const char *key, size_t n, bool *inserted);
uint32_t *sl_map_get(const sl_map *m, const char *key, size_t n);
void sl_map_free(sl_map *m);

/* int64 -> uint32 map (open addressing, fixed-width keys: no key bytes to
 * hash or compare, one slot array). Pointers are valid until the next
 * upsert. */
typedef struct sl_imap {
    struct sl_imap_slot {
        int64_t key;
        uint32_t val;
        uint32_t used;
    } * slots;
    size_t cap, len; /* cap: 0 or a power of two */
} sl_imap;
void sl_imap_init(sl_imap *m);
uint32_t *sl_imap_upsert(sl_imap *m, int64_t key, bool *inserted);
uint32_t *sl_imap_get(const sl_imap *m, int64_t key);
void sl_imap_free(sl_imap *m);

/* ---- logging --------------------------------------------------------- */
enum { SL_LOG_ERROR = 0, SL_LOG_WARN = 1, SL_LOG_INFO = 2, SL_LOG_DEBUG = 3 };
extern int sl_log_level; /* default SL_LOG_INFO */
void sl_log(int level, const char *fmt, ...) SL_PRINTF(2, 3);

/* ---- threads --------------------------------------------------------- */
/* Runs fn(ctx, i, worker) for i in [0, n) on `threads` workers (worker in
 * [0, threads)); items are handed out in increasing order. Returns when all
 * are done. threads <= 1 runs inline. */
typedef void (*sl_task_fn)(void *ctx, size_t i, int worker);
void sl_parallel_for(size_t n, int threads, sl_task_fn fn, void *ctx);
int sl_cpu_count(void);

/* ---- time ------------------------------------------------------------ */
double sl_now(void);       /* monotonic seconds */
int64_t sl_epoch_ms(void); /* wall clock, milliseconds since 1970 (UTC) */

/* "dir/rel", with no doubled '/' when dir ends in one (malloc'd). */
char *sl_path_join(const char *dir, const char *rel);

/* ---- misc ------------------------------------------------------------ */
/* Opens a local file read-only without blocking and checks, on the opened
 * descriptor, that it is a regular file: the fd, or -1 with err naming the
 * file (escaped) and what it is ("not a regular file (a FIFO)") and errno
 * set (ENOENT when absent). */
int sl_open_regular(const char *path, sl_err *err);
/* Appends name to out as text that is safe to print and store: bytes below
 * 0x20, 0x7f, and bytes that are not part of valid UTF-8 become \xNN, a
 * backslash becomes \\; valid UTF-8 is kept. Reversible: \xNN is the byte
 * NN, \\ a backslash. NUL-terminated (len excludes it). */
void sl_escape_name(sl_buf *out, const char *name);
/* A copy of url without its userinfo ("http://user:secret@host:9000/x" ->
 * "http://host:9000/x"), for printing and storing; other text is copied as
 * is. Free with free(). */
char *sl_url_redact(const char *url);
/* Reads a whole local regular file (sl_open_regular). */
int sl_read_file(const char *path, sl_buf *out, sl_err *err);
/* Writes all bytes to fd, retrying on EINTR/short writes. */
int sl_write_all(int fd, const void *p, size_t n, sl_err *err);

#endif
