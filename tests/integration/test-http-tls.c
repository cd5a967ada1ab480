/* Integration test of core/http-session.c and core/http-identity.c: establishing the server's identity
 * against a real TLS peer, `openssl s_server -WWW` (Debian openssl), on a loopback port the OS picks.
 *
 * The test makes its own CAs and server certificates with the openssl command in a directory given as
 * argv[1], serves GET /api/v1/ca from a file, and checks: trust from certlink's trust directory and from the
 * system bundle, refusal without trust, pin match, pin mismatch (unknown pin, and a server that lists the
 * pinned CA but presents another chain), the question callback (yes once, yes and remember, no), a host
 * name mismatch that is refused without asking, that system trust is kept next to a pin, and - with an
 * in-process TLS responder that logs every byte it decrypts - that no password reaches a server whose
 * identity was not established.
 */
#include "http-private.h"
#include "knownservers.h"
#include "proto.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "check.h"
#include "responder.h"

static const char *dir;
static struct cl_error err;

/* ---- fixtures ---- */

static int run(const char *const argv[])
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		if (chdir(dir) != 0)
			_exit(127);
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static bool make_ca(const char *name, const char *cn)
{
	char key[64], crt[64], subj[128];
	const char *argv[] = { "openssl",
		               "req",
		               "-x509",
		               "-newkey",
		               "ec",
		               "-pkeyopt",
		               "ec_paramgen_curve:P-256",
		               "-nodes",
		               "-keyout",
		               key,
		               "-out",
		               crt,
		               "-subj",
		               subj,
		               "-days",
		               "2",
		               "-addext",
		               "basicConstraints=critical,CA:TRUE",
		               "-addext",
		               "keyUsage=critical,keyCertSign,cRLSign",
		               NULL };

	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(crt, sizeof(crt), "%s.pem", name);
	snprintf(subj, sizeof(subj), "/CN=%s", cn);
	return run(argv) == 0;
}

/* A server certificate for 127.0.0.1 only (no DNS name), signed by ca. */
static bool make_server(const char *name, const char *ca)
{
	char key[64], csr[64], crt[64], ca_crt[64], ca_key[64];
	const char *req[] = {
		"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", key,   "-out",    csr,  "-subj",    "/CN=127.0.0.1",           NULL
	};
	const char *sign[] = { "openssl",    "x509", "-req",   "-in",  csr,
		               "-CA",        ca_crt, "-CAkey", ca_key, "-CAcreateserial",
		               "-out",       crt,    "-days",  "2",    "-extfile",
		               "server.ext", NULL };
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/server.ext", dir);
	if (!(f = fopen(path, "w")))
		return false;
	fputs("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n", f);
	fclose(f);
	snprintf(key, sizeof(key), "%s.key", name);
	snprintf(csr, sizeof(csr), "%s.csr", name);
	snprintf(crt, sizeof(crt), "%s.pem", name);
	snprintf(ca_crt, sizeof(ca_crt), "%s.pem", ca);
	snprintf(ca_key, sizeof(ca_key), "%s.key", ca);
	return run(req) == 0 && run(sign) == 0;
}

static char *slurp(const char *name)
{
	char path[512];
	FILE *f;
	char *buf = calloc(1, 65536);

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (buf && (f = fopen(path, "r"))) {
		size_t n = fread(buf, 1, 65535, f);

		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static void write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	if ((f = fopen(path, "w"))) {
		fputs(text, f);
		fclose(f);
	}
}

/* www/NAME/api/v1/ca listing the given CA certificates. */
static void write_ca_list(const char *www, const char *ca1, const char *ca2)
{
	const char *cas[] = { ca1, ca2 };
	char path[512], json[65536];
	size_t n = (size_t)snprintf(json, sizeof(json), "{\"certificates\":[");

	for (int i = 0; i < 2 && cas[i]; i++) {
		char file[64], *pem;

		snprintf(file, sizeof(file), "%s.pem", cas[i]);
		pem = slurp(file);
		n += (size_t)snprintf(json + n, sizeof(json) - n, "%s{\"pem\":\"", i ? "," : "");
		for (char *p = pem; *p && n < sizeof(json) - 64; p++)
			n += (size_t)snprintf(json + n, sizeof(json) - n, *p == '\n' ? "\\n" : "%c", *p);
		n += (size_t)snprintf(json + n, sizeof(json) - n, "\",\"role\":\"root\"}");
		free(pem);
	}
	snprintf(json + n, sizeof(json) - n, "]}");
	snprintf(path, sizeof(path), "%s/www-%s", dir, www);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/www-%s/api", dir, www);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/www-%s/api/v1", dir, www);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "www-%s/api/v1/ca", www);
	write_file(path, json);
}

