/* etl: SPEC.md rules over parsed records.
 *
 * Files are processed in windows: the files of a window are fetched and
 * parsed in parallel (each into its own file_result, with its own arena),
 * then merged one by one in input order on the calling thread. Everything
 * order-dependent (first-wins dedup, latest user, songplayId, the order of
 * rejects) happens in the merge, so output is the same for any thread count.
 * Memory is bounded by one window of parsed files plus the dimension keys. */
#include "etl/etl_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

/* ---- parsed records -------------------------------------------------- */
typedef struct play_rec {
    int64_t ts_ms, uid, session;
    bool has_uid, has_session;
    sl_str level, ua;
    int32_t match; /* index into e->songs, -1 if none */
    int32_t year, month;
} play_rec;

typedef struct reject_rec {
    uint64_t line, byte;
    const char *reason;
    const char *raw;
    size_t rawlen;
} reject_rec;

typedef struct file_result {
    int failed;
    sl_err err;
    uint64_t bytes, read, accepted;
    sl_vec rejects; /* reject_rec */
    sl_vec songs;   /* song_rec */
    sl_vec plays;   /* play_rec */
    sl_vec users;   /* user_rec, latest per user within the file */
    sl_map user_idx;
    sl_arena mem;
    double t_read, t_parse;
} file_result;

static size_t set_slot(int64_t k, size_t mask) {
    uint64_t x = (uint64_t)k; /* splitmix64 finalizer */
    x ^= x >> 30;
    x *= UINT64_C(0xbf58476d1ce4e5b9);
    x ^= x >> 27;
    x *= UINT64_C(0x94d049bb133111eb);
    x ^= x >> 31;
    return (size_t)x & mask;
}

void etl_set_add(i64_set *s, int64_t k) {
    if ((s->count + 1) * 10 > s->cap * 7) {
        size_t ncap = s->cap ? s->cap * 2 : 1024;
        int64_t *nk = sl_malloc(ncap * sizeof *nk);
        for (size_t i = 0; i < ncap; i++) nk[i] = TS_EMPTY;
        for (size_t i = 0; i < s->cap; i++) {
            if (s->keys[i] == TS_EMPTY) continue;
            size_t j = set_slot(s->keys[i], ncap - 1);
            while (nk[j] != TS_EMPTY) j = (j + 1) & (ncap - 1);
            nk[j] = s->keys[i];
        }
        free(s->keys);
        s->keys = nk;
        s->cap = ncap;
    }
    size_t j = set_slot(k, s->cap - 1);
    while (s->keys[j] != TS_EMPTY) {
        if (s->keys[j] == k) return;
        j = (j + 1) & (s->cap - 1);
    }
    s->keys[j] = k;
    s->count++;
}

/* ---- keys ------------------------------------------------------------ */
enum {
    S_SONG_ID,
    S_ARTIST_ID,
    S_TITLE,
    S_ARTIST_NAME,
    S_LOCATION,
    S_LAT,
    S_LON,
    S_DURATION,
    S_YEAR,
    S_N
};
static const char *const SONG_KEYS[S_N] = {"song_id",          "artist_id",       "title",
                                           "artist_name",      "artist_location", "artist_latitude",
                                           "artist_longitude", "duration",        "year"};

enum {
    E_PAGE,
    E_USERID,
    E_TS,
    E_FIRST,
    E_LAST,
    E_GENDER,
    E_LEVEL,
    E_SONG,
    E_ARTIST,
    E_LENGTH,
    E_SESSION,
    E_UA,
    E_N
};
static const char *const EVENT_KEYS[E_N] = {"page",     "userId", "ts",        "firstName",
                                            "lastName", "gender", "level",     "song",
                                            "artist",   "length", "sessionId", "userAgent"};

