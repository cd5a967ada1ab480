/* certlink command line: messages and small helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifndef CERTLINK_LOCALEDIR
#define CERTLINK_LOCALEDIR "/usr/local/share/locale"
#endif

void cli_i18n_init(void)
{
	const char *dir = getenv("CERTLINK_LOCALEDIR");

	setlocale(LC_ALL, "");
	bindtextdomain(GETTEXT_PACKAGE, dir && dir[0] == '/' ? dir : CERTLINK_LOCALEDIR);
	bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
}

/* The same English words as cl_stage_name(), marked here so they reach the catalogue. */
static const char *const stage_names[] = {
	[CL_STAGE_CHECK_LINK] = N_("Checking the link"),
	[CL_STAGE_CONNECT] = N_("Connecting"),
	[CL_STAGE_APPLY] = N_("Applying"),
	[CL_STAGE_WAIT_APPROVAL] = N_("Waiting for approval"),
	[CL_STAGE_ACTIVATE] = N_("Activating"),
	[CL_STAGE_INSTALL] = N_("Installing"),
	[CL_STAGE_DONE] = N_("Done"),
};

const char *cli_stage_name(enum cl_stage stage)
{
	if ((unsigned)stage < sizeof(stage_names) / sizeof(stage_names[0]) && stage_names[stage])
		return _(stage_names[stage]);
	return cl_stage_name(stage);
}

static void vmessage(const char *prefix, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vmessage(const char *prefix, const char *fmt, va_list ap)
{
	fputs("certlink: ", stderr);
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
}

void cli_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(_("note: "), fmt, ap);
	va_end(ap);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage("", fmt, ap);
	va_end(ap);
	fprintf(stderr, _("Try 'certlink %s --help'.\n"), cmd);
	return CLI_EXIT_USAGE;
}

int cli_fail(const struct cl_error *err)
{
	cli_error("%s", err->msg[0] ? err->msg : _("failed without a message (a bug)"));
	return cl_status_exit_code(err->status);
}

int cli_self_path(char *out, size_t size)
{
	ssize_t n = readlink("/proc/self/exe", out, size - 1);

	if (n <= 0 || (size_t)n >= size - 1 || out[0] != '/')
		return -1;
	out[n] = '\0';
	return 0;
}
