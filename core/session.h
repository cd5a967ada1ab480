/* certlink core: the desktop sessions on this computer, so a zero-touch run can tell a person its result.
 *
 * logind (sd-login, loginctl) is not something core may depend on, so the sessions are found the way any
 * libc program can: the systemd user instance of every logged-in account keeps its session bus at
 * /run/user/UID/bus, and the utmp database says who is logged in and where (an X display such as ":0" is a
 * graphical login). A run by an account other than root tells that account only, on its own session bus.
 * A run by root (a startup script, SSH) tells the people logged in at the computer, chosen by this rule:
 *
 *   1. accounts with a graphical login in utmp (line or host ":N", or line "seatN") and a session bus;
 *   2. else accounts logged in according to utmp (uid 1000 or more) with a session bus;
 *   3. else accounts with a session bus (uid 1000 or more): desktops that write no utmp entry.
 *
 * root itself is never a target; at most CL_SESSION_MAX are returned. Nothing here sends anything: the
 * command line runs certlink-notify as each target, with that account's rights (docs/cli.md).
 */
#ifndef CL_SESSION_H
#define CL_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "error.h"

#define CL_SESSION_MAX      8
#define CL_SESSION_UID_MIN  1000 /* accounts below are system accounts (Debian's UID_MIN) */
#define CL_SESSION_NAME_MAX 64

struct cl_session {
	uid_t uid;
	gid_t gid;
	char user[CL_SESSION_NAME_MAX];
	char home[512];
	char runtime_dir[512]; /* RUN_USER_DIR/UID, or "" when not known (a non-root run with its own bus) */
	char bus[640];         /* a D-Bus address: "unix:path=RUN_USER_DIR/UID/bus", or the run's own */
	bool graphical;        /* utmp shows a graphical login */
};

/* Who to tell, into OUT (at most MAX), *N how many (0: nobody, which is not an error). A process that is not
 * root: itself, on DBUS_SESSION_BUS_ADDRESS, else its RUN_USER_DIR/UID/bus. Root: the rule above. Only a
 * directory RUN_USER_DIR/UID and a socket in it that belong to UID count (lstat, no symbolic links). */
enum cl_status cl_session_find(struct cl_session *out, size_t max, size_t *n, struct cl_error *err);

#endif