etl *etl_new(lake *lk, const etl_opts *opts) {
    etl *e = sl_calloc(1, sizeof *e);
    e->lk = lk;
    e->opts = *opts;
    if (e->opts.threads < 1) e->opts.threads = 1;
    sl_vec_init(&e->songs, sizeof(song_rec));
    sl_vec_init(&e->artists, sizeof(lake_artist));
    sl_vec_init(&e->users, sizeof(user_rec));
    sl_map_init(&e->song_idx);
    sl_map_init(&e->artist_idx);
    sl_map_init(&e->match_idx);
    sl_map_init(&e->user_idx);
    e->song_fields = json_fields_new(SONG_KEYS, S_N);
    e->event_fields = json_fields_new(EVENT_KEYS, E_N);
    return e;
}

static void free_scanners(etl *e) {
    for (int i = 0; i < e->nscanners; i++) {
        json_scanner_free(e->scanners[i]);
        sl_buf_free(&e->wbufs[i]);
    }
    free(e->scanners);
    free(e->wbufs);
    e->scanners = NULL;
    e->wbufs = NULL;
    e->nscanners = 0;
}

void etl_free(etl *e) {
    if (!e) return;
    free_scanners(e);
    json_fields_free(e->song_fields);
    json_fields_free(e->event_fields);
    sl_vec_free(&e->songs);
    sl_vec_free(&e->artists);
    for (size_t i = 0; i < e->users.len; i++) free(SL_VEC_AT(&e->users, user_rec, i).blob);
    sl_vec_free(&e->users);
    sl_map_free(&e->song_idx);
    sl_map_free(&e->artist_idx);
    sl_map_free(&e->match_idx);
    sl_map_free(&e->user_idx);
    free(e->times.keys);
    sl_arena_free(&e->mem);
    free(e);
}

const etl_source_stats *etl_song_stats(const etl *e) {
    return &e->song_stats;
}
const etl_source_stats *etl_event_stats(const etl *e) {
    return &e->event_stats;
}
const etl_phase_times *etl_times(const etl *e) {
    return &e->times_s;
}
uint64_t etl_matched_plays(const etl *e) {
    return e->matched;
}

/* ---- parsing (worker threads) ---------------------------------------- */
typedef struct parse_ctx {
    etl *e;
    file_result *r;
    const uint8_t *buf;
    size_t len;
} parse_ctx;

static sl_str keep(file_result *r, sl_str s) {
    if (!s.ptr) return s;
    sl_str o = {s.len ? sl_arena_strndup(&r->mem, s.ptr, s.len) : "", s.len};
    return o;
}

static void add_reject(parse_ctx *c, json_pos pos, const char *reason, const char *raw,
                       size_t rawlen) {
    file_result *r = c->r;
    reject_rec *rj = sl_vec_push(&r->rejects);
    rj->line = pos.line;
    rj->byte = pos.byte;
    rj->reason = sl_arena_strndup(&r->mem, reason, strlen(reason));
    if (rawlen > 64 * 1024) rawlen = 64 * 1024;
    rj->raw = sl_arena_strndup(&r->mem, raw ? raw : "", raw ? rawlen : 0);
    rj->rawlen = raw ? rawlen : 0;
    r->read++;
}

/* A conversion reject's raw text: the record's first line (the whole record
 * for NDJSON), from its start. */
static int reject_at(parse_ctx *c, json_pos pos, const char *fmt, const char *key) {
    char reason[256];
    snprintf(reason, sizeof reason, fmt, key);
    size_t start = pos.byte < c->len ? (size_t)pos.byte : c->len;
    const uint8_t *nl = memchr(c->buf + start, '\n', c->len - start);
    size_t end = nl ? (size_t)(nl - c->buf) : c->len;
    if (end > start && c->buf[end - 1] == '\r') end--;
    add_reject(c, pos, reason, (const char *)c->buf + start, end - start);
    return 0;
}

static int on_reject(void *ctx, json_pos pos, const char *reason, const char *raw, size_t rawlen) {
    add_reject(ctx, pos, reason, raw, rawlen);
    return 0;
}

