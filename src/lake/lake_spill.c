/* lake spill: songplays rows of a month whose file was already closed.
 *
 * Songplays keep LAKE_SP_MAX_OPEN files open (each buffers a row group);
 * a row for another month closes the least recently used one. A month seen
 * again after its file was closed used to get a new file each time, so
 * events cycling through five months made one file per row (5,000 one-row
 * files for 1.5 MB of logs). Now such rows are appended to a spill (one
 * temporary file for the run, in blocks of whole rows tagged by month) and
 * written at lake_finish as the month's second file, part-00000-c001: at
 * most two files per partition per run (per rank), whatever the order, and
 * memory bounded by one block per spilled month. Rows keep their input
 * (songplayId) order within each file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_internal.h"

enum { SPILL_BLOCK = 64 << 10 };

typedef struct spill_month {
    char dir[64];
    sl_buf buf;   /* rows not yet in the file */
    sl_vec spans; /* uint64_t pairs: offset, length of each block written */
    uint64_t rows;
} spill_month;

struct lake_spill {
    FILE *f;
    uint64_t size;
    sl_map idx; /* dir -> months[] */
    sl_vec months;
};

static void spill_put_str(sl_buf *b, sl_str s) {
    uint32_t n = s.ptr ? s.len : UINT32_MAX;
    sl_buf_append(b, &n, 4);
    if (s.ptr && s.len) sl_buf_append(b, s.ptr, s.len);
}

static void spill_put_row(sl_buf *b, const lake_songplay *r) {
    int64_t v[4] = {r->songplay_id, r->user_id, r->start_time_us, r->session_id};
    int32_t ym[2] = {r->year, r->month};
    uint8_t flags = (uint8_t)(r->has_user_id | r->has_session_id << 1);
    sl_buf_append(b, v, sizeof v);
    sl_buf_append(b, ym, sizeof ym);
    sl_buf_append(b, &flags, 1);
    spill_put_str(b, r->level);
    spill_put_str(b, r->song_id);
    spill_put_str(b, r->artist_id);
    spill_put_str(b, r->user_agent);
}

static const uint8_t *spill_get_str(const uint8_t *p, sl_str *s) {
    uint32_t n;
    memcpy(&n, p, 4);
    p += 4;
    if (n == UINT32_MAX) {
        *s = (sl_str){NULL, 0};
        return p;
    }
    *s = (sl_str){n ? (const char *)p : "", n};
    return p + n;
}

static const uint8_t *spill_get_row(const uint8_t *p, lake_songplay *r) {
    int64_t v[4];
    int32_t ym[2];
    memcpy(v, p, sizeof v);
    memcpy(ym, p + sizeof v, sizeof ym);
    uint8_t flags = p[sizeof v + sizeof ym];
    p += sizeof v + sizeof ym + 1;
    memset(r, 0, sizeof *r);
    r->songplay_id = v[0];
    r->user_id = v[1];
    r->start_time_us = v[2];
    r->session_id = v[3];
    r->year = ym[0];
    r->month = ym[1];
    r->has_user_id = flags & 1;
    r->has_session_id = (flags >> 1) & 1;
    p = spill_get_str(p, &r->level);
    p = spill_get_str(p, &r->song_id);
    p = spill_get_str(p, &r->artist_id);
    return spill_get_str(p, &r->user_agent);
}

static int flush_month(lake_spill *sp, spill_month *m, sl_err *err) {
    if (!m->buf.len) return 0;
    if (fwrite(m->buf.data, 1, m->buf.len, sp->f) != m->buf.len)
        return sl_err_set(err, "songplays spill: writing the temporary file failed");
    uint64_t *span = sl_vec_push(&m->spans);
    span[0] = sp->size;
    span[1] = m->buf.len;
    sp->size += m->buf.len;
    m->buf.len = 0;
    return 0;
}

bool lake_spill_has(const lake *lk, const char *dir) {
    return lk->spill && sl_map_get(&lk->spill->idx, dir, strlen(dir));
}

