/* certlink core: external tools without a shell (see tool.h). */
#include "tool.h"

#include <errno.h>
#include <libintl.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>
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

static enum cl_status wait_for(pid_t pid, const char *name, int *exit_code, struct cl_error *err)
{
	int status;

	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cl_error_set(err, CL_E_LOCAL, "waiting for %s: %s", name, strerror(errno));
	}
	if (WIFEXITED(status))
		*exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		*exit_code = 128 + WTERMSIG(status);
	return CL_OK;
}

/* Write INPUT to IN_FD and read OUT_FD into OUT at the same time, so neither side blocks on a full pipe. */
static void exchange(int in_fd, const char *input, size_t len, int out_fd, char *out, size_t outmax)
{
	size_t sent = 0, used = 0;
	char buf[4096];

	while (out_fd >= 0) {
		struct pollfd p[2] = { { out_fd, POLLIN, 0 }, { in_fd, POLLOUT, 0 } };
		int n = poll(p, in_fd >= 0 ? 2 : 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (in_fd >= 0 && p[1].revents) {
			ssize_t w = sent < len ? write(in_fd, input + sent, len - sent) : 0;

			if (w > 0)
				sent += (size_t)w;
			if (sent >= len || (w < 0 && errno != EINTR && errno != EAGAIN)) {
				close(in_fd);
				in_fd = -1;
			}
		}
		if (p[0].revents) {
			ssize_t r = read(out_fd, buf, sizeof(buf));

			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {
				out_fd = -1;
				break;
			}
			for (ssize_t i = 0; i < r && used + 1 < outmax; i++)
				out[used++] = buf[i];
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	out[used] = '\0';
}

enum cl_status cl_tool_run_io(const char *const argv[], const char *input, size_t len, char *out,
                              size_t outmax, int *exit_code, struct cl_error *err)
{
	posix_spawn_file_actions_t fa;
	int in[2], outp[2], rc;
	pid_t pid;

	*exit_code = -1;
	if (!argv || !argv[0] || argv[0][0] != '/' || !out || outmax == 0)
		return cl_error_set(err, CL_E_UNEXPECTED, "a tool must be run by absolute path");
	if (pipe2(in, O_CLOEXEC) != 0)
		return cl_error_set(err, CL_E_LOCAL, "running %s: pipe: %s", argv[0], strerror(errno));
	if (pipe2(outp, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		return cl_error_set(err, CL_E_LOCAL, "running %s: pipe: %s", argv[0], strerror(errno));
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(outp[1]);
	if (rc != 0) {
		close(in[1]);
		close(outp[0]);
		return cl_error_set(err, CL_E_LOCAL, "cannot run %s: %s", argv[0], strerror(rc));
	}
	/* A helper that exits without reading its input must not kill us with SIGPIPE: blocked in this thread
	 * only (other threads of a window keep theirs), and one raised here is taken back before unblocking.
	 */
	{
		sigset_t pipe_set, old;
		struct timespec now = { 0, 0 };

		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		exchange(in[1], input, len, outp[0], out, outmax);
		while (sigtimedwait(&pipe_set, NULL, &now) == SIGPIPE)
			;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	close(outp[0]);
	return wait_for(pid, argv[0], exit_code, err);
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
