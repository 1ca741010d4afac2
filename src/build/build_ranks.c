/* build_ranks: the MPI driver of `songlake build` (docs/mpi.md), the same
 * steps as build_local.c with the exchanges between them. Rank r parses the
 * r-th contiguous byte range of the sorted song files and of the sorted
 * event logs; songs, artists, users and start times are shuffled to the
 * rank that owns each key, which writes its share; every rank gets the
 * deduplicated songs for the match index; rank 0 (the leader) writes the
 * rejects and the report and commits once every rank has finished. Every
 * function here is called by every rank in the same order, failed or not,
 * so collectives always match and a failure anywhere ends every rank at the
 * next sync point (all_ok). */
#include <stdlib.h>
#include <string.h>

#include "build/build_internal.h"
#include "dist/dist.h"

/* [lo, hi) of the files whose first byte falls in this rank's byte share. */
static void my_range(const io_list *l, int rank, int size, size_t *lo, size_t *hi) {
    uint64_t total = 0, acc = 0;
    for (size_t i = 0; i < l->n; i++) total += l->files[i].size;
    *lo = *hi = 0;
    bool lo_set = false;
    for (size_t i = 0; i < l->n; i++) {
        /* owner of file i: the rank whose byte range holds its first byte */
        int owner = total ? (int)((__uint128_t)acc * (unsigned)size / total)
                          : (int)(i * (unsigned)size / l->n);
        if (owner >= size) owner = size - 1;
        if (owner == rank && !lo_set) *lo = i, lo_set = true;
        if (owner <= rank) *hi = i + 1;
        acc += l->files[i].size;
    }
    if (!lo_set) *lo = *hi;
}

/* A sync point: true when every rank is still fine. */
static bool all_ok(build_state *s, int local_rc) {
    if (local_rc < 0) s->failed_here = true;
    return dist_all_ok(!s->failed_here);
}

/* Gathers each rank's bytes on the leader and hands them, in rank order
 * (= input order), to merge(). */
typedef int (*merge_fn)(void *ctx, const uint8_t *p, size_t n, sl_err *err);
static int gather_merge(build_state *s, const sl_buf *mine, merge_fn merge, void *ctx,
                        sl_err *err) {
    sl_buf all = {0};
    if (dist_gather0(mine, &all, err) < 0) return -1;
    int r = 0;
    if (s->rank == 0 && all.len) {
        /* dist_gather0 frames each rank's part as u64 length + bytes */
        size_t off = 0;
        for (int k = 0; k < s->size && r == 0; k++) {
            uint64_t n;
            memcpy(&n, all.data + off, 8);
            off += 8;
            if (k > 0) r = merge(ctx, all.data + off, n, err); /* the leader's own are in place */
            off += n;
        }
    }
    sl_buf_free(&all);
    return r;
}

static int merge_rejects_cb(void *ctx, const uint8_t *p, size_t n, sl_err *err) {
    if (n < 8) return 0;
    uint64_t count;
    memcpy(&count, p, 8);
    return lake_append_rejects(ctx, p + 8, n - 8, count, err);
}
static int merge_files_cb(void *ctx, const uint8_t *p, size_t n, sl_err *err) {
    return lake_import_files(ctx, p, n, err);
}

/* The leader appends every other rank's rejects so far, in rank order. */
static int gather_rejects(build_state *s, sl_err *err) {
    sl_buf b = {0};
    if (s->rank) {
        sl_buf rej;
        uint64_t count;
        lake_take_rejects(s->lk, &rej, &count);
        sl_buf_append(&b, &count, 8);
        sl_buf_append(&b, rej.data, rej.len);
        sl_buf_free(&rej);
    }
    int r = gather_merge(s, &b, merge_rejects_cb, s->lk, err);
    sl_buf_free(&b);
    return r;
}

/* Each key of kind k goes to the rank that owns it, which merges what it
 * receives in rank order (= input order). */
static int shuffle(build_state *s, etl_kind k, sl_err *err) {
    sl_buf *send = sl_calloc((size_t)s->size, sizeof *send);
    sl_buf *recv = sl_calloc((size_t)s->size, sizeof *recv);
    etl_export(s->e, k, send, s->size);
    int r = dist_alltoall(send, recv, err);
    if (r == 0) r = etl_merge(s->e, k, recv, s->size, err);
    for (int i = 0; i < s->size; i++) {
        sl_buf_free(&send[i]);
        sl_buf_free(&recv[i]);
    }
    free(send);
    free(recv);
    return r;
}

/* After the song files: songs (by song_id) and artists (by artist_id) go to
 * their owner ranks, which keep the first record in input order and write
 * their share; the leader appends every rank's song rejects; then every rank
 * gets every song for the match index. */
