/* writer: the streaming Parquet writer (pq_writer_* of parquet.h).
 *
 * Values arrive column by column in batches. Each column keeps ONE open page
 * (definition levels, and either dictionary indices or PLAIN bytes) and the
 * finished, compressed pages of the current row group. A page closes at
 * ~page_bytes or 20,000 rows (parquet-mr's page row limit); a row group
 * closes at row_group_rows or when its uncompressed estimate reaches
 * row_group_bytes, and is then written to the sink column chunk by column
 * chunk (dictionary page first). So memory is one row group per writer and
 * the table is never held. The footer is written by pq_writer_close.
 *
 * Dictionary encoding as parquet-mr does it: a fresh dictionary per column
 * chunk; if the dictionary would pass dict_max_bytes, the open page is
 * re-encoded PLAIN and the rest of the chunk stays PLAIN (earlier pages keep
 * their RLE_DICTIONARY encoding); if the first page shows that the dictionary
 * does not pay (dictionary + indices >= PLAIN size), the chunk goes PLAIN.
 *
 * Row-group and page boundaries depend only on the values, never on how the
 * caller cut its batches, so output bytes are deterministic. The values
 * themselves go into the open page in write_values.c. */
#include "parquet/pq_write_internal.h"

#include <stdlib.h>

#include <string.h>

#define PQW_PAGE_ROW_LIMIT 20000
#define PQW_SLICE_ROWS 1024 /* row-group size is checked every this many rows */

struct pq_writer {
    pqw_col *cols;
    size_t ncols;
    pqw_file f;
};

static int sink_put(pq_writer *w, const void *p, size_t n, sl_err *err) {
    return pqw_file_put(&w->f, p, n, err);
}

static bool col_dict_default(const pq_writer *w, const pqw_col *c) {
    return !w->f.o.no_dictionary && c->type != PQ_BOOLEAN;
}

static int index_bit_width(const pqw_col *c) {
    int bw = pqw_bit_width(c->dict.count ? c->dict.count - 1 : 0);
    return bw ? bw : 1;
}

/* Uncompressed size the open page would have now. */
static size_t page_estimate(const pqw_col *c) {
    size_t v;
    if (c->dict_mode)
        v = 1 + (c->nidx * (size_t)index_bit_width(c) + 7) / 8;
    else
        v = c->type == PQ_BOOLEAN ? (c->plain.len + 7) / 8 : c->plain.len;
    return v + c->defs.len / 8;
}

/* ---- pages ------------------------------------------------------------ */

static int finish_page(pq_writer *w, pqw_col *c, sl_err *err) {
    if (c->page_rows == 0) return 0;
    if (c->dict_mode && c->dict_pages == 0) {
        /* first page of the chunk: keep the dictionary only if it pays */
        size_t enc = c->dict.plain.len + (c->nidx * (size_t)index_bit_width(c) + 7) / 8;
        if (enc >= c->plain_equiv) pqw_col_fall_back(c);
    }
    sl_buf *pg = &w->f.page;
    pg->len = 0;
    if (c->nullable) {
        sl_buf_append(pg, "\0\0\0\0", 4);
        pqw_rle_encode_levels(pg, c->defs.data, c->defs.len);
        size_t n = pg->len - 4;
        for (int i = 0; i < 4; i++) pg->data[i] = (uint8_t)(n >> (8 * i));
    }
    int enc;
    if (c->dict_mode) {
        int bw = index_bit_width(c);
        sl_buf_putc(pg, (uint8_t)bw);
        pqw_rle_encode(pg, bw, c->idx, c->nidx);
        enc = PQW_ENC_RLE_DICTIONARY;
        c->dict_pages++;
    } else if (c->type == PQ_BOOLEAN) {
        size_t nb = (c->plain.len + 7) / 8;
        sl_buf_reserve(pg, nb);
        memset(pg->data + pg->len, 0, nb);
        for (size_t i = 0; i < c->plain.len; i++)
            if (c->plain.data[i]) pg->data[pg->len + i / 8] |= (uint8_t)(1u << (i % 8));
        pg->len += nb;
        enc = PQW_ENC_PLAIN;
        c->plain_pages++;
    } else {
        sl_buf_append(pg, c->plain.data, c->plain.len);
        enc = PQW_ENC_PLAIN;
        c->plain_pages++;
    }
    if ((uint64_t)pg->len > INT32_MAX)
        return sl_err_set(err, "column %s: page of %zu bytes exceeds the format's 2 GiB limit",
                          c->name, pg->len);
    w->f.zpage.len = 0;
    if (pqw_compress(w->f.comp, pg->data, pg->len, &w->f.zpage, err) < 0) return -1;

    pqw_thrift t;
    pqw_data_page_header(&t, &w->f.hdr, pg->len, w->f.zpage.len, c->page_rows, enc);

    sl_buf_append(&c->chunk, w->f.hdr.data, w->f.hdr.len);
    sl_buf_append(&c->chunk, w->f.zpage.data, w->f.zpage.len);
    c->chunk_uncompressed += w->f.hdr.len + pg->len;
    c->chunk_values += c->page_rows;
    c->defs.len = 0;
    c->plain.len = 0;
    c->nidx = 0;
    c->plain_equiv = 0;
    c->page_rows = 0;
    return 0;
}

