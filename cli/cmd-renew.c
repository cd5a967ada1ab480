/* certlink command line: `certlink renew SERIAL`, renew one installed certificate now (core/enroll.h
 * cl_enroll_renew): a renewal application at the server that issued it, with a new key or, with
 * --reuse-key, the current one; the new certificate replaces the old one everywhere it was installed.
 *
 * `certlink renew --all-due` renews every certificate of one store inside its renewal window, each at the
 * server that issued it (the same binding rules), and exits 110 when none is due. The system timer
 * certlink-renew.timer runs it as root for the computer store; its lines go to the journal. Without a
 * password option it reads the password, only when something is due, from the administrator's
 * renewal_password_file (/etc/certlink/settings.json), which must be owned by root and 0600. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settings.h"

static const char help[] =
    N_("Usage: certlink renew SERIAL [OPTIONS]\n"
       "       certlink renew --all-due [--store user|computer] [OPTIONS]\n"
       "\n"
       "Renew an installed certificate now, at the server that issued it. The new\n"
       "certificate is installed and the old one removed. Unlike certlink enroll,\n"
       "this does not wait for the renewal window. The server asks for the password.\n"
       "\n"
       "  --reuse-key             keep the current key (when the server allows it)\n"
       "  --new-key               make a new key, whatever the settings say (default)\n");

static const char help_tail[] =
    N_("  --approval-timeout SEC  how long to wait for approval (default: the server's)\n"
       "  --store user|computer   where the certificate is installed (default: look in both)\n");

static const char help_all_due[] =
    N_("  --all-due               renew every certificate of the store (--store, default user)\n"
       "                          that expires within the renewal window (notify_days), each\n"
       "                          at the server that issued it; 110 when none is due. Without\n"
       "                          a password option, the computer store's password comes from\n"
       "                          renewal_password_file in /etc/certlink/settings.json\n");

static const char help_end[] =
    N_("  -h, --help              show this help\n"
       "\n"
       "Exit status as for certlink enroll; the result file is written the same way.\n");

enum { OPT_REUSE = 1, OPT_NEWKEY, OPT_ALL_DUE };

/* What --all-due renews: copied out of the records, which each renewal rewrites. */
struct due {
	char id[65]; /* fingerprint, or the serial of a record without one */
	char serial[41];
	char subject[256];
	int64_t not_after;
};

static void usage(void)
{
	fputs(_(help), stdout);
	fputs(_(CLI_PASSWORD_HELP), stdout);
	fputs(_(help_tail), stdout);
	fputs(_(help_all_due), stdout);
	fputs(_(CLI_NO_NETWORK_HELP), stdout);
	fputs(_(CLI_RESULT_HELP), stdout);
	fputs(_(CLI_NET_HELP), stdout);
	fputs(_(help_end), stdout);
}

static int option(struct cli_op_run *r, int c, const char *arg)
{
	(void)arg;
	switch (c) {
	case OPT_ALL_DUE:
		*(bool *)r->data = true;
		return 0;
	case OPT_REUSE:
		r->opts.reuse_key = true;
		return 0;
	case OPT_NEWKEY:
		r->opts.reuse_key = false;
		return 0;
	}
	return CLI_EXIT_USAGE;
}

static const char *store_words(enum cl_store_kind store)
{
	return store == CL_STORE_COMPUTER ? _("computer store") : _("user store");
}

/* The certificates of STORE inside the renewal window (not expired: a renewal is signed with the current
 * certificate, so an expired one needs a new enrollment). *out is a new array; -1 with a message when the
 * records cannot be read. */
static int collect_due(enum cl_store_kind store, int days, struct due **out, size_t *n, size_t *total)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	int64_t now = (int64_t)time(NULL);
	char t[32];

	*out = NULL;
	*n = *total = 0;
	if (cl_records_load(store, &rec, &err) != CL_OK) {
		cli_fail(&err);
		return -1;
	}
	*total = rec->n_certs;
	*out = calloc(rec->n_certs ? rec->n_certs : 1, sizeof(**out));
	if (!*out) {
		cl_records_free(rec);
		cli_error(_("out of memory"));
		return -1;
	}
	for (size_t i = 0; i < rec->n_certs; i++) {
		const struct cl_certificate *c = rec->certs[i];
		struct due *d = &(*out)[*n];

		switch (cl_certificate_state(c, now, days)) {
		case CL_CERT_EXPIRED:
			cli_note(_("certificate %s (%s) expired on %s: a renewal is signed with the current "
			           "certificate, so it needs a new enrollment (certlink enroll)"),
			         c->serial, c->subject ? c->subject : "", cli_time_text(c->not_after, t));
			continue;
		case CL_CERT_INSTALLED:
			continue;
		case CL_CERT_EXPIRING:
			break;
		}
		snprintf(d->id, sizeof(d->id), "%s", c->fingerprint ? c->fingerprint : c->serial);
		snprintf(d->serial, sizeof(d->serial), "%s", c->serial);
		snprintf(d->subject, sizeof(d->subject), "%s", c->subject ? c->subject : "");
		d->not_after = c->not_after;
		(*n)++;
	}
	cl_records_free(rec);
	return 0;
}

