/* songlake build --dry-run: lists the inputs as the run would (the same
 * io_list_inputs, so the same files in the same order), with their bytes
 * per source, and where each table would be written; opens no store and
 * writes nothing, locally or on S3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/build_opts.h"
#include "cli/cli_opts.h"
#include "lake/lake.h"

static uint64_t list_bytes(const io_list *l) {
    uint64_t b = 0;
    for (size_t i = 0; i < l->n; i++) b += l->files[i].size;
    return b;
}

/* Partition layout of each table (SPEC section 2, as lake/ writes it). */
static const char *layout(int t) {
    switch (t) {
    case LAKE_SONGPLAYS:
    case LAKE_TIME: return "year=YYYY/month=M/";
    case LAKE_SONGS: return "year=YYYY/artist_id=ID/";
    default: return "";
    }
}

int build_dry_run(const build_cli_opts *c) {
    const build_opts *o = &c->run;
    sl_err err = {{0}};
    io_list songs = {0}, logs = {0};
    int rc = 0;
    if (io_list_inputs(o->songs, &o->io, &songs, &err) < 0) {
        rc = cli_run_error(&CLI_CMD_BUILD, "--songs: %s", err.msg);
        goto out;
    }
    if (io_list_inputs(o->logs, &o->io, &logs, &err) < 0) {
        rc = cli_run_error(&CLI_CMD_BUILD, "--logs: %s", err.msg);
        goto out;
    }
    /* lake.c's names: part-00000.snappy.parquet, .zstd., .gz., or none */
    const char *ext = o->codec == PQ_CODEC_SNAPPY ? ".snappy"
                      : o->codec == PQ_CODEC_ZSTD ? ".zstd"
                      : o->codec == PQ_CODEC_GZIP ? ".gz"
                                                  : "";
    printf("dry run: nothing is read or written\n\n");
    printf("%-8s %8s %14s  %s\n", "source", "files", "bytes", "location");
    printf("%-8s %8zu %14llu  %s\n", "songs", songs.n, (unsigned long long)list_bytes(&songs),
           o->songs);
    printf("%-8s %8zu %14llu  %s\n", "logs", logs.n, (unsigned long long)list_bytes(&logs),
           o->logs);
    printf("\n%-10s  %s\n", "table", "files");
    for (int t = 0; t < LAKE_NTABLES; t++)
        printf("%-10s  %s/%s/%spart-NNNNN%s.parquet\n", lake_table_name(t), o->out,
               lake_table_name(t), layout(t), ext);
    printf("%-10s  %s/_songlake/report.json, rejects.jsonl\n", "report", o->out);
    printf("\nfiles that would be read, in input order:\n");
    for (size_t i = 0; i < songs.n; i++)
        printf("songs %12llu  %s\n", (unsigned long long)songs.files[i].size, songs.files[i].uri);
    for (size_t i = 0; i < logs.n; i++)
        printf("logs  %12llu  %s\n", (unsigned long long)logs.files[i].size, logs.files[i].uri);
out:
    io_list_free(&songs);
    io_list_free(&logs);
    return rc;
}
