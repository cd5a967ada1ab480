/* certlink command line: `certlink enroll`, zero-touch enrollment for administrators' scripts.
 *
 * Runs the core flow (core/enroll.h) without ever asking: everything comes from options, a password file,
 * standard input or an environment variable. Runs with the rights of whoever starts it and never asks for
 * elevation. Exit codes are those of docs/cli.md (0, 100, 110, 120, 200, 300, 1000).
 */
#include "cli.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "enroll.h"
#include "fingerprint.h"
#include "link.h"

struct enroll_args {
	struct cl_enroll_opts opts;
	struct cl_link link;
	const char *host;
	int port;
	struct cli_password password;
	const char *ca;
	unsigned random_delay;
	struct cli_install_ca install_ca;
};

static void usage(FILE *out)
{
	fputs(
	    _("Usage: certlink enroll --host HOST [OPTIONS]\n"
	      "       certlink enroll --link 'certlink://...' [OPTIONS]\n"
	      "\n"
	      "Zero-touch enrollment: apply, wait for approval, activate, install. Never asks.\n"
	      "\n"
	      "  --host HOST             enrollment server\n"
	      "  --port PORT             its HTTPS port (default 443)\n"
	      "  --link LINK             take server, user, store and pinned CA from an invitation link\n"
	      "  --ca-fingerprint SHA256 trust the server whose CA has this SHA-256 fingerprint\n"
	      "                          (for this enrollment only: it does not install the CA)\n"
	      "  --install-ca SHA256     install the server's CA with exactly this SHA-256 as a trust\n"
	      "                          anchor (repeatable); without it no CA becomes trusted\n"
	      "  --user USER             user ID at the server (default: the link's, else the login user)\n"),
	    out);
	fputs(_(CLI_PASSWORD_HELP), out);
	fputs(_("  --store user|computer   where the certificate goes (default user; computer needs root)\n"
	        "  --force-new             enroll a new certificate even when a valid one exists\n"
	        "  --renew                 renew the existing certificate now, even before the window\n"
	        "  --cn-override           CN = computer name (computer store) or login user (user store)\n"
	        "  --reuse-key             renew with the existing key\n"
	        "  --code CODE             invitation code\n"
	        "  --email ADDRESS         e-mail address (at most 128 characters)\n"
	        "  --reason TEXT           reason for the application\n"
	        "  --device-note TEXT      device note\n"
	        "  --approval-timeout SEC  how long to wait for approval (default: the server's)\n"
	        "  --random-delay SEC      wait a random 0..SEC seconds first, to spread a fleet\n"),
	      out);
	fputs(_(CLI_NO_NETWORK_HELP), out);
	fputs(_(CLI_RESULT_HELP), out);
	fputs(_(CLI_NET_HELP), out);
	fputs(_("  -h, --help              show this help\n"
	        "\n"
	        "Exit status (the shell's $? in brackets): 0 success, 100 local failure or bad\n"
	        "arguments, 110 renewal not due, 120 cancelled, 200 server unreachable or not\n"
	        "trusted, 300 [44] server refused or approval outstanding, 1000 [232] unexpected.\n"
	        "The result file has the full code (docs/cli.md).\n"),
	      out);
}

enum {
	OPT_HOST = 256,
	OPT_PORT,
	OPT_LINK,
	OPT_CA,
	OPT_USER,
	OPT_STORE,
	OPT_FORCE,
	OPT_RENEW,
	OPT_CN,
	OPT_REUSE,
	OPT_CODE,
	OPT_EMAIL,
	OPT_REASON,
	OPT_NOTE,
	OPT_APPROVAL,
	OPT_DELAY,
	OPT_INSTALL_CA,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "host", required_argument, NULL, OPT_HOST },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "ca-fingerprint", required_argument, NULL, OPT_CA },
	{ "user", required_argument, NULL, OPT_USER },
	CLI_PASSWORD_OPTIONS,
	{ "store", required_argument, NULL, OPT_STORE },
	{ "force-new", no_argument, NULL, OPT_FORCE },
	{ "renew", no_argument, NULL, OPT_RENEW },
	{ "cn-override", no_argument, NULL, OPT_CN },
	{ "reuse-key", no_argument, NULL, OPT_REUSE },
	{ "code", required_argument, NULL, OPT_CODE },
	{ "email", required_argument, NULL, OPT_EMAIL },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "device-note", required_argument, NULL, OPT_NOTE },
	{ "approval-timeout", required_argument, NULL, OPT_APPROVAL },
	{ "random-delay", required_argument, NULL, OPT_DELAY },
	CLI_RESULT_OPTIONS,
	{ "install-ca", required_argument, NULL, OPT_INSTALL_CA },
	CLI_NO_NETWORK_OPTION,
	CLI_NET_OPTIONS,
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_option(struct enroll_args *a, int c, const char *arg)
{
	struct cl_enroll_opts *o = &a->opts;
	struct cl_error err;
	long n;
	int r;

	switch (c) {
	case OPT_HOST:
		a->host = arg;
		break;
	case OPT_PORT:
		if (cli_parse_number(arg, 1, 65535, &n))
			return cli_usage_error("enroll", _("--port must be 1-65535"));
		a->port = (int)n;
		break;
	case OPT_LINK:
		if (cl_link_parse(arg, &a->link, &err) != CL_OK)
			return cli_fail(&err);
		o->link = &a->link;
		break;
	case OPT_CA:
		a->ca = arg;
		break;
	case OPT_USER:
		o->user = arg;
		break;
	case OPT_STORE:
		if (!cl_store_kind_parse(arg, &o->store))
			return cli_usage_error("enroll", _("--store must be user or computer"));
		break;
	case OPT_FORCE:
		o->force_new = true;
		break;
	case OPT_RENEW:
		o->renew = true;
		break;
	case OPT_CN:
		o->cn_override = true;
		break;
	case OPT_REUSE:
		o->reuse_key = true;
		break;
	case OPT_CODE:
		o->code = arg;
		break;
	case OPT_EMAIL:
		if (strlen(arg) > 128)
			return cli_usage_error("enroll", _("--email is at most 128 characters"));
		o->email = arg;
		break;
	case OPT_REASON:
		o->reason = arg;
		break;
	case OPT_NOTE:
		o->device_note = arg;
		break;
	case OPT_APPROVAL:
		if (cli_parse_number(arg, 1, 86400, &n))
			return cli_usage_error("enroll", _("--approval-timeout must be 1-86400 seconds"));
		o->approval_timeout = (int)n;
		break;
	case OPT_DELAY:
		if (cli_parse_number(arg, 0, 86400, &n))
			return cli_usage_error("enroll", _("--random-delay must be 0-86400 seconds"));
		a->random_delay = (unsigned)n;
		break;
	case CLI_OPT_NO_NOTIFY:
		cli_notify_set(false);
		break;
	case OPT_INSTALL_CA:
		return cli_install_ca_option(&a->install_ca, o, "enroll", arg);
	case OPT_HELP:
	case 'h':
		usage(stdout);
		return -1;
	default:
		if (cli_password_option(&a->password, c, arg))
			break;
		if ((r = cli_net_option(o, "enroll", c, arg)) >= 0)
			return r;
		return CLI_EXIT_USAGE; /* cli_next_option() said why */
	}
	return 0;
}

