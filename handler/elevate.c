/* certlink-handler: the computer store for a person who is not root (see elevate.h). */
#include "elevate.h"

#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "i18n.h"

extern char **environ;

/* pkexec's own exit codes: 126 when the person dismissed the authentication dialog or was not authorised,
 * 127 when authentication failed or pkexec could not run the program. */
#define PKEXEC_NOT_AUTHORIZED 126
#define PKEXEC_FAILED         127

/* Run pkexec HELPER ARGS... and wait for it, honouring Cancel. NOT_GIVEN is the message for a refused
 * authentication. */
static enum cl_status run_helper(const char *const *args, const struct cl_cancel *cancel,
                                 const char *not_given, int *exit_status, struct cl_error *err)
{
	const char *pkexec = getenv("CERTLINK_PKEXEC");
	const char *helper = getenv("CERTLINK_INSTALL_HELPER");
	char *argv[8];
	pid_t pid, done;
	int status = 0, rc, n = 0;

	if (!pkexec || pkexec[0] != '/')
		pkexec = "/usr/bin/pkexec";
	if (!helper || helper[0] != '/')
		helper = CERTLINK_INSTALL_HELPER;
	argv[n++] = (char *)pkexec;
	argv[n++] = (char *)helper;
	for (; *args && n < 7; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	rc = posix_spawn(&pid, pkexec, NULL, NULL, argv, environ);
	if (rc != 0)
		return cl_error_set(err, CL_E_LOCAL, _("cannot start %s: %s"), pkexec, strerror(rc));
	/* Poll rather than block, so Cancel (or closing the window) ends the wait and the authentication
	 * dialog; pkexec runs with the person's real uid, so the person may signal it. */
	for (;;) {
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

enum cl_status handler_elevate(const char *staging_dir, const struct cl_cancel *cancel, struct cl_error *err)
{
	const char *args[] = { "--install", staging_dir, NULL };

	return run_helper(args, cancel,
	                  _("permission to install into this computer's certificate store was not given; "
	                    "choose your personal store, or ask an administrator"),
	                  NULL, err);
}

/* The helper's exit status when NetworkManager was not there or refused (it wrote wpa_supplicant files). */
#define HELPER_NETWORK_NOT_APPLIED 3

enum cl_status handler_elevate_network(const char *staging_dir, const struct cl_cancel *cancel,
                                       struct cl_error *err)
{
	const char *args[] = { "--network", staging_dir, NULL };
	int code = -1;
	enum cl_status st = run_helper(
	    args, cancel, _("permission to set up this computer's network connections was not given"), &code,
	    err);

	if (st == CL_E_LOCAL && code == HELPER_NETWORK_NOT_APPLIED)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    _("NetworkManager was not available to set up the connections; the settings were "
		      "written for wpa_supplicant beside the certificate"));
	return st;
}

enum cl_status handler_elevate_anchor(const char *staging_dir, const char *sha256, const char *subject,
                                      const struct cl_cancel *cancel, struct cl_error *err)
{
	const char *args[] = { "--trust-anchor", sha256, subject, staging_dir, NULL };

	return run_helper(args, cancel,
	                  _("permission to make the certificate authority trusted on this computer was not "
	                    "given"),
	                  NULL, err);
}
