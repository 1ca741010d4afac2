/* lake: table schemas, per-partition Parquet writers, rejects, manifests and
 * publishing. Rows arrive as C structs (lake.h) and are gathered column-wise
 * in a small batch (colset) before going to the Parquet writer, which keeps
 * at most one row group per open file. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delta/delta.h"
#include "lake/lake_internal.h"

/* ---- schemas (SPEC section 2; partition columns are path-only) -------- */
static const pq_column_def SONGPLAYS_COLS[] = {
    {"songplayId", PQ_INT64, false},        {"user_id", PQ_INT64, true},
    {"start_time", PQ_TIMESTAMP_US, false}, {"level", PQ_STRING, true},
    {"song_id", PQ_STRING, true},           {"artist_id", PQ_STRING, true},
    {"sessionId", PQ_INT64, true},          {"userAgent", PQ_STRING, true},
};
static const pq_column_def USERS_COLS[] = {
    {"userId", PQ_INT64, false}, {"firstName", PQ_STRING, true}, {"lastName", PQ_STRING, true},
    {"gender", PQ_STRING, true}, {"level", PQ_STRING, true},
};
static const pq_column_def SONGS_COLS[] = {
    {"title", PQ_STRING, true},
    {"duration", PQ_DOUBLE, true},
    {"song_id", PQ_STRING, false},
};
static const pq_column_def ARTISTS_COLS[] = {
    {"artist_id", PQ_STRING, false},       {"artist_name", PQ_STRING, true},
    {"artist_location", PQ_STRING, true},  {"artist_latitude", PQ_DOUBLE, true},
    {"artist_longitude", PQ_DOUBLE, true},
};
static const pq_column_def TIME_COLS[] = {
    {"timestamp", PQ_TIMESTAMP_US, false},
    {"hour", PQ_INT32, true},
    {"day", PQ_INT32, true},
    {"week", PQ_INT32, true},
    {"weekday", PQ_INT32, true},
};

static const struct {
    const char *name;
    const pq_column_def *cols;
    size_t ncols;
} TABLES[LAKE_NTABLES] = {
    [LAKE_SONGPLAYS] = {"songplays", SONGPLAYS_COLS,
                        sizeof SONGPLAYS_COLS / sizeof SONGPLAYS_COLS[0]},
    [LAKE_USERS] = {"users", USERS_COLS, sizeof USERS_COLS / sizeof USERS_COLS[0]},
    [LAKE_SONGS] = {"songs", SONGS_COLS, sizeof SONGS_COLS / sizeof SONGS_COLS[0]},
    [LAKE_ARTISTS] = {"artists", ARTISTS_COLS, sizeof ARTISTS_COLS / sizeof ARTISTS_COLS[0]},
    [LAKE_TIME] = {"time", TIME_COLS, sizeof TIME_COLS / sizeof TIME_COLS[0]},
};

const pq_column_def *lake_table_cols(int table, size_t *ncols) {
    *ncols = TABLES[table].ncols;
    return TABLES[table].cols;
}

const char *lake_table_name(int table) {
    return table >= 0 && table < LAKE_NTABLES ? TABLES[table].name : "?";
}

static size_t type_width(pq_type t) {
    switch (t) {
    case PQ_BOOLEAN: return 1;
    case PQ_INT32: return 4;
    case PQ_STRING: return sizeof(sl_str);
    default: return 8;
    }
}

static void colset_init(colset *cs, const pq_column_def *defs, size_t ncols) {
    memset(cs, 0, sizeof *cs);
    cs->defs = defs;
    cs->ncols = ncols;
    cs->cap = 64;
    for (size_t c = 0; c < ncols; c++) {
        cs->vals[c] = sl_malloc(cs->cap * type_width(defs[c].type));
        cs->valid[c] = sl_malloc(cs->cap);
    }
}

static void colset_grow(colset *cs) {
    cs->cap = cs->cap * 2 < BATCH_ROWS ? cs->cap * 2 : BATCH_ROWS;
    for (size_t c = 0; c < cs->ncols; c++) {
        cs->vals[c] = sl_realloc(cs->vals[c], cs->cap * type_width(cs->defs[c].type));
        cs->valid[c] = sl_realloc(cs->valid[c], cs->cap);
    }
}

static void colset_free(colset *cs) {
    for (size_t c = 0; c < cs->ncols; c++) {
        free(cs->vals[c]);
        free(cs->valid[c]);
    }
    sl_arena_free(&cs->strings);
}

