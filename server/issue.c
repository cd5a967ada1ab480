/* certlink-server: the SCEP issuance policy (see issue.h). */
#include "issue-private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "apps.h"
#include "certs.h"
#include "config.h"
#include "db.h"
#include "util.h"

struct tx {
	char pubkey[65];
	char app_id[32];
	char state[16];
	char serial[48];
	X509_REQ *csr;
};

static enum cl_status refuse(struct srv_issue_out *out, int fail_info, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum cl_status refuse(struct srv_issue_out *out, int fail_info, const char *fmt, ...)
{
	va_list ap;

	out->status = SRV_ISSUE_FAILURE;
	out->fail_info = fail_info;
	va_start(ap, fmt);
	vsnprintf(out->why, sizeof(out->why), fmt, ap);
	va_end(ap);
	return CL_OK;
}

static int load_tx(sqlite3 *db, const char *txid, struct tx *tx)
{
	sqlite3_stmt *st = srv_db_prepare(db,
	                                  "SELECT pubkey_sha256, app_id, state, serial, csr FROM "
	                                  "scep_transactions WHERE transaction_id = ?",
	                                  NULL);
	int rc;

	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, txid, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(st, 4);
		srv_db_col_copy(st, 0, tx->pubkey, sizeof(tx->pubkey));
		srv_db_col_copy(st, 1, tx->app_id, sizeof(tx->app_id));
		srv_db_col_copy(st, 2, tx->state, sizeof(tx->state));
		srv_db_col_copy(st, 3, tx->serial, sizeof(tx->serial));
		tx->csr = p ? d2i_X509_REQ(NULL, &p, sqlite3_column_bytes(st, 4)) : NULL;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static X509 *load_cert(sqlite3 *db, const char *serial, int *revoked, char *pubkey, char *user)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "SELECT der, revoked_at, pubkey_sha256, user FROM certificates WHERE serial = ?", NULL);
	X509 *x = NULL;

	if (!st)
		return NULL;
	sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *p = sqlite3_column_blob(st, 0);
		x = p ? d2i_X509(NULL, &p, sqlite3_column_bytes(st, 0)) : NULL;
		*revoked = sqlite3_column_type(st, 1) != SQLITE_NULL;
		if (pubkey)
			srv_db_col_copy(st, 2, pubkey, 65);
		if (user)
			srv_db_col_copy(st, 3, user, 260);
	}
	sqlite3_finalize(st);
	return x;
}