/* The password for zero-touch renewals: the options, CERTLINK_PASSWORD, else (computer store) the
 * administrator's renewal_password_file. 0, or the exit code after saying why. */
static int due_password(struct cli_op_run *r, const char *cmd)
{
	struct cl_error err;
	char *file = NULL;
	int rc;

	if (r->pw.sources > 0 || getenv("CERTLINK_PASSWORD") || r->opts.store != CL_STORE_COMPUTER)
		return cli_password_load(&r->pw, cmd, &r->opts.password);
	if (cl_settings_renewal_password_file(&file, &err) != CL_OK)
		return cli_fail(&err);
	if (!file) {
		cli_error(
		    _("a renewal needs the password, and none was given: set renewal_password_file in "
		      "/etc/certlink/settings.json (a file owned by root, mode 0600), or use a password "
		      "option"));
		return CLI_EXIT_USAGE;
	}
	rc = cli_password_load_protected(&r->pw, cmd, file, &r->opts.password);
	free(file);
	return rc;
}

static int run_all_due(struct cli_op_run *r)
{
	enum cl_store_kind store = r->opts.store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER;
	int days = r->opts.notify_days > 0 ? r->opts.notify_days : 14, rc = CLI_EXIT_OK, one;
	struct cl_enroll_result result;
	struct cl_error err;
	size_t n, total, renewed = 0;
	struct due *due;
	char t[32];

	if (collect_due(store, days, &due, &n, &total) < 0)
		return cl_status_exit_code(CL_E_LOCAL);
	if (n == 0) {
		memset(&result, 0, sizeof(result));
		result.store = store;
		cl_error_set(&err, CL_E_NOT_DUE, "no certificate in the %s store expires within %d days",
		             cl_store_kind_name(store), days);
		cli_write_result(&result, CL_E_NOT_DUE, &err);
		cli_info(
		    dngettext(GETTEXT_PACKAGE,
		              "nothing to renew: the %s holds %zu certificate, none expires within %d days",
		              "nothing to renew: the %s holds %zu certificates, none expires within %d days",
		              (unsigned long)total),
		    store_words(store), total, days);
		free(due);
		return cl_status_exit_code(CL_E_NOT_DUE);
	}
	r->opts.store = store;
	if ((rc = due_password(r, "renew")) != 0) {
		free(due);
		return rc;
	}
	for (size_t i = 0; i < n; i++) {
		cli_info(_("renewing certificate %s (%s) in the %s: it expires on %s"), due[i].serial,
		         due[i].subject, store_words(store), cli_time_text(due[i].not_after, t));
		cl_error_clear(&err);
		memset(&result, 0, sizeof(result));
		one = cli_run_finish(&result, cl_enroll_renew(due[i].id, &r->opts, &result, &err), &err);
		if (one == CLI_EXIT_OK) {
			renewed++;
			cli_info(_("renewed certificate %s: the new certificate is %s"), due[i].serial,
			         result.serial);
		} else if (rc == CLI_EXIT_OK) {
			rc = one; /* the first failure decides; the others are still tried */
		}
	}
	cli_info(_("%zu of %zu due certificates renewed"), renewed, n);
	free(due);
	return rc;
}

static int run(struct cli_op_run *r)
{
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;
	int rc;

	if (*(bool *)r->data) {
		if (r->id)
			return cli_usage_error("renew",
			                       _("--all-due renews every due certificate: name none"));
		return run_all_due(r);
	}
	if (!r->id)
		return cli_usage_error("renew", _("name one certificate serial"));
	if ((rc = cli_password_load(&r->pw, "renew", &r->opts.password)) != 0)
		return rc;
	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));
	st = cl_enroll_renew(r->id, &r->opts, &result, &err);
	return cli_run_finish(&result, st, &err);
}

int cli_cmd_renew(int argc, char **argv)
{
	static const struct option own[] = { { "reuse-key", no_argument, NULL, OPT_REUSE },
		                             { "new-key", no_argument, NULL, OPT_NEWKEY },
		                             { "all-due", no_argument, NULL, OPT_ALL_DUE },
		                             { NULL, 0, NULL, 0 } };
	static const struct cli_op op = {
		.takes = CLI_OP_PASSWORD | CLI_OP_NET | CLI_OP_APPROVAL | CLI_OP_RESULT | CLI_OP_NETWORKS,
		.own = own,
		.id_optional = true,    /* --all-due names none; run() checks */
		.password_later = true, /* --all-due reads it only when a certificate is due */
		.missing_id = N_("name one certificate serial"),
		.help = usage,
		.option = option,
		.run = run,
	};
	bool all_due = false;

	return cli_op_main(&op, &all_due, argc, argv);
}