/* text field; returns false (and rejects) when it cannot be converted */
static bool get_text(parse_ctx *c, json_pos pos, const json_value *v, const char *key,
                     sl_str *out) {
    int rc = json_to_text(v, out);
    if (rc < 0) {
        reject_at(c, pos, "%s: cannot be converted to a string", key);
        return false;
    }
    if (rc == 0) out->ptr = NULL, out->len = 0;
    return true;
}

static bool get_f64(parse_ctx *c, json_pos pos, const json_value *v, const char *key, double *out,
                    bool *has) {
    int rc = json_to_double(v, out);
    if (rc < 0) {
        reject_at(c, pos, "%s: not a number", key);
        return false;
    }
    *has = rc == 1;
    return true;
}

static bool get_i64(parse_ctx *c, json_pos pos, const json_value *v, const char *key, int64_t *out,
                    bool *has) {
    int rc = json_to_int64(v, out);
    if (rc < 0) {
        reject_at(c, pos, "%s: not an integer", key);
        return false;
    }
    *has = rc == 1;
    return true;
}

static int on_song(void *ctx, const json_value *v, json_pos pos) {
    parse_ctx *c = ctx;
    file_result *r = c->r;
    song_rec s = {0};
    int64_t year = 0;
    if (!get_text(c, pos, &v[S_SONG_ID], "song_id", &s.song_id)) return 0;
    if (!get_text(c, pos, &v[S_ARTIST_ID], "artist_id", &s.artist_id)) return 0;
    if (!s.song_id.ptr || !s.song_id.len)
        return reject_at(c, pos, "%s: missing or empty", "song_id");
    if (!s.artist_id.ptr || !s.artist_id.len)
        return reject_at(c, pos, "%s: missing or empty", "artist_id");
    /* it names a partition directory: "artist_id=<escaped>" must fit a file name */
    if (lake_escaped_len(s.artist_id.ptr, s.artist_id.len) + sizeof "artist_id=" - 1 >
        LAKE_MAX_DIR_NAME)
        return reject_at(c, pos, "%s: too long for a partition directory name (255 bytes escaped)",
                         "artist_id");
    if (!get_text(c, pos, &v[S_TITLE], "title", &s.title)) return 0;
    if (!get_text(c, pos, &v[S_ARTIST_NAME], "artist_name", &s.artist_name)) return 0;
    if (!get_text(c, pos, &v[S_LOCATION], "artist_location", &s.location)) return 0;
    if (!get_f64(c, pos, &v[S_LAT], "artist_latitude", &s.lat, &s.has_lat)) return 0;
    if (!get_f64(c, pos, &v[S_LON], "artist_longitude", &s.lon, &s.has_lon)) return 0;
    if (!get_f64(c, pos, &v[S_DURATION], "duration", &s.duration, &s.has_duration)) return 0;
    if (!get_i64(c, pos, &v[S_YEAR], "year", &year, &s.has_year)) return 0;
    if (s.has_year && (year < INT32_MIN || year > INT32_MAX))
        return reject_at(c, pos, "%s: out of the INT32 range", "year");
    s.year = (int32_t)year;
    s.song_id = keep(r, s.song_id);
    s.artist_id = keep(r, s.artist_id);
    s.title = keep(r, s.title);
    s.artist_name = keep(r, s.artist_name);
    s.location = keep(r, s.location);
    *(song_rec *)sl_vec_push(&r->songs) = s;
    r->read++;
    r->accepted++;
    return 0;
}

static bool str_eq(sl_str s, const char *lit) {
    size_t n = strlen(lit);
    return s.ptr && s.len == n && memcmp(s.ptr, lit, n) == 0;
}

/* Match key: title \0 artist_name \0 duration bits (with -0.0 as 0.0, since
 * the rule is double equality). */
static size_t match_key(char *out, size_t cap, sl_str title, sl_str artist, double d) {
    if (d == 0) d = 0;
    size_t n = (size_t)title.len + artist.len + 2 + 8;
    if (n > cap) return 0;
    memcpy(out, title.ptr, title.len);
    out[title.len] = 0;
    memcpy(out + title.len + 1, artist.ptr, artist.len);
    out[title.len + 1 + artist.len] = 0;
    memcpy(out + title.len + artist.len + 2, &d, 8);
    return n;
}

