/* delta_write: the JSON of a version (commitInfo, protocol, metaData, add,
 * remove, txn), per-file statistics, and committing a version only if its
 * name is free. Layout as Spark's Delta writer emits it, so every reader
 * that reads Spark's tables reads these. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "delta/delta_internal.h"

void delta_log_name(int64_t version, const char *suffix, char out[64]) {
    snprintf(out, 64, "_delta_log/%020lld%s", (long long)version, suffix);
}

void delta_path_encode(sl_buf *b, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        unsigned c = *p;
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    strchr("-_.~!*'()=/", (int)c);
        if (keep) {
            sl_buf_putc(b, (uint8_t)c);
        } else {
            uint8_t e[3] = {'%', (uint8_t)hex[c >> 4], (uint8_t)hex[c & 15]};
            sl_buf_append(b, e, 3);
        }
    }
}

static const char *spark_type(pq_type t) {
    switch (t) {
    case PQ_BOOLEAN: return "boolean";
    case PQ_INT32: return "integer";
    case PQ_INT64: return "long";
    case PQ_DOUBLE: return "double";
    case PQ_STRING: return "string";
    case PQ_TIMESTAMP_US: return "timestamp";
    case PQ_FLOAT: return "float";
    case PQ_BYTE_ARRAY: return "binary";
    default: return NULL;
    }
}

int delta_schema_string(const delta_schema *s, sl_buf *out, sl_err *err) {
    for (size_t k = 0; k < s->npartition; k++) {
        bool found = false;
        for (size_t j = 0; j < s->ncols && !found; j++)
            found = !strcmp(s->cols[j].name, s->partition_cols[k]);
        if (!found)
            return sl_err_set(err, "delta: partition column %s is not in the schema",
                              s->partition_cols[k]);
    }
    sl_buf_printf(out, "{\"type\":\"struct\",\"fields\":[");
    for (size_t j = 0; j < s->ncols; j++) {
        const char *t = spark_type(s->cols[j].type);
        if (!t)
            return sl_err_set(err, "delta: column %s: type %s has no Delta type", s->cols[j].name,
                              pq_type_name(s->cols[j].type));
        if (j) sl_buf_putc(out, ',');
        sl_buf_printf(out, "{\"name\":");
        sl_buf_json_str(out, s->cols[j].name, strlen(s->cols[j].name));
        sl_buf_printf(out, ",\"type\":\"%s\",\"nullable\":%s,\"metadata\":{}}", t,
                      s->cols[j].nullable ? "true" : "false");
    }
    sl_buf_printf(out, "]}");
    return 0;
}

/* ---- statistics ------------------------------------------------------- */

#define DELTA_STRING_PREFIX 32 /* characters, Spark's dataSkippingStringPrefixLength */

/* Bytes of the first `chars` UTF-8 characters of s (all of it if shorter). */
static size_t utf8_prefix(const char *s, size_t n, size_t chars) {
    size_t i = 0;
    for (size_t k = 0; k < chars && i < n; k++) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    }
    return i;
}

static void put_double(sl_buf *b, double v) {
    char t[40];
    for (int prec = 15; prec <= 17; prec++) { /* the shortest that reads back */
        snprintf(t, sizeof t, "%.*g", prec, v);
        if (strtod(t, NULL) == v) break;
    }
    if (!strpbrk(t, ".eEn")) strcat(t, ".0");
    if (v == 0 && signbit(v)) strcpy(t, "-0.0");
    sl_buf_printf(b, "%s", t);
}

static void put_timestamp_ms(sl_buf *b, int64_t ms) {
    int64_t secs = ms / 1000, rem = ms % 1000;
    if (rem < 0) rem += 1000, secs--;
    time_t tt = (time_t)secs;
    struct tm tm;
    gmtime_r(&tt, &tm);
    sl_buf_printf(b, "\"%04d-%02d-%02dT%02d:%02d:%02d.%03dZ\"", tm.tm_year + 1900, tm.tm_mon + 1,
                  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)rem);
}

static int64_t floor_div(int64_t a, int64_t b) {
    int64_t q = a / b;
    return a % b < 0 ? q - 1 : q;
}

