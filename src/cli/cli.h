/* cli: one function per subcommand, each in its own file (cmd_*.c). Each
 * returns the process exit status; only cli/ prints usage or exits. */
#ifndef SONGLAKE_CLI_H
#define SONGLAKE_CLI_H

int cmd_build(int argc, char **argv);         /* cmd_build.c */
int cmd_inspect(int argc, char **argv);       /* cmd_inspect.c */
int cmd_generate(int argc, char **argv);      /* cmd_generate.c */
int cmd_load_postgres(int argc, char **argv); /* cmd_load_postgres.c */
int cmd_vacuum(int argc, char **argv);        /* cmd_vacuum.c */

/* argv[0] of each is the subcommand name; argv[1..] its arguments. */

#endif
