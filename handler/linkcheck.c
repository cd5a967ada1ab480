/* certlink-handler --check LINK (see linkcheck.h). */
#include "linkcheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "i18n.h"
#include "paths.h"
#include "proto.h"
#include "words.h"

/* What the server showed when its identity was not established by trust or pin. */
struct probe {
	bool asked;
	struct cl_http_peer peer;
	char host[CL_LINK_HOST_MAX + 1];
};

/* Answer "this run only" so the public configuration can be read: nothing secret is ever sent by --check,
 * and nothing is remembered (no remember_file). The report says the person would be asked. */
static enum cl_http_answer probe_ask(void *data, const struct cl_http_peer *peer)
{
	struct probe *p = data;

	p->asked = true;
	p->peer = *peer;
	snprintf(p->host, sizeof(p->host), "%s", peer->host ? peer->host : "");
	p->peer.host = p->host;
	return CL_HTTP_ANSWER_ONCE;
}

static const char *use_text(enum cl_proto_use use)
{
	return use == CL_PROTO_USE_REQUIRED ? _("required") : _("optional");
}

static void report_fields(const struct cl_link *link, const struct cl_proto_config *c)
{
	printf(_("  Service: %s (%s)\n"), c->service_name[0] ? c->service_name : "?",
	       c->server[0] ? c->server : "?");
	if (link->pwless && !c->passwordless)
		printf(_("  Problem: the link is passwordless but the server does not accept passwordless "
		         "invitations\n"));
	printf(c->auto_approve ? _("  Approval: automatic\n")
	                       : _("  Approval: by an administrator (the window waits up to %ld s)\n"),
	       c->poll_timeout);
	printf(_("The person would be asked for:\n"));
	if (link->action == CL_LINK_RENEW)
		printf(_("  - a yes to renewing the certificate, after seeing what it replaces\n"));
	else if (link->store == CL_STORE_ASK)
		printf(_("  - the store (personal or this computer)\n"));
	if (!link->pwless)
		printf(link->user[0] ? _("  - the password\n") : _("  - the user ID and password\n"));
	if (c->invitation_code.use != CL_PROTO_USE_OFF && !link->code[0])
		printf(_("  - the invitation code (%s)\n"), use_text(c->invitation_code.use));
	if (c->email.use != CL_PROTO_USE_OFF)
		printf(_("  - an e-mail address (%s)\n"), use_text(c->email.use));
	if (c->reason.use != CL_PROTO_USE_OFF)
		printf(_("  - a reason (%s)\n"), use_text(c->reason.use));
	if (c->device_note.use != CL_PROTO_USE_OFF)
		printf(_("  - %s (%s)\n"),
		       c->device_note.label[0] ? c->device_note.label : _("a device note"),
		       use_text(c->device_note.use));
}

/* Reach the server, establish (or fail to establish) its identity, read its public configuration. */
static enum cl_status probe_server(const struct cl_link *link, struct cl_error *err)
{
	char *dirs[3] = { NULL, NULL, NULL }, *known[3] = { NULL, NULL, NULL };
	struct cl_http_config cfg;
	struct cl_proto_config config;
	struct probe probe;
	struct cl_http *http;
	unsigned char fp[32];
	char fptext[CL_FP_TEXT_SIZE];
	bool has_ca = false;
	enum cl_status st;