static int32_t find_match(const etl *e, sl_str song, sl_str artist, double length) {
    if (!song.ptr || !artist.ptr) return -1;
    char key[4096];
    size_t n = match_key(key, sizeof key, song, artist, length);
    if (!n) {
        char *big = sl_malloc((size_t)song.len + artist.len + 10);
        n = match_key(big, (size_t)song.len + artist.len + 10, song, artist, length);
        uint32_t *v = sl_map_get(&e->match_idx, big, n);
        free(big);
        return v ? (int32_t)*v : -1;
    }
    uint32_t *v = sl_map_get(&e->match_idx, key, n);
    return v ? (int32_t)*v : -1;
}

static int on_event(void *ctx, const json_value *v, json_pos pos) {
    parse_ctx *c = ctx;
    file_result *r = c->r;
    sl_str page;
    int64_t uid = 0, ts = 0, session = 0;
    bool has_uid, has_ts, has_session, has_len;
    double length = 0;
    if (!get_text(c, pos, &v[E_PAGE], "page", &page)) return 0;
    if (!get_i64(c, pos, &v[E_USERID], "userId", &uid, &has_uid)) return 0;
    bool next = str_eq(page, "NextSong");
    if (!get_i64(c, pos, &v[E_TS], "ts", &ts, &has_ts)) return 0;
    if ((next || has_uid) && !has_ts) return reject_at(c, pos, "%s: missing", "ts");
    /* ts in ms must fit microseconds in int64 */
    if (has_ts && (ts > INT64_MAX / 1000 || ts < INT64_MIN / 1000))
        return reject_at(c, pos, "%s: out of the timestamp range", "ts");
    /* Fields no table uses are not validated: level, names and gender only
     * matter for NextSong events and events of a known user. */
    sl_str level = {0}, first = {0}, last = {0}, gender = {0};
    if ((next || has_uid) && !get_text(c, pos, &v[E_LEVEL], "level", &level)) return 0;
    if (has_uid) {
        if (!get_text(c, pos, &v[E_FIRST], "firstName", &first)) return 0;
        if (!get_text(c, pos, &v[E_LAST], "lastName", &last)) return 0;
        if (!get_text(c, pos, &v[E_GENDER], "gender", &gender)) return 0;
    }
    if (next) {
        sl_str song, artist, ua;
        if (!get_text(c, pos, &v[E_SONG], "song", &song)) return 0;
        if (!get_text(c, pos, &v[E_ARTIST], "artist", &artist)) return 0;
        if (!get_text(c, pos, &v[E_UA], "userAgent", &ua)) return 0;
        if (!get_i64(c, pos, &v[E_SESSION], "sessionId", &session, &has_session)) return 0;
        if (!get_f64(c, pos, &v[E_LENGTH], "length", &length, &has_len)) return 0;
        play_rec *p = sl_vec_push(&r->plays);
        p->ts_ms = ts;
        p->uid = uid;
        p->has_uid = has_uid;
        p->session = session;
        p->has_session = has_session;
        p->level = keep(r, level);
        p->ua = keep(r, ua);
        p->match = has_len ? find_match(c->e, song, artist, length) : -1;
        lake_time t = {.ts_us = ts * 1000};
        lake_time_parts(&t);
        p->year = t.year;
        p->month = t.month;
    }
    if (has_uid) {
        bool ins;
        uint32_t *ix = sl_map_upsert(&r->user_idx, (const char *)&uid, sizeof uid, &ins);
        user_rec *u;
        if (ins) {
            *ix = (uint32_t)r->users.len;
            u = sl_vec_push(&r->users);
        } else {
            u = &SL_VEC_AT(&r->users, user_rec, *ix);
            if (ts < u->ts) goto done; /* an earlier event: the later one stays */
        }
        u->uid = uid;
        u->ts = ts;
        u->first = keep(r, first);
        u->last = keep(r, last);
        u->gender = keep(r, gender);
        u->level = keep(r, level);
    }
done:
    r->read++;
    r->accepted++;
    return 0;
}

