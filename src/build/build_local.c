/* build_local: the one-process driver. The steps of build_steps.c in
 * order, stopping at the first failure (build_run then aborts the stages,
 * so the previous lake stays as it was). */
#include "build/build_internal.h"

int build_drive_local(build_state *s, sl_err *err) {
    s->run_id = build_make_run_id();
    if (build_plan(s, err) < 0 || build_open(s, err) < 0) return -1;
    build_start_etl(s);
    double t1 = sl_now();
    s->pr.what = "songs";
    s->pr.total_files = s->songs.n;
    /* the catalog and its match index; songs and artists are written by
     * build_write, next to time */
    if (build_read(s, etl_run_songs, &s->songs, err) < 0) return -1;
    double t2 = sl_now();
    s->pt.songs = t2 - t1;
    s->pr.what = "events";
    s->pr.total_files = s->logs.n;
    s->pr.start = t2;
    if (build_read(s, etl_run_events, &s->logs, err) < 0) return -1;
    double t3 = sl_now();
    s->pt.events = t3 - t2;
    build_collect(s);
    if (build_check_rejects(s, err) < 0) return -1;
    if (build_write(s, err) < 0) return -1;
    double t4 = sl_now();
    s->pt.finish = t4 - t3;
    s->pt.total = t4 - s->t0;
    if (build_commit(s, err) < 0) return -1;
    s->sum.published = true;
    return build_after_commit(s, err);
}