/* ---- row groups ------------------------------------------------------- */

static void encode_encoding_stats(pqw_thrift *t, const pqw_col *c, bool has_dict) {
    uint32_t n = (has_dict ? 1u : 0u) + (c->dict_pages ? 1u : 0u) + (c->plain_pages ? 1u : 0u);
    pqw_tc_field_list(t, 13, PQW_TC_STRUCT, n);
    int32_t rows[3][3] = {{PQW_PAGE_DICTIONARY, PQW_ENC_PLAIN, 1},
                          {PQW_PAGE_DATA, PQW_ENC_RLE_DICTIONARY, (int32_t)c->dict_pages},
                          {PQW_PAGE_DATA, PQW_ENC_PLAIN, (int32_t)c->plain_pages}};
    bool on[3] = {has_dict, c->dict_pages > 0, c->plain_pages > 0};
    for (int i = 0; i < 3; i++) {
        if (!on[i]) continue;
        pqw_tc_struct_begin(t);
        pqw_tc_field_i32(t, 1, rows[i][0]);
        pqw_tc_field_i32(t, 2, rows[i][1]);
        pqw_tc_field_i32(t, 3, rows[i][2]);
        pqw_tc_struct_end(t);
    }
}

/* Writes one column chunk to the sink and its ColumnChunk to w->f.colmeta. */
static int write_chunk(pq_writer *w, pqw_col *c, uint64_t *unc_total, uint64_t *comp_total,
                       sl_err *err) {
    if (finish_page(w, c, err) < 0) return -1;
    uint64_t start = w->f.pos;
    uint64_t unc = c->chunk_uncompressed, comp = c->chunk.len;
    bool has_dict = c->dict_pages > 0;
    if (has_dict) {
        w->f.zpage.len = 0;
        if (pqw_compress(w->f.comp, c->dict.plain.data, c->dict.plain.len, &w->f.zpage, err) < 0)
            return -1;
        pqw_thrift t;
        pqw_page_header_begin(&t, &w->f.hdr, PQW_PAGE_DICTIONARY, c->dict.plain.len,
                              w->f.zpage.len);
        pqw_tc_field_struct(&t, 7);
        pqw_tc_field_i32(&t, 1, (int32_t)c->dict.count);
        pqw_tc_field_i32(&t, 2, PQW_ENC_PLAIN);
        pqw_tc_struct_end(&t);
        pqw_tc_struct_end(&t);
        unc += w->f.hdr.len + c->dict.plain.len;
        comp += w->f.hdr.len + w->f.zpage.len;
        if (sink_put(w, w->f.hdr.data, w->f.hdr.len, err) < 0 ||
            sink_put(w, w->f.zpage.data, w->f.zpage.len, err) < 0)
            return -1;
    }
    uint64_t data_off = w->f.pos;
    if (sink_put(w, c->chunk.data, c->chunk.len, err) < 0) return -1;

    pqw_thrift t;
    pqw_tc_init(&t, &w->f.colmeta);
    pqw_tc_struct_begin(&t); /* ColumnChunk */
    pqw_tc_field_i64(&t, 2, (int64_t)start);
    pqw_tc_field_struct(&t, 3); /* ColumnMetaData */
    pqw_tc_field_i32(&t, 1, c->phys);
    bool plain_used = has_dict || c->plain_pages > 0;
    pqw_tc_field_list(&t, 2, PQW_TC_I32, (plain_used ? 1u : 0u) + 1u + (has_dict ? 1u : 0u));
    if (plain_used) pqw_tc_i32(&t, PQW_ENC_PLAIN);
    pqw_tc_i32(&t, PQW_ENC_RLE);
    if (has_dict) pqw_tc_i32(&t, PQW_ENC_RLE_DICTIONARY);
    pqw_tc_field_list(&t, 3, PQW_TC_BINARY, 1);
    pqw_tc_binary(&t, c->name, strlen(c->name));
    pqw_tc_field_i32(&t, 4, (int32_t)w->f.o.codec);
    pqw_tc_field_i64(&t, 5, (int64_t)c->chunk_values);
    pqw_tc_field_i64(&t, 6, (int64_t)unc);
    pqw_tc_field_i64(&t, 7, (int64_t)comp);
    pqw_tc_field_i64(&t, 9, (int64_t)data_off);
    if (has_dict) pqw_tc_field_i64(&t, 11, (int64_t)start);
    pqw_stats_encode(&c->stats, &t, 12);
    encode_encoding_stats(&t, c, has_dict);
    pqw_tc_struct_end(&t); /* ColumnMetaData */
    pqw_tc_struct_end(&t); /* ColumnChunk */

    *unc_total += unc;
    *comp_total += comp;
    c->chunk.len = 0;
    c->chunk_uncompressed = c->chunk_values = 0;
    c->dict_pages = c->plain_pages = 0;
    pqw_dict_clear(&c->dict);
    c->has_last = false;
    if (c->addrs.e) pqw_addrs_forget(&c->addrs);
    c->dict_mode = col_dict_default(w, c);
    pqw_stats_merge(&c->fstats, &c->stats);
    pqw_stats_reset(&c->stats);
    return 0;
}