static int colset_flush(colset *cs, pq_writer *pw, sl_err *err) {
    if (!cs->n) return 0;
    pq_column_batch b[8];
    for (size_t c = 0; c < cs->ncols; c++) {
        b[c].valid = cs->defs[c].nullable ? cs->valid[c] : NULL;
        b[c].v.b = cs->vals[c];
        b[c].stable = false;
    }
    int rc = pq_writer_write(pw, b, cs->n, err);
    cs->n = 0;
    sl_arena_free(&cs->strings);
    return rc;
}

static void sp_scratch_reserve(sp_scratch *sc, size_t n) {
    if (n <= sc->cap) return;
    for (int k = 0; k < 4; k++) {
        sc->i64[k] = sl_realloc(sc->i64[k], n * sizeof(int64_t));
        sc->str[k] = sl_realloc(sc->str[k], n * sizeof(sl_str));
    }
    for (int k = 0; k < 6; k++) sc->ok[k] = sl_realloc(sc->ok[k], n);
    sc->cap = n;
}

static void sp_scratch_free(sp_scratch *sc) {
    for (int k = 0; k < 4; k++) {
        free(sc->i64[k]);
        free(sc->str[k]);
    }
    for (int k = 0; k < 6; k++) free(sc->ok[k]);
}

static const char *codec_ext(pq_codec c) {
    switch (c) {
    case PQ_CODEC_SNAPPY: return ".snappy.parquet";
    case PQ_CODEC_ZSTD: return ".zstd.parquet";
    case PQ_CODEC_GZIP: return ".gz.parquet";
    default: return ".parquet";
    }
}

static int sink_write(void *ctx, const void *buf, size_t len, sl_err *err) {
    return io_writer_write(ctx, buf, len, err);
}

/* Opens file number seq (0 = part-00000.<codec>.parquet, then -c001...) of
 * a partition directory. */
static int part_open_seq(lake *lk, int table, part *p, const char *dir, uint32_t seq, sl_err *err) {
    memset(p, 0, sizeof *p);
    p->dir = sl_strdup(dir);
    char cnum[16] = "";
    if (seq) snprintf(cnum, sizeof cnum, "-c%03u", (unsigned)seq);
    char *rel = sl_sprintf("%s%s%s%s%s", dir, *dir ? "/" : "", lk->opts.part_prefix, cnum,
                           codec_ext(lk->opts.codec));
    p->iow = io_stage_create(lk->t[table].stage, rel, err);
    if (!p->iow) {
        sl_err_prefix(err, "%s/%s", TABLES[table].name, rel);
        free(rel);
        return -1;
    }
    free(rel);
    pq_sink sink = {sink_write, p->iow};
    p->pw = pq_writer_open(TABLES[table].cols, TABLES[table].ncols, &lk->pqo, sink, err);
    if (!p->pw) return -1;
    colset_init(&p->cs, TABLES[table].cols, TABLES[table].ncols);
    p->table = table;
    p->want_stats = lk->opts.delta; /* delta */
    return 0;
}

int lake_part_open(lake *lk, int table, part *p, const char *dir, sl_err *err) {
    return part_open_seq(lk, table, p, dir, 0, err);
}

void lake_part_discard(part *p) {
    if (p->pw) pq_writer_abort(p->pw);
    if (p->iow) io_writer_abort(p->iow);
    colset_free(&p->cs);
    free(p->dir);
    memset(p, 0, sizeof *p);
}

/* Closes p's Parquet writer and file (no shared state: callable from
 * several threads at once on different parts). Frees p either way. */
int lake_part_finish(part *p, closed_file *out, sl_err *err) {
    pq_file_info info;
    int rc = -1;
    char *stats = NULL;
    if (colset_flush(&p->cs, p->pw, err) < 0) goto done;
    pq_writer *pw = p->pw;
    p->pw = NULL;
    if (p->want_stats) { /* delta: the add action's exact stats */
        pq_file_stats fst;
        if (pq_writer_close_stats(pw, &info, &fst, err) < 0) goto done;
        sl_buf sb = {0};
        delta_stats_json(TABLES[p->table].cols, &fst, info.rows, &sb);
        sl_buf_putc(&sb, 0);
        stats = (char *)sb.data;
        pq_file_stats_free(&fst);
    } else if (pq_writer_close(pw, &info, err) < 0)
        goto done;
    char *name = sl_strdup(io_writer_name(p->iow));
    uint64_t bytes = 0;
    io_writer *iow = p->iow;
    p->iow = NULL;
    if (io_writer_close(iow, &bytes, err) < 0) {
        free(name);
        goto done;
    }
    *out = (closed_file){name, info.rows, bytes, stats};
    stats = NULL;
    rc = 0;
done:
    free(stats);
    lake_part_discard(p);
    return rc;
}