/* The challenge's application, when the challenge is live; "" otherwise. */
static int challenge_app(sqlite3 *db, const char *challenge, char app_id[32], char hash[65])
{
	sqlite3_stmt *st;
	int found = 0;

	srv_sha256_hex(challenge, strlen(challenge), hash);
	st = srv_db_prepare(db, "SELECT app_id FROM challenges WHERE hash = ? AND used = 0 AND expires > ?",
	                    NULL);
	if (!st)
		return -1;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_ROW) {
		srv_db_col_copy(st, 0, app_id, 32);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

/* An RDN or SAN value as UTF-8 text into buf; NULL when it cannot be read, is too long, or holds a NUL (a
 * name that reads "bob" to one program and "bob\0.evil" to another is refused, never compared). */
static const char *asn1_text(const ASN1_STRING *v, char *buf, size_t n)
{
	unsigned char *utf8 = NULL;
	int len = ASN1_STRING_to_UTF8(&utf8, v);
	const char *out = NULL;

	if (len >= 0 && (size_t)len < n && !memchr(utf8, '\0', (size_t)len)) {
		memcpy(buf, utf8, (size_t)len);
		buf[len] = '\0';
		out = buf;
	}
	OPENSSL_free(utf8);
	return out;
}

static int in_list(const cJSON *list, const char *value, int nocase)
{
	const cJSON *e;

	cJSON_ArrayForEach(e, list)
	{
		const char *v = cJSON_GetStringValue(e);
		if (v && (nocase ? !strcasecmp(v, value) : !strcmp(v, value)))
			return 1;
	}
	return 0;
}

/* The rule for names (docs/scep-server.md "Names"): the request's subject holds exactly the activation's
 * RDNs, in any order, each value equal to the approved one; the CN may instead be one of cn_choices when the
 * activation allowed the override. *cn gets the CN the certificate will carry. */
static int subject_ok(const cJSON *act, X509_REQ *csr, char *cn, size_t cn_len, char *why, size_t n)
{
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(act, "subject"), *rdn;
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(act, "cn_choices");
	const char *override = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(act, "cn_override"));
	const X509_NAME *name = X509_REQ_get_subject_name(csr);
	int allowed = override && !strcmp(override, "allowed");
	int i, count = X509_NAME_entry_count(name), matched;
	char buf[1024];

	cn[0] = '\0';
	for (i = 0; i < count; i++)
		if (!asn1_text(X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)), buf, sizeof(buf))) {
			snprintf(why, n, "subject entry %d is not text of at most 1023 bytes without NUL",
			         i + 1);
			return 0;
		}
	if (count != cJSON_GetArraySize(subject)) {
		snprintf(why, n, "subject has %d RDNs, the approved subject %d", count,
		         cJSON_GetArraySize(subject));
		return 0;
	}
	cJSON_ArrayForEach(rdn, subject)
	{
		const char *type = cJSON_GetStringValue(cJSON_GetArrayItem(rdn, 0));
		const char *want = cJSON_GetStringValue(cJSON_GetArrayItem(rdn, 1));
		int nid = type ? OBJ_txt2nid(type) : NID_undef;
		matched = 0;
		for (i = 0; i < count && !matched; i++) {
			const X509_NAME_ENTRY *e = X509_NAME_get_entry(name, i);
			const char *got;
			if (OBJ_obj2nid(X509_NAME_ENTRY_get_object(e)) != nid ||
			    !(got = asn1_text(X509_NAME_ENTRY_get_data(e), buf, sizeof(buf))))
				continue;
			matched = want && (!strcmp(got, want) ||
			                   (nid == NID_commonName && allowed && in_list(choices, got, 0)));
			if (matched && nid == NID_commonName && strlen(got) < cn_len)
				memcpy(cn, got, strlen(got) + 1); /* an approved name: always short */
		}
		if (!matched) {
			snprintf(why, n, "subject is not the approved one (%s=%s)", type ? type : "?",
			         want ? want : "?");
			return 0;
		}
	}
	return 1;
}

/* Names the request asks for in subjectAltName must each be an approved one (the certificate gets every
 * approved one anyway: a client that cannot know the directory's e-mail address still enrolls). */
static int san_ok(const cJSON *act, X509_REQ *csr, char *why, size_t n)
{
	const cJSON *san = cJSON_GetObjectItemCaseSensitive(act, "san");
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr);
	GENERAL_NAMES *names = NULL;
	char buf[1024];
	int i, crit = 0, ok = 1;

	for (i = 0; exts && i < sk_X509_EXTENSION_num(exts); i++) {
		X509_EXTENSION *ext = sk_X509_EXTENSION_value(exts, i);
		if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name)
			continue;
		GENERAL_NAMES_free(names);
		names = X509V3_EXT_d2i(ext);
		if (!names || crit++) {
			snprintf(why, n, "subjectAltName unreadable or given twice");
			ok = 0;
			break;
		}
	}
	for (i = 0; ok && names && i < sk_GENERAL_NAME_num(names); i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
		const char *kind = gn->type == GEN_EMAIL ? "email" : gn->type == GEN_DNS ? "dns" : NULL;
		const char *v = kind ? asn1_text(gn->d.ia5, buf, sizeof(buf)) : NULL;
		if (!kind || !v || !in_list(cJSON_GetObjectItemCaseSensitive(san, kind), v, 1)) {
			snprintf(why, n, "subjectAltName asks for a name that was not approved (%s%s%.120s)",
			         kind ? kind : "a kind of name the server never issues", v ? ":" : "",
			         v ? v : "");
			ok = 0;
		}
	}
	GENERAL_NAMES_free(names);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return ok;
}

