/* certlink core: external tools without a shell (see tool.h). */
#include "tool.h"

#include <errno.h>
#include <libintl.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void drain(int fd, char *out, size_t outmax)
{
	size_t used = 0;
	char buf[4096];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (ssize_t i = 0; i < n && out && used + 1 < outmax; i++) {
			unsigned char c = (unsigned char)buf[i];

			out[used++] = (c < 0x20 && c != '\n') || c == 0x7f ? '?' : (char)c;
		}
	}
	if (out && outmax > 0)
		out[used] = '\0';
}

enum cl_status cl_tool_run(const char *const argv[], char *out, size_t outmax, int *exit_code,
                           struct cl_error *err)
{
	posix_spawn_file_actions_t fa;
	int pipefd[2], rc, status;
	pid_t pid;

	if (out && outmax > 0)
		out[0] = '\0';
	*exit_code = -1;
	if (!argv || !argv[0] || argv[0][0] != '/')
		return cl_error_set(err, CL_E_UNEXPECTED, "a tool must be run by absolute path");
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return cl_error_set(err, CL_E_LOCAL, "running %s: pipe: %s", argv[0], strerror(errno));
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return cl_error_set(err, CL_E_LOCAL, "cannot run %s: %s", argv[0], strerror(rc));
	}
	drain(pipefd[0], out, outmax);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cl_error_set(err, CL_E_LOCAL, "waiting for %s: %s", argv[0], strerror(errno));
	}
	if (WIFEXITED(status))
		*exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*exit_code = 128 + WTERMSIG(status);
	/* glibc reports exec failure (ENOENT, EACCES) from posix_spawn itself, so reaching here means it ran.
	 */
	return CL_OK;
}

enum cl_status cl_tool_run_ok(const char *const argv[], const char *what, struct cl_error *err)
{
	char out[2048];
	int code;

	what = dgettext("certlink", what); /* a CL_N_ literal */
	if (cl_tool_run(argv, out, sizeof(out), &code, err) != CL_OK) {
		cl_error_prefix(err, "%s", what);
		return CL_E_LOCAL;
	}
	if (code != 0)
		return cl_error_set(err, CL_E_LOCAL, "%s: %s exited with status %d: %s", what, argv[0], code,
		                    cl_tool_last_line(out));
	return CL_OK;
}

const char *cl_tool_last_line(char *out)
{
	size_t len = strlen(out);
	char *nl;

	while (len > 0 && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	nl = strrchr(out, '\n');
	return nl ? nl + 1 : out;
}
