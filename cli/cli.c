/* certlink command line: messages and small helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

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
