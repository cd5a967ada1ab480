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

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

#include "enroll.h"
#include "error.h"
#include "records.h"

/* User-visible strings go through gettext, domain "certlink" (po/). N_() only marks a string for
 * xgettext; translate it with _() where it is used. */
#include <libintl.h>
#define GETTEXT_PACKAGE "certlink"
#define _(s)            dgettext(GETTEXT_PACKAGE, s)
#define N_(s)           (s)

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

/* Set the locale from the environment and bind the catalogue: $CERTLINK_LOCALEDIR when it is an absolute
 * path (tests point it into the build tree), else the install's locale directory. */
void cli_i18n_init(void);

/* A stage of the enrollment flow in the person's language. */
const char *cli_stage_name(enum cl_stage stage);
/* getopt_long over a subcommand's argv (argv[0] is its name; set optind = 0 first), options and operands in
 * any order (GNU permutation; "--" ends the options). Returns the option, -1 at the end, or '?' after
 * reporting an unknown option or a missing value (the caller returns CLI_EXIT_USAGE). */
int cli_next_option(int argc, char **argv, const struct option *longopts);

/* Where a command that needs the password takes it from (password.c): --password-file FILE (first line),
 * --password-stdin (first line), --password-env VAR, --password TEXT (warned about: other users can read a
 * command line), else the environment variable CERTLINK_PASSWORD. At most one of the options. */
#define CLI_PASSWORD_MAX 256 /* octets; the flow's own limit (docs/protocol.md: 1-256 characters) */
struct cli_password {
	const char *file;
	bool from_stdin;
	const char *env;
	const char *arg;
	int sources;                    /* how many of the options were given */
	char buf[CLI_PASSWORD_MAX + 2]; /* room for a line end while reading */
};

enum {
	CLI_OPT_PASSWORD_FILE = 0x1000,
	CLI_OPT_PASSWORD_STDIN,
	CLI_OPT_PASSWORD_ENV,
	CLI_OPT_PASSWORD,
};

/* Rows for a command's getopt table, and their --help lines. */
// clang-format off
#define CLI_PASSWORD_OPTIONS \
	{ "password-file", required_argument, NULL, CLI_OPT_PASSWORD_FILE }, \
	{ "password-stdin", no_argument, NULL, CLI_OPT_PASSWORD_STDIN }, \
	{ "password-env", required_argument, NULL, CLI_OPT_PASSWORD_ENV }, \
	{ "password", required_argument, NULL, CLI_OPT_PASSWORD }
#define CLI_PASSWORD_HELP \
	N_("  --password-file FILE    read the password from FILE (first line)\n" \
	   "  --password-stdin        read the password from standard input (first line)\n" \
	   "  --password-env VAR      read the password from environment variable VAR\n" \
	   "                          (CERTLINK_PASSWORD is read when set and nothing else is given)\n" \
	   "  --password PASSWORD     the password itself (other users can see it: avoid)\n")
// clang-format on

/* Take option C when it is one of the password options; false otherwise. */
bool cli_password_option(struct cli_password *pw, int c, const char *arg);
/* Read the password from the chosen source into pw->buf. *out is pw->buf, or NULL when no source was given
 * and CERTLINK_PASSWORD is not set. Returns 0, or CLI_EXIT_USAGE after reporting why for command CMD. */
int cli_password_load(struct cli_password *pw, const char *cmd, const char **out);
/* Read the password from PATH, a file the administrator configured (not a command-line choice): it must be
 * a regular file (not a symbolic link) owned by this account, with no group or other permissions. 0, or
 * the exit code (100) after reporting why. */
int cli_password_load_protected(struct cli_password *pw, const char *cmd, const char *path, const char **out);
/* Wipe the password. */
void cli_password_clear(struct cli_password *pw);

/* Options of every command that talks to the server (run.c): --no-proxy, --retries N, --timeout SEC,
 * --debug. */
enum {
	CLI_OPT_NO_PROXY = 0x1100,
	CLI_OPT_RETRIES,
	CLI_OPT_TIMEOUT,
	CLI_OPT_DEBUG,
	CLI_OPT_NO_NETWORK,
};
// clang-format off
#define CLI_NET_OPTIONS \
	{ "no-proxy", no_argument, NULL, CLI_OPT_NO_PROXY }, \
	{ "retries", required_argument, NULL, CLI_OPT_RETRIES }, \
	{ "timeout", required_argument, NULL, CLI_OPT_TIMEOUT }, \
	{ "debug", no_argument, NULL, CLI_OPT_DEBUG }
