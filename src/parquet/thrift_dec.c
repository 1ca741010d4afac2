/* parquet reader: a thrift compact protocol decoder for the footer and the
 * page headers.
 *
 * Not a generic thrift library: a cursor over a bounded byte range with
 * typed getters, so that the parsers in reader.c read like the parquet.thrift
 * definitions. Errors are sticky (after the first one every call fails) and
 * name the byte offset; nesting is limited to PQ_T_MAX_DEPTH so a hostile
 * footer cannot recurse the stack away. */
#include <stdarg.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

void pq_tdec_init(pq_tdec *d, const uint8_t *p, size_t n, const char *what, sl_err *err) {
    memset(d, 0, sizeof *d);
    d->start = d->p = p;
    d->end = p + n;
    d->what = what;
    d->err = err;
}

int pq_t_fail(pq_tdec *d, const char *fmt, ...) {
    if (d->failed) return -1;
    d->failed = true;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sl_err_set(d->err, "%s at byte %zu: %s", d->what, (size_t)(d->p - d->start), msg);
}

static int get_byte(pq_tdec *d, uint8_t *b) {
    *b = 0; /* keeps gcc -O2 -Wmaybe-uninitialized quiet on error paths */
    if (d->failed) return -1;
    if (d->p >= d->end) return pq_t_fail(d, "truncated");
    *b = *d->p++;
    return 0;
}

static int get_varint(pq_tdec *d, uint64_t *v) {
    if (d->failed) return -1;
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (d->p >= d->end) return pq_t_fail(d, "truncated varint");
        uint8_t b = *d->p++;
        if (shift == 63 && (b & 0x7e)) return pq_t_fail(d, "varint overflows 64 bits");
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return pq_t_fail(d, "varint longer than 10 bytes");
}