/* ---- openssl s_server ---- */

struct sserver {
	pid_t pid;
	int out; /* its stdout: "ACCEPT host:port", then "FILE:path" per request */
	int port;
	char log[8192];
	size_t log_len;
};

static void sserver_read(struct sserver *s, int timeout_ms)
{
	struct pollfd p = { .fd = s->out, .events = POLLIN };
	ssize_t n;

	while (poll(&p, 1, timeout_ms) > 0 && s->log_len < sizeof(s->log) - 1 &&
	       (n = read(s->out, s->log + s->log_len, sizeof(s->log) - 1 - s->log_len)) > 0) {
		s->log_len += (size_t)n;
		s->log[s->log_len] = '\0';
		if (strstr(s->log, "ACCEPT") && strchr(strstr(s->log, "ACCEPT"), '\n'))
			timeout_ms = 0;
	}
}

static bool sserver_start(struct sserver *s, const char *www, const char *cert)
{
	char wdir[512], crt[64], key[64], *accept;
	int pipefd[2];

	memset(s, 0, sizeof(*s));
	snprintf(wdir, sizeof(wdir), "%s/www-%s", dir, www);
	snprintf(crt, sizeof(crt), "../%s.pem", cert);
	snprintf(key, sizeof(key), "../%s.key", cert);
	if (pipe(pipefd) != 0)
		return false;
	s->pid = fork();
	if (s->pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2); /* "FILE:path" lines go to stderr */
		close(pipefd[0]);
		if (chdir(wdir) == 0)
			execlp("openssl", "openssl", "s_server", "-accept", "127.0.0.1:0", "-cert", crt,
			       "-key", key, "-WWW", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	s->out = pipefd[0];
	sserver_read(s, 10000);
	accept = strstr(s->log, "ACCEPT 127.0.0.1:");
	s->port = accept ? atoi(accept + 17) : 0;
	return s->pid > 0 && s->port > 0;
}

static void sserver_stop(struct sserver *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	close(s->out);
}

/* Number of requests s_server served (one "FILE:" line each). */
static int sserver_requests(struct sserver *s)
{
	int n = 0;

	sserver_read(s, 100);
	if (getenv("CL_TEST_VERBOSE"))
		fprintf(stderr, "s_server log:\n%s\n", s->log);
	for (const char *p = s->log; (p = strstr(p, "FILE:")); p++)
		n++;
	return n;
}

/* ---- sessions ---- */

struct asker {
	enum cl_http_answer answer;
	int asked;
	struct cl_http_peer peer;
	char host[256]; /* peer.host is valid only during the call */
};

static enum cl_http_answer ask(void *data, const struct cl_http_peer *peer)
{
	struct asker *a = data;

	a->asked++;
	a->peer = *peer;
	snprintf(a->host, sizeof(a->host), "%s", peer->host);
	a->peer.host = a->host;
	return a->answer;
}

static char trust_dir[512], remember_file[512], system_file[512], system_empty[512];

static struct cl_http_config config(int port)
{
	struct cl_http_config c = { .host = "127.0.0.1",
		                    .port = (unsigned)port,
		                    .system_ca_file = system_empty };

	c.opts.no_proxy = true;
	c.opts.max_attempts = 2;
	c.opts.backoff_base_ms = 10;
	c.opts.timeout_ms = 10000;
	return c;
}

static bool fingerprint_of(const char *name, unsigned char fp[32], char colon[96])
{
	char *pem = slurp(name);
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	unsigned int n = 0;
	bool ok = x && X509_digest(x, EVP_sha256(), fp, &n);

	for (int i = 0; ok && colon && i < 32; i++)
		snprintf(colon + 3 * i, 96 - 3 * (size_t)i, i < 31 ? "%02X:" : "%02X", fp[i]);
	X509_free(x);
	BIO_free(bio);
	free(pem);
	return ok;
}

static char debug_log[64 * 1024];

static void debug_line(void *data, const char *line)
{
	char *log = data;
	size_t len = strlen(log);

	snprintf(log + len, sizeof(debug_log) - len, "%s\n", line);
}

static enum cl_status establish(struct cl_http_config *c, enum cl_http_trust *source)
{
	struct cl_http *h = cl_http_new(c, &err);
	struct cl_http_response resp = { 0 };
	enum cl_status st;

	if (!h)
		return CL_E_UNEXPECTED;
	st = cl_http_establish(h, &err);
	if (getenv("CL_TEST_VERBOSE"))
		fprintf(stderr, "establish: %s [%s] %s\n", cl_status_name(st), err.code, err.msg);
	*source = cl_http_trust_source(h, NULL, NULL);
	/* Once established, ordinary verified requests work; before, none is possible. */
	if (st == CL_OK) {
		CHECK_INT_EQ(cl_http_get(h, "/api/v1/ca", NULL, 0, &resp, NULL), CL_OK);
		CHECK_INT_EQ(resp.status, 200);
	} else {
		CHECK_INT_EQ(cl_http_get(h, "/api/v1/ca", NULL, 0, &resp, NULL), CL_E_UNEXPECTED);
	}
	cl_http_response_free(&resp);
	cl_http_free(h);
	return st;
}

static void test_trust(int port)
{
	const char *dirs[] = { trust_dir, NULL };
	struct cl_http_config c = config(port);
	enum cl_http_trust source;

	/* Nothing trusts CA A, nobody to ask: refused (zero-touch). */
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "identity_unknown");
	CHECK(strstr(err.msg, "server identity could not be established") != NULL);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_NONE);

	/* An anchors directory (trust anchors someone agreed to, core/anchor.h) holds CA A. */
	c.anchor_dirs = dirs;
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_SYSTEM);

	/* The system bundle holds CA A. */
	c = config(port);
	c.system_ca_file = system_file;
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_SYSTEM);
}