typedef struct run_ctx {
    etl *e;
    bool events;
    size_t base, n;
    file_result *results;
    etl_fetch_fn fetch;
    void *fctx;
} run_ctx;

static void parse_task(void *ctx, size_t i, int worker) {
    run_ctx *rc = ctx;
    etl *e = rc->e;
    file_result *r = &rc->results[i];
    sl_buf *wb = &e->wbufs[worker];
    wb->len = 0;
    double t0 = sl_now();
    if (rc->fetch(rc->fctx, rc->base + i, wb, &r->err) < 0) {
        r->failed = 1;
        return;
    }
    sl_buf buf = *wb;
    double t1 = sl_now();
    r->bytes = buf.len;
    parse_ctx pc = {e, r, buf.data, buf.len};
    json_callbacks cb = {rc->events ? on_event : on_song, on_reject};
    json_scan(e->scanners[worker], buf.data ? buf.data : (const uint8_t *)"", buf.len, &cb, &pc);
    r->t_read = t1 - t0;
    r->t_parse = sl_now() - t1;
    /* keep the capacity for the next file unless it is unusually large */
    if (wb->cap > ((size_t)256 << 20)) sl_buf_free(wb);
}

static void result_init(file_result *r) {
    memset(r, 0, sizeof *r);
    sl_vec_init(&r->rejects, sizeof(reject_rec));
    sl_vec_init(&r->songs, sizeof(song_rec));
    sl_vec_init(&r->plays, sizeof(play_rec));
    sl_vec_init(&r->users, sizeof(user_rec));
    sl_map_init(&r->user_idx);
}

static void result_free(file_result *r) {
    sl_vec_free(&r->rejects);
    sl_vec_free(&r->songs);
    sl_vec_free(&r->plays);
    sl_vec_free(&r->users);
    sl_map_free(&r->user_idx);
    sl_arena_free(&r->mem);
}

/* ---- merging (calling thread, input order) --------------------------- */
static sl_str gkeep(etl *e, sl_str s) {
    if (!s.ptr) return s;
    sl_str o = {s.len ? sl_arena_strndup(&e->mem, s.ptr, s.len) : "", s.len};
    return o;
}

/* First record of each song_id wins (SPEC 2): callers merge in input order. */
void etl_merge_song_only(etl *e, const song_rec *s) {
    bool ins;
    uint32_t *ix = sl_map_upsert(&e->song_idx, s->song_id.ptr, s->song_id.len, &ins);
    if (ins) {
        *ix = (uint32_t)e->songs.len;
        song_rec *g = sl_vec_push(&e->songs);
        *g = *s;
        g->song_id = gkeep(e, s->song_id);
        g->artist_id = gkeep(e, s->artist_id);
        g->title = gkeep(e, s->title);
        g->artist_name = gkeep(e, s->artist_name);
        g->location = gkeep(e, s->location);
    }
}

/* First record of each artist_id wins. */
void etl_merge_artist_only(etl *e, const lake_artist *a) {
    bool ins;
    uint32_t *ix = sl_map_upsert(&e->artist_idx, a->artist_id.ptr, a->artist_id.len, &ins);
    if (ins) {
        *ix = (uint32_t)e->artists.len;
        lake_artist *g = sl_vec_push(&e->artists);
        *g = *a;
        g->artist_id = gkeep(e, a->artist_id);
        g->name = gkeep(e, a->name);
        g->location = gkeep(e, a->location);
    }
}

static void merge_song(etl *e, const song_rec *s) {
    etl_merge_song_only(e, s);
    lake_artist a = {.artist_id = s->artist_id,
                     .name = s->artist_name,
                     .location = s->location,
                     .latitude = s->lat,
                     .has_latitude = s->has_lat,
                     .longitude = s->lon,
                     .has_longitude = s->has_lon};
    etl_merge_artist_only(e, &a);
}

