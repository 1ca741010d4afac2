/* etl: SPEC.md rules over parsed records.
 *
 * Input is cut into tasks: a whole file, or for a mapped file a chunk of
 * about 8 MiB ending between records. The calling thread plans tasks in
 * input order into a ring of result slots, the workers parse them as they
 * come (etl_parse.c, each into its own file_result with its own arena), and
 * the calling thread merges them one by one in input order. Everything
 * order-dependent (first-wins dedup, latest user, songplayId, the order and
 * line numbers of rejects) happens in the merge, so output is the same for
 * any thread count and chunk size. Memory is bounded by the ring's tasks
 * plus the dimension keys, whatever the size of a file. */
#include "etl/etl_internal.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"

/* Start times are appended and deduplicated in bulk (radix sort + unique)
 * whenever the buffer fills: a sequential write per songplay instead of a
 * hash probe, and memory stays within twice the distinct keys. While they
 * arrive in order (logs sorted by time, merged in file order) a repeat of
 * the last one is dropped at once and the array never needs sorting. */
void etl_set_add(i64_set *s, int64_t k) {
    if (s->count == s->cap) {
        if (s->unsorted) s->count = sl_sort_i64(s->keys, s->count, true);
        s->unsorted = false;
        if (s->count * 2 >= s->cap) {
            s->cap = s->cap ? s->cap * 2 : 4096;
            s->keys = sl_realloc(s->keys, s->cap * sizeof *s->keys);
        }
    }
    if (s->count && !s->unsorted) {
        int64_t last = s->keys[s->count - 1];
        if (k == last) return;
        if (k < last) s->unsorted = true;
    }
    s->keys[s->count++] = k;
}

size_t etl_set_compact(i64_set *s) {
    if (s->unsorted) s->count = sl_sort_i64(s->keys, s->count, true);
    s->unsorted = false;
    return s->count;
}

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
    sl_imap_init(&e->user_idx);
    e->song_fields = etl_fields_new(false);
    e->event_fields = etl_fields_new(true);
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
    etl_match_free(&e->match);
    sl_imap_free(&e->user_idx);
    free(e->times.keys);
    sl_arena_free(&e->mem);
    free(e);
}

void etl_get_stats(const etl *e, etl_stats *out) {
    out->songs = e->song_stats;
    out->events = e->event_stats;
    out->matched = e->matched;
    out->times = e->times_s;
}

/* The tasks in flight: a ring of result slots. The calling thread plans
 * tasks into free slots and merges them in order; `threads` workers take
 * planned tasks as they come, so no worker waits for a slow neighbour. */
typedef struct queue {
    etl *e;
    bool events;
    etl_fetch_fn fetch;
    void *fctx;
    file_result *slots;
    bool *done;
    size_t cap;
    size_t planned, started, merged; /* task sequence numbers */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t work, ready;
} queue;

static void parse_task(queue *q, file_result *r, int worker) {
    etl *e = q->e;
    if (r->failed) return; /* the planner could not map the file */
    const uint8_t *data;
    size_t len, stop;
    double t0 = sl_now();
    sl_buf *wb = &e->wbufs[worker];
    if (r->t.own) {
        data = r->t.own;
        len = r->t.own_len;
        stop = (size_t)r->t.len;
    } else if (r->t.map) {
        data = r->t.map + r->t.off;
        len = r->t.map_len - (size_t)r->t.off; /* a bad record may run on */
        stop = (size_t)r->t.len;
        if (e->mapper->prefetch)
            e->mapper->prefetch(e->mapper_ctx, r->t.map, (size_t)r->t.off, stop);
    } else {
        wb->len = 0;
        if (q->fetch(q->fctx, r->t.file, wb, &r->err) < 0) {
            r->failed = 1;
            return;
        }
        data = wb->data ? wb->data : (const uint8_t *)"";
        len = stop = wb->len;
    }
    double t1 = sl_now();
    etl_parse(&e->match, r, q->events, e->scanners[worker], data, len, stop);
    r->t_read = t1 - t0;
    r->t_parse = sl_now() - t1;
    /* keep the capacity for the next file unless it is unusually large */
    if (wb->cap > ((size_t)256 << 20)) sl_buf_free(wb);
}

