/* parquet reader: decoding one column chunk page by page (dictionary page,
 * data page V1 and V2) into a pq_column_data.
 *
 * Offsets were checked against the file when the footer was read; here each
 * page header, page size, level stream and value count is checked against
 * its chunk, and the output grows only as values are actually decoded, so a
 * header that lies about counts costs an error, not memory. */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

typedef struct page_hdr {
    int type;
    int64_t unc, comp;
    int64_t nv, nulls, nrows; /* nulls/nrows: V2 only */
    int enc, def_enc;
    int64_t def_len, rep_len; /* V2 */
    bool is_compressed;       /* V2 */
    bool has_data, has_dict, has_v2;
} page_hdr;

enum { PAGE_DATA = 0, PAGE_INDEX = 1, PAGE_DICT = 2, PAGE_DATA_V2 = 3 };

static int parse_sub(pq_tdec *d, page_hdr *h, int which) {
    int id, t, r;
    if (pq_t_struct_begin(d) < 0) return -1;
    while ((r = pq_t_next_field(d, &id, &t)) == 1) {
        int64_t v = 0;
        int rc = 0;
        if (id == 1)
            rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->nv);
        else if (which == PAGE_DICT && id == 2)
            rc = pq_t_int_range(d, t, 0, 63, &v), h->enc = (int)v;
        else if (which == PAGE_DATA && id == 2)
            rc = pq_t_int_range(d, t, 0, 63, &v), h->enc = (int)v;
        else if (which == PAGE_DATA && id == 3)
            rc = pq_t_int_range(d, t, 0, 63, &v), h->def_enc = (int)v;
        else if (which == PAGE_DATA_V2 && id == 2)
            rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->nulls);
        else if (which == PAGE_DATA_V2 && id == 3)
            rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->nrows);
        else if (which == PAGE_DATA_V2 && id == 4)
            rc = pq_t_int_range(d, t, 0, 63, &v), h->enc = (int)v;
        else if (which == PAGE_DATA_V2 && id == 5)
            rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->def_len);
        else if (which == PAGE_DATA_V2 && id == 6)
            rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->rep_len);
        else if (which == PAGE_DATA_V2 && id == 7)
            rc = pq_t_bool(d, t, &h->is_compressed);
        else
            rc = pq_t_skip_field(d, t);
        if (rc < 0) return -1;
    }
    return r;
}