static void test_pin(int port_a, int port_liar)
{
	struct cl_http_config c = config(port_a);
	enum cl_http_trust source;
	struct cl_http *h;
	unsigned char fp[32];
	bool has_ca = false;

	CHECK(fingerprint_of("caA.pem", c.pin, NULL));
	c.have_pin = true;
	c.opts.debug = debug_line;
	c.opts.debug_data = debug_log;
	debug_log[0] = '\0';
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_PIN);
	CHECK(strstr(debug_log, "server identity of https://127.0.0.1:") != NULL);
	CHECK(strstr(debug_log, ": the link's pinned CA\n") != NULL);
	CHECK(strstr(debug_log, "> GET /api/v1/ca HTTP/1.1") != NULL);
	CHECK(strstr(debug_log, "BEGIN CERTIFICATE") == NULL); /* bodies never reach the log */
	c.opts.debug = NULL;
	h = cl_http_new(&c, &err);
	CHECK_INT_EQ(cl_http_establish(h, &err), CL_OK);
	CHECK_INT_EQ(cl_http_trust_source(h, fp, &has_ca), CL_HTTP_TRUST_PIN);
	CHECK(has_ca && memcmp(fp, c.pin, 32) == 0);
	CHECK(cl_http_trust_pem(h, NULL) != NULL);
	cl_http_free(h);

	/* A pin nobody serves: refused, never a question. */
	struct asker yes = { .answer = CL_HTTP_ANSWER_ONCE };

	c.ask = ask;
	c.ask_data = &yes;
	CHECK(fingerprint_of("caB.pem", c.pin, NULL));
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "pin_mismatch");
	CHECK_INT_EQ(yes.asked, 0);

	/* The server lists the pinned CA B but its TLS chain comes from A: refused. */
	c.port = (unsigned)port_liar;
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "pin_mismatch");
	CHECK(strstr(err.msg, "does not verify") != NULL);
	CHECK_INT_EQ(yes.asked, 0);
}