/* Takes the next planned task and parses it; call with q->mu held. */
static void run_one(queue *q, int worker) {
    size_t seq = q->started++;
    pthread_mutex_unlock(&q->mu);
    parse_task(q, &q->slots[seq % q->cap], worker);
    pthread_mutex_lock(&q->mu);
    q->done[seq % q->cap] = true;
    pthread_cond_signal(&q->ready);
}

typedef struct worker_arg {
    queue *q;
    int id;
} worker_arg;

static void *worker_main(void *arg) {
    worker_arg *w = arg;
    queue *q = w->q;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (q->started == q->planned && !q->stop) pthread_cond_wait(&q->work, &q->mu);
        if (q->started == q->planned) break; /* stopped, nothing left */
        run_one(q, w->id);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
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
    double t0 = sl_now();
    int rc = lake_append_songplays(e->lk, rows, *n, err);
    e->times_s.encode += sl_now() - t0;
    *n = 0;
    return rc;
}

/* Keeps u when it is the user's latest event so far; u comes later in input
 * order than everything merged before it, so it wins ties. */
void etl_merge_user(etl *e, const user_rec *u) {
    bool ins;
    uint32_t *ix = sl_imap_upsert(&e->user_idx, u->uid, &ins);
    user_rec *g;
    if (ins) {
        *ix = (uint32_t)e->users.len;
        g = sl_vec_push(&e->users);
    } else {
        g = &SL_VEC_AT(&e->users, user_rec, *ix);
        if (!etl_user_replaces(u->ts, g->ts)) return;
    }
    g->uid = u->uid;
    g->ts = u->ts;
    user_set_strings(g, u);
}

