/* songlake build: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_build(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "songlake: 'build' is not built into this version yet\n");
    return 2;
}
