/* certlink command line: `certlink check-expiry`, desktop notifications about expiring certificates.
 *
 * registry/ runs it at login (XDG autostart, --login) and daily (a systemd user timer). Which certificates
 * are due is core/expiry.h's rule. Sending is left to certlink-notify, a small GIO program: it talks
 * org.freedesktop.Notifications over D-Bus and stays to run `certlink-manager --renew SERIAL` when a
 * notification is clicked. Keeping D-Bus out of this program keeps `certlink` free of GLib for root
 * startup scripts on machines without a desktop; the helper is only installed where GLib is. Without the
 * helper or a notification service, check-expiry says so in the log and exits 0: nothing is marked as
 * notified, so the next run tries again.
 */
#include "cli.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "expiry.h"
#include "firefox-sync.h"
#include "logfile.h"
#include "settings.h"

#ifndef CERTLINK_BINDIR
#define CERTLINK_BINDIR "/usr/local/bin"
#endif
#ifndef CERTLINK_LIBEXECDIR
#define CERTLINK_LIBEXECDIR "/usr/local/libexec/certlink"
#endif

#define HELPER_EXIT_NO_SERVICE 3
#define TEXT_MAX               1024

extern char **environ;

struct notice_text {
	char summary[TEXT_MAX];
	char body[TEXT_MAX];
};

static void usage(FILE *out)
{
	fputs(_("Usage: certlink check-expiry [--login] [--list] [--wait SECONDS]\n"
	        "\n"
	        "Tell the person about certificates that expire soon (once a day inside the\n"
	        "notification window of the settings) or have expired (at every login), with\n"
	        "desktop notifications. Clicking one opens the renewal in certlink-manager.\n"
	        "It also puts the person's certificates into Firefox profiles made since they\n"
	        "were enrolled.\n"
	        "\n"
	        "  --login          this run is the login check: expired certificates are reported\n"
	        "  --list           print what is due instead of notifying (nothing is marked)\n"
	        "  --wait SECONDS   how long to wait for clicks (default 3600)\n"
	        "  -h, --help       show this help\n"
	        "\n"
	        "Exit status: 0 also when no notification service is running (it is logged).\n"),
	      out);
}

/* The CN of an RFC 2253 subject, else the whole subject. */
static void display_name(const char *subject, char *out, size_t size)
{
	const char *p = subject;

	for (; p && *p; p++) {
		if ((p == subject || p[-1] == ',') && strncmp(p, "CN=", 3) == 0) {
			size_t n = strcspn(p + 3, ",");

			snprintf(out, size, "%.*s", (int)(n < size ? n : size - 1), p + 3);
			return;
		}
	}
	snprintf(out, size, "%.*s", (int)size - 1, subject && *subject ? subject : "?");
}

static const char *store_words(enum cl_store_kind store)
{
	return store == CL_STORE_COMPUTER ? _("computer store") : _("user store");
}