/* The certificate's subject: the approved RDNs in the approved order, with the chosen CN. */
static X509_NAME *approved_subject(const cJSON *act, const char *cn)
{
	const cJSON *rdn;
	X509_NAME *name = X509_NAME_new();

	cJSON_ArrayForEach(rdn, cJSON_GetObjectItemCaseSensitive(act, "subject"))
	{
		const char *type = cJSON_GetStringValue(cJSON_GetArrayItem(rdn, 0));
		const char *value = cJSON_GetStringValue(cJSON_GetArrayItem(rdn, 1));
		if (type && !strcmp(type, "CN") && cn && *cn)
			value = cn;
		if (!name || !type || !value ||
		    !X509_NAME_add_entry_by_txt(name, type, MBSTRING_UTF8, (const unsigned char *)value, -1,
		                                -1, 0)) {
			X509_NAME_free(name);
			return NULL;
		}
	}
	return name;
}

static int key_matches(const cJSON *act, EVP_PKEY *pub, char *why, size_t n)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(act, "key");
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(key, "type"));
	char group[64] = "";
	size_t glen = 0;

	if (type && !strcmp(type, "rsa")) {
		int bits = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(key, "bits"));
		if (EVP_PKEY_is_a(pub, "RSA") && EVP_PKEY_get_bits(pub) == bits)
			return 1;
		snprintf(why, n, "key must be RSA %d", bits);
		return 0;
	}
	if (type && !strcmp(type, "ec")) {
		const char *curve = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(key, "curve"));
		const char *want = curve && !strcmp(curve, "P-384") ? "secp384r1" : "prime256v1";
		if (EVP_PKEY_is_a(pub, "EC") && EVP_PKEY_get_group_name(pub, group, sizeof(group), &glen) &&
		    !strcmp(group, want))
			return 1;
		snprintf(why, n, "key must be EC %s", curve ? curve : "?");
		return 0;
	}
	snprintf(why, n, "activation names no key");
	return 0;
}

static int step_done(sqlite3 *db, sqlite3_stmt *st)
{
	int rc = st ? sqlite3_step(st) : SQLITE_ERROR;

	sqlite3_finalize(st);
	(void)db;
	return rc == SQLITE_DONE;
}

/* The request against the application's activation: subject, subjectAltName and key. 1 when it may be issued,
 * with the CN the certificate carries in cn; 0 with the reason in why. */
static int names_ok(const cJSON *act, X509_REQ *csr, char *cn, size_t cn_len, char *why, size_t n)
{
	return subject_ok(act, csr, cn, cn_len, why, n) && san_ok(act, csr, why, n) &&
	       key_matches(act, X509_REQ_get0_pubkey(csr), why, n);
}

/* The certificate for csr as the activation act approves it: the approved subject with the chosen CN, the
 * approved e-mail addresses, valid for days, with crl_url as its CRL distribution point ("" for none). */
static enum cl_status sign(const struct srv_ca *ca, const cJSON *act, const char *cn, X509_REQ *csr,
                           long days, const char *crl_url, X509 **cert, struct cl_error *err)
{
	const cJSON *emails =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(act, "san"), "email");
	const char *email[16];
	struct srv_san san = { email, 0, NULL, 0 };
	X509_NAME *name = approved_subject(act, cn);
	const cJSON *e;
	enum cl_status status;

	cJSON_ArrayForEach(e, emails) if (cJSON_IsString(e) && san.n_email < 16) email[san.n_email++] =
	    e->valuestring;
	status = name ? srv_ca_issue(ca, name, X509_REQ_get0_pubkey(csr), &san, (int)days, crl_url, cert, err)
	              : cl_error_set(err, CL_E_UNEXPECTED, "building the approved subject");
	X509_NAME_free(name);
	return status;
}

void srv_presigned_clear(struct srv_presigned *pre)
{
	free(pre->activation);
	X509_free(pre->cert);
	memset(pre, 0, sizeof(*pre));
}

/* The presigned certificate when it was made for exactly this application, activation, key, CN, validity and
 * CRL distribution point. */
