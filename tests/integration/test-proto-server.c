/* Integration test of the protocol client (core/proto.c, core/http*.c) against the reference server.
 *
 *   test-proto-server SCRATCH_DIR PATH_TO_CERTLINK_SERVER
 *
 * Starts `certlink-server serve` on --port 0 with a port file in a fresh state directory, adds a user with
 * the admin command line (password through a file, never argv), and runs the client's operations in the
 * order a front end does: identity by the CA pin, config, CA list, apply (and its idempotent replay), status,
 * activate before approval (poll result), approve, activate, withdraw, reapply, plus a wrong password and a
 * zero-touch session without trust. Stops the server by PID.
 */
#include "proto.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>

#include "check.h"

static const char *dir, *server;
static char state[512];
static struct cl_error err;
static pid_t server_pid;

static int run(const char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int admin(const char *cmd, const char *arg, const char *opt, const char *opt_value)
{
	const char *argv[] = { server, cmd, "--state-dir", state, arg, opt, opt_value, NULL };

	return run(argv);
}

static int read_int_file(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = 0;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = 0;
		fclose(f);
	}
	return v;
}

static int start_server(void)
{
	char port_file[600], pid_file[600], token_file[600], log[600];
	const char *argv[] = { server,        "serve",   "--state-dir", state,    "--port",       "0",
		               "--port-file", port_file, "--pid-file",  pid_file, "--token-file", token_file,
		               NULL };
	int port = 0;

	snprintf(port_file, sizeof(port_file), "%s/port", dir);
	snprintf(pid_file, sizeof(pid_file), "%s/pid", dir);
	snprintf(token_file, sizeof(token_file), "%s/admin-token", dir);
	snprintf(log, sizeof(log), "%s/server.log", dir);
	server_pid = fork();
	if (server_pid == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600), null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(out, 1);
		dup2(out, 2);
		execv(server, (char *const *)argv);
		_exit(127);
	}
	/* Up to 60 s: the first start makes the CA and TLS keys. */
	for (int i = 0; i < 1200 && server_pid > 0 && (port = read_int_file(port_file)) == 0; i++) {
		if (waitpid(server_pid, NULL, WNOHANG) == server_pid)
			return 0;
		usleep(50 * 1000);
	}
	return port;
}