/* --host/--port/--ca-fingerprint become a link, so they go through the link's validation of host names. */
static int host_to_link(struct enroll_args *a)
{
	struct cl_link *l = &a->link;
	unsigned char ip[16];
	char text[2100];
	struct cl_error err;
	size_t i;

	if (a->opts.link) {
		if (a->host || a->ca)
			return cli_usage_error(
			    "enroll", _("--link cannot be combined with --host or --ca-fingerprint"));
		return 0;
	}
	if (!a->host)
		return cli_usage_error("enroll", _("--host or --link is required"));
	memset(l, 0, sizeof(*l));
	l->action = CL_LINK_ENROLL;
	snprintf(l->host, sizeof(l->host), "%s", a->host);
	for (i = 0; l->host[i]; i++)
		l->host[i] = (char)tolower((unsigned char)l->host[i]);
	l->host_is_ip = inet_pton(AF_INET, l->host, ip) == 1 || inet_pton(AF_INET6, l->host, ip) == 1;
	l->port = (unsigned)(a->port ? a->port : 443);
	if (a->ca && !(l->has_ca_fp = cl_fp_parse(a->ca, strlen(a->ca), l->ca_fp)))
		return cli_usage_error("enroll",
		                       _("--ca-fingerprint must be a SHA-256 fingerprint (64 hex digits)"));
	if (cl_link_format(l, text, sizeof(text), &err) != CL_OK || cl_link_parse(text, l, &err) != CL_OK) {
		cl_error_prefix(&err, "--host");
		return cli_fail(&err);
	}
	a->opts.link = l;
	return 0;
}

static void spread(unsigned max)
{
	unsigned r = 0;

	if (!max)
		return;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	cl_cancel_sleep(cli_run_cancel_token(), (unsigned long)(r % (max + 1)) * 1000);
}

static int run(struct enroll_args *a)
{
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status st;

	cl_error_clear(&err);
	memset(&result, 0, sizeof(result));
	spread(a->random_delay);
	/* a script runs the same command at every login: it enrolls once, then renews when due (docs/cli.md)
	 */
	a->opts.renewal_rule = true;
	st = cl_enroll_run(&a->opts, &result, &err);
	return cli_run_finish(&result, st, &err);
}

int cli_cmd_enroll(int argc, char **argv)
{
	struct enroll_args a;
	int c, r;

	memset(&a, 0, sizeof(a));
	cli_run_init(&a.opts); /* store: the link's, else user; zero-touch runs never ask */
	optind = 0;
	while ((c = cli_next_option(argc, argv, long_opts)) != -1)
		if ((r = parse_option(&a, c, optarg)) != 0)
			return r < 0 ? 0 : r;
	if (optind < argc)
		return cli_usage_error("enroll", _("unexpected argument \"%s\""), argv[optind]);
	r = host_to_link(&a);
	if (r == 0)
		r = cli_check_store(a.opts.store != CL_STORE_ASK ? a.opts.store : a.opts.link->store);
	if (r == 0)
		r = cli_password_load(&a.password, "enroll", &a.opts.password);
	if (r == 0)
		r = run(&a);
	cli_password_clear(&a.password);
	cl_link_clear(&a.link);
	return r;
}
