/* songlake: main() and subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "core/core.h"

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        printf("songlake %s: Sparkify JSON to a star-schema Parquet lake\n", SONGLAKE_VERSION);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("songlake %s\n", SONGLAKE_VERSION);
        return 0;
    }
    fprintf(stderr, "songlake: unknown command '%s' (see songlake --help)\n", argv[1]);
    return 2;
}
