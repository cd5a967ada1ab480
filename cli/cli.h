/* certlink command line: what main.c and the cmd-*.c files share.
 *
 * Every subcommand is a function `int cli_cmd_NAME(int argc, char **argv)` in its own cmd-*.c file, listed
 * in the one dispatch table in main.c. argv[0] is the subcommand's name; the function returns the process
 * exit code (cl_status_exit_code(): 0 ok, 100 bad arguments or a local failure, 1000 unexpected).
 * Messages for people go to stderr through cli_error()/cli_note(); a command's requested output (a status
 * report, a list) goes to stdout.
 */
#ifndef CERTLINK_CLI_H
#define CERTLINK_CLI_H

#include <stddef.h>

#include "error.h"

/* Marks user-visible strings for translation. gettext comes later; until then these are the identity. */
#define _(s)  (s)
#define N_(s) (s)

#define CLI_EXIT_OK    0
#define CLI_EXIT_USAGE 100 /* bad arguments: same code as a local failure (docs/links.md, error.h) */

/* "certlink: <message>" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "certlink: <message>" on stderr, for what a command did. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "certlink: note: <message>" on stderr, for something a person should know that is not a failure. */
void cli_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Report a bad command line for subcommand `cmd` and return CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print err's message and return the exit code for its status. */
int cli_fail(const struct cl_error *err);

/* The absolute path of the running certlink executable, into out[size]; -1 when it cannot be found. */
int cli_self_path(char *out, size_t size);

/* Subcommands (one cmd-*.c file each). */
int cli_cmd_register_scheme(int argc, char **argv);
int cli_cmd_unregister_scheme(int argc, char **argv);
int cli_cmd_scheme_status(int argc, char **argv);
int cli_cmd_enroll(int argc, char **argv);

#endif
