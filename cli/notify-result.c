/* certlink command line: the result of a zero-touch run as a desktop notification (docs/cli.md, "Desktop
 * notification").
 *
 * `certlink enroll`, `activate` and `renew` often run from an administrator's script: as root from a
 * startup unit or over SSH, or as the person from a login script. When they end (installed, waiting for
 * approval, failed) the people at the computer see the result the way the original product shows a toast.
 * Who they are is core/session.h's rule. The notification itself is sent by certlink-notify (notify/, GIO),
 * so this program stays free of GLib. As root, the helper runs as each person: a forked child takes their
 * groups and ids (setgroups, setresgid, setresuid, and checks that root cannot be regained) before it
 * executes the helper with a small environment of their own (HOME, their session bus, the locale), so
 * nothing ever talks to a person's bus as root, and only the summary and the result's message, which hold
 * no secret, are passed. Everything the child does between fork and exec is async-signal-safe: the group
 * list and the environment are made before the fork.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "logfile.h"
#include "session.h"

#ifndef CERTLINK_LIBEXECDIR
#define CERTLINK_LIBEXECDIR "/usr/local/libexec/certlink"
#endif

#define GROUPS_MAX 256
#define ENV_MAX    24

extern char **environ;

static bool notify_on = true;

void cli_notify_set(bool on)
{
	notify_on = on;
}

struct notice {
	char summary[256];
	char body[1024];
};

static const char *store_words(enum cl_store_kind store)
{
	return store == CL_STORE_COMPUTER ? _("computer store") : _("user store");
}

/* What the person reads; false for an outcome not worth a notification (not due, cancelled). */
static bool compose(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err,
                    struct notice *n)
{
	char until[32];

	if (st == CL_OK && res->pending) {
		snprintf(n->summary, sizeof(n->summary), "%s",
		         _("Certificate application waiting for approval"));
		snprintf(
		    n->body, sizeof(n->body),
		    _("The certificate application %s was sent and waits for the administrator's approval. "
		      "It is finished once it is approved."),
		    res->app_id);
		return true;
	}
	if (st == CL_OK) {
		snprintf(n->summary, sizeof(n->summary), "%s", _("Certificate installed"));
		snprintf(
		    n->body, sizeof(n->body),
		    _("The certificate \"%1$s\" (serial %2$s) was installed in the %3$s; it is valid until "
		      "%4$s."),
		    res->cn[0] ? res->cn : res->subject, res->serial, store_words(res->store),
		    cli_time_text(res->not_after, until));
		return true;
	}
	if (st == CL_E_NOT_DUE || st == CL_E_CANCELLED)
		return false;
	snprintf(n->summary, sizeof(n->summary), "%s", _("No certificate was installed"));
	snprintf(n->body, sizeof(n->body), "%.900s", err->msg[0] ? err->msg : _("the enrollment failed"));
	return true;
}

static const char *helper_path(char *buf, size_t size)
{
	const char *v = getenv("CERTLINK_NOTIFY_HELPER");

	if (v && v[0] == '/')
		return v;
	snprintf(buf, size, "%s/certlink-notify", CERTLINK_LIBEXECDIR);
	return buf;
}

/* NAME=VALUE into the next free slot of ENV (strings in STORE, SIZE bytes each). */
static void env_put(char **env, size_t *n, char store[][700], const char *name, const char *value)
{
	if (!value || *n + 1 >= ENV_MAX || strlen(name) + strlen(value) + 2 > sizeof(store[0]))
		return;
	snprintf(store[*n], sizeof(store[0]), "%s=%s", name, value);
	env[*n] = store[*n];
	(*n)++;
	env[*n] = NULL;
}

/* The environment the helper gets as another person: theirs, plus the locale and the build tree's
 * catalogs and sanitizer options (none of them secret). */
static void person_env(const struct cl_session *s, char **env, char store[][700])
{
	static const char *const kept[] = { "LANG",         "LANGUAGE",           "LC_ALL",
		                            "LC_MESSAGES",  "CERTLINK_LOCALEDIR", "ASAN_OPTIONS",
		                            "LSAN_OPTIONS", "UBSAN_OPTIONS" };
	size_t n = 0;

	env[0] = NULL;
	env_put(env, &n, store, "HOME", s->home);
	env_put(env, &n, store, "USER", s->user);
	env_put(env, &n, store, "LOGNAME", s->user);
	env_put(env, &n, store, "PATH", "/usr/bin:/bin");
	env_put(env, &n, store, "DBUS_SESSION_BUS_ADDRESS", s->bus);
	if (s->runtime_dir[0])
		env_put(env, &n, store, "XDG_RUNTIME_DIR", s->runtime_dir);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
		env_put(env, &n, store, kept[i], getenv(kept[i]));
}

