/* certlink-server load client for the enrollment benchmark (tests/bench/README.md). Not a test: it prints
 * figures. N enrollments start at once, all through one shared account: apply, activate, GetCACaps,
 * GetCACert, PKCSReq over HTTPS, each machine over one connection of its own (HTTP keep-alive, as certlink's
 * client keeps one). Connection failures, 429 and 503 are retried the way certlink's client does
 * (docs/protocol.md, core/http.c): Retry-After honoured up to 300 s, otherwise exponential backoff with full
 * jitter (base 1 s, cap 60 s), at most ATTEMPTS attempts per request (6, the client's default); connect
 * timeout CONNECT-TIMEOUT-S (15 s, the client's, TLS handshake included), 60 s per request. Anything else is
 * a failure. RSA keys come from a pool generated before the clock starts (key generation is client work, not
 * server work).
 *
 * Each machine is a thread; when one process may not hold the descriptors of all (three each), the fleet is
 * split over several processes that start together.
 *
 * The simulation's own costs are kept out of the server's way where that changes nothing the server sees:
 * the RA certificate of identical GetCACert answers is parsed once, and libcurl installs no signal
 * handlers. Its CPU time during the run is printed, so that the share of the two cores it took is known.
 *
 * usage: certlink-server-load URL CA-PEM USER PASSWORD-FILE N [KEYPOOL [ATTEMPTS [CONNECT-TIMEOUT-S]]]
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

struct buf {
	char *p;
	size_t len;
};

struct job {
	int index;
	double seconds;
	int ok;
	int retries;
	char why[256];
	char curl_error[CURL_ERROR_SIZE]; /* of the last failed connection */
};

static const char *base, *cafile, *user;
static char password[257];
static EVP_PKEY **keys;
static int n_keys;
static int nid_msgtype, nid_status, nid_txid, nid_snonce, nid_rnonce, nid_fail;
static pthread_barrier_t start_line;
static atomic_int retries_busy, retries_conn; /* after 429/503, after a failed connection */
static atomic_int conn_errors[CURL_LAST];     /* failed attempts by libcurl's code */
static int max_attempts = 6;
static long connect_timeout_ms = 15000; /* certlink's client: 15 s, TLS handshake included */
/* The RA certificate of the first GetCACert answer, and that answer's bytes. */
static pthread_mutex_t ra_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char *ra_body;
static size_t ra_len;
static X509 *ra_cert;

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	char *np;

	if (b->len + size * n > 4 * 1024 * 1024)
		return 0;
	np = realloc(b->p, b->len + size * n + 1);
	if (!np)
		return 0;
	b->p = np;
	memcpy(b->p + b->len, p, size * n);
	b->len += size * n;
	b->p[b->len] = '\0';
	return size * n;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned rnd32(void)
{
	unsigned r = 0;

	RAND_bytes((unsigned char *)&r, sizeof(r));
	return r;
}

/* certlink's client (core/http.c cl_http_backoff_ms): Retry-After up to 300 s, else full jitter. */
static long backoff_ms(int attempt, long retry_after)
{
	long ceiling = 1000;
	int i;

	if (retry_after > 0)
		return (retry_after < 300 ? retry_after : 300) * 1000L;
	for (i = 1; i < attempt && ceiling < 60000; i++)
		ceiling *= 2;
	if (ceiling > 60000)
		ceiling = 60000;
	return (long)((unsigned long long)rnd32() * (unsigned long long)(ceiling + 1) >> 32);
}