#define CLI_NET_HELP \
	N_("  --no-proxy              connect directly, ignoring proxy settings\n" \
	   "  --retries N             tries per request when the server cannot be reached or is busy\n" \
	   "                          (1-20, default 6, with growing pauses in between)\n" \
	   "  --timeout SEC           how long one try may take (1-3600, default 60)\n" \
	   "  --debug                 log protocol steps to standard error (never secrets)\n")
/* --no-network (enroll, activate, renew): leave the profile's networks alone (docs/network.md). */
#define CLI_NO_NETWORK_OPTION { "no-network", no_argument, NULL, CLI_OPT_NO_NETWORK }
#define CLI_NO_NETWORK_HELP \
	N_("  --no-network            do not set up the Wi-Fi and wired connections of the server's\n" \
	   "                          profile (no NetworkManager connection, no wpa_supplicant file)\n")
// clang-format on

/* Take option C when it is one of CLI_NET_OPTIONS (or --no-network): 0 taken, CLI_EXIT_USAGE after reporting
 * a bad value, -1 not one of them. */
int cli_net_option(struct cl_enroll_opts *opts, const char *cmd, int c, const char *arg);

/* What became of the profile's networks, on standard output (a failure as a note on standard error). */
void cli_print_networks(const struct cl_network_report *n);

/* The option of the commands whose result is worth telling the person (enroll, activate, renew). */
enum { CLI_OPT_NO_NOTIFY = 0x1200 };
// clang-format off
#define CLI_RESULT_OPTIONS \
	{ "no-notify", no_argument, NULL, CLI_OPT_NO_NOTIFY }
#define CLI_RESULT_HELP \
	N_("  --no-notify             no desktop notification of the result\n")
// clang-format on

/* Whether the run tells the people logged in at this computer its result (notify-result.c): the
 * notify_result setting, which cli_run_init() reads, and --no-notify. */
void cli_notify_set(bool on);
/* Tell them: installed, waiting for approval, or failed (not for "not due" or "cancelled"). Never fails
 * the run: what happened goes to the activity log. */
void cli_notify_result(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err);
/* --install-ca SHA256 (enroll, activate): the CAs an administrator allows to become trust anchors
 * (core/anchor.h). Keep the struct alive as long as OPTS: OPTS points into it. */
struct cli_install_ca {
	unsigned char fp[CL_ENROLL_ANCHORS_MAX][32];
	size_t n;
};
/* Take one --install-ca value: 0, or CLI_EXIT_USAGE after saying what is wrong with it. */
int cli_install_ca_option(struct cli_install_ca *ca, struct cl_enroll_opts *opts, const char *cmd,
                          const char *arg);

/* Which stores a command looks at: --store user|computer|all. */
enum cli_stores { CLI_STORES_ALL = 0, CLI_STORES_USER, CLI_STORES_COMPUTER };
/* Parse a --store value; ALLOW_ALL says whether "all" is accepted. False for anything else. */
bool cli_stores_parse(const char *text, bool allow_all, enum cli_stores *out);
bool cli_stores_has(enum cli_stores stores, enum cl_store_kind kind);

/* A recorded certificate or application found by certificate serial, fingerprint prefix or local
 * application id (lookup.c). */
struct cli_found {
	struct cl_records *rec; /* the store's records, owned: free with cli_found_clear() */
	enum cl_store_kind store;
	struct cl_certificate *cert; /* NULL when ID names an application without an installed certificate */
	struct cl_application *app;  /* the certificate's application, or the one ID names; may be NULL */
};

/* Look ID up in STORES: as a local application id, a certificate serial, or the start (8 hex digits or
 * more) of a certificate's SHA-256 fingerprint. A certificate gets its application; an application with an
 * installed certificate gets that certificate. An ID that names several certificates (two CAs can issue one
 * serial; the same serial can be in both stores) is refused with a message listing them. 0 when found;
 * otherwise an error was reported and the exit code is returned (100 for an unknown or ambiguous id, or the
 * code of a records file that cannot be read). */
int cli_find(const char *id, enum cli_stores stores, struct cli_found *found);
/* The same without any message (for a look before a core operation that reports on its own). */
int cli_find_quiet(const char *id, enum cli_stores stores, struct cli_found *found);
void cli_found_clear(struct cli_found *found);

