/* certlink-server: the administration command line (see cli.h). */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "apps.h"
#include "ca.h"
#include "certs.h"
#include "config.h"
#include "db.h"
#include "invites.h"
#include "users.h"
#include "util.h"

char *srv_cli_read_secret(const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	char buf[1100], *out = NULL;

	if (!f)
		return NULL;
	if (fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\r\n")] = '\0';
		out = strdup(buf);
	}
	OPENSSL_cleanse(buf, sizeof(buf));
	if (f != stdin)
		fclose(f);
	return out;
}

/* Value of --name in argv (NULL when absent); flags without a value give "". */
static const char *opt(int argc, char **argv, const char *name, int takes_value)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return takes_value ? (i + 1 < argc ? argv[i + 1] : NULL) : "";
	return NULL;
}

static void print_json(cJSON *doc)
{
	char *text = cJSON_Print(doc);

	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(doc);
}

static int fail(const char *what, const char *msg)
{
	fprintf(stderr, "certlink-server %s: %s\n", what, msg);
	return 1;
}

static int user_add(sqlite3 *db, int argc, char **argv)
{
	const char *file = opt(argc, argv, "--password-file", 1), *email = opt(argc, argv, "--email", 1);
	char *password = NULL;
	struct cl_error err;
	int rc;

	if (argc < 2 || argv[1][0] == '-')
		return fail("user-add",
		            "usage: user-add NAME [--password-file F|--password-stdin] [--email ADDR]"),
		       2;
	if (opt(argc, argv, "--email", 0) && !email)
		return fail("user-add", "--email needs an address"), 2;
	if (file || opt(argc, argv, "--password-stdin", 0)) {
		password = srv_cli_read_secret(file ? file : "-");
		if (!password || !*password) {
			srv_free_secret(password);
			return fail("user-add", "could not read a password");
		}
	}
	rc = srv_user_add(db, argv[1], password, email, &err) == CL_OK ? 0 : fail("user-add", err.msg);
	srv_free_secret(password);
	if (!rc)
		printf("user %s added%s\n", argv[1],
		       password ? "" : " (no password: passwordless invitations only)");
	return rc;
}

/* user-set NAME --email ADDR | --no-email: what the user directory says about a user. */
static int user_set(sqlite3 *db, int argc, char **argv)
{
	const char *email = opt(argc, argv, "--email", 1);
	struct cl_error err;

	if (argc < 2 || argv[1][0] == '-' || (!email && !opt(argc, argv, "--no-email", 0)))
		return fail("user-set", "usage: user-set NAME --email ADDR | --no-email"), 2;
	if (srv_user_set_email(db, argv[1], email, &err) != CL_OK)
		return fail("user-set", err.msg);
	printf("user %s: e-mail %s\n", argv[1], email ? email : "(none)");
	return 0;
}

static int user_list(sqlite3 *db)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT name, pw_hash IS NOT NULL, email FROM users ORDER BY name", NULL);

	while (st && sqlite3_step(st) == SQLITE_ROW)
		printf("%s\t%s\t%s\n", sqlite3_column_text(st, 0),
		       sqlite3_column_int(st, 1) ? "password" : "no-password",
		       sqlite3_column_type(st, 2) == SQLITE_NULL ? "-"
		                                                 : (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return 0;
}

static int invite(sqlite3 *db, const char *dir, int argc, char **argv)
{
	struct srv_ca_opts opts = { .load_only = 1 };
	struct srv_invite_req in = { 0 };
	struct srv_invite inv;
	struct srv_err err = { 0 };
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	const char *days = opt(argc, argv, "--expires", 1), *code = opt(argc, argv, "--code", 0);
	char *link = NULL, ts[21];
	int created, i;

	in.user = opt(argc, argv, "--user", 1);
	in.store = opt(argc, argv, "--store", 1);
	in.passwordless = opt(argc, argv, "--passwordless", 0) != NULL;
	in.expires_days = days ? atoi(days) : 7;
	/* --code alone generates a code; --code VALUE uses VALUE. */
	for (i = 1; code && i < argc; i++)
		if (!strcmp(argv[i], "--code"))
			code = i + 1 < argc && argv[i + 1][0] != '-' ? argv[i + 1] : "";
	in.code = code;
	if (srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr) != CL_OK)
		return fail("invite", cerr.msg);
	if (srv_invite_create(db, ca, &in, &inv, &link, &err) != CL_OK) {
		srv_ca_free(ca);
		return fail("invite", err.e.msg);
	}
	srv_time_fmt(inv.expires, ts);
	printf("%s\n", link);
	fprintf(stderr, "invitation %s expires %s\n", inv.id, ts);
	srv_free_secret(link);
	srv_ca_free(ca);
	return 0;
}

static int decide(sqlite3 *db, const char *cmd, int argc, char **argv)
{
	struct srv_app app = { 0 };
	struct srv_err err = { 0 };
	enum srv_decision what = !strcmp(cmd, "approve")  ? SRV_APPROVE
	                         : !strcmp(cmd, "reject") ? SRV_REJECT
	                                                  : SRV_RELEASE;
	const char *name = opt(argc, argv, "--computer-name", 1);
	int rc = 0;

	if (argc < 2 || argv[1][0] == '-')
		return fail(cmd, "usage: approve APPLICATION-ID [--computer-name NAME] | reject|release "
		                 "APPLICATION-ID"),
		       2;
	if ((opt(argc, argv, "--computer-name", 0) && !name) || (name && what != SRV_APPROVE))
		return fail(cmd, "--computer-name NAME goes with approve"), 2;
	if (srv_apps_decide(db, argv[1], what, name, &app, &err) != CL_OK)
		rc = fail(cmd, err.e.msg);
	else
		printf("application %s: %s%s%s\n", app.id, app.state,
		       app.computer_name[0] ? ", computer name " : "", app.computer_name);
	srv_app_clear(&app);
	return rc;
}