/* One HTTP exchange with retries on 429/503 and on connection failures. Returns the status. */
static long http(CURL *c, struct job *job, const char *method, const char *path, const char *auth,
                 const char *ctype, const void *body, size_t len, struct buf *out)
{
	char url[512], hdr_auth[300], hdr_ct[128];
	struct curl_slist *hdrs = NULL;
	long status = 0;
	int attempt;

	snprintf(url, sizeof(url), "%s%s", base, path);
	if (auth) {
		snprintf(hdr_auth, sizeof(hdr_auth), "Authorization: Bearer %s", auth);
		hdrs = curl_slist_append(hdrs, hdr_auth);
	}
	if (ctype) {
		snprintf(hdr_ct, sizeof(hdr_ct), "Content-Type: %s", ctype);
		hdrs = curl_slist_append(hdrs, hdr_ct);
	}
	for (attempt = 1;; attempt++) {
		curl_off_t wait = 0;
		long ms;
		free(out->p);
		out->p = NULL;
		out->len = 0;
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
		if (!strcmp(method, "POST")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		} else {
			curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		}
		curl_easy_setopt(c, CURLOPT_ERRORBUFFER, job->curl_error);
		CURLcode rc = curl_easy_perform(c);
		if (rc != CURLE_OK && rc < CURL_LAST)
			atomic_fetch_add(&conn_errors[rc], 1);
		if (rc == CURLE_OK) {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
			if (status != 429 && status != 503)
				break;
			curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &wait);
		} else {
			status = 0;
		}
		if (attempt >= max_attempts)
			break;
		job->retries++;
		atomic_fetch_add(status ? &retries_busy : &retries_conn, 1);
		ms = backoff_ms(attempt, (long)wait);
		struct timespec ts = { (time_t)(ms / 1000), (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	curl_slist_free_all(hdrs);
	return status;
}

/* The RA certificate (first in the degenerate PKCS#7) of a GetCACert answer. Every machine asks and checks
 * the answer; identical bytes are parsed only once. Caller frees. */
static X509 *ra_of(const struct buf *b)
{
	const unsigned char *p = (const unsigned char *)b->p;
	PKCS7 *p7;
	X509 *ra = NULL;

	pthread_mutex_lock(&ra_lock);
	if (ra_cert && ra_len == b->len && !memcmp(ra_body, b->p, b->len)) {
		X509_up_ref(ra_cert);
		ra = ra_cert;
	} else if ((p7 = d2i_PKCS7(NULL, &p, (long)b->len))) {
		if (PKCS7_type_is_signed(p7) && sk_X509_num(p7->d.sign->cert) > 0)
			ra = X509_dup(sk_X509_value(p7->d.sign->cert, 0));
		PKCS7_free(p7);
		if (ra && !ra_cert && (ra_body = malloc(b->len))) {
			memcpy(ra_body, b->p, b->len);
			ra_len = b->len;
			X509_up_ref(ra);
			ra_cert = ra;
		}
	}
	pthread_mutex_unlock(&ra_lock);
	return ra;
}

static void add_attr(PKCS7_SIGNER_INFO *si, int nid, int type, const void *data, int len)
{
	ASN1_STRING *s = ASN1_STRING_type_new(type);

	ASN1_STRING_set(s, data, len);
	PKCS7_add_signed_attribute(si, nid, type, s);
}

/* PKCSReq: CSR (subject from activation, challengePassword) enveloped to the RA, signed with a self-signed
 * certificate of the key. */
static unsigned char *pkcsreq(EVP_PKEY *key, const cJSON *subject, const char *challenge, X509 *ra,
                              char *txid, X509 **self_out, int *outlen)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	X509 *self = X509_new();
	STACK_OF(X509) *recips = sk_X509_new_null();
	unsigned char *der = NULL, *out = NULL, nonce[16], md[20];
	unsigned int mdlen;
	int len, i;
	const cJSON *rdn;
	BIO *bio;
	PKCS7 *env, *sig;
	PKCS7_SIGNER_INFO *si;

	cJSON_ArrayForEach(rdn, subject) X509_NAME_add_entry_by_txt(
	    name, cJSON_GetArrayItem(rdn, 0)->valuestring, MBSTRING_UTF8,
	    (const unsigned char *)cJSON_GetArrayItem(rdn, 1)->valuestring, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, key);
	X509_REQ_add1_attr_by_NID(req, NID_pkcs9_challengePassword, MBSTRING_UTF8,
	                          (const unsigned char *)challenge, -1);
	X509_REQ_sign(req, key, EVP_sha256());
	ASN1_INTEGER_set(X509_get_serialNumber(self), 1);
	X509_set_subject_name(self, name);
	X509_set_issuer_name(self, name);
	X509_gmtime_adj(X509_getm_notBefore(self), -300);
	X509_gmtime_adj(X509_getm_notAfter(self), 86400);
	X509_set_pubkey(self, key);
	X509_sign(self, key, EVP_sha256());
	len = i2d_X509_REQ(req, &der);
	sk_X509_push(recips, ra);
	bio = BIO_new_mem_buf(der, len);
	env = PKCS7_encrypt(recips, bio, EVP_aes_128_cbc(), PKCS7_BINARY);
	BIO_free(bio);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_PKCS7(env, &der);
	/* transactionID: hex SHA-1 of a random value, unique per enrollment (keys are shared from a pool). */
	RAND_bytes(nonce, sizeof(nonce));
	EVP_Digest(nonce, sizeof(nonce), md, &mdlen, EVP_sha1(), NULL);
	for (i = 0; i < 20; i++)
		sprintf(txid + 2 * i, "%02x", md[i]);
	RAND_bytes(nonce, sizeof(nonce));
	sig = PKCS7_sign(NULL, NULL, NULL, NULL, PKCS7_PARTIAL | PKCS7_BINARY | PKCS7_NOSMIMECAP);
	si = PKCS7_sign_add_signer(sig, self, key, EVP_sha256(), PKCS7_BINARY | PKCS7_NOSMIMECAP);
	add_attr(si, nid_txid, V_ASN1_PRINTABLESTRING, txid, 40);
	add_attr(si, nid_msgtype, V_ASN1_PRINTABLESTRING, "19", 2);
	add_attr(si, nid_snonce, V_ASN1_OCTET_STRING, nonce, 16);
	PKCS7_add_signed_attribute(si, NID_pkcs9_contentType, V_ASN1_OBJECT, OBJ_nid2obj(NID_pkcs7_data));
	bio = BIO_new_mem_buf(der, len);
	if (PKCS7_final(sig, bio, PKCS7_BINARY))
		*outlen = i2d_PKCS7(sig, &out);
	BIO_free(bio);
	OPENSSL_free(der);
	PKCS7_free(env);
	PKCS7_free(sig);
	sk_X509_free(recips);
	X509_REQ_free(req);
	X509_NAME_free(name);
	/* The self-signed certificate is needed to decrypt the answer. */
	*self_out = self;
	return out;
}

static const char *attr_text(PKCS7_SIGNER_INFO *si, int nid, char *buf, size_t n)
{
	ASN1_TYPE *t = PKCS7_get_signed_attribute(si, nid);

	if (!t || (t->type != V_ASN1_PRINTABLESTRING && t->type != V_ASN1_UTF8STRING))
		return NULL;
	snprintf(buf, n, "%.*s", t->value.asn1_string->length, t->value.asn1_string->data);
	return buf;
}

/* Verify the CertRep with the RA, decrypt the certificate, check its key. */
static int certrep(const struct buf *b, X509 *ra, X509 *self, EVP_PKEY *key, const char *txid, char *why,
                   size_t n)
{
	const unsigned char *p = (const unsigned char *)b->p;
	PKCS7 *sig = d2i_PKCS7(NULL, &p, (long)b->len), *env = NULL, *certs = NULL;
	STACK_OF(X509) *ras = sk_X509_new_null();
	STACK_OF(PKCS7_SIGNER_INFO) * sis;
	BIO *content = BIO_new(BIO_s_mem()), *plain = BIO_new(BIO_s_mem());
	char status[8] = "", tx[64] = "";
	unsigned char *data;
	long dlen;
	int ok = 0;

	sk_X509_push(ras, ra);
	if (!sig || PKCS7_verify(sig, ras, NULL, NULL, content, PKCS7_NOVERIFY | PKCS7_NOINTERN) != 1) {
		snprintf(why, n, "CertRep signature does not verify");
		goto out;
	}
	sis = PKCS7_get_signer_info(sig);
	attr_text(sk_PKCS7_SIGNER_INFO_value(sis, 0), nid_status, status, sizeof(status));
	attr_text(sk_PKCS7_SIGNER_INFO_value(sis, 0), nid_txid, tx, sizeof(tx));
	if (strcmp(tx, txid) || strcmp(status, "0")) {
		snprintf(why, n, "pkiStatus %s for transaction %s", status, tx);
		goto out;
	}
	dlen = BIO_get_mem_data(content, (char **)&data);
	p = data;
	env = d2i_PKCS7(NULL, &p, dlen);
	if (!env || PKCS7_decrypt(env, key, self, plain, 0) != 1) {
		snprintf(why, n, "cannot decrypt the CertRep");
		goto out;
	}
	dlen = BIO_get_mem_data(plain, (char **)&data);
	p = data;
	certs = d2i_PKCS7(NULL, &p, dlen);
	if (!certs || !PKCS7_type_is_signed(certs) || sk_X509_num(certs->d.sign->cert) < 1 ||
	    EVP_PKEY_eq(X509_get0_pubkey(sk_X509_value(certs->d.sign->cert, 0)), key) != 1) {
		snprintf(why, n, "no certificate for our key in the CertRep");
		goto out;
	}
	ok = 1;
out:
	PKCS7_free(sig);
	PKCS7_free(env);
	PKCS7_free(certs);
	BIO_free(content);
	BIO_free(plain);
	sk_X509_free(ras);
	return ok;
}

static void *enroll(void *arg)
{
	struct job *job = arg;
	CURL *c = curl_easy_init();
	struct buf b = { 0 };
	char body[1024], crid[40], secret[128] = "", id[80] = "", path[256], txid[64];
	cJSON *doc = NULL, *act = NULL;
	const char *challenge;
	X509 *ra = NULL, *self = NULL;
	unsigned char *msg = NULL;
	int msglen = 0;
	long st;
	double t0;
	EVP_PKEY *key = keys[job->index % n_keys];

	curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
	snprintf(crid, sizeof(crid), "bench-%d-%ld", job->index, (long)time(NULL));
	pthread_barrier_wait(&start_line);
	t0 = now();
	snprintf(body, sizeof(body),
	         "{\"client_request_id\":\"%s\",\"user\":\"%s\",\"password\":\"%s\",\"store\":\"user\","
	         "\"reason\":\"[bench%d]/[%s@bench]/[00:00:00:00:00:00]/[user]: load test\"}",
	         crid, user, password, job->index, user);
	st = http(c, job, "POST", "/api/v1/applications", NULL, "application/json", body, strlen(body), &b);
	doc = b.p ? cJSON_Parse(b.p) : NULL;
	if ((st != 201 && st != 200) || !doc) {
		snprintf(job->why, sizeof(job->why), "apply: HTTP %ld %.150s", st,
		         b.p ? b.p : job->curl_error);
		goto out;
	}
	snprintf(id, sizeof(id), "%s",
	         cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "application"), "id")->valuestring);
	snprintf(secret, sizeof(secret), "%s",
	         cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "application"), "secret")->valuestring);
	snprintf(path, sizeof(path), "/api/v1/applications/%s/activate", id);
	snprintf(body, sizeof(body), "{\"device\":{\"hostname\":\"bench%d\",\"client\":\"server-load\"}}",
	         job->index);
	st = http(c, job, "POST", path, secret, "application/json", body, strlen(body), &b);
	act = b.p ? cJSON_Parse(b.p) : NULL;
	if (st != 200 || !act) {
		snprintf(job->why, sizeof(job->why), "activate: HTTP %ld %.150s", st,
		         b.p ? b.p : job->curl_error);
		goto out;
	}
	challenge = cJSON_GetObjectItem(cJSON_GetObjectItem(act, "scep"), "challenge")->valuestring;
	st = http(c, job, "GET", "/scep?operation=GetCACaps", NULL, NULL, NULL, 0, &b);
	if (st != 200 || !strstr(b.p, "POSTPKIOperation")) {
		snprintf(job->why, sizeof(job->why), "GetCACaps: HTTP %ld %.150s", st,
		         st ? "" : job->curl_error);
		goto out;
	}
	st = http(c, job, "GET", "/scep?operation=GetCACert", NULL, NULL, NULL, 0, &b);
	if (st == 200)
		ra = ra_of(&b);
	if (!ra) {
		snprintf(job->why, sizeof(job->why), "GetCACert: HTTP %ld %.150s", st,
		         st ? "" : job->curl_error);
		goto out;
	}
	memset(txid, 0, sizeof(txid));
	msg = pkcsreq(key, cJSON_GetObjectItem(act, "subject"), challenge, ra, txid, &self, &msglen);
	st = http(c, job, "POST", "/scep?operation=PKIOperation", NULL, "application/x-pki-message", msg,
	          (size_t)msglen, &b);
	if (st != 200) {
		snprintf(job->why, sizeof(job->why), "PKIOperation: HTTP %ld %.150s", st,
		         b.p ? b.p : job->curl_error);
		goto out;
	}
	job->ok = certrep(&b, ra, self, key, txid, job->why, sizeof(job->why));