static X509 *take_presigned(struct srv_presigned *pre, const struct srv_app *app, const char *pubkey,
                            const char *cn, long days, const char *crl_url)
{
	X509 *cert = NULL;

	if (pre && pre->cert && !strcmp(pre->app_id, app->id) && app->activation &&
	    !strcmp(pre->activation, app->activation) && !strcmp(pre->pubkey, pubkey) &&
	    !strcmp(pre->cn, cn) && pre->days == days && !strcmp(pre->crl_url, crl_url)) {
		cert = pre->cert;
		pre->cert = NULL;
	}
	return cert;
}

/* Sign the certificate and record it, the transaction and the application's new state. Inside the caller's
 * transaction. The request is held to the activation once more (a held request meets the activation of the
 * time it is released), and every name in the certificate comes from that activation, none from the
 * request. */
static enum cl_status issue_now(sqlite3 *db, const struct srv_ca *ca, const struct srv_app *app,
                                const char *txid, X509_REQ *csr, const char *pubkey,
                                struct srv_presigned *pre, struct srv_issue_out *out, struct cl_error *err)
{
	cJSON *act = cJSON_Parse(app->activation ? app->activation : "{}");
	long days = srv_config_long(db, "cert_days");
	unsigned char *der = NULL;
	char serial[48], subject[512], cn[260], why[256] = "", crl_url[SRV_PRESIGNED_CRL_URL_MAX];
	sqlite3_stmt *st;
	int len, ok;
	X509 *cert = NULL;
	enum cl_status status = CL_OK;

	if (!names_ok(act, csr, cn, sizeof(cn), why, sizeof(why))) {
		cJSON_Delete(act);
		return refuse(out, SRV_FAIL_BAD_REQUEST, "%s", why);
	}
	srv_certs_crl_url(db, crl_url, sizeof(crl_url));
	cert = take_presigned(pre, app, pubkey, cn, days, crl_url);
	if (!cert)
		status = sign(ca, act, cn, csr, days, crl_url, &cert, err);
	cJSON_Delete(act);
	if (status != CL_OK)
		return status;
	srv_ca_serial_hex(cert, serial, sizeof(serial));
	srv_name_text(X509_get_subject_name(cert), subject, sizeof(subject));
	len = i2d_X509(cert, &der);
	st = len > 0 ? srv_db_prepare(
	                   db,
	                   "INSERT INTO certificates(serial, app_id, user, store, subject, not_before,"
	                   " not_after, der, pubkey_sha256, transaction_id) VALUES(?,?,?,?,?,?,?,?,?,?)",
	                   NULL)
	             : NULL;
	if (st) {
		struct tm tm;
		time_t nb, na;
		ASN1_TIME_to_tm(X509_get0_notBefore(cert), &tm);
		nb = timegm(&tm);
		ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm);
		na = timegm(&tm);
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, app->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, app->user, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, app->store, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, subject, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)nb);
		sqlite3_bind_int64(st, 7, (sqlite3_int64)na);
		sqlite3_bind_blob(st, 8, der, len, SQLITE_STATIC);
		sqlite3_bind_text(st, 9, pubkey, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 10, txid, -1, SQLITE_STATIC);
	}
	ok = step_done(db, st);
	OPENSSL_free(der);
	st =
	    ok ? srv_db_prepare(
	             db, "UPDATE scep_transactions SET state = 'issued', serial = ? WHERE transaction_id = ?",
	             NULL)
	       : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, txid, -1, SQLITE_STATIC);
	}
	ok = ok && step_done(db, st);
	st = ok ? srv_db_prepare(
	              db,
	              "UPDATE applications SET state = 'issued', cert_serial = ?, updated = ? WHERE id = ?",
	              NULL)
	        : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, serial, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		sqlite3_bind_text(st, 3, app->id, -1, SQLITE_STATIC);
	}
	ok = ok && step_done(db, st);
	if (!ok) {
		X509_free(cert);
		return srv_db_fail(db, sqlite3_errcode(db), "recording the certificate", err);
	}
	/* the renewed certificate goes on the CRL once renewal_revoke_days have passed */
	if (app->renewal_of[0] && srv_certs_superseded(db, app->renewal_of, err) != CL_OK) {
		X509_free(cert);
		return err->status;
	}
	out->status = SRV_ISSUE_SUCCESS;
	out->cert = cert;
	snprintf(out->why, sizeof(out->why), "issued %s", serial);
	return CL_OK;
}

