/* lake dimension tables: songs (one file per year/artist_id partition,
 * written by --threads tasks), artists, users and time (one file per
 * year/month), each sorted for deterministic files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

/* ---- dimension tables ------------------------------------------------ */
static int str_cmp(sl_str a, sl_str b) {
    if (!a.ptr || !b.ptr) return (a.ptr != NULL) - (b.ptr != NULL);
    size_t n = a.len < b.len ? a.len : b.len;
    int c = memcmp(a.ptr, b.ptr, n);
    if (c) return c;
    return (a.len > b.len) - (a.len < b.len);
}

static int song_cmp(const void *x, const void *y) {
    const lake_song *a = x, *b = y;
    if (a->has_year != b->has_year) return a->has_year ? 1 : -1;
    if (a->has_year && a->year != b->year) return a->year < b->year ? -1 : 1;
    int c = str_cmp(a->artist_id, b->artist_id);
    return c ? c : str_cmp(a->song_id, b->song_id);
}

static char *song_dir(const lake_song *s) {
    sl_buf b = {0};
    sl_buf_append(&b, "year=", 5);
    if (s->has_year) {
        char y[16];
        int n = snprintf(y, sizeof y, "%d", (int)s->year);
        lake_escape_partition(&b, y, (size_t)n);
    } else {
        lake_escape_partition(&b, NULL, 0);
    }
    sl_buf_append(&b, "/artist_id=", 11);
    lake_escape_partition(&b, s->artist_id.ptr, s->artist_id.len);
    sl_buf_putc(&b, 0);
    return (char *)b.data;
}

/* Song partitions are written in parallel (most hold one or two rows, so
 * the cost is creating a directory and a file each: filesystem work that
 * two threads overlap). Each task writes partition g = rows
 * [start[g], start[g+1]); the manifest is assembled afterwards in partition
 * order, so output is the same for any thread count. */
typedef struct songs_job {
    lake *lk;
    const lake_song *rows;
    const size_t *start;
    size_t n; /* partitions */
    closed_file *files;
    pthread_mutex_t mu;
    size_t failed; /* smallest failing partition, or SIZE_MAX */
    sl_err err;
} songs_job;

static int write_song_part(lake *lk, const lake_song *rows, size_t n, closed_file *out,
                           sl_err *err) {
    char *dir = song_dir(&rows[0]);
    part p;
    int rc = lake_part_open(lk, LAKE_SONGS, &p, dir, err);
    free(dir);
    for (size_t k = 0; rc == 0 && k < n; k++) {
        put_str(&p.cs, 0, rows[k].title);
        put_f64(&p.cs, 1, rows[k].duration, rows[k].has_duration);
        put_str(&p.cs, 2, rows[k].song_id);
        rc = lake_part_row_done(&p, err);
    }
    if (rc < 0) {
        lake_part_discard(&p);
        return -1;
    }
    if (lake_part_finish(&p, out, err) < 0)
        return sl_err_prefix(err, "%s", lake_table_name(LAKE_SONGS));
    return 0;
}

static void songs_task(void *ctx, size_t i, int worker) {
    (void)worker;
    songs_job *j = ctx;
    /* tasks alternate between the first and the last partitions, so the
     * two in flight are usually under different year= directories (a new
     * directory entry locks its parent: half the partitions share year=0) */
    size_t g = i % 2 == 0 ? i / 2 : j->n - 1 - i / 2;
    pthread_mutex_lock(&j->mu);
    bool skip = j->failed < g; /* an earlier partition failed: its error wins */
    pthread_mutex_unlock(&j->mu);
    if (skip) return;
    sl_err e;
    if (write_song_part(j->lk, j->rows + j->start[g], j->start[g + 1] - j->start[g], &j->files[g],
                        &e) == 0)
        return;
    pthread_mutex_lock(&j->mu);
    if (g < j->failed) {
        j->failed = g;
        j->err = e;
    }
    pthread_mutex_unlock(&j->mu);
}

int lake_write_songs(lake *lk, lake_song *rows, size_t n, sl_err *err) {
    if (lk->opts.follower && n == 0) return 0; /* no empty share files */
    if (n > 1) qsort(rows, n, sizeof *rows, song_cmp);
    size_t *start = sl_malloc((n + 1) * sizeof *start), ng = 0;
    for (size_t i = 0; i < n; ng++) {
        start[ng] = i;
        size_t j = i + 1;
        while (j < n && rows[j].has_year == rows[i].has_year && rows[j].year == rows[i].year &&
               str_cmp(rows[j].artist_id, rows[i].artist_id) == 0)
            j++;
        i = j;
    }
    start[ng] = n;
    songs_job job = {.lk = lk, .rows = rows, .start = start, .n = ng, .failed = SIZE_MAX};
    job.files = sl_calloc(ng ? ng : 1, sizeof(closed_file));
    pthread_mutex_init(&job.mu, NULL);
    sl_parallel_for(ng, lk->opts.threads, songs_task, &job);
    pthread_mutex_destroy(&job.mu);
    int rc = 0;
    if (job.failed != SIZE_MAX) {
        *err = job.err;
        rc = -1;
    }
    /* closed files go to the manifest in partition order; after a failure
     * the stage is aborted, so the entries only need freeing */
    for (size_t g = 0; g < ng; g++) {
        if (!job.files[g].name) continue;
        if (rc == 0)
            lake_manifest_add(lk, LAKE_SONGS, &job.files[g]);
        else
            free(job.files[g].name), free(job.files[g].stats);
    }
    free(job.files);
    free(start);
    return rc;
}