static int flush_row_group(pq_writer *w, sl_err *err) {
    if (w->f.rg_rows == 0) return 0;
    uint64_t start = w->f.pos, unc = 0, comp = 0;
    w->f.colmeta.len = 0;
    for (size_t j = 0; j < w->ncols; j++)
        if (write_chunk(w, &w->cols[j], &unc, &comp, err) < 0) {
            w->f.failed = true;
            return -1;
        }
    pqw_file_row_group(&w->f, w->ncols, start, unc, comp);
    return 0;
}

static size_t row_group_estimate(const pq_writer *w) {
    size_t n = 0;
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        n += c->chunk_uncompressed + page_estimate(c) + c->dict.plain.len;
    }
    return n;
}

/* ---- public API ------------------------------------------------------- */

static void free_writer(pq_writer *w) {
    for (size_t j = 0; j < w->ncols; j++) {
        pqw_col *c = &w->cols[j];
        free(c->name);
        pqw_dict_free(&c->dict);
        sl_buf_free(&c->defs);
        free(c->idx);
        sl_buf_free(&c->plain);
        sl_buf_free(&c->chunk);
        pqw_stats_free(&c->stats);
        pqw_stats_free(&c->fstats);
        pqw_addrs_free(&c->addrs);
    }
    free(w->cols);
    pqw_file_free(&w->f);
    free(w);
}

static int check_schema(const pq_column_def *cols, size_t ncols, sl_err *err) {
    if (!cols || ncols == 0)
        return sl_err_set(err, "parquet writer: a schema needs at least one column");
    if (ncols > 32767) return sl_err_set(err, "parquet writer: too many columns (%zu)", ncols);
    for (size_t j = 0; j < ncols; j++) {
        if (!cols[j].name || !cols[j].name[0])
            return sl_err_set(err, "parquet writer: column %zu has no name", j);
        switch (cols[j].type) {
        case PQ_BOOLEAN:
        case PQ_INT32:
        case PQ_INT64:
        case PQ_DOUBLE:
        case PQ_STRING:
        case PQ_TIMESTAMP_US: break;
        default:
            return sl_err_set(err, "parquet writer: column %s: type %s cannot be written",
                              cols[j].name, pq_type_name(cols[j].type));
        }
        for (size_t k = 0; k < j; k++)
            if (!strcmp(cols[k].name, cols[j].name))
                return sl_err_set(err, "parquet writer: duplicate column name %s", cols[j].name);
    }
    return 0;
}