int lake_spill_rows(lake *lk, const char *dir, const lake_songplay *rows, size_t n, sl_err *err) {
    lake_spill *sp = lk->spill;
    if (!sp) {
        sp = lk->spill = sl_calloc(1, sizeof *sp);
        sl_map_init(&sp->idx);
        sl_vec_init(&sp->months, sizeof(spill_month *));
        if (!(sp->f = tmpfile()))
            return sl_err_errno(err, errno, "songplays spill: creating a temporary file");
    }
    if (!sp->f) return sl_err_set(err, "songplays spill: no temporary file");
    bool ins;
    uint32_t *ix = sl_map_upsert(&sp->idx, dir, strlen(dir), &ins);
    if (ins) {
        spill_month *m = sl_calloc(1, sizeof *m);
        snprintf(m->dir, sizeof m->dir, "%s", dir);
        sl_vec_init(&m->spans, 2 * sizeof(uint64_t));
        *ix = (uint32_t)sp->months.len;
        *(spill_month **)sl_vec_push(&sp->months) = m;
    }
    spill_month *m = SL_VEC_AT(&sp->months, spill_month *, *ix);
    for (size_t i = 0; i < n; i++) {
        spill_put_row(&m->buf, &rows[i]);
        m->rows++;
        if (m->buf.len >= SPILL_BLOCK && flush_month(sp, m, err) < 0) return -1;
    }
    return 0;
}

static int month_cmp(const void *a, const void *b) {
    return strcmp((*(spill_month *const *)a)->dir, (*(spill_month *const *)b)->dir);
}

/* Writes each spilled month's rows to its next file, in path order. */
int lake_spill_finish(lake *lk, sl_err *err) {
    lake_spill *sp = lk->spill;
    if (!sp || !sp->months.len) return 0;
    for (size_t k = 0; k < sp->months.len; k++)
        if (flush_month(sp, SL_VEC_AT(&sp->months, spill_month *, k), err) < 0) return -1;
    if (fflush(sp->f) != 0) return sl_err_set(err, "songplays spill: flushing failed");
    qsort(sp->months.data, sp->months.len, sizeof(spill_month *), month_cmp);
    sl_buf blk = {0};
    lake_songplay *rows = NULL;
    size_t rcap = 0;
    int rc = 0;
    for (size_t k = 0; k < sp->months.len && rc == 0; k++) {
        spill_month *m = SL_VEC_AT(&sp->months, spill_month *, k);
        part p;
        if (lake_songplays_open_next(lk, m->dir, &p, err) < 0) {
            rc = -1;
            break;
        }
        for (size_t s = 0; s < m->spans.len && rc == 0; s++) {
            const uint64_t *span = (const uint64_t *)m->spans.data + 2 * s;
            blk.len = 0;
            sl_buf_reserve(&blk, (size_t)span[1]);
            if (fseeko(sp->f, (off_t)span[0], SEEK_SET) != 0 ||
                fread(blk.data, 1, (size_t)span[1], sp->f) != (size_t)span[1]) {
                rc = sl_err_set(err, "songplays spill: reading the temporary file failed");
                break;
            }
            blk.len = (size_t)span[1];
            size_t nr = 0;
            for (const uint8_t *q = blk.data; q < blk.data + blk.len; nr++) {
                if (nr == rcap) {
                    rcap = rcap ? rcap * 2 : 1024;
                    rows = sl_realloc(rows, rcap * sizeof *rows);
                }
                q = spill_get_row(q, &rows[nr]);
            }
            /* the strings live in blk, reused for the next block: not stable */
            rc = lake_songplays_write(lk, &p, rows, nr, false, err);
        }
        if (rc == 0)
            rc = lake_part_close(lk, LAKE_SONGPLAYS, &p, err);
        else
            lake_part_discard(&p);
    }
    free(rows);
    sl_buf_free(&blk);
    return rc;
}

void lake_spill_free(lake *lk) {
    lake_spill *sp = lk->spill;
    if (!sp) return;
    for (size_t k = 0; k < sp->months.len; k++) {
        spill_month *m = SL_VEC_AT(&sp->months, spill_month *, k);
        sl_buf_free(&m->buf);
        sl_vec_free(&m->spans);
        free(m);
    }
    sl_vec_free(&sp->months);
    sl_map_free(&sp->idx);
    if (sp->f) fclose(sp->f);
    free(sp);
    lk->spill = NULL;
}