/* Appends "name":bound for a column that has one; false when it has none. */
static bool put_bound(sl_buf *b, const pq_column_def *c, const pq_col_stats *s, bool max,
                      bool comma) {
    if (!s->has_min_max || c->type == PQ_BOOLEAN) return false;
    if (c->type == PQ_DOUBLE && (s->has_nan || isinf(max ? s->max_f : s->min_f))) return false;
    sl_buf text = {0};
    bool ok = true;
    switch (c->type) {
    case PQ_INT32:
    case PQ_INT64: sl_buf_printf(&text, "%lld", (long long)(max ? s->max_i : s->min_i)); break;
    case PQ_DOUBLE: put_double(&text, max ? s->max_f : s->min_f); break;
    case PQ_TIMESTAMP_US: {
        int64_t us = max ? s->max_i : s->min_i, ms = floor_div(us, 1000);
        if (max && ms * 1000 != us) ms++;
        put_timestamp_ms(&text, ms);
        break;
    }
    case PQ_STRING: {
        const char *v = max ? s->max_s.ptr : s->min_s.ptr;
        size_t n = max ? s->max_s.len : s->min_s.len, cut = utf8_prefix(v, n, DELTA_STRING_PREFIX);
        if (cut == n || !max) {
            sl_buf_json_str(&text, v, cut);
            break;
        }
        /* max cut: the prefix, then a character above the next one (U+007F
         * if it is ASCII below that, else U+10FFFF, which must then be
         * skipped over: nothing is above it); up to 64 characters */
        size_t lim = utf8_prefix(v, n, 2 * DELTA_STRING_PREFIX);
        while (cut < lim && (unsigned char)v[cut] == 0xF4 && cut + 3 < n &&
               (unsigned char)v[cut + 1] == 0x8F && (unsigned char)v[cut + 2] == 0xBF &&
               (unsigned char)v[cut + 3] == 0xBF)
            cut += 4;
        if (cut >= n) {
            sl_buf_json_str(&text, v, n);
        } else if (cut >= lim) {
            ok = false;
        } else {
            sl_buf tb = {0};
            sl_buf_append(&tb, v, cut);
            if ((unsigned char)v[cut] < 0x7F)
                sl_buf_putc(&tb, 0x7F);
            else
                sl_buf_append(&tb, "\xF4\x8F\xBF\xBF", 4);
            sl_buf_json_str(&text, (const char *)tb.data, tb.len);
            sl_buf_free(&tb);
        }
        break;
    }
    default: ok = false;
    }
    if (ok) {
        if (comma) sl_buf_putc(b, ',');
        sl_buf_json_str(b, c->name, strlen(c->name));
        sl_buf_putc(b, ':');
        sl_buf_append(b, text.data, text.len);
    }
    sl_buf_free(&text);
    return ok;
}

void delta_stats_json(const pq_column_def *cols, const pq_file_stats *st, uint64_t rows,
                      sl_buf *out) {
    sl_buf_printf(out, "{\"numRecords\":%llu", (unsigned long long)rows);
    for (int which = 0; which < 2; which++) {
        sl_buf_printf(out, which ? ",\"maxValues\":{" : ",\"minValues\":{");
        bool any = false;
        for (size_t j = 0; j < st->ncols; j++)
            if (put_bound(out, &cols[j], &st->cols[j], which == 1, any)) any = true;
        sl_buf_putc(out, '}');
    }
    sl_buf_printf(out, ",\"nullCount\":{");
    for (size_t j = 0; j < st->ncols; j++) {
        if (j) sl_buf_putc(out, ',');
        sl_buf_json_str(out, cols[j].name, strlen(cols[j].name));
        sl_buf_printf(out, ":%llu", (unsigned long long)st->cols[j].null_count);
    }
    sl_buf_printf(out, "}}");
}

/* ---- a version ---------------------------------------------------------- */

static void put_key(sl_buf *b, const char *k) {
    sl_buf_json_str(b, k, strlen(k));
    sl_buf_putc(b, ':');
}

static void put_str_or_null(sl_buf *b, const char *s) {
    if (s)
        sl_buf_json_str(b, s, strlen(s));
    else
        sl_buf_printf(b, "null");
}