/* Adds a closed file to its table's manifest and stats; frees f->name. */
void lake_manifest_add(lake *lk, int table, closed_file *f) {
    table_state *ts = &lk->t[table];
    if (ts->manifest.len) sl_buf_putc(&ts->manifest, ',');
    sl_buf_append(&ts->manifest, "{\"path\":", 8);
    sl_buf_json_str(&ts->manifest, f->name, strlen(f->name));
    sl_buf_printf(&ts->manifest, ",\"rows\":%llu,\"bytes\":%llu", (unsigned long long)f->rows,
                  (unsigned long long)f->bytes);
    if (f->stats) { /* delta */
        sl_buf_append(&ts->manifest, ",\"stats\":", 9);
        sl_buf_json_str(&ts->manifest, f->stats, strlen(f->stats));
        free(f->stats);
        f->stats = NULL;
    }
    sl_buf_putc(&ts->manifest, '}');
    ts->stats.rows += f->rows;
    ts->stats.files++;
    ts->stats.bytes += f->bytes;
    free(f->name);
    f->name = NULL;
}

int lake_part_close(lake *lk, int table, part *p, sl_err *err) {
    closed_file f;
    if (lake_part_finish(p, &f, err) < 0) return sl_err_prefix(err, "%s", TABLES[table].name);
    lake_manifest_add(lk, table, &f);
    return 0;
}

int lake_part_row_done(part *p, sl_err *err) {
    p->rows++;
    if (++p->cs.n == BATCH_ROWS) return colset_flush(&p->cs, p->pw, err);
    if (p->cs.n == p->cs.cap) colset_grow(&p->cs);
    return 0;
}

/* ---- open / close ---------------------------------------------------- */
lake *lake_open(io_store *store, const lake_opts *opts, sl_err *err) {
    lake *lk = sl_calloc(1, sizeof *lk);
    lk->store = store;
    lk->opts = *opts;
    if (!lk->opts.part_prefix) lk->opts.part_prefix = "part-00000";
    pq_writer_opts_default(&lk->pqo);
    lk->pqo.codec = opts->codec;
    if (opts->row_group_rows) lk->pqo.row_group_rows = opts->row_group_rows;
    if (opts->row_group_bytes) lk->pqo.row_group_bytes = opts->row_group_bytes;
    pthread_mutex_init(&lk->rej_mu, NULL);
    sl_map_init(&lk->sp_files);
    for (int t = 0; t < LAKE_NTABLES; t++) {
        lk->t[t].stage = opts->delta ? io_stage_begin_direct(store, TABLES[t].name, err)
                                     : io_stage_begin(store, TABLES[t].name, err);
        if (!lk->t[t].stage) goto fail;
    }
    lk->meta = io_stage_begin(store, "_songlake", err);
    if (!lk->meta) goto fail;
    if (!opts->follower) {
        lk->rejects = io_stage_create(lk->meta, "rejects.jsonl", err);
        if (!lk->rejects) goto fail;
        if (opts->delta && lake_delta_open(lk, err) < 0) goto fail;
    }
    return lk;
fail:
    lake_abort(lk);
    lake_free(lk);
    return NULL;
}

void lake_abort(lake *lk) {
    if (!lk) return;
    for (size_t i = 0; i < lk->sp_nparts; i++) lake_part_discard(&lk->sp_parts[i]);
    lk->sp_nparts = 0;
    lake_spill_free(lk);
    sl_map_free(&lk->sp_files);
    sl_map_init(&lk->sp_files);
    if (lk->rejects) io_writer_abort(lk->rejects);
    lk->rejects = NULL;
    for (int t = 0; t < LAKE_NTABLES; t++) {
        if (lk->t[t].stage) io_stage_abort(lk->t[t].stage);
        lk->t[t].stage = NULL;
    }
    if (lk->meta) io_stage_abort(lk->meta);
    lk->meta = NULL;
}