static void stop_server(void)
{
	int status = -1;

	if (server_pid <= 0)
		return;
	kill(server_pid, SIGTERM);
	waitpid(server_pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static bool ca_pin(unsigned char pin[32])
{
	char path[600];
	FILE *f;
	X509 *x = NULL;
	unsigned int n = 0;
	bool ok;

	snprintf(path, sizeof(path), "%s/ca.pem", state);
	if ((f = fopen(path, "r"))) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	ok = x && X509_digest(x, EVP_sha256(), pin, &n) && n == 32;
	X509_free(x);
	return ok;
}

static struct cl_http *session(int port, bool pinned)
{
	struct cl_http_config c = { .host = "127.0.0.1",
		                    .port = (unsigned)port,
		                    .system_ca_file = "/nonexistent" };
	struct cl_http *h;

	c.have_pin = pinned && ca_pin(c.pin);
	c.opts.no_proxy = true;
	c.opts.max_attempts = 3;
	c.opts.backoff_base_ms = 50;
	h = cl_http_new(&c, &err);
	if (h && cl_http_establish(h, &err) != CL_OK) {
		fprintf(stderr, "establish: %s\n", err.msg);
		cl_http_free(h);
		return NULL;
	}
	return h;
}

static void test_identity(int port)
{
	struct cl_http_config c = { .host = "127.0.0.1",
		                    .port = (unsigned)port,
		                    .system_ca_file = "/nonexistent" };
	struct cl_http *h;
	unsigned char fp[32];
	bool has_ca = false;

	c.opts.no_proxy = true;
	h = cl_http_new(&c, &err);
	CHECK_INT_EQ(cl_http_establish(h, &err), CL_E_UNREACHABLE); /* zero-touch, no pin, no trust */
	CHECK_STR_EQ(err.code, "identity_unknown");
	cl_http_free(h);
	c.have_pin = true;
	memset(c.pin, 0xab, sizeof(c.pin));
	h = cl_http_new(&c, &err);
	CHECK_INT_EQ(cl_http_establish(h, &err), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "pin_mismatch");
	cl_http_free(h);
	h = session(port, true);
	CHECK(h != NULL);
	CHECK_INT_EQ(cl_http_trust_source(h, fp, &has_ca), CL_HTTP_TRUST_PIN);
	cl_http_free(h);
}

static void test_config_ca(struct cl_http *h)
{
	struct cl_proto_config c;
	struct cl_proto_ca ca;
	unsigned char pin[32];
	bool found = false;

	CHECK_INT_EQ(cl_proto_get_config(h, &c, &err), CL_OK);
	CHECK_INT_EQ(c.protocol, 1);
	CHECK(c.key.type[0] != '\0');
	CHECK_INT_EQ(cl_proto_get_ca(h, &ca, &err), CL_OK);
	CHECK(ca.n >= 1 && ca_pin(pin));
	for (size_t i = 0; i < ca.n; i++)
		found = found || memcmp(ca.certs[i].sha256, pin, 32) == 0;
	CHECK(found);
	cl_proto_ca_clear(&ca);
}

static void test_lifecycle(struct cl_http *h)
{
	struct cl_proto_apply req = { .client_request_id = "6f0c5a0e-2b7d-4c55-9a0c-0d5a3e9b1f21",
		                      .user = "alice",
		                      .password = "correct horse",
		                      .store = "user",
		                      .reason =
		                          "[pc01]/[alice@corp.example]/[00:11:22:33:44:55]/[user]: test",
		                      .apid = "K7Q2M4XR9T3VWZ5B" };
	struct cl_proto_device dev = { .hostname = "pc01", .user = "alice", .client = "certlink test" };
	struct cl_proto_application a, again, st;
	static struct cl_proto_activation act;
	long retry_after = -1;

	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_OK);
	CHECK_INT_EQ(a.state, CL_PROTO_PENDING);
	CHECK(strlen(a.secret) >= CL_PROTO_SECRET_MIN);
	CHECK_INT_EQ(cl_proto_apply(h, &req, &again, &err),
	             CL_OK); /* same client_request_id: same application */
	CHECK_STR_EQ(again.id, a.id);
	cl_proto_application_clear(&again);

	CHECK_INT_EQ(cl_proto_status(h, a.id, a.secret, &st, &err), CL_OK);
	CHECK_INT_EQ(st.state, CL_PROTO_PENDING);
	CHECK_INT_EQ(cl_proto_activate(h, a.id, a.secret, &dev, &act, &retry_after, &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.code, "not_approved");
	CHECK(retry_after >= 0);
	CHECK_INT_EQ(cl_proto_status(h, a.id, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &st, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "invalid_secret");

	CHECK_INT_EQ(admin("approve", a.id, NULL, NULL), 0);
	CHECK_INT_EQ(cl_proto_status(h, a.id, a.secret, &st, &err), CL_OK);
	CHECK_INT_EQ(st.state, CL_PROTO_APPROVED);
	CHECK_INT_EQ(cl_proto_activate(h, a.id, a.secret, &dev, &act, &retry_after, &err), CL_OK);
	CHECK(act.challenge[0] != '\0');
	CHECK(strstr(act.scep_url, "/scep") != NULL);
	CHECK(act.n_subject >= 1);
	CHECK(act.key.type[0] != '\0');
	cl_proto_activation_clear(&act);

	CHECK_INT_EQ(cl_proto_withdraw(h, a.id, a.secret, NULL, &st, &err), CL_OK);
	CHECK_INT_EQ(st.state, CL_PROTO_WITHDRAWN);
	CHECK_INT_EQ(cl_proto_withdraw(h, a.id, a.secret, NULL, &st, &err), CL_OK); /* idempotent */
	CHECK_INT_EQ(cl_proto_activate(h, a.id, a.secret, &dev, &act, NULL, &err), CL_E_REFUSED);
	CHECK_INT_EQ(cl_proto_reapply(h, a.id, a.secret, NULL, &st, &err), CL_OK);
	CHECK_INT_EQ(st.state, CL_PROTO_PENDING);
	cl_proto_application_clear(&a);

	req.client_request_id = "a3d9a7c4-6f0e-4d4e-8a4b-7f1e9c2d5b60";
	req.password = "wrong";
	CHECK_INT_EQ(cl_proto_apply(h, &req, &a, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.code, "invalid_credentials");
}

int main(int argc, char **argv)
{
	char cmd[1200], pwfile[600];
	struct cl_http *h;
	int port;
	FILE *f;

	if (argc != 3)
		return 2;
	dir = argv[1];
	server = argv[2];
	snprintf(state, sizeof(state), "%s/state", dir);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0)
		return 1;
	if ((port = start_server()) <= 0) {
		fprintf(stderr, "certlink-server did not start; see %s/server.log\n", dir);
		stop_server();
		return 1;
	}
	snprintf(pwfile, sizeof(pwfile), "%s/alice.pw", dir);
	if ((f = fopen(pwfile, "w"))) {
		fputs("correct horse\n", f);
		fclose(f);
	}
	CHECK_INT_EQ(admin("user-add", "alice", "--password-file", pwfile), 0);
	test_identity(port);
	h = session(port, true);
	CHECK(h != NULL);
	if (h) {
		test_config_ca(h);
		test_lifecycle(h);
	}
	cl_http_free(h);
	stop_server();
	return check_done();
}
