/* certlink-server: command line entry: `serve`, `init`, `admin-token --reset` and the admin commands of
 * cli.c. See docs/server.md.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin.h"
#include "ca.h"
#include "cli.h"
#include "db.h"
#include "http.h"
#include "login.h"
#include "pwcache.h"
#include "routes.h"
#include "util.h"

#define MAX_HOSTNAMES 16

struct args {
	const char *state_dir, *listen, *port_file, *scep_port_file, *pid_file, *token_file;
	const char *hostnames[MAX_HOSTNAMES];
	size_t n_hostnames;
	unsigned port, scep_port, threads, max_open;
	int scep_http, ec, reset;
};

static void usage(FILE *f)
{
	fputs(
	    "usage: certlink-server COMMAND --state-dir DIR [options]\n"
	    "  serve [--listen ADDR] [--port N] [--port-file F] [--http-port N] [--http-port-file F]\n"
	    "        [--hostname NAME]... [--threads N] [--max-connections N] [--pid-file F] [--ca-key "
	    "rsa|ec]\n"
	    "        [--token-file F]\n"
	    "  init [--hostname NAME]... [--ca-key rsa|ec] [--token-file F]\n"
	    "  admin-token --reset [--token-file F]\n"
	    "  user-add NAME [--password-file F|--password-stdin] [--email ADDR]   user-del NAME   "
	    "user-list\n"
	    "  user-set NAME --email ADDR|--no-email\n"
	    "  invite [--user U] [--store user|computer] [--passwordless] [--expires DAYS] [--code [CODE]]\n"
	    "  invite-list   invite-revoke ID\n"
	    "  app-list   approve ID [--computer-name NAME]   reject ID   release ID   cert-list   revoke "
	    "SERIAL\n"
	    "  config-get [KEY]   config-set KEY VALUE   apid-add APID   apid-del APID   apid-list\n"
	    "docs/server.md explains each.\n",
	    f);
}

static int parse_uint(const char *s, unsigned max, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v > max)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* Pull the server options out of argv; admin command arguments stay in place for cli.c. */
static int parse(int argc, char **argv, struct args *a, int *rest_argc, char **rest)
{
	int i;

	*rest_argc = 0;
	for (i = 1; i < argc; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		int bad = 0;
#define VALUE()                                                                    \
	do {                                                                       \
		if (!v) {                                                          \
			fprintf(stderr, "certlink-server: %s needs a value\n", o); \
			return -1;                                                 \
		}                                                                  \
		i++;                                                               \
	} while (0)
		if (!strcmp(o, "--state-dir")) {
			VALUE();
			a->state_dir = v;
		} else if (!strcmp(o, "--listen")) {
			VALUE();
			a->listen = v;
		} else if (!strcmp(o, "--port")) {
			VALUE();
			bad = parse_uint(v, 65535, &a->port);
		} else if (!strcmp(o, "--port-file")) {
			VALUE();
			a->port_file = v;
		} else if (!strcmp(o, "--scep-http-port") || !strcmp(o, "--http-port")) {
			VALUE();
			bad = parse_uint(v, 65535, &a->scep_port);
			a->scep_http = 1;
		} else if (!strcmp(o, "--scep-port-file") || !strcmp(o, "--http-port-file")) {
			VALUE();
			a->scep_port_file = v;
		} else if (!strcmp(o, "--threads")) {
			VALUE();
			bad = parse_uint(v, 256, &a->threads) || a->threads == 0;
		} else if (!strcmp(o, "--max-connections")) {
			VALUE();
			bad = parse_uint(v, 100000, &a->max_open) || a->max_open < 4;
		} else if (!strcmp(o, "--hostname")) {
			VALUE();
			if (a->n_hostnames >= MAX_HOSTNAMES || !*v)
				bad = 1;
			else
				a->hostnames[a->n_hostnames++] = v;
		} else if (!strcmp(o, "--pid-file")) {
			VALUE();
			a->pid_file = v;
		} else if (!strcmp(o, "--token-file")) {
			VALUE();
			a->token_file = v;
		} else if (!strcmp(o, "--ca-key")) {
			VALUE();
			bad = strcmp(v, "rsa") && strcmp(v, "ec");
			a->ec = !strcmp(v, "ec");
		} else if (!strcmp(o, "--reset")) {
			a->reset = 1;
		} else {
			rest[(*rest_argc)++] = argv[i];
		}
		if (bad) {
			fprintf(stderr, "certlink-server: bad value for %s\n", o);
			return -1;
		}
#undef VALUE
	}
	rest[*rest_argc] = NULL;
	return 0;
}

