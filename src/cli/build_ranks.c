/* build_ranks: how `songlake build` runs as N MPI ranks with one code path
 * (build_ranks.h, docs/mpi.md). Rank r parses the r-th contiguous byte range
 * of the sorted song files and of the sorted event logs; songs, artists,
 * users and start times are shuffled to the rank that owns each key, which
 * writes its share; every rank gets the deduplicated songs for the match
 * index; rank 0 (the leader) writes the rejects and the report and publishes
 * once every rank has finished. Every function here is called by every rank
 * in the same order, failed or not, so collectives always match and a
 * failure anywhere ends every rank at the next sync point. */
#include <stdlib.h>
#include <string.h>

#include "cli/build_ranks.h"
#include "dist/dist.h"

void ranks_my_range(const io_list *l, int rank, int size, size_t *lo, size_t *hi) {
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

bool ranks_all_ok(rank_ctx *rc, int local_rc) {
    if (local_rc < 0) rc->failed_here = true;
    return dist_all_ok(!rc->failed_here);
}

/* Gathers each rank's bytes on the leader and hands them, in rank order
 * (= input order), to merge(). */
typedef int (*merge_fn)(void *ctx, const uint8_t *p, size_t n, sl_err *err);
static int gather_merge(rank_ctx *rc, const sl_buf *mine, merge_fn merge, void *ctx, sl_err *err) {
    sl_buf all = {0};
    if (dist_gather0(mine, &all, err) < 0) return -1;
    int r = 0;
    if (rc->rank == 0 && all.len) {
        /* dist_gather0 frames each rank's part as u64 length + bytes */
        size_t off = 0;
        for (int k = 0; k < rc->size && r == 0; k++) {
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
static int gather_rejects(rank_ctx *rc, lake *lk, sl_err *err) {
    sl_buf b = {0};
    if (rc->rank) {
        sl_buf rej;
        uint64_t count;
        lake_take_rejects(lk, &rej, &count);
        sl_buf_append(&b, &count, 8);
        sl_buf_append(&b, rej.data, rej.len);
        sl_buf_free(&rej);
    }
    int r = gather_merge(rc, &b, merge_rejects_cb, lk, err);
    sl_buf_free(&b);
    return r;
}

/* The users and time shuffle: each key goes to the rank that owns it, which
 * merges what it receives in rank order (= input order). */
typedef void (*export_fn)(const etl *e, sl_buf *out, int nparts);
static int shuffle(rank_ctx *rc, etl *e, export_fn exp, void (*clear)(etl *),
                   int (*merge)(etl *, const uint8_t *, size_t, sl_err *), sl_err *err) {
    sl_buf *send = sl_calloc((size_t)rc->size, sizeof *send);
    sl_buf *recv = sl_calloc((size_t)rc->size, sizeof *recv);
    exp(e, send, rc->size);
    int r = dist_alltoall(send, recv, err);
    if (r == 0) clear(e);
    for (int k = 0; k < rc->size; k++) {
        if (r == 0) r = merge(e, recv[k].data, recv[k].len, err);
        sl_buf_free(&send[k]);
        sl_buf_free(&recv[k]);
    }
    free(send);
    free(recv);
    return r;
}

/* After the song files: songs (by song_id) and artists (by artist_id) go to
 * their owner ranks, which keep the first record in input order and write
 * their share; the leader appends every rank's song rejects; then every rank
 * gets every song for the match index. Every rank calls every collective. */
int ranks_combine_catalog(rank_ctx *rc, etl *e, lake *lk, sl_err *err) {
    int r = shuffle(rc, e, etl_export_songs, etl_clear_songs, etl_merge_songs, err);
    int r2 = shuffle(rc, e, etl_export_artists, etl_clear_artists, etl_merge_artists, err);
    if (r == 0) r = r2;
    if (r == 0) r = etl_write_catalog(e, err);
    r2 = gather_rejects(rc, lk, err);
    if (r == 0) r = r2;
    sl_buf mine = {0}, all = {0};
    etl_export_songs(e, &mine, 1);
    r2 = dist_allgather(&mine, &all, err);
    if (r == 0) r = r2;
    if (r == 0) {
        etl_clear_songs(e);
        r = etl_merge_songs(e, all.data, all.len, err);
        etl_build_match_index(e);
    }
    sl_buf_free(&mine);
    sl_buf_free(&all);
    etl_source_stats st = *etl_song_stats(e);
    uint64_t v[5] = {st.files, st.bytes, st.read, st.accepted, st.rejected};
    dist_sum_u64(v, 5);
    st = (etl_source_stats){v[0], v[1], v[2], v[3], v[4]};
    etl_absorb_song_stats(e, &st);
    return r;
}

/* After the events: users and start times are shuffled to their owners; the
 * leader gathers rejects and every rank's event statistics. */
int ranks_combine_events(rank_ctx *rc, etl *e, lake *lk, sl_err *err) {
    int r = shuffle(rc, e, etl_export_users, etl_clear_users, etl_merge_users, err);
    if (r == 0) r = shuffle(rc, e, etl_export_times, etl_clear_times, etl_merge_times, err);
    int r2 = gather_rejects(rc, lk, err);
    if (r == 0) r = r2;
    etl_source_stats st = *etl_event_stats(e);
    uint64_t v[6] = {st.files, st.bytes, st.read, st.accepted, st.rejected, etl_matched_plays(e)};
    dist_sum_u64(v, 6);
    st = (etl_source_stats){v[0], v[1], v[2], v[3], v[4]};
    etl_absorb_event_stats(e, &st, v[5]);
    return r;
}

int ranks_gather_files(rank_ctx *rc, lake *lk, sl_err *err) {
    sl_buf files = {0};
    if (rc->rank) lake_export_files(lk, &files);
    int r = gather_merge(rc, &files, merge_files_cb, lk, err);
    sl_buf_free(&files);
    return r;
}