static int parse_page_header(pq_tdec *d, page_hdr *h) {
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->is_compressed = true;
    h->def_enc = PQ_ENC_RLE;
    int id, t, r;
    bool seen_unc = false, seen_comp = false;
    if (pq_t_struct_begin(d) < 0) return -1;
    while ((r = pq_t_next_field(d, &id, &t)) == 1) {
        int64_t v = 0;
        int rc = 0;
        switch (id) {
        case 1: rc = pq_t_int_range(d, t, 0, 3, &v), h->type = (int)v; break;
        case 2: rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->unc), seen_unc = true; break;
        case 3: rc = pq_t_int_range(d, t, 0, INT32_MAX, &h->comp), seen_comp = true; break;
        case 5:
        case 7:
        case 8:
            if (t != PQ_T_STRUCT) return pq_t_fail(d, "page sub-header is not a struct");
            rc = parse_sub(d, h, id == 5 ? PAGE_DATA : id == 7 ? PAGE_DICT : PAGE_DATA_V2);
            if (id == 5) h->has_data = true;
            if (id == 7) h->has_dict = true;
            if (id == 8) h->has_v2 = true;
            break;
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (h->type < 0 || !seen_unc || !seen_comp)
        return pq_t_fail(d, "page header lacks type or sizes");
    if ((h->type == PAGE_DATA && !h->has_data) || (h->type == PAGE_DICT && !h->has_dict) ||
        (h->type == PAGE_DATA_V2 && !h->has_v2))
        return pq_t_fail(d, "page header of type %d lacks its sub-header", h->type);
    return 0;
}

typedef struct colread {
    const pq_reader *r;
    const pq_rcol *c;
    const pq_rchunk *ch;
    pq_column_data *out;
    size_t w, n, done, cap;
    /* the rows kept: [lo, hi) of the chunk's n (pq_reader_read_column_rows;
     * out holds row lo at index 0); pages wholly outside are not decoded */
    size_t lo, hi;
    int max_def, max_rep;
    /* pq_reader_read_leaf: values stay dense (nvals of them) and every
     * entry's levels are kept in def/rep */
    bool dense;
    size_t nvals;
    uint8_t *def, *rep;
    void *dict;
    size_t ndict;
    bool have_dict;
    uint8_t *buf; /* decompressed page */
    size_t buf_cap;
    uint32_t *levels;
    size_t levels_cap;
} colread;

static int grow(void **p, size_t *cap, size_t need, size_t elem, sl_err *err) {
    if (need <= *cap) return 0;
    size_t nc = *cap * 2 > need ? *cap * 2 : need;
    void *q = realloc(*p, nc ? nc * elem : 1);
    if (!q) return sl_err_set(err, "out of memory (%zu bytes)", nc * elem);
    *p = q;
    *cap = nc;
    return 0;
}

/* Makes room for rows [0, need) in the output, zeroing new value slots. */
static int ensure_rows(colread *cr, size_t need, sl_err *err) {
    if (need <= cr->cap) return 0;
    /* up to 64Ki rows at once (cheap even if a header lies), then doubling */
    size_t nc = cr->cap * 2 > need ? cr->cap * 2 : need;
    if (nc < ((size_t)1 << 16)) nc = (size_t)1 << 16;
    if (nc > cr->hi - cr->lo) nc = cr->hi - cr->lo;
    uint8_t *v = realloc(cr->out->valid, nc ? nc : 1);
    if (!v) return sl_err_set(err, "out of memory (%zu rows)", nc);
    cr->out->valid = v;
    uint8_t *x = realloc(cr->out->v.b, nc ? nc * cr->w : 1);
    if (!x) return sl_err_set(err, "out of memory (%zu rows)", nc);
    memset(x + cr->cap * cr->w, 0, (nc - cr->cap) * cr->w);
    cr->out->v.b = x;
    if (cr->dense) {
        uint8_t *d = realloc(cr->def, nc ? nc : 1), *r = d ? realloc(cr->rep, nc ? nc : 1) : NULL;
        if (d) cr->def = d;
        if (r) cr->rep = r;
        if (!d || !r) return sl_err_set(err, "out of memory (%zu rows)", nc);
    }
    cr->cap = nc;
    return 0;
}

/* Decompresses `n` bytes of a page into cr->buf holding `dn` bytes. */
static int inflate_page(colread *cr, const uint8_t *src, size_t n, size_t dn, bool compressed,
                        const uint8_t **outp, sl_err *err) {
    int codec = compressed ? cr->ch->codec : PQ_CODEC_UNCOMPRESSED;
    if (codec == PQ_CODEC_UNCOMPRESSED) {
        if (n != dn) return sl_err_set(err, "page holds %zu bytes but declares %zu", n, dn);
        *outp = src;
        return 0;
    }
    if (pq_decompress_check(codec, src, n, dn, err) < 0) return -1;
    if (grow((void **)&cr->buf, &cr->buf_cap, dn ? dn : 1, 1, err) < 0) return -1;
    if (pq_decompress(codec, src, n, cr->buf, dn, err) < 0) return -1;
    *outp = cr->buf;
    return 0;
}

static int read_dict(colread *cr, const page_hdr *h, const uint8_t *body, sl_err *err) {
    if (cr->have_dict) return sl_err_set(err, "second dictionary page");
    if (cr->done) return sl_err_set(err, "dictionary page after data pages");
    if (h->enc != PQ_ENC_PLAIN && h->enc != PQ_ENC_PLAIN_DICTIONARY)
        return sl_err_set(err, "dictionary page encoded as %s", pq_enc_name(h->enc));
    const uint8_t *p;
    if (inflate_page(cr, body, (size_t)h->comp, (size_t)h->unc, true, &p, err) < 0) return -1;
    size_t unc = (size_t)h->unc, nd = (size_t)h->nv;
    int phys = cr->c->se.phys;
    size_t min_bytes = phys == PQ_PHYS_BYTE_ARRAY ? 4 : phys == PQ_PHYS_INT96 ? 12 : cr->w;
    if (phys == PQ_PHYS_BOOLEAN ? nd > unc * 8 : nd > unc / min_bytes)
        return sl_err_set(err, "dictionary of %zu values cannot fit in %zu bytes", nd, unc);
    cr->dict = sl_arena_alloc(&cr->out->heap, nd ? nd * cr->w : 1);
    pq_values_in in = {
        .enc = PQ_ENC_PLAIN, .phys = phys, .p = p, .n = unc, .count = nd, .heap = &cr->out->heap};
    if (pq_decode_values(&in, cr->dict, err) < 0) return sl_err_prefix(err, "dictionary page");
    cr->ndict = nd;
    cr->have_dict = true;
    return 0;
}

/* Decodes `skip` definition levels, counting the non-null values among
 * them in *skipped, then `keep` into valid[row..] (1 where the level is the
 * maximum), their non-null count in *present. In steps of at most 64Ki
 * levels: a page's declared count never sizes a buffer. */
static int read_levels(colread *cr, pq_rle *d, size_t skip, size_t keep, size_t row,
                       size_t *skipped, size_t *present, sl_err *err) {
    enum { STEP = 1 << 16 };
    size_t nv = skip + keep, k = 0, ks = 0;
    if (grow((void **)&cr->levels, &cr->levels_cap, nv < STEP ? nv : STEP, sizeof(uint32_t), err) <
        0)
        return -1;
    uint8_t *valid = cr->out->valid + row;
    uint32_t max = (uint32_t)cr->max_def;
    for (size_t at = 0; at < nv;) {
        size_t step = nv - at < STEP ? nv - at : STEP;
        if (at < skip && step > skip - at) step = skip - at;
        if (pq_rle_get(d, cr->levels, step, err) < 0)
            return sl_err_prefix(err, "definition levels");
        for (size_t i = 0; i < step; i++) {
            if (cr->levels[i] > max)
                return sl_err_set(err, "definition level %u above the maximum %u", cr->levels[i],
                                  max);
            if (at < skip) {
                ks += cr->levels[i] == max;
                continue;
            }
            size_t j = at - skip + i;
            valid[j] = cr->levels[i] == max;
            k += valid[j];
            if (cr->dense) cr->def[cr->done + j] = (uint8_t)cr->levels[i];
        }
        at += step;
    }
    *skipped = ks;
    *present = k;
    return 0;
}

/* Decodes `nv` repetition levels into rep[done..]; the first of a chunk
 * must start a row, and no more rows may start than the row group has. */
static int read_reps(colread *cr, pq_rle *d, size_t nv, sl_err *err) {
    if (grow((void **)&cr->levels, &cr->levels_cap, nv, sizeof(uint32_t), err) < 0) return -1;
    if (pq_rle_get(d, cr->levels, nv, err) < 0) return sl_err_prefix(err, "repetition levels");
    for (size_t i = 0; i < nv; i++) {
        if (cr->levels[i] > (uint32_t)cr->max_rep)
            return sl_err_set(err, "repetition level %u above the maximum %d", cr->levels[i],
                              cr->max_rep);
        if (cr->done + i == 0 && cr->levels[i] != 0)
            return sl_err_set(err, "the first entry does not start a row");
        cr->rep[cr->done + i] = (uint8_t)cr->levels[i];
    }
    return 0;
}

/* No repetition levels: every entry starts a row. */
static void flat_reps(colread *cr, size_t nv) {
    if (cr->dense) memset(cr->rep + cr->done, 0, nv);
}

/* Decodes `present` values (after `skip` ones) densely at row `row` of
 * out, then spreads them over its nv rows according to valid[]. */
static int read_values(colread *cr, int enc, const uint8_t *p, size_t n, size_t row, size_t nv,
                       size_t skip, size_t present, size_t unc, sl_err *err) {
    size_t w = cr->w;
    uint8_t *vals = cr->out->v.b + (cr->dense ? cr->nvals : row) * w;
    pq_values_in in = {.enc = enc,
                       .phys = cr->c->se.phys,
                       .p = p,
                       .n = n,
                       .count = present,
                       .skip = skip,
                       .dict = cr->have_dict ? cr->dict : NULL,
                       .ndict = cr->ndict,
                       .heap = &cr->out->heap,
                       .heap_budget = unc * 256 + ((size_t)16 << 20)};
    if (pq_decode_values(&in, vals, err) < 0)
        return sl_err_prefix(err, "%s values", pq_enc_name(enc));
    if (cr->dense) {
        cr->nvals += present;
        return 0;
    }
    if (present == nv) return 0;
    const uint8_t *valid = cr->out->valid + row;
    size_t k = present;
    for (size_t i = nv; i-- > 0 && k < i + 1;) {
        if (valid[i]) {
            k--;
            if (k != i) pq_copy_elem(vals + i * w, vals + k * w, w);
        } else {
            memset(vals + i * w, 0, w);
        }
    }
    return 0;
}

/* The page's rows [done, done + nv) that are kept: [*a, *b) (empty when
 * the page is wholly outside the window). */
static int check_rows(colread *cr, size_t nv, size_t *a, size_t *b, sl_err *err) {
    if (nv > cr->n - cr->done)
        return sl_err_set(err,
                          "page holds %zu values but only %zu of the row group's %zu rows "
                          "are left",
                          nv, cr->n - cr->done, cr->n);
    *a = cr->done > cr->lo ? cr->done : cr->lo;
    *b = cr->done + nv < cr->hi ? cr->done + nv : cr->hi;
    if (*b <= *a) return 0;
    return ensure_rows(cr, *b - cr->lo, err);
}

static int read_data_v1(colread *cr, const page_hdr *h, const uint8_t *body, sl_err *err) {
    size_t nv = (size_t)h->nv, unc = (size_t)h->unc, a, b;
    if (check_rows(cr, nv, &a, &b, err) < 0) return -1;
    if (b <= a) { /* outside the window: not decoded */
        cr->done += nv;
        return 0;
    }
    size_t skip = a - cr->done, keep = b - a, pskip = skip;
    const uint8_t *p;
    if (inflate_page(cr, body, (size_t)h->comp, unc, true, &p, err) < 0) return -1;
    size_t pos = 0, present = nv;
    if (cr->max_rep > 0) {
        if (unc < 4) return sl_err_set(err, "page too short for repetition levels");
        uint32_t len;
        memcpy(&len, p, 4);
        if (len > unc - 4)
            return sl_err_set(err, "repetition levels of %u bytes run past the page", len);
        pq_rle d;
        pq_rle_init(&d, p + 4, len, pq_level_width(cr->max_rep), err);
        if (read_reps(cr, &d, nv, err) < 0) return -1;
        pos = 4 + (size_t)len;
    } else {
        flat_reps(cr, nv);
    }
    if (cr->max_def > 0) {
        if (h->def_enc != PQ_ENC_RLE)
            return sl_err_set(err, "unsupported definition level encoding %s",
                              pq_enc_name(h->def_enc));
        if (unc - pos < 4) return sl_err_set(err, "page too short for definition levels");
        uint32_t len;
        memcpy(&len, p + pos, 4);
        if (len > unc - pos - 4)
            return sl_err_set(err, "definition levels of %u bytes run past the page", len);
        pq_rle d;
        pq_rle_init(&d, p + pos + 4, len, pq_level_width(cr->max_def), err);
        if (read_levels(cr, &d, skip, keep, a - cr->lo, &pskip, &present, err) < 0) return -1;
        pos += 4 + (size_t)len;
    } else {
        present = keep;
        memset(cr->out->valid + (a - cr->lo), 1, keep);
        if (cr->dense) memset(cr->def + cr->done, 0, nv);
    }
    if (read_values(cr, h->enc, p + pos, unc - pos, a - cr->lo, keep, pskip, present, unc, err) < 0)
        return -1;
    cr->done += nv;
    return 0;
}

static int read_data_v2(colread *cr, const page_hdr *h, const uint8_t *body, sl_err *err) {
    size_t nv = (size_t)h->nv, comp = (size_t)h->comp, unc = (size_t)h->unc, a, b;
    if (check_rows(cr, nv, &a, &b, err) < 0) return -1;
    if (b <= a) { /* outside the window: not decoded */
        cr->done += nv;
        return 0;
    }
    size_t skip = a - cr->done, keep = b - a, pskip = skip;
    if (h->rep_len != 0 && cr->max_rep == 0)
        return sl_err_set(err, "repetition levels in a flat column");
    size_t rlev = (size_t)h->rep_len, lev = rlev + (size_t)h->def_len;
    if (lev > comp || lev > unc)
        return sl_err_set(err, "levels of %zu bytes exceed the page (%zu/%zu bytes)", lev, comp,
                          unc);
    if (cr->max_rep == 0 && h->nrows != h->nv)
        return sl_err_set(err, "page has %lld rows but %lld values", (long long)h->nrows,
                          (long long)h->nv);
    if (cr->max_rep > 0) {
        pq_rle d;
        pq_rle_init(&d, body, rlev, pq_level_width(cr->max_rep), err);
        if (read_reps(cr, &d, nv, err) < 0) return -1;
    } else {
        flat_reps(cr, nv);
    }
    size_t present = keep;
    if (cr->max_def > 0) {
        pq_rle d;
        pq_rle_init(&d, body + rlev, (size_t)h->def_len, pq_level_width(cr->max_def), err);
        if (read_levels(cr, &d, skip, keep, a - cr->lo, &pskip, &present, err) < 0) return -1;
    } else {
        if (h->def_len) return sl_err_set(err, "definition levels in a REQUIRED column");
        memset(cr->out->valid + (a - cr->lo), 1, keep);
        if (cr->dense) memset(cr->def + cr->done, 0, nv);
    }
    if (keep == nv && (size_t)h->nulls != nv - present) /* known for a whole page */
        return sl_err_set(err, "page says %lld nulls, levels say %zu", (long long)h->nulls,
                          nv - present);
    const uint8_t *p;
    size_t vn = unc - lev;
    if (vn == 0 && comp == lev)
        p = body + lev; /* empty values section */
    else if (inflate_page(cr, body + lev, comp - lev, vn, h->is_compressed, &p, err) < 0)
        return -1;
    if (read_values(cr, h->enc, p, vn, a - cr->lo, keep, pskip, present, unc, err) < 0) return -1;
    cr->done += nv;
    return 0;
}

static int read_chunk(colread *cr, sl_err *err) {
    const pq_rchunk *ch = cr->ch;
    int64_t start = ch->data_off;
    if (ch->dict_off > 0 && ch->dict_off < ch->data_off) start = ch->dict_off;
    const uint8_t *p = cr->r->data + start, *end = p + ch->comp_size;
    while (p < end && !(cr->done >= cr->hi && cr->hi < cr->n)) {
        size_t off = (size_t)(p - cr->r->data);
        page_hdr h;
        pq_tdec d;
        pq_tdec_init(&d, p, (size_t)(end - p), "page header", err);
        if (parse_page_header(&d, &h) < 0) return sl_err_prefix(err, "page at offset %zu", off);
        const uint8_t *body = d.p;
        if (h.comp > end - body)
            return sl_err_set(err, "page at offset %zu: %lld bytes run past the column chunk", off,
                              (long long)h.comp);
        if (h.unc > (int64_t)PQ_MAX_PAGE_BYTES)
            return sl_err_set(err, "page at offset %zu declares %lld bytes (limit 1 GiB)", off,
                              (long long)h.unc);
        int rc = 0;
        if (h.type == PAGE_DICT)
            rc = read_dict(cr, &h, body, err);
        else if (h.type == PAGE_DATA)
            rc = read_data_v1(cr, &h, body, err);
        else if (h.type == PAGE_DATA_V2)
            rc = read_data_v2(cr, &h, body, err);
        if (rc < 0) return sl_err_prefix(err, "page at offset %zu", off);
        p = body + h.comp;
    }
    if ((cr->hi == cr->n && cr->done != cr->n) || cr->done < cr->hi)
        return sl_err_set(err, "pages hold %zu values, the row group has %zu rows", cr->done,
                          cr->n);
    return 0;
}

/* Reads one column chunk: per row (dense false) or per level entry, the
 * values dense (pq_reader_read_leaf). */
static int read_col(pq_reader *r, size_t rg, size_t col, uint64_t first, uint64_t count,
                    pq_column_data *out, pq_leaf_data *leaf, sl_err *err) {
    memset(out, 0, sizeof *out);
    if (rg >= r->nrg || col >= r->ncols)
        return sl_err_set(err, "%s: no column %zu in row group %zu", r->name, col, rg);
    const pq_rcol *c = &r->cols[col];
    const pq_column_def *def = &r->defs[col];
    const char *name = def->name;
    if (def->type == PQ_OTHER)
        return sl_err_set(err, "%s: column '%s': %s (physical type %s)", r->name, name,
                          c->why_other ? c->why_other : "type not supported",
                          pq_phys_name(c->se.phys));
    if (!leaf && c->max_rep > 0)
        return sl_err_set(err, "%s: column '%s' is repeated (in a list or map): read its levels",
                          r->name, name);
    const pq_rchunk *ch = &r->rgs[rg].cols[col];
    colread cr = {.r = r,
                  .c = c,
                  .ch = ch,
                  .out = out,
                  .w = pq_out_width(c->se.phys),
                  .n = leaf ? (size_t)ch->num_values : (size_t)r->rgs[rg].num_rows,
                  .max_def = c->max_def,
                  .max_rep = c->max_rep,
                  .dense = leaf != NULL};
    cr.lo = first < cr.n ? (size_t)first : cr.n;
    cr.hi = count < cr.n - cr.lo ? cr.lo + (size_t)count : cr.n;
    out->type = def->type;
    int rc = 0;
    if ((uint64_t)cr.n > r->max_rg_rows)
        rc = sl_err_set(err, "row group has %zu rows, more than the reader's limit of %llu", cr.n,
                        (unsigned long long)r->max_rg_rows);
    out->valid = sl_malloc(1); /* never NULL, even for 0 rows */
    out->v.b = sl_malloc(cr.w);
    if (leaf) {
        cr.def = sl_malloc(1);
        cr.rep = sl_malloc(1);
    }
    if (rc == 0) rc = read_chunk(&cr, err);
    size_t nv = leaf ? cr.nvals : cr.hi - cr.lo;
    if (rc == 0 && leaf) {
        size_t rows = 0;
        for (size_t i = 0; i < cr.n; i++) rows += cr.rep[i] == 0;
        if (rows != (size_t)r->rgs[rg].num_rows)
            rc = sl_err_set(err, "levels start %zu rows, the row group has %lld", rows,
                            (long long)r->rgs[rg].num_rows);
        else
            memset(out->valid, 1, nv);
    }
    if (rc == 0 && def->type == PQ_TIMESTAMP_US && c->unit_scale != 1) {
        for (size_t i = 0; i < nv && rc == 0; i++)
            if (out->valid[i] && pq_ts_scale(&out->v.i64[i], c->unit_scale) < 0)
                rc = sl_err_set(err, "row %zu: timestamp overflows microseconds", i);
    }
    free(cr.buf);
    free(cr.levels);
    if (rc < 0) {
        free(cr.def);
        free(cr.rep);
        pq_column_data_free(out);
        return sl_err_prefix(err, "%s: column '%s' (row group %zu)", r->name, name, rg);
    }
    out->n = nv;
    if (leaf) {
        leaf->n = cr.n;
        leaf->def = cr.def;
        leaf->rep = cr.rep;
    }
    return 0;
}

int pq_reader_read_column(pq_reader *r, size_t rg, size_t col, pq_column_data *out, sl_err *err) {
    return read_col(r, rg, col, 0, UINT64_MAX, out, NULL, err);
}

int pq_reader_read_column_rows(pq_reader *r, size_t rg, size_t col, uint64_t first, size_t n,
                               pq_column_data *out, sl_err *err) {
    return read_col(r, rg, col, first, n, out, NULL, err);
}

int pq_reader_read_leaf(pq_reader *r, size_t rg, size_t col, pq_leaf_data *out, sl_err *err) {
    memset(out, 0, sizeof *out);
    return read_col(r, rg, col, 0, UINT64_MAX, &out->values, out, err);
}

void pq_leaf_data_free(pq_leaf_data *d) {
    if (!d) return;
    free(d->def);
    free(d->rep);
    pq_column_data_free(&d->values);
    memset(d, 0, sizeof *d);
}

void pq_column_data_free(pq_column_data *d) {
    if (!d) return;
    free(d->valid);
    free(d->v.b);
    sl_arena_free(&d->heap);
    memset(d, 0, sizeof *d);
}