pq_writer *pq_writer_open(const pq_column_def *cols, size_t ncols, const pq_writer_opts *opts,
                          pq_sink sink, sl_err *err) {
    if (check_schema(cols, ncols, err) < 0) return NULL;
    if (!sink.write) {
        sl_err_set(err, "parquet writer: no sink");
        return NULL;
    }
    pq_writer *w = sl_calloc(1, sizeof *w);
    if (pqw_file_open(&w->f, opts, sink, err) < 0) {
        free_writer(w);
        return NULL;
    }
    w->ncols = ncols;
    w->cols = sl_calloc(ncols, sizeof *w->cols);
    for (size_t j = 0; j < ncols; j++) {
        pqw_col *c = &w->cols[j];
        c->name = sl_strdup(cols[j].name);
        c->type = cols[j].type;
        c->nullable = cols[j].nullable;
        switch (c->type) {
        case PQ_BOOLEAN: c->phys = PQW_T_BOOLEAN, c->width = 1; break;
        case PQ_INT32: c->phys = PQW_T_INT32, c->width = 4; break;
        case PQ_DOUBLE: c->phys = PQW_T_DOUBLE, c->width = 8; break;
        case PQ_STRING: c->phys = PQW_T_BYTE_ARRAY, c->width = 0; break;
        default: c->phys = PQW_T_INT64, c->width = 8;
        }
        pqw_dict_init(&c->dict, c->width);
        if (c->width == 0) pqw_addrs_init(&c->addrs);
        pqw_stats_init(&c->stats, c->type);
        pqw_stats_init(&c->fstats, c->type);
        c->dict_mode = col_dict_default(w, c);
    }
    return w;
}

static int check_batch(const pq_writer *w, const pq_column_batch *cols, size_t nrows, sl_err *err) {
    if (!cols) return sl_err_set(err, "parquet writer: no column batches");
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        if (!cols[j].v.b) return sl_err_set(err, "parquet writer: column %s: no values", c->name);
        if (c->nullable || !cols[j].valid) continue;
        for (size_t i = 0; i < nrows; i++)
            if (!cols[j].valid[i])
                return sl_err_set(err, "parquet writer: column %s is REQUIRED but row %zu is null",
                                  c->name, i);
    }
    return 0;
}

static int put_rows(pq_writer *w, pqw_col *c, const pq_column_batch *b, size_t off, size_t n,
                    sl_err *err) {
    const uint8_t *valid = c->nullable ? b->valid : NULL;
    if (c->nullable) sl_buf_reserve(&c->defs, n); /* pages only shrink it: no check per row */
    for (size_t i = off; i < off + n;) {
        size_t k = off + n - i, room = PQW_PAGE_ROW_LIMIT - c->page_rows;
        size_t safe = pqw_col_rows_unchecked(c, w->f.o.page_bytes);
        if (k > room) k = room;
        if (k > safe) k = safe ? safe : 1;
        uint8_t *defs = c->nullable ? c->defs.data + c->defs.len : NULL;
        if (valid) {
            for (size_t j = 0; j < k; j++) defs[j] = valid[i + j] != 0;
        } else if (defs) {
            memset(defs, 1, k);
        }
        size_t done = pqw_col_put_range(c, &w->f.o, b, valid, i, k);
        if (valid) {
            size_t present = 0;
            for (size_t j = 0; j < done; j++) present += defs[j];
            c->stats.null_count += done - present;
        }
        if (c->nullable) c->defs.len += done;
        c->page_rows += (uint32_t)done;
        i += done;
        if (c->page_rows >= PQW_PAGE_ROW_LIMIT || page_estimate(c) >= w->f.o.page_bytes)
            if (finish_page(w, c, err) < 0) return -1;
    }
    return 0;
}

