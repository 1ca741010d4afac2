/* songlake generate: writes Sparkify-shaped test data of any size (song
 * files and daily event logs) for tests and benchmarks; see src/gen/gen.h.
 * The ranges gen_run checks are checked here first, so that a bad value is
 * a usage error (exit 2) like every other. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "core/core.h"
#include "gen/gen.h"

enum { O_OUT = 1, O_SONGS, O_EVENTS, O_DAYS, O_SEED, O_MATCH, O_USERS, O_THREADS, O_QUIET };

static const cli_opt OPTS[] = {
    {O_OUT, "out", "DIR", NULL, 0, NULL, NULL,
     "output directory (must not already hold song_data/ or log_data/)"},
    {O_SONGS, "songs", "N", NULL, 0, NULL, NULL, "number of song files, 1 to 1000000000"},
    {O_EVENTS, "events", "M", NULL, 0, NULL, NULL,
     "number of event lines in total (~470 bytes each), up to 4000000000"},
    {O_DAYS, "days", "D", NULL, 0, NULL, NULL, "number of daily log files (default 30)"},
    {O_SEED, "seed", "S", NULL, 0, NULL, NULL, "random seed (default 1)"},
    {O_MATCH, "match-rate", "F", NULL, 0, NULL, NULL,
     "share of plays (NextSong) naming a catalog song exactly, 0..1\n(default 0.5)"},
    {O_USERS, "users", "U", NULL, 0, NULL, NULL, "number of users (default 100 + events/1000)"},
    {O_THREADS, "threads", "T", NULL, 0, NULL, NULL,
     "threads formatting and writing (default: all cores; the output is\nthe same)"},
    {O_QUIET, "quiet", NULL, NULL, 0, NULL, NULL, "print nothing on success"},
};

const cli_cmd CLI_CMD_GENERATE = {
    .name = "generate",
    .summary = "write Sparkify-shaped test data of any size",
    .synopsis = "--out DIR --songs N --events M [options]",
    .description =
        "Writes Sparkify-shaped data: DIR/song_data/A/B/C/TRABC....json (one song per file)\n"
        "and DIR/log_data/YYYY/MM/YYYY-MM-DD-events.json (NDJSON events from 2018-11-01).\n"
        "The same options and seed always give the same bytes.",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .footer = "The summary goes to stdout. Exit status: 0 on success; 1 when writing failed;\n"
              "2 on a usage error.",
};

typedef struct gen_ctx {
    gen_opts o;
    bool quiet, have_songs, have_events;
} gen_ctx;

static bool parse_u64(const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
    char *end;
    errno = 0;
    if (!*v || *v == '-') return false;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end || x < lo || x > hi) return false;
    *out = x;
    return true;
}

static const char *apply(void *ctx, const cli_opt *opt, const char *v) {
    gen_ctx *g = ctx;
    uint64_t x = 0;
    switch (opt->id) {
    case O_OUT:
        if (!*v) return "a directory";
        g->o.out_dir = v; /* argv outlives the run */
        return NULL;
    case O_SONGS:
        if (!parse_u64(v, 1, 1000000000, &x)) return "a number of song files from 1 to 1000000000";
        g->o.songs = x, g->have_songs = true;
        return NULL;
    case O_EVENTS:
        if (!parse_u64(v, 0, 4000000000ull, &x)) return "a number of events from 0 to 4000000000";
        g->o.events = x, g->have_events = true;
        return NULL;
    case O_DAYS:
        if (!parse_u64(v, 1, 36500, &x)) return "a number of days from 1 to 36500";
        g->o.days = (uint32_t)x;
        return NULL;
    case O_SEED:
        if (!parse_u64(v, 0, UINT64_MAX, &x)) return "a non-negative integer";
        g->o.seed = x;
        return NULL;
    case O_USERS:
        if (!parse_u64(v, 0, 1000000000, &x)) return "a number of users up to 1000000000";
        g->o.users = x;
        return NULL;
    case O_THREADS:
        if (!parse_u64(v, 0, 1024, &x)) return "a number of threads up to 1024 (0: all cores)";
        g->o.threads = (int)x;
        return NULL;
    case O_MATCH: {
        char *end;
        errno = 0;
        double r = strtod(v, &end);
        if (errno || *end || !*v || !(r >= 0 && r <= 1)) return "a number between 0 and 1";
        g->o.match_rate = r;
        return NULL;
    }
    case O_QUIET: g->quiet = !strcmp(v, "true"); return NULL;
    }
    return "a known option";
}

int cmd_generate(int argc, char **argv) {
    gen_ctx g = {0};
    gen_opts_default(&g.o);
    cli_parse_spec s = {.cmd = &CLI_CMD_GENERATE, .apply = apply, .ctx = &g};
    int rc = cli_parse(&s, argc, argv, NULL);
    if (rc >= 0) return rc;
    if (!g.o.out_dir || !g.have_songs || !g.have_events)
        return cli_usage_error(&CLI_CMD_GENERATE,
                               "--out, --songs and --events are required (see songlake "
                               "generate --help)");
    gen_stats st;
    sl_err err = {{0}};
    double t0 = sl_now();
    if (gen_run(&g.o, &st, &err) != 0) return cli_run_error(&CLI_CMD_GENERATE, "%s", err.msg);
    double secs = sl_now() - t0;
    if (!g.quiet)
        printf("songlake generate: %llu song files (%.1f MB), %llu events in %llu log files "
               "(%.1f MB), %llu plays of which %llu match a song (%.3f), %llu users, %llu "
               "sessions; %.2f s\n",
               (unsigned long long)st.song_files, (double)st.song_bytes / 1e6,
               (unsigned long long)st.events, (unsigned long long)st.log_files,
               (double)st.log_bytes / 1e6, (unsigned long long)st.plays,
               (unsigned long long)st.matched_plays,
               st.plays ? (double)st.matched_plays / (double)st.plays : 0.0,
               (unsigned long long)st.users, (unsigned long long)st.sessions, secs);
    return 0;
}
