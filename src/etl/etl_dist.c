/* etl_dist: the etl side of a build over MPI ranks (docs/mpi.md): the
 * songplayId count pass, and the records each shuffle moves (songs, artists,
 * users, start times) as bytes, exported split by owner rank and merged in
 * rank order (= input order), so SPEC's first-wins and latest-user rules
 * stay exact. The exchange itself is dist/'s, driven by build/build_ranks.c. */
#include <stdlib.h>
#include <string.h>

#include "etl/etl_internal.h"

int etl_count_plays(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                    uint64_t *count, sl_err *err) {
    e->count_only = true;
    e->counted = 0;
    etl_phase_times saved = e->times_s;
    int rc = etl_run_files(e, true, nfiles, sources, fetch, fctx, err);
    e->times_s = saved;
    e->count_only = false;
    *count = e->counted;
    return rc;
}

void etl_set_songplay_base(etl *e, uint64_t base) {
    e->songplays = base;
}

static void put_str(sl_buf *b, sl_str s) {
    uint32_t n = s.ptr ? s.len : UINT32_MAX; /* UINT32_MAX: null */
    sl_buf_append(b, &n, sizeof n);
    if (s.ptr) sl_buf_append(b, s.ptr, s.len);
}

static bool get_bytes(const uint8_t **p, const uint8_t *end, void *out, size_t n) {
    if ((size_t)(end - *p) < n) return false;
    memcpy(out, *p, n);
    *p += n;
    return true;
}

static bool get_str(const uint8_t **p, const uint8_t *end, sl_str *s) {
    uint32_t n;
    if (!get_bytes(p, end, &n, sizeof n)) return false;
    if (n == UINT32_MAX) {
        *s = (sl_str){NULL, 0};
        return true;
    }
    if ((size_t)(end - *p) < n) return false;
    *s = (sl_str){(const char *)*p, n};
    *p += n;
    return true;
}

/* Rank that owns a key in the users/time shuffle: the same on every rank. */
static size_t owner_of(int64_t k, int nparts) {
    return nparts > 1 ? (size_t)(sl_hash(&k, sizeof k) % (uint64_t)nparts) : 0;
}

static void export_users(const etl *e, sl_buf *out, int nparts) {
    for (size_t i = 0; i < e->users.len; i++) {
        const user_rec *u = &SL_VEC_AT(&e->users, user_rec, i);
        sl_buf *b = &out[owner_of(u->uid, nparts)];
        sl_buf_append(b, &u->uid, sizeof u->uid);
        sl_buf_append(b, &u->ts, sizeof u->ts);
        put_str(b, u->first);
        put_str(b, u->last);
        put_str(b, u->gender);
        put_str(b, u->level);
    }
}

static void clear_users(etl *e) {
    for (size_t i = 0; i < e->users.len; i++) free(SL_VEC_AT(&e->users, user_rec, i).blob);
    e->users.len = 0;
    sl_imap_free(&e->user_idx);
}

static int merge_users(etl *e, const uint8_t *p, size_t n, sl_err *err) {
    const uint8_t *end = p + n;
    while (p < end) {
        user_rec u = {0};
        if (!get_bytes(&p, end, &u.uid, sizeof u.uid) || !get_bytes(&p, end, &u.ts, sizeof u.ts) ||
            !get_str(&p, end, &u.first) || !get_str(&p, end, &u.last) ||
            !get_str(&p, end, &u.gender) || !get_str(&p, end, &u.level))
            return sl_err_set(err, "internal: truncated user records from another rank");
        etl_merge_user(e, &u);
    }
    return 0;
}

static void export_times(const etl *e, sl_buf *out, int nparts) {
    /* possibly with repeats (the set is compacted lazily): the owner dedups */
    for (size_t i = 0; i < e->times.count; i++)
        sl_buf_append(&out[owner_of(e->times.keys[i], nparts)], &e->times.keys[i], 8);
}

static void clear_times(etl *e) {
    free(e->times.keys);
    memset(&e->times, 0, sizeof e->times);
}

static int merge_times(etl *e, const uint8_t *p, size_t n, sl_err *err) {
    if (n % 8) return sl_err_set(err, "internal: truncated start times from another rank");
    for (size_t i = 0; i < n; i += 8) {
        int64_t t;
        memcpy(&t, p + i, 8);
        etl_set_add(&e->times, t);
    }
    return 0;
}

/* The catalog shuffle (song records by song_id, artist records by
 * artist_id) and the gather of the deduplicated songs to every rank. */
static size_t owner_of_str(sl_str k, int nparts) {
    return nparts > 1 ? (size_t)(sl_hash(k.ptr, k.len) % (uint64_t)nparts) : 0;
}

