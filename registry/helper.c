/* certlink registry: posix_spawn of helper programs with a clean argv and environment (see helper.h). */
#include "helper.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define DEFAULT_PATH "/usr/local/bin:/usr/bin:/bin"
#define ENV_MAX      64

/* What the helpers need from the caller's environment; see helper.h for why nothing else passes. */
static const char *const passed_env[] = {
	"PATH",
	"HOME",
	"USER",
	"LOGNAME",
	"LANG",
	"LC_ALL",
	"LC_MESSAGES",
	"LC_CTYPE",
	"XDG_DATA_HOME",
	"XDG_CONFIG_HOME",
	"XDG_DATA_DIRS",
	"XDG_CONFIG_DIRS",
	"XDG_RUNTIME_DIR",
	"XDG_CURRENT_DESKTOP",
	"XDG_MENU_PREFIX",
	"DBUS_SESSION_BUS_ADDRESS",
	"DISPLAY",
	"WAYLAND_DISPLAY",
	"KDE_SESSION_VERSION",
	"KDE_FULL_SESSION",
};

static int find_program(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	struct stat st;

	if (strchr(name, '/'))
		return snprintf(out, size, "%s", name) < (int)size && access(out, X_OK) == 0 ? 0 : -1;
	if (!path || !path[0])
		path = DEFAULT_PATH;
	while (*path) {
		size_t len = strcspn(path, ":");
		/* An empty PATH element would mean the current directory: never run a helper from there. */
		if (len > 0 && path[0] == '/' &&
		    snprintf(out, size, "%.*s/%s", (int)len, path, name) < (int)size && stat(out, &st) == 0 &&
		    S_ISREG(st.st_mode) && access(out, X_OK) == 0)
			return 0;
		path += len;
		if (*path == ':')
			path++;
	}
	return -1;
}

static int env_name_eq(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* Build the child's environment into env[] (pointers into the caller's strings). */
static void build_env(const char *env[], const char *const override[])
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(passed_env) / sizeof(passed_env[0]); i++) {
		const char *name = passed_env[i];
		int overridden = 0;
		for (size_t j = 0; override && override[j]; j++)
			if (strncmp(override[j], name, strlen(name)) == 0 && override[j][strlen(name)] == '=')
				overridden = 1;
		if (overridden)
			continue;
		for (char **e = environ; *e; e++) {
			if (env_name_eq(*e, name)) {
				env[n++] = *e;
				break;
			}
		}
	}
	for (size_t j = 0; override && override[j] && n < ENV_MAX - 1; j++) {
		const char *eq = strchr(override[j], '=');
		if (eq && eq[1] != '\0')
			env[n++] = override[j];
	}
	env[n] = NULL;
}

static void append(char *dst, size_t size, size_t *len, const char *src, size_t n)
{
	if (*len + 1 >= size)
		return;
	if (n > size - 1 - *len)
		n = size - 1 - *len;
	memcpy(dst + *len, src, n);
	*len += n;
	dst[*len] = '\0';
}

/* Read both pipes until both are closed, keeping what fits. */
static void drain(int out_fd, int err_fd, struct clr_helper_result *res)
{
	struct pollfd fds[2] = { { out_fd, POLLIN, 0 }, { err_fd, POLLIN, 0 } };
	size_t out_len = 0, err_len = 0;
	char chunk[1024];

	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			ssize_t n = read(fds[i].fd, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(fds[i].fd);
				fds[i].fd = -1;
				continue;
			}
			if (i == 0)
				append(res->out, sizeof(res->out), &out_len, chunk, (size_t)n);
			else
				append(res->err, sizeof(res->err), &err_len, chunk, (size_t)n);
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
}

enum cl_status clr_helper_run(const char *const argv[], const char *const env_override[],
                              struct clr_helper_result *res, struct cl_error *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	const char *env[ENV_MAX];
	char program[PATH_MAX];
	int out_pipe[2] = { -1, -1 }, err_pipe[2] = { -1, -1 };
	sigset_t none, all;
	pid_t pid;
	int rc, status;

	memset(res, 0, sizeof(*res));
	if (find_program(argv[0], program, sizeof(program)) < 0) {
		res->not_found = 1;
		res->exit_status = 127;
		return cl_error_set(err, CL_E_LOCAL, "%s is not installed (not found in PATH)", argv[0]);
	}
	if (pipe2(out_pipe, O_CLOEXEC) < 0 || pipe2(err_pipe, O_CLOEXEC) < 0) {
		rc = errno;
		for (int i = 0; i < 2; i++) {
			if (out_pipe[i] >= 0)
				close(out_pipe[i]);
		}
		return cl_error_set(err, CL_E_LOCAL, "cannot run %s: %s", argv[0], strerror(rc));
	}
	build_env(env, env_override);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_pipe[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err_pipe[1], 2);
	/* The child starts with default signal dispositions and an empty mask, whatever the caller set. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, program, &fa, &attr, (char *const *)argv, (char *const *)env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(out_pipe[1]);
	close(err_pipe[1]);
	if (rc != 0) {
		close(out_pipe[0]);
		close(err_pipe[0]);
		return cl_error_set(err, CL_E_LOCAL, "cannot run %s: %s", program, strerror(rc));
	}
	drain(out_pipe[0], err_pipe[0], res);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cl_error_set(err, CL_E_UNEXPECTED, "waiting for %s: %s", program,
			                    strerror(errno));
	}
	if (WIFEXITED(status))
		res->exit_status = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		res->exit_status = 128 + WTERMSIG(status);
	else
		res->exit_status = 255;
	return CL_OK;
}

const char *clr_helper_describe(const struct clr_helper_result *res, char *buf, size_t size)
{
	size_t len = strcspn(res->err, "\n");

	if (len > 0)
		snprintf(buf, size, "%.*s (exit status %d)", (int)len, res->err, res->exit_status);
	else
		snprintf(buf, size, "exit status %d", res->exit_status);
	return buf;
}
