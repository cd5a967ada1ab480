/* certlink command line: register-scheme, unregister-scheme and scheme-status, the front end of
 * registry/ (docs/desktop-integration.md). */
#include "cli.h"
#include "registry.h"
#include "status.h"

#include <cJSON.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CERTLINK_BINDIR
#define CERTLINK_BINDIR "/usr/local/bin"
#endif

static void print_notes(const struct clr_notes *notes)
{
	for (int i = 0; i < notes->count; i++)
		cli_note("%s", notes->text[i]);
}

/* certlink-handler next to this certlink (a build tree or an unpacked tarball), else where it installs. */
static int default_handler(char *out, size_t size)
{
	char self[PATH_MAX];
	char *slash;

	if (cli_self_path(self, sizeof(self)) == 0 && (slash = strrchr(self, '/'))) {
		*slash = '\0';
		if (snprintf(out, size, "%s/certlink-handler", self) < (int)size && access(out, X_OK) == 0)
			return 0;
	}
	if (snprintf(out, size, "%s/certlink-handler", CERTLINK_BINDIR) >= (int)size || access(out, X_OK) < 0)
		return -1;
	return 0;
}

static const char unregister_help[] =
    N_("Usage: certlink unregister-scheme [--system]\n"
       "\n"
       "Remove what register-scheme installed, and the default association of\n"
       "certlink:// links when it names certlink-handler. Files certlink did not\n"
       "write are left alone.\n"
       "\n"
       "  --system        for every user (needs root); without it, for you only\n"
       "  -h, --help      show this help\n");

static const char status_help[] =
    N_("Usage: certlink scheme-status [--json]\n"
       "\n"
       "Show whether certlink:// links reach certlink-handler: the handler entries of\n"
       "you and of every user, the default xdg-mime reports, the handler program, and\n"
       "the expiry check files.\n"
       "\n"
       "  --json          print the report as JSON\n"
       "  -h, --help      show this help\n");

enum { OPT_SYSTEM = 1, OPT_HANDLER, OPT_JSON };

/* getopt_long over a subcommand's argv; returns the option, -1 at the end, '?' after reporting an error. */
static int next_option(int argc, char **argv, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, "+:h", longopts, NULL);
	if (c == ':') {
		cli_usage_error(argv[0], _("option \"%s\" needs a value"), argv[optind - 1]);
		return '?';
	}
	if (c == '?') {
		if (optopt > ' ' && optopt < 0x7f)
			cli_usage_error(argv[0], _("unknown option \"-%c\""), optopt);
		else
			cli_usage_error(argv[0], _("unknown option \"%s\""), argv[optind - 1]);
	}
	return c;
}

