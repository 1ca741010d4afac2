/* songlake load-postgres: placeholder until the subcommand lands. */
#include <stdio.h>

#include "cli/cli.h"

int cmd_load_postgres(int argc, char **argv) {
    (void)argc;
    (void)argv;
    fprintf(stderr, "songlake: 'load-postgres' is not built into this version yet\n");
    return 2;
}