/* A user's row is replaced each time a later file has a later event: its
 * strings go to one block per user, reused, so memory stays proportional to
 * the number of distinct users, not to how often they appear. */
static void user_set_strings(user_rec *g, const user_rec *u) {
    const sl_str *src[4] = {&u->first, &u->last, &u->gender, &u->level};
    sl_str *dst[4] = {&g->first, &g->last, &g->gender, &g->level};
    size_t need = 4;
    for (int k = 0; k < 4; k++) need += src[k]->len;
    if (need > g->blob_cap) {
        free(g->blob);
        g->blob_cap = need < 64 ? 64 : need;
        g->blob = sl_malloc(g->blob_cap);
    }
    char *p = g->blob;
    for (int k = 0; k < 4; k++) {
        if (!src[k]->ptr) {
            dst[k]->ptr = NULL;
            dst[k]->len = 0;
            continue;
        }
        memcpy(p, src[k]->ptr, src[k]->len);
        dst[k]->ptr = p;
        dst[k]->len = src[k]->len;
        p += src[k]->len;
        *p++ = 0;
    }
}

static int flush_plays(etl *e, lake_songplay *rows, size_t *n, sl_err *err) {
    if (!*n) return 0;
    int rc = lake_append_songplays(e->lk, rows, *n, err);
    *n = 0;
    return rc;
}

/* Keeps u when it is the user's latest event so far; u comes later in input
 * order than everything merged before it, so it wins ties. */
void etl_merge_user(etl *e, const user_rec *u) {
    bool ins;
    uint32_t *ix = sl_map_upsert(&e->user_idx, (const char *)&u->uid, sizeof u->uid, &ins);
    user_rec *g;
    if (ins) {
        *ix = (uint32_t)e->users.len;
        g = sl_vec_push(&e->users);
    } else {
        g = &SL_VEC_AT(&e->users, user_rec, *ix);
        if (u->ts < g->ts) return;
    }
    g->uid = u->uid;
    g->ts = u->ts;
    user_set_strings(g, u);
}

static int merge_events(etl *e, file_result *r, sl_err *err) {
    enum { CHUNK = 1024 };
    lake_songplay rows[CHUNK];
    size_t n = 0;
    for (size_t i = 0; i < r->plays.len; i++) {
        const play_rec *p = &SL_VEC_AT(&r->plays, play_rec, i);
        lake_songplay *o = &rows[n++];
        memset(o, 0, sizeof *o);
        o->songplay_id = (int64_t)++e->songplays;
        o->user_id = p->uid;
        o->has_user_id = p->has_uid;
        o->start_time_us = p->ts_ms * 1000;
        o->level = p->level;
        if (p->match >= 0) {
            const song_rec *s = &SL_VEC_AT(&e->songs, song_rec, p->match);
            o->song_id = s->song_id;
            o->artist_id = s->artist_id;
            e->matched++;
        }
        o->session_id = p->session;
        o->has_session_id = p->has_session;
        o->user_agent = p->ua;
        o->year = p->year;
        o->month = p->month;
        etl_set_add(&e->times, o->start_time_us);
        if (n == CHUNK && flush_plays(e, rows, &n, err) < 0) return -1;
    }
    if (flush_plays(e, rows, &n, err) < 0) return -1;
    for (size_t i = 0; i < r->users.len; i++) etl_merge_user(e, &SL_VEC_AT(&r->users, user_rec, i));
    return 0;
}