int cli_cmd_register_scheme(int argc, char **argv)
{
	static const struct option longopts[] = { { "system", no_argument, NULL, OPT_SYSTEM },
		                                  { "handler", required_argument, NULL, OPT_HANDLER },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct clr_register_options opt = { .scope = CLR_SCOPE_USER };
	char handler[PATH_MAX], self[PATH_MAX];
	const char *handler_arg = NULL;
	struct clr_notes notes = { 0 };
	struct cl_error err;
	int c;

	optind = 0;
	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_SYSTEM:
			opt.scope = CLR_SCOPE_SYSTEM;
			break;
		case OPT_HANDLER:
			handler_arg = optarg;
			break;
		case 'h':
			printf(_("Usage: certlink register-scheme [--system] [--handler PATH]\n"
			         "\n"
			         "Make certlink-handler the program that opens certlink:// links, and "
			         "install the\n"
			         "daily certificate expiry check (an autostart entry and a systemd user "
			         "timer).\n"
			         "\n"
			         "  --system        for every user (needs root); without it, for you only\n"
			         "  --handler PATH  the certlink-handler to run (default: the one next to "
			         "certlink,\n"
			         "                  else %s/certlink-handler)\n"
			         "  -h, --help      show this help\n"),
			       CERTLINK_BINDIR);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], _("unexpected argument \"%s\""), argv[optind]);

	if (handler_arg) {
		/* A relative --handler is resolved now: the .desktop file needs an absolute path. */
		if (handler_arg[0] == '/') {
			if (snprintf(handler, sizeof(handler), "%s", handler_arg) >= (int)sizeof(handler))
				return cli_usage_error(argv[0], _("--handler path is too long"));
		} else if (!realpath(handler_arg, handler)) {
			cli_error(_("handler %s: not found"), handler_arg);
			return CLI_EXIT_USAGE;
		}
	} else if (default_handler(handler, sizeof(handler)) < 0) {
		cli_error(
		    _("cannot find certlink-handler next to this certlink or in %s; pass --handler PATH"),
		    CERTLINK_BINDIR);
		return CLI_EXIT_USAGE;
	}
	if (cli_self_path(self, sizeof(self)) < 0) {
		cli_error(_("cannot find the path of this certlink program (/proc/self/exe)"));
		return CLI_EXIT_USAGE;
	}
	opt.handler_path = handler;
	opt.certlink_path = self;

	cl_error_clear(&err);
	if (clr_register(&opt, &notes, &err) != CL_OK) {
		print_notes(&notes);
		return cli_fail(&err);
	}
	print_notes(&notes);
	if (notes.by_package)
		return CLI_EXIT_OK; /* the note says the package registered it and nothing was written */
	cli_info(opt.scope == CLR_SCOPE_SYSTEM ? _("certlink:// links now open with %s for every user.")
	                                       : _("certlink:// links now open with %s for this user."),
	         handler);
	return CLI_EXIT_OK;
}

int cli_cmd_unregister_scheme(int argc, char **argv)
{
	static const struct option longopts[] = { { "system", no_argument, NULL, OPT_SYSTEM },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	enum clr_scope scope = CLR_SCOPE_USER;
	struct clr_notes notes = { 0 };
	struct cl_error err;
	int c;

	optind = 0;
	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_SYSTEM:
			scope = CLR_SCOPE_SYSTEM;
			break;
		case 'h':
			fputs(_(unregister_help), stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], _("unexpected argument \"%s\""), argv[optind]);

	cl_error_clear(&err);
	if (clr_unregister(scope, &notes, &err) != CL_OK) {
		print_notes(&notes);
		return cli_fail(&err);
	}
	print_notes(&notes);
	return CLI_EXIT_OK;
}

static const char *yes_no(int v)
{
	return v ? _("yes") : _("no");
}

static void print_file(const char *label, const struct clr_file_status *f)
{
	printf("  %-22s %s: %s", label, f->path,
	       !f->present  ? _("absent")
	       : f->package ? _("present, installed by the certlink-desktop package")
	       : f->ours    ? _("present")
	                    : _("present, not written by certlink"));
	putchar('\n');
}

static void print_scope(const char *title, const struct clr_scope_status *s)
{
	printf("%s\n", title);
	if (s->error[0]) {
		printf("  %s\n", s->error);
		return;
	}
	print_file(_("handler entry"), &s->desktop);
	if (s->desktop.present)
		printf("  %-22s %s (%s)\n", _("handler program"),
		       s->exec_path[0] ? s->exec_path : _("unreadable"),
		       !s->exec_exists      ? _("missing")
		       : s->exec_executable ? _("executable")
		                            : _("not executable"));
	if (s->mimeapps_default[0])
		printf("  %-22s %s (%s)\n", _("mimeapps.list default"), s->mimeapps_default,
		       s->mimeapps_file);
	else
		printf("  %-22s %s\n", _("mimeapps.list default"), _("none"));
	print_file(_("login check"), &s->autostart);
	print_file(_("daily check service"), &s->service);
	print_file(_("daily check timer"), &s->timer);
	printf("  %-22s %s\n", _("timer enabled"), yes_no(s->timer_enabled));
}