int pq_writer_write(pq_writer *w, const pq_column_batch *cols, size_t nrows, sl_err *err) {
    if (w->f.failed) return sl_err_set(err, "parquet writer: an earlier write failed");
    if (nrows == 0) return 0;
    if (check_batch(w, cols, nrows, err) < 0) return -1;
    for (size_t j = 0; j < w->ncols; j++) {
        pqw_col *c = &w->cols[j];
        /* an address of an earlier call may hold other bytes now, unless
         * both that call's batch and this one are stable */
        if (c->addrs.e && !(cols[j].stable && c->addrs_stable)) pqw_addrs_forget(&c->addrs);
        c->addrs_stable = cols[j].stable;
    }
    size_t done = 0;
    while (done < nrows) {
        size_t n = nrows - done;
        size_t to_check = PQW_SLICE_ROWS - (size_t)(w->f.rg_rows % PQW_SLICE_ROWS);
        size_t left = w->f.o.row_group_rows - (size_t)w->f.rg_rows;
        if (n > to_check) n = to_check;
        if (n > left) n = left;
        for (size_t j = 0; j < w->ncols; j++)
            if (put_rows(w, &w->cols[j], &cols[j], done, n, err) < 0) {
                w->f.failed = true;
                return -1;
            }
        w->f.rg_rows += n;
        w->f.rows += n;
        done += n;
        /* the size is checked only at multiples of PQW_SLICE_ROWS rows into the
         * row group, never where a caller's batch happens to end */
        bool aligned = w->f.rg_rows % PQW_SLICE_ROWS == 0;
        if (w->f.rg_rows >= w->f.o.row_group_rows ||
            (aligned && row_group_estimate(w) >= w->f.o.row_group_bytes))
            if (flush_row_group(w, err) < 0) return -1;
    }
    return 0;
}

static void encode_schema(void *ctx, pqw_thrift *t) {
    const pq_writer *w = ctx;
    pqw_tc_field_list(t, 2, PQW_TC_STRUCT, (uint32_t)w->ncols + 1);
    pqw_tc_struct_begin(t);
    pqw_tc_field_binary(t, 4, "schema", 6);
    pqw_tc_field_i32(t, 5, (int32_t)w->ncols);
    pqw_tc_struct_end(t);
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_col *c = &w->cols[j];
        pqw_tc_struct_begin(t);
        pqw_tc_field_i32(t, 1, c->phys);
        pqw_tc_field_i32(t, 3, c->nullable ? PQW_REP_OPTIONAL : PQW_REP_REQUIRED);
        pqw_tc_field_binary(t, 4, c->name, strlen(c->name));
        pqw_leaf_type(t, c->type);
        pqw_tc_struct_end(t);
    }
}

static void take_stats(const pq_writer *w, pq_file_stats *st) {
    st->ncols = w->ncols;
    st->cols = sl_arena_alloc(&st->mem, (w->ncols ? w->ncols : 1) * sizeof *st->cols);
    for (size_t j = 0; j < w->ncols; j++) {
        const pqw_stats *f = &w->cols[j].fstats;
        pq_col_stats *o = &st->cols[j];
        memset(o, 0, sizeof *o);
        o->type = f->type;
        o->null_count = f->null_count;
        o->has_nan = f->has_nan;
        o->has_min_max = f->has_minmax;
        if (!f->has_minmax) continue;
        o->min_i = f->imin, o->max_i = f->imax;
        o->min_f = f->dmin, o->max_f = f->dmax;
        if (f->type == PQ_STRING) {
            o->min_s.ptr = sl_arena_strndup(&st->mem, (const char *)f->smin.data, f->smin.len);
            o->min_s.len = (uint32_t)f->smin.len;
            o->max_s.ptr = sl_arena_strndup(&st->mem, (const char *)f->smax.data, f->smax.len);
            o->max_s.len = (uint32_t)f->smax.len;
        }
    }
}

void pq_file_stats_free(pq_file_stats *s) {
    if (!s) return;
    sl_arena_free(&s->mem);
    memset(s, 0, sizeof *s);
}

int pq_writer_close(pq_writer *w, pq_file_info *info, sl_err *err) {
    return pq_writer_close_stats(w, info, NULL, err);
}

int pq_writer_close_stats(pq_writer *w, pq_file_info *info, pq_file_stats *stats, sl_err *err) {
    if (stats) memset(stats, 0, sizeof *stats);
    if (w->f.failed) {
        free_writer(w);
        return sl_err_set(err, "parquet writer: an earlier write failed");
    }
    if (flush_row_group(w, err) < 0) {
        free_writer(w);
        return -1;
    }
    if (pqw_file_finish(&w->f, w->ncols, encode_schema, w, info, err) < 0) {
        free_writer(w);
        return -1;
    }
    if (stats) take_stats(w, stats);
    free_writer(w);
    return 0;
}

void pq_writer_abort(pq_writer *w) {
    if (w) free_writer(w);
}
