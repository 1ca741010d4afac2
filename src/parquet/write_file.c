/* write_file: what both Parquet writers (writer.c for flat tables,
 * tree_writer.c for nested ones) share about a file being written: the
 * sink and its position, the options with their defaults, the compressor,
 * the page header of a data page, the RowGroup structs gathered for the
 * footer, a leaf's type annotations, and the footer itself. */
#include "parquet/pq_write_internal.h"

#include <stdlib.h>
#include <string.h>

int pqw_file_open(pqw_file *f, const pq_writer_opts *opts, pq_sink sink, sl_err *err) {
    pq_writer_opts def;
    pq_writer_opts_default(&def);
    f->o = opts ? *opts : def;
    if (!f->o.row_group_bytes) f->o.row_group_bytes = def.row_group_bytes;
    if (!f->o.row_group_rows) f->o.row_group_rows = def.row_group_rows;
    if (!f->o.page_bytes) f->o.page_bytes = def.page_bytes;
    if (f->o.page_bytes > ((size_t)1 << 30)) f->o.page_bytes = (size_t)1 << 30;
    if (f->o.dict_max_bytes > ((size_t)1 << 30)) f->o.dict_max_bytes = (size_t)1 << 30;
    f->created_by = sl_strdup(f->o.created_by ? f->o.created_by : def.created_by);
    f->o.created_by = f->created_by;
    f->sink = sink;
    f->comp = pqw_compressor_new(f->o.codec, f->o.compression_level, err);
    if (!f->comp) return -1;
    return pqw_file_put(f, "PAR1", 4, err);
}

void pqw_file_free(pqw_file *f) {
    free(f->created_by);
    pqw_compressor_free(f->comp);
    sl_buf_free(&f->page);
    sl_buf_free(&f->zpage);
    sl_buf_free(&f->hdr);
    sl_buf_free(&f->colmeta);
    sl_buf_free(&f->rg_meta);
}

int pqw_file_put(pqw_file *f, const void *p, size_t n, sl_err *err) {
    if (!n) return 0;
    if (f->sink.write(f->sink.ctx, p, n, err) < 0) {
        f->failed = true;
        return -1;
    }
    f->pos += n;
    return 0;
}

void pqw_page_header_begin(pqw_thrift *t, sl_buf *out, int type, size_t unc, size_t comp) {
    out->len = 0;
    pqw_tc_init(t, out);
    pqw_tc_struct_begin(t);
    pqw_tc_field_i32(t, 1, type);
    pqw_tc_field_i32(t, 2, (int32_t)unc);
    pqw_tc_field_i32(t, 3, (int32_t)comp);
}

void pqw_data_page_header(pqw_thrift *t, sl_buf *out, size_t unc, size_t comp, uint32_t nvalues,
                          int enc) {
    pqw_page_header_begin(t, out, PQW_PAGE_DATA, unc, comp);
    pqw_tc_field_struct(t, 5);
    pqw_tc_field_i32(t, 1, (int32_t)nvalues);
    pqw_tc_field_i32(t, 2, enc);
    pqw_tc_field_i32(t, 3, PQW_ENC_RLE);
    pqw_tc_field_i32(t, 4, PQW_ENC_RLE);
    pqw_tc_struct_end(t); /* DataPageHeader */
    pqw_tc_struct_end(t); /* PageHeader */
}

void pqw_file_row_group(pqw_file *f, size_t ncols, uint64_t start, uint64_t unc, uint64_t comp) {
    pqw_thrift t;
    pqw_tc_init(&t, &f->rg_meta);
    pqw_tc_struct_begin(&t);
    pqw_tc_field_list(&t, 1, PQW_TC_STRUCT, (uint32_t)ncols);
    sl_buf_append(&f->rg_meta, f->colmeta.data, f->colmeta.len);
    pqw_tc_field_i64(&t, 2, (int64_t)unc);
    pqw_tc_field_i64(&t, 3, (int64_t)f->rg_rows);
    pqw_tc_field_i64(&t, 5, (int64_t)start);
    pqw_tc_field_i64(&t, 6, (int64_t)comp);
    pqw_tc_field_i16(&t, 7, (int16_t)f->nrg);
    pqw_tc_struct_end(&t);
    f->nrg++;
    f->rg_rows = 0;
}

void pqw_leaf_type(pqw_thrift *t, pq_type type) {
    if (type == PQ_STRING) {
        pqw_tc_field_i32(t, 6, PQW_CONV_UTF8);
        pqw_tc_field_struct(t, 10); /* LogicalType */
        pqw_tc_field_struct(t, 1);  /* STRING */
        pqw_tc_struct_end(t);
        pqw_tc_struct_end(t);
    } else if (type == PQ_TIMESTAMP_US) {
        pqw_tc_field_i32(t, 6, PQW_CONV_TIMESTAMP_MICROS);
        pqw_tc_field_struct(t, 10); /* LogicalType */
        pqw_tc_field_struct(t, 8);  /* TIMESTAMP */
        pqw_tc_field_bool(t, 1, true);
        pqw_tc_field_struct(t, 2); /* unit: TimeUnit */
        pqw_tc_field_struct(t, 2); /* MICROS */
        pqw_tc_struct_end(t);
        pqw_tc_struct_end(t);
        pqw_tc_struct_end(t);
        pqw_tc_struct_end(t);
    }
}

int pqw_file_finish(pqw_file *f, size_t nleaves, pqw_schema_fn schema, void *ctx,
                    pq_file_info *info, sl_err *err) {
    sl_buf *b = &f->colmeta;
    b->len = 0;
    pqw_thrift t;
    pqw_tc_init(&t, b);
    pqw_tc_struct_begin(&t); /* FileMetaData */
    pqw_tc_field_i32(&t, 1, 1);
    schema(ctx, &t); /* field 2 */
    pqw_tc_field_i64(&t, 3, (int64_t)f->rows);
    pqw_tc_field_list(&t, 4, PQW_TC_STRUCT, f->nrg);
    sl_buf_append(b, f->rg_meta.data, f->rg_meta.len);
    pqw_tc_field_binary(&t, 6, f->created_by, strlen(f->created_by));
    pqw_tc_field_list(&t, 7, PQW_TC_STRUCT, (uint32_t)nleaves);
    for (size_t j = 0; j < nleaves; j++) {
        pqw_tc_struct_begin(&t);    /* ColumnOrder */
        pqw_tc_field_struct(&t, 1); /* TYPE_ORDER */
        pqw_tc_struct_end(&t);
        pqw_tc_struct_end(&t);
    }
    pqw_tc_struct_end(&t);
    uint32_t n = (uint32_t)b->len;
    uint8_t tail[8] = {
        (uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24), 'P', 'A', 'R', '1'};
    sl_buf_append(b, tail, 8);
    if (pqw_file_put(f, b->data, b->len, err) < 0) return -1;
    if (info) {
        info->rows = f->rows;
        info->bytes = f->pos;
        info->row_groups = f->nrg;
    }
    return 0;
}
