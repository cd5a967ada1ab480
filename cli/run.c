/* certlink command line: what the commands that talk to the enrollment server share (cli.h): cancelling on
 * SIGINT/SIGTERM, progress and debug lines on stderr, the settings that shape a run, and for the commands
 * that install a certificate (enroll, activate, renew) the result file and the summary. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "result.h"
#include "settings.h"
#include "words.h"

static struct cl_cancel cancel_token;

static void on_signal(int sig)
{
	(void)sig;
	cl_cancel_request(&cancel_token);
}

static void on_log(void *data, const char *line)
{
	(void)data;
	fprintf(stderr, "certlink: debug: %s\n", line);
}

static void on_progress(void *data, enum cl_stage stage, const char *detail)
{
	(void)data;
	fprintf(stderr, "certlink: %s: %s\n", cli_stage_name(stage), detail);
}

void cli_run_init(struct cl_enroll_opts *opts)
{
	struct cl_settings settings;
	struct sigaction sa;

	memset(opts, 0, sizeof(*opts));
	cl_cancel_init(&cancel_token);
	opts->store = CL_STORE_ASK;
	opts->cancel = &cancel_token;
	opts->progress = on_progress;
	opts->log_fn = on_log;
	/* A damaged layer leaves the ones below it (docs/paths.md): the administrator's presets still apply.
	 */
	cl_settings_load(&settings, NULL);
	opts->no_proxy = settings.no_proxy;
	opts->reuse_key = settings.reuse_key;
	opts->notify_days = settings.notify_days;
	cli_notify_set(settings.notify_result);
	/* The flow stops at its next check point and records where it was; the next run resumes. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int cli_net_option(struct cl_enroll_opts *opts, const char *cmd, int c, const char *arg)
{
	long n;

	switch (c) {
	case CLI_OPT_NO_PROXY:
		opts->no_proxy = true;
		return 0;
	case CLI_OPT_DEBUG:
		opts->debug = true;
		return 0;
	case CLI_OPT_NO_NETWORK:
		opts->no_network = true;
		return 0;
	case CLI_OPT_RETRIES:
		if (cli_parse_number(arg, 1, 20, &n))
			return cli_usage_error(cmd, _("--retries must be 1-20"));
		opts->max_attempts = (int)n;
		return 0;
	case CLI_OPT_TIMEOUT:
		if (cli_parse_number(arg, 1, 3600, &n))
			return cli_usage_error(cmd, _("--timeout must be 1-3600 seconds"));
		opts->timeout = (int)n;
		return 0;
	}
	return -1;
}

int cli_install_ca_option(struct cli_install_ca *ca, struct cl_enroll_opts *opts, const char *cmd,
                          const char *arg)
{
	if (ca->n == CL_ENROLL_ANCHORS_MAX)
		return cli_usage_error(cmd, _("--install-ca is allowed at most %d times"),
		                       CL_ENROLL_ANCHORS_MAX);
	if (!cl_fp_parse(arg, strlen(arg), ca->fp[ca->n]))
		return cli_usage_error(cmd, _("--install-ca must be a SHA-256 fingerprint (64 hex digits)"));
	ca->n++;
	opts->install_ca = (const unsigned char(*)[32])ca->fp;
	opts->n_install_ca = ca->n;
	return 0;
}

struct cl_cancel *cli_run_cancel_token(void)
{
	return &cancel_token;
}

int cli_run_exit_code(const struct cl_enroll_result *res, enum cl_status st)
{
	if (st == CL_OK && res->pending)
		return cl_status_exit_code(CL_E_REFUSED);
	return cl_status_exit_code(st);
}

void cli_write_result(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err)
{
	static const enum cl_result_format formats[] = { CL_RESULT_FORMAT_JSON, CL_RESULT_FORMAT_TEXT };
	struct cl_result r;
	struct cl_error werr;
	const char *not_installed[CL_ENROLL_ANCHORS_MAX];
	char message[CL_ERROR_MSG_MAX + 256];
	size_t i;

	memset(&r, 0, sizeof(r));
	r.outcome = st == CL_OK && !res->pending ? CL_RESULT_SUCCEEDED
	            : st == CL_E_CANCELLED       ? CL_RESULT_CANCELED
	            : st == CL_E_NOT_DUE         ? CL_RESULT_NOT_EXECUTED
	                                         : CL_RESULT_FAILED;
	r.user = res->user[0] ? res->user : NULL;
	r.store = res->store == CL_STORE_COMPUTER ? CL_STORE_COMPUTER : CL_STORE_USER;
	r.cn = res->cn[0] ? res->cn : NULL;
	r.serial = res->serial[0] ? res->serial : NULL;
	r.expiry = res->not_after;
	r.exit_code = cli_run_exit_code(res, st);
	r.message = st != CL_OK ? err->msg : res->pending ? "waiting for approval" : "installed";
	r.trust_anchors = res->trust_anchors;
	for (i = 0; i < (size_t)res->trust_not_installed && i < CL_ENROLL_ANCHORS_MAX; i++)
		not_installed[i] = res->trust_not_installed_sha256[i];
	r.ca_not_installed = not_installed;
	r.n_ca_not_installed = i;
	r.network = res->network.planned > 0 ? &res->network : NULL;
	if (st == CL_OK && !res->pending && res->trust_not_installed > 0) {
		snprintf(
		    message, sizeof(message),
		    "installed; %d CA(s) offered as trust anchors were not installed as such (no one agreed: "
		    "an administrator allows one with --install-ca SHA256)",
		    res->trust_not_installed);
		r.message = message;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (cl_result_write(&r, formats[i], NULL, &werr) != CL_OK)
			cli_note(_("the result file could not be written: %s"), werr.msg);
}

void cli_print_networks(const struct cl_network_report *n)
{
	for (int i = 0; i < n->planned && i < CL_NETWORK_CONNECTIONS_MAX; i++) {
		const struct cl_network_conn *c = &n->conns[i];

		if (c->uuid[0])
			printf(c->updated ? _("  network connection updated: %s (%s)\n")
			                  : _("  network connection set up: %s (%s)\n"),
			       c->name, c->uuid);
	}
	if (n->skipped && n->planned > 0)
		printf(_("  network connections of the profile not set up (--no-network)\n"));
	else if (n->planned > 0 && n->applied < n->planned)
		cli_note(_("the network connections were not set up through NetworkManager: %s"),
		         n->note[0] ? n->note : "?");
	for (int w = 0; w < 2; w++)
		if (n->wpa_file[w][0])
			cli_note(_("the network settings were written for wpa_supplicant to %s"),
			         n->wpa_file[w]);
}

int cli_run_finish(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err)
{
	char t[32];

	cli_write_result(res, st, err);
	cli_notify_result(res, st, err);
	if (st != CL_OK && strcmp(err->code, "install_failed") == 0 && res->app_id[0]) {
		cli_fail(err);
		cli_error(_("the certificate was issued and application %s keeps its key: fix the problem, "
		            "then run "
		            "`certlink activate %s` or the same command again to install it"),
		          res->app_id, res->app_id);
		return cl_status_exit_code(err->status);
	}
	if (st == CL_E_NOT_DUE) {
		cli_fail(err);
		cli_error(
		    _("nothing was done; `certlink enroll --renew` renews it now, `--force-new` enrolls a "
		      "second certificate beside it"));
		return cl_status_exit_code(st);
	}
	if (st != CL_OK)
		return cli_fail(err);
	if (res->pending) {
		cli_error(
		    _("application %s is waiting for approval; after approval run `certlink activate %s` "
		      "or the same command again"),
		    res->app_id, res->app_id);
		return cli_run_exit_code(res, st);
	}
	printf(_("installed certificate %s (%s), valid until %s\n"), res->serial, res->subject,
	       cli_time_text(res->not_after, t));
	printf(_("  store: %s, file: %s%s%s\n"), cl_store_kind_name(res->store), res->cert_path,
	       res->nss_imported ? _(", NSS database: ") : "", res->nss_imported ? res->nss_nickname : "");
	if (res->trust_anchors > 0)
		printf(_("  trust anchors installed: %d\n"), res->trust_anchors);
	if (res->firefox_restart > 0)
		printf("  %s\n", cl_words_firefox_restart());
	for (int i = 0; i < res->trust_not_installed && i < CL_ENROLL_ANCHORS_MAX; i++)
		printf(
		    _("  CA %s: not installed as a trust anchor (nobody agreed; --install-ca allows it)\n"),
		    res->trust_not_installed_sha256[i]);
	if (res->existing > 0)
		printf(
		    ngettext(
		        "  also installed: %d earlier certificate of this server and user (the latest: %s, "
		        "valid until %s); `certlink delete` removes it\n",
		        "  also installed: %d earlier certificates of this server and user (the latest: %s, "
		        "valid until %s); `certlink delete` removes them\n",
		        (unsigned long)res->existing),
		    res->existing, res->existing_serial, cli_time_text(res->existing_not_after, t));
	cli_print_networks(&res->network);
	return CLI_EXIT_OK;
}