/* In the forked child: become the person for good, or end. Async-signal-safe calls only. */
static void become(const struct cl_session *s, const gid_t *groups, int n_groups)
{
	uid_t r, e, sv;

	if (setgroups((size_t)n_groups, groups) != 0 || setresgid(s->gid, s->gid, s->gid) != 0 ||
	    setresuid(s->uid, s->uid, s->uid) != 0)
		_exit(126);
	if (setresuid(0, 0, 0) == 0 || getresuid(&r, &e, &sv) != 0 || r != s->uid || e != s->uid ||
	    sv != s->uid || getegid() != s->gid)
		_exit(126);
}

enum told { TOLD, TURNED_OFF, NOT_TOLD };

/* Run the helper for session S: TOLD when it says the notification was shown, TURNED_OFF when the person
 * turned results off in their own settings (the helper reads them as that person). */
static enum told tell(const struct cl_session *s, const char *helper, const struct notice *n)
{
	const char *argv[] = { helper, "--app-name", "certlink", "--info", "--result",
		               "--",   "result",     n->summary, n->body,  NULL };
	static char store[ENV_MAX][700];
	char *env[ENV_MAX], line[128];
	gid_t groups[GROUPS_MAX];
	int n_groups = GROUPS_MAX, fds[2], status = 0, devnull;
	bool as_other = geteuid() == 0 && s->uid != 0, sent = false, off = false;
	pid_t pid;
	FILE *out;

	if (as_other) {
		if (getgrouplist(s->user, s->gid, groups, &n_groups) < 0)
			/* more groups than we take: better no notification than a wrong set */
			return NOT_TOLD;
		person_env(s, env, store);
	} else if (!getenv("DBUS_SESSION_BUS_ADDRESS")) {
		setenv("DBUS_SESSION_BUS_ADDRESS", s->bus, 1);
	}
	if ((devnull = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
		return NOT_TOLD;
	if (pipe2(fds, O_CLOEXEC) != 0) {
		close(devnull);
		return NOT_TOLD;
	}
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (dup2(devnull, 0) < 0 || dup2(fds[1], 1) < 0)
			_exit(127);
		close_range(3, ~0U, 0); /* nothing of this process reaches the helper */
		if (as_other) {
			become(s, groups, n_groups);
			if (chdir(s->home) != 0 && chdir("/") != 0)
				_exit(127);
			execve(helper, (char *const *)argv, env);
		} else {
			execve(helper, (char *const *)argv, environ);
		}
		_exit(127);
	}
	close(devnull);
	close(fds[1]);
	if (pid < 0) {
		close(fds[0]);
		return NOT_TOLD;
	}
	out = fdopen(fds[0], "r");
	while (out && fgets(line, sizeof(line), out)) {
		sent |= strcmp(line, "sent result\n") == 0;
		off |= strcmp(line, "off result\n") == 0;
	}
	if (out)
		fclose(out);
	else
		close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return NOT_TOLD;
	return sent ? TOLD : off ? TURNED_OFF : NOT_TOLD;
}

void cli_notify_result(const struct cl_enroll_result *res, enum cl_status st, const struct cl_error *err)
{
	struct cl_session sessions[CL_SESSION_MAX];
	enum cl_store_kind side =
	    res->store == CL_STORE_COMPUTER && geteuid() == 0 ? CL_STORE_COMPUTER : CL_STORE_USER;
	struct cl_error serr;
	struct notice n;
	char buf[PATH_MAX];
	const char *helper;
	size_t count = 0;

	if (!notify_on || !compose(res, st, err, &n))
		return;
	helper = helper_path(buf, sizeof(buf));
	if (access(helper, X_OK) != 0) {
		cl_logfile_append(side, "certlink", NULL, "result not notified: no %s", helper);
		return;
	}
	if (cl_session_find(sessions, CL_SESSION_MAX, &count, &serr) != CL_OK)
		cl_logfile_append(side, "certlink", NULL, "result not notified: %s", serr.msg);
	if (count == 0)
		cl_logfile_append(side, "certlink", NULL,
		                  "result not notified: nobody is logged in at a desktop");
	for (size_t i = 0; i < count; i++) {
		enum told t = tell(&sessions[i], helper, &n);

		cl_logfile_append(side, "certlink", NULL, "result %s %s (uid %u)",
		                  t == TOLD         ? "notified to"
		                  : t == TURNED_OFF ? "not notified (turned off in their settings) to"
		                                    : "could not be notified to",
		                  sessions[i].user, (unsigned)sessions[i].uid);
	}
}