static void put_partition_values(sl_buf *b, char *const *names, size_t n, const char *const *vals) {
    sl_buf_printf(b, "\"partitionValues\":{");
    for (size_t k = 0; k < n; k++) {
        if (k) sl_buf_putc(b, ',');
        put_key(b, names[k]);
        put_str_or_null(b, vals ? vals[k] : NULL);
    }
    sl_buf_putc(b, '}');
}

static void put_path(sl_buf *b, const char *path) {
    sl_buf enc = {0};
    delta_path_encode(&enc, path);
    sl_buf_printf(b, "\"path\":");
    sl_buf_json_str(b, (const char *)enc.data, enc.len);
    sl_buf_free(&enc);
}

/* A table id made from the schema: the same table gets the same id. */
static void derived_id(const char *schema, char out[37]) {
    uint64_t a = sl_hash(schema, strlen(schema));
    char salted[64];
    snprintf(salted, sizeof salted, "songlake-table-%016llx", (unsigned long long)a);
    uint64_t b = sl_hash(salted, strlen(salted));
    snprintf(out, 37, "%08x-%04x-8%03x-%04x-%012llx", (unsigned)(a >> 32),
             (unsigned)(a >> 16) & 0xFFFF, (unsigned)a & 0xFFF,
             (unsigned)((b >> 48) & 0x3FFF) | 0x8000, (unsigned long long)(b & 0xFFFFFFFFFFFFull));
}

void delta_add_json(sl_buf *b, char *const *pcols, size_t npart, const char *path,
                    const char *const *pvals, uint64_t size, int64_t mtime, const char *stats,
                    bool data_change) {
    sl_buf_printf(b, "{\"add\":{");
    put_path(b, path);
    sl_buf_putc(b, ',');
    put_partition_values(b, pcols, npart, pvals);
    sl_buf_printf(b, ",\"size\":%llu,\"modificationTime\":%lld,\"dataChange\":%s",
                  (unsigned long long)size, (long long)mtime, data_change ? "true" : "false");
    if (stats) {
        sl_buf_printf(b, ",\"stats\":");
        sl_buf_json_str(b, stats, strlen(stats));
    }
    sl_buf_printf(b, "}}\n");
}

static void remove_json(sl_buf *b, const delta_snapshot *prev, const delta_file *f, int64_t ts) {
    sl_buf_printf(b, "{\"remove\":{");
    put_path(b, f->path);
    sl_buf_printf(b,
                  ",\"deletionTimestamp\":%lld,\"dataChange\":true,\"extendedFileMetadata\":true,",
                  (long long)ts);
    put_partition_values(b, prev->partition_cols, prev->npartition,
                         (const char *const *)f->partition_values);
    sl_buf_printf(b, ",\"size\":%llu", (unsigned long long)f->size);
    if (f->stats) {
        sl_buf_printf(b, ",\"stats\":");
        sl_buf_json_str(b, f->stats, strlen(f->stats));
    }
    sl_buf_printf(b, "}}\n");
}

