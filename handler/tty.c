/* certlink-handler: questions on the controlling terminal (see tty.h). */
#include "tty.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "i18n.h"

bool handler_tty_open(struct handler_tty *tty)
{
	tty->fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	return tty->fd >= 0;
}

void handler_tty_close(struct handler_tty *tty)
{
	if (tty->fd >= 0)
		close(tty->fd);
	tty->fd = -1;
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

void handler_tty_printf(struct handler_tty *tty, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	write_all(tty->fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Read up to the newline. Returns 1 for a line that fit, 0 for a line too long (rest discarded), -1 for end
 * of input or an interrupted read. */
static int read_raw_line(int fd, char *buf, size_t size)
{
	size_t len = 0;
	bool overflow = false;

	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);

		if (n < 0)
			return -1; /* EINTR included: a signal means "stop asking" */
		if (n == 0)
			return -1;
		if (c == '\n')
			break;
		if (len + 1 < size)
			buf[len++] = c;
		else
			overflow = true;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return overflow ? 0 : 1;
}

enum cl_status handler_tty_read_line(struct handler_tty *tty, const char *prompt, char *buf, size_t size,
                                     bool echo, const struct cl_cancel *cancel)
{
	struct termios saved, quiet;
	bool restore = false;
	int r;

	if (tty->fd < 0 || size == 0)
		return CL_E_CANCELLED;
	for (;;) {
		if (cl_cancel_requested(cancel))
			goto cancelled;
		handler_tty_printf(tty, "%s", prompt);
		if (!echo && tcgetattr(tty->fd, &saved) == 0) {
			quiet = saved;
			quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
			restore = tcsetattr(tty->fd, TCSAFLUSH, &quiet) == 0;
		}
		r = read_raw_line(tty->fd, buf, size);
		if (restore) {
			tcsetattr(tty->fd, TCSAFLUSH, &saved);
			restore = false;
			handler_tty_printf(tty, "\n");
		}
		if (r < 0 || cl_cancel_requested(cancel))
			goto cancelled;
		if (r == 1)
			return CL_OK;
		explicit_bzero(buf, size);
		handler_tty_printf(tty, _("That is too long (at most %zu characters). Please try again.\n"),
		                   size - 1);
	}
cancelled:
	explicit_bzero(buf, size);
	handler_tty_printf(tty, "\n");
	return CL_E_CANCELLED;
}