/* An answered or held transactionID: the same certificate, PENDING, or issue now after release. */
static enum cl_status existing(sqlite3 *db, const struct srv_ca *ca, const char *txid, struct tx *tx,
                               struct srv_issue_out *out, struct cl_error *err)
{
	struct srv_app app = { 0 };
	int revoked = 0;
	enum cl_status st = CL_OK;

	snprintf(out->app_id, sizeof(out->app_id), "%s", tx->app_id);
	if (!strcmp(tx->state, "issued")) {
		out->cert = load_cert(db, tx->serial, &revoked, NULL, NULL);
		if (!out->cert)
			return refuse(out, SRV_FAIL_BAD_CERT_ID, "certificate %s is gone", tx->serial);
		if (revoked) {
			X509_free(out->cert);
			out->cert = NULL;
			return refuse(out, SRV_FAIL_BAD_REQUEST, "certificate %s was revoked", tx->serial);
		}
		out->status = SRV_ISSUE_SUCCESS;
		snprintf(out->why, sizeof(out->why), "retransmission: same certificate %s", tx->serial);
		return CL_OK;
	}
	if (!strcmp(tx->state, "cancelled"))
		return refuse(
		    out, SRV_FAIL_BAD_REQUEST,
		    "held request was cancelled by a withdrawal, rejection or re-application; a new "
		    "challenge is needed");
	if (srv_app_load(db, tx->app_id, &app) != 1 || strcmp(app.state, "approved") != 0 || !tx->csr) {
		st = refuse(out, SRV_FAIL_BAD_REQUEST, "held application is %s",
		            app.state[0] ? app.state : "gone");
	} else if (srv_config_bool(db, "hold_issuance") && !app.hold_released) {
		out->status = SRV_ISSUE_PENDING;
		snprintf(out->why, sizeof(out->why), "held until released");
	} else {
		st = issue_now(db, ca, &app, txid, tx->csr, tx->pubkey, NULL, out, err);
	}
	srv_app_clear(&app);
	return st;
}

static enum cl_status check_request(sqlite3 *db, const struct srv_issue_in *in, const struct srv_app *app,
                                    const char *pubkey, struct srv_issue_out *out)
{
	cJSON *act = cJSON_Parse(app->activation ? app->activation : "{}");
	char why[256] = "", signer_serial[48], old_pub[65] = "", user[260] = "", cn[260];
	int revoked = 0, ok;
	X509 *old = NULL;

	ok = names_ok(act, in->csr, cn, sizeof(cn), why, sizeof(why));
	cJSON_Delete(act);
	if (!ok)
		return refuse(out, SRV_FAIL_BAD_REQUEST, "%s", why);
	if (in->message_type == 17) {
		srv_ca_serial_hex(in->signer, signer_serial, sizeof(signer_serial));
		old = load_cert(db, signer_serial, &revoked, NULL, user);
		X509_free(old);
		if (!old || revoked || strcmp(user, app->user) != 0 ||
		    (app->renewal_of[0] && strcmp(app->renewal_of, signer_serial) != 0))
			return refuse(out, SRV_FAIL_BAD_REQUEST,
			              "RenewalReq signer %s is not this user's live certificate",
			              signer_serial);
	}
	if (app->renewal_of[0]) {
		old = load_cert(db, app->renewal_of, &revoked, old_pub, NULL);
		X509_free(old);
		if (!old || revoked)
			return refuse(out, SRV_FAIL_BAD_REQUEST, "certificate %s to renew is revoked",
			              app->renewal_of);
		if (!strcmp(old_pub, pubkey)) {
			char rule[16];
			srv_config_get(db, "renewal_same_key", rule, sizeof(rule));
			if (!strcmp(rule, "forbidden"))
				return refuse(out, SRV_FAIL_BAD_REQUEST, "renewal must use a new key");
		}
	}
	return CL_OK;
}

