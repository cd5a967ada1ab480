/* certlink core: the selection rule of session.c, pure, for tests. */
#ifndef CL_SESSION_PRIVATE_H
#define CL_SESSION_PRIVATE_H

#include "session.h"

/* One USER_PROCESS entry of utmp. */
struct cl_session_login {
	char user[CL_SESSION_NAME_MAX];
	char line[40];
	char host[64];
};

/* Does LOGIN look like a graphical login (an X display ":N" as line or host, or a seat "seatN")? */
bool cl_session_login_graphical(const struct cl_session_login *login);

/* Apply the rule of session.h to CANDS (accounts with a session bus; graphical is filled in here from
 * LOGINS) and move the chosen ones to the front of CANDS, in their order. Returns how many (at most MAX). */
size_t cl_session_select(struct cl_session *cands, size_t n, const struct cl_session_login *logins,
                         size_t n_logins, size_t max);

#endif
