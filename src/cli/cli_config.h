/* Shared by the subcommands that read a dl.cfg-style --config file (build,
 * load-postgres): the INI loader with file:line:key errors, the S3 settings
 * that are both flags and [songlake] keys, and strings owned by options.
 * cli-private: only src/cli/ includes this. */
#ifndef SONGLAKE_CLI_CONFIG_H
#define SONGLAKE_CLI_CONFIG_H

#include "core/core.h"
#include "io/io.h"

/* Strings an options struct owns (values copied out of argv or the file). */
typedef struct cli_strings {
    char **s;
    int n, cap;
} cli_strings;
char *cli_own(cli_strings *o, const char *s);
void cli_strings_free(cli_strings *o);

/* Applies one setting given by key (dashes or underscores) and value.
 * Returns NULL on success, "" for an unknown key, else a static description
 * of a valid value ("a number from 1 to 100"). */
typedef const char *(*cli_apply_fn)(void *ctx, const char *key, const char *val);

/* The S3 settings shared by every subcommand: endpoint_url, region,
 * profile and the s3_* tuning knobs (see cli_config.c). */
const char *cli_apply_s3(io_config *io, cli_strings *own, const char *key, const char *val);

/* Reads the INI file at path: [AWS] keys (credentials are read by the S3
 * client itself from io->config_file, set here; the region goes to
 * io->region unless already set) and [songlake] keys through apply. On an
 * error prints one line naming file:line:key and returns 2 (a usage
 * error); `cmd` names the subcommand whose --help lists the keys. */
int cli_config_load(const char *path, const char *cmd, io_config *io, cli_strings *own,
                    cli_apply_fn apply, void *ctx);

/* The value of --config FILE or --config=FILE in argv, so it can be read
 * before the other flags (which override it). Returns 0 with *path NULL
 * when absent, 2 after printing an error when the name is missing. */
int cli_find_config(int argc, char **argv, const char **path);

#endif