static enum cl_status new_request(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                                  const char *pubkey, struct srv_presigned *pre, struct srv_issue_out *out,
                                  struct cl_error *err)
{
	char app_id[32] = "", hash[65];
	struct srv_app app = { 0 };
	unsigned char *der = NULL;
	sqlite3_stmt *st;
	enum cl_status status;
	int found, len, ok;

	if (!in->challenge || !*in->challenge)
		return refuse(out, SRV_FAIL_BAD_REQUEST, "no challengePassword");
	found = challenge_app(db, in->challenge, app_id, hash);
	if (found < 0)
		return srv_db_fail(db, sqlite3_errcode(db), "looking up the challenge", err);
	if (!found)
		return refuse(out, SRV_FAIL_BAD_REQUEST, "challenge unknown, used or expired");
	snprintf(out->app_id, sizeof(out->app_id), "%s", app_id);
	if (srv_app_load(db, app_id, &app) != 1 || strcmp(app.state, "approved") != 0) {
		status =
		    refuse(out, SRV_FAIL_BAD_REQUEST, "application is %s", app.state[0] ? app.state : "gone");
		goto done;
	}
	status = check_request(db, in, &app, pubkey, out);
	if (status != CL_OK || out->status == SRV_ISSUE_FAILURE)
		goto done;
	/* Consume the challenge and record the transactionID, then issue or hold: all one transaction. */
	st = srv_db_prepare(db, "UPDATE challenges SET used = 1 WHERE hash = ?", NULL);
	if (st)
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	ok = step_done(db, st);
	len = i2d_X509_REQ(in->csr, &der);
	st =
	    ok && len > 0
	        ? srv_db_prepare(db,
	                         "INSERT INTO scep_transactions(transaction_id, pubkey_sha256, app_id, state,"
	                         " csr, message_type, created) VALUES(?, ?, ?, 'pending', ?, ?, ?)",
	                         NULL)
	        : NULL;
	if (st) {
		sqlite3_bind_text(st, 1, in->transaction_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, pubkey, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, app.id, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, der, len, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, in->message_type);
		sqlite3_bind_int64(st, 6, (sqlite3_int64)time(NULL));
	}
	ok = ok && step_done(db, st);
	OPENSSL_free(der);
	if (!ok) {
		status = srv_db_fail(db, sqlite3_errcode(db), "recording the SCEP transaction", err);
		goto done;
	}
	if (srv_config_bool(db, "hold_issuance") && !app.hold_released) {
		out->status = SRV_ISSUE_PENDING;
		snprintf(out->why, sizeof(out->why), "held until released");
	} else {
		status = issue_now(db, ca, &app, in->transaction_id, in->csr, pubkey, pre, out, err);
	}
done:
	srv_app_clear(&app);
	return status;
}

static int forget_cancelled(sqlite3 *db, const char *txid)
{
	sqlite3_stmt *st = srv_db_prepare(
	    db, "DELETE FROM scep_transactions WHERE transaction_id = ? AND state = 'cancelled'", NULL);

	if (st)
		sqlite3_bind_text(st, 1, txid, -1, SQLITE_STATIC);
	return step_done(db, st);
}

/* Before the write lock (issue-private.h): when the request looks like a new one that will be issued at once
 * (its challenge is live, its application approved and not held, its names are the approved ones), sign its
 * certificate now, so that the CA's signature (2 ms of RSA 3072) is not made while every other writer waits.
 * Nothing is decided or written here: srv_issue() decides again under the lock and uses the certificate only
 * if it was made from what it finds there. */
