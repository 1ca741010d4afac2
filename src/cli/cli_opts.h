/* One option table per subcommand, and everything made from it: the flag
 * parser (--opt value and --opt=value alike), the [songlake] keys of the
 * --config file, --help, the man page and the shell completions. As curl
 * keeps its options in one table, a flag exists in exactly one place, so
 * the parser, the help text, the config keys and the man page cannot
 * disagree. cli-private: only src/cli/ includes this. */
#ifndef SONGLAKE_CLI_OPTS_H
#define SONGLAKE_CLI_OPTS_H

#include <stdio.h>

#include "core/core.h"

enum {
    CLI_URI = 1 << 0,    /* a location: s3a:// and s3n:// become s3://, other schemes fail */
    CLI_SECRET = 1 << 1, /* its value may hold a password: never echoed */
    CLI_CFG_NEG = 1 << 2 /* a switch whose config key is its negation (--no-sync: sync=) */
};

typedef struct cli_opt {
    int id;              /* the command's own enum; 0 for none */
    const char *name;    /* the flag without "--" */
    const char *arg;     /* metavariable of the value; NULL for a switch */
    const char *cfg;     /* key in [songlake] of --config; NULL when not a key */
    unsigned flags;      /* CLI_* */
    const char *choices; /* space-separated valid values (for completion) or NULL */
    const char *section; /* non-NULL: a help section starts with this option */
    const char *help;    /* lines separated by '\n' */
} cli_opt;

typedef struct cli_cmd {
    const char *name;        /* "build" */
    const char *summary;     /* one line: the command list and the man page */
    const char *synopsis;    /* after "songlake build " */
    const char *description; /* paragraphs separated by "\n\n" */
    const cli_opt *opts;
    size_t nopts;
    const char *positional; /* metavariable of the arguments, NULL when none are taken */
    bool hide_args;         /* never echo a positional argument (it may be a DSN) */
    const char *footer;     /* exit status and the like, after the options */
} cli_cmd;

/* Applies one option: val is the value ("true"/"false" for a switch).
 * NULL when accepted, else what a valid value looks like. */
typedef const char *(*cli_apply_fn)(void *ctx, const cli_opt *opt, const char *val);

/* The commands, in the order of `songlake --help` (main.c). */
extern const cli_cmd CLI_CMD_BUILD, CLI_CMD_INSPECT, CLI_CMD_LOAD_POSTGRES, CLI_CMD_GENERATE;
const cli_cmd *const *cli_commands(size_t *n);
const cli_cmd *cli_command(const char *name);

/* Prints "songlake <cmd>: error: <message>" as one line on stderr and
 * returns 2, the exit status of every usage error. */
int cli_usage_error(const cli_cmd *c, const char *fmt, ...) SL_PRINTF(2, 3);
/* The same line for a failed run; returns 1. */
int cli_run_error(const cli_cmd *c, const char *fmt, ...) SL_PRINTF(2, 3);

/* The option of c named name (a flag without "--"), or NULL. */
const cli_opt *cli_find_opt(const cli_cmd *c, const char *name);
/* The option of c whose config key is key ('-' and '_' alike), or NULL. */
const cli_opt *cli_find_cfg(const cli_cmd *c, const char *key);

/* s3a://, s3n:// (Spark's names) -> s3://, file:///p -> /p, a local path
 * unchanged; any other scheme:// is refused (NULL, *why set). Returns a
 * new string. */
char *cli_uri_normalize(const char *uri, const char **why);

/* Positional arguments found by cli_parse (pointers into argv). */
typedef struct cli_args {
    const char **v;
    int n;
} cli_args;

/* Parses argv[1..argc) against c: --help / -h (prints the help on stdout,
 * returns 0), then the --config file if c has a "config" option, then the
 * flags in order, which win over the file. "--" ends the options. Returns
 * -1 to run, or 2 after a usage error was printed. pos may be NULL when c
 * takes no positional arguments; free pos->v with free(). `also`, when not
 * NULL, is a command whose config keys the file may hold too (checked with
 * also_apply on also_ctx, not used): one dl.cfg drives build and
 * load-postgres. */
typedef struct cli_parse_spec {
    const cli_cmd *cmd;
    cli_apply_fn apply;
    void *ctx;
    struct io_config *io; /* [AWS] region and config_file go here; may be NULL */
    struct cli_strings *own;
    const cli_cmd *also;
    cli_apply_fn also_apply;
    void *also_ctx;
} cli_parse_spec;
int cli_parse(const cli_parse_spec *s, int argc, char **argv, cli_args *pos);

/* Generated from the tables: the help of one command, the general help,
 * the man page songlake(1) and the shell completions. */
void cli_print_help(const cli_cmd *c, FILE *f);
void cli_print_usage(FILE *f);
/* text, its lines indented by col (the first too unless first_done) */
void cli_print_indented(FILE *f, const char *text, int col, bool first_done);
void cli_print_man(FILE *f);
int cli_print_completion(const char *shell, FILE *f); /* "bash" or "zsh"; -1 otherwise */

#endif
