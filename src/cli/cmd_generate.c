/* songlake generate: writes Sparkify-shaped test data of any size (song
 * files and daily event logs) for tests and benchmarks; see src/gen/gen.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"
#include "gen/gen.h"

static void usage(FILE *f) {
    fprintf(
        f, "usage: songlake generate --out DIR --songs N --events M [options]\n"
           "\n"
           "Writes Sparkify-shaped data: DIR/song_data/A/B/C/TRABC....json (one song per file)\n"
           "and DIR/log_data/YYYY/MM/YYYY-MM-DD-events.json (NDJSON events from 2018-11-01).\n"
           "The same options and seed always give the same bytes.\n"
           "\n"
           "  --out DIR          output directory (must not already hold song_data/ or log_data/)\n"
           "  --songs N          number of song files (>= 1)\n"
           "  --events M         number of event lines in total (~470 bytes each)\n"
           "  --days D           number of daily log files (default 30)\n"
           "  --seed S           random seed (default 1)\n"
           "  --match-rate F     share of plays (NextSong) naming a catalog song exactly, 0..1 "
           "(default 0.5)\n"
           "  --users U          number of users (default 100 + events/1000)\n"
           "  --threads T        threads formatting and writing (default: all cores; output is the "
           "same)\n"
           "  --quiet            print nothing on success\n");
}

static int parse_u64(const char *flag, const char *v, uint64_t *out) {
    char *end;
    errno = 0;
    if (!v || !*v || *v == '-') goto bad;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno || *end) goto bad;
    *out = x;
    return 0;
bad:
    fprintf(stderr, "songlake generate: %s needs a non-negative integer, got '%s'\n", flag,
            v ? v : "");
    return -1;
}

int cmd_generate(int argc, char **argv) {
    gen_opts o;
    gen_opts_default(&o);
    bool quiet = false, have_songs = false, have_events = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t x = 0;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "songlake generate: %s needs a value (see --help)\n", a);
            return 2;
        }
        i++;
        if (!strcmp(a, "--out"))
            o.out_dir = v;
        else if (!strcmp(a, "--match-rate")) {
            char *end;
            errno = 0;
            o.match_rate = strtod(v, &end);
            if (errno || *end || !*v || !(o.match_rate >= 0 && o.match_rate <= 1)) {
                fprintf(
                    stderr,
                    "songlake generate: --match-rate needs a number between 0 and 1, got '%s'\n",
                    v);
                return 2;
            }
        } else if (!strcmp(a, "--songs") || !strcmp(a, "--events") || !strcmp(a, "--days") ||
                   !strcmp(a, "--seed") || !strcmp(a, "--users") || !strcmp(a, "--threads")) {
            if (parse_u64(a, v, &x) != 0) return 2;
            if (!strcmp(a, "--songs"))
                o.songs = x, have_songs = true;
            else if (!strcmp(a, "--events"))
                o.events = x, have_events = true;
            else if (!strcmp(a, "--seed"))
                o.seed = x;
            else if (!strcmp(a, "--users"))
                o.users = x;
            else if (x > 100000) {
                fprintf(stderr, "songlake generate: %s is too large: %s\n", a, v);
                return 2;
            } else if (!strcmp(a, "--days"))
                o.days = (uint32_t)x;
            else
                o.threads = (int)x;
        } else {
            fprintf(stderr, "songlake generate: unknown option '%s' (see --help)\n", a);
            return 2;
        }
    }
    if (!o.out_dir || !have_songs || !have_events) {
        fprintf(stderr,
                "songlake generate: --out, --songs and --events are required (see --help)\n");
        return 2;
    }
    gen_stats st;
    sl_err err = {{0}};
    double t0 = sl_now();
    if (gen_run(&o, &st, &err) != 0) {
        fprintf(stderr, "songlake generate: %s\n", err.msg);
        return 1;
    }
    double s = sl_now() - t0;
    if (!quiet)
        fprintf(stderr,
                "songlake generate: %llu song files (%.1f MB), %llu events in %llu log files (%.1f "
                "MB), "
                "%llu plays of which %llu match a song (%.3f), %llu users, %llu sessions; %.2f s\n",
                (unsigned long long)st.song_files, (double)st.song_bytes / 1e6,
                (unsigned long long)st.events, (unsigned long long)st.log_files,
                (double)st.log_bytes / 1e6, (unsigned long long)st.plays,
                (unsigned long long)st.matched_plays,
                st.plays ? (double)st.matched_plays / (double)st.plays : 0.0,
                (unsigned long long)st.users, (unsigned long long)st.sessions, s);
    return 0;
}