void srv_issue_presign(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                       struct srv_presigned *pre)
{
	char app_id[32], hash[65], cn[260], why[256];
	struct srv_app app = { 0 };
	struct tx tx = { 0 };
	struct cl_error err;
	cJSON *act = NULL;
	long days;

	if (in->message_type != 19 || !in->challenge || !*in->challenge || !in->csr ||
	    challenge_app(db, in->challenge, app_id, hash) != 1)
		return;
	if (load_tx(db, in->transaction_id, &tx) != 0 || srv_app_load(db, app_id, &app) != 1 ||
	    strcmp(app.state, "approved") != 0 || !app.activation || app.renewal_of[0] ||
	    (srv_config_bool(db, "hold_issuance") && !app.hold_released))
		goto out;
	act = cJSON_Parse(app.activation);
	days = srv_config_long(db, "cert_days");
	srv_certs_crl_url(db, pre->crl_url, sizeof(pre->crl_url));
	if (act && names_ok(act, in->csr, cn, sizeof(cn), why, sizeof(why)) &&
	    srv_pubkey_sha256(X509_REQ_get0_pubkey(in->csr), pre->pubkey) == 0 &&
	    (pre->activation = strdup(app.activation)) &&
	    sign(ca, act, cn, in->csr, days, pre->crl_url, &pre->cert, &err) == CL_OK) {
		snprintf(pre->app_id, sizeof(pre->app_id), "%s", app.id);
		snprintf(pre->cn, sizeof(pre->cn), "%s", cn);
		pre->days = days;
	}
out:
	cJSON_Delete(act);
	X509_REQ_free(tx.csr);
	srv_app_clear(&app);
}

enum cl_status srv_issue_decide(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                                struct srv_presigned *pre, struct srv_issue_out *out, struct cl_error *err)
{
	struct tx tx = { 0 };
	char pubkey[65] = "", live_app[32], live_hash[65];
	enum cl_status st;
	int found;

	memset(out, 0, sizeof(*out));
	out->fail_info = -1;
	if (in->message_type != 20 && in->message_type != 17 && in->message_type != 19)
		return refuse(out, SRV_FAIL_BAD_REQUEST, "unsupported messageType");
	if (in->message_type != 20 &&
	    (!in->csr || srv_pubkey_sha256(X509_REQ_get0_pubkey(in->csr), pubkey) != 0))
		return refuse(out, SRV_FAIL_BAD_REQUEST, "no usable request");
	if (in->message_type == 17 && !in->signer)
		return refuse(out, SRV_FAIL_BAD_MESSAGE_CHECK, "RenewalReq without signer");
	if (srv_db_begin(db, err) != CL_OK)
		return err->status;
	found = load_tx(db, in->transaction_id, &tx);
	/* A cancelled request's transactionID (clients derive it from the key) may come back with a new, live
	 * challenge: then it is a new request, which that challenge must authorise like any other. */
	if (found == 1 && !strcmp(tx.state, "cancelled") && in->message_type != 20 && in->challenge &&
	    *in->challenge && challenge_app(db, in->challenge, live_app, live_hash) == 1) {
		found = forget_cancelled(db, in->transaction_id) ? 0 : -1;
		X509_REQ_free(tx.csr);
		tx.csr = NULL;
	}
	if (found < 0)
		st = srv_db_fail(db, sqlite3_errcode(db), "looking up the transaction", err);
	else if (found && in->message_type != 20 && strcmp(tx.pubkey, pubkey) != 0)
		st = refuse(out, SRV_FAIL_BAD_REQUEST, "transactionID %s was used with another key",
		            in->transaction_id);
	else if (found)
		st = existing(db, ca, in->transaction_id, &tx, out, err);
	else if (in->message_type == 20)
		st = refuse(out, SRV_FAIL_BAD_CERT_ID, "CertPoll for unknown transactionID %s",
		            in->transaction_id);
	else
		st = new_request(db, ca, in, pubkey, pre, out, err);
	X509_REQ_free(tx.csr);
	if (st == CL_OK && out->status != SRV_ISSUE_FAILURE)
		st = srv_db_commit(db, err);
	else
		srv_db_rollback(db);
	if (st != CL_OK) {
		X509_free(out->cert);
		out->cert = NULL;
	}
	return st;
}

enum cl_status srv_issue(sqlite3 *db, const struct srv_ca *ca, const struct srv_issue_in *in,
                         struct srv_issue_out *out, struct cl_error *err)
{
	struct srv_presigned pre = { 0 };
	enum cl_status st;

	srv_issue_presign(db, ca, in, &pre);
	st = srv_issue_decide(db, ca, in, &pre, out, err);
	srv_presigned_clear(&pre);
	return st;
}
