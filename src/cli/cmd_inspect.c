/* songlake inspect: describes Parquet files (schema, row groups, column
 * chunks with codecs, encodings, sizes and statistics) through the
 * module's own reader, like parquet-tools' meta command. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cli_opts.h"
#include "parquet/parquet.h"

static const cli_opt OPTS[] = {
    {0, "json", NULL, NULL, 0, NULL, NULL, "one JSON document on stdout, for machines"},
};

const cli_cmd CLI_CMD_INSPECT = {
    .name = "inspect",
    .summary = "show a Parquet file's schema, row groups, encodings and statistics",
    .synopsis = "[options] FILE.parquet ...",
    .description = "Prints each file's size, writer (created_by), row count, schema\n"
                   "(name, physical type, logical type, repetition) and, per row group,\n"
                   "every column chunk's codec, encodings, compressed and uncompressed\n"
                   "sizes, value and null counts and min/max statistics.",
    .opts = OPTS,
    .nopts = sizeof OPTS / sizeof OPTS[0],
    .positional = "TARGET",
    .footer = "Exit status: 0 on success; 1 if a target cannot be read or is not valid\n"
              "Parquet; 2 on a usage error.",
};

static const char *apply(void *ctx, const cli_opt *opt, const char *val) {
    (void)ctx, (void)opt, (void)val;
    return NULL;
}

int cmd_inspect(int argc, char **argv) {
    const cli_cmd *c = &CLI_CMD_INSPECT;
    cli_args pos = {0};
    cli_parse_spec s = {.cmd = c, .apply = apply};
    int rc = cli_parse(&s, argc, argv, &pos);
    if (rc < 0 && !pos.n)
        rc = cli_usage_error(c, "inspect needs a FILE.parquet (see songlake inspect --help)");
    if (rc >= 0) {
        free(pos.v);
        return rc;
    }
    int status = 0;
    for (int i = 0; i < pos.n; i++) {
        sl_err err = {{0}};
        pq_reader *r = pq_reader_open_file(pos.v[i], &err);
        if (!r || pq_inspect(r, pos.v[i], stdout, &err) < 0)
            status = cli_run_error(c, "%s", err.msg);
        pq_reader_close(r);
        if (i + 1 < pos.n) printf("\n");
    }
    free(pos.v);
    return status;
}
