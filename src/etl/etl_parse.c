/* etl parsing: one task's bytes (a file, or a chunk of a mapped file) ->
 * its file_result, on a worker thread. Records are checked and converted
 * per SPEC.md section 1 (a record that fails is rejected with its reason and
 * line), plays are matched against the catalog's index, and strings are
 * borrowed from the input where it outlives the task, interned where they
 * repeat (user agents), copied otherwise. Nothing here depends on other
 * tasks: the merge (etl.c) applies every order rule. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "etl/etl_records.h"

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

typedef struct parse_ctx {
    const etl_match *m; /* the catalog's match index, read-only */
    file_result *r;
    const uint8_t *buf;
    size_t len;
} parse_ctx;

/* The one copy of s in this task (a user agent repeats on every play). */
static sl_str intern(file_result *r, sl_str s) {
    if (!s.ptr) return s;
    if (!s.len) return (sl_str){"", 0};
    if (s.len == 4 && !memcmp(s.ptr, "free", 4)) return (sl_str){"free", 4}; /* the levels */
    if (s.len == 4 && !memcmp(s.ptr, "paid", 4)) return (sl_str){"paid", 4};
    bool ins;
    uint32_t *v = sl_map_upsert(&r->strs, s.ptr, s.len, &ins);
    return r->strs.keys[v - r->strs.vals];
}

/* A userAgent given with escapes (the key is raw: json_fields_set_raw):
 * decoded once per distinct text in the task, then found by its bytes as
 * written, so the ~100 bytes of "Mozilla\/5.0 ..." are not decoded on
 * every play. */
static sl_str intern_escaped(file_result *r, const json_value *v) {
    bool ins;
    uint32_t *ix = sl_map_upsert(&r->ua_esc, v->str, v->len, &ins);
    if (ins) {
        r->ua_buf.len = 0;
        json_unescape(v, &r->ua_buf);
        *ix = (uint32_t)r->ua_text.len;
        *(sl_str *)sl_vec_push(&r->ua_text) =
            intern(r, (sl_str){(const char *)r->ua_buf.data, r->ua_buf.len});
    }
    return SL_VEC_AT(&r->ua_text, sl_str, *ix);
}

/* year and month of a play at ts (ms): lake_time_parts, the time table's
 * own rule (it keeps the last day's parts per thread) */
static void play_month(int64_t ts, play_rec *p) {
    lake_time t = {.ts_us = ts * 1000};
    lake_time_parts(&t);
    p->year = t.year;
    p->month = t.month;
}

static sl_str keep(file_result *r, sl_str s) {
    if (!s.ptr) return s;
    sl_str o = {s.len ? sl_arena_strndup(&r->mem, s.ptr, s.len) : "", s.len};
    return o;
}

/* s itself while it points into the task's input (alive until the task is
 * parsed, or merged when mapped), else a copy: decoded strings live in the
 * scanner's scratch only for the current record. */
