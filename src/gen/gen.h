/* gen: writes Sparkify-shaped test data of any size (`songlake generate`).
 *
 * Song files are MSD-style one-object JSON files under
 * song_data/A/B/C/TRABC....json; event logs are daily NDJSON files under
 * log_data/YYYY/MM/YYYY-MM-DD-events.json with the sample's keys, page mix,
 * sessions, logged-out events and free/paid level changes. A chosen share of
 * plays (NextSong events) names a catalog song exactly (title, artist name,
 * duration); the others name songs outside the catalog whose durations can
 * never equal a catalog duration, so the achieved match rate is exact.
 *
 * Everything random comes from one seeded generator consumed on one thread,
 * so the same options give the same bytes for any thread count; threads only
 * format and write. */
#ifndef SONGLAKE_GEN_H
#define SONGLAKE_GEN_H

#include "core/core.h"

typedef struct gen_opts {
    const char *out_dir; /* created if missing; must not hold song_data/ or log_data/ */
    uint64_t songs;      /* song files (>= 1) */
    uint64_t events;     /* event lines in total (>= 0) */
    uint32_t days;       /* daily log files, from 2018-11-01 (default 30) */
    uint64_t seed;       /* default 1 */
    double match_rate;   /* share of plays naming a catalog song, 0..1 (default 0.5) */
    uint64_t users;      /* 0: 100 + events / 1000 */
    int threads;         /* 0: all cores */
} gen_opts;

typedef struct gen_stats {
    uint64_t song_files, log_files, events, plays, matched_plays, users, sessions;
    uint64_t song_bytes, log_bytes;
} gen_stats;

void gen_opts_default(gen_opts *o);
/* Validates o and writes the data set. */
int gen_run(const gen_opts *o, gen_stats *st, sl_err *err);

/* ---- pieces, public for the tests ------------------------------------ */
/* xoshiro256** seeded through splitmix64. */
typedef struct gen_rng {
    uint64_t s[4];
} gen_rng;
void gen_rng_seed(gen_rng *r, uint64_t seed);
uint64_t gen_rng_next(gen_rng *r);
uint64_t gen_rng_below(gen_rng *r, uint64_t n); /* uniform in [0, n), n >= 1 */
double gen_rng_unit(gen_rng *r);                /* uniform in [0, 1) */

/* Writes v / 100000 as Python's repr would (shortest, at least one decimal:
 * "337.68444", "173.1914", "12.0", "-86.77836"); returns the length. Both a
 * song's duration and a play's length are printed by this, so equal v give
 * equal doubles after parsing. buf needs 32 bytes. */
size_t gen_fmt_fixed5(char *buf, int64_t v);
/* Civil date of a day count since 1970-01-01. */
void gen_civil(int64_t days, int *y, int *m, int *d);

#endif
