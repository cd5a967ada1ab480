/* certlink-handler: questions on the controlling terminal.
 *
 * Prompts go to /dev/tty, never to stdin/stdout, so a handler whose standard streams are redirected (a
 * desktop launcher, a pipe) still asks the person at the keyboard, and a password never lands in a log.
 * Reads are interrupted by a signal (SIGINT) so Ctrl-C cancels a question.
 */
#ifndef HANDLER_TTY_H
#define HANDLER_TTY_H

#include <stdbool.h>
#include <stddef.h>

#include "cancel.h"
#include "error.h"

struct handler_tty {
	int fd; /* -1 when closed */
};

/* Open /dev/tty. Returns false (fd -1) when the process has no controlling terminal. */
bool handler_tty_open(struct handler_tty *tty);
void handler_tty_close(struct handler_tty *tty);

/* printf to the terminal. */
void handler_tty_printf(struct handler_tty *tty, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Print prompt, read one line into buf (without the newline). With echo false the typed characters are not
 * shown (password). A line that does not fit is refused and asked again. Returns CL_OK, or CL_E_CANCELLED on
 * end of input, Ctrl-C or a set cancel token. buf is wiped on failure. */
enum cl_status handler_tty_read_line(struct handler_tty *tty, const char *prompt, char *buf, size_t size,
                                     bool echo, const struct cl_cancel *cancel);

#endif
