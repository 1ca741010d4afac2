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

/* The S3 settings shared by every subcommand: endpoint_url, region,
 * profile, no_sign_request and the s3_* tuning knobs (see cli_config.c),
 * by flag name or config key ('-' and '_' alike). NULL on success, "" for
 * an unknown key, else what a valid value looks like. */
const char *cli_apply_s3(io_config *io, cli_strings *own, const char *key, const char *val);
/* "true"/"1" or "false"/"0": NULL with *out set, else what is valid. */
const char *cli_parse_bool(const char *s, bool *out);
/* true when a and b are the same key, '-' and '_' alike */
bool cli_key_is(const char *a, const char *b);

/* Option ids every command shares (cli_opt.id): the S3 settings, applied by
 * cli_apply_s3, and --config, which cli_parse reads before the flags. */
enum { CLI_OPT_S3 = 1000, CLI_OPT_CONFIG = 1001, CLI_OPT_LOG = 1002 };

/* --verbose and --log-level, which set the logger's level (core.h) as the
 * SONGLAKE_LOG environment variable does; the flags win. */
#define CLI_LOG_OPTS                                                                               \
    {CLI_OPT_LOG, "verbose", NULL, NULL,                                                           \
     0,           NULL,      NULL, "log what is done, step by step (--log-level debug)"},          \
    {                                                                                              \
        CLI_OPT_LOG, "log-level", "LEVEL", "log_level", 0, "error warn info debug", NULL,          \
            "error, warn, info (default) or debug; also SONGLAKE_LOG"                              \
    }
/* Applies --verbose / --log-level / SONGLAKE_LOG's value ("verbose" for
 * the switch). NULL, or what a valid value looks like. */
const char *cli_apply_log(const char *name, const char *val);

/* The S3 options: those that reading needs, and the upload settings. */
#define CLI_S3_READ_OPTS                                                                           \
    {CLI_OPT_S3,                                                                                   \
     "endpoint-url",                                                                               \
     "URL",                                                                                        \
     "endpoint_url",                                                                               \
     0,                                                                                            \
     NULL,                                                                                         \
     "S3 (credentials: environment, --config [AWS], ~/.aws with AWS_PROFILE, or\n"                 \
     "instance metadata; never put secrets on the command line)",                                  \
     "S3-compatible endpoint, path-style (also AWS_ENDPOINT_URL)"},                                \
        {CLI_OPT_S3, "region", "R", "region", 0, NULL, NULL, "AWS region (also AWS_REGION)"},      \
        {CLI_OPT_S3, "profile", "P",  "profile",                                                   \
         0,          NULL,      NULL, "profile of ~/.aws/credentials (also AWS_PROFILE)"},         \
        {CLI_OPT_S3, "no-sign-request",                                                            \
         NULL,       "no_sign_request",                                                            \
         0,          NULL,                                                                         \
         NULL,       "anonymous requests, for public buckets"},                                    \
        {CLI_OPT_S3, "s3-max-connections",                                                         \
         "N",        "s3_max_connections",                                                         \
         0,          NULL,                                                                         \
         NULL,       "S3 requests in flight (default 64)"},                                        \
        {CLI_OPT_S3, "s3-timeout",                                                                 \
         "SECONDS",  "s3_timeout",                                                                 \
         0,          NULL,                                                                         \
         NULL,       "a request stalled this long is retried (default 30)"},                       \
        {CLI_OPT_S3, "s3-max-attempts",                                                            \
         "N",        "s3_max_attempts",                                                            \
         0,          NULL,                                                                         \
         NULL,       "attempts per request, 1 = no retries (default 8)"},                          \
    {                                                                                              \
        CLI_OPT_S3, "s3-max-retry-seconds", "SECONDS", "s3_max_retry_seconds", 0, NULL, NULL,      \
            "stop retrying a request after this (default 120)"                                     \
    }
#define CLI_S3_WRITE_OPTS                                                                          \
    {                                                                                              \
        CLI_OPT_S3, "s3-part-size",                                                                \
        "BYTES",    "s3_part_size",                                                                \
        0,          NULL,                                                                          \
        NULL,       "multipart upload part size, 5MiB..5GiB (default 8MiB)"},                      \
    {                                                                                              \
        CLI_OPT_S3, "s3-multipart-threshold", "BYTES", "s3_multipart_threshold", 0, NULL, NULL,    \
            "files from this size are uploaded in parts (default 16MiB);\n"                        \
            "sizes take B, KB, MB, GB, KiB, MiB, GiB"                                              \
    }

struct cli_parse_spec;
/* Reads the INI file at path: [AWS] keys (credentials are read by the S3
 * client itself from io->config_file, set here; the region goes to
 * io->region unless already set) and [songlake] keys, found in the option
 * table of s->cmd (or s->also) and applied as their flags are. On an error
 * prints one line naming file:line:key and returns 2 (a usage error). */
int cli_config_load(const struct cli_parse_spec *s, const char *path);

#endif