static void test_question(int port, int port_other)
{
	struct cl_http_config c = config(port);
	struct asker a = { .answer = CL_HTTP_ANSWER_NO };
	enum cl_http_trust source;
	const char *known[] = { remember_file, NULL };
	char colon[96], hex[65], *text;
	unsigned char fp[32], got[32];
	struct stat st;

	c.ask = ask;
	c.ask_data = &a;
	c.remember_file = remember_file;
	CHECK(fingerprint_of("caA.pem", fp, colon));
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", fp[i]);

	/* No: cancelled, nothing trusted, nothing remembered. */
	CHECK_INT_EQ(establish(&c, &source), CL_E_CANCELLED);
	CHECK_STR_EQ(err.code, "declined");
	CHECK_INT_EQ(a.asked, 1);
	CHECK_STR_EQ(a.peer.host, "127.0.0.1");
	CHECK_INT_EQ(a.peer.port, port);
	CHECK_STR_EQ(a.peer.sha256,
	             colon); /* CA A, found through GET /api/v1/ca: s_server sends the leaf only */
	CHECK_STR_EQ(a.peer.subject, "CN=certlink test CA A");
	CHECK_STR_EQ(a.peer.issuer, "CN=certlink test CA A");

	/* Yes, once. */
	a.answer = CL_HTTP_ANSWER_ONCE;
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_PERSON);
	CHECK(stat(remember_file, &st) != 0); /* nothing written */

	/* Yes, and remember: bound to this host and port, in the known-servers file (0600), as a fingerprint,
	 * not as a CA file anybody would read as an anchor. */
	a.answer = CL_HTTP_ANSWER_REMEMBER;
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK(stat(remember_file, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0777) == 0600);
	text = slurp("remembered/known-servers.json");
	CHECK(text && strstr(text, "\"127.0.0.1\"") && strstr(text, hex));
	free(text);
	CHECK(cl_known_servers_find(remember_file, "127.0.0.1", (unsigned)port, got) &&
	      memcmp(got, fp, 32) == 0);
	CHECK(!cl_known_servers_find(remember_file, "127.0.0.1", (unsigned)port_other, got));
	CHECK(!cl_known_servers_find(remember_file, "localhost", (unsigned)port, got));

	/* The next run to the same host and port: trusted without asking, like a pin. */
	a.asked = 0;
	c.known_servers = known;
	CHECK_INT_EQ(establish(&c, &source), CL_OK);
	CHECK_INT_EQ(source, CL_HTTP_TRUST_REMEMBERED);
	CHECK_INT_EQ(a.asked, 0);

	/* Another port of the same host, whose server chains to the same CA A: the remembered CA does not
	 * count there. Zero-touch: refused. */
	c = config(port_other);
	c.known_servers = known;
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "identity_unknown");
	/* With someone to ask, it is a question, not a yes. */
	a.asked = 0;
	a.answer = CL_HTTP_ANSWER_NO;
	c.ask = ask;
	c.ask_data = &a;
	CHECK_INT_EQ(establish(&c, &source), CL_E_CANCELLED);
	CHECK_INT_EQ(a.asked, 1);

	/* "localhost" is not in the certificate: refused without asking, even with CA A remembered. */
	c = config(port);
	c.host = "localhost";
	c.known_servers = known;
	c.ask = ask;
	c.ask_data = &a;
	a.asked = 0;
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "tls_verify");
	CHECK_INT_EQ(a.asked, 0);
}

/* A CA remembered for a server it no longer presents: never silently accepted. */
static void test_remembered_mismatch(int port_c)
{
	struct cl_http_config c = config(port_c);
	struct asker a = { .answer = CL_HTTP_ANSWER_NO };
	const char *known[] = { remember_file, NULL };
	enum cl_http_trust source;
	unsigned char fp[32];
	struct cl_error e;

	/* remember CA A for server C's port, whose chain is C's */
	CHECK(fingerprint_of("caA.pem", fp, NULL));
	CHECK_INT_EQ(
	    cl_known_servers_remember(remember_file, 0700, "127.0.0.1", (unsigned)port_c, fp, "CN=A", &e),
	    CL_OK);
	c.known_servers = known;
	CHECK_INT_EQ(establish(&c, &source), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "pin_mismatch");
	c.ask = ask;
	c.ask_data = &a;
	CHECK_INT_EQ(establish(&c, &source), CL_E_CANCELLED);
	CHECK_INT_EQ(a.asked, 1);
	CHECK_STR_EQ(a.peer.subject, "CN=certlink test CA C");
}