void lake_free(lake *lk) {
    if (!lk) return;
    lake_abort(lk);
    for (int t = 0; t < LAKE_NTABLES; t++) sl_buf_free(&lk->t[t].manifest);
    sl_map_free(&lk->sp_files);
    sp_scratch_free(&lk->sp_scratch);
    sl_buf_free(&lk->rej_mem);
    pthread_mutex_destroy(&lk->rej_mu);
    lake_reasons_free(lk);
    lake_delta_free(lk);
    free(lk);
}

const lake_table_stats *lake_stats(const lake *lk, int table) {
    return &lk->t[table].stats;
}

/* ---- rejects --------------------------------------------------------- */
/* raw is cut after escaping (64 KiB between its quotes); the file stops
 * growing at max_rejects_bytes: later rejects are counted (report.json),
 * not listed. The source is in sl_escape_name's reversible form (a name
 * that is not UTF-8 is not shown as another, Latin-1, name). */
#define RAW_MAX (64 * 1024)

int lake_add_reject(lake *lk, const char *source, uint64_t line, uint64_t byte, const char *reason,
                    const char *raw, size_t rawlen, sl_err *err) {
    sl_buf b = {0}, name = {0};
    sl_escape_name(&name, source);
    sl_buf_append(&b, "{\"source\":", 10);
    sl_buf_json_str(&b, (const char *)name.data, name.len);
    sl_buf_free(&name);
    sl_buf_printf(&b, ",\"line\":%llu,\"byte\":%llu,\"reason\":", (unsigned long long)line,
                  (unsigned long long)byte);
    sl_buf_json_str(&b, reason, strlen(reason));
    sl_buf_append(&b, ",\"raw\":", 7);
    sl_buf_json_str_max(&b, raw ? raw : "", rawlen, RAW_MAX);
    sl_buf_append(&b, "}\n", 2);
    pthread_mutex_lock(&lk->rej_mu);
    int rc = 0;
    uint64_t cap = lk->opts.max_rejects_bytes ? lk->opts.max_rejects_bytes : (uint64_t)256 << 20;
    if (!lk->rej_full && lk->rej_bytes + b.len > cap) lk->rej_full = true;
    if (!lk->rej_full) {
        lk->rej_bytes += b.len;
        if (lk->opts.follower)
            sl_buf_append(&lk->rej_mem, b.data, b.len);
        else
            rc = io_writer_write(lk->rejects, b.data, b.len, err);
    }
    lk->nrejects++;
    lake_reasons_count(lk, reason, strlen(reason), 1);
    pthread_mutex_unlock(&lk->rej_mu);
    sl_buf_free(&b);
    return rc;
}

uint64_t lake_reject_count(const lake *lk) {
    return lk->nrejects;
}

/* ---- songplays (streamed) -------------------------------------------- */
static part *songplays_part(lake *lk, int32_t year, int32_t month, sl_err *err) {
    char dir[64];
    lake_month_dir(dir, sizeof dir, year, month);
    for (size_t i = 0; i < lk->sp_nparts; i++) {
        part *p = &lk->sp_parts[i];
        if (!strcmp(p->dir, dir)) {
            p->last_use = ++lk->sp_tick;
            return p;
        }
    }
    if (lk->sp_nparts == LAKE_SP_MAX_OPEN) {
        size_t lru = 0;
        for (size_t i = 1; i < lk->sp_nparts; i++)
            if (lk->sp_parts[i].last_use < lk->sp_parts[lru].last_use) lru = i;
        int rc = lake_part_close(lk, LAKE_SONGPLAYS, &lk->sp_parts[lru], err);
        lk->sp_parts[lru] = lk->sp_parts[--lk->sp_nparts];
        if (rc < 0) return NULL;
    }
    part *p = &lk->sp_parts[lk->sp_nparts];
    if (lake_songplays_open_next(lk, dir, p, err) < 0) return NULL;
    p->last_use = ++lk->sp_tick;
    lk->sp_nparts++;
    return p;
}

/* Rows to columns. A null string keeps its NULL pointer: the writer ignores
 * the value slots of null rows. (Local restrict pointers: stores to the
 * byte arrays would otherwise make the compiler reload every array.) */