static int64_t unzigzag(uint64_t v) {
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

int pq_t_struct_begin(pq_tdec *d) {
    if (d->failed) return -1;
    if (d->depth >= PQ_T_MAX_DEPTH)
        return pq_t_fail(d, "structures nested deeper than %d levels", PQ_T_MAX_DEPTH);
    d->depth++;
    d->last[d->depth] = 0;
    return 0;
}

int pq_t_struct_end(pq_tdec *d) {
    if (d->failed) return -1;
    if (d->depth > 0) d->depth--;
    return 0;
}

int pq_t_next_field(pq_tdec *d, int *id, int *type) {
    uint8_t b;
    if (get_byte(d, &b) < 0) return -1;
    if (b == 0) return pq_t_struct_end(d) < 0 ? -1 : 0;
    int t = b & 0x0f, delta = b >> 4;
    if (t > PQ_T_STRUCT) return pq_t_fail(d, "unknown field type %d", t);
    int fid;
    if (delta) {
        fid = d->last[d->depth] + delta;
    } else {
        uint64_t v;
        if (get_varint(d, &v) < 0) return -1;
        int64_t s = unzigzag(v);
        if (s < -32768 || s > 32767)
            return pq_t_fail(d, "field id %lld out of range", (long long)s);
        fid = (int)s;
    }
    if (fid > 32767) return pq_t_fail(d, "field id %d out of range", fid);
    d->last[d->depth] = (int16_t)fid;
    *id = fid;
    *type = t;
    return 1;
}

int pq_t_int(pq_tdec *d, int type, int64_t *v) {
    if (d->failed) return -1;
    if (type == PQ_T_BYTE) {
        uint8_t b;
        if (get_byte(d, &b) < 0) return -1;
        *v = (int8_t)b;
        return 0;
    }
    if (type != PQ_T_I16 && type != PQ_T_I32 && type != PQ_T_I64)
        return pq_t_fail(d, "expected an integer, found type %d", type);
    uint64_t u;
    if (get_varint(d, &u) < 0) return -1;
    int64_t s = unzigzag(u);
    if ((type == PQ_T_I16 && (s < INT16_MIN || s > INT16_MAX)) ||
        (type == PQ_T_I32 && (s < INT32_MIN || s > INT32_MAX)))
        return pq_t_fail(d, "integer %lld too large for its type", (long long)s);
    *v = s;
    return 0;
}

int pq_t_int_range(pq_tdec *d, int type, int64_t lo, int64_t hi, int64_t *v) {
    if (pq_t_int(d, type, v) < 0) return -1;
    if (*v < lo || *v > hi)
        return pq_t_fail(d, "value %lld outside [%lld, %lld]", (long long)*v, (long long)lo,
                         (long long)hi);
    return 0;
}

int pq_t_bool(pq_tdec *d, int type, bool *v) {
    if (d->failed) return -1;
    if (type != PQ_T_TRUE && type != PQ_T_FALSE)
        return pq_t_fail(d, "expected a bool, found type %d", type);
    *v = type == PQ_T_TRUE;
    return 0;
}

int pq_t_binary(pq_tdec *d, int type, const uint8_t **p, uint32_t *n) {
    if (d->failed) return -1;
    if (type != PQ_T_BINARY) return pq_t_fail(d, "expected a string, found type %d", type);
    uint64_t len;
    if (get_varint(d, &len) < 0) return -1;
    if (len > (uint64_t)(d->end - d->p))
        return pq_t_fail(d, "string of %llu bytes runs past the end", (unsigned long long)len);
    *p = d->p;
    *n = (uint32_t)len;
    d->p += len;
    return 0;
}

int pq_t_list(pq_tdec *d, int type, int *etype, uint32_t *n) {
    if (d->failed) return -1;
    if (type != PQ_T_LIST && type != PQ_T_SET)
        return pq_t_fail(d, "expected a list, found type %d", type);
    uint8_t b;
    if (get_byte(d, &b) < 0) return -1;
    uint64_t size = b >> 4;
    int t = b & 0x0f;
    if (size == 15 && get_varint(d, &size) < 0) return -1;
    if (t == PQ_T_STOP || t > PQ_T_STRUCT) return pq_t_fail(d, "unknown list element type %d", t);
    if (size > (uint64_t)(d->end - d->p))
        return pq_t_fail(d, "list of %llu elements longer than its bytes",
                         (unsigned long long)size);
    *etype = t;
    *n = (uint32_t)size;
    return 0;
}

int pq_t_skip(pq_tdec *d, int type, bool in_list) {
    if (d->failed) return -1;
    uint64_t u;
    switch (type) {
    case PQ_T_TRUE:
    case PQ_T_FALSE:
        if (in_list) {
            uint8_t b;
            return get_byte(d, &b);
        }
        return 0;
    case PQ_T_BYTE: {
        uint8_t b;
        return get_byte(d, &b);
    }
    case PQ_T_I16:
    case PQ_T_I32:
    case PQ_T_I64: return get_varint(d, &u);
    case PQ_T_DOUBLE:
        if (d->end - d->p < 8) return pq_t_fail(d, "truncated double");
        d->p += 8;
        return 0;
    case PQ_T_BINARY: {
        const uint8_t *p;
        uint32_t n;
        return pq_t_binary(d, type, &p, &n);
    }
    case PQ_T_LIST:
    case PQ_T_SET: {
        int et;
        uint32_t n;
        if (pq_t_list(d, type, &et, &n) < 0) return -1;
        if (pq_t_struct_begin(d) < 0) return -1; /* lists count as nesting */
        for (uint32_t i = 0; i < n; i++)
            if (pq_t_skip(d, et, true) < 0) return -1;
        return pq_t_struct_end(d);
    }
    case PQ_T_MAP: {
        if (get_varint(d, &u) < 0) return -1;
        if (u == 0) return 0;
        uint8_t kv;
        if (get_byte(d, &kv) < 0) return -1;
        int kt = kv >> 4, vt = kv & 0x0f;
        if (kt == 0 || kt > PQ_T_STRUCT || vt == 0 || vt > PQ_T_STRUCT)
            return pq_t_fail(d, "unknown map element types %d/%d", kt, vt);
        if (u > (uint64_t)(d->end - d->p)) return pq_t_fail(d, "map longer than its bytes");
        if (pq_t_struct_begin(d) < 0) return -1;
        for (uint64_t i = 0; i < u; i++)
            if (pq_t_skip(d, kt, true) < 0 || pq_t_skip(d, vt, true) < 0) return -1;
        return pq_t_struct_end(d);
    }
    case PQ_T_STRUCT: {
        if (pq_t_struct_begin(d) < 0) return -1;
        int id, t, r;
        while ((r = pq_t_next_field(d, &id, &t)) == 1)
            if (pq_t_skip(d, t, false) < 0) return -1;
        return r;
    }
    default: return pq_t_fail(d, "cannot skip unknown type %d", type);
    }
}
