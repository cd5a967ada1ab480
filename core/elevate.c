/* certlink core: the computer store for a person who is not root (see elevate.h). */
#include "elevate.h"

#include <errno.h>
#include <fcntl.h>
#include <libintl.h>
#include <signal.h>
#include <stdbool.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define _(s) dgettext("certlink", s)

extern char **environ;

/* pkexec's own exit codes: 126 when the person dismissed the authentication dialog or was not authorised,
 * 127 when authentication failed or pkexec could not run the program. */
#define PKEXEC_NOT_AUTHORIZED 126
#define PKEXEC_FAILED         127

/* What the helper writes on its standard output, when the caller wants it (--sign-request): at most
 * OUTPUT_MAX octets, wiped when freed (a signed request holds the challenge). */
#define OUTPUT_MAX (64 * 1024)

struct output {
	int fd; /* the pipe's read end, or -1 */
	char *buf;
	size_t len;
	bool too_long;
};

static void output_read(struct output *o)
{
	char chunk[4096];
	ssize_t n;

	while (o->fd >= 0 && (n = read(o->fd, chunk, sizeof(chunk))) > 0) {
		if (o->len + (size_t)n > OUTPUT_MAX) {
			o->too_long = true;
			continue;
		}
		memcpy(o->buf + o->len, chunk, (size_t)n);
		o->len += (size_t)n;
	}
	OPENSSL_cleanse(chunk, sizeof(chunk));
}

static void output_free(struct output *o)
{
	if (o->fd >= 0)
		close(o->fd);
	if (o->buf)
		OPENSSL_clear_free(o->buf, OUTPUT_MAX + 1);
	memset(o, 0, sizeof(*o));
	o->fd = -1;
}

/* Run pkexec HELPER ARGS... and wait for it, honouring Cancel. NOT_GIVEN is the message for a refused
 * authentication. OUT (may be NULL) collects the helper's standard output through a pipe. */
static enum cl_status run_helper(const char *const *args, const struct cl_cancel *cancel,
                                 const char *not_given, int *exit_status, struct output *out,
                                 struct cl_error *err)
{
	const char *pkexec = getenv("CERTLINK_PKEXEC");
	const char *helper = getenv("CERTLINK_INSTALL_HELPER");
	posix_spawn_file_actions_t actions;
	char *argv[8];
	pid_t pid, done;
	int status = 0, rc, n = 0, pipefd[2] = { -1, -1 };

	if (!pkexec || pkexec[0] != '/')
		pkexec = "/usr/bin/pkexec";
	if (!helper || helper[0] != '/')
		helper = CERTLINK_INSTALL_HELPER;
	argv[n++] = (char *)pkexec;
	argv[n++] = (char *)helper;
	for (; *args && n < 7; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	if (out) {
		if (!(out->buf = OPENSSL_zalloc(OUTPUT_MAX + 1)) || pipe2(pipefd, O_CLOEXEC) != 0)
			return cl_error_set(err, CL_E_LOCAL,
			                    _("cannot make a pipe for the install helper: %s"),
			                    strerror(errno));
		out->fd = pipefd[0];
		fcntl(out->fd, F_SETFL, O_NONBLOCK);
	}
	posix_spawn_file_actions_init(&actions);
	if (out)
		posix_spawn_file_actions_adddup2(&actions, pipefd[1], STDOUT_FILENO);
	rc = posix_spawn(&pid, pkexec, &actions, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&actions);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (rc != 0)
		return cl_error_set(err, CL_E_LOCAL, _("cannot start %s: %s"), pkexec, strerror(rc));
	/* Poll rather than block, so Cancel (or closing the window) ends the wait and the authentication
	 * dialog; pkexec runs with the person's real uid, so the person may signal it. */
	for (;;) {
		if (out)
			output_read(out);
		done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			break;
		if (done < 0 && errno != EINTR)
			return cl_error_set(err, CL_E_LOCAL, "waiting for pkexec: %s", strerror(errno));
		if (cl_cancel_sleep(cancel, 100)) {
			kill(pid, SIGTERM);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			return cl_error_set(err, CL_E_CANCELLED, _("cancelled while asking for permission"));
		}
	}
	/* the helper has exited: what is left in the pipe is all it wrote */
	if (out)
		output_read(out);
	if (exit_status && WIFEXITED(status))
		*exit_status = WEXITSTATUS(status);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return CL_OK;
	if (WIFEXITED(status) &&
	    (WEXITSTATUS(status) == PKEXEC_NOT_AUTHORIZED || WEXITSTATUS(status) == PKEXEC_FAILED))
		return cl_error_set(err, CL_E_CANCELLED, "%s", not_given);
	if (WIFEXITED(status))
		return cl_error_set(err, CL_E_LOCAL,
		                    _("the install helper failed (exit status %d); its message is "
		                      "above"),
		                    WEXITSTATUS(status));
	return cl_error_set(err, CL_E_LOCAL, _("the install helper was stopped by signal %d"),
	                    WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

enum cl_status cl_elevate_install(const char *staging_dir, const struct cl_cancel *cancel,
                                  struct cl_error *err)
{
	const char *args[] = { "--install", staging_dir, NULL };

	return run_helper(args, cancel,
	                  _("permission to install into this computer's certificate store was not given; "
	                    "choose your personal store, or ask an administrator"),
	                  NULL, NULL, err);
}

/* The helper's exit status when NetworkManager was not there or refused (it wrote wpa_supplicant files). */
#define HELPER_NETWORK_NOT_APPLIED 3

enum cl_status cl_elevate_network(const char *staging_dir, const struct cl_cancel *cancel,
                                  struct cl_error *err)
{
	const char *args[] = { "--network", staging_dir, NULL };
	int code = -1;
	enum cl_status st = run_helper(
	    args, cancel, _("permission to set up this computer's network connections was not given"), &code,
	    NULL, err);

	if (st == CL_E_LOCAL && code == HELPER_NETWORK_NOT_APPLIED)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    _("NetworkManager was not available to set up the connections; the settings were "
		      "written for wpa_supplicant beside the certificate"));
	return st;
}

enum cl_status cl_elevate_anchor(const char *staging_dir, const char *sha256, const char *subject,
                                 const struct cl_cancel *cancel, struct cl_error *err)
{
	const char *args[] = { "--trust-anchor", sha256, subject, staging_dir, NULL };

	return run_helper(args, cancel,
	                  _("permission to make the certificate authority trusted on this computer was not "
	                    "given"),
	                  NULL, NULL, err);
}

enum cl_status cl_elevate_sign(const char *staging_dir, const char *sha256, const char *subject,
                               const struct cl_cancel *cancel, char **request, size_t *len,
                               struct cl_error *err)
{
	const char *args[] = { "--sign-request", sha256, subject, staging_dir, NULL };
	struct output out = { -1, NULL, 0, false };
	enum cl_status st = run_helper(
	    args, cancel,
	    _("permission to renew with this computer's key was not given; renew with a new key, or ask an "
	      "administrator"),
	    NULL, &out, err);

	*request = NULL;
	*len = 0;
	if (st == CL_OK && (out.too_long || out.len == 0))
		st = cl_error_set(err, CL_E_LOCAL, _("the install helper gave no signed request"));
	if (st == CL_OK) {
		*request = out.buf; /* the flow checks it, wipes and frees it */
		*len = out.len;
		out.buf = NULL;
	}
	output_free(&out);
	return st;
}