static int write_songplays_run(part *p, sp_scratch *sc, const lake_songplay *rows, size_t n,
                               bool stable, sl_err *err) {
    int64_t *restrict id = sc->i64[0], *restrict uid = sc->i64[1], *restrict ts = sc->i64[2],
                      *restrict sess = sc->i64[3];
    sl_str *restrict level = sc->str[0], *restrict song = sc->str[1], *restrict artist = sc->str[2],
                     *restrict agent = sc->str[3];
    uint8_t *restrict uok = sc->ok[0], *restrict lok = sc->ok[1], *restrict sok = sc->ok[2],
                      *restrict aok = sc->ok[3], *restrict sesok = sc->ok[4],
                      *restrict agok = sc->ok[5];
    for (size_t i = 0; i < n; i++) {
        const lake_songplay *r = &rows[i];
        id[i] = r->songplay_id;
        uid[i] = r->has_user_id ? r->user_id : 0; /* (defined bytes in null slots) */
        uok[i] = r->has_user_id;
        ts[i] = r->start_time_us;
        level[i] = r->level;
        lok[i] = r->level.ptr != NULL;
        song[i] = r->song_id;
        sok[i] = r->song_id.ptr != NULL;
        artist[i] = r->artist_id;
        aok[i] = r->artist_id.ptr != NULL;
        sess[i] = r->has_session_id ? r->session_id : 0;
        sesok[i] = r->has_session_id;
        agent[i] = r->user_agent;
        agok[i] = r->user_agent.ptr != NULL;
    }
    pq_column_batch b[8] = {
        {.v.i64 = sc->i64[0]},
        {.valid = sc->ok[0], .v.i64 = sc->i64[1]},
        {.v.i64 = sc->i64[2]},
        {.valid = sc->ok[1], .v.str = sc->str[0]},
        {.valid = sc->ok[2], .v.str = sc->str[1], .stable = stable}, /* catalog strings */
        {.valid = sc->ok[3], .v.str = sc->str[2], .stable = stable},
        {.valid = sc->ok[4], .v.i64 = sc->i64[3]},
        {.valid = sc->ok[5], .v.str = sc->str[3]},
    };
    p->rows += n;
    return pq_writer_write(p->pw, b, n, err);
}

int lake_songplays_open_next(lake *lk, const char *dir, part *p, sl_err *err) {
    bool ins;
    uint32_t *seq = sl_map_upsert(&lk->sp_files, dir, strlen(dir), &ins);
    if (part_open_seq(lk, LAKE_SONGPLAYS, p, dir, (*seq)++, err) < 0) {
        lake_part_discard(p);
        return -1;
    }
    return 0;
}

int lake_songplays_write(lake *lk, part *p, const lake_songplay *rows, size_t n, bool stable,
                         sl_err *err) {
    sp_scratch_reserve(&lk->sp_scratch, n);
    if (write_songplays_run(p, &lk->sp_scratch, rows, n, stable, err) < 0)
        return sl_err_prefix(err, "songplays/%s", p->dir);
    return 0;
}

/* A month whose file was closed (not open now, but opened before) spills. */
static bool songplays_spills(const lake *lk, const char *dir) {
    for (size_t i = 0; i < lk->sp_nparts; i++)
        if (!strcmp(lk->sp_parts[i].dir, dir)) return false;
    return lake_spill_has(lk, dir) || sl_map_get(&lk->sp_files, dir, strlen(dir)) != NULL;
}

int lake_append_songplays(lake *lk, const lake_songplay *rows, size_t n, sl_err *err) {
    sp_scratch_reserve(&lk->sp_scratch, n);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && rows[j].year == rows[i].year && rows[j].month == rows[i].month) j++;
        char dir[64];
        lake_month_dir(dir, sizeof dir, rows[i].year, rows[i].month);
        if (songplays_spills(lk, dir)) {
            if (lake_spill_rows(lk, dir, rows + i, j - i, err) < 0) return -1;
            i = j;
            continue;
        }
        part *p = songplays_part(lk, rows[i].year, rows[i].month, err);
        if (!p) return -1;
        if (write_songplays_run(p, &lk->sp_scratch, rows + i, j - i, true, err) < 0)
            return sl_err_prefix(err, "songplays/%s", p->dir);
        i = j;
    }
    return 0;
}

/* ---- finish and publish ---------------------------------------------- */
static int part_dir_cmp(const void *x, const void *y) {
    return strcmp(((const part *)x)->dir, ((const part *)y)->dir);
}