/* A pinned session trusts the pinned CA alone: its anchors do not verify server C, whose CA is in the
 * system bundle (docs/links.md: with `ca=`, only chains ending in that CA). */
static void test_pin_is_the_only_anchor(int port_a, int port_c)
{
	struct cl_http_config c = config(port_a);
	struct cl_http_request req = { .url = NULL };
	struct cl_http_options o = { .no_proxy = true, .max_attempts = 1 };
	struct cl_http_response resp;
	char url[128];
	struct cl_http *h;

	c.system_ca_file = system_file; /* holds CA C (and A) */
	c.have_pin = true;
	CHECK(fingerprint_of("caA.pem", c.pin, NULL));
	h = cl_http_new(&c, &err);
	CHECK_INT_EQ(cl_http_establish(h, &err), CL_OK);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d/api/v1/ca", port_c);
	req.url = url;
	req.opts = &o;
	req.ca_pem = cl_http_trust_pem(h, &req.ca_pem_len);
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "tls_verify");
	cl_http_response_free(&resp);
	/* Control: with the system bundle as anchors, server C is trusted. */
	req.ca_pem = slurp("system-bundle.pem");
	req.ca_pem_len = strlen(req.ca_pem);
	CHECK_INT_EQ(cl_http_request(&req, &resp, &err), CL_OK);
	CHECK_INT_EQ(resp.status, 200);
	cl_http_response_free(&resp);
	free((void *)req.ca_pem);
	cl_http_free(h);
}

/* ---- nothing secret reaches an unestablished server ---- */

static SSL_CTX *responder_tls(const char *cert)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	char crt[512], key[512];

	snprintf(crt, sizeof(crt), "%s/%s.pem", dir, cert);
	snprintf(key, sizeof(key), "%s/%s.key", dir, cert);
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, crt) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static enum cl_status apply_with(struct cl_http_config *c, struct asker *a, struct responder *r)
{
	struct cl_proto_apply req = { .client_request_id = "0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11",
		                      .user = "alice",
		                      .password = "hunter2-never-sent",
		                      .store = "user",
		                      .apid = "K7Q2M4XR9T3VWZ5B" };
	struct cl_proto_application app;
	struct cl_http *h;
	enum cl_status st;

	c->port = (unsigned)r->port;
	c->ask = a ? ask : NULL;
	c->ask_data = a;
	h = cl_http_new(c, &err);
	cl_http_establish(h, &err);
	st = cl_proto_apply(h, &req, &app, &err);
	cl_proto_application_clear(&app);
	cl_http_free(h);
	return st;
}

/* The attack behind test_pin_is_the_only_anchor(): a server passes the pin check on its first connection
 * and presents a certificate the system trusts (CA C) on the next, which carries the password. A pinned
 * session must not send it. */
static void test_pin_then_switch(void)
{
	static char ca_json[65536];
	struct responder_step steps[] = { { .status = 200, .body = ca_json } };
	struct responder r;
	struct cl_http_config c = config(0);
	SSL_CTX *tls_a = responder_tls("srvA"), *tls_c = responder_tls("srvC");
	char *list = slurp("www-A/api/v1/ca");

	snprintf(ca_json, sizeof(ca_json), "%s", list);
	free(list);
	CHECK(tls_a && tls_c);
	c.system_ca_file = system_file; /* the system trusts CA C */
	c.have_pin = true;
	CHECK(fingerprint_of("caA.pem", c.pin, NULL));
	CHECK(responder_start_switching(&r, steps, 1, tls_a, tls_c));
	CHECK_INT_EQ(apply_with(&c, NULL, &r), CL_E_UNREACHABLE);
	CHECK_STR_EQ(err.code, "tls_verify");
	responder_stop(&r);
	CHECK(responder_saw(&r, "GET /api/v1/ca HTTP/1.1")); /* the pin check passed on connection 1 */
	CHECK(!responder_saw(&r, "POST"));
	CHECK(!responder_saw(&r, "hunter2"));
	/* Control: the same server keeping CA A's certificate gets the apply. */
	CHECK(responder_start_switching(&r, steps, 1, tls_a, tls_a));
	apply_with(&c, NULL, &r);
	responder_stop(&r);
	CHECK(responder_saw(&r, "\"password\":\"hunter2-never-sent\""));
	SSL_CTX_free(tls_a);
	SSL_CTX_free(tls_c);
}

