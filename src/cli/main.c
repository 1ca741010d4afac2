/* songlake: main() and subcommand dispatch; the general help, --version
 * and the hidden generators of the man page and completions (`songlake
 * help --man`, `songlake help --completion bash|zsh`), all from the option
 * tables. */
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_config.h"
#include "cli/cli_opts.h"
#include "core/core.h"
#include "dist/dist.h"

static const cli_cmd *const COMMANDS[] = {&CLI_CMD_BUILD, &CLI_CMD_INSPECT, &CLI_CMD_LOAD_POSTGRES,
                                          &CLI_CMD_GENERATE};

const cli_cmd *const *cli_commands(size_t *n) {
    *n = sizeof COMMANDS / sizeof COMMANDS[0];
    return COMMANDS;
}

const cli_cmd *cli_command(const char *name) {
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(COMMANDS[i]->name, name)) return COMMANDS[i];
    return NULL;
}

static int version(void) {
    printf("songlake %s\n", SONGLAKE_VERSION);
    printf("commit: %s\n", cli_git_commit);
    printf("built: %s\n", cli_build_date);
    printf("features: parquet (snappy, zstd, gzip), s3, postgresql, mpi: %s\n",
           dist_compiled() ? "yes" : "no (built without Open MPI)");
    return 0;
}

/* songlake help [command | --man | --completion SHELL] */
static int help(int argc, char **argv) {
    if (argc < 2) {
        cli_print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--man")) {
        cli_print_man(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--completion")) {
        if (argc < 3 || cli_print_completion(argv[2], stdout) < 0)
            return cli_usage_error(NULL, "help --completion needs bash or zsh");
        return 0;
    }
    const cli_cmd *c = cli_command(argv[1]);
    if (!c)
        return cli_usage_error(NULL, "no command '%s'; run 'songlake --help' for the list",
                               argv[1]);
    cli_print_help(c, stdout);
    return 0;
}

int main(int argc, char **argv) {
    /* A batch job frees and reallocates the same large buffers per task:
     * keep freed memory in the process instead of returning it to the kernel
     * and faulting it back in page by page (peak RSS is what is live). */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc < 2) {
        cli_print_usage(stderr);
        return 2;
    }
    /* a closed stdout (songlake ... | head) must not kill a run midway:
     * writes then fail with EPIPE, which the summary ignores */
    signal(SIGPIPE, SIG_IGN);
    const char *cmd = argv[1];
    const char *env = getenv("SONGLAKE_LOG");
    if (env && *env && cli_apply_log("log-level", env))
        return cli_usage_error(cli_command(cmd),
                               "SONGLAKE_LOG '%s': expected error, warn, info or debug", env);
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        cli_print_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "help")) return help(argc - 1, argv + 1);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) return version();
    if (!strcmp(cmd, "build")) {
        /* only build runs distributed; MPI is initialised when launched by
         * mpirun/srun and is a no-op otherwise */
        dist_init(&argc, &argv);
        int rc = cmd_build(argc - 1, argv + 1);
        dist_finalize();
        return rc;
    }
    if (!strcmp(cmd, "inspect")) return cmd_inspect(argc - 1, argv + 1);
    if (!strcmp(cmd, "generate")) return cmd_generate(argc - 1, argv + 1);
    if (!strcmp(cmd, "load-postgres")) return cmd_load_postgres(argc - 1, argv + 1);
    if (!strcmp(cmd, "vacuum")) return cmd_vacuum(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command '%s'; run 'songlake --help' for the list", cmd);
}
