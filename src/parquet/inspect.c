/* parquet reader: `songlake inspect`, a parquet-tools style description of
 * a file: size, writer, rows, schema, and per row group every column chunk's
 * codec, encodings, sizes, value and null counts and decoded min/max.
 *
 * Tables are collected as cells first and printed with computed column
 * widths, so output stays aligned whatever the names and values. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/pq_read_internal.h"

/* ---- a small aligned table ------------------------------------------- */
typedef struct table {
    size_t ncols;
    const bool *right; /* right-align column i */
    sl_vec cells;      /* char*, row-major */
} table;

static void tab_add(table *t, char *cell) {
    *(char **)sl_vec_push(&t->cells) = cell;
}

static void tab_print(table *t, FILE *out, const char *indent) {
    size_t *w = sl_calloc(t->ncols, sizeof *w);
    char **c = t->cells.data;
    for (size_t i = 0; i < t->cells.len; i++) {
        size_t l = strlen(c[i]);
        if (l > w[i % t->ncols]) w[i % t->ncols] = l;
    }
    for (size_t i = 0; i < t->cells.len; i++) {
        size_t col = i % t->ncols;
        bool last = col == t->ncols - 1;
        if (col == 0) fputs(indent, out);
        int width = (int)w[col];
        if (t->right[col])
            fprintf(out, "%*s", width, c[i]);
        else if (last)
            fputs(c[i], out);
        else
            fprintf(out, "%-*s", width, c[i]);
        fputs(last ? "\n" : "  ", out);
        free(c[i]);
    }
    free(w);
    sl_vec_free(&t->cells);
}

/* ---- value formatting ------------------------------------------------ */
/* Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static char *fmt_date(int64_t days) {
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    return sl_sprintf("%04" PRId64 "-%02u-%02u", y, m, d);
}

static char *fmt_ts(int64_t us) {
    int64_t secs = us / 1000000, frac = us % 1000000;
    if (frac < 0) frac += 1000000, secs--;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) rem += 86400, days--;
    int64_t y;
    unsigned m, d;
    civil(days, &y, &m, &d);
    return sl_sprintf("%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%06dZ", y, m, d, (int)(rem / 3600),
                      (int)(rem / 60 % 60), (int)(rem % 60), (int)frac);
}

#define MAX_SHOWN 32

/* Printable, escaped and truncated to `max` bytes. */
static char *fmt_text(const uint8_t *p, size_t n, bool quote, size_t max) {
    sl_buf b = {0};
    size_t shown = 0, i = 0;
    for (; i < n && shown < max; i++, shown++) {
        uint8_t ch = p[i];
        if (ch == '\\' || ch == '"')
            sl_buf_printf(&b, "\\%c", ch);
        else if (ch >= 0x20 && ch < 0x7f)
            sl_buf_putc(&b, ch);
        else if (ch >= 0x80)
            sl_buf_putc(&b, ch); /* UTF-8 bytes pass through */
        else
            sl_buf_printf(&b, "\\x%02x", ch);
    }
    /* do not cut a UTF-8 sequence in half */
    while (i < n && b.len && (p[i] & 0xc0) == 0x80) {
        sl_buf_putc(&b, p[i]);
        i++;
    }
    const char *q = quote ? "\"" : "";
    char *s = sl_sprintf("%s%.*s%s%s", q, (int)b.len, b.data ? (char *)b.data : "", q,
                         i < n ? "..." : "");
    sl_buf_free(&b);
    return s;
}

