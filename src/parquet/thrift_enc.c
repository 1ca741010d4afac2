/* thrift_enc: a minimal Thrift compact-protocol ENCODER for Parquet metadata
 * (FileMetaData, PageHeader, ...). Only what parquet.thrift needs: structs,
 * i32/i64/bool/binary fields and lists. Written by hand instead of linking
 * the Thrift library: the metadata is small and the protocol is a page of
 * spec (varints, zigzag, field-id deltas). */
#include "parquet/pq_write_internal.h"

void pqw_tc_init(pqw_thrift *t, sl_buf *out) {
    t->out = out;
    t->depth = 0;
    t->last[0] = 0;
}

void pqw_put_uvarint(sl_buf *b, uint64_t v) {
    uint8_t tmp[10];
    size_t n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    sl_buf_append(b, tmp, n);
}

static void field_header(pqw_thrift *t, int16_t id, int type) {
    int16_t last = t->last[t->depth];
    if (id > last && id - last <= 15) {
        sl_buf_putc(t->out, (uint8_t)(((id - last) << 4) | type));
    } else {
        sl_buf_putc(t->out, (uint8_t)type);
        pqw_put_uvarint(t->out, pqw_zigzag64(id));
    }
    t->last[t->depth] = id;
}

void pqw_tc_struct_begin(pqw_thrift *t) {
    /* depth 0 is the "outside" level; each open struct gets its own slot */
    if (t->depth + 1 < PQW_TC_MAX_DEPTH) t->depth++;
    t->last[t->depth] = 0;
}

void pqw_tc_struct_end(pqw_thrift *t) {
    sl_buf_putc(t->out, 0);
    if (t->depth > 0) t->depth--;
}

void pqw_tc_field_i16(pqw_thrift *t, int16_t id, int16_t v) {
    field_header(t, id, PQW_TC_I16);
    pqw_put_uvarint(t->out, pqw_zigzag64(v));
}

void pqw_tc_field_i32(pqw_thrift *t, int16_t id, int32_t v) {
    field_header(t, id, PQW_TC_I32);
    pqw_put_uvarint(t->out, pqw_zigzag64(v));
}

void pqw_tc_field_i64(pqw_thrift *t, int16_t id, int64_t v) {
    field_header(t, id, PQW_TC_I64);
    pqw_put_uvarint(t->out, pqw_zigzag64(v));
}

void pqw_tc_field_bool(pqw_thrift *t, int16_t id, bool v) {
    /* compact protocol: a bool field's value lives in its type nibble */
    field_header(t, id, v ? PQW_TC_BOOL_TRUE : PQW_TC_BOOL_FALSE);
}

void pqw_tc_binary(pqw_thrift *t, const void *p, size_t n) {
    pqw_put_uvarint(t->out, n);
    sl_buf_append(t->out, p, n);
}

void pqw_tc_field_binary(pqw_thrift *t, int16_t id, const void *p, size_t n) {
    field_header(t, id, PQW_TC_BINARY);
    pqw_tc_binary(t, p, n);
}

void pqw_tc_field_struct(pqw_thrift *t, int16_t id) {
    field_header(t, id, PQW_TC_STRUCT);
    pqw_tc_struct_begin(t);
}

void pqw_tc_field_list(pqw_thrift *t, int16_t id, int elem_type, uint32_t n) {
    field_header(t, id, PQW_TC_LIST);
    if (n < 15) {
        sl_buf_putc(t->out, (uint8_t)((n << 4) | (uint32_t)elem_type));
    } else {
        sl_buf_putc(t->out, (uint8_t)(0xF0 | elem_type));
        pqw_put_uvarint(t->out, n);
    }
}

void pqw_tc_i32(pqw_thrift *t, int32_t v) {
    pqw_put_uvarint(t->out, pqw_zigzag64(v));
}