static void put_opt_f64(sl_buf *b, double v, bool has) {
    uint8_t h = has;
    sl_buf_append(b, &h, 1);
    sl_buf_append(b, &v, sizeof v);
}

static bool get_opt_f64(const uint8_t **p, const uint8_t *end, double *v, bool *has) {
    uint8_t h;
    if (!get_bytes(p, end, &h, 1) || !get_bytes(p, end, v, sizeof *v)) return false;
    *has = h != 0;
    return true;
}

static void export_songs(const etl *e, sl_buf *out, int nparts) {
    for (size_t i = 0; i < e->songs.len; i++) {
        const song_rec *r = &SL_VEC_AT(&e->songs, song_rec, i);
        sl_buf *b = &out[owner_of_str(r->song_id, nparts)];
        put_str(b, r->song_id);
        put_str(b, r->artist_id);
        put_str(b, r->title);
        put_str(b, r->artist_name);
        put_str(b, r->location);
        sl_buf_append(b, &r->year, sizeof r->year);
        put_opt_f64(b, 0, r->has_year);
        put_opt_f64(b, r->duration, r->has_duration);
        put_opt_f64(b, r->lat, r->has_lat);
        put_opt_f64(b, r->lon, r->has_lon);
    }
}

static void clear_songs(etl *e) {
    e->songs.len = 0;
    sl_map_free(&e->song_idx);
    sl_map_init(&e->song_idx);
    etl_match_free(&e->match);
}

static int merge_songs(etl *e, const uint8_t *p, size_t n, sl_err *err) {
    const uint8_t *end = p + n;
    while (p < end) {
        song_rec r = {0};
        double unused;
        if (!get_str(&p, end, &r.song_id) || !get_str(&p, end, &r.artist_id) ||
            !get_str(&p, end, &r.title) || !get_str(&p, end, &r.artist_name) ||
            !get_str(&p, end, &r.location) || !get_bytes(&p, end, &r.year, sizeof r.year) ||
            !get_opt_f64(&p, end, &unused, &r.has_year) ||
            !get_opt_f64(&p, end, &r.duration, &r.has_duration) ||
            !get_opt_f64(&p, end, &r.lat, &r.has_lat) || !get_opt_f64(&p, end, &r.lon, &r.has_lon))
            return sl_err_set(err, "internal: truncated song records from another rank");
        etl_merge_song_only(e, &r);
    }
    return 0;
}

static void export_artists(const etl *e, sl_buf *out, int nparts) {
    for (size_t i = 0; i < e->artists.len; i++) {
        const lake_artist *a = &SL_VEC_AT(&e->artists, lake_artist, i);
        sl_buf *b = &out[owner_of_str(a->artist_id, nparts)];
        put_str(b, a->artist_id);
        put_str(b, a->name);
        put_str(b, a->location);
        put_opt_f64(b, a->latitude, a->has_latitude);
        put_opt_f64(b, a->longitude, a->has_longitude);
    }
}

static void clear_artists(etl *e) {
    e->artists.len = 0;
    sl_map_free(&e->artist_idx);
    sl_map_init(&e->artist_idx);
}

static int merge_artists(etl *e, const uint8_t *p, size_t n, sl_err *err) {
    const uint8_t *end = p + n;
    while (p < end) {
        lake_artist a = {0};
        if (!get_str(&p, end, &a.artist_id) || !get_str(&p, end, &a.name) ||
            !get_str(&p, end, &a.location) || !get_opt_f64(&p, end, &a.latitude, &a.has_latitude) ||
            !get_opt_f64(&p, end, &a.longitude, &a.has_longitude))
            return sl_err_set(err, "internal: truncated artist records from another rank");
        etl_merge_artist_only(e, &a);
    }
    return 0;
}

void etl_export(const etl *e, etl_kind k, sl_buf *out, int nparts) {
    switch (k) {
    case ETL_SONGS: export_songs(e, out, nparts); break;
    case ETL_ARTISTS: export_artists(e, out, nparts); break;
    case ETL_USERS: export_users(e, out, nparts); break;
    case ETL_TIMES: export_times(e, out, nparts); break;
    }
}

int etl_merge(etl *e, etl_kind k, const sl_buf *parts, int nparts, sl_err *err) {
    static void (*const clear[])(etl *) = {clear_songs, clear_artists, clear_users, clear_times};
    static int (*const merge[])(etl *, const uint8_t *, size_t,
                                sl_err *) = {merge_songs, merge_artists, merge_users, merge_times};
    clear[k](e);
    for (int i = 0; i < nparts; i++)
        if (merge[k](e, parts[i].data, parts[i].len, err) < 0) return -1;
    return 0;
}