static int write_small(const char *path, const char *text, int mode)
{
	struct cl_error err;

	if (srv_file_write_atomic(path, text, strlen(text), mode, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: %s\n", err.msg);
		return -1;
	}
	return 0;
}

/* A new admin token: printed once, or written 0600 to --token-file. */
static int new_admin_token(sqlite3 *db, const struct args *a, const char *url_base)
{
	struct cl_error err;
	char *token = NULL, *line = NULL;
	int rc = 0;

	if (srv_admin_token_reset(db, &token, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: admin token: %s\n", err.msg);
		return -1;
	}
	if (a->token_file) {
		if (asprintf(&line, "%s\n", token) < 0 || write_small(a->token_file, line, 0600) != 0)
			rc = -1;
		else
			printf("admin token written to %s\n", a->token_file);
		srv_free_secret(line);
	} else {
		printf("admin token (shown once): %s\n", token);
		if (url_base)
			printf("admin page: %s/admin?token=%s\n", url_base, token);
	}
	fflush(stdout);
	srv_free_secret(token);
	return rc;
}

static int prepare_dir(const char *dir)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "certlink-server: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_init(const struct args *a)
{
	struct srv_ca_opts opts = { a->hostnames, a->n_hostnames, a->ec, 0 };
	struct srv_ca *ca = NULL;
	struct cl_error err;
	sqlite3 *db = NULL;
	int created, rc = 0;

	if (prepare_dir(a->state_dir) || srv_db_open(a->state_dir, &db, &err) != CL_OK ||
	    srv_ca_load_or_create(a->state_dir, &opts, &ca, &created, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: %s\n", db ? err.msg : "cannot open the state database");
		sqlite3_close(db);
		return 1;
	}
	printf("CA %s\nCA SHA-256 %s\n", created ? "created" : "already present", ca->fp_hex);
	if (!srv_admin_token_exists(db) && new_admin_token(db, a, NULL) != 0)
		rc = 1;
	srv_ca_free(ca);
	sqlite3_close(db);
	return rc;
}

/* Key derivations for password checks run on at most one thread per core; the other worker threads may wait
 * for a slot (at most 2 s each), so the queue never outgrows the thread pool (docs/server.md). */
static void login_slots(unsigned threads)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned slots = cores > 0 ? (unsigned)cores : 1;

	if (slots > threads)
		slots = threads;
	srv_login_setup(slots, threads - slots);
}

static int record_runtime(sqlite3 *db, const struct args *a, const struct srv_server *srv)
{
	struct cl_error err;
	char num[16];

	snprintf(num, sizeof(num), "%u", srv->port);
	if (srv_db_meta_set(db, "listen_host", a->n_hostnames ? a->hostnames[0] : a->listen, &err) ||
	    srv_db_meta_set(db, "https_port", num, &err))
		return -1;
	snprintf(num, sizeof(num), "%u", srv->scep_port);
	return srv_db_meta_set(db, "scep_http_port", num, &err) == CL_OK ? 0 : -1;
}

static int cmd_serve(struct args *a)
{
	struct srv_ca_opts opts = { a->hostnames, a->n_hostnames, a->ec, 0 };
	struct srv_server srv = { 0 };
	struct cl_error err;
	sqlite3 *db = NULL;
	sigset_t set;
	char buf[64], url[300];
	int created, sig = 0, rc = 1, v6 = strchr(a->listen, ':') != NULL;

	/* The MHD threads inherit this mask; only sigwait() below sees SIGTERM and SIGINT. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (prepare_dir(a->state_dir) || srv_db_open(a->state_dir, &db, &err) != CL_OK ||
	    srv_ca_load_or_create(a->state_dir, &opts, &srv.ca, &created, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: %s\n", err.msg);
		goto out;
	}
	srv.state_dir = a->state_dir;
	srv.routes = &srv_routes_default;
	srv.listen = a->listen;
	srv.threads = a->threads;
	srv.max_open = a->max_open;
	srv_db_thread_setup(a->state_dir);
	login_slots(a->threads);
	if (srv_http_start(&srv, a->port, a->scep_http, a->scep_port, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: %s\n", err.msg);
		goto out;
	}
	if (record_runtime(db, a, &srv) != 0) {
		fprintf(stderr, "certlink-server: cannot record the ports in the state database\n");
		goto out;
	}
	snprintf(url, sizeof(url), "https://%s%s%s:%u", v6 ? "[" : "", a->listen, v6 ? "]" : "", srv.port);
	printf("certlink-server %s listening on %s (CA SHA-256 %s)\n", CERTLINK_VERSION, url, srv.ca->fp_hex);
	if (srv.http)
		printf("plain HTTP (the CRL at /ca.crl, SCEP) on port %u\n", srv.scep_port);
	if (!srv_admin_token_exists(db)) {
		if (new_admin_token(db, a, url) != 0)
			goto out;
	} else {
		printf("admin page: %s/admin (token: see `certlink-server admin-token --reset`)\n", url);
	}
	fflush(stdout);
	snprintf(buf, sizeof(buf), "%u\n", srv.port);
	if (a->port_file && write_small(a->port_file, buf, 0644) != 0)
		goto out;
	snprintf(buf, sizeof(buf), "%u\n", srv.scep_port);
	if (a->scep_port_file && write_small(a->scep_port_file, buf, 0644) != 0)
		goto out;
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (a->pid_file && write_small(a->pid_file, buf, 0644) != 0)
		goto out;
	srv_log("ready");
	do {
		if (sigwait(&set, &sig) != 0)
			break;
	} while (sig == SIGHUP);
	srv_log("stopping on signal %d", sig);
	rc = 0;
out:
	srv_http_stop(&srv);
	/* No worker thread runs any more: nothing of a verified password stays in memory. */
	srv_pwcache_wipe();
	if (a->pid_file && rc == 0)
		unlink(a->pid_file);
	srv_ca_free(srv.ca);
	sqlite3_close(db);
	return rc;
}

static int cmd_admin_token(const struct args *a)
{
	struct cl_error err;
	sqlite3 *db = NULL;
	char marker[4096];
	int rc;

	if (!a->reset) {
		fprintf(
		    stderr,
		    "certlink-server: admin-token needs --reset (the token is stored hashed and cannot be "
		    "shown again)\n");
		return 2;
	}
	snprintf(marker, sizeof(marker), "%s/%s", a->state_dir, SRV_DB_FILE);
	if (access(marker, F_OK) != 0 || srv_db_open(a->state_dir, &db, &err) != CL_OK) {
		fprintf(stderr, "certlink-server: no state database in %s\n", a->state_dir);
		return 1;
	}
	rc = new_admin_token(db, a, NULL) == 0 ? 0 : 1;
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	struct args a = { .listen = "127.0.0.1", .port = 8443, .threads = 8, .max_open = 1024 };
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	struct rlimit rl;
	int rest_argc = 0, rc;

	umask(077);
	if (!rest || parse(argc, argv, &a, &rest_argc, rest) != 0) {
		free(rest);
		return 2;
	}
	if (rest_argc == 0 || !strcmp(rest[0], "--help") || !strcmp(rest[0], "help")) {
		usage(rest_argc ? stdout : stderr);
		free(rest);
		return rest_argc ? 0 : 2;
	}
	if (!a.state_dir) {
		fprintf(stderr, "certlink-server: --state-dir DIR is required\n");
		free(rest);
		return 2;
	}
	/* Every connection is a descriptor: raise the soft limit to what the connection cap needs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!strcmp(rest[0], "serve"))
		rc = cmd_serve(&a);
	else if (!strcmp(rest[0], "init"))
		rc = cmd_init(&a);
	else if (!strcmp(rest[0], "admin-token"))
		rc = cmd_admin_token(&a);
	else if ((rc = srv_cli_run(a.state_dir, rest_argc, rest)) == -1) {
		fprintf(stderr, "certlink-server: unknown command \"%s\"\n", rest[0]);
		usage(stderr);
		rc = 2;
	}
	free(rest);
	return rc;
}
