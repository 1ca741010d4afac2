/* parquet reader: opening a file, decoding and validating the footer
 * (FileMetaData), mapping the schema to pq_type, and the accessors.
 *
 * Everything the footer says is checked against the file size here, once,
 * so that read_pages.c and inspect.c can trust offsets and sizes. Nested
 * schemas (groups, lists, maps) are walked into their leaves, each with
 * its dotted path and its definition and repetition levels. */
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

#define PQ_DEFAULT_MAX_RG_ROWS ((uint64_t)1 << 28)

const char *pq_enc_name(int enc) {
    static const char *n[] = {
        "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
        "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
        "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
    return enc >= 0 && enc < (int)(sizeof n / sizeof *n) ? n[enc] : "UNKNOWN_ENCODING";
}

const char *pq_phys_name(int phys) {
    static const char *n[] = {"BOOLEAN", "INT32",  "INT64",      "INT96",
                              "FLOAT",   "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
    return phys >= 0 && phys < (int)(sizeof n / sizeof *n) ? n[phys] : "GROUP";
}

const char *pq_codec_name_any(int codec) {
    static const char *n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                              "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
    return codec >= 0 && codec < (int)(sizeof n / sizeof *n) ? n[codec] : "UNKNOWN_CODEC";
}

/* ---- thrift structures ----------------------------------------------- */
#define FIELDS(d, id, t, r) while (((r) = pq_t_next_field((d), &(id), &(t))) == 1)

static int parse_stats(pq_tdec *d, int phys, pq_rstats *st) {
    const uint8_t *omin = NULL, *omax = NULL;
    uint32_t ominl = 0, omaxl = 0;
    int id, t, r;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int rc;
        switch (id) {
        case 1: rc = pq_t_binary(d, t, &omax, &omaxl); break;
        case 2: rc = pq_t_binary(d, t, &omin, &ominl); break;
        case 3: rc = pq_t_int(d, t, &st->null_count), st->has_null_count = true; break;
        case 5: rc = pq_t_binary(d, t, &st->max, &st->max_len), st->has_max = true; break;
        case 6: rc = pq_t_binary(d, t, &st->min, &st->min_len), st->has_min = true; break;
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    /* the deprecated min/max used signed byte order: trust them only for
     * numbers, as parquet-mr and arrow do */
    bool numeric = phys >= PQ_PHYS_BOOLEAN && phys <= PQ_PHYS_DOUBLE;
    if (numeric && !st->has_min && !st->has_max && omin && omax) {
        st->min = omin, st->min_len = ominl, st->has_min = true;
        st->max = omax, st->max_len = omaxl, st->has_max = true;
    }
    return 0;
}

static int parse_time_unit(pq_tdec *d, int *unit) {
    int id, t, r;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        if (id >= 1 && id <= 3) *unit = id;
        if (pq_t_skip_field(d, t) < 0) return -1;
    }
    return r;
}

static int parse_logical(pq_tdec *d, pq_rschema *se) {
    int id, t, r;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        se->logical = id;
        if (t != PQ_T_STRUCT) return pq_t_fail(d, "logical type member is not a struct");
        if (id != PQ_LT_TIME && id != PQ_LT_TIMESTAMP && id != PQ_LT_INTEGER &&
            id != PQ_LT_DECIMAL) {
            if (pq_t_skip_field(d, t) < 0) return -1;
            continue;
        }
        int fid, ft, fr;
        if (pq_t_struct_begin(d) < 0) return -1;
        FIELDS(d, fid, ft, fr) {
            int64_t v = 0;
            int rc;
            if ((id == PQ_LT_TIME || id == PQ_LT_TIMESTAMP) && fid == 1)
                rc = pq_t_bool(d, ft, &se->utc);
            else if ((id == PQ_LT_TIME || id == PQ_LT_TIMESTAMP) && fid == 2 && ft == PQ_T_STRUCT)
                rc = parse_time_unit(d, &se->unit);
            else if (id == PQ_LT_INTEGER && fid == 1)
                rc = pq_t_int_range(d, ft, 1, 64, &v), se->bit_width = (int)v;
            else if (id == PQ_LT_INTEGER && fid == 2)
                rc = pq_t_bool(d, ft, &se->is_signed);
            else if (id == PQ_LT_DECIMAL && fid == 1)
                rc = pq_t_int(d, ft, &v), se->scale = (int32_t)v;
            else if (id == PQ_LT_DECIMAL && fid == 2)
                rc = pq_t_int(d, ft, &v), se->precision = (int32_t)v;
            else
                rc = pq_t_skip_field(d, ft);
            if (rc < 0) return -1;
        }
        if (fr < 0) return -1;
    }
    return r;
}

static int parse_schema_element(pq_tdec *d, sl_arena *a, pq_rschema *se) {
    memset(se, 0, sizeof *se);
    se->phys = -1;
    se->repetition = -1;
    se->converted = -1;
    bool has_name = false;
    int id, t, r;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int64_t v = 0;
        int rc = 0;
        const uint8_t *s;
        uint32_t n;
        switch (id) {
        case 1: rc = pq_t_int_range(d, t, 0, 7, &v), se->phys = (int)v; break;
        case 2: rc = pq_t_int(d, t, &v), se->type_length = (int32_t)v; break;
        case 3: rc = pq_t_int_range(d, t, 0, 2, &v), se->repetition = (int)v; break;
        case 4:
            rc = pq_t_binary(d, t, &s, &n);
            if (rc == 0) se->name = sl_arena_strndup(a, (const char *)s, n), has_name = true;
            break;
        case 5: rc = pq_t_int_range(d, t, 0, INT32_MAX, &v), se->num_children = (int32_t)v; break;
        case 6: rc = pq_t_int(d, t, &v), se->converted = (int)v; break;
        case 7: rc = pq_t_int(d, t, &v), se->scale = (int32_t)v; break;
        case 8: rc = pq_t_int(d, t, &v), se->precision = (int32_t)v; break;
        case 10: rc = t == PQ_T_STRUCT ? parse_logical(d, se) : pq_t_skip_field(d, t); break;
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (!has_name) return pq_t_fail(d, "schema element without a name");
    return 0;
}

static int parse_column_meta(pq_tdec *d, pq_rchunk *c, const char *colname) {
    int id, t, r;
    bool seen_type = false, seen_offset = false;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int64_t v = 0;
        int rc = 0, et;
        uint32_t n;
        switch (id) {
        case 1: rc = pq_t_int_range(d, t, 0, 7, &v), c->phys = (int)v, seen_type = true; break;
        case 2:
            if ((rc = pq_t_list(d, t, &et, &n)) < 0) break;
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                rc = pq_t_int(d, et, &v);
                if (rc == 0 && v >= 0 && v < 32) c->encodings |= 1u << v;
            }
            break;
        case 3: {
            /* the path's components joined by '.' must spell the column */
            if ((rc = pq_t_list(d, t, &et, &n)) < 0) break;
            size_t at = 0, cl = strlen(colname);
            bool same = n > 0;
            for (uint32_t i = 0; i < n && rc == 0; i++) {
                const uint8_t *s;
                uint32_t sn;
                rc = pq_t_binary(d, et, &s, &sn);
                if (rc < 0) break;
                if (i > 0) same = same && at < cl && colname[at++] == '.';
                same = same && sn <= cl - at && memcmp(s, colname + at, sn) == 0;
                if (same) at += sn;
            }
            if (rc == 0 && (!same || at != cl))
                return pq_t_fail(d, "column chunk path does not match column '%s'", colname);
            break;
        }
        case 4: rc = pq_t_int_range(d, t, 0, 127, &v), c->codec = (int)v; break;
        case 5: rc = pq_t_int_range(d, t, 0, INT64_MAX, &c->num_values); break;
        case 6: rc = pq_t_int_range(d, t, 0, INT64_MAX, &c->unc_size); break;
        case 7: rc = pq_t_int_range(d, t, 0, INT64_MAX, &c->comp_size); break;
        case 9: rc = pq_t_int(d, t, &c->data_off), seen_offset = true; break;
        case 11: rc = pq_t_int(d, t, &c->dict_off); break;
        case 12:
            rc = t == PQ_T_STRUCT ? parse_stats(d, c->phys, &c->st) : pq_t_skip_field(d, t);
            break;
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (!seen_type || !seen_offset)
        return pq_t_fail(d, "column '%s': metadata lacks type or data_page_offset", colname);
    return 0;
}

static int parse_column_chunk(pq_tdec *d, pq_rchunk *c, const char *colname) {
    int id, t, r;
    bool has_meta = false;
    c->dict_off = -1;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int rc;
        if (id == 1 && t == PQ_T_BINARY)
            return pq_t_fail(d, "column '%s' lives in another file (file_path set)", colname);
        if (id == 3 && t == PQ_T_STRUCT)
            rc = parse_column_meta(d, c, colname), has_meta = true;
        else if (id == 8 || id == 9)
            return pq_t_fail(d, "column '%s' is encrypted", colname);
        else
            rc = pq_t_skip_field(d, t);
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (!has_meta) return pq_t_fail(d, "column '%s' has no metadata", colname);
    return 0;
}

static int parse_row_group(pq_tdec *d, pq_reader *rd, pq_rgroup *g) {
    int id, t, r;
    bool seen_cols = false;
    g->comp_bytes = -1;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int rc = 0, et;
        uint32_t n;
        switch (id) {
        case 1:
            if ((rc = pq_t_list(d, t, &et, &n)) < 0) break;
            if (n != rd->ncols || et != PQ_T_STRUCT)
                return pq_t_fail(d, "row group has %u column chunks, schema has %zu columns", n,
                                 rd->ncols);
            g->cols = sl_arena_alloc(&rd->arena, (n ? n : 1) * sizeof *g->cols);
            memset(g->cols, 0, (n ? n : 1) * sizeof *g->cols);
            for (uint32_t i = 0; i < n && rc == 0; i++)
                rc = parse_column_chunk(d, &g->cols[i], rd->defs[i].name);
            seen_cols = true;
            break;
        case 2: rc = pq_t_int(d, t, &g->total_bytes); break;
        case 3: rc = pq_t_int_range(d, t, 0, INT64_MAX, &g->num_rows); break;
        case 6: rc = pq_t_int(d, t, &g->comp_bytes); break;
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (!seen_cols) return pq_t_fail(d, "row group without columns");
    return 0;
}

/* Maps a schema leaf to the reader's pq_type. */
static void map_type(pq_rcol *c, pq_column_def *def) {
    const pq_rschema *s = &c->se;
    bool decimal = s->logical == PQ_LT_DECIMAL || s->converted == 5;
    c->unit_scale = 1;
    def->type = PQ_OTHER;
    switch (s->phys) {
    case PQ_PHYS_BOOLEAN: def->type = PQ_BOOLEAN; return;
    case PQ_PHYS_FLOAT: def->type = PQ_FLOAT; return;
    case PQ_PHYS_DOUBLE: def->type = PQ_DOUBLE; return;
    case PQ_PHYS_INT32:
        if (decimal)
            c->why_other = "DECIMAL is not decoded";
        else if ((s->logical == PQ_LT_INTEGER && !s->is_signed && s->bit_width == 32) ||
                 s->converted == 13)
            c->why_other = "unsigned 32-bit integers are not decoded";
        else
            def->type = PQ_INT32;
        return;
    case PQ_PHYS_INT64:
        if (decimal)
            c->why_other = "DECIMAL is not decoded";
        else if ((s->logical == PQ_LT_INTEGER && !s->is_signed) || s->converted == 14)
            c->why_other = "unsigned 64-bit integers are not decoded";
        else if (s->logical == PQ_LT_TIMESTAMP || s->converted == 9 || s->converted == 10) {
            int unit = s->logical == PQ_LT_TIMESTAMP ? s->unit
                       : s->converted == 9           ? PQ_UNIT_MILLIS
                                                     : PQ_UNIT_MICROS;
            def->type = PQ_TIMESTAMP_US;
            c->unit_scale = unit == PQ_UNIT_MILLIS ? 1000 : unit == PQ_UNIT_NANOS ? -1000 : 1;
            if (unit == PQ_UNIT_NONE) {
                def->type = PQ_OTHER;
                c->why_other = "TIMESTAMP without a unit";
            }
        } else
            def->type = PQ_INT64;
        return;
    case PQ_PHYS_BYTE_ARRAY:
        if (decimal)
            c->why_other = "DECIMAL is not decoded";
        else if (s->logical == PQ_LT_STRING || s->logical == PQ_LT_ENUM ||
                 s->logical == PQ_LT_JSON || s->converted == 0 || s->converted == 4 ||
                 s->converted == 19)
            def->type = PQ_STRING;
        else
            def->type = PQ_BYTE_ARRAY;
        return;
    case PQ_PHYS_INT96:
        def->type = PQ_TIMESTAMP_US; /* converted while decoding */
        return;
    default: c->why_other = "FIXED_LEN_BYTE_ARRAY is not decoded"; return;
    }
}

#define PQ_MAX_SCHEMA_DEPTH 64

/* Walks the subtree of element *i (pre-order) under a parent at levels
 * (def, rep), filling the leaves at rd->ncols. */
static int walk_schema(pq_tdec *d, pq_reader *rd, pq_rschema *el, uint32_t nel, uint32_t *i,
                       int def, int rep, const char **path, size_t depth) {
    if (*i >= nel) return pq_t_fail(d, "schema ends inside a group");
    if (depth >= PQ_MAX_SCHEMA_DEPTH)
        return pq_t_fail(d, "schema nested deeper than %d", PQ_MAX_SCHEMA_DEPTH);
    pq_rschema *se = &el[(*i)++];
    if (se->repetition == 1) def++;
    if (se->repetition == 2) def++, rep++;
    path[depth] = se->name;
    if (se->num_children > 0) {
        if (se->num_children > (int32_t)(nel - *i))
            return pq_t_fail(d, "group '%s' has %d children but %u elements follow", se->name,
                             se->num_children, nel - *i);
        for (int32_t k = 0; k < se->num_children; k++)
            if (walk_schema(d, rd, el, nel, i, def, rep, path, depth + 1) < 0) return -1;
        return 0;
    }
    if (se->phys < 0) return pq_t_fail(d, "column '%s' is a group without children", se->name);
    pq_rcol *c = &rd->cols[rd->ncols];
    pq_column_def *cd = &rd->defs[rd->ncols];
    rd->ncols++;
    c->se = *se;
    c->max_def = def;
    c->max_rep = rep;
    c->npath = depth + 1;
    c->path = sl_arena_alloc(&rd->arena, c->npath * sizeof *c->path);
    size_t len = 0;
    for (size_t k = 0; k <= depth; k++) c->path[k] = path[k], len += strlen(path[k]) + 1;
    char *name = sl_arena_alloc(&rd->arena, len), *o = name;
    for (size_t k = 0; k <= depth; k++) {
        size_t n = strlen(path[k]);
        memcpy(o, path[k], n);
        o += n;
        *o++ = k < depth ? '.' : '\0';
    }
    cd->name = name;
    cd->nullable = def > 0;
    map_type(c, cd);
    return 0;
}

static int parse_schema(pq_tdec *d, int type, pq_reader *rd) {
    int et;
    uint32_t n;
    if (pq_t_list(d, type, &et, &n) < 0) return -1;
    if (n < 1 || et != PQ_T_STRUCT) return pq_t_fail(d, "empty schema");
    pq_rschema *el = sl_arena_alloc(&rd->arena, n * sizeof *el);
    for (uint32_t i = 0; i < n; i++)
        if (parse_schema_element(d, &rd->arena, &el[i]) < 0) return -1;
    /* leaves: at most n - 1 */
    rd->cols = sl_arena_alloc(&rd->arena, n * sizeof *rd->cols);
    rd->defs = sl_arena_alloc(&rd->arena, n * sizeof *rd->defs);
    memset(rd->cols, 0, n * sizeof *rd->cols);
    memset(rd->defs, 0, n * sizeof *rd->defs);
    rd->ncols = 0;
    const char *path[PQ_MAX_SCHEMA_DEPTH];
    uint32_t i = 1;
    for (int32_t k = 0; k < el[0].num_children; k++)
        if (walk_schema(d, rd, el, n, &i, 0, 0, path, 0) < 0) return -1;
    if (i != n)
        return pq_t_fail(d, "schema root has %d children but %u elements follow",
                         el[0].num_children, n - 1);
    return 0;
}

static int parse_footer(pq_tdec *d, pq_reader *rd) {
    int id, t, r;
    bool seen_schema = false, seen_rows = false, seen_rgs = false;
    if (pq_t_struct_begin(d) < 0) return -1;
    FIELDS(d, id, t, r) {
        int64_t v = 0;
        int rc = 0, et;
        uint32_t n;
        const uint8_t *s;
        switch (id) {
        case 1: rc = pq_t_int(d, t, &v), rd->version = (int32_t)v; break;
        case 2:
            if (seen_schema) return pq_t_fail(d, "two schemas");
            rc = parse_schema(d, t, rd), seen_schema = true;
            break;
        case 3: rc = pq_t_int_range(d, t, 0, INT64_MAX, &rd->num_rows), seen_rows = true; break;
        case 4:
            if (!seen_schema || seen_rgs) return pq_t_fail(d, "row groups before the schema");
            if ((rc = pq_t_list(d, t, &et, &n)) < 0) break;
            if (et != PQ_T_STRUCT) return pq_t_fail(d, "row groups are not structs");
            rd->nrg = n;
            rd->rgs = sl_arena_alloc(&rd->arena, (n ? n : 1) * sizeof *rd->rgs);
            memset(rd->rgs, 0, (n ? n : 1) * sizeof *rd->rgs);
            for (uint32_t i = 0; i < n && rc == 0; i++) rc = parse_row_group(d, rd, &rd->rgs[i]);
            seen_rgs = true;
            break;
        case 6:
            rc = pq_t_binary(d, t, &s, &n);
            if (rc == 0) rd->created_by = sl_arena_strndup(&rd->arena, (const char *)s, n);
            break;
        case 8: return pq_t_fail(d, "encrypted file");
        default: rc = pq_t_skip_field(d, t);
        }
        if (rc < 0) return -1;
    }
    if (r < 0) return -1;
    if (!seen_schema || !seen_rows || !seen_rgs)
        return pq_t_fail(d, "footer lacks schema, num_rows or row_groups");
    return 0;
}

/* ---- validation against the file ------------------------------------- */
static int validate(pq_reader *rd, sl_err *err) {
    uint64_t total = 0;
    for (size_t g = 0; g < rd->nrg; g++) {
        pq_rgroup *rg = &rd->rgs[g];
        total += (uint64_t)rg->num_rows;
        for (size_t i = 0; i < rd->ncols; i++) {
            pq_rchunk *c = &rg->cols[i];
            const char *name = rd->defs[i].name;
            if (c->phys != rd->cols[i].se.phys)
                return sl_err_set(err, "row group %zu column '%s': chunk type %s, schema says %s",
                                  g, name, pq_phys_name(c->phys),
                                  pq_phys_name(rd->cols[i].se.phys));
            if (rd->cols[i].max_rep == 0 ? c->num_values != rg->num_rows
                                         : c->num_values < rg->num_rows)
                return sl_err_set(err, "row group %zu column '%s': %lld values for %lld rows", g,
                                  name, (long long)c->num_values, (long long)rg->num_rows);
            int64_t start = c->data_off;
            if (c->dict_off > 0 && c->dict_off < c->data_off) start = c->dict_off;
            if (start < 4 || (uint64_t)start > rd->footer_start ||
                (uint64_t)c->comp_size > rd->footer_start - (uint64_t)start)
                return sl_err_set(err,
                                  "row group %zu column '%s': chunk at offset %lld of %lld bytes "
                                  "lies outside the data (%zu bytes before the footer)",
                                  g, name, (long long)start, (long long)c->comp_size,
                                  rd->footer_start);
            if (c->data_off < start || (c->comp_size > 0 && c->data_off - start >= c->comp_size))
                return sl_err_set(err,
                                  "row group %zu column '%s': data page offset %lld outside "
                                  "its chunk",
                                  g, name, (long long)c->data_off);
        }
    }
    if (total != (uint64_t)rd->num_rows)
        return sl_err_set(err, "row groups hold %llu rows, footer says %lld",
                          (unsigned long long)total, (long long)rd->num_rows);
    return 0;
}

pq_reader *pq_reader_open_mem(const uint8_t *data, size_t len, sl_err *err) {
    if (len < 12) {
        sl_err_set(err, "not a Parquet file: %zu bytes is too short", len);
        return NULL;
    }
    if (memcmp(data + len - 4, "PARE", 4) == 0) {
        sl_err_set(err, "encrypted Parquet files (PARE) are not supported");
        return NULL;
    }
    if (memcmp(data, "PAR1", 4) != 0 || memcmp(data + len - 4, "PAR1", 4) != 0) {
        sl_err_set(err, "not a Parquet file: no PAR1 magic at %s",
                   memcmp(data, "PAR1", 4) ? "the start" : "the end (truncated file?)");
        return NULL;
    }
    uint32_t flen;
    memcpy(&flen, data + len - 8, 4);
    if (flen > len - 12) {
        sl_err_set(err, "footer length %u larger than the file (%zu bytes): truncated file?", flen,
                   len);
        return NULL;
    }
    pq_reader *rd = sl_calloc(1, sizeof *rd);
    rd->data = data;
    rd->len = len;
    rd->footer_len = flen;
    rd->footer_start = len - 8 - flen;
    rd->max_rg_rows = PQ_DEFAULT_MAX_RG_ROWS;
    pq_tdec d;
    pq_tdec_init(&d, data + rd->footer_start, flen, "footer", err);
    if (parse_footer(&d, rd) < 0 || validate(rd, err) < 0) {
        pq_reader_close(rd);
        return NULL;
    }
    if (!rd->created_by) rd->created_by = "";
    rd->name = sl_strdup("<memory>");
    return rd;
}

pq_reader *pq_reader_open_file(const char *path, sl_err *err) {
    sl_buf b = {0};
    if (sl_read_file(path, &b, err) < 0) {
        sl_buf_free(&b);
        return NULL;
    }
    pq_reader *r = pq_reader_open_mem(b.data ? b.data : (const uint8_t *)"", b.len, err);
    if (!r) {
        sl_buf_free(&b);
        sl_err_prefix(err, "%s", path);
        return NULL;
    }
    r->owned = b.data;
    free(r->name);
    r->name = sl_strdup(path);
    return r;
}

void pq_reader_close(pq_reader *r) {
    if (!r) return;
    sl_arena_free(&r->arena);
    free(r->owned);
    free(r->name);
    free(r);
}

size_t pq_reader_num_columns(const pq_reader *r) {
    return r->ncols;
}

const pq_column_def *pq_reader_column(const pq_reader *r, size_t i) {
    return i < r->ncols ? &r->defs[i] : NULL;
}

long pq_reader_find_column(const pq_reader *r, const char *path) {
    for (size_t i = 0; i < r->ncols; i++)
        if (!strcmp(r->defs[i].name, path)) return (long)i;
    return -1;
}

int pq_reader_column_levels(const pq_reader *r, size_t i, int *max_def, int *max_rep) {
    if (i >= r->ncols) return -1;
    *max_def = r->cols[i].max_def;
    *max_rep = r->cols[i].max_rep;
    return 0;
}

uint64_t pq_reader_num_rows(const pq_reader *r) {
    return (uint64_t)r->num_rows;
}

size_t pq_reader_num_row_groups(const pq_reader *r) {
    return r->nrg;
}

uint64_t pq_reader_row_group_rows(const pq_reader *r, size_t rg) {
    return rg < r->nrg ? (uint64_t)r->rgs[rg].num_rows : 0;
}

const char *pq_reader_created_by(const pq_reader *r) {
    return r->created_by;
}

void pq_reader_set_max_rows(pq_reader *r, uint64_t max_rows_per_row_group) {
    r->max_rg_rows = max_rows_per_row_group;
}

static int64_t le_int(const uint8_t *p, size_t n) {
    if (n == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void stat_value(const pq_reader *r, size_t col, const uint8_t *p, size_t n, int64_t *i,
                       double *f) {
    const pq_rcol *c = &r->cols[col];
    switch (c->se.phys) {
    case PQ_PHYS_BOOLEAN: *i = n >= 1 ? p[0] != 0 : 0; break;
    case PQ_PHYS_INT32:
        if (n == 4) *i = le_int(p, 4);
        break;
    case PQ_PHYS_INT64:
        if (n == 8) *i = le_int(p, 8);
        pq_ts_scale(i, c->unit_scale);
        break;
    case PQ_PHYS_FLOAT:
        if (n == 4) {
            float v;
            memcpy(&v, p, 4);
            *f = v;
        }
        break;
    case PQ_PHYS_DOUBLE:
        if (n == 8) memcpy(f, p, 8);
        break;
    default: break;
    }
}

int pq_reader_column_stats(const pq_reader *r, size_t rg, size_t col, pq_stats *out) {
    memset(out, 0, sizeof *out);
    if (rg >= r->nrg || col >= r->ncols) return -1;
    const pq_rstats *st = &r->rgs[rg].cols[col].st;
    out->type = r->defs[col].type;
    out->has_null_count = st->has_null_count && st->null_count >= 0;
    out->null_count = out->has_null_count ? (uint64_t)st->null_count : 0;
    /* INT96 order is undefined by the format: its min/max mean nothing */
    out->has_min_max = st->has_min && st->has_max && r->cols[col].se.phys != PQ_PHYS_INT96;
    if (out->has_min_max) {
        out->min = st->min, out->min_len = st->min_len;
        out->max = st->max, out->max_len = st->max_len;
        stat_value(r, col, st->min, st->min_len, &out->min_i, &out->min_f);
        stat_value(r, col, st->max, st->max_len, &out->max_i, &out->max_f);
    }
    return 0;
}
