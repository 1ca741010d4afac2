/* Differential check against the reference scanner: see json_ref_diff.h. */
#include "json_ref_diff.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rctx {
    sl_buf out;
    const uint8_t *buf;
    size_t len;
    size_t nkeys;
    int seen, stop_after;
    sl_buf dec;       /* a raw scan's escaped string, decoded */
    int bad_raw;      /* an escaped string not exactly its quoted body in the input */
    uint64_t escaped; /* JSON_STRING_ESCAPED values seen */
} rctx;

/* where a pointer points: an offset into the input, or a copy elsewhere */
static void put_ptr(rctx *c, const char *p, size_t n) {
    const uint8_t *u = (const uint8_t *)p;
    if (!p)
        sl_buf_printf(&c->out, "@null");
    else if (u >= c->buf && u <= c->buf + c->len)
        sl_buf_printf(&c->out, "@%zu", (size_t)(u - c->buf));
    else
        sl_buf_printf(&c->out, "@copy");
    sl_buf_printf(&c->out, "+%zu:", n);
    if (n) sl_buf_append(&c->out, p, n);
}

static int on_record(void *ctx, const json_value *v, json_pos pos) {
    rctx *c = ctx;
    sl_buf_printf(&c->out, "R%llu:%llu", (unsigned long long)pos.line,
                  (unsigned long long)pos.byte);
    for (size_t i = 0; i < c->nkeys; i++) {
        uint64_t bits;
        memcpy(&bits, &v[i].num, sizeof bits);
        if (v[i].type == JSON_STRING_ESCAPED) { /* rendered as the decoded string */
            const uint8_t *u = (const uint8_t *)v[i].str;
            if (!u || u <= c->buf || u + v[i].len >= c->buf + c->len || u[-1] != '"' ||
                u[v[i].len] != '"')
                c->bad_raw++;
            c->escaped++;
            c->dec.len = 0;
            json_unescape(&v[i], &c->dec);
            sl_buf_printf(&c->out, " t%d n%016llx ", (int)JSON_STRING, (unsigned long long)bits);
            put_ptr(c, (const char *)c->dec.data, c->dec.len); /* a copy, as the reference's */
            continue;
        }
        sl_buf_printf(&c->out, " t%d n%016llx ", (int)v[i].type, (unsigned long long)bits);
        if (v[i].type != JSON_MISSING && v[i].type != JSON_NULL)
            put_ptr(c, v[i].str, v[i].len);
        else
            sl_buf_printf(&c->out, "%s+%u", v[i].str ? "set" : "null", v[i].len);
    }
    sl_buf_putc(&c->out, '\n');
    return ++c->seen == c->stop_after ? 7 : 0;
}

static int on_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t n) {
    rctx *c = ctx;
    sl_buf_printf(&c->out, "X%llu:%llu %s ", (unsigned long long)pos.line,
                  (unsigned long long)pos.byte, reason);
    put_ptr(c, raw, n);
    sl_buf_putc(&c->out, '\n');
    return 0;
}

void ref_pair_init(ref_pair *p, const char *const *keys, size_t nkeys) {
    p->f = json_fields_new(keys, nkeys);
    p->s = json_scanner_new(p->f);
    p->fraw = json_fields_new(keys, nkeys);
    for (size_t i = 0; i < nkeys; i++) json_fields_set_raw(p->fraw, i);
    p->sraw = json_scanner_new(p->fraw);
    p->rf = ref_json_fields_new(keys, nkeys);
    p->rs = ref_json_scanner_new(p->rf);
    p->nkeys = nkeys;
    p->raw_escaped = 0;
}

void ref_pair_free(ref_pair *p) {
    json_scanner_free(p->s);
    json_fields_free(p->f);
    json_scanner_free(p->sraw);
    json_fields_free(p->fraw);
    ref_json_scanner_free(p->rs);
    ref_json_fields_free(p->rf);
}

static int differ(const rctx *a, const rctx *b, const char *what, size_t stop) {
    if (a->out.len == b->out.len && memcmp(a->out.data, b->out.data, a->out.len) == 0) return 0;
    size_t i = 0;
    while (i < a->out.len && i < b->out.len && a->out.data[i] == b->out.data[i]) i++;
    size_t from = i > 300 ? i - 300 : 0;
    fprintf(stderr, "json_ref_diff: %s and reference differ at rendering byte %zu (stop %zu)\n",
            what, i, stop);
    fprintf(stderr, "--- %s:\n%.*s\n--- reference:\n%.*s\n", what,
            (int)((a->out.len < i + 200 ? a->out.len : i + 200) - from),
            (const char *)a->out.data + from,
            (int)((b->out.len < i + 200 ? b->out.len : i + 200) - from),
            (const char *)b->out.data + from);
    return 1;
}

static int scan_fast(json_scanner *s, rctx *c, const uint8_t *buf, size_t len, size_t stop) {
    json_callbacks cb = {on_record, on_reject};
    int r =
        stop >= len ? json_scan(s, buf, len, &cb, c) : json_scan_until(s, buf, len, stop, &cb, c);
    sl_buf_printf(&c->out, "rc %d\n", r);
    if (stop >= len || r == 0) /* newlines are defined after a complete scan */
        sl_buf_printf(&c->out, "nl %llu\n", (unsigned long long)json_scanner_newlines(s));
    return r;
}

int ref_pair_check(ref_pair *p, const uint8_t *buf, size_t len, size_t stop, int stop_after) {
    json_callbacks cb = {on_record, on_reject};
    rctx a = {{0}, buf, len, p->nkeys, 0, stop_after, {0}, 0, 0};
    rctx b = {{0}, buf, len, p->nkeys, 0, stop_after, {0}, 0, 0};
    rctx w = {{0}, buf, len, p->nkeys, 0, stop_after, {0}, 0, 0};
    scan_fast(p->s, &a, buf, len, stop);
    scan_fast(p->sraw, &w, buf, len, stop);
    int rb = stop >= len ? ref_json_scan(p->rs, buf, len, &cb, &b)
                         : ref_json_scan_until(p->rs, buf, len, stop, &cb, &b);
    sl_buf_printf(&b.out, "rc %d\n", rb);
    if (stop >= len || rb == 0)
        sl_buf_printf(&b.out, "nl %llu\n", (unsigned long long)ref_json_scanner_newlines(p->rs));
    int bad = differ(&a, &b, "fast", stop) | differ(&w, &b, "fast, raw keys", stop);
    if (a.bad_raw || w.bad_raw) {
        fprintf(stderr, "json_ref_diff: %d escaped string(s) not their quoted body in the input\n",
                a.bad_raw + w.bad_raw);
        bad = 1;
    }
    if (a.escaped) { /* only raw keys give JSON_STRING_ESCAPED */
        fprintf(stderr, "json_ref_diff: the decoding scanner gave %llu escaped string(s)\n",
                (unsigned long long)a.escaped);
        bad = 1;
    }
    p->raw_escaped += w.escaped;
    sl_buf_free(&a.out);
    sl_buf_free(&b.out);
    sl_buf_free(&w.out);
    sl_buf_free(&a.dec);
    sl_buf_free(&w.dec);
    return bad;
}