static cJSON *json_file(const struct clr_file_status *f)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "path", f->path);
	cJSON_AddBoolToObject(o, "present", f->present);
	cJSON_AddBoolToObject(o, "ours", f->ours);
	cJSON_AddBoolToObject(o, "package", f->package);
	return o;
}

static cJSON *json_scope(const struct clr_scope_status *s)
{
	cJSON *o = cJSON_CreateObject(), *exec;

	if (s->error[0]) {
		cJSON_AddStringToObject(o, "error", s->error);
		return o;
	}
	cJSON_AddItemToObject(o, "desktop_file", json_file(&s->desktop));
	exec = cJSON_AddObjectToObject(o, "exec");
	if (s->exec_path[0])
		cJSON_AddStringToObject(exec, "path", s->exec_path);
	else
		cJSON_AddNullToObject(exec, "path");
	cJSON_AddBoolToObject(exec, "exists", s->exec_exists);
	cJSON_AddBoolToObject(exec, "executable", s->exec_executable);
	if (s->mimeapps_default[0]) {
		cJSON_AddStringToObject(o, "mimeapps_default", s->mimeapps_default);
		cJSON_AddStringToObject(o, "mimeapps_file", s->mimeapps_file);
	} else {
		cJSON_AddNullToObject(o, "mimeapps_default");
		cJSON_AddNullToObject(o, "mimeapps_file");
	}
	cJSON_AddBoolToObject(o, "package", s->packaged);
	cJSON_AddItemToObject(o, "autostart_file", json_file(&s->autostart));
	cJSON_AddItemToObject(o, "service_file", json_file(&s->service));
	cJSON_AddItemToObject(o, "timer_file", json_file(&s->timer));
	cJSON_AddBoolToObject(o, "timer_enabled", s->timer_enabled);
	return o;
}

static int print_json(const struct clr_status *st)
{
	cJSON *root = cJSON_CreateObject(), *xdg;
	char *text;

	cJSON_AddBoolToObject(root, "registered", st->registered);
	xdg = cJSON_AddObjectToObject(root, "xdg_mime");
	cJSON_AddBoolToObject(xdg, "available", st->xdg_mime_found);
	if (st->xdg_mime_default[0])
		cJSON_AddStringToObject(xdg, "default", st->xdg_mime_default);
	else
		cJSON_AddNullToObject(xdg, "default");
	cJSON_AddBoolToObject(xdg, "ours", st->default_is_ours);
	cJSON_AddItemToObject(root, "user", json_scope(&st->user));
	cJSON_AddItemToObject(root, "system", json_scope(&st->system));
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		cli_error(_("out of memory"));
		return cl_status_exit_code(CL_E_LOCAL);
	}
	puts(text);
	cJSON_free(text);
	return CLI_EXIT_OK;
}

int cli_cmd_scheme_status(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct clr_status *st;
	struct cl_error err;
	int c, json = 0, rc;

	optind = 0;
	while ((c = next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = 1;
			break;
		case 'h':
			fputs(_(status_help), stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error(argv[0], _("unexpected argument \"%s\""), argv[optind]);

	/* The report holds a dozen paths: too big for comfort on the stack. */
	st = calloc(1, sizeof(*st));
	if (!st) {
		cli_error(_("out of memory"));
		return cl_status_exit_code(CL_E_LOCAL);
	}
	cl_error_clear(&err);
	if (clr_status_query(st, &err) != CL_OK) {
		free(st);
		return cli_fail(&err);
	}
	if (json) {
		rc = print_json(st);
	} else {
		printf(_("certlink:// links: %s\n"), st->registered ? _("open with certlink-handler")
		                                                    : _("not handled by certlink-handler"));
		printf("  %-22s %s\n", _("xdg-mime default"),
		       !st->xdg_mime_found       ? _("xdg-mime is not installed")
		       : st->xdg_mime_default[0] ? st->xdg_mime_default
		                                 : _("none"));
		print_scope(_("This user:"), &st->user);
		print_scope(_("All users:"), &st->system);
		rc = CLI_EXIT_OK;
	}
	free(st);
	return rc;
}