static void compose(const struct cl_expiry_item *it, time_t now, struct notice_text *t)
{
	char name[256], date[64];
	time_t end = (time_t)it->not_after;
	struct tm tm;
	/* whole days, rounded up: "in 3 days" for 2 days and 23 hours */
	long days = (long)((it->not_after - (int64_t)now + 86399) / 86400);

	display_name(it->subject, name, sizeof(name));
	localtime_r(&end, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M", &tm);
	if (it->notice == CL_NOTICE_EXPIRED) {
		snprintf(t->summary, sizeof(t->summary), "%s", _("A certificate has expired"));
		snprintf(
		    t->body, sizeof(t->body),
		    _("The certificate \"%1$s\" (%2$s, serial %3$s) expired on %4$s. Click to renew it."),
		    name, store_words(it->store), it->serial, date);
		return;
	}
	if (days <= 1)
		snprintf(t->summary, sizeof(t->summary), "%s", _("A certificate expires within a day"));
	else
		snprintf(t->summary, sizeof(t->summary),
		         dngettext(GETTEXT_PACKAGE, "A certificate expires in %ld day",
		                   "A certificate expires in %ld days", (unsigned long)days),
		         days);
	snprintf(t->body, sizeof(t->body),
	         _("The certificate \"%1$s\" (%2$s, serial %3$s) is valid until %4$s. Click to renew it."),
	         name, store_words(it->store), it->serial, date);
}

static const char *program_path(const char *var, const char *dir, const char *name, char *buf, size_t size)
{
	const char *v = getenv(var);

	if (v && v[0] == '/')
		return v;
	snprintf(buf, size, "%s/%s", dir, name);
	return buf;
}

/* Run the helper; read "sent SERIAL" lines until it closes its output, and set sent[i] for those. Then
 * wait for it (it stays for clicks). Returns the helper's exit status, or -1 when it could not run. */
static int run_helper(const struct cl_expiry_item *items, const struct notice_text *texts, size_t n,
                      const char *wait, bool *sent)
{
	char hbuf[4096], mbuf[4096], line[256];
	const char *helper = program_path("CERTLINK_NOTIFY_HELPER", CERTLINK_LIBEXECDIR, "certlink-notify",
	                                  hbuf, sizeof(hbuf));
	const char *manager =
	    program_path("CERTLINK_MANAGER", CERTLINK_BINDIR, "certlink-manager", mbuf, sizeof(mbuf));
	posix_spawn_file_actions_t fa;
	const char **argv = calloc(8 + 3 * n + 1, sizeof(*argv));
	size_t a = 0, i;
	int pipefd[2], rc;
	pid_t pid;
	FILE *fp;

	if (!argv || access(helper, X_OK) != 0 || pipe2(pipefd, O_CLOEXEC) != 0) {
		free(argv);
		return -1;
	}
	argv[a++] = helper;
	argv[a++] = "--app-name";
	argv[a++] = "certlink";
	argv[a++] = "--run";
	argv[a++] = manager;
	argv[a++] = "--wait";
	argv[a++] = wait;
	argv[a++] = "--";
	for (i = 0; i < n; i++) {
		argv[a++] = items[i].serial;
		argv[a++] = texts[i].summary;
		argv[a++] = texts[i].body;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	rc = posix_spawn(&pid, helper, &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	free(argv);
	if (rc != 0) {
		close(pipefd[0]);
		return -1;
	}
	fp = fdopen(pipefd[0], "r");
	while (fp && fgets(line, sizeof(line), fp)) {
		line[strcspn(line, "\r\n")] = '\0';
		for (i = 0; i < n; i++)
			if (strncmp(line, "sent ", 5) == 0 && strcmp(line + 5, items[i].serial) == 0)
				sent[i] = true;
	}
	if (fp)
		fclose(fp);
	else
		close(pipefd[0]);
	return pid;
}

static int wait_helper(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static int notify(const struct cl_expiry_item *items, size_t n, const char *wait, time_t now)
{
	struct notice_text *texts = calloc(n, sizeof(*texts));
	bool *sent = calloc(n, sizeof(*sent));
	struct cl_expiry_item *done = calloc(n, sizeof(*done));
	struct cl_error err;
	size_t i, n_done = 0;
	int pid, code;

	if (!texts || !sent || !done) {
		free(texts);
		free(sent);
		free(done);
		cli_error(_("out of memory"));
		return cl_status_exit_code(CL_E_LOCAL);
	}
	for (i = 0; i < n; i++)
		compose(&items[i], now, &texts[i]);
	pid = run_helper(items, texts, n, wait, sent);
	for (i = 0; i < n; i++)
		if (sent[i])
			done[n_done++] = items[i];
	if (n_done > 0 && cl_expiry_mark(done, n_done, (int64_t)now, &err) != CL_OK)
		cli_note(_("could not note the notification time: %s"), err.msg);
	for (i = 0; i < n_done; i++)
		cl_logfile_append(CL_STORE_USER, "certlink check-expiry", NULL,
		                  "notified: %s certificate %s (%s)",
		                  done[i].notice == CL_NOTICE_EXPIRED ? "expired" : "expiring",
		                  done[i].serial, cl_store_kind_name(done[i].store));
	if (n_done < n) {
		/* no helper or no notification service: say so where a person or the journal finds it */
		cli_note(_("no desktop notification could be shown; %zu certificate(s) need attention:"),
		         n - n_done);
		for (i = 0; i < n; i++)
			if (!sent[i])
				cli_note("%s: %s", texts[i].summary, texts[i].body);
		cl_logfile_append(CL_STORE_USER, "certlink check-expiry", NULL,
		                  "no notification service: %zu certificate(s) not notified", n - n_done);
	}
	code = pid > 0 ? wait_helper(pid) : -1;
	if (code > 0 && code != HELPER_EXIT_NO_SERVICE)
		cli_note(_("the notification helper exited with status %d"), code);
	free(texts);
	free(sent);
	free(done);
	return CLI_EXIT_OK;
}

/* Firefox profiles made since an enrollment get its certificate now (core/firefox-sync.h): this command
 * runs at every login and daily, so that is where a new profile is noticed. */
static void sync_firefox(void)
{
	struct cl_firefox_sync_report r;
	struct cl_error err;

	if (cl_firefox_sync(&r, &err) != CL_OK)
		cli_note(_("Firefox profiles could not be brought up to date: %s"), err.msg);
	else if (r.added || r.left_out)
		cl_logfile_append(CL_STORE_USER, "certlink check-expiry", NULL,
		                  "Firefox profiles: %zu certificate(s) added, %zu left out", r.added,
		                  r.left_out);
}

int cli_cmd_check_expiry(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "login", no_argument, NULL, 'l' },
		{ "list", no_argument, NULL, 'p' },
		{ "wait", required_argument, NULL, 'w' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cl_expiry_item *items = NULL;
	struct cl_settings settings;
	struct cl_error err, cerr;
	const char *wait = "3600";
	bool login = false, list = false;
	time_t now = time(NULL);
	enum cl_status st;
	size_t n = 0, i;
	char *end;
	int c, code;

	optind = 0;
	while ((c = cli_next_option(argc, argv, opts)) != -1) {
		switch (c) {
		case 'l':
			login = true;
			break;
		case 'p':
			list = true;
			break;
		case 'w':
			if (strtol(optarg, &end, 10) < 0 || *end || !*optarg || strlen(optarg) > 6)
				return cli_usage_error("check-expiry", _("--wait takes a number of seconds"));
			wait = optarg;
			break;
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc)
		return cli_usage_error("check-expiry", _("unexpected argument \"%s\""), argv[optind]);
	if (cl_settings_load(&settings, &err) != CL_OK)
		cli_note(_("the settings could not be read (%s); using the defaults"), err.msg);
	if (!list)
		sync_firefox();
	st = cl_expiry_collect(&settings, (int64_t)now, login, &items, &n, &cerr);
	if (st != CL_OK)
		cli_error("%s", cerr.msg);
	if (list) {
		for (i = 0; i < n; i++) {
			struct notice_text t;

			compose(&items[i], now, &t);
			printf("%s\t%s\t%s\t%s\n", cl_store_kind_name(items[i].store), items[i].serial,
			       items[i].notice == CL_NOTICE_EXPIRED ? "expired" : "expiring", t.summary);
		}
		code = CLI_EXIT_OK;
	} else {
		code = n > 0 ? notify(items, n, wait, now) : CLI_EXIT_OK;
	}
	free(items);
	/* a damaged records file is worth a failed unit in the journal; nothing else is */
	return st != CL_OK ? cl_status_exit_code(st) : code;
}
