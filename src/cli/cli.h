/* cli: one function per subcommand, each in its own file (cmd_*.c), with
 * its option table (cli_opts.h). Each returns the process exit status;
 * only cli/ prints usage or exits. */
#ifndef SONGLAKE_CLI_H
#define SONGLAKE_CLI_H

int cmd_build(int argc, char **argv);         /* cmd_build.c */
int cmd_inspect(int argc, char **argv);       /* cmd_inspect.c */
int cmd_generate(int argc, char **argv);      /* cmd_generate.c */
int cmd_load_postgres(int argc, char **argv); /* cmd_load_postgres.c */
int cmd_vacuum(int argc, char **argv);        /* cmd_vacuum.c */

/* argv[0] of each is the subcommand name; argv[1..] its arguments. */

/* Written by CMake at build time (cmake/version.cmake): the commit the
 * binary was built from ("unknown" outside git, "-dirty" when the tree had
 * changes) and the build date (SOURCE_DATE_EPOCH when set), YYYY-MM-DD. */
extern const char cli_git_commit[], cli_build_date[];

/* The directory of the bundled sample (song_data/, log_data/), found next
 * to the binary: $SONGLAKE_DATA_DIR, <exe>/../share/songlake/sparkify-sample
 * (installed), <exe>/share/songlake/sparkify-sample (the build tree). NULL
 * when none exists; `looked` (may be NULL) gets the places tried. Free the
 * result. */
char *cli_sample_dir(char *looked, size_t looked_len);

#endif