static int artist_cmp(const void *x, const void *y) {
    return str_cmp(((const lake_artist *)x)->artist_id, ((const lake_artist *)y)->artist_id);
}

int lake_write_artists(lake *lk, lake_artist *rows, size_t n, sl_err *err) {
    if (lk->opts.follower && n == 0) return 0; /* no empty share files */
    if (n > 1) qsort(rows, n, sizeof *rows, artist_cmp);
    part p;
    if (lake_part_open(lk, LAKE_ARTISTS, &p, "", err) < 0) {
        lake_part_discard(&p);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        put_str(&p.cs, 0, rows[i].artist_id);
        put_str(&p.cs, 1, rows[i].name);
        put_str(&p.cs, 2, rows[i].location);
        put_f64(&p.cs, 3, rows[i].latitude, rows[i].has_latitude);
        put_f64(&p.cs, 4, rows[i].longitude, rows[i].has_longitude);
        if (lake_part_row_done(&p, err) < 0) {
            lake_part_discard(&p);
            return -1;
        }
    }
    return lake_part_close(lk, LAKE_ARTISTS, &p, err);
}

static int user_cmp(const void *x, const void *y) {
    int64_t a = ((const lake_user *)x)->user_id, b = ((const lake_user *)y)->user_id;
    return (a > b) - (a < b);
}

int lake_write_users(lake *lk, lake_user *rows, size_t n, sl_err *err) {
    if (lk->opts.follower && n == 0) return 0; /* no empty share files */
    if (n > 1) qsort(rows, n, sizeof *rows, user_cmp);
    part p;
    if (lake_part_open(lk, LAKE_USERS, &p, "", err) < 0) {
        lake_part_discard(&p);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        put_i64(&p.cs, 0, rows[i].user_id, true);
        put_str(&p.cs, 1, rows[i].first_name);
        put_str(&p.cs, 2, rows[i].last_name);
        put_str(&p.cs, 3, rows[i].gender);
        put_str(&p.cs, 4, rows[i].level);
        if (lake_part_row_done(&p, err) < 0) {
            lake_part_discard(&p);
            return -1;
        }
    }
    return lake_part_close(lk, LAKE_USERS, &p, err);
}

static int time_cmp(const void *x, const void *y) {
    int64_t a = ((const lake_time *)x)->ts_us, b = ((const lake_time *)y)->ts_us;
    return (a > b) - (a < b);
}

/* Writes sorted start times (ts[k * stride]) as the time table, one file per
 * (year, month). */
static int write_time_sorted(lake *lk, const int64_t *ts, size_t stride, size_t n, sl_err *err) {
    if (lk->opts.follower && n == 0) return 0; /* no empty share files */
    lake_time cur = {0};
    part p;
    bool open = false;
    for (size_t k = 0; k < n; k++) {
        lake_time t = {.ts_us = ts[k * stride]};
        lake_time_parts(&t);
        if (!open || t.year != cur.year || t.month != cur.month) {
            if (open && lake_part_close(lk, LAKE_TIME, &p, err) < 0) return -1;
            char dir[64];
            lake_month_dir(dir, sizeof dir, t.year, t.month);
            if (lake_part_open(lk, LAKE_TIME, &p, dir, err) < 0) {
                lake_part_discard(&p);
                return -1;
            }
            open = true;
            cur = t;
        }
        put_i64(&p.cs, 0, t.ts_us, true);
        put_i32(&p.cs, 1, t.hour, true);
        put_i32(&p.cs, 2, t.day, true);
        put_i32(&p.cs, 3, t.week, true);
        put_i32(&p.cs, 4, t.weekday, true);
        if (lake_part_row_done(&p, err) < 0) {
            lake_part_discard(&p);
            return -1;
        }
    }
    return open ? lake_part_close(lk, LAKE_TIME, &p, err) : 0;
}

int lake_write_time(lake *lk, lake_time *rows, size_t n, sl_err *err) {
    if (n == 0) return 0;
    qsort(rows, n, sizeof *rows, time_cmp);
    return write_time_sorted(lk, &rows[0].ts_us, sizeof *rows / sizeof(int64_t), n, err);
}

int lake_write_time_us(lake *lk, int64_t *ts_us, size_t n, sl_err *err) {
    if (n == 0) return 0;
    n = sl_sort_i64(ts_us, n, true);
    return write_time_sorted(lk, ts_us, 1, n, err);
}
