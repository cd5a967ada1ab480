/* certlink core: the desktop sessions on this computer (see session.h). */
#include "session-private.h"

#include <ctype.h>
#include <dirent.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utmpx.h>

#include "paths.h"

#define LOGINS_MAX     256 /* utmp entries looked at */
#define CANDIDATES_MAX 64  /* accounts with a session bus looked at */

bool cl_session_login_graphical(const struct cl_session_login *login)
{
	return login->line[0] == ':' || login->host[0] == ':' ||
	       (strncmp(login->line, "seat", 4) == 0 && isdigit((unsigned char)login->line[4]));
}

/* 3: graphical login; 2: logged in (a normal account); 1: a normal account with a bus; 0: not a target. */
static int tier(struct cl_session *c, const struct cl_session_login *logins, size_t n_logins)
{
	bool logged_in = false;

	c->graphical = false;
	for (size_t i = 0; i < n_logins; i++) {
		if (strcmp(logins[i].user, c->user) != 0)
			continue;
		logged_in = true;
		c->graphical |= cl_session_login_graphical(&logins[i]);
	}
	if (c->uid == 0)
		return 0;
	if (c->graphical)
		return 3;
	if (c->uid < CL_SESSION_UID_MIN)
		return 0;
	return logged_in ? 2 : 1;
}

size_t cl_session_select(struct cl_session *cands, size_t n, const struct cl_session_login *logins,
                         size_t n_logins, size_t max)
{
	int best = 0;
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		int t = tier(&cands[i], logins, n_logins);

		if (t > best)
			best = t;
	}
	for (size_t i = 0; best > 0 && i < n && k < max; i++)
		if (tier(&cands[i], logins, n_logins) == best) {
			if (k != i)
				cands[k] = cands[i];
			k++;
		}
	return k;
}

/* utmp's USER_PROCESS entries (its fields are not always NUL-terminated). */
static size_t read_logins(const char *utmp, struct cl_session_login *out, size_t max)
{
	struct utmpx *u;
	size_t n = 0;

	if (access(utmp, R_OK) != 0 || utmpxname(utmp) != 0)
		return 0;
	setutxent();
	while (n < max && (u = getutxent()) != NULL) {
		if (u->ut_type != USER_PROCESS || !u->ut_user[0])
			continue;
		snprintf(out[n].user, sizeof(out[n].user), "%.*s",
		         (int)strnlen(u->ut_user, sizeof(u->ut_user)), u->ut_user);
		snprintf(out[n].line, sizeof(out[n].line), "%.*s",
		         (int)strnlen(u->ut_line, sizeof(u->ut_line)), u->ut_line);
		snprintf(out[n].host, sizeof(out[n].host), "%.*s",
		         (int)strnlen(u->ut_host, sizeof(u->ut_host)), u->ut_host);
		n++;
	}
	endutxent();
	return n;
}

/* "unix:path=PATH" with the bytes D-Bus addresses do not allow unescaped as %XX. */
static bool bus_address(const char *path, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = (size_t)snprintf(out, size, "unix:path=");

	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if (o + 4 >= size)
			return false;
		if (isalnum(*p) || strchr("-_/.\\*", *p)) {
			out[o++] = (char)*p;
		} else {
			out[o++] = '%';
			out[o++] = hex[*p >> 4];
			out[o++] = hex[*p & 15];
		}
	}
	out[o] = '\0';
	return true;
}

static bool account(uid_t uid, struct cl_session *c)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &found) != 0 || !found ||
	    strlen(pw.pw_name) >= sizeof(c->user) || strlen(pw.pw_dir) >= sizeof(c->home))
		return false;
	c->uid = uid;
	c->gid = pw.pw_gid;
	snprintf(c->user, sizeof(c->user), "%s", pw.pw_name);
	snprintf(c->home, sizeof(c->home), "%s", pw.pw_dir);
	return true;
}

/* UID's session bus in RUNDIR/UID/bus: the directory and the socket must be UID's own, not links. */
static bool with_bus(const char *rundir, uid_t uid, struct cl_session *c)
{
	char dir[512], sock[600];
	struct stat st;

	if ((size_t)snprintf(dir, sizeof(dir), "%s/%u", rundir, (unsigned)uid) >= sizeof(dir) ||
	    (size_t)snprintf(sock, sizeof(sock), "%s/bus", dir) >= sizeof(sock))
		return false;
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid)
		return false;
	if (lstat(sock, &st) != 0 || !S_ISSOCK(st.st_mode) || st.st_uid != uid)
		return false;
	snprintf(c->runtime_dir, sizeof(c->runtime_dir), "%s", dir);
	return bus_address(sock, c->bus, sizeof(c->bus));
}

static bool all_digits(const char *s)
{
	if (!*s || strlen(s) > 10)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Every account with a session bus under RUNDIR. */
static size_t scan_buses(const char *rundir, struct cl_session *out, size_t max)
{
	DIR *d = opendir(rundir);
	struct dirent *de;
	size_t n = 0;

	while (d && n < max && (de = readdir(d)) != NULL) {
		unsigned long uid;

		if (!all_digits(de->d_name) || (uid = strtoul(de->d_name, NULL, 10)) == 0 || uid > UINT_MAX)
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		if (with_bus(rundir, (uid_t)uid, &out[n]) && account((uid_t)uid, &out[n]))
			n++;
	}
	if (d)
		closedir(d);
	return n;
}

/* A run that is not root tells itself: on its own bus, else the one the systemd user instance keeps. */
static size_t find_self(const char *rundir, struct cl_session *out)
{
	const char *env = getenv("DBUS_SESSION_BUS_ADDRESS");
	uid_t uid = getuid();

	memset(out, 0, sizeof(*out));
	if (!account(uid, out)) {
		out->uid = uid;
		out->gid = getgid();
	}
	if (env && env[0] && strlen(env) < sizeof(out->bus)) {
		snprintf(out->bus, sizeof(out->bus), "%s", env);
		return 1;
	}
	return with_bus(rundir, uid, out) ? 1 : 0;
}

enum cl_status cl_session_find(struct cl_session *out, size_t max, size_t *n, struct cl_error *err)
{
	char *rundir = cl_paths_run_user_dir(err), *utmp = rundir ? cl_paths_utmp(err) : NULL;
	struct cl_session *cands = NULL;
	struct cl_session_login *logins = NULL;
	size_t n_cands, n_logins;
	enum cl_status st = CL_OK;

	*n = 0;
	if (!rundir || !utmp) {
		st = CL_E_LOCAL;
	} else if (geteuid() != 0) {
		struct cl_session self;

		if (max > 0 && find_self(rundir, &self) == 1) {
			out[0] = self;
			*n = 1;
		}
	} else {
		cands = calloc(CANDIDATES_MAX, sizeof(*cands));
		logins = calloc(LOGINS_MAX, sizeof(*logins));
		if (!cands || !logins) {
			st = cl_error_set(err, CL_E_LOCAL, "out of memory");
		} else {
			n_cands = scan_buses(rundir, cands, CANDIDATES_MAX);
			n_logins = read_logins(utmp, logins, LOGINS_MAX);
			*n = cl_session_select(cands, n_cands, logins, n_logins,
			                       max < CL_SESSION_MAX ? max : CL_SESSION_MAX);
			memcpy(out, cands, *n * sizeof(*out));
		}
	}
	free(cands);
	free(logins);
	free(rundir);
	free(utmp);
	return st;
}