/* A decimal number MIN..MAX (no sign, no spaces) into *out; -1 for anything else. */
int cli_parse_number(const char *s, long min, long max, long *out);

/* Before a command works on the computer store: 0 when this process may, else the message and exit code
 * (100: not root). Other stores: 0. So a run fails before it contacts the server, not after. */
int cli_check_store(enum cl_store_kind kind);

/* "2027-11-25 10:00:00 UTC" (or "-" for 0) into out[32]. */
const char *cli_time_text(int64_t t, char out[32]);

/* For the commands that talk to the server (run.c). cli_run_init() zeroes OPTS and fills in what every run
 * takes: a cancel token that SIGINT and SIGTERM set, progress and debug lines on stderr, and the proxy, key
 * reuse and notification window settings. */
void cli_run_init(struct cl_enroll_opts *opts);
struct cl_cancel *cli_run_cancel_token(void);
/* The exit code of a run: its status's, and 300 for an application still waiting for approval. */
int cli_run_exit_code(const struct cl_enroll_result *res, enum cl_status st);
/* Write the store's result file (JSON and text, docs/cli.md) for a run that ended with ST. */
void cli_write_result(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err);
/* Result file, then the message or the installed certificate's summary; returns the exit code. */
int cli_run_finish(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err);

/* The commands that work on one recorded certificate or application (activate, withdraw, reapply, renew,
 * delete) share one shape (op.c): shared options, one ID, the store check, the password, the core call. */
enum {
	CLI_OP_PASSWORD = 1 << 0, /* takes the password options (CLI_PASSWORD_OPTIONS) */
	CLI_OP_NET = 1 << 1,      /* talks to the server: CLI_NET_OPTIONS, cli_run_init() */
	CLI_OP_APPROVAL = 1 << 2, /* takes --approval-timeout SEC */
	CLI_OP_RESULT = 1 << 3, /* ends with a result to tell the person: --no-notify (CLI_RESULT_OPTIONS) */
	CLI_OP_NETWORKS = 1 << 4, /* installs a certificate with the profile's networks: --no-network */
};
struct cli_op_run;
struct cli_op {
	unsigned takes;           /* CLI_OP_* */
	const struct option *own; /* the command's own options ({NULL} ends), or NULL; every command takes
	                             --store user|computer and --help */
	bool id_optional;         /* the ID may be left out (the command checks what else says what to do) */
	bool password_later;      /* run() reads the password itself (cli_password_load), when it needs it */
	const char *missing_id;   /* N_(): the message when not exactly one ID is given */
	void (*help)(void);       /* print the command's --help */
	/* take one of `own`: 0, or the exit code after reporting */
	int (*option)(struct cli_op_run *run, int c, const char *arg);
	/* do it: the exit code */
	int (*run)(struct cli_op_run *run);
};
struct cli_op_run {
	const struct cli_op *op;
	struct cl_enroll_opts opts; /* store (--store, CL_STORE_ASK when not given), approval_timeout, the
	                               server options and the password once read */
	struct cli_password pw;
	const char *id; /* the ID operand, NULL when none (id_optional) */
	void *data;     /* the command's own state */
};
/* Parse ARGV for OP, check, read the password unless OP reads it later, run OP, wipe the password;
 * returns the exit code. DATA is the command's, handed to its callbacks as run->data. */
int cli_op_main(const struct cli_op *op, void *data, int argc, char **argv);

/* Subcommands (one cmd-*.c file each). */
int cli_cmd_register_scheme(int argc, char **argv);
int cli_cmd_unregister_scheme(int argc, char **argv);
int cli_cmd_scheme_status(int argc, char **argv);
int cli_cmd_enroll(int argc, char **argv);
int cli_cmd_check_expiry(int argc, char **argv);
int cli_cmd_diagnostics(int argc, char **argv);
int cli_cmd_list(int argc, char **argv);
int cli_cmd_show(int argc, char **argv);
int cli_cmd_apid(int argc, char **argv);
int cli_cmd_activate(int argc, char **argv);
int cli_cmd_withdraw(int argc, char **argv);
int cli_cmd_reapply(int argc, char **argv);
int cli_cmd_renew(int argc, char **argv);
int cli_cmd_delete(int argc, char **argv);
int cli_cmd_kitting(int argc, char **argv);

#endif
