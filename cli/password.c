/* certlink command line: where a password comes from (see cli.h). The password is read into a fixed buffer
 * that the command wipes with cli_password_clear(); it is never put on a command line or in the environment
 * of a child process, and a value longer than the protocol's 256 characters is refused, not cut short. */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define PASSWORD_MAX CLI_PASSWORD_MAX

bool cli_password_option(struct cli_password *pw, int c, const char *arg)
{
	switch (c) {
	case CLI_OPT_PASSWORD_FILE:
		pw->file = arg;
		break;
	case CLI_OPT_PASSWORD_STDIN:
		pw->from_stdin = true;
		break;
	case CLI_OPT_PASSWORD_ENV:
		pw->env = arg;
		break;
	case CLI_OPT_PASSWORD:
		pw->arg = arg;
		break;
	default:
		return false;
	}
	pw->sources++;
	return true;
}

/* The first line of FP, without its line end. -1 when there is none or it is longer than the limit. */
static int read_line(FILE *fp, char *out, size_t size)
{
	size_t n;

	setvbuf(fp, NULL, _IONBF, 0); /* no copy of the password left in a stdio buffer */
	if (!fgets(out, (int)size, fp))
		return -1;
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	if (n > PASSWORD_MAX)
		return -1;
	return 0;
}

static int copy_text(struct cli_password *pw, const char *text)
{
	size_t n = strlen(text);

	if (n > PASSWORD_MAX)
		return -1;
	memcpy(pw->buf, text, n + 1);
	return 0;
}

int cli_password_load(struct cli_password *pw, const char *cmd, const char **out)
{
	const char *env;
	FILE *fp;
	int r;

	*out = NULL;
	if (pw->sources > 1)
		return cli_usage_error(cmd, _("give the password in one way only (--password-file, "
		                              "--password-stdin, --password-env or --password)"));
	if (pw->file) {
		fp = fopen(pw->file, "re");
		if (!fp)
			return cli_usage_error(cmd, _("cannot open the password file %s"), pw->file);
		r = read_line(fp, pw->buf, sizeof(pw->buf));
		fclose(fp);
	} else if (pw->from_stdin) {
		r = read_line(stdin, pw->buf, sizeof(pw->buf));
	} else if (pw->env) {
		env = getenv(pw->env);
		if (!env)
			return cli_usage_error(cmd, _("environment variable %s is not set"), pw->env);
		r = copy_text(pw, env);
	} else if (pw->arg) {
		cli_note(_("a password on the command line can be read by other users; use --password-file"));
		r = copy_text(pw, pw->arg);
	} else if ((env = getenv("CERTLINK_PASSWORD"))) {
		r = copy_text(pw, env);
	} else {
		return 0;
	}
	if (r < 0 || pw->buf[0] == '\0') {
		cli_password_clear(pw);
		return cli_usage_error(cmd, _("no password could be read (1-%d characters)"), PASSWORD_MAX);
	}
	*out = pw->buf;
	return 0;
}

int cli_password_load_protected(struct cli_password *pw, const char *cmd, const char *path, const char **out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	FILE *fp;
	int r;

	*out = NULL;
	if (fd < 0) {
		cli_error(_("cannot open the password file %s: %s"), path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	/* Whoever can change or read the file holds the password of the computer's certificates. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077)) {
		close(fd);
		cli_error(_("the password file %s must be a regular file owned by this account (root) and "
		            "readable by nobody else (chmod 600)"),
		          path);
		return CLI_EXIT_USAGE;
	}
	fp = fdopen(fd, "r");
	if (!fp) {
		close(fd);
		cli_error(_("cannot open the password file %s: %s"), path, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	r = read_line(fp, pw->buf, sizeof(pw->buf));
	fclose(fp);
	if (r < 0 || pw->buf[0] == '\0') {
		cli_password_clear(pw);
		return cli_usage_error(cmd, _("no password could be read (1-%d characters)"), PASSWORD_MAX);
	}
	*out = pw->buf;
	return 0;
}

void cli_password_clear(struct cli_password *pw)
{
	OPENSSL_cleanse(pw->buf, sizeof(pw->buf));
}
