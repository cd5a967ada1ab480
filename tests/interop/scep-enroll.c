/* scep-enroll: drives the core SCEP client (core/scep.h) from the command line, for interop tests and the
 * benchmark. Not installed.
 *
 *   scep-enroll --url URL --ca-sha256 HEX --challenge-file FILE --key FILE [--key-type rsa:2048|ec:P-256]
 *               [--cn NAME] [--o ORG] [--dns NAME] --out CERT.pem
 *               [--renew-cert CERT.pem --renew-key KEY.pem] [--poll-timeout S] [--debug]
 *               [--save-replies DIR]
 *
 * --key: loaded when the file exists, else generated (--key-type, default rsa:2048) and saved 0600 first.
 * The challenge is read from a file (never argv). A renewal with the same key uses a random transactionID.
 * --save-replies writes every HTTP reply body to DIR/NN-OPERATION.bin (the fuzz seed corpora come from
 * there). Exit status: cl_status_exit_code().
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/pem.h>

#include "csr.h"
#include "error.h"
#include "key.h"
#include "scep.h"

struct args {
	const char *url, *fp_hex, *challenge_file, *key_path, *key_type, *cn, *org, *dns, *out;
	const char *renew_cert, *renew_key, *save_dir;
	unsigned poll_timeout;
	int debug;
};

static struct timespec start;

static double elapsed_ms(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start.tv_sec) * 1e3 + (double)(now.tv_nsec - start.tv_nsec) / 1e6;
}

static void log_line(void *ctx, const char *line)
{
	fprintf(stderr, "scep-enroll: [%.1f ms] %s\n", elapsed_ms(), line);
}

/* A transport that passes through to the default one and keeps a copy of every reply. */
struct saving {
	struct cl_scep_transport inner;
	const char *dir;
	int n;
};

static enum cl_status save_request(void *ctx, const char *url, const char *content_type,
                                   const unsigned char *body, size_t len, size_t max_body,
                                   struct cl_scep_http_reply *reply, struct cl_error *err)
{
	struct saving *s = ctx;
	enum cl_status st =
	    s->inner.request(s->inner.ctx, url, content_type, body, len, max_body, reply, err);
	const char *op = strstr(url, "operation=");
	char path[4096];
	FILE *f;

	if (st != CL_OK)
		return st;
	op = op ? op + 10 : "unknown";
	snprintf(path, sizeof(path), "%s/%02d-%.*s.bin", s->dir, ++s->n, (int)strcspn(op, "&"), op);
	if ((f = fopen(path, "wb")) != NULL) {
		fwrite(reply->body, 1, reply->len, f);
		fclose(f);
	}
	return st;
}

static int parse_hex_fp(const char *s, unsigned char out[CL_SCEP_FP_LEN])
{
	if (!s || strlen(s) != 2 * CL_SCEP_FP_LEN)
		return 0;
	for (int i = 0; i < CL_SCEP_FP_LEN; i++)
		if (sscanf(s + 2 * i, "%2hhx", &out[i]) != 1)
			return 0;
	return 1;
}

static enum cl_status read_challenge(const char *path, char *buf, size_t size, struct cl_error *err)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return cl_error_set(err, CL_E_LOCAL, "cannot open %s", path);
	n = fread(buf, 1, size - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return CL_OK;
}

static enum cl_status get_key(const struct args *a, EVP_PKEY **key, struct cl_error *err)
{
	struct cl_key_spec spec;
	char type[8] = "", size[16] = "";
	enum cl_status st;

	if (access(a->key_path, F_OK) == 0)
		return cl_key_load(a->key_path, key, err);
	if (sscanf(a->key_type, "%7[^:]:%15s", type, size) != 2)
		return cl_error_set(err, CL_E_LOCAL, "bad --key-type %s", a->key_type);
	st = strcmp(type, "rsa") == 0 ? cl_key_spec_parse(type, atol(size), NULL, &spec, err)
	                              : cl_key_spec_parse(type, 0, size, &spec, err);
	if (st == CL_OK)
		st = cl_key_generate(&spec, key, err);
	if (st == CL_OK)
		st = cl_key_save(*key, a->key_path, err);
	return st;
}

static enum cl_status load_cert(const char *path, X509 **out, struct cl_error *err)
{
	FILE *f = fopen(path, "r");

	*out = f ? PEM_read_X509(f, NULL, NULL, NULL) : NULL;
	if (f)
		fclose(f);
	return *out ? CL_OK : cl_error_set_openssl(err, CL_E_LOCAL, "reading %s", path);
}

static enum cl_status write_cert(const char *path, const struct cl_scep_result *res, struct cl_error *err)
{
	FILE *f = fopen(path, "w");
	int ok = f && PEM_write_X509(f, res->cert);

	if (f && fclose(f) != 0)
		ok = 0;
	return ok ? CL_OK : cl_error_set(err, CL_E_LOCAL, "writing %s", path);
}

