/* songlake inspect: describes Parquet files (schema, row groups, column
 * chunks with codecs, encodings, sizes and statistics) through the
 * module's own reader, like parquet-tools' meta command. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "lake/lake.h"
#include "parquet/parquet.h"

static void usage(FILE *f) {
    fprintf(f, "usage: songlake inspect [--json] FILE.parquet|TABLE|LAKE ...\n"
               "\n"
               "Prints each file's size, writer (created_by), row count, schema\n"
               "(name, physical type, logical type, repetition) and, per row group,\n"
               "every column chunk's codec, encodings, compressed and uncompressed\n"
               "sizes, value and null counts and min/max statistics.\n"
               "A Delta table (build --format delta) or a Delta lake's root: every\n"
               "version of each table (operation, mode, run, files added and removed,\n"
               "rows, time) and the one the last star record names; --json as JSON.\n"
               "Exits 1 if a file cannot be read or is not valid Parquet.\n");
}

int cmd_inspect(int argc, char **argv) {
    int first = 1;
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    bool json = false; /* Delta tables and lakes */
    if (argc > 1 && !strcmp(argv[1], "--json")) json = true, first = 2;
    if (argc > first && !strcmp(argv[first], "--")) first++;
    if (first >= argc) {
        fprintf(stderr, "songlake: error: inspect needs a FILE.parquet (see songlake inspect "
                        "--help)\n");
        return 2;
    }
    for (int i = first; i < argc; i++) {
        if (argv[first - 1][0] != '-' && argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr,
                    "songlake: error: unknown option '%s' for inspect (see songlake inspect "
                    "--help)\n",
                    argv[i]);
            return 2;
        }
    }
    int status = 0;
    for (int i = first; i < argc; i++) {
        sl_err err = {{0}};
        int d = lake_inspect_delta(argv[i], NULL, json, stdout, &err); /* SPEC section 6 */
        if (d <= 0) {
            if (d < 0) fprintf(stderr, "songlake: error: %s\n", err.msg), status = 1;
            continue;
        }
        pq_reader *r = pq_reader_open_file(argv[i], &err);
        if (!r || pq_inspect(r, argv[i], stdout, &err) < 0) {
            fflush(stdout);
            fprintf(stderr, "songlake: error: %s\n", err.msg);
            status = 1;
        }
        pq_reader_close(r);
        if (i + 1 < argc) printf("\n");
    }
    return status;
}