int lake_finish(lake *lk, sl_err *err) {
    if (lk->finished) return 0;
    /* close songplays parts in path order so manifests are deterministic */
    if (lk->sp_nparts > 1) qsort(lk->sp_parts, lk->sp_nparts, sizeof *lk->sp_parts, part_dir_cmp);
    for (size_t i = 0; i < lk->sp_nparts; i++) {
        if (lake_part_close(lk, LAKE_SONGPLAYS, &lk->sp_parts[i], err) < 0) {
            for (size_t k = i + 1; k < lk->sp_nparts; k++) lake_part_discard(&lk->sp_parts[k]);
            lk->sp_nparts = 0;
            return -1;
        }
    }
    lk->sp_nparts = 0;
    int src = lake_spill_finish(lk, err);
    lake_spill_free(lk);
    if (src < 0) return -1;
    io_writer *rw = lk->rejects;
    lk->rejects = NULL;
    uint64_t bytes;
    if (rw && io_writer_close(rw, &bytes, err) < 0)
        return sl_err_prefix(err, "_songlake/rejects.jsonl");
    lk->finished = true;
    return 0;
}

/* A follower's "commit" completes its files in the leader's stages (waits
 * for uploads) and lets go of the stages; the leader publishes them. */
static int follower_commit(lake *lk, sl_err *err) {
    if (lake_finish(lk, err) < 0) return -1;
    for (int t = 0; t <= LAKE_NTABLES; t++) {
        io_stage **sp = t < LAKE_NTABLES ? &lk->t[t].stage : &lk->meta;
        io_stage *st = *sp;
        *sp = NULL;
        if (st && io_stage_commit(st, "", 0, err) < 0)
            return sl_err_prefix(err, "%s", t < LAKE_NTABLES ? TABLES[t].name : "_songlake");
    }
    return 0;
}

/* The manifest's files as the seal checks them (relative path, size). */
static int manifest_expect(const sl_buf *body, io_list *out, sl_err *err) {
    lake_manifest m;
    memset(out, 0, sizeof *out);
    if (lake_manifest_parse(body->data, body->len, &m, err) < 0)
        return sl_err_prefix(err, "internal: the manifest written");
    size_t cap = 0;
    for (size_t i = 0; i < m.n; i++) {
        io_list_push(out, &cap, m.files[i].rel, m.files[i].bytes);
        m.files[i].rel = NULL;
    }
    lake_manifest_free(&m);
    return 0;
}

/* Seals every table (its _SUCCESS written in the stage, every file its
 * manifest names checked to be there with that size); nothing is visible
 * until lake_commit_report publishes the whole star at once. */
int lake_commit_tables(lake *lk, sl_err *err) {
    if (lk->opts.follower) return follower_commit(lk, err);
    if (lk->opts.delta) return lake_delta_commit_tables(lk, err); /* SPEC section 6 */
    if (lake_finish(lk, err) < 0) return -1;
    for (int t = 0; t < LAKE_NTABLES; t++) {
        table_state *ts = &lk->t[t];
        if (!ts->stage) continue; /* sealed by an earlier call */
        sl_buf body = {0};
        sl_buf_printf(&body, "{\"table\":\"%s\",\"rows\":%llu,\"files\":[", TABLES[t].name,
                      (unsigned long long)ts->stats.rows);
        sl_buf_append(&body, ts->manifest.data, ts->manifest.len);
        sl_buf_append(&body, "]}\n", 3);
        io_list expect;
        int rc = manifest_expect(&body, &expect, err);
        io_stage *st = ts->stage;
        ts->stage = NULL;
        if (rc == 0)
            rc = io_stage_seal(st, body.data, body.len, &expect, err);
        else
            io_stage_abort(st);
        io_list_free(&expect);
        sl_buf_free(&body);
        if (rc < 0) return sl_err_prefix(err, "publishing %s", TABLES[t].name);
    }
    return 0;
}

/* Writes report.json, seals _songlake, and publishes the star: every
 * table and _songlake replace the previous ones in one commit
 * (io_store_commit), or none does. */