out:
	job->seconds = now() - t0;
	X509_free(self);
	OPENSSL_free(msg);
	X509_free(ra);
	cJSON_Delete(doc);
	cJSON_Delete(act);
	free(b.p);
	curl_easy_cleanup(c);
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* What a process of the load client reports to the first one. */
struct totals {
	int busy, conn;
	int errors[CURL_LAST];
	double cpu; /* seconds of CPU during the run */
};

static int write_all(int fd, const void *p, size_t len)
{
	const char *c = p;
	ssize_t w;

	while (len) {
		w = write(fd, c, len);
		if (w <= 0)
			return -1;
		c += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t len)
{
	char *c = p;
	ssize_t r;

	while (len) {
		r = read(fd, c, len);
		if (r <= 0)
			return -1;
		c += r;
		len -= (size_t)r;
	}
	return 0;
}

static double cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/* One process's share of the fleet: jobs[0..count), one thread each, started together when the first process
 * says go; the results go back over out. */
static void run_share(struct job *jobs, int count, int ready, int go, int out)
{
	pthread_t *threads = calloc((size_t)count, sizeof(*threads));
	struct totals t = { 0 };
	pthread_attr_t attr;
	double cpu0;
	char c = 'r';
	int i;

	pthread_barrier_init(&start_line, NULL, (unsigned)count + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (i = 0; i < count; i++)
		if (pthread_create(&threads[i], &attr, enroll, &jobs[i]) != 0) {
			fprintf(stderr, "cannot start thread %d\n", jobs[i].index);
			_exit(1);
		}
	if (write_all(ready, &c, 1) != 0 || read_all(go, &c, 1) != 0)
		_exit(1);
	cpu0 = cpu_seconds();
	pthread_barrier_wait(&start_line);
	for (i = 0; i < count; i++)
		pthread_join(threads[i], NULL);
	t.cpu = cpu_seconds() - cpu0;
	t.busy = atomic_load(&retries_busy);
	t.conn = atomic_load(&retries_conn);
	for (i = 0; i < CURL_LAST; i++)
		t.errors[i] = atomic_load(&conn_errors[i]);
	if (write_all(out, &t, sizeof(t)) != 0 || write_all(out, jobs, sizeof(*jobs) * (size_t)count) != 0)
		_exit(1);
	_exit(0);
}

int main(int argc, char **argv)
{
	struct job *jobs;
	struct totals all = { 0 }, t;
	double t0, elapsed, *lat;
	struct rlimit rl;
	int n, i, p, procs, per_proc, failures = 0, (*pipes)[3];
	pid_t *pids;
	FILE *f;
	char c;

	if (argc < 6) {
		fprintf(
		    stderr,
		    "usage: %s URL CA-PEM USER PASSWORD-FILE N [KEYPOOL [ATTEMPTS [CONNECT-TIMEOUT-S]]]\n",
		    argv[0]);
		return 2;
	}
	base = argv[1];
	cafile = argv[2];
	user = argv[3];
	f = fopen(argv[4], "r");
	if (!f || !fgets(password, sizeof(password), f))
		return 2;
	fclose(f);
	password[strcspn(password, "\r\n")] = '\0';
	n = atoi(argv[5]);
	n_keys = argc > 6 ? atoi(argv[6]) : 64;
	max_attempts = argc > 7 ? atoi(argv[7]) : 6;
	connect_timeout_ms = argc > 8 ? 1000L * atol(argv[8]) : 15000L;
	if (n < 1 || n_keys < 1 || max_attempts < 1)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	/* Each machine holds three descriptors: its connection, and the socket pair libcurl's easy interface
	 * keeps in its internal multi handle to be woken. When one process may not hold that many (the hard
	 * limit here is 20,000), the fleet is split over as many processes as it takes; running out showed as
	 * failed connections. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	per_proc =
	    getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > 1024 ? (int)((rl.rlim_cur - 512) / 3) : 300;
	procs = (n + per_proc - 1) / per_proc;
	nid_msgtype = OBJ_create("2.16.840.1.113733.1.9.2", "messageType", "messageType");
	nid_status = OBJ_create("2.16.840.1.113733.1.9.3", "pkiStatus", "pkiStatus");
	nid_fail = OBJ_create("2.16.840.1.113733.1.9.4", "failInfo", "failInfo");
	nid_snonce = OBJ_create("2.16.840.1.113733.1.9.5", "senderNonce", "senderNonce");
	nid_rnonce = OBJ_create("2.16.840.1.113733.1.9.6", "recipientNonce", "recipientNonce");
	nid_txid = OBJ_create("2.16.840.1.113733.1.9.7", "transID", "transID");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	fprintf(stderr, "generating %d RSA 2048 keys...\n", n_keys);
	keys = calloc((size_t)n_keys, sizeof(*keys));
	for (i = 0; i < n_keys; i++)
		keys[i] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	jobs = calloc((size_t)n, sizeof(*jobs));
	lat = calloc((size_t)n, sizeof(*lat));
	pids = calloc((size_t)procs, sizeof(*pids));
	pipes = calloc((size_t)procs, sizeof(*pipes));
	for (i = 0; i < n; i++)
		jobs[i].index = i;
	for (p = 0; p < procs; p++) {
		int ready[2], go[2], out[2], first = p * n / procs, count = (p + 1) * n / procs - first;
		if (pipe(ready) || pipe(go) || pipe(out) || (pids[p] = fork()) < 0) {
			fprintf(stderr, "cannot start load process %d\n", p);
			return 1;
		}
		if (pids[p] == 0) {
			close(ready[0]);
			close(go[1]);
			close(out[0]);
			run_share(jobs + first, count, ready[1], go[0], out[1]);
		}
		close(ready[1]);
		close(go[0]);
		close(out[1]);
		pipes[p][0] = ready[0];
		pipes[p][1] = go[1];
		pipes[p][2] = out[0];
	}
	for (p = 0; p < procs; p++)
		if (read_all(pipes[p][0], &c, 1) != 0)
			return 1;
	fprintf(stderr, "%d enrollments start now (%d process%s)\n", n, procs, procs > 1 ? "es" : "");
	t0 = now();
	for (p = 0; p < procs; p++)
		write_all(pipes[p][1], "g", 1);
	for (p = 0; p < procs; p++) {
		int first = p * n / procs, count = (p + 1) * n / procs - first;
		if (read_all(pipes[p][2], &t, sizeof(t)) != 0 ||
		    read_all(pipes[p][2], jobs + first, sizeof(*jobs) * (size_t)count) != 0) {
			fprintf(stderr, "load process %d failed\n", p);
			return 1;
		}
		all.busy += t.busy;
		all.conn += t.conn;
		all.cpu += t.cpu;
		for (i = 0; i < CURL_LAST; i++)
			all.errors[i] += t.errors[i];
	}
	elapsed = now() - t0;
	for (p = 0; p < procs; p++)
		waitpid(pids[p], NULL, 0);
	for (i = 0; i < n; i++) {
		lat[i] = jobs[i].seconds;
		if (!jobs[i].ok) {
			if (failures++ < 10)
				fprintf(stderr, "enrollment %d failed: %s\n", i, jobs[i].why);
		}
	}
	qsort(lat, (size_t)n, sizeof(*lat), cmp_double);
	printf("enrollments: %d, failures: %d, retries after 429/503: %d, after a failed connection: %d\n", n,
	       failures, all.busy, all.conn);
	printf("wall time: %.2f s, enrollments/second: %.1f\n", elapsed, n / elapsed);
	printf("latency: median %.2f s, p95 %.2f s, slowest %.2f s\n", lat[n / 2], lat[(n * 95) / 100],
	       lat[n - 1]);
	for (i = 0; i < CURL_LAST; i++)
		if (all.errors[i])
			printf("failed connection attempts: %d x %s\n", all.errors[i],
			       curl_easy_strerror((CURLcode)i));
	printf("load client CPU during the run: %.2f s (%.2f ms per enrollment), at most %d attempts per "
	       "request, connect timeout %ld s, %d process%s\n",
	       all.cpu, all.cpu * 1000 / n, max_attempts, connect_timeout_ms / 1000, procs,
	       procs > 1 ? "es" : "");
	fflush(stdout);
	(void)nid_fail;
	(void)nid_rnonce;
	for (i = 0; i < n_keys; i++)
		EVP_PKEY_free(keys[i]);
	free(keys);
	free(jobs);
	free(lat);
	free(pids);
	free(pipes);
	X509_free(ra_cert);
	free(ra_body);
	curl_global_cleanup();
	return failures ? 1 : 0;
}
