/* What `songlake build` prints when a run ends: the summary table on
 * stdout after build_run returned (so its time is the run's whole wall
 * time, the previous lake's removal included), with the match rate and
 * the most frequent reject reasons; and one line on stderr when the run is
 * interrupted (SIGINT, SIGTERM, SIGHUP) saying what state the lake is in. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/build_opts.h"
#include "cli/cli_opts.h"

/* The most frequent reasons, as lake/ counted them (numbers shown as N). */
static void print_reasons(FILE *f, const build_summary *s, const build_opts *o) {
    uint64_t shown = 0, total = s->songs.rejected + s->events.rejected;
    fprintf(f, "\nrejects by reason (all in %s/_songlake/rejects.jsonl):\n", o->out);
    for (size_t i = 0; i < s->nreasons; i++) {
        fprintf(f, "  %10llu  %s\n", (unsigned long long)s->reasons[i].count, s->reasons[i].text);
        shown += s->reasons[i].count;
    }
    if (shown < total)
        fprintf(f, "  %10llu  (other reasons)\n", (unsigned long long)(total - shown));
}

void cli_build_summary(FILE *f, const build_summary *s, const build_opts *o, double secs) {
    fprintf(f, "%-10s %12s %8s %14s\n", "table", "rows", "files", "bytes");
    for (int t = 0; t < LAKE_NTABLES; t++) {
        const lake_table_stats *ts = &s->tables[t];
        fprintf(f, "%-10s %12llu %8llu %14llu\n", lake_table_name(t), (unsigned long long)ts->rows,
                (unsigned long long)ts->files, (unsigned long long)ts->bytes);
    }
    const etl_source_stats *ss = &s->songs, *es = &s->events;
    fprintf(f, "\n%-10s %8s %12s %12s %12s %12s\n", "input", "files", "MB", "read", "accepted",
            "rejected");
    fprintf(f, "%-10s %8zu %12.1f %12llu %12llu %12llu\n", "songs", s->songs_in.files,
            (double)s->songs_in.bytes / 1e6, (unsigned long long)ss->read,
            (unsigned long long)ss->accepted, (unsigned long long)ss->rejected);
    fprintf(f, "%-10s %8zu %12.1f %12llu %12llu %12llu\n", "events", s->logs_in.files,
            (double)s->logs_in.bytes / 1e6, (unsigned long long)es->read,
            (unsigned long long)es->accepted, (unsigned long long)es->rejected);
    uint64_t plays = s->tables[LAKE_SONGPLAYS].rows;
    fprintf(f, "\nmatched    %llu of %llu songplays to a song (%.2f%%)\n",
            (unsigned long long)s->songplays_matched, (unsigned long long)plays,
            plays ? 100.0 * (double)s->songplays_matched / (double)plays : 0.0);
    if (ss->rejected + es->rejected) print_reasons(f, s, o);
    fprintf(f, "\n%s published in %.2f s (wall time of the whole run)\n", o->out, secs);
}

/* ---- interrupted ------------------------------------------------------- */
static void on_signal(int sig) {
    static const char msg[] =
        "\nsonglake build: interrupted: stopped; the lake is the previous run's star, or this "
        "run's if its commit point was passed (the next songlake command completes it); staged "
        "files are removed by the next run\n";
    ssize_t w = write(2, msg, sizeof msg - 1);
    (void)w;
    signal(sig, SIG_DFL);
    raise(sig);
}

void cli_build_on_interrupt(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}