	memset(&cfg, 0, sizeof(cfg));
	memset(&probe, 0, sizeof(probe));
	dirs[0] = cl_paths_anchors_dir(CL_STORE_USER, NULL);
	dirs[1] = cl_paths_anchors_dir(CL_STORE_COMPUTER, NULL);
	known[0] = cl_paths_known_servers_file(CL_STORE_USER, NULL);
	known[1] = cl_paths_known_servers_file(CL_STORE_COMPUTER, NULL);
	if (!dirs[0]) {
		dirs[0] = dirs[1];
		dirs[1] = NULL;
	}
	if (!known[0]) {
		known[0] = known[1];
		known[1] = NULL;
	}
	cfg.host = link->host;
	cfg.port = link->port;
	cfg.have_pin = link->has_ca_fp;
	memcpy(cfg.pin, link->ca_fp, sizeof(cfg.pin));
	cfg.anchor_dirs = (const char *const *)dirs;
	cfg.known_servers = (const char *const *)known;
	cfg.system_ca_file = getenv("CERTLINK_SYSTEM_CA_FILE");
	cfg.ask = probe_ask;
	cfg.ask_data = &probe;
	cfg.opts.max_attempts = 2;
	http = cl_http_new(&cfg, err);
	st = http ? cl_http_establish(http, err) : (err->status ? err->status : CL_E_LOCAL);
	if (st == CL_OK) {
		switch (cl_http_trust_source(http, fp, &has_ca)) {
		case CL_HTTP_TRUST_SYSTEM:
			printf(_("  Identity: trusted (system trust or a trust anchor you agreed to)\n"));
			break;
		case CL_HTTP_TRUST_REMEMBERED:
			cl_fp_format(fp, fptext);
			printf(_("  Identity: the CA remembered for this server and port matches (%s)\n"),
			       fptext);
			break;
		case CL_HTTP_TRUST_PIN:
			cl_fp_format(fp, fptext);
			printf(_("  Identity: the link's pinned CA matches (%s)\n"), fptext);
			break;
		default:
			printf(_("  Identity: NOT established: the person would be asked to trust\n"
			         "    CA %s\n    issued by %s\n    SHA-256 %s\n"),
			       probe.peer.subject, probe.peer.issuer, probe.peer.sha256);
			break;
		}
		st = cl_proto_get_config(http, &config, err);
		if (st == CL_OK)
			report_fields(link, &config);
	}
	cl_http_free(http);
	free(dirs[0]);
	free(dirs[1]);
	free(known[0]);
	free(known[1]);
	return st;
}

int handler_linkcheck_run(const struct cl_link *link)
{
	struct cl_error err;
	enum cl_status st;

	printf(_("Link: valid certlink %s link\n"), link->action == CL_LINK_RENEW ? "renew" : "enroll");
	printf(_("  Server: %s, port %u%s\n"), link->host, link->port,
	       link->host_is_ip ? _(" (IP address)") : "");
	if (link->name[0])
		printf(_("  Service name: %s\n"), link->name);
	if (link->action == CL_LINK_RENEW)
		printf(_("  Store: the one the certificate with serial %s is installed in (it must have been "
		         "issued through this server)\n"),
		       link->serial);
	else if (link->store == CL_STORE_ASK)
		printf(_("  Store: not named, the person is asked\n"));
	else
		printf(_("  Store: %s\n"), link->store == CL_STORE_COMPUTER ? "computer" : "user");
	printf(link->pwless ? _("  Sign-in: passwordless (one-time token)\n")
	                    : _("  Sign-in: the person is asked for a password\n"));
	if (link->user[0])
		printf(_("  User ID: %s\n"), link->user);
	else
		printf(_("  User ID: not named, the person is asked\n"));
	if (link->code[0])
		printf(_("  Invitation code: in the link\n"));
	if (link->has_ca_fp) {
		char fp[CL_FP_TEXT_SIZE];

		cl_fp_format(link->ca_fp, fp);
		printf(_("  Server pinned to the CA with SHA-256 %s\n"), fp);
	} else {
		printf(
		    _("  Server not pinned: system trust, a trust anchor you agreed to or a server you told "
		      "certlink to remember, else the person is asked\n"));
	}
	for (size_t i = 0; i < link->n_unknown; i++)
		printf(_("  Ignored unknown parameter: %s\n"), link->unknown[i]);

	printf(_("Server: https://%s%s%s:%u/\n"), strchr(link->host, ':') ? "[" : "", link->host,
	       strchr(link->host, ':') ? "]" : "", link->port);
	cl_error_clear(&err);
	st = probe_server(link, &err);
	if (st != CL_OK) {
		struct cl_advice a = cl_words_advice(&err);

		printf(_("  Problem: %s\n  %s\n"), err.msg, a.title);
		return cl_status_exit_code(st);
	}
	printf(_("Nothing was enrolled and no credential was sent.\n"));
	return 0;
}
