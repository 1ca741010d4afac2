/* pq_interop_write: writes the files that other engines must read back.
 *
 * Usage: pq_interop_write <out-dir> [seed]
 *
 * Writes a directory of Parquet files covering every column type, REQUIRED
 * and OPTIONAL, the three encoding paths (dictionary, PLAIN, dictionary
 * falling back to PLAIN mid-chunk) under every codec, plus multi-row-group
 * files, a 0-row file and edge values (NaN, +-0, infinities, extreme
 * integers, multi-byte UTF-8, empty and >64 KiB strings, all-null columns).
 * Values derive deterministically from the seed. Beside them, manifest.json
 * lists, per file, the options used and every value each column must read
 * back as (int64 and timestamps as decimal strings, doubles as %.17g numbers
 * or "NaN"/"Infinity"/"-Infinity"). tests/parquet/interop.mjs drives it. */
#include "parquet/parquet.h"

#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static uint64_t g_seed = 20181101;

/* splitmix64 over (seed, a, b, c): a value per cell, independent of order */
static uint64_t hash4(uint64_t a, uint64_t b, uint64_t c) {
    uint64_t z = g_seed ^ (a * 0x9E3779B97F4A7C15ull) ^ (b * 0xBF58476D1CE4E5B9ull) ^
                 (c * 0x94D049BB133111EBull);
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct tcol {
    pq_column_def def;
    uint8_t *valid;
    void *vals;
} tcol;

typedef struct tfile {
    const char *name;
    pq_writer_opts opts;
    const char *mode; /* "dict", "plain", "fallback" or "any": what encoding the check expects */
    size_t nrows, ncols, batch;
    tcol cols[16];
    sl_arena strings;
} tfile;

static const char *const CHARS[] = {
    "a",  "b",  "c",  "x",  "Z", "0", " ", "-", "\xc3\xa9", "\xe4\xb8\xad", "\xf0\x9f\x98\x80",
    "\"", "\\", "\n", "\t", "/"};
static const char *const POOL[] = {"free",
                                   "paid",
                                   "",
                                   "Mozilla/5.0 (Windows NT 6.1; WOW64)",
                                   "\xc3\x89mile",
                                   "\xe4\xb8\xad\xe6\x96\x87",
                                   "\xf0\x9f\x8e\xb5 song",
                                   "NextSong",
                                   "Home",
                                   "Logout",
                                   "a\"quote",
                                   "back\\slash",
                                   "line\nbreak",
                                   "SOAXXXX12A8C13F5C2",
                                   "ARD7TVE1187B99BFB1"};
#define NPOOL (sizeof POOL / sizeof POOL[0])

static tcol *add_col(tfile *f, const char *name, pq_type type, bool nullable) {
    tcol *c = &f->cols[f->ncols++];
    c->def.name = name;
    c->def.type = type;
    c->def.nullable = nullable;
    c->valid = calloc(f->nrows + 1, 1);
    c->vals = calloc(f->nrows + 1, pq_value_size(type));
    for (size_t i = 0; i < f->nrows; i++) c->valid[i] = 1;
    return c;
}

static sl_str random_string(tfile *f, uint64_t h) {
    size_t len = h % 24, n = 0;
    char *p = sl_arena_alloc(&f->strings, len * 4 + 1);
    for (size_t k = 0; k < len; k++) {
        const char *ch = CHARS[hash4(h, k, 7) % (sizeof CHARS / sizeof CHARS[0])];
        size_t cl = strlen(ch);
        memcpy(p + n, ch, cl);
        n += cl;
    }
    return (sl_str){p, (uint32_t)n};
}

/* One cell of a generated column. `key` is the row (plain), row/3
 * (fallback: each value thrice, so the first pages dictionary-encode well
 * until the dictionary fills) or a small domain index (dict). */
static void gen_cell(tfile *f, tcol *c, size_t j, size_t row, const char *mode) {
    bool dict = !strcmp(mode, "dict");
    uint64_t key = !strcmp(mode, "fallback") ? row / 3 : row;
    uint64_t h = hash4(j, key, 1);
    if (c->def.nullable) {
        uint64_t hn = hash4(j, row, 2);
        bool null = hn % 5 == 0 || (row >= 100 && row < 160);
        c->valid[row] = !null;
    }
    switch (c->def.type) {
    case PQ_BOOLEAN: ((uint8_t *)c->vals)[row] = (uint8_t)(h >> 17 & 1); break;
    case PQ_INT32:
        ((int32_t *)c->vals)[row] = dict ? (int32_t)(h % 40) * 1000 - 20000 : (int32_t)(uint32_t)h;
        break;
    case PQ_INT64:
        ((int64_t *)c->vals)[row] = dict ? ((int64_t)(h % 50) - 25) * 1000000000007ll : (int64_t)h;
        break;
    case PQ_DOUBLE:
        ((double *)c->vals)[row] =
            dict ? ((double)(h % 30) - 15) * 0.375 : (double)((int64_t)h >> 11) / 1048576.0;
        break;
    case PQ_TIMESTAMP_US:
        ((int64_t *)c->vals)[row] = dict ? 1541000000000000ll + (int64_t)(h % 60) * 3600000000ll
                                         : 946684800000000ll + (int64_t)(h % 3155760000000000ull);
        break;
    default:
        ((sl_str *)c->vals)[row] =
            dict ? (sl_str){POOL[h % NPOOL], (uint32_t)strlen(POOL[h % NPOOL])}
                 : random_string(f, h);
    }
}

static void gen_table(tfile *f, const char *mode) {
    static const pq_type types[] = {PQ_BOOLEAN, PQ_INT32,  PQ_INT64,
                                    PQ_DOUBLE,  PQ_STRING, PQ_TIMESTAMP_US};
    static const char *const names[] = {"b_req",   "b_opt",   "i32_req", "i32_opt",
                                        "i64_req", "i64_opt", "f64_req", "f64_opt",
                                        "s_req",   "s_opt",   "ts_req",  "ts_opt"};
    for (size_t k = 0; k < 12; k++) {
        tcol *c = add_col(f, names[k], types[k / 2], k % 2 == 1);
        for (size_t r = 0; r < f->nrows; r++) gen_cell(f, c, k, r, mode);
    }
}

/* ---- the edge-value file ---------------------------------------------- */

static void fill_special(tfile *f) {
    const double dvals[] = {NAN,     -0.0,     0.0,     1.5,      -INFINITY, INFINITY,
                            DBL_MAX, -DBL_MAX, DBL_MIN, 4.9e-324, -4.9e-324, 1e308,
                            -2.5,    NAN,      3.0,     0.1};
    const double dfin[] = {NAN, 3.5, -1e-300, 2.25, 1e300, 0.0, -0.0, 7.0};
    const int32_t ivals[] = {INT32_MIN, INT32_MAX, 0, -1, 1, INT32_MIN + 1, 42, INT32_MAX - 1};
    const int64_t lvals[] = {INT64_MIN,          INT64_MAX,          0, -1, 1, INT64_MIN + 1,
                             9007199254740993ll, -9007199254740993ll};
    const int64_t tvals[] = {0,
                             -1,
                             1,
                             -2208988800000000ll,
                             6311433600000000ll,
                             1541105830796000ll,
                             1543622400000000ll,
                             253402300799999999ll};
    size_t n = f->nrows;
    tcol *a = add_col(f, "f64_mix", PQ_DOUBLE, true);
    tcol *b = add_col(f, "f64_finite", PQ_DOUBLE, false);
    tcol *nan = add_col(f, "f64_nan_only", PQ_DOUBLE, false);
    tcol *zero = add_col(f, "f64_zeros", PQ_DOUBLE, true);
    tcol *pz = add_col(f, "f64_pos_zero_min", PQ_DOUBLE, false);
    tcol *i32 = add_col(f, "i32_ext", PQ_INT32, false);
    tcol *i64 = add_col(f, "i64_ext", PQ_INT64, true);
    tcol *ts = add_col(f, "ts_ext", PQ_TIMESTAMP_US, false);
    tcol *s = add_col(f, "s_edge", PQ_STRING, true);
    tcol *sn = add_col(f, "s_all_null", PQ_STRING, true);
    tcol *bn = add_col(f, "b_all_null", PQ_BOOLEAN, true);
    tcol *bt = add_col(f, "b_true_only", PQ_BOOLEAN, false);
    size_t long_n[2] = {70000, 100003};
    sl_str longs[2];
    for (int k = 0; k < 2; k++) {
        char *p = sl_arena_alloc(&f->strings, long_n[k]);
        for (size_t i = 0; i < long_n[k]; i++) p[i] = (char)('A' + (i * 7 + (size_t)k) % 26);
        memcpy(p + 1000, "\xe4\xb8\xad\xf0\x9f\x98\x80", 7); /* multi-byte inside a long value */
        longs[k] = (sl_str){p, (uint32_t)long_n[k]};
    }
    const char *svals[] = {"",
                           "\xc3\xa9",
                           "\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97",
                           "\xf0\x9f\x98\x80 emoji",
                           "a\"b\\c\nd\te",
                           "\x7f",
                           "zzz",
                           "",
                           "\xc3\xbf\xc3\xbf",
                           "A"};
    for (size_t r = 0; r < n; r++) {
        ((double *)a->vals)[r] = dvals[r % 16];
        a->valid[r] = r % 11 != 10;
        ((double *)b->vals)[r] = dfin[r % 8];
        ((double *)nan->vals)[r] = NAN;
        ((double *)zero->vals)[r] = r % 2 ? -0.0 : 0.0;
        zero->valid[r] = r % 3 != 2;
        ((double *)pz->vals)[r] = r % 4 == 1 ? 5.0 : 0.0;
        ((int32_t *)i32->vals)[r] = ivals[r % 8];
        ((int64_t *)i64->vals)[r] = lvals[r % 8];
        i64->valid[r] = r % 9 != 4;
        ((int64_t *)ts->vals)[r] = tvals[r % 8];
        sl_str v = r % 13 == 5   ? longs[0]
                   : r % 13 == 9 ? longs[1]
                                 : (sl_str){svals[r % 10], (uint32_t)strlen(svals[r % 10])};
        ((sl_str *)s->vals)[r] = v;
        s->valid[r] = r % 7 != 6;
        sn->valid[r] = 0;
        bn->valid[r] = 0;
        ((uint8_t *)bt->vals)[r] = 1;
    }
}

/* ---- output ----------------------------------------------------------- */

static void json_double(sl_buf *b, double d) {
    if (isnan(d))
        sl_buf_printf(b, "\"NaN\"");
    else if (isinf(d))
        sl_buf_printf(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else
        sl_buf_printf(b, "%.17g", d);
}

static void json_values(sl_buf *b, const tfile *f, const tcol *c) {
    sl_buf_putc(b, '[');
    for (size_t r = 0; r < f->nrows; r++) {
        if (r) sl_buf_putc(b, ',');
        if (!c->valid[r]) {
            sl_buf_printf(b, "null");
            continue;
        }
        switch (c->def.type) {
        case PQ_BOOLEAN: sl_buf_printf(b, ((uint8_t *)c->vals)[r] ? "true" : "false"); break;
        case PQ_INT32: sl_buf_printf(b, "%d", (int)((int32_t *)c->vals)[r]); break;
        case PQ_INT64:
        case PQ_TIMESTAMP_US:
            sl_buf_printf(b, "\"%lld\"", (long long)((int64_t *)c->vals)[r]);
            break;
        case PQ_DOUBLE: json_double(b, ((double *)c->vals)[r]); break;
        default: {
            sl_str s = ((sl_str *)c->vals)[r];
            sl_buf_json_str(b, s.ptr, s.len);
        }
        }
    }
    sl_buf_putc(b, ']');
}

static int write_file(const char *dir, tfile *f, sl_buf *manifest, sl_err *err) {
    char *path = sl_sprintf("%s/%s", dir, f->name);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
    free(path);
    if (fd < 0) return sl_err_errno(err, errno, "%s/%s", dir, f->name);
    pq_column_def defs[16];
    for (size_t j = 0; j < f->ncols; j++) defs[j] = f->cols[j].def;
    pq_writer *w = pq_writer_open(defs, f->ncols, &f->opts, pq_sink_fd(fd), err);
    int rc = w ? 0 : -1;
    size_t batch = f->batch ? f->batch : 4096;
    for (size_t off = 0; rc == 0 && off < f->nrows; off += batch) {
        size_t n = f->nrows - off < batch ? f->nrows - off : batch;
        pq_column_batch b[16];
        for (size_t j = 0; j < f->ncols; j++) {
            const tcol *c = &f->cols[j];
            b[j].valid = c->valid + off;
            b[j].v.b = (const uint8_t *)c->vals + off * pq_value_size(c->def.type);
            b[j].stable = false;
        }
        rc = pq_writer_write(w, b, n, err);
    }
    pq_file_info info = {0};
    if (w) {
        if (rc == 0)
            rc = pq_writer_close(w, &info, err);
        else
            pq_writer_abort(w);
    }
    close(fd);
    if (rc < 0) return sl_err_prefix(err, "%s", f->name);

    if (manifest->len > 1) sl_buf_putc(manifest, ',');
    sl_buf_printf(manifest,
                  "\n{\"file\":\"%s\",\"codec\":\"%s\",\"mode\":\"%s\",\"rows\":%zu,"
                  "\"row_group_rows\":%zu,\"row_group_bytes\":%zu,\"row_groups\":%u,\"columns\":[",
                  f->name, pq_codec_name(f->opts.codec), f->mode, f->nrows, f->opts.row_group_rows,
                  f->opts.row_group_bytes, info.row_groups);
    for (size_t j = 0; j < f->ncols; j++) {
        const tcol *c = &f->cols[j];
        sl_buf_printf(manifest, "%s\n {\"name\":\"%s\",\"type\":\"%s\",\"nullable\":%s,\"values\":",
                      j ? "," : "", c->def.name, pq_type_name(c->def.type),
                      c->def.nullable ? "true" : "false");
        json_values(manifest, f, c);
        sl_buf_putc(manifest, '}');
    }
    sl_buf_printf(manifest, "]}");
    return 0;
}

static void free_file(tfile *f) {
    for (size_t j = 0; j < f->ncols; j++) {
        free(f->cols[j].valid);
        free(f->cols[j].vals);
    }
    sl_arena_free(&f->strings);
}

static void init_file(tfile *f, const char *name, const char *mode, pq_codec codec, size_t nrows) {
    memset(f, 0, sizeof *f);
    f->name = name;
    f->mode = mode;
    f->nrows = nrows;
    pq_writer_opts_default(&f->opts);
    f->opts.codec = codec;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: pq_interop_write <out-dir> [seed]\n");
        return 2;
    }
    if (argc > 2) g_seed = strtoull(argv[2], NULL, 10);
    const char *dir = argv[1];
    static const pq_codec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_ZSTD,
                                      PQ_CODEC_GZIP};
    static const char *const modes[] = {"dict", "plain", "fallback"};
    sl_buf manifest = {0};
    sl_buf_printf(&manifest, "[");
    sl_err err;
    int rc = 0;
    char names[12][64];
    for (int m = 0; m < 3 && rc == 0; m++) {
        for (int k = 0; k < 4 && rc == 0; k++) {
            tfile f;
            snprintf(names[m * 4 + k], sizeof names[0], "%s_%s.parquet", modes[m],
                     pq_codec_name(codecs[k]));
            init_file(&f, names[m * 4 + k], modes[m], codecs[k], 5000);
            if (m == 0) f.opts.page_bytes = 1024;
            if (m == 1) f.opts.no_dictionary = true;
            if (m == 2) {
                f.opts.page_bytes = 256;
                f.opts.dict_max_bytes = 2048;
            }
            f.opts.row_group_rows = 3000;
            gen_table(&f, modes[m]);
            rc = write_file(dir, &f, &manifest, &err);
            free_file(&f);
        }
    }
    /* row groups bounded by rows, in uneven batches and one row at a time:
     * both files must be the same bytes */
    for (int k = 0; k < 2 && rc == 0; k++) {
        tfile f;
        init_file(&f, k ? "rg_rows_batch1.parquet" : "rg_rows.parquet", "any", PQ_CODEC_SNAPPY,
                  10000);
        f.opts.row_group_rows = 1000;
        f.batch = k ? 1 : 777;
        gen_table(&f, "dict");
        rc = write_file(dir, &f, &manifest, &err);
        free_file(&f);
    }
    if (rc == 0) { /* row groups bounded by bytes */
        tfile f;
        init_file(&f, "rg_bytes.parquet", "plain", PQ_CODEC_ZSTD, 20000);
        f.opts.row_group_bytes = 256 * 1024;
        f.opts.no_dictionary = true;
        gen_table(&f, "plain");
        rc = write_file(dir, &f, &manifest, &err);
        free_file(&f);
    }
    if (rc == 0) {
        tfile f;
        init_file(&f, "zero_rows.parquet", "any", PQ_CODEC_SNAPPY, 0);
        gen_table(&f, "plain");
        rc = write_file(dir, &f, &manifest, &err);
        free_file(&f);
    }
    for (int k = 0; k < 2 && rc == 0; k++) {
        tfile f;
        init_file(&f, k ? "special_plain.parquet" : "special.parquet", k ? "plain" : "any",
                  k ? PQ_CODEC_GZIP : PQ_CODEC_ZSTD, 64);
        f.opts.no_dictionary = k == 1;
        fill_special(&f);
        rc = write_file(dir, &f, &manifest, &err);
        free_file(&f);
    }
    if (rc == 0) {
        sl_buf_printf(&manifest, "\n]\n");
        char *path = sl_sprintf("%s/manifest.json", dir);
        int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
        rc = fd < 0 ? sl_err_errno(&err, errno, "%s", path)
                    : sl_write_all(fd, manifest.data, manifest.len, &err);
        if (fd >= 0) close(fd);
        free(path);
    }
    sl_buf_free(&manifest);
    if (rc < 0) {
        fprintf(stderr, "pq_interop_write: %s\n", err.msg);
        return 1;
    }
    return 0;
}