int lake_commit_report(lake *lk, const char *report_json, size_t n, sl_err *err) {
    if (!lk->meta) return sl_err_set(err, "internal: _songlake already committed");
    if (lk->opts.delta && lake_delta_keep_stars(lk, err) < 0) return -1; /* SPEC section 6 */
    if (io_stage_put(lk->meta, "report.json", report_json, n, err) < 0)
        return sl_err_prefix(err, "_songlake/report.json");
    /* the rejects of the last failed runs stay with the lake */
    if (io_stage_carry(lk->meta, "failed", LAKE_KEEP_FAILED, err) < 0)
        return sl_err_prefix(err, "_songlake/failed");
    io_stage *m = lk->meta;
    lk->meta = NULL;
    static const char meta_success[] = "{\"table\":\"_songlake\"}\n";
    io_list expect = {0};
    size_t cap = 0;
    io_list_push(&expect, &cap, sl_strdup("report.json"), n);
    if (io_stage_seal(m, meta_success, sizeof meta_success - 1, &expect, err) < 0) {
        io_list_free(&expect);
        return sl_err_prefix(err, "publishing _songlake");
    }
    io_list_free(&expect);
    if (io_store_commit(lk->store, err) < 0) return sl_err_prefix(err, "publishing the star");
    return 0;
}

int lake_publish(lake *lk, const char *report_json, size_t n, sl_err *err) {
    if (lake_commit_tables(lk, err) < 0) return -1;
    return lake_commit_report(lk, report_json, n, err);
}

int lake_keep_failed_rejects(lake *lk, const char *run_id, char **where, sl_err *err) {
    *where = NULL;
    if (lk->opts.follower || !lk->meta || !lk->nrejects) return 0;
    io_writer *w = lk->rejects;
    lk->rejects = NULL;
    uint64_t bytes;
    if (w && io_writer_close(w, &bytes, err) < 0)
        return sl_err_prefix(err, "_songlake/rejects.jsonl");
    char *dest = sl_sprintf("failed/%s/rejects.jsonl", run_id);
    int rc = io_stage_keep(lk->meta, "rejects.jsonl", dest, err);
    if (rc == 0) *where = sl_sprintf("%s/_songlake/%s", io_store_uri(lk->store), dest);
    free(dest);
    return rc;
}

/* ---- distributed runs (docs/mpi.md) ----------------------------------- */
void lake_take_rejects(lake *lk, sl_buf *out, uint64_t *count) {
    pthread_mutex_lock(&lk->rej_mu);
    *out = lk->rej_mem;
    *count = lk->nrejects;
    memset(&lk->rej_mem, 0, sizeof lk->rej_mem);
    lk->nrejects = 0;
    pthread_mutex_unlock(&lk->rej_mu);
}

int lake_append_rejects(lake *lk, const uint8_t *p, size_t n, uint64_t count, sl_err *err) {
    if (!n) return 0;
    if (!lk->rejects) return sl_err_set(err, "internal: rejects file already closed");
    pthread_mutex_lock(&lk->rej_mu);
    int rc = io_writer_write(lk->rejects, p, n, err);
    lk->nrejects += count;
    lake_reasons_count_lines(lk, p, n);
    pthread_mutex_unlock(&lk->rej_mu);
    return rc;
}

void lake_export_files(const lake *lk, sl_buf *out) {
    for (int t = 0; t < LAKE_NTABLES; t++) {
        const table_state *ts = &lk->t[t];
        uint64_t hdr[4] = {ts->stats.rows, ts->stats.files, ts->stats.bytes, ts->manifest.len};
        sl_buf_append(out, hdr, sizeof hdr);
        sl_buf_append(out, ts->manifest.data, ts->manifest.len);
    }
}

int lake_import_files(lake *lk, const uint8_t *p, size_t n, sl_err *err) {
    const uint8_t *end = p + n;
    for (int t = 0; t < LAKE_NTABLES; t++) {
        uint64_t hdr[4];
        if ((size_t)(end - p) < sizeof hdr) goto bad;
        memcpy(hdr, p, sizeof hdr);
        p += sizeof hdr;
        if ((uint64_t)(end - p) < hdr[3]) goto bad;
        table_state *ts = &lk->t[t];
        if (hdr[3]) {
            if (ts->manifest.len) sl_buf_putc(&ts->manifest, ',');
            sl_buf_append(&ts->manifest, p, hdr[3]);
        }
        p += hdr[3];
        ts->stats.rows += hdr[0];
        ts->stats.files += hdr[1];
        ts->stats.bytes += hdr[2];
    }
    if (p == end) return 0;
bad:
    return sl_err_set(err, "internal: malformed file list from another rank");
}
