/* certlink-handler: the enrollment in a terminal (see term.h). */
#include "term.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "elevate.h"
#include "settings.h"
#include "enroll.h"
#include "i18n.h"
#include "tty.h"
#include "words.h"

struct term {
	struct handler_tty tty;
	bool tty_tried;
	bool no_tty; /* a question came and there was nobody to ask */
	struct cl_cancel cancel;
	enum cl_stage last_stage;
	char last_detail[256];
};

/* The signal handler needs the token; a static is the only way to reach it, and there is one run. */
static struct cl_cancel *term_cancel;

static void on_signal(int sig)
{
	(void)sig;
	cl_cancel_request(term_cancel); /* lock-free atomic store: async-signal-safe */
}

static void install_signals(struct term *t)
{
	struct sigaction sa;

	term_cancel = &t->cancel;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: a pending read() on /dev/tty returns EINTR and the question ends */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void on_progress(void *user_data, enum cl_stage stage, const char *detail)
{
	struct term *t = user_data;

	if (stage == t->last_stage && strcmp(detail ? detail : "", t->last_detail) == 0)
		return;
	if (stage == CL_STAGE_DONE)
		return;
	if (detail && detail[0])
		fprintf(stderr, "certlink: [%d/%d] %s: %s\n", (int)stage + 1, (int)CL_STAGE_DONE,
		        cl_words_stage(stage), detail);
	else
		fprintf(stderr, "certlink: [%d/%d] %s\n", (int)stage + 1, (int)CL_STAGE_DONE,
		        cl_words_stage(stage));
	t->last_stage = stage;
	snprintf(t->last_detail, sizeof(t->last_detail), "%s", detail ? detail : "");
}

static bool need_tty(struct term *t)
{
	if (!t->tty_tried) {
		t->tty_tried = true;
		handler_tty_open(&t->tty);
	}
	if (t->tty.fd < 0)
		t->no_tty = true;
	return t->tty.fd >= 0;
}

static enum cl_status ask_choice(struct term *t, const char *prompt, const char *choices, char *out)
{
	char line[16];

	for (;;) {
		enum cl_status st =
		    handler_tty_read_line(&t->tty, prompt, line, sizeof(line), true, &t->cancel);

		if (st != CL_OK)
			return st;
		if (line[0] == '\0' || (line[1] == '\0' && strchr(choices, line[0] | 0x20))) {
			*out = line[0] ? (char)(line[0] | 0x20) : '\0';
			return CL_OK;
		}
		handler_tty_printf(&t->tty, _("Please answer with one of the letters shown.\n"));
	}
}

static enum cl_status ask_trust(struct term *t, struct cl_question *q)
{
	char c;
	enum cl_status st;

	q->trust = CL_TRUST_NO;
	if (q->kind == CL_ASK_TRUST_SERVER) {
		handler_tty_printf(&t->tty, _("\nThe identity of the server %s:%d could not be confirmed.\n"),
		                   q->host ? q->host : "?", q->port);
		handler_tty_printf(
		    &t->tty, _("  Certificate authority: %s\n  Issued by: %s\n  SHA-256 fingerprint: %s\n"),
		    q->subject ? q->subject : "?", q->issuer ? q->issuer : "?",
		    q->fingerprint ? q->fingerprint : "?");
		handler_tty_printf(
		    &t->tty, _("Continue only if your administrator gave you exactly this fingerprint.\n"));
		st = ask_choice(t, _("Trust this server? [y]es, this time / [r]emember / [N]o: "), "yrn", &c);
		if (st != CL_OK)
			return st;
		if (c == 'y')
			q->trust = CL_TRUST_ONCE;
		else if (c == 'r')
			q->trust = CL_TRUST_REMEMBER;
		else
			return CL_E_CANCELLED;
		return CL_OK;
	}
	handler_tty_printf(&t->tty,
	                   _("\nThe server asks to install this certificate authority as trusted:\n"));
	handler_tty_printf(&t->tty, _("  %s\n  SHA-256 fingerprint: %s\n"), q->subject ? q->subject : "?",
	                   q->fingerprint ? q->fingerprint : "?");
	handler_tty_printf(
	    &t->tty, q->store == CL_STORE_COMPUTER
	                 ? _("Every program and every user of this computer would then trust every "
	                     "certificate it issues, for any web site or server (an administrator's "
	                     "password is asked).\n")
	                 : _("Your programs, web browsers among them, would then trust every certificate "
	                     "it issues, for any web site or server.\n"));
	handler_tty_printf(&t->tty, _("Your certificate is installed either way. Trust it only if your "
	                              "administrator told you to and gave you exactly this fingerprint.\n"));
	st = ask_choice(t, _("Trust this certificate authority? [y]es / [N]o: "), "yn", &c);
	if (st != CL_OK)
		return st;
	q->trust = c == 'y' ? CL_TRUST_REMEMBER : CL_TRUST_NO;
	return CL_OK;
}

static enum cl_status ask_store(struct term *t, struct cl_question *q)
{
	char c;
	enum cl_status st;

	handler_tty_printf(&t->tty, _("\nWhere should the certificate go?\n"
	                              "  [u] only for you (your personal certificate store)\n"
	                              "  [c] for this computer (all users; needs administrator rights)\n"));
	do {
		st = ask_choice(t, _("Store [u/c]: "), "uc", &c);
		if (st != CL_OK)
			return st;
	} while (c == '\0');
	q->store = c == 'c' ? CL_STORE_COMPUTER : CL_STORE_USER;
	return CL_OK;
}

static enum cl_status ask_credentials(struct term *t, struct cl_question *q)
{
	char prompt[160];
	enum cl_status st;

	if (q->error_hint)
		handler_tty_printf(&t->tty, _("\nThe server says: %s\n"), q->error_hint);
	handler_tty_printf(&t->tty, _("\nSign in to %s\n"),
	                   q->service_name ? q->service_name
	                   : q->host       ? q->host
	                                   : "?");
	for (;;) {
		if (q->user[0]) {
			char typed[sizeof(q->user)];

			snprintf(prompt, sizeof(prompt), _("User ID [%s]: "), q->user);
			st = handler_tty_read_line(&t->tty, prompt, typed, sizeof(typed), true, &t->cancel);
			if (st != CL_OK)
				return st;
			if (typed[0])
				memcpy(q->user, typed, sizeof(q->user));
		} else {
			st = handler_tty_read_line(&t->tty, _("User ID: "), q->user, sizeof(q->user), true,
			                           &t->cancel);
			if (st != CL_OK)
				return st;
		}
		if (q->user[0])
			break;
		handler_tty_printf(&t->tty, _("A user ID is needed. Type it, or press Ctrl-C to cancel.\n"));
	}
	for (;;) {
		st = handler_tty_read_line(&t->tty, _("Password: "), q->password, sizeof(q->password), false,
		                           &t->cancel);
		if (st != CL_OK)
			return st;
		if (q->password[0])
			return CL_OK;
		handler_tty_printf(&t->tty,
		                   _("The password cannot be empty. Type it, or press Ctrl-C to cancel.\n"));
	}
}

/* One field: what BUF already holds (from the link, the options or an earlier answer) is shown as the
 * default, which Enter keeps; a required field left empty is asked again with a reason. */
static enum cl_status ask_field(struct term *t, enum cl_field_use use, const char *label, char *buf,
                                size_t size)
{
	char prompt[512], typed[CL_FIELD_MAX];
	enum cl_status st;

	if (use == CL_FIELD_OFF)
		return CL_OK;
	if (buf[0])
		snprintf(prompt, sizeof(prompt),
		         use == CL_FIELD_REQUIRED ? _("%s (required) [%s]: ") : _("%s (optional) [%s]: "),
		         label, buf);
	else
		snprintf(prompt, sizeof(prompt),
		         use == CL_FIELD_REQUIRED ? _("%s (required): ") : _("%s (optional): "), label);
	for (;;) {
		st = handler_tty_read_line(&t->tty, prompt, typed,
		                           size < sizeof(typed) ? size : sizeof(typed), true, &t->cancel);
		if (st != CL_OK)
			return st;
		if (typed[0])
			snprintf(buf, size, "%s", typed);
		if (buf[0] || use != CL_FIELD_REQUIRED)
			return CL_OK;
		handler_tty_printf(&t->tty, _("%s is required. Type it, or press Ctrl-C to cancel.\n"),
		                   label);
	}
}

static enum cl_status ask_fields(struct term *t, struct cl_question *q)
{
	enum cl_status st;

	if (q->error_hint)
		handler_tty_printf(&t->tty, _("\nThe server says: %s\n"), q->error_hint);
	handler_tty_printf(&t->tty, _("\nThe server asks for a few details.\n"));
	st = ask_field(t, q->use_code, _("Invitation code"), q->code, sizeof(q->code));
	if (st == CL_OK)
		st = ask_field(t, q->use_email, _("E-mail address"), q->email, sizeof(q->email));
	if (st == CL_OK)
		st = ask_field(t, q->use_reason, _("Reason"), q->reason, sizeof(q->reason));
	if (st == CL_OK)
		st = ask_field(t, q->use_device_note,
		               q->device_note_label && q->device_note_label[0] ? q->device_note_label
		                                                               : _("Device note"),
		               q->device_note, sizeof(q->device_note));
	return st;
}

/* What will be replaced, before anything is sent: the person says yes, or nothing happens. */
static enum cl_status ask_renew(struct term *t, struct cl_question *q)
{
	char until[64] = "?", c;
	struct tm tm;
	enum cl_status st;

	if (q->not_after && localtime_r(&q->not_after, &tm))
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M", &tm);
	handler_tty_printf(&t->tty, _("\nRenew this certificate?\n"));
	handler_tty_printf(&t->tty, _("  Certificate: %s\n  Issued by:   %s\n  Serial:      %s\n"),
	                   q->subject ? q->subject : "?", q->issuer ? q->issuer : "?",
	                   q->serial ? q->serial : "?");
	if (q->fingerprint)
		handler_tty_printf(&t->tty, _("  SHA-256:     %s\n"), q->fingerprint);
	handler_tty_printf(&t->tty, _("  Expires:     %s\n"), until);
	if (q->key_bits > 0)
		handler_tty_printf(&t->tty, _("  Key:         %s, %d bits\n"), cl_words_key(q->key_type),
		                   q->key_bits);
	else
		handler_tty_printf(&t->tty, _("  Key:         %s\n"), cl_words_key(q->key_type));
	handler_tty_printf(&t->tty, "               %s\n",
	                   q->new_key ? _("the renewed certificate gets a new key")
	                              : _("the renewed certificate keeps this key"));
	handler_tty_printf(&t->tty, _("  Store:       %s\n"), cl_words_store(q->store));
	if (q->service_name && q->host && strcmp(q->service_name, q->host) != 0)
		handler_tty_printf(&t->tty, _("  Server:      %s (%s:%d)\n"), q->service_name, q->host,
		                   q->port);
	else
		handler_tty_printf(&t->tty, _("  Server:      %s:%d\n"), q->host ? q->host : "?", q->port);
	if (q->user[0])
		handler_tty_printf(&t->tty, _("  User ID:     %s\n"), q->user);
	handler_tty_printf(&t->tty, _("The new certificate replaces this one once it is installed. Nothing "
	                              "has been sent yet.\n"));
	st = ask_choice(t, _("Renew it? [y]es / [N]o: "), "yn", &c);
	if (st != CL_OK)
		return st;
	return c == 'y' ? CL_OK : CL_E_CANCELLED;
}

static enum cl_status on_ask(void *user_data, struct cl_question *q)
{
	struct term *t = user_data;

	if (!need_tty(t))
		return CL_E_CANCELLED;
	switch (q->kind) {
	case CL_ASK_TRUST_SERVER:
	case CL_ASK_TRUST_CA:
		return ask_trust(t, q);
	case CL_ASK_STORE:
		return ask_store(t, q);
	case CL_ASK_CREDENTIALS:
		return ask_credentials(t, q);
	case CL_ASK_FIELDS:
		return ask_fields(t, q);
	case CL_ASK_CONFIRM_RENEW:
		return ask_renew(t, q);
	}
	return CL_E_CANCELLED;
}

static enum cl_status on_elevate(void *user_data, const char *staging_dir, struct cl_error *err)
{
	struct term *t = user_data;

	fprintf(stderr,
	        _("certlink: installing into this computer's certificate store needs an administrator; "
	          "pkexec will ask for a password.\n"));
	return cl_elevate_install(staging_dir, &t->cancel, err);
}

static enum cl_status on_elevate_anchor(void *user_data, const char *staging_dir, const char *sha256,
                                        const char *subject, struct cl_error *err)
{
	struct term *t = user_data;

	fprintf(stderr,
	        _("certlink: making the certificate authority %s trusted on this computer needs an "
	          "administrator; pkexec will ask for a password.\n"),
	        sha256);
	return cl_elevate_anchor(staging_dir, sha256, subject, &t->cancel, err);
}

static enum cl_status on_elevate_network(void *user_data, const char *staging_dir, struct cl_error *err)
{
	struct term *t = user_data;

	fprintf(stderr, _("certlink: setting up this computer's network connections needs an administrator; "
	                  "pkexec will ask for a password.\n"));
	return cl_elevate_network(staging_dir, &t->cancel, err);
}

static enum cl_status on_elevate_sign(void *user_data, const char *staging_dir, const char *sha256,
                                      const char *subject, char **request, size_t *len, struct cl_error *err)
{
	struct term *t = user_data;

	fprintf(stderr,
	        _("certlink: renewing with the same key needs this computer's key (certificate %s); "
	          "pkexec will ask for an administrator's password.\n"),
	        sha256);
	return cl_elevate_sign(staging_dir, sha256, subject, &t->cancel, request, len, err);
}

static void print_networks(const struct cl_enroll_result *r)
{
	char *words = cl_words_network(&r->network), *line, *save = NULL;

	for (line = words ? strtok_r(words, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		printf("  %s\n", line);
	free(words);
}

static void report_success(const struct cl_enroll_result *r)
{
	if (r->pending) {
		printf(_("Your application was sent and is waiting for the administrator's approval.\n"
		         "It stays on record: click the link again later, or open Certificate Manager, to "
		         "finish.\n"));
		return;
	}
	printf(_("Installed the certificate %s (serial %s) in %s.\n"), r->subject, r->serial,
	       cl_words_store(r->store));
	if (r->cert_path[0])
		printf(_("  Certificate file: %s\n"), r->cert_path);
	if (r->nss_imported)
		printf(_("  Also available to browsers as \"%s\".\n"), r->nss_nickname);
	if (r->trust_anchors > 0)
		printf(_("  Certificate authorities installed as trusted: %d\n"), r->trust_anchors);
	if (r->firefox_restart > 0)
		printf("  %s\n", cl_words_firefox_restart());
	for (int i = 0; i < r->trust_not_installed && i < CL_ENROLL_ANCHORS_MAX; i++)
		printf(_("  Certificate authority not installed as trusted (nobody agreed): SHA-256 %s\n"),
		       r->trust_not_installed_sha256[i]);
	if (r->existing > 0) {
		char text[512];

		cl_words_existing(r, text, sizeof(text));
		printf("%s\n", text);
	}
	print_networks(r);
}

int handler_term_run(const struct cl_link *link)
{
	struct term t;
	struct cl_enroll_opts opts;
	struct cl_enroll_result result;
	struct cl_settings settings;
	struct cl_error err;
	enum cl_status st;

	memset(&t, 0, sizeof(t));
	t.tty.fd = -1;
	t.last_stage = (enum cl_stage) - 1;
	cl_cancel_init(&t.cancel);
	install_signals(&t);

	memset(&opts, 0, sizeof(opts));
	opts.link = link;
	opts.store = CL_STORE_ASK;
	opts.ask = on_ask;
	opts.progress = on_progress;
	opts.elevate = on_elevate;
	opts.elevate_anchor = on_elevate_anchor;
	opts.elevate_network = on_elevate_network;
	opts.elevate_sign = on_elevate_sign;
	/* the person's setting (certlink-manager, docs/manager.md): a renewal keeps the key */
	if (cl_settings_load(&settings, NULL) == CL_OK)
		opts.reuse_key = settings.reuse_key;
	opts.user_data = &t;
	opts.cancel = &t.cancel;
	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));

	st = cl_enroll_run(&opts, &result, &err);
	handler_tty_close(&t.tty);
	if (st == CL_OK) {
		report_success(&result);
		return 0;
	}
	{
		struct cl_advice a = cl_words_advice(&err);

		if (t.no_tty)
			fprintf(
			    stderr,
			    _("certlink: this link needs an answer from you, but there is no terminal to ask "
			      "on. Open it from a desktop or run certlink-handler in a terminal.\n"));
		fprintf(stderr, "certlink: %s\n", a.title);
		if (err.msg[0])
			fprintf(stderr, _("  Details: %s\n"), err.msg);
		fprintf(stderr, "  %s\n", a.action);
	}
	return cl_status_exit_code(st);
}
