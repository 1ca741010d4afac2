/* songlake: main() and subcommand dispatch. */
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/core.h"
#include "dist/dist.h"

static void usage(FILE *f) {
    fprintf(f,
            "songlake %s: Sparkify's raw JSON (songs, event logs) to a star-schema Parquet lake\n"
            "\n"
            "usage: songlake <command> [options]\n"
            "\n"
            "commands:\n"
            "  build          read song files and event logs, publish the five tables\n"
            "                 (songplays, users, songs, artists, time) as partitioned Parquet\n"
            "  inspect        show a Parquet file's schema, row groups, encodings and statistics\n"
            "  load-postgres  load a built lake into PostgreSQL in one transaction\n"
            "  generate       write Sparkify-shaped test data of any size\n"
            "  vacuum         delete the files no recent version of a Delta lake references\n"
            "\n"
            "  songlake <command> --help   options of one command\n"
            "  songlake --version          version and built-in features\n",
            SONGLAKE_VERSION);
}

int main(int argc, char **argv) {
    /* A batch job frees and reallocates the same large buffers per task:
     * keep freed memory in the process instead of returning it to the kernel
     * and faulting it back in page by page (peak RSS is what is live). */
    mallopt(M_MMAP_THRESHOLD, 64 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("songlake %s\n", SONGLAKE_VERSION);
        printf("features: parquet (snappy, zstd, gzip), s3, postgresql, mpi: %s\n",
               dist_compiled() ? "yes" : "no (built without Open MPI)");
        return 0;
    }
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
    fprintf(stderr, "songlake: unknown command '%s'; run 'songlake --help' for the list\n", cmd);
    return 2;
}