static int combine_catalog(build_state *s, sl_err *err) {
    int r = shuffle(s, ETL_SONGS, err);
    int r2 = shuffle(s, ETL_ARTISTS, err);
    if (r == 0) r = r2;
    if (r == 0) r = etl_write_catalog(s->e, err);
    r2 = gather_rejects(s, err);
    if (r == 0) r = r2;
    sl_buf mine = {0}, all = {0};
    etl_export(s->e, ETL_SONGS, &mine, 1);
    r2 = dist_allgather(&mine, &all, err);
    if (r == 0) r = r2;
    if (r == 0) {
        r = etl_merge(s->e, ETL_SONGS, &all, 1, err);
        etl_build_match_index(s->e);
    }
    sl_buf_free(&mine);
    sl_buf_free(&all);
    build_collect(s);
    etl_source_stats *st = &s->sum.songs;
    uint64_t v[5] = {st->files, st->bytes, st->read, st->accepted, st->rejected};
    dist_sum_u64(v, 5);
    *st = (etl_source_stats){v[0], v[1], v[2], v[3], v[4]};
    return r;
}

/* After the events: users and start times are shuffled to their owners; the
 * leader gathers rejects and every rank's event statistics. */
static int combine_events(build_state *s, sl_err *err) {
    int r = shuffle(s, ETL_USERS, err);
    if (r == 0) r = shuffle(s, ETL_TIMES, err);
    int r2 = gather_rejects(s, err);
    if (r == 0) r = r2;
    etl_source_stats songs = s->sum.songs; /* summed already */
    build_collect(s);
    s->sum.songs = songs;
    etl_source_stats *st = &s->sum.events;
    uint64_t v[6] = {st->files,    st->bytes,    st->read,
                     st->accepted, st->rejected, s->sum.songplays_matched};
    dist_sum_u64(v, 6);
    *st = (etl_source_stats){v[0], v[1], v[2], v[3], v[4]};
    s->sum.songplays_matched = v[5];
    return r;
}

/* After every rank closed its files: the leader learns them all. */
static int gather_files(build_state *s, sl_err *err) {
    sl_buf files = {0};
    if (s->rank) lake_export_files(s->lk, &files);
    int r = gather_merge(s, &files, merge_files_cb, s->lk, err);
    sl_buf_free(&files);
    return r;
}

int build_drive_ranks(build_state *s, sl_err *err) {
    if (s->leader) s->run_id = build_make_run_id();
    dist_bcast_str(&s->run_id);
    int lr = build_plan(s, err);
    /* the leader opens (and locks) the store and the stages first */
    if (s->leader && lr == 0) lr = build_open(s, err);
    if (!all_ok(s, lr)) return -1;
    if (!s->leader) lr = build_open(s, err);
    if (lr == 0) build_start_etl(s);
    double t1 = sl_now();
    s->pr.what = "songs";
    s->pr.total_files = s->songs.n;
    /* this rank's share of the catalog, then the shuffle */
    size_t a = 0, z = 0;
    my_range(&s->songs, s->rank, s->size, &a, &z);
    io_list share = {s->songs.files + a, z - a};
    if (lr == 0) lr = build_read(s, etl_parse_songs, &share, err);
    if (!all_ok(s, lr)) return -1;
    lr = combine_catalog(s, err);
    if (!all_ok(s, lr)) return -1;
    double t2 = sl_now();
    s->pt.songs = t2 - t1;

    size_t lo = 0, hi = 0;
    my_range(&s->logs, s->rank, s->size, &lo, &hi);
    io_list mine = {s->logs.files + lo, hi - lo};
    uint64_t count = 0; /* songplayIds: this rank's offset among all ranks */
    lr = build_count_plays(s, &mine, &count, err);
    if (!all_ok(s, lr)) return -1;
    etl_set_songplay_base(s->e, dist_exscan_u64(count));
    s->pr.what = "events";
    s->pr.total_files = mine.n;
    s->pr.start = t2;
    lr = build_read(s, etl_run_events, &mine, err);
    if (!all_ok(s, lr)) return -1;
    double t3 = sl_now();
    s->pt.events = t3 - t2;

    lr = combine_events(s, err);
    if (lr == 0) lr = build_check_rejects(s, err);
    if (!all_ok(s, lr)) return -1;
    lr = build_write(s, err); /* each rank writes its share of users and time */
    /* a follower's files are complete (uploads done) before the leader
     * commits a star that names them */
    if (lr == 0 && !s->leader) lr = build_complete_files(s, err);
    if (!all_ok(s, lr)) return -1;
    lr = gather_files(s, err);
    if (!all_ok(s, lr)) return -1;
    double t4 = sl_now();
    s->pt.finish = t4 - t3;
    s->pt.total = t4 - s->t0;
    if (s->leader) lr = build_commit(s, err);
    s->sum.published = all_ok(s, lr);
    if (!s->sum.published) return -1;
    return build_after_commit(s, err);
}