static int merge_result(etl *e, bool events, const char *source, file_result *r,
                        etl_source_stats *st, sl_err *err) {
    if (r->failed) {
        *err = r->err;
        return -1;
    }
    if (e->count_only) { /* etl_count_plays: only how many songplays */
        e->counted += r->plays.len;
        return 0;
    }
    st->files++;
    st->bytes += r->bytes;
    st->read += r->read;
    st->accepted += r->accepted;
    st->rejected += r->rejects.len;
    for (size_t i = 0; i < r->rejects.len; i++) {
        const reject_rec *rj = &SL_VEC_AT(&r->rejects, reject_rec, i);
        if (lake_add_reject(e->lk, source, rj->line, rj->byte, rj->reason, rj->raw, rj->rawlen,
                            err) < 0)
            return -1;
    }
    uint64_t total = e->song_stats.rejected + e->event_stats.rejected;
    if (total > e->opts.max_rejects) {
        const char *why = r->rejects.len ? SL_VEC_AT(&r->rejects, reject_rec, 0).reason : "";
        return sl_err_set(err,
                          "%llu records rejected, more than --max-rejects %llu (latest: %s: %s); "
                          "fix the input or raise --max-rejects",
                          (unsigned long long)total, (unsigned long long)e->opts.max_rejects,
                          source, why);
    }
    if (!events) {
        for (size_t i = 0; i < r->songs.len; i++) merge_song(e, &SL_VEC_AT(&r->songs, song_rec, i));
        return 0;
    }
    return merge_events(e, r, err);
}

static void parse_window(run_ctx *c) {
    for (size_t i = 0; i < c->n; i++) result_init(&c->results[i]);
    sl_parallel_for(c->n, c->e->opts.threads, parse_task, c);
}

static void *parse_window_thread(void *arg) {
    parse_window(arg);
    return NULL;
}

/* Windows are pipelined: while the calling thread merges window k (in input
 * order), the workers already parse window k+1. Two windows of parsed files
 * are alive at once at most. */
int etl_run_files(etl *e, bool events, size_t nfiles, char *const *sources, etl_fetch_fn fetch,
                  void *fctx, sl_err *err) {
    int threads = e->opts.threads;
    if (e->nscanners < threads) {
        free_scanners(e);
        e->scanners = sl_calloc((size_t)threads, sizeof *e->scanners);
        e->wbufs = sl_calloc((size_t)threads, sizeof *e->wbufs);
        e->nscanners = threads;
    }
    for (int t = 0; t < threads; t++) {
        if (e->scanners[t]) json_scanner_free(e->scanners[t]);
        e->scanners[t] = json_scanner_new(events ? e->event_fields : e->song_fields);
    }
    etl_source_stats *st = events ? &e->event_stats : &e->song_stats;
    size_t window = (size_t)threads * (events ? 2 : 64);
    run_ctx ctx[2];
    for (int k = 0; k < 2; k++)
        ctx[k] = (run_ctx){e, events, 0, 0, sl_calloc(window, sizeof(file_result)), fetch, fctx};
    uint64_t done_bytes = 0;
    int rc = 0, cur = 0;
    ctx[0].n = nfiles < window ? nfiles : window;
    parse_window(&ctx[0]);
    while (ctx[cur].n) {
        run_ctx *c = &ctx[cur], *next = &ctx[1 - cur];
        next->base = c->base + c->n;
        next->n = rc == 0 && next->base < nfiles
                      ? (nfiles - next->base < window ? nfiles - next->base : window)
                      : 0;
        pthread_t th;
        bool bg = next->n && pthread_create(&th, NULL, parse_window_thread, next) == 0;
        if (next->n && !bg) parse_window(next); /* no thread: parse now, same result */
        double t0 = sl_now();
        for (size_t i = 0; i < c->n; i++) {
            file_result *r = &c->results[i];
            e->times_s.read += r->t_read;
            e->times_s.parse += r->t_parse;
            if (rc == 0) {
                rc = merge_result(e, events, sources[c->base + i], r, st, err);
                done_bytes += r->bytes;
                if (e->opts.progress)
                    e->opts.progress(e->opts.progress_ctx, c->base + i + 1, done_bytes);
            }
            result_free(r);
        }
        e->times_s.merge += sl_now() - t0;
        if (bg) pthread_join(th, NULL);
        c->n = 0;
        cur = 1 - cur;
    }
    free(ctx[0].results);
    free(ctx[1].results);
    for (int t = 0; t < e->nscanners; t++) sl_buf_free(&e->wbufs[t]); /* not needed by finish */
    return rc;
}