static sl_str borrow(parse_ctx *c, sl_str s) {
    if (!s.ptr || ((const uint8_t *)s.ptr >= c->buf && (const uint8_t *)s.ptr < c->buf + c->len))
        return s;
    return keep(c->r, s);
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

/* U+0000 in a value a table uses (docs/decisions.md): PostgreSQL text cannot
 * hold it, so the record is rejected. Only a record with a \u0000 escape
 * (pos.nul) can have one: raw control bytes are rejected by the scanner. */
static bool nul_free(parse_ctx *c, json_pos pos, const char *p, size_t n, const char *key) {
    if (!pos.nul || !p || !memchr(p, 0, n)) return true;
    reject_at(c, pos, "%s: holds U+0000 (\\u0000), which PostgreSQL text cannot store", key);
    return false;
}

/* text field; returns false (and rejects) when it cannot be converted */
static bool get_text(parse_ctx *c, json_pos pos, const json_value *v, const char *key,
                     sl_str *out) {
    if (v->type == JSON_STRING) { /* json_to_text's answer, without the call */
        out->ptr = v->str ? v->str : "";
        out->len = v->len;
        return nul_free(c, pos, out->ptr, out->len, key);
    }
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
    if (v->type == JSON_NUMBER && isfinite(v->num)) { /* json_to_double's answer: the */
        *out = v->num;                                /* scanner's double of the text */
        *has = true;
        return true;
    }
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
    if (etl_quick_i64(v, out)) {
        *has = true;
        return true;
    }
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
    /* the directory readers take for a null partition value */
    if (s.artist_id.len == 26 && !memcmp(s.artist_id.ptr, "__HIVE_DEFAULT_PARTITION__", 26))
        return reject_at(c, pos,
                         "%s: __HIVE_DEFAULT_PARTITION__ names the null partition (readers "
                         "would read it back as null)",
                         "artist_id");
    /* it names a partition directory: "artist_id=<escaped>" must fit a file name */
    if (!lake_partition_fits("artist_id", s.artist_id.ptr, s.artist_id.len))
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

/* The file's record of user uid, created (with no event yet) if new. */
static user_rec *file_user(file_result *r, int64_t uid) {
    if (r->users.len && r->last_uid == uid) return &SL_VEC_AT(&r->users, user_rec, r->last_ix);
    bool ins;
    uint32_t *ix = sl_imap_upsert(&r->user_idx, uid, &ins);
    if (ins) {
        *ix = (uint32_t)r->users.len;
        user_rec *u = sl_vec_push(&r->users);
        u->uid = uid;
        u->ts = INT64_MIN;
    }
    r->last_uid = uid;
    r->last_ix = *ix;
    return &SL_VEC_AT(&r->users, user_rec, *ix);
}

static int on_event(void *ctx, const json_value *v, json_pos pos) {
    parse_ctx *c = ctx;
    file_result *r = c->r;
    sl_str page;
    int64_t uid = 0, ts = 0, session = 0;
    bool has_uid, has_ts, has_session = false, has_len = false;
    double length = 0;
    if (v[E_LENGTH].type == JSON_NUMBER) etl_match_prefetch(c->m, v[E_LENGTH].num);
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
    sl_str song = {0}, artist = {0}, ua = {0}; /* ua: as written when escaped */
    bool ua_esc = v[E_UA].type == JSON_STRING_ESCAPED;
    if (next) {
        if (!get_text(c, pos, &v[E_SONG], "song", &song)) return 0;
        if (!get_text(c, pos, &v[E_ARTIST], "artist", &artist)) return 0;
        if (ua_esc && pos.nul) { /* its text, decoded, may hold a NUL */
            r->ua_buf.len = 0;
            json_unescape(&v[E_UA], &r->ua_buf);
            if (!nul_free(c, pos, (const char *)r->ua_buf.data, r->ua_buf.len, "userAgent"))
                return 0;
        }
        if (ua_esc)
            ua = (sl_str){v[E_UA].str, v[E_UA].len};
        else if (!get_text(c, pos, &v[E_UA], "userAgent", &ua))
            return 0;
        if (!get_i64(c, pos, &v[E_SESSION], "sessionId", &session, &has_session)) return 0;
        if (!get_f64(c, pos, &v[E_LENGTH], "length", &length, &has_len)) return 0;
    }
    /* the record is accepted from here on */
    user_rec *u = has_uid ? file_user(r, uid) : NULL;
    if (next) {
        play_rec *p = sl_vec_push(&r->plays);
        p->ts_ms = ts;
        p->uid = uid;
        p->has_uid = has_uid;
        p->session = session;
        p->has_session = has_session;
        p->level = intern(r, level);
        /* a user's plays mostly repeat one agent: the scanner's memo
         * number says so for an escaped one without touching its bytes
         * again (the user's last agent is far back in the input, out of
         * cache); else compare its bytes as written (alive while this task
         * is parsed) before hashing */
        uint64_t memo = ua_esc ? v[E_UA].memo : 0;
        if (u && memo && u->ua_memo == memo)
            p->ua = u->ua;
        else if (u && !(memo && u->ua_memo) && u->ua_raw.ptr && ua.ptr && u->ua_raw.len == ua.len &&
                 !memcmp(u->ua_raw.ptr, ua.ptr, ua.len))
            p->ua = u->ua;
        else
            p->ua = ua_esc ? intern_escaped(r, &v[E_UA]) : intern(r, ua);
        if (u) {
            u->ua = p->ua;
            u->ua_raw = ua;
            u->ua_memo = memo;
        }
        p->match = has_len ? etl_find_match(c->m, song, artist, length) : -1;
        play_month(ts, p);
    }
    if (u && etl_user_replaces(ts, u->ts)) {
        u->ts = ts;
        u->first = borrow(c, first);
        u->last = borrow(c, last);
        u->gender = borrow(c, gender);
        u->level = borrow(c, level);
    }
    r->read++;
    r->accepted++;
    return 0;
}

json_fields *etl_fields_new(bool events) {
    if (!events) return json_fields_new(SONG_KEYS, S_N);
    json_fields *f = json_fields_new(EVENT_KEYS, E_N);
    json_fields_set_raw(f, E_UA);
    return f;
}

void etl_parse(const etl_match *m, file_result *r, bool events, json_scanner *sc,
               const uint8_t *data, size_t len, size_t stop) {
    r->bytes = stop;
    parse_ctx pc = {m, r, data, len};
    json_callbacks cb = {events ? on_event : on_song, on_reject};
    json_scan_until(sc, data, len, stop, &cb, &pc);
    r->lines = json_scanner_newlines(sc);
    if (!r->t.map && !r->t.own) /* the worker's buffer, reused: users' strings move out */
        for (size_t k = 0; k < r->users.len; k++) {
            user_rec *u = &SL_VEC_AT(&r->users, user_rec, k);
            u->first = keep(r, u->first);
            u->last = keep(r, u->last);
            u->gender = keep(r, u->gender);
            u->level = keep(r, u->level);
        }
}

void etl_result_init(file_result *r) {
    memset(r, 0, sizeof *r);
    sl_vec_init(&r->rejects, sizeof(reject_rec));
    sl_vec_init(&r->songs, sizeof(song_rec));
    sl_vec_init(&r->plays, sizeof(play_rec));
    sl_vec_init(&r->users, sizeof(user_rec));
    sl_imap_init(&r->user_idx);
    sl_map_init(&r->strs);
    sl_map_init(&r->ua_esc);
    sl_vec_init(&r->ua_text, sizeof(sl_str));
}

void etl_result_free(file_result *r) {
    sl_vec_free(&r->rejects);
    sl_vec_free(&r->songs);
    sl_vec_free(&r->plays);
    sl_vec_free(&r->users);
    sl_imap_free(&r->user_idx);
    sl_map_free(&r->strs);
    sl_map_free(&r->ua_esc);
    sl_vec_free(&r->ua_text);
    sl_buf_free(&r->ua_buf);
    sl_arena_free(&r->mem);
}