static void test_no_secret_leaves(void)
{
	static char ca_json[65536];
	struct responder_step steps[] = { { .status = 200, .body = ca_json } };
	struct responder r;
	struct asker no = { .answer = CL_HTTP_ANSWER_NO }, yes = { .answer = CL_HTTP_ANSWER_ONCE };
	struct cl_http_config c = config(0);
	SSL_CTX *tls = responder_tls("srvA");
	char *list = slurp("www-A/api/v1/ca");

	snprintf(ca_json, sizeof(ca_json), "%s", list);
	free(list);
	CHECK(tls != NULL);

	/* Zero-touch: no request at all (the verified handshake fails). "No": only the probe's plain GET. */
	for (int i = 0; i < 2; i++) {
		CHECK(responder_start(&r, steps, 1, tls));
		CHECK_INT_EQ(apply_with(&c, i ? &no : NULL, &r), CL_E_UNEXPECTED);
		responder_stop(&r);
		CHECK(responder_saw(&r, "GET /api/v1/ca HTTP/1.1") == (i == 1));
		CHECK(!responder_saw(&r, "POST"));
		CHECK(!responder_saw(&r, "hunter2"));
		CHECK(!responder_saw(&r, "Authorization"));
		CHECK(!responder_saw(&r, "alice"));
	}
	CHECK_INT_EQ(no.asked, 1);

	/* Control: after a yes the apply does reach the server, so the log would have shown a leak. */
	CHECK(responder_start(&r, steps, 1, tls));
	apply_with(&c, &yes, &r);
	responder_stop(&r);
	CHECK(responder_saw(&r, "POST /api/v1/applications HTTP/1.1"));
	CHECK(responder_saw(&r, "\"password\":\"hunter2-never-sent\""));
	SSL_CTX_free(tls);
}

static bool setup(void)
{
	char *a, *cc, both[16384];

	snprintf(trust_dir, sizeof(trust_dir), "%s/trust", dir);
	snprintf(remember_file, sizeof(remember_file), "%s/remembered/known-servers.json", dir);
	snprintf(system_file, sizeof(system_file), "%s/system-bundle.pem", dir);
	snprintf(system_empty, sizeof(system_empty), "%s/system-empty.pem", dir);
	if (!make_ca("caA", "certlink test CA A") || !make_ca("caB", "certlink test CA B") ||
	    !make_ca("caC", "certlink test CA C") || !make_server("srvA", "caA") ||
	    !make_server("srvC", "caC"))
		return false;
	mkdir(trust_dir, 0700);
	a = slurp("caA.pem");
	cc = slurp("caC.pem");
	write_file("trust/caA.pem", a);
	write_file("trust/notes.txt", "not a certificate, not a .pem: ignored");
	write_file("system-empty.pem", "");
	snprintf(both, sizeof(both), "%s%s", cc, a);
	write_file("system-bundle.pem", both);
	free(a);
	free(cc);
	write_ca_list("A", "caA", NULL);
	write_ca_list("liar", "caB", NULL);
	write_ca_list("C", "caC", NULL);
	return true;
}

int main(int argc, char **argv)
{
	struct sserver a, a2, liar, c;
	char cmd[600];

	if (argc != 2)
		return 2;
	dir = argv[1];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", dir, dir);
	if (system(cmd) != 0 || !setup()) {
		fprintf(stderr, "cannot create test certificates with openssl in %s\n", dir);
		return 1;
	}
	CHECK(sserver_start(&a, "A", "srvA"));
	CHECK(sserver_start(&a2, "A", "srvA")); /* another port, the same CA */
	CHECK(sserver_start(&liar, "liar", "srvA"));
	CHECK(sserver_start(&c, "C", "srvC"));
	test_trust(a.port);
	test_pin(a.port, liar.port);
	test_question(a.port, a2.port);
	test_remembered_mismatch(c.port);
	test_pin_is_the_only_anchor(a.port, c.port);
	CHECK(sserver_requests(&a) > 10); /* s_server really served the sessions above */
	sserver_stop(&a);
	sserver_stop(&a2);
	sserver_stop(&liar);
	sserver_stop(&c);
	test_no_secret_leaves();
	test_pin_then_switch();
	return check_done();
}