static int merge_events(etl *e, file_result *r, sl_err *err) {
    enum { CHUNK = 1024 };
    lake_songplay rows[CHUNK];
    size_t n = 0;
    enum { AHEAD = 16 }; /* the catalog (1.7 MB at 15,000 songs) is out of cache */
    for (size_t i = 0; i < r->plays.len; i++) {
        const play_rec *p = &SL_VEC_AT(&r->plays, play_rec, i);
        if (i + AHEAD < r->plays.len) {
            int32_t m = SL_VEC_AT(&r->plays, play_rec, i + AHEAD).match;
            if (m >= 0) {
                const song_rec *f = &SL_VEC_AT(&e->songs, song_rec, m);
                __builtin_prefetch(&f->song_id);   /* both 16-byte aligned: */
                __builtin_prefetch(&f->artist_id); /* one line each at most */
            }
        }
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
    if (r->t.off == 0) e->line_base = 0;
    st->files += r->t.last;
    st->bytes += r->bytes;
    st->read += r->read;
    st->accepted += r->accepted;
    st->rejected += r->rejects.len;
    for (size_t i = 0; i < r->rejects.len; i++) {
        const reject_rec *rj = &SL_VEC_AT(&r->rejects, reject_rec, i);
        if (lake_add_reject(e->lk, source, e->line_base + rj->line, r->t.off + rj->byte, rj->reason,
                            rj->raw, rj->rawlen, err) < 0)
            return -1;
    }
    e->line_base += r->lines;
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

/* The next chunk boundary at or after `from`: just after a newline that
 * ends a line closing an object ('}') and comes before a line opening one
 * ('{'). A raw newline cannot be inside a JSON string, and inside a
 * pretty-printed record or a top-level array such a pair needs a ',', so a
 * boundary never splits a record. None: the file's end. */
static size_t chunk_boundary(const uint8_t *p, size_t len, size_t from) {
    while (from < len) {
        const uint8_t *nl = memchr(p + from, '\n', len - from);
        if (!nl) return len;
        size_t q = (size_t)(nl - p), a = q, b = q + 1;
        while (a > 0 && (p[a - 1] == '\r' || p[a - 1] == ' ' || p[a - 1] == '\t')) a--;
        while (b < len && (p[b] == ' ' || p[b] == '\t' || p[b] == '\r' || p[b] == '\n')) b++;
        if (a > 0 && p[a - 1] == '}' && b < len && p[b] == '{') return q + 1;
        from = q + 1;
    }
    return len;
}

/* Splits the input into tasks, one file or one chunk of a mapped or
 * streamed file at a time, in input order. */
typedef struct planner {
    etl *e;
    size_t nfiles, next; /* next file to plan */
    const uint8_t *map;  /* file next - 1 when mapped and not fully planned */
    size_t map_len, pos;
    char *const *sources;
    void *stream;  /* file next - 1 when streamed and not at its end */
    sl_buf carry;  /* its bytes read and not yet in a task */
    uint64_t spos; /* the file offset of carry[0] */
    bool seof;     /* the stream is at its end: carry is the rest */
} planner;

/* chunk_boundary over the bytes read so far of a stream: the cut at or
 * after *from (relative to p), with *brace the '{' after it; SIZE_MAX when
 * more bytes are needed to tell (then *from is where to look again); len
 * when there is none (only at the end). */
static size_t stream_cut(const uint8_t *p, size_t len, size_t *from, bool eof, size_t *brace) {
    while (*from < len) {
        const uint8_t *nl = memchr(p + *from, '\n', len - *from);
        if (!nl) break;
        size_t q = (size_t)(nl - p), a = q, b = q + 1;
        while (a > 0 && (p[a - 1] == '\r' || p[a - 1] == ' ' || p[a - 1] == '\t')) a--;
        if (a > 0 && p[a - 1] == '}') {
            while (b < len && (p[b] == ' ' || p[b] == '\t' || p[b] == '\r' || p[b] == '\n')) b++;
            if (b == len && !eof) {
                *from = q;
                return SIZE_MAX;
            }
            if (b < len && p[b] == '{') {
                *brace = b;
                return q + 1;
            }
        }
        *from = q + 1;
    }
    if (!eof) {
        *from = len;
        return SIZE_MAX;
    }
    return len;
}

static void stream_end(planner *pl) {
    if (pl->stream) pl->e->mapper->stream_close(pl->e->mapper_ctx, pl->stream);
    pl->stream = NULL;
    sl_buf_free(&pl->carry);
}

/* The next chunk of the streamed file: about chunk_bytes read, then on to
 * a cut (never one inside a record, so rows and rejects are those of the
 * whole file); the task owns its bytes. */
static void plan_stream(planner *pl, file_result *r) {
    etl *e = pl->e;
    size_t chunk = e->opts.chunk_bytes ? e->opts.chunk_bytes : (size_t)8 << 20;
    size_t maxp = e->opts.max_piece_bytes ? e->opts.max_piece_bytes : (size_t)256 << 20;
    size_t step = chunk < 4096 ? 4096 : chunk > ((size_t)1 << 20) ? (size_t)1 << 20 : chunk;
    size_t from = chunk - 1, cut = SIZE_MAX, brace = 0;
    sl_buf *c = &pl->carry;
    for (;;) {
        if (c->len >= chunk || pl->seof) {
            cut = stream_cut(c->data, c->len, &from, pl->seof, &brace);
            if (cut != SIZE_MAX) break;
        }
        if (c->len > maxp) {
            sl_err_set(&r->err,
                       "%s: more than %zu bytes without a record boundary (a line ending '}' "
                       "followed by one starting '{'); a compressed file is read in pieces that "
                       "end there (raise SONGLAKE_MAX_PIECE_BYTES)",
                       pl->sources[pl->next - 1], maxp);
            r->failed = 1;
            stream_end(pl);
            return;
        }
        sl_buf_reserve(c, step);
        long n = e->mapper->stream_read(e->mapper_ctx, pl->stream, c->data + c->len, step, &r->err);
        if (n < 0) {
            r->failed = 1;
            stream_end(pl);
            return;
        }
        if (n == 0) pl->seof = true;
        c->len += (size_t)n;
    }
    r->t.file = pl->next - 1;
    r->t.off = pl->spos;
    r->t.len = cut;
    r->t.last = cut == c->len;
    r->t.own_len = r->t.last ? c->len : brace + 1;
    r->t.own = c->data ? c->data : sl_malloc(1);
    sl_buf rest = {0};
    if (!r->t.last) {
        sl_buf_reserve(&rest, (c->len - cut) + chunk + step);
        sl_buf_append(&rest, c->data + cut, c->len - cut);
    }
    *c = rest;
    pl->spos += cut;
    if (r->t.last) stream_end(pl);
}

static bool plan_next(planner *pl, file_result *r) {
    etl *e = pl->e;
    etl_result_init(r);
    if (pl->stream) {
        plan_stream(pl, r);
        return true;
    }
    if (!pl->map) {
        if (pl->next >= pl->nfiles) return false;
        r->t.file = pl->next++;
        r->t.last = true;
        if (!e->mapper) return true;
        if (e->mapper->stream_open) {
            int m = e->mapper->stream_open(e->mapper_ctx, r->t.file, &pl->stream, &r->err);
            if (m < 0) r->failed = 1;
            if (m < 0) return true;
            if (m > 0) {
                pl->spos = 0;
                pl->seof = false;
                plan_stream(pl, r);
                return true;
            }
        }
        const uint8_t *d;
        size_t n;
        int m = e->mapper->map(e->mapper_ctx, r->t.file, &d, &n, &r->err);
        if (m < 0) r->failed = 1;
        if (m <= 0) return true;
        pl->map = d;
        pl->map_len = n;
        pl->pos = 0;
    }
    size_t chunk = e->opts.chunk_bytes ? e->opts.chunk_bytes : (size_t)8 << 20;
    size_t end = pl->map_len - pl->pos > chunk
                     ? chunk_boundary(pl->map, pl->map_len, pl->pos + chunk - 1)
                     : pl->map_len;
    r->t.file = pl->next - 1;
    r->t.map = pl->map;
    r->t.map_len = pl->map_len;
    r->t.off = pl->pos;
    r->t.len = end - pl->pos;
    r->t.last = end == pl->map_len;
    pl->pos = end;
    if (r->t.last) pl->map = NULL;
    return true;
}

/* After a task's merge: its pages (and at the file's end, the mapping) go. */
static void task_done(etl *e, const task *t) {
    free(t->own);
    if (!t->map) return;
    if (t->last)
        e->mapper->unmap(e->mapper_ctx, t->map, t->map_len);
    else if (e->mapper->release)
        e->mapper->release(e->mapper_ctx, t->map, (size_t)t->off, (size_t)t->len);
}

void etl_set_mapper(etl *e, const etl_mapper *m, void *ctx) {
    e->mapper = m;
    e->mapper_ctx = ctx;
}

/* Tasks are planned in input order up to a bound (threads x 4 chunks, or
 * threads x 128 small song files) ahead of the merge, parsed by the workers
 * in any order, and merged strictly in order on the calling thread. */
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
    queue q = {.e = e, .events = events, .fetch = fetch, .fctx = fctx};
    q.cap = (size_t)threads * (events ? 4 : 128);
    q.slots = sl_calloc(q.cap, sizeof *q.slots);
    q.done = sl_calloc(q.cap, sizeof *q.done);
    pthread_mutex_init(&q.mu, NULL);
    pthread_cond_init(&q.work, NULL);
    pthread_cond_init(&q.ready, NULL);
    pthread_t *th = sl_calloc((size_t)threads, sizeof *th);
    worker_arg *wa = sl_calloc((size_t)threads, sizeof *wa);
    int nworkers = 0;
    for (int t = 0; t < threads; t++) {
        wa[t] = (worker_arg){&q, t};
        if (pthread_create(&th[nworkers], NULL, worker_main, &wa[t]) == 0) nworkers++;
    }
    planner pl = {.e = e, .nfiles = nfiles, .sources = sources};
    uint64_t done_bytes = 0, done_files = 0;
    int rc = 0;
    bool more = true;
    for (;;) {
        while (rc == 0 && more && q.planned - q.merged < q.cap) {
            size_t slot = q.planned % q.cap;
            if (!plan_next(&pl, &q.slots[slot])) {
                more = false;
                break;
            }
            pthread_mutex_lock(&q.mu);
            q.done[slot] = false;
            q.planned++;
            pthread_cond_signal(&q.work);
            pthread_mutex_unlock(&q.mu);
        }
        if (q.merged == q.planned) break;
        size_t slot = q.merged % q.cap;
        pthread_mutex_lock(&q.mu);
        while (!q.done[slot]) {
            if (nworkers == 0) /* no threads: parse here, same result */
                run_one(&q, 0);
            else
                pthread_cond_wait(&q.ready, &q.mu);
        }
        pthread_mutex_unlock(&q.mu);
        file_result *r = &q.slots[slot];
        e->times_s.read += r->t_read;
        e->times_s.parse += r->t_parse;
        if (rc == 0) {
            double t0 = sl_now();
            rc = merge_result(e, events, sources[r->t.file], r, st, err);
            e->times_s.merge += sl_now() - t0;
            done_bytes += r->bytes;
            done_files += r->t.last;
            if (e->opts.progress && r->t.last)
                e->opts.progress(e->opts.progress_ctx, done_files, done_bytes);
        }
        task_done(e, &r->t);
        etl_result_free(r);
        q.merged++;
    }
    pthread_mutex_lock(&q.mu);
    q.stop = true;
    pthread_cond_broadcast(&q.work);
    pthread_mutex_unlock(&q.mu);
    for (int t = 0; t < nworkers; t++) pthread_join(th[t], NULL);
    /* a failed run stops planning: a file mapped but not fully planned */
    if (pl.map) e->mapper->unmap(e->mapper_ctx, pl.map, pl.map_len);
    stream_end(&pl);
    pthread_cond_destroy(&q.work);
    pthread_cond_destroy(&q.ready);
    pthread_mutex_destroy(&q.mu);
    free(q.slots);
    free(q.done);
    free(th);
    free(wa);
    for (int t = 0; t < e->nscanners; t++) sl_buf_free(&e->wbufs[t]); /* not needed by finish */
    return rc;
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
    e->catalog_pending = true; /* written by etl_finish, next to `time` */
    return 0;
}

int etl_run_events(etl *e, size_t nfiles, char *const *sources, etl_fetch_fn fetch, void *fctx,
                   sl_err *err) {
    return etl_run_files(e, true, nfiles, sources, fetch, fctx, err);
}

typedef struct time_job {
    etl *e;
    sl_err err;
    int rc;
} time_job;

static void *write_time(void *arg) {
    time_job *j = arg;
    etl *e = j->e;
    size_t n = etl_set_compact(&e->times);
    e->times.count = 0;
    j->rc = lake_write_time_us(e->lk, e->times.keys, n, &j->err);
    free(e->times.keys);
    e->times.keys = NULL;
    e->times.cap = 0;
    return NULL;
}

/* `time` (one sorted file per month, serial per file) is written on its own
 * thread while this one writes users and, in a single-process run, songs and
 * artists: the tables are independent, and the end of the run would
 * otherwise leave a core idle. */
int etl_finish(etl *e, sl_err *err) {
    time_job tj = {.e = e};
    pthread_t th;
    bool bg = pthread_create(&th, NULL, write_time, &tj) == 0;
    lake_user *users = sl_calloc(e->users.len, sizeof *users);
    for (size_t i = 0; i < e->users.len; i++) {
        const user_rec *u = &SL_VEC_AT(&e->users, user_rec, i);
        users[i] = (lake_user){u->uid, u->first, u->last, u->gender, u->level};
    }
    int rc = lake_write_users(e->lk, users, e->users.len, err);
    free(users);
    if (rc == 0 && e->catalog_pending) {
        e->catalog_pending = false;
        rc = etl_write_catalog(e, err);
    }
    if (bg)
        pthread_join(th, NULL);
    else
        write_time(&tj);
    if (rc == 0 && tj.rc < 0) {
        *err = tj.err;
        rc = -1;
    }
    return rc;
}
