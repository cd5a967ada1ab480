/* certlink command line: messages and small helpers shared by the subcommands (see cli.h). */
#include "cli.h"

#include "store.h"

#include <errno.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
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

int cli_next_option(int argc, char **argv, const struct option *longopts)
{
	int c;

	opterr = 0;
	c = getopt_long(argc, argv, ":h", longopts, NULL); /* options may follow the ID */
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

bool cli_stores_parse(const char *text, bool allow_all, enum cli_stores *out)
{
	if (strcmp(text, "user") == 0)
		*out = CLI_STORES_USER;
	else if (strcmp(text, "computer") == 0)
		*out = CLI_STORES_COMPUTER;
	else if (allow_all && strcmp(text, "all") == 0)
		*out = CLI_STORES_ALL;
	else
		return false;
	return true;
}

bool cli_stores_has(enum cli_stores stores, enum cl_store_kind kind)
{
	return stores == CLI_STORES_ALL || (stores == CLI_STORES_USER && kind == CL_STORE_USER) ||
	       (stores == CLI_STORES_COMPUTER && kind == CL_STORE_COMPUTER);
}

const char *cli_time_text(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || !gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(out, 32, "-");
	return out;
}

int cli_parse_number(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int cli_check_store(enum cl_store_kind kind)
{
	struct cl_error err;

	if (kind != CL_STORE_COMPUTER || cl_store_check_allowed(kind, &err) == CL_OK)
		return 0;
	return cli_fail(&err);
}