static int config_get(sqlite3 *db, int argc, char **argv)
{
	const struct srv_config_key *k;
	char *v;

	if (argc >= 2 && argv[1][0] != '-') {
		if (!(v = srv_config_dup(db, argv[1])))
			return fail("config-get", "unknown key");
		printf("%s\n", v);
		free(v);
		return 0;
	}
	for (k = srv_config_keys(); k->name; k++) {
		v = srv_config_dup(db, k->name);
		printf("%s = %s\t# %s\n", k->name, v ? v : "", k->help);
		free(v);
	}
	return 0;
}

static int apid(sqlite3 *db, const char *cmd, int argc, char **argv)
{
	sqlite3_stmt *st;
	int rc;

	if (!strcmp(cmd, "apid-list")) {
		st = srv_db_prepare(db, "SELECT apid FROM apids ORDER BY apid", NULL);
		while (st && sqlite3_step(st) == SQLITE_ROW)
			printf("%s\n", sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		return 0;
	}
	if (argc < 2 || srv_utf8_chars(argv[1]) < 1 || srv_utf8_chars(argv[1]) > 64)
		return fail(cmd, "usage: apid-add|apid-del APID (1-64 characters)"), 2;
	st = srv_db_prepare(db,
	                    !strcmp(cmd, "apid-add")
	                        ? "INSERT OR IGNORE INTO apids(apid, created) VALUES(?, ?)"
	                        : "DELETE FROM apids WHERE apid = ? AND ? IS NOT NULL",
	                    NULL);
	if (!st)
		return fail(cmd, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, argv[1], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : fail(cmd, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

static int dispatch(sqlite3 *db, const char *dir, int argc, char **argv)
{
	const char *cmd = argv[0];
	struct cl_error err;
	struct srv_err serr = { 0 };

	if (!strcmp(cmd, "user-add"))
		return user_add(db, argc, argv);
	if (!strcmp(cmd, "user-del"))
		return argc < 2 ? 2 : srv_user_del(db, argv[1], &err) == CL_OK ? 0 : fail(cmd, err.msg);
	if (!strcmp(cmd, "user-list"))
		return user_list(db);
	if (!strcmp(cmd, "user-set"))
		return user_set(db, argc, argv);
	if (!strcmp(cmd, "invite"))
		return invite(db, dir, argc, argv);
	if (!strcmp(cmd, "invite-list")) {
		print_json(srv_invites_list(db, 100000));
		return 0;
	}
	if (!strcmp(cmd, "invite-revoke")) {
		if (argc < 2)
			return fail(cmd, "usage: invite-revoke ID"), 2;
		if (srv_invite_revoke(db, argv[1], &serr) != CL_OK)
			return fail(cmd, serr.e.msg);
		printf("invitation %s revoked\n", argv[1]);
		return 0;
	}
	if (!strcmp(cmd, "app-list")) {
		print_json(srv_apps_list(db, 100000));
		return 0;
	}
	if (!strcmp(cmd, "approve") || !strcmp(cmd, "reject") || !strcmp(cmd, "release"))
		return decide(db, cmd, argc, argv);
	if (!strcmp(cmd, "cert-list")) {
		print_json(srv_certs_list(db, 100000));
		return 0;
	}
	if (!strcmp(cmd, "revoke")) {
		if (argc < 2)
			return fail(cmd, "usage: revoke SERIAL"), 2;
		if (srv_certs_revoke(db, argv[1], &serr) != CL_OK)
			return fail(cmd, serr.e.msg);
		printf("certificate %s revoked\n", argv[1]);
		return 0;
	}
	if (!strcmp(cmd, "config-set")) {
		if (argc < 3)
			return fail(cmd, "usage: config-set KEY VALUE"), 2;
		return srv_config_set(db, argv[1], argv[2], &err) == CL_OK ? 0 : fail(cmd, err.msg);
	}
	if (!strcmp(cmd, "config-get"))
		return config_get(db, argc, argv);
	if (!strcmp(cmd, "apid-add") || !strcmp(cmd, "apid-del") || !strcmp(cmd, "apid-list"))
		return apid(db, cmd, argc, argv);
	return -1;
}

int srv_cli_run(const char *state_dir, int argc, char **argv)
{
	static const char *const known[] = {
		"user-add",    "user-del",      "user-list", "user-set",   "invite",
		"invite-list", "invite-revoke", "app-list",  "approve",    "reject",
		"release",     "cert-list",     "revoke",    "config-set", "config-get",
		"apid-add",    "apid-del",      "apid-list", NULL
	};
	struct cl_error err;
	sqlite3 *db = NULL;
	char marker[4096];
	int rc, i, is_known = 0;

	for (i = 0; known[i]; i++)
		is_known |= !strcmp(argv[0], known[i]);
	if (!is_known)
		return -1;
	snprintf(marker, sizeof(marker), "%s/%s", state_dir, SRV_DB_FILE);
	if (access(marker, F_OK) != 0)
		return fail(argv[0],
		            "no state database here; run `certlink-server init --state-dir DIR` first");
	if (srv_db_open(state_dir, &db, &err) != CL_OK)
		return fail(argv[0], err.msg);
	rc = dispatch(db, state_dir, argc, argv);
	sqlite3_close(db);
	return rc;
}