static char *fmt_hex(const uint8_t *p, size_t n) {
    sl_buf b = {0};
    sl_buf_printf(&b, "0x");
    for (size_t i = 0; i < n && i < MAX_SHOWN / 2; i++) sl_buf_printf(&b, "%02x", p[i]);
    if (n > MAX_SHOWN / 2) sl_buf_printf(&b, "...");
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

static char *fmt_stat(const pq_rcol *c, pq_type t, const uint8_t *raw, size_t n, int64_t iv,
                      double fv) {
    size_t w = pq_out_width(c->se.phys);
    bool sized = c->se.phys == PQ_PHYS_BOOLEAN ? n >= 1 : n == w;
    switch (t) {
    case PQ_BOOLEAN: return sized ? sl_strdup(iv ? "true" : "false") : fmt_hex(raw, n);
    case PQ_INT32:
        if (!sized) return fmt_hex(raw, n);
        return c->se.logical == PQ_LT_DATE || c->se.converted == 6 ? fmt_date(iv)
                                                                   : sl_sprintf("%" PRId64, iv);
    case PQ_INT64: return sized ? sl_sprintf("%" PRId64, iv) : fmt_hex(raw, n);
    case PQ_TIMESTAMP_US: return sized ? fmt_ts(iv) : fmt_hex(raw, n);
    case PQ_FLOAT:
    case PQ_DOUBLE: return sized ? sl_sprintf("%.10g", fv) : fmt_hex(raw, n);
    case PQ_STRING: return fmt_text(raw, n, true, MAX_SHOWN);
    default: return fmt_hex(raw, n);
    }
}

static char *logical_name(const pq_rschema *s) {
    static const char *units[] = {"?", "MILLIS", "MICROS", "NANOS"};
    switch (s->logical) {
    case PQ_LT_STRING: return sl_strdup("STRING");
    case PQ_LT_MAP: return sl_strdup("MAP");
    case PQ_LT_LIST: return sl_strdup("LIST");
    case PQ_LT_ENUM: return sl_strdup("ENUM");
    case PQ_LT_DECIMAL: return sl_sprintf("DECIMAL(%d,%d)", s->precision, s->scale);
    case PQ_LT_DATE: return sl_strdup("DATE");
    case PQ_LT_TIME:
    case PQ_LT_TIMESTAMP:
        return sl_sprintf("%s(%s,%s)", s->logical == PQ_LT_TIME ? "TIME" : "TIMESTAMP",
                          units[s->unit & 3], s->utc ? "UTC" : "local");
    case PQ_LT_INTEGER:
        return sl_sprintf("INT(%d,%s)", s->bit_width, s->is_signed ? "signed" : "unsigned");
    case PQ_LT_UNKNOWN: return sl_strdup("UNKNOWN");
    case PQ_LT_JSON: return sl_strdup("JSON");
    case PQ_LT_BSON: return sl_strdup("BSON");
    case PQ_LT_UUID: return sl_strdup("UUID");
    case PQ_LT_FLOAT16: return sl_strdup("FLOAT16");
    default: break;
    }
    static const char *conv[] = {"UTF8",
                                 "MAP",
                                 "MAP_KEY_VALUE",
                                 "LIST",
                                 "ENUM",
                                 "DECIMAL",
                                 "DATE",
                                 "TIME_MILLIS",
                                 "TIME_MICROS",
                                 "TIMESTAMP_MILLIS",
                                 "TIMESTAMP_MICROS",
                                 "UINT_8",
                                 "UINT_16",
                                 "UINT_32",
                                 "UINT_64",
                                 "INT_8",
                                 "INT_16",
                                 "INT_32",
                                 "INT_64",
                                 "JSON",
                                 "BSON",
                                 "INTERVAL"};
    if (s->converted >= 0 && s->converted < (int)(sizeof conv / sizeof *conv))
        return sl_sprintf("%s (converted)", conv[s->converted]);
    return sl_strdup("-");
}

static char *encodings_str(uint32_t mask) {
    sl_buf b = {0};
    for (int e = 0; e < 32; e++)
        if (mask & (1u << e)) sl_buf_printf(&b, "%s%s", b.len ? "," : "", pq_enc_name(e));
    if (!b.len) sl_buf_printf(&b, "-");
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

static void print_schema(const pq_reader *r, FILE *out) {
    static const bool right[] = {true, false, false, false, false, false};
    table t = {.ncols = 6, .right = right};
    sl_vec_init(&t.cells, sizeof(char *));
    const char *hdr[] = {"#", "name", "physical", "logical", "repetition", "read as"};
    for (int i = 0; i < 6; i++) tab_add(&t, sl_strdup(hdr[i]));
    static const char *reps[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
    for (size_t i = 0; i < r->ncols; i++) {
        const pq_rschema *s = &r->cols[i].se;
        tab_add(&t, sl_sprintf("%zu", i));
        tab_add(&t, fmt_text((const uint8_t *)s->name, strlen(s->name), false, 64));
        tab_add(&t, sl_strdup(pq_phys_name(s->phys)));
        tab_add(&t, logical_name(s));
        tab_add(&t, sl_strdup(s->repetition >= 0 ? reps[s->repetition] : "REQUIRED"));
        tab_add(&t, sl_strdup(pq_type_name(r->defs[i].type)));
    }
    fprintf(out, "schema: %zu columns\n", r->ncols);
    tab_print(&t, out, "  ");
}

static void print_row_group(const pq_reader *r, size_t g, FILE *out) {
    const pq_rgroup *rg = &r->rgs[g];
    int64_t comp = 0;
    for (size_t i = 0; i < r->ncols; i++) comp += rg->cols[i].comp_size;
    fprintf(out,
            "\nrow group %zu: %" PRId64 " rows, %" PRId64 " bytes uncompressed, %" PRId64
            " bytes compressed\n",
            g, rg->num_rows, rg->total_bytes, rg->comp_bytes >= 0 ? rg->comp_bytes : comp);
    static const bool right[] = {false, false, false, true, true, true, true, false, false};
    table t = {.ncols = 9, .right = right};
    sl_vec_init(&t.cells, sizeof(char *));
    const char *hdr[] = {"column", "codec", "encodings", "compressed", "uncompressed",
                         "values", "nulls", "min",       "max"};
    for (int i = 0; i < 9; i++) tab_add(&t, sl_strdup(hdr[i]));
    for (size_t i = 0; i < r->ncols; i++) {
        const pq_rchunk *c = &rg->cols[i];
        pq_stats st;
        pq_reader_column_stats(r, g, i, &st);
        tab_add(&t, fmt_text((const uint8_t *)r->defs[i].name, strlen(r->defs[i].name), false, 64));
        tab_add(&t, sl_strdup(pq_codec_name_any(c->codec)));
        tab_add(&t, encodings_str(c->encodings));
        tab_add(&t, sl_sprintf("%" PRId64, c->comp_size));
        tab_add(&t, sl_sprintf("%" PRId64, c->unc_size));
        tab_add(&t, sl_sprintf("%" PRId64, c->num_values));
        tab_add(&t, st.has_null_count ? sl_sprintf("%" PRIu64, st.null_count) : sl_strdup("-"));
        if (st.has_min_max) {
            tab_add(&t, fmt_stat(&r->cols[i], st.type, st.min, st.min_len, st.min_i, st.min_f));
            tab_add(&t, fmt_stat(&r->cols[i], st.type, st.max, st.max_len, st.max_i, st.max_f));
        } else {
            tab_add(&t, sl_strdup("-"));
            tab_add(&t, sl_strdup("-"));
        }
    }
    tab_print(&t, out, "  ");
}

int pq_reader_column_info(const pq_reader *r, size_t col, pq_column_info *out) {
    if (col >= r->ncols) return -1;
    static const char *reps[] = {"REQUIRED", "OPTIONAL", "REPEATED"};
    const pq_rcol *c = &r->cols[col];
    out->physical = pq_phys_name(c->se.phys);
    out->logical = logical_name(&c->se);
    out->repetition = c->se.repetition >= 0 ? reps[c->se.repetition] : "REQUIRED";
    out->max_def = c->max_def;
    out->max_rep = c->max_rep;
    out->date = c->se.logical == PQ_LT_DATE || c->se.converted == 6;
    return 0;
}

int pq_reader_chunk_info(const pq_reader *r, size_t rg, size_t col, pq_chunk_info *out) {
    if (rg >= r->nrg || col >= r->ncols) return -1;
    const pq_rchunk *c = &r->rgs[rg].cols[col];
    out->codec = pq_codec_name_any(c->codec);
    out->encodings = c->encodings;
    out->compressed = c->comp_size > 0 ? (uint64_t)c->comp_size : 0;
    out->uncompressed = c->unc_size > 0 ? (uint64_t)c->unc_size : 0;
    out->values = c->num_values > 0 ? (uint64_t)c->num_values : 0;
    return 0;
}

int pq_inspect(const pq_reader *r, const char *name, FILE *out, sl_err *err) {
    fprintf(out, "file:        %s\n", name ? name : r->name);
    fprintf(out, "size:        %zu bytes (footer %u bytes)\n", r->len, r->footer_len);
    char *cb = fmt_text((const uint8_t *)r->created_by, strlen(r->created_by), false, 256);
    fprintf(out, "created_by:  %s\n", cb);
    free(cb);
    fprintf(out, "version:     %d\n", (int)r->version);
    fprintf(out, "rows:        %" PRId64 "\n", r->num_rows);
    fprintf(out, "row groups:  %zu\n\n", r->nrg);
    print_schema(r, out);
    for (size_t g = 0; g < r->nrg; g++) print_row_group(r, g, out);
    if (ferror(out)) return sl_err_set(err, "writing the description failed");
    return 0;
}