static enum cl_status enroll(const struct args *a, struct cl_error *err)
{
	unsigned char fp[CL_SCEP_FP_LEN];
	char challenge[256], tid[CL_SCEP_TID_SIZE];
	struct cl_csr_rdn subject[2];
	const char *dns[1] = { a->dns };
	struct cl_csr_params cp = {
		.subject = subject, .challenge = challenge, .san_dns = dns, .san_dns_count = a->dns ? 1 : 0
	};
	struct cl_scep_params sp = { .url = a->url, .ca_sha256 = fp, .poll_timeout = a->poll_timeout };
	struct cl_scep_result res = { 0 };
	struct saving saving = { .dir = a->save_dir };
	struct cl_scep_http http = { 0 };
	struct cl_scep_transport save_transport = { save_request, &saving };
	EVP_PKEY *key = NULL, *renew_key = NULL;
	X509 *renew_cert = NULL;
	X509_REQ *csr = NULL;
	enum cl_status st;

	if (!parse_hex_fp(a->fp_hex, fp))
		return cl_error_set(err, CL_E_LOCAL, "--ca-sha256 needs 64 hex digits");
	if (a->org)
		subject[cp.subject_count++] = (struct cl_csr_rdn){ "O", a->org };
	subject[cp.subject_count++] = (struct cl_csr_rdn){ "CN", a->cn };
	if ((st = read_challenge(a->challenge_file, challenge, sizeof(challenge), err)) != CL_OK)
		goto out;
	if ((st = get_key(a, &key, err)) != CL_OK)
		goto out;
	if (a->debug)
		log_line(NULL, "key ready");
	if (a->renew_cert) {
		if ((st = load_cert(a->renew_cert, &renew_cert, err)) != CL_OK ||
		    (st = cl_key_load(a->renew_key, &renew_key, err)) != CL_OK)
			goto out;
		st = cl_scep_transaction_id_random(tid, err);
	} else {
		st = cl_scep_transaction_id_from_key(key, tid, err);
	}
	if (st != CL_OK || (st = cl_csr_build(&cp, key, &csr, err)) != CL_OK)
		goto out;
	if (a->debug)
		log_line(NULL, "request built");
	sp.key = key;
	sp.csr = csr;
	sp.transaction_id = tid;
	sp.renew_cert = renew_cert;
	sp.renew_key = renew_key;
	if (a->debug)
		sp.log = log_line;
	if (a->save_dir) {
		cl_scep_transport_default(&saving.inner, &http);
		sp.transport = &save_transport;
	}
	if ((st = cl_scep_enroll(&sp, &res, err)) != CL_OK)
		goto out;
	st = write_cert(a->out, &res, err);
	if (a->debug)
		fprintf(stderr, "scep-enroll: %s with %s/%s, %d poll(s)\n",
		        cl_scep_message_type_name(res.request_type), res.cipher, res.digest, res.polls);
out:
	OPENSSL_cleanse(challenge, sizeof(challenge));
	cl_scep_result_clear(&res);
	cl_scep_http_clear(&http);
	cl_csr_free(csr);
	X509_free(renew_cert);
	EVP_PKEY_free(renew_key);
	EVP_PKEY_free(key);
	return st;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "ca-sha256", required_argument, NULL, 'f' },
		{ "challenge-file", required_argument, NULL, 'c' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-type", required_argument, NULL, 't' },
		{ "cn", required_argument, NULL, 'n' },
		{ "o", required_argument, NULL, 'O' },
		{ "dns", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "renew-cert", required_argument, NULL, 'r' },
		{ "renew-key", required_argument, NULL, 'R' },
		{ "poll-timeout", required_argument, NULL, 'p' },
		{ "debug", no_argument, NULL, 'D' },
		{ "save-replies", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct args a = { .key_type = "rsa:2048", .cn = "certlink-interop" };
	struct cl_error err;
	enum cl_status st;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			a.url = optarg;
			break;
		case 'f':
			a.fp_hex = optarg;
			break;
		case 'c':
			a.challenge_file = optarg;
			break;
		case 'k':
			a.key_path = optarg;
			break;
		case 't':
			a.key_type = optarg;
			break;
		case 'n':
			a.cn = optarg;
			break;
		case 'O':
			a.org = optarg;
			break;
		case 'd':
			a.dns = optarg;
			break;
		case 'o':
			a.out = optarg;
			break;
		case 'r':
			a.renew_cert = optarg;
			break;
		case 'R':
			a.renew_key = optarg;
			break;
		case 'p':
			a.poll_timeout = (unsigned)atoi(optarg);
			break;
		case 'D':
			a.debug = 1;
			break;
		case 's':
			a.save_dir = optarg;
			break;
		default:
			fprintf(stderr, "usage: see the header of tests/interop/scep-enroll.c\n");
			return 100;
		}
	}
	if (!a.url || !a.fp_hex || !a.challenge_file || !a.key_path || !a.out ||
	    !a.renew_cert != !a.renew_key) {
		fprintf(stderr, "usage: see the header of tests/interop/scep-enroll.c\n");
		return 100;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	cl_error_clear(&err);
	st = enroll(&a, &err);
	if (st != CL_OK)
		fprintf(stderr, "scep-enroll: %s\n", err.msg);
	return cl_status_exit_code(st);
}