int delta_commit_json(const delta_schema *schema, const delta_snapshot *prev, const delta_commit *c,
                      sl_buf *out, sl_err *err) {
    int64_t version = prev->version + 1;
    int64_t ts = c->timestamp ? c->timestamp : sl_epoch_ms();
    const char *op = c->operation ? c->operation : "WRITE";
    bool restore = !strcmp(op, "RESTORE");
    /* the partition columns: version 0's from the schema, later ones the table's */
    char **pcols;
    size_t npart;
    sl_buf sch = {0};
    char *owned_cols[64];
    if (version == 0) {
        if (!schema) return sl_err_set(err, "delta: version 0 needs the table's schema");
        if (schema->npartition > 64) return sl_err_set(err, "delta: too many partition columns");
        if (delta_schema_string(schema, &sch, err) < 0) {
            sl_buf_free(&sch);
            return -1;
        }
        for (size_t k = 0; k < schema->npartition; k++)
            owned_cols[k] = (char *)schema->partition_cols[k];
        pcols = owned_cols;
        npart = schema->npartition;
    } else {
        pcols = prev->partition_cols;
        npart = prev->npartition;
    }
    /* which files of prev go */
    size_t nrem = 0;
    const delta_file **rem = NULL;
    if (version > 0 && (c->remove_all || c->nremoves)) {
        rem = sl_calloc(prev->nfiles + 1, sizeof *rem);
        if (c->remove_all) {
            for (size_t i = 0; i < prev->nfiles; i++) rem[nrem++] = &prev->files[i];
        } else {
            for (size_t i = 0; i < c->nremoves; i++) {
                const delta_file *f = delta_snapshot_find(prev, c->removes[i]);
                if (!f) {
                    free(rem);
                    sl_buf_free(&sch);
                    return sl_err_set(err, "delta: version %lld has no file %s to remove",
                                      (long long)prev->version, c->removes[i]);
                }
                rem[nrem++] = f;
            }
        }
    }
    uint64_t rows = 0, bytes = 0, rem_bytes = 0;
    for (size_t i = 0; i < c->nadds; i++) rows += c->adds[i].rows, bytes += c->adds[i].size;
    for (size_t i = 0; i < nrem; i++) rem_bytes += rem[i]->size;

    /* commitInfo first, as Spark (and in-commit timestamps) put it */
    sl_buf_printf(out, "{\"commitInfo\":{\"timestamp\":%lld,\"operation\":", (long long)ts);
    sl_buf_json_str(out, op, strlen(op));
    sl_buf_printf(out, ",\"operationParameters\":{");
    if (restore) {
        sl_buf_printf(out, "\"version\":%lld,\"timestamp\":null", (long long)c->restore_version);
    } else {
        const char *mode = c->mode ? c->mode : "Append";
        sl_buf_printf(out, "\"mode\":");
        sl_buf_json_str(out, mode, strlen(mode));
        sl_buf_printf(out, ",\"partitionBy\":");
        sl_buf pb = {0};
        sl_buf_putc(&pb, '[');
        for (size_t k = 0; k < npart; k++) {
            if (k) sl_buf_putc(&pb, ',');
            sl_buf_json_str(&pb, pcols[k], strlen(pcols[k]));
        }
        sl_buf_putc(&pb, ']');
        sl_buf_json_str(out, (const char *)pb.data, pb.len);
        sl_buf_free(&pb);
    }
    sl_buf_putc(out, '}');
    if (version > 0) sl_buf_printf(out, ",\"readVersion\":%lld", (long long)prev->version);
    sl_buf_printf(out, ",\"isolationLevel\":\"Serializable\",\"isBlindAppend\":%s",
                  !restore && nrem == 0 ? "true" : "false");
    if (restore)
        sl_buf_printf(out,
                      ",\"operationMetrics\":{\"numRestoredFiles\":\"%zu\",\"restoredFilesSize\":"
                      "\"%llu\",\"numRemovedFiles\":\"%zu\",\"removedFilesSize\":\"%llu\"}",
                      c->nadds, (unsigned long long)bytes, nrem, (unsigned long long)rem_bytes);
    else
        sl_buf_printf(out,
                      ",\"operationMetrics\":{\"numFiles\":\"%zu\",\"numOutputRows\":\"%llu\","
                      "\"numOutputBytes\":\"%llu\",\"numRemovedFiles\":\"%zu\"}",
                      c->nadds, (unsigned long long)rows, (unsigned long long)bytes, nrem);
    sl_buf_printf(out, ",\"engineInfo\":\"songlake/%s\"", SONGLAKE_VERSION);
    if (c->run_id) {
        sl_buf_printf(out, ",\"runId\":");
        sl_buf_json_str(out, c->run_id, strlen(c->run_id));
    }
    sl_buf_printf(out, "}}\n");

    if (version == 0) {
        sl_buf_printf(out, "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n");
        char id[37];
        if (!c->table_id) derived_id((const char *)sch.data, id);
        const char *tid = c->table_id ? c->table_id : id;
        sl_buf_printf(out, "{\"metaData\":{\"id\":");
        sl_buf_json_str(out, tid, strlen(tid));
        sl_buf_printf(out,
                      ",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":");
        sl_buf_json_str(out, (const char *)sch.data, sch.len);
        sl_buf_printf(out, ",\"partitionColumns\":[");
        for (size_t k = 0; k < npart; k++) {
            if (k) sl_buf_putc(out, ',');
            sl_buf_json_str(out, pcols[k], strlen(pcols[k]));
        }
        sl_buf_printf(out, "],\"configuration\":{},\"createdTime\":%lld}}\n", (long long)ts);
    }
    for (size_t i = 0; i < c->nadds; i++) {
        const delta_add *a = &c->adds[i];
        delta_add_json(out, pcols, npart, a->path, a->partition_values, a->size,
                       a->modification_time, a->stats, true);
    }
    for (size_t i = 0; i < nrem; i++) remove_json(out, prev, rem[i], ts);
    if (c->txn_version >= 0) {
        const char *app = c->app_id ? c->app_id : "songlake";
        sl_buf_printf(out, "{\"txn\":{\"appId\":");
        sl_buf_json_str(out, app, strlen(app));
        sl_buf_printf(out, ",\"version\":%lld,\"lastUpdated\":%lld}}\n", (long long)c->txn_version,
                      (long long)ts);
    }
    free(rem);
    sl_buf_free(&sch);
    return 0;
}

static char *join_uri(const char *table, const char *rel) {
    size_t n = strlen(table);
    return sl_sprintf("%s%s%s", table, n && table[n - 1] == '/' ? "" : "/", rel);
}

int delta_commit_version(const char *table_uri, const io_config *cfg, const delta_schema *schema,
                         const delta_snapshot *prev, const delta_commit *c, int64_t *version,
                         sl_err *err) {
    sl_buf json = {0};
    if (delta_commit_json(schema, prev, c, &json, err) < 0) {
        sl_buf_free(&json);
        return -1;
    }
    int64_t v = prev->version + 1;
    char rel[64];
    delta_log_name(v, ".json", rel);
    char *uri = join_uri(table_uri, rel);
    int rc = io_create_if_absent(uri, cfg, json.data, json.len, err);
    if (rc == IO_EXISTS)
        rc = sl_err_set(err, "%s: another writer committed version %lld first", uri, (long long)v),
        rc = DELTA_TAKEN;
    free(uri);
    sl_buf_free(&json);
    if (rc != DELTA_COMMITTED) return rc;
    if (version) *version = v;
    if (v > 0 && v % DELTA_CHECKPOINT_INTERVAL == 0) {
        delta_snapshot s;
        if (delta_snapshot_load(table_uri, cfg, v, &s, err) < 0)
            return sl_err_prefix(err, "version %lld committed, but its checkpoint", (long long)v);
        int cr = delta_checkpoint_write(table_uri, cfg, &s, err);
        delta_snapshot_free(&s);
        if (cr < 0)
            return sl_err_prefix(err, "version %lld committed, but its checkpoint", (long long)v);
    }
    return DELTA_COMMITTED;
}

int delta_restore(const char *table_uri, const io_config *cfg, const delta_snapshot *cur,
                  int64_t target, const char *run_id, int64_t txn_version, int64_t timestamp,
                  int64_t *version, sl_err *err) {
    delta_snapshot t;
    if (target < 0 || target > cur->version)
        return sl_err_set(err, "delta: cannot restore version %lld of a table at version %lld",
                          (long long)target, (long long)cur->version);
    if (delta_snapshot_load(table_uri, cfg, target, &t, err) < 0) return -1;
    delta_add *adds = sl_calloc(t.nfiles + 1, sizeof *adds);
    const char **rems = sl_calloc(cur->nfiles + 1, sizeof *rems);
    size_t na = 0, nr = 0;
    for (size_t i = 0; i < t.nfiles; i++) {
        const delta_file *f = &t.files[i];
        if (delta_snapshot_find(cur, f->path)) continue;
        adds[na++] = (delta_add){.path = f->path,
                                 .partition_values = (const char *const *)f->partition_values,
                                 .size = f->size,
                                 .modification_time = f->modification_time,
                                 .stats = f->stats};
    }
    for (size_t i = 0; i < cur->nfiles; i++)
        if (!delta_snapshot_find(&t, cur->files[i].path)) rems[nr++] = cur->files[i].path;
    delta_commit c = {.operation = "RESTORE",
                      .run_id = run_id,
                      .txn_version = txn_version,
                      .timestamp = timestamp,
                      .adds = adds,
                      .nadds = na,
                      .removes = rems,
                      .nremoves = nr,
                      .restore_version = target};
    int rc = delta_commit_version(table_uri, cfg, NULL, cur, &c, version, err);
    free(adds);
    free(rems);
    delta_snapshot_free(&t);
    return rc;
}