/* match index: (title, artist_name, duration) -> smallest song_id */
void etl_build_match_index(etl *e) {
    for (size_t i = 0; i < e->songs.len; i++) {
        const song_rec *s = &SL_VEC_AT(&e->songs, song_rec, i);
        if (!s->title.ptr || !s->artist_name.ptr || !s->has_duration) continue;
        size_t cap = (size_t)s->title.len + s->artist_name.len + 10;
        char *key = sl_malloc(cap);
        size_t n = match_key(key, cap, s->title, s->artist_name, s->duration);
        bool ins;
        uint32_t *ix = sl_map_upsert(&e->match_idx, key, n, &ins);
        free(key);
        if (ins) {
            *ix = (uint32_t)i;
        } else {
            const song_rec *o = &SL_VEC_AT(&e->songs, song_rec, *ix);
            size_t m = o->song_id.len < s->song_id.len ? o->song_id.len : s->song_id.len;
            int c = memcmp(s->song_id.ptr, o->song_id.ptr, m);
            if (c < 0 || (c == 0 && s->song_id.len < o->song_id.len)) *ix = (uint32_t)i;
        }
    }
}

/* The songs and artists tables from the catalog this etl holds. */
int etl_write_catalog(etl *e, sl_err *err) {
    lake_song *rows = sl_calloc(e->songs.len, sizeof *rows);
    for (size_t i = 0; i < e->songs.len; i++) {
        const song_rec *s = &SL_VEC_AT(&e->songs, song_rec, i);
        rows[i] = (lake_song){.title = s->title,
                              .artist_id = s->artist_id,
                              .year = s->year,
                              .has_year = s->has_year,
                              .duration = s->duration,
                              .has_duration = s->has_duration,
                              .song_id = s->song_id};
    }
    int rc = lake_write_songs(e->lk, rows, e->songs.len, err);
    free(rows);
    if (rc < 0) return -1;
    /* lake sorts in place: write a copy so artist_idx stays valid */
    lake_artist *arts = sl_malloc((e->artists.len ? e->artists.len : 1) * sizeof *arts);
    if (e->artists.len) memcpy(arts, e->artists.data, e->artists.len * sizeof *arts);
    rc = lake_write_artists(e->lk, arts, e->artists.len, err);
    free(arts);
    return rc;
}

int etl_parse_songs(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    sl_err *err) {
    return etl_run_files(e, false, nfiles, sources, fetch, fctx, err);
}

int etl_run_songs(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                  sl_err *err) {
    if (etl_parse_songs(e, nfiles, sources, fetch, fctx, err) < 0) return -1;
    etl_build_match_index(e);
    return etl_write_catalog(e, err);
}

int etl_run_events(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                   sl_err *err) {
    return etl_run_files(e, true, nfiles, sources, fetch, fctx, err);
}

int etl_finish(etl *e, sl_err *err) {
    lake_user *users = sl_calloc(e->users.len, sizeof *users);
    for (size_t i = 0; i < e->users.len; i++) {
        const user_rec *u = &SL_VEC_AT(&e->users, user_rec, i);
        users[i] = (lake_user){u->uid, u->first, u->last, u->gender, u->level};
    }
    int rc = lake_write_users(e->lk, users, e->users.len, err);
    free(users);
    if (rc < 0) return -1;
    /* compact the set's keys to the front, in place; the set is done */
    size_t n = 0;
    for (size_t i = 0; i < e->times.cap; i++)
        if (e->times.keys[i] != TS_EMPTY) e->times.keys[n++] = e->times.keys[i];
    e->times.count = 0;
    rc = lake_write_time_us(e->lk, e->times.keys, n, err);
    free(e->times.keys);
    e->times.keys = NULL;
    e->times.cap = 0;
    return rc;
}
