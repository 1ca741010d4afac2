/* Differential tests: the json scanner against the reference scanner
 * (json_ref_scan.c, the scanner before its speed work) on the sample's event
 * logs and on many deterministic mutations of them (bytes replaced by the
 * ones the fast paths care about, inserted, deleted, records cut), through
 * json_scan, json_scan_until at line and non-line stops, and callbacks that
 * stop the scan. Every event must be the same (json_ref_diff.h). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "json_ref_diff.h"

static const char *const EVENT_KEYS[] = {"page",     "userId", "ts",        "firstName",
                                         "lastName", "gender", "level",     "song",
                                         "artist",   "length", "sessionId", "userAgent"};
static const char *const OTHER_KEYS[] = {
    "status", "registration", "itemInSession", "method", "auth", "location", "ts", "ts", "", "a"};

static sl_buf sample;

/* every .json file under dir, depth first (sorted names) */
static int load_all(const char *dir, sl_buf *out) {
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) return -1;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *path = sl_sprintf("%s/%s", dir, names[i]->d_name);
        struct stat st;
        size_t l = strlen(path);
        if (rc == 0 && names[i]->d_name[0] != '.' && stat(path, &st) == 0) {
            if (S_ISDIR(st.st_mode))
                rc = load_all(path, out);
            else if (l > 5 && !strcmp(path + l - 5, ".json")) {
                sl_err err;
                sl_buf b = {0};
                rc = sl_read_file(path, &b, &err);
                sl_buf_append(out, b.data, b.len);
                sl_buf_free(&b);
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int setup(void **st) {
    (void)st;
    return load_all(SONGLAKE_SAMPLE_LOGS, &sample) < 0 || sample.len < 20000 ? -1 : 0;
}

static int teardown(void **st) {
    (void)st;
    sl_buf_free(&sample);
    return 0;
}

/* an exact-size heap copy, so ASan sees any read past the end */
static uint8_t *dup_exact(const uint8_t *p, size_t n) {
    uint8_t *c = calloc(n ? n : 1, 1);
    if (n) memcpy(c, p, n);
    return c;
}

static void check_all(ref_pair *p, const uint8_t *buf, size_t len, uint64_t r) {
    uint8_t *c = dup_exact(buf, len);
    assert_int_equal(ref_pair_check(p, c, len, len, 0), 0);
    assert_int_equal(ref_pair_check(p, c, len, len, 0), 0); /* a reused scanner */
    assert_int_equal(ref_pair_check(p, c, len, len, 1 + (int)(r % 5)), 0);
    if (len) {
        size_t stop = (size_t)(r >> 8) % len; /* anywhere: a record may start before it */
        assert_int_equal(ref_pair_check(p, c, len, stop, 0), 0);
        const uint8_t *nl = memchr(c + stop, '\n', len - stop);
        if (nl) assert_int_equal(ref_pair_check(p, c, len, (size_t)(nl + 1 - c), 0), 0);
    }
    free(c);
}

static void t_sample(void **st) {
    (void)st;
    ref_pair a, b;
    ref_pair_init(&a, EVENT_KEYS, sizeof EVENT_KEYS / sizeof *EVENT_KEYS);
    ref_pair_init(&b, OTHER_KEYS, sizeof OTHER_KEYS / sizeof *OTHER_KEYS);
    check_all(&a, sample.data, sample.len, 12345);
    check_all(&b, sample.data, sample.len, 6789);
    /* the sample's user agents ("Mozilla\/5.0 ...") come escaped from the
     * raw scanner: the raw path was taken, not only the plain one */
    assert_true(a.raw_escaped > 1000);
    ref_pair_free(&a);
    ref_pair_free(&b);
}

static uint64_t rnd(uint64_t *x) {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

/* bytes the fast paths branch on */
static const uint8_t HOT[] =
    "\"\\/:,{}[] \n\r\t0123456789.eE+-ntfu_xA\x00\x1f\x7f\x80\xbf\xc3\xe2\xed"
    "\xf0\xf4\xff";

static void mutate(sl_buf *w, uint64_t *x) {
    int kinds = 1 + (int)(rnd(x) % 3);
    for (int k = 0; k < kinds && w->len; k++) {
        size_t at = rnd(x) % w->len;
        uint64_t r = rnd(x);
        switch (r % 6) {
        case 0:
        case 1: w->data[at] = HOT[(r >> 8) % (sizeof HOT - 1)]; break;
        case 2: { /* insert a hot byte or a short escape */
            static const char *const INS[] = {"\\/", "\\\"", "\\u00e9", "\\ud83d\\ude00", " ", "\n",
                                              "\\",  "\"",   "0",       "\xc3\xa9"};
            const char *s = INS[(r >> 8) % 10];
            size_t n = strlen(s);
            sl_buf_reserve(w, n);
            memmove(w->data + at + n, w->data + at, w->len - at);
            memcpy(w->data + at, s, n);
            w->len += n;
            break;
        }
        case 3: { /* delete a few bytes */
            size_t n = 1 + (r >> 8) % 4;
            if (n > w->len - at) n = w->len - at;
            memmove(w->data + at, w->data + at + n, w->len - at - n);
            w->len -= n;
            break;
        }
        case 4: w->len = at; break; /* cut */
        default:                    /* duplicate a key's quote position: shift a run */
            if (at + 1 < w->len) w->data[at] = w->data[at + 1];
        }
    }
}

static void t_mutations(void **st) {
    (void)st;
    ref_pair a, b;
    ref_pair_init(&a, EVENT_KEYS, sizeof EVENT_KEYS / sizeof *EVENT_KEYS);
    ref_pair_init(&b, OTHER_KEYS, sizeof OTHER_KEYS / sizeof *OTHER_KEYS);
    uint64_t x = 0x9e3779b97f4a7c15u;
    sl_buf w = {0};
    for (int i = 0; i < 2000; i++) {
        /* a window of a few records starting at a line */
        size_t from = rnd(&x) % (sample.len - 8000);
        const uint8_t *nl = memchr(sample.data + from, '\n', sample.len - from);
        from = nl ? (size_t)(nl + 1 - sample.data) : 0;
        size_t n = 200 + rnd(&x) % 3000;
        if (n > sample.len - from) n = sample.len - from;
        w.len = 0;
        sl_buf_append(&w, sample.data + from, n);
        mutate(&w, &x);
        uint64_t r = rnd(&x);
        check_all(i & 1 ? &b : &a, w.data, w.len, r);
    }
    sl_buf_free(&w);
    ref_pair_free(&a);
    ref_pair_free(&b);
}

/* strings and numbers of every length around the 16- and 32-byte blocks,
 * with a special byte at every place */
static void t_lengths(void **st) {
    (void)st;
    static const char *const K[] = {"k", "kk", "userAgent", "sixteen_bytes_ky", "n"};
    ref_pair a;
    ref_pair_init(&a, K, 5);
    sl_buf w = {0};
    static const char *const SPECIAL[] = {"\\/",     "\\\"",     "\"",   "\\",
                                          "\x01",    "\xc3\xa9", "\xc3", "\xe2\x82\xac",
                                          "\\u0041", "\n",       "\xff"};
    for (size_t len = 0; len < 70; len++)
        for (size_t sp = 0; sp < sizeof SPECIAL / sizeof *SPECIAL; sp++)
            for (size_t at = 0; at <= len; at += 1 + len / 12) {
                w.len = 0;
                for (int key = 0; key < 5; key++) {
                    sl_buf_printf(&w, "{\"%s\":\"", K[key]);
                    for (size_t i = 0; i < len; i++) {
                        if (i == at) sl_buf_printf(&w, "%s", SPECIAL[sp]);
                        sl_buf_putc(&w, (uint8_t)('a' + i % 26));
                    }
                    sl_buf_printf(&w, "\",\"n\":%.*s,\"z\":\"%.*s\"}\n", (int)(1 + len % 25),
                                  "-12345678901234567890123.5e7", (int)(len % 40),
                                  "abcdefghijklmnopqrstuvwxyz\\/0123456789012");
                }
                check_all(&a, w.data, w.len, len * 131 + sp * 7 + at);
                for (size_t cut = w.len > 64 ? w.len - 64 : 0; cut < w.len; cut += 3)
                    check_all(&a, w.data, cut, cut);
            }
    sl_buf_free(&w);
    ref_pair_free(&a);
}

/* hand-picked cases around the fast paths */
static void t_cases(void **st) {
    (void)st;
    static const char *const CASES[] = {
        /* a repeated key: number then string keeps the number's num */
        "{\"ts\":1,\"ts\":\"x\"}\n{\"ts\":\"y\"}\n{\"ts\":null,\"a\":2.5,\"a\":null}\n",
        "{\"ts\":1}\n{\"b\":1}\n{\"ts\":[1],\"ts\":2}\n{}\n{\"ts\":true}\n",
        /* the same layout, then a key that differs in its last byte or its colon */
        "{\"ts\":1,\"a\":2}\n{\"ts\":1,\"b\":2}\n{\"tt\":1,\"a\" :2}\n{\"ts\" :1,\"a\":2}\n",
        /* numbers at and past 19 digits, exponents, bad ones */
        "{\"ts\":1234567890123456789,\"a\":12345678901234567890,\"b\":0.1234567890123456789}\n"
        "{\"ts\":1.5e3,\"a\":-0,\"b\":-0.0,\"c\":01}\n{\"ts\":1.}\n{\"ts\":-}\n"
        "{\"ts\":1_000}\n{\"ts\":12345678.12345678901}\n{\"ts\":123456789012345678.9}\n",
        /* nulls that are not */
        "{\"ts\":nul}\n{\"ts\":nullx}\n{\"ts\":null1}\n{\"ts\":null_}\n{\"ts\":null}",
        /* escapes in keys and values */
        "{\"t\\u0073\":\"a\\/b\",\"a\":\"\\ud83d\\ude00\\n\"}\n{\"ts\":\"\\x\"}\n",
    };
    static const char *const K[] = {"ts", "a", "b", "c", "ts"};
    ref_pair a;
    ref_pair_init(&a, K, 5);
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        size_t n = strlen(CASES[i]);
        for (size_t cut = 0; cut <= n; cut++) check_all(&a, (const uint8_t *)CASES[i], cut, cut);
    }
    ref_pair_free(&a);
}

/* more than 64 requested keys (slots past the bit masks), some twice */
static void t_many_keys(void **st) {
    (void)st;
    char *keys[72];
    for (int i = 0; i < 70; i++) keys[i] = sl_sprintf("k%d", i);
    keys[70] = sl_sprintf("k66");
    keys[71] = sl_sprintf("k2");
    ref_pair a;
    ref_pair_init(&a, (const char *const *)keys, 72);
    sl_buf w = {0};
    uint64_t x = 12345;
    for (int rec = 0; rec < 300; rec++) {
        sl_buf_putc(&w, '{');
        int n = (int)(rnd(&x) % 12);
        for (int k = 0; k < n; k++) {
            uint64_t r = rnd(&x);
            static const char *const VALS[] = {"1",   "\"x\"", "\"a\\/b\"", "null",
                                               "2.5", "[1]",   "true"};
            sl_buf_printf(&w, "%s\"k%d\":%s", k ? "," : "", (int)(r % 72), VALS[(r >> 8) % 7]);
        }
        sl_buf_append(&w, "}\n", 2);
    }
    check_all(&a, w.data, w.len, 99);
    check_all(&a, w.data, w.len, 12345678);
    sl_buf_free(&w);
    ref_pair_free(&a);
    for (int i = 0; i < 72; i++) free(keys[i]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(t_sample), cmocka_unit_test(t_mutations), cmocka_unit_test(t_lengths),
        cmocka_unit_test(t_cases),  cmocka_unit_test(t_many_keys),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
