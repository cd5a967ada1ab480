/* Unit tests of certlink-server modules that need no running server: password hashing, input checks, JSON
 * depth, link formatting, configuration validation, users, the login path with its cache of verified
 * passwords, the Retry-After of overload answers and the issuance policy on a scratch database. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "apps.h"
#include "ca.h"
#include "certs.h"
#include "config.h"
#include "db.h"
#include "http.h"
#include "invites.h"
#include "issue-private.h"
#include "networks.h"
#include "proto.h"
#include "fingerprint.h"
#include "link.h"
#include "login.h"
#include "overload.h"
#include "pwcache.h"
#include "throttle.h"
#include "users.h"
#include "util.h"

static void test_passwords(void)
{
	char h1[160], h2[160];

	CHECK_INT_EQ(srv_password_hash("correct horse", h1, sizeof(h1)), 0);
	CHECK_INT_EQ(srv_password_hash("correct horse", h2, sizeof(h2)), 0);
	CHECK(strncmp(h1, "pbkdf2-sha256$120000$", 21) == 0);
	CHECK(strcmp(h1, h2) != 0); /* salted */
	CHECK(strstr(h1, "correct") == NULL);
	CHECK(srv_password_verify(h1, "correct horse"));
	CHECK(!srv_password_verify(h1, "correct horsE"));
	CHECK(!srv_password_verify(h1, ""));
	CHECK(!srv_password_verify("pbkdf2-sha256$10$AAAA$BBBB", "x"));
	CHECK(!srv_password_verify("md5$1$2$3", "x"));
	CHECK(!srv_password_verify(NULL, "x"));
}

static void test_text_checks(void)
{
	char out[16];
	unsigned char raw[3] = { 0xfb, 0xff, 0x01 };

	CHECK_INT_EQ(srv_utf8_chars("abc"), 3);
	CHECK_INT_EQ(srv_utf8_chars("\xe6\x97\xa5\xe6\x9c\xac"), 2);
	CHECK_INT_EQ(srv_utf8_chars("a\nb"), -1);
	CHECK_INT_EQ(srv_utf8_chars("\xc2\x85"), -1);     /* C1 control */
	CHECK_INT_EQ(srv_utf8_chars("\xc0\xaf"), -1);     /* overlong */
	CHECK_INT_EQ(srv_utf8_chars("\xe0\x80\xaf"), -1); /* overlong */
	CHECK_INT_EQ(srv_utf8_chars("\xed\xa0\x80"), -1); /* surrogate */
	CHECK_INT_EQ(srv_utf8_chars("\xff"), -1);
	CHECK(srv_user_name_ok("alice"));
	CHECK(!srv_user_name_ok(""));
	CHECK(!srv_user_name_ok("a\tb"));
	CHECK(srv_is_token_chars("WIFI-2026_x", 64));
	CHECK(!srv_is_token_chars("a b", 64));
	CHECK(!srv_is_token_chars("abcdef", 5));
	srv_b64url_encode(raw, 3, out);
	CHECK_STR_EQ(out, "-_8B");
	CHECK_INT_EQ(srv_json_depth("{\"a\":[1,{\"b\":\"]]]\"}]}", 21), 3);
	CHECK_INT_EQ(srv_json_depth("[[", 2), -1);
	CHECK_INT_EQ(srv_json_depth("]", 1), -1);
}

/* An invitation's link parses back, with core's parser, to what was asked for. */
static void test_invite_link(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { .load_only = 1 };
	struct srv_invite_req req = {
		.user = "alice", .store = "computer", .passwordless = 1, .expires_days = 3
	};
	struct srv_invite inv;
	struct srv_err err = { 0 };
	struct cl_link link;
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	char *text = NULL, fp[CL_FP_HEX_SIZE];
	int created;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr), CL_OK);
	if (!ca)
		return;
	CHECK_INT_EQ(srv_invite_create(db, ca, &req, &inv, &text, &err), CL_OK);
	CHECK_INT_EQ(cl_link_parse(text ? text : "", &link, &cerr), CL_OK);
	CHECK_STR_EQ(link.user, "alice");
	CHECK_INT_EQ(link.store, CL_STORE_COMPUTER);
	CHECK(link.pwless && strlen(link.token) >= 16);
	CHECK(link.has_ca_fp);
	cl_fp_format_hex(link.ca_fp, fp);
	CHECK_STR_EQ(fp, ca->fp_hex);
	CHECK(srv_invite_by_token(db, link.token, &inv) == 1 && inv.passwordless && !inv.app_id[0]);
	cl_link_clear(&link);
	srv_free_secret(text);
	req.passwordless = 0;
	req.store = NULL;
	req.code = "";
	CHECK_INT_EQ(srv_invite_create(db, ca, &req, &inv, &text, &err), CL_OK);
	CHECK_INT_EQ(cl_link_parse(text ? text : "", &link, &cerr), CL_OK);
	CHECK_INT_EQ(link.store, CL_STORE_ASK);
	CHECK(!link.pwless && strlen(link.code) == 10);
	CHECK_INT_EQ(srv_invite_check_code(db, link.code, "alice", "computer", inv.id, sizeof(inv.id), &err),
	             CL_OK);
	CHECK_INT_EQ(srv_invite_check_code(db, link.code, "bob", "user", inv.id, sizeof(inv.id), &err),
	             CL_E_REFUSED);
	cl_link_clear(&link);
	srv_free_secret(text);
	/* A code of an invitation for the user store does not enrol the computer store. */
	req.store = "user";
	req.code = "STORE-CODE-1";
	CHECK_INT_EQ(srv_invite_create(db, ca, &req, &inv, &text, &err), CL_OK);
	CHECK_INT_EQ(
	    srv_invite_check_code(db, "STORE-CODE-1", "alice", "computer", inv.id, sizeof(inv.id), &err),
	    CL_E_REFUSED);
	CHECK_STR_EQ(err.e.code, "forbidden");
	CHECK_INT_EQ(srv_invite_check_code(db, "STORE-CODE-1", "alice", "user", inv.id, sizeof(inv.id), &err),
	             CL_OK);
	srv_free_secret(text);
	req.store = NULL;
	req.code = "";
	req.user = "nobody";
	CHECK_INT_EQ(srv_invite_create(db, ca, &req, &inv, &text, &err), CL_E_LOCAL);
	srv_ca_free(ca);
}

static void test_config(sqlite3 *db)
{
	char v[64];
	struct cl_error err;

	CHECK_INT_EQ(srv_config_get(db, "auto_approve", v, sizeof(v)), 0);
	CHECK_STR_EQ(v, "false");
	CHECK_INT_EQ(srv_config_get(db, "no_such_key", v, sizeof(v)), -1);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve", "yes", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "email", "required", &err), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "challenge_lifetime", "10", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "key_size", "P-384", &err), CL_E_LOCAL); /* rsa takes bits */
	/* Networks are checked by the client's own rules when they are set (the old wifi_* keys are gone:
	 * they made a profile with no security type and no choice of server check). */
	CHECK_INT_EQ(
	    srv_config_set(
	        db, "network_user",
	        "[{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\","
	        "\"ssids\":[{\"ssid\":\"CorpWiFi\"}],\"domain_suffix_match\":\"radius.example.com\"}]",
	        &err),
	    CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "network_user",
	                            "[{\"type\":\"wifi\",\"eap\":\"tls\",\"security\":\"wpa2-enterprise\","
	                            "\"ssids\":[{\"ssid\":\"CorpWiFi\"}]}]",
	                            &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "network_user") && strstr(err.msg, "no server certificate check") &&
	      !strstr(err.msg, "server's reply"));
	CHECK_INT_EQ(srv_config_set(db, "network_computer", "{\"type\":\"wired\"}", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "network_ca", "not a certificate", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "network_user", "", &err), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "wifi_ssid", "x", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "http://crl.example.com/ca.crl", &err), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "ldap://crl.example.com", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "http://a b", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "", &err), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "renewal_revoke_days", "366", &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_config_long(db, "renewal_revoke_days"), 7);
	CHECK_INT_EQ(srv_config_set(db, "email", "optional", &err), CL_OK);
	CHECK_INT_EQ(srv_config_bool(db, "passwordless"), 1);
	CHECK_INT_EQ(srv_config_long(db, "challenge_lifetime"), 3600);
}

static void test_users(sqlite3 *db)
{
	struct cl_error err;

	CHECK_INT_EQ(srv_user_add(db, "alice", "pw one", NULL, &err), CL_OK);
	CHECK_INT_EQ(srv_user_add(db, "alice", "pw two", NULL, &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_user_add(db, "", "pw", NULL, &err), CL_E_LOCAL);
	CHECK_INT_EQ(srv_user_authenticate(db, "alice", "pw one", &err), CL_OK);
	CHECK_INT_EQ(srv_user_authenticate(db, "alice", "pw two", &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_user_authenticate(db, "nobody", "pw one", &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_user_set_password(db, "alice", "pw two", &err), CL_OK);
	CHECK_INT_EQ(srv_user_authenticate(db, "alice", "pw two", &err), CL_OK);
	CHECK_INT_EQ(srv_user_add(db, "nopw", NULL, NULL, &err), CL_OK);
	CHECK_INT_EQ(srv_user_authenticate(db, "nopw", "", &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_user_del(db, "nopw", &err), CL_OK);
	CHECK_INT_EQ(srv_user_del(db, "nopw", &err), CL_E_REFUSED);
}

/* The budgets with a clock of the test's own: drain, eviction resistance, the database budget, known
 * addresses. */
static void test_throttle(sqlite3 *db)
{
	struct srv_bucket b = { 0, 0 };
	struct cl_error err;
	time_t t = 1000000;
	char addr[32];
	int i, wait;

	CHECK_INT_EQ(srv_bucket_wait(&b, 3, 10, t), 0);
	for (i = 0; i < 3; i++)
		srv_bucket_add(&b, 10, t);
	CHECK_INT_EQ(srv_bucket_wait(&b, 3, 10, t), 10);
	CHECK_INT_EQ(srv_bucket_wait(&b, 3, 10, t + 4), 6);
	CHECK_INT_EQ(srv_bucket_wait(&b, 3, 10, t + 10), 0);
	CHECK_INT_EQ(srv_bucket_wait(&b, 3, 10, t - 50), 10); /* a clock that went back drains nothing */

	srv_throttle_reset();
	CHECK_INT_EQ(srv_user_add(db, "bob", "bob pw", NULL, &err), CL_OK);
	/* One name at one address. */
	for (i = 0; i < SRV_THROTTLE_NAME_BURST; i++) {
		CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.1", t, &wait), SRV_THROTTLE_OK);
		srv_throttle_failed(db, "bob", "bob", "10.0.0.1", t);
	}
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.1", t, &wait), SRV_THROTTLE_NAME);
	CHECK_INT_EQ(wait, SRV_THROTTLE_NAME_DRAIN);
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.2", t, &wait), SRV_THROTTLE_OK);
	CHECK_INT_EQ(srv_throttle_check(db, "carol", "10.0.0.1", t, &wait), SRV_THROTTLE_OK);
	/* More failing addresses than the table holds, once each: the address that failed five times for bob
	 * is the last to be forgotten, and is not. */
	for (i = 0; i < SRV_THROTTLE_ADDRS + 1000; i++) {
		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 250, i % 250);
		srv_throttle_failed(db, "ghost", i % 2 ? "" : NULL, addr, t);
	}
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.1", t, &wait), SRV_THROTTLE_NAME);
	/* Many names from one address: the address budget. */
	for (i = 0; i < SRV_THROTTLE_ADDR_BURST; i++) {
		snprintf(addr, sizeof(addr), "name%d", i);
		srv_throttle_failed(db, addr, NULL, "10.0.0.3", t);
	}
	CHECK_INT_EQ(srv_throttle_check(db, "someone", "10.0.0.3", t, &wait), SRV_THROTTLE_ADDRESS);
	CHECK_INT_EQ(wait, SRV_THROTTLE_ADDR_DRAIN);
	CHECK_INT_EQ(srv_throttle_check(db, "someone", "10.0.0.3", t + SRV_THROTTLE_ADDR_DRAIN, &wait),
	             SRV_THROTTLE_OK);
	/* A success forgets the name's failures at that address only. */
	srv_throttle_succeeded(db, "bob", "10.0.0.1", t);
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.1", t, &wait), SRV_THROTTLE_OK);
	/* The user's own budget, in the database: many addresses fill it, the memory going does not empty it,
	 * and an address bob logged in from is exempt. Unknown names share one row (""), nobody's. */
	for (i = SRV_THROTTLE_NAME_BURST; i < SRV_THROTTLE_USER_BURST; i++) {
		snprintf(addr, sizeof(addr), "10.2.0.%d", i);
		srv_throttle_failed(db, "bob", "bob", addr, t);
	}
	srv_throttle_reset();
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.3.0.1", t, &wait), SRV_THROTTLE_USER);
	CHECK_INT_EQ(wait, SRV_THROTTLE_USER_DRAIN);
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.0.0.1", t, &wait), SRV_THROTTLE_OK);
	CHECK_INT_EQ(srv_throttle_check(db, "bob", "10.3.0.1", t + SRV_THROTTLE_USER_DRAIN, &wait),
	             SRV_THROTTLE_OK);
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT COUNT(*) FROM login_throttle WHERE user NOT IN ('bob', '')", NULL);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
	sqlite3_finalize(st);
	srv_throttle_reset();
	/* A later user of the same name inherits no exempt addresses. */
	CHECK_INT_EQ(srv_user_del(db, "bob", &err), CL_OK);
	st = srv_db_prepare(db, "SELECT COUNT(*) FROM login_known WHERE user = 'bob'", NULL);
	CHECK(st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 0);
	sqlite3_finalize(st);
}

/* The memory of verified passwords on its own, with a clock of the test's own. */
static void test_pwcache(void)
{
	char stored[160], again[160];
	char user[16];
	time_t t = 2000000;
	int i;

	srv_pwcache_wipe();
	CHECK_INT_EQ(srv_password_hash("fleet pw", stored, sizeof(stored)), 0);
	CHECK_INT_EQ(srv_password_hash("fleet pw", again, sizeof(again)), 0);
	CHECK(!srv_pwcache_hit("fleet", "fleet pw", stored, t));
	srv_pwcache_add("fleet", "fleet pw", stored, t);
	CHECK(srv_pwcache_hit("fleet", "fleet pw", stored, t));
	/* Only that user, that password, that stored hash. */
	CHECK(!srv_pwcache_hit("fleet", "fleet pW", stored, t));
	CHECK(!srv_pwcache_hit("fleet", "", stored, t));
	CHECK(!srv_pwcache_hit("fleet2", "fleet pw", stored, t));
	CHECK(!srv_pwcache_hit("fleet", "fleet pw", again, t)); /* the same password set anew: a new salt */
	CHECK(!srv_pwcache_hit("fleet", "fleet pw", "", t));    /* no stored hash: a deleted user */
	/* The parts cannot run into each other. */
	srv_pwcache_add("ab", "c", stored, t);
	CHECK(!srv_pwcache_hit("a", "bc", stored, t));
	/* Expiry, and a clock that went back believes nothing. */
	CHECK(srv_pwcache_hit("fleet", "fleet pw", stored, t + SRV_PWCACHE_TTL - 1));
	CHECK(!srv_pwcache_hit("fleet", "fleet pw", stored, t + SRV_PWCACHE_TTL));
	CHECK(!srv_pwcache_hit("fleet", "fleet pw", stored, t - 1));
	/* Verified again: its time starts anew. */
	srv_pwcache_add("fleet", "fleet pw", stored, t + 30);
	CHECK(srv_pwcache_hit("fleet", "fleet pw", stored, t + 30 + SRV_PWCACHE_TTL - 1));
	/* A full table gives up its oldest entry. */
	srv_pwcache_wipe();
	srv_pwcache_add("first", "pw", stored, t);
	for (i = 0; i < SRV_PWCACHE_SLOTS; i++) {
		snprintf(user, sizeof(user), "u%d", i);
		srv_pwcache_add(user, "pw", stored, t + 1);
	}
	CHECK(!srv_pwcache_hit("first", "pw", stored, t + 1));
	CHECK(srv_pwcache_hit("u0", "pw", stored, t + 1));
	CHECK(srv_pwcache_hit("u63", "pw", stored, t + 1));
	/* Wiped: nothing is believed, and a new key makes old MACs meaningless anyway. */
	srv_pwcache_wipe();
	CHECK(!srv_pwcache_hit("u0", "pw", stored, t + 1));
}

/* The login path: a correct password is verified once and then served from the cache; a wrong one always
 * pays the key derivation and counts; a throttled address is refused before the cache; a changed password
 * (also from another connection, as the admin command line is) or a deleted user is never served from it. */
static void test_login_cache(sqlite3 *db, const char *dir)
{
	struct srv_login_stats s0, s1;
	struct srv_err err;
	struct cl_error e;
	sqlite3 *other = NULL;
	int i;

	srv_throttle_reset();
	srv_pwcache_wipe();
	CHECK_INT_EQ(srv_user_add(db, "fleet", "fleet pw", NULL, &e), CL_OK);
	srv_login_stats(&s0);
	memset(&err, 0, sizeof(err));
	CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pw", "10.9.0.1", &err), CL_OK);
	srv_login_stats(&s1);
	CHECK_INT_EQ(s1.password_checks - s0.password_checks, 1);
	CHECK_INT_EQ(s1.cache_hits - s0.cache_hits, 0);
	for (i = 0; i < 3; i++)
		CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pw", i ? "10.9.0.3" : "10.9.0.1", &err),
		             CL_OK);
	srv_login_stats(&s0);
	CHECK_INT_EQ(s0.password_checks - s1.password_checks, 0);
	CHECK_INT_EQ(s0.cache_hits - s1.cache_hits, 3);
	/* Wrong passwords: each one a key derivation and a failure, until the name's budget at that address
	 * is spent; then even the right password is refused there, without a cache hit. */
	for (i = 0; i < SRV_THROTTLE_NAME_BURST; i++) {
		memset(&err, 0, sizeof(err));
		CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pW", "10.9.0.2", &err), CL_E_REFUSED);
		CHECK_STR_EQ(err.e.code, "invalid_credentials");
	}
	srv_login_stats(&s1);
	CHECK_INT_EQ(s1.password_checks - s0.password_checks, SRV_THROTTLE_NAME_BURST);
	CHECK_INT_EQ(s1.failed - s0.failed, SRV_THROTTLE_NAME_BURST);
	memset(&err, 0, sizeof(err));
	CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pw", "10.9.0.2", &err), CL_E_RETRY_LATER);
	CHECK_STR_EQ(err.e.code, "busy");
	srv_login_stats(&s0);
	CHECK_INT_EQ(s0.cache_hits - s1.cache_hits, 0);
	CHECK_INT_EQ(s0.password_checks - s1.password_checks, 0);
	CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pw", "10.9.0.1", &err), CL_OK);
	/* The administrator changes the password from the command line (another connection, another process):
	 * the old password is checked again, and refused. */
	CHECK_INT_EQ(srv_db_open(dir, &other, &e), CL_OK);
	CHECK_INT_EQ(srv_user_set_password(other, "fleet", "new fleet pw", &e), CL_OK);
	sqlite3_close(other);
	srv_login_stats(&s0);
	memset(&err, 0, sizeof(err));
	CHECK_INT_EQ(srv_login_password(db, "fleet", "fleet pw", "10.9.0.1", &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_login_password(db, "fleet", "new fleet pw", "10.9.0.1", &err), CL_OK);
	CHECK_INT_EQ(srv_login_password(db, "fleet", "new fleet pw", "10.9.0.1", &err), CL_OK);
	srv_login_stats(&s1);
	CHECK_INT_EQ(s1.password_checks - s0.password_checks, 2);
	CHECK_INT_EQ(s1.cache_hits - s0.cache_hits, 1);
	/* A deleted user: the right password of a moment ago is refused after a full key derivation. */
	CHECK_INT_EQ(srv_user_del(db, "fleet", &e), CL_OK);
	memset(&err, 0, sizeof(err));
	CHECK_INT_EQ(srv_login_password(db, "fleet", "new fleet pw", "10.9.0.4", &err), CL_E_REFUSED);
	srv_login_stats(&s0);
	CHECK_INT_EQ(s0.password_checks - s1.password_checks, 1);
	CHECK_INT_EQ(s0.cache_hits - s1.cache_hits, 0);
	srv_throttle_reset();
	srv_pwcache_wipe();
}

/* Retry-After for the clients the connection cap turns away: spread at the rate connections are freed. */
static void test_overload(void)
{
	struct srv_overload o;
	double t = 5000.0;
	int i, w, prev = 0, ok = 1;

	/* Nothing measured yet: max_open per two seconds (here 50 a second), from 1 s on, never decreasing.
	 */
	srv_overload_init(&o, 100);
	for (i = 0; i < 500; i++) {
		w = srv_overload_retry_after(&o, t);
		ok &= w >= 1 && w >= prev;
		prev = w;
	}
	CHECK(ok);
	CHECK_INT_EQ(prev, 11); /* ceil(1 + 499 / 50) */
	srv_overload_destroy(&o);
	/* A measured rate: 30 connections served and closed in two seconds (and one turned away). */
	srv_overload_init(&o, 100);
	CHECK_INT_EQ(srv_overload_retry_after(&o, t), 1);
	srv_overload_closed(&o, t + 0.1);
	for (i = 0; i < 30; i++)
		srv_overload_closed(&o, t + 1);
	for (i = 0; i < 150; i++)
		w = srv_overload_retry_after(&o, t + 2);
	CHECK(w >= 10 && w <= 12); /* 150 clients at 15 a second, from t + 3 */
	/* Quiet for long: the old measurement is forgotten. */
	w = srv_overload_retry_after(&o, t + 100);
	CHECK_INT_EQ(w, 1);
	/* Never beyond what a client honours. */
	for (i = 0; i < 100000; i++)
		w = srv_overload_retry_after(&o, t + 100);
	CHECK_INT_EQ(w, SRV_OVERLOAD_MAX_WAIT);
	srv_overload_destroy(&o);
}

static X509_REQ *make_csr(const char *cn, EVP_PKEY **key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();

	*key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0);
	X509_REQ_set_subject_name(req, name);
	X509_REQ_set_pubkey(req, *key);
	X509_REQ_sign(req, *key, EVP_sha256());
	X509_NAME_free(name);
	return req;
}

/* A throw-away self-signed certificate of a new RSA key, like a client's SCEP signer. */
static X509 *make_signer(void)
{
	EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509 *x = X509_new();

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_UTF8,
	                           (const unsigned char *)"alice", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_sign(x, key, EVP_sha256());
	EVP_PKEY_free(key);
	return x;
}

/* The issuance policy straight on the database: challenge one-time and bound, retransmission idempotent. */
/* Is SERIAL on the CRL the server would publish now, and with which reason (-2: not listed)? */
static int crl_reason(sqlite3 *db, const char *serial)
{
	struct srv_revoked *list = NULL;
	struct cl_error err;
	size_t n = 0;
	int reason = -2;

	CHECK_INT_EQ(srv_certs_revoked(db, &list, &n, &err), CL_OK);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].serial, serial))
			reason = list[i].reason;
	free(list);
	return reason;
}

/* SERIAL was just replaced by a renewal: on the CRL (reason superseded) once renewal_revoke_days have passed,
 * not before; and no longer renewable then. */
static void check_superseded(sqlite3 *db, const char *serial)
{
	struct cl_error err;

	CHECK_INT_EQ(crl_reason(db, serial), -2); /* 7 days of grace by default */
	CHECK_INT_EQ(srv_config_set(db, "renewal_revoke_days", "0", &err), CL_OK);
	CHECK_INT_EQ(crl_reason(db, serial), SRV_CRL_REASON_SUPERSEDED);
	CHECK_INT_EQ(srv_config_set(db, "renewal_revoke_days", "7", &err), CL_OK);
	CHECK_INT_EQ(sqlite3_exec(db, "UPDATE certificates SET superseded_at = superseded_at - 8 * 86400",
	                          NULL, NULL, NULL),
	             SQLITE_OK);
	CHECK_INT_EQ(crl_reason(db, serial), SRV_CRL_REASON_SUPERSEDED);
}

/* Every issued certificate names the CRL: this server's, over plain HTTP when that listener runs. */
static void check_crl_point(sqlite3 *db, X509 *cert)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(cert, NID_crl_distribution_points, NULL, NULL);
	const DIST_POINT *dp = dps && sk_DIST_POINT_num(dps) == 1 ? sk_DIST_POINT_value(dps, 0) : NULL;
	const GENERAL_NAME *gn = dp && dp->distpoint && dp->distpoint->type == 0
	                             ? sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0)
	                             : NULL;
	char url[300];
	struct cl_error err;

	srv_certs_crl_url(db, url, sizeof(url));
	CHECK(gn && gn->type == GEN_URI);
	if (gn && gn->type == GEN_URI)
		CHECK_STR_EQ((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier), url);
	CHECK(strncmp(url, "https://", 8) == 0 && strstr(url, "/ca.crl"));
	CHECK_INT_EQ(srv_db_meta_set(db, "scep_http_port", "8080", &err), CL_OK);
	srv_certs_crl_url(db, url, sizeof(url));
	CHECK(strncmp(url, "http://", 7) == 0 && strstr(url, ":8080/ca.crl"));
	CHECK_INT_EQ(srv_db_meta_set(db, "scep_http_port", "0", &err), CL_OK);
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
}

static void test_issue(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { 0 };
	struct srv_apply_in in = {
		.client_request_id = "req-1", .user = "alice", .password = "pw two", .store = "user"
	};
	struct srv_app app = { 0 }, other = { 0 };
	struct srv_err err = { 0 };
	struct srv_issue_out out;
	struct srv_issue_in req = { 0 };
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	EVP_PKEY *k1 = NULL, *k2 = NULL;
	X509_REQ *csr1 = make_csr("alice", &k1), *csr2 = make_csr("alice", &k2);
	char *ch1 = NULL, *ch2 = NULL;
	time_t exp;
	int created;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr), CL_OK);
	CHECK_INT_EQ(created, 1);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve", "true", &cerr), CL_OK);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_STR_EQ(app.state, "approved");
	in.client_request_id = "req-2";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &other, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &ch1, &exp, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &other, NULL, &ch2, &exp, &err), CL_OK);
	CHECK(ch1 && ch2 && strlen(ch1) >= 22 && strcmp(ch1, ch2) != 0);

	req.message_type = 19;
	req.transaction_id = "tx-1";
	req.csr = csr1;
	req.challenge = "wrong";
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	CHECK_INT_EQ(out.fail_info, SRV_FAIL_BAD_REQUEST);
	req.challenge = ch1;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	CHECK(out.cert != NULL);
	X509 *first = out.cert;
	check_crl_point(db, first);
	/* Retransmission: the same certificate. */
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	CHECK(out.cert && X509_cmp(out.cert, first) == 0);
	X509_free(out.cert);
	/* ... also when a new signer sends it (a client whose key is EC signs with a throw-away RSA transport
	 * certificate, new after a crash): the rule is keyed on the request's key, not the signer's. */
	req.signer = make_signer();
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	CHECK(out.cert && X509_cmp(out.cert, first) == 0);
	X509_free(out.cert);
	X509_free(req.signer);
	req.signer = NULL;
	/* The used challenge with a new transaction and key: refused. Same transactionID with another key:
	 * refused. */
	req.transaction_id = "tx-2";
	req.csr = csr2;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	req.transaction_id = "tx-1";
	req.challenge = ch2;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	/* The other application's own challenge works for it, once. */
	req.transaction_id = "tx-3";
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	CHECK_STR_EQ(out.app_id, other.id);
	X509_free(out.cert);
	/* An expired challenge is refused. */
	srv_free_secret(ch2);
	ch2 = NULL;
	in.client_request_id = "req-3";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &other, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &other, NULL, &ch2, &exp, &err), CL_OK);
	CHECK_INT_EQ(sqlite3_exec(db, "UPDATE challenges SET expires = 1 WHERE used = 0", NULL, NULL, NULL),
	             SQLITE_OK);
	req.message_type = 19;
	req.transaction_id = "tx-4";
	req.challenge = ch2;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	/* Renewal with the same key: refused when renewal_same_key is forbidden, issued when allowed. */
	{
		char serial[48];
		struct srv_app renew = { 0 };
		srv_ca_serial_hex(first, serial, sizeof(serial));
		in.client_request_id = "req-renew";
		in.renewal_of = serial;
		CHECK_INT_EQ(srv_apps_apply(db, &in, &renew, &created, &err), CL_OK);
		CHECK_STR_EQ(renew.renewal_of, serial);
		srv_free_secret(ch2);
		CHECK_INT_EQ(srv_apps_activate(db, &renew, NULL, &ch2, &exp, &err), CL_OK);
		CHECK_INT_EQ(srv_config_set(db, "renewal_same_key", "forbidden", &cerr), CL_OK);
		req.transaction_id = "tx-renew";
		req.csr = csr1;
		req.challenge = ch2;
		CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
		CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
		CHECK(strstr(out.why, "new key") != NULL);
		CHECK_INT_EQ(srv_config_set(db, "renewal_same_key", "allowed", &cerr), CL_OK);
		CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
		CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
		X509_free(out.cert);
		check_superseded(db, serial);
		/* A renewal of a revoked certificate cannot be applied for. */
		struct srv_err rerr = { 0 };
		CHECK_INT_EQ(srv_certs_revoke(db, serial, &rerr), CL_OK);
		in.client_request_id = "req-renew-2";
		CHECK_INT_EQ(srv_apps_apply(db, &in, &renew, &created, &err), CL_E_REFUSED);
		CHECK_STR_EQ(err.e.code, "forbidden");
		in.renewal_of = NULL;
		srv_app_clear(&renew);
	}
	/* CertPoll for an unknown transaction. */
	req.message_type = 20;
	req.transaction_id = "tx-unknown";
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.fail_info, SRV_FAIL_BAD_CERT_ID);

	X509_free(first);
	srv_free_secret(ch1);
	srv_free_secret(ch2);
	srv_app_clear(&app);
	srv_app_clear(&other);
	X509_REQ_free(csr1);
	X509_REQ_free(csr2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
	srv_ca_free(ca);
}

/* The activation profile of each store: its networks name the RADIUS CA, which the profile delivers; a client
 * reads it back with the same rules. */
static void test_profile(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { 0 };
	struct srv_ca *ca = NULL;
	struct cl_proto_profile p;
	struct cl_error err;
	cJSON *doc;
	char *text, fp[65];
	int created;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "network_computer",
	                            "[{\"type\":\"wired\",\"eap\":\"tls\",\"altsubject_matches\":"
	                            "[\"DNS:radius.example.com\"]}]",
	                            &err),
	             CL_OK);
	/* the user store has none: no "networks" member */
	doc = srv_networks_profile(db, ca, "user");
	CHECK(cJSON_GetObjectItemCaseSensitive(doc, "networks") == NULL);
	CHECK_INT_EQ(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "trust")), 1);
	cJSON_Delete(doc);
	/* the computer store's, with this server's CA as the RADIUS CA */
	doc = srv_networks_profile(db, ca, "computer");
	text = cJSON_PrintUnformatted(doc);
	CHECK_INT_EQ(cl_proto_parse_profile(text, strlen(text), &p, &err), CL_OK);
	CHECK(p.n_trust == 1 && p.networks.n == 1 && p.networks.v[0].kind == CL_PROTO_NET_WIRED);
	cl_fp_format_hex(p.networks.v[0].ca_sha256, fp);
	CHECK_STR_EQ(fp, ca->fp_hex);
	cl_proto_profile_clear(&p);
	free(text);
	cJSON_Delete(doc);
	/* another CA for the RADIUS servers: delivered too, and named */
	{
		struct srv_ca *radius = NULL;
		char rdir[4200];

		snprintf(rdir, sizeof(rdir), "%s/radius-ca", dir);
		mkdir(rdir, 0700);
		CHECK_INT_EQ(srv_ca_load_or_create(rdir, &opts, &radius, &created, &err), CL_OK);
		CHECK_INT_EQ(srv_config_set(db, "network_ca", radius->cert_pem, &err), CL_OK);
		doc = srv_networks_profile(db, ca, "computer");
		text = cJSON_PrintUnformatted(doc);
		CHECK_INT_EQ(cl_proto_parse_profile(text, strlen(text), &p, &err), CL_OK);
		CHECK(p.n_trust == 2 && p.networks.n == 1 && p.networks.v[0].ca_index == 1);
		cl_fp_format_hex(p.networks.v[0].ca_sha256, fp);
		CHECK_STR_EQ(fp, radius->fp_hex);
		cl_proto_profile_clear(&p);
		free(text);
		cJSON_Delete(doc);
		srv_ca_free(radius);
	}
	CHECK_INT_EQ(srv_config_set(db, "network_ca", "", &err), CL_OK);
	{
		char ra[16384];
		BIO *b = BIO_new(BIO_s_mem());
		char *data;
		long len;

		/* the RA certificate is no CA: refused as a network CA */
		PEM_write_bio_X509(b, ca->ra_cert);
		len = BIO_get_mem_data(b, &data);
		snprintf(ra, sizeof(ra), "%.*s", (int)len, data);
		BIO_free(b);
		CHECK_INT_EQ(srv_config_set(db, "network_ca", ra, &err), CL_E_LOCAL);
	}
	CHECK_INT_EQ(srv_config_set(db, "network_computer", "", &err), CL_OK);
	srv_ca_free(ca);
}

/* A request whose CN is cn_len bytes of cn (a NUL may be among them), with subjectAltName san ("email:..." in
 * OpenSSL's notation) when not NULL. */
static X509_REQ *make_named_csr(const char *cn, int cn_len, const char *san, EVP_PKEY **key)
{
	X509_REQ *req = X509_REQ_new();
	X509_NAME *name = X509_NAME_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();

	*key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, cn_len, -1, 0);
	X509_REQ_set_subject_name(req, name);
	if (san) {
		sk_X509_EXTENSION_push(exts, X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san));
		X509_REQ_add_extensions(req, exts);
	}
	X509_REQ_set_pubkey(req, *key);
	X509_REQ_sign(req, *key, EVP_sha256());
	X509_NAME_free(name);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return req;
}

/* Send csr with challenge; the status, and the certificate's subject and e-mail SANs (text) on success. */
static enum srv_issue_status send_named(sqlite3 *db, const struct srv_ca *ca, X509_REQ *csr,
                                        const char *challenge, const char *txid, char *subject, char *emails,
                                        char *why)
{
	struct srv_issue_in req = {
		.message_type = 19, .transaction_id = txid, .csr = csr, .challenge = challenge
	};
	struct srv_issue_out out;
	struct cl_error cerr;
	GENERAL_NAMES *names;
	int i;

	subject[0] = emails[0] = '\0';
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	snprintf(why, 256, "%s", out.why);
	if (out.cert) {
		srv_name_text(X509_get_subject_name(out.cert), subject, 256);
		names = X509_get_ext_d2i(out.cert, NID_subject_alt_name, NULL, NULL);
		for (i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
			const GENERAL_NAME *gn = sk_GENERAL_NAME_value(names, i);
			if (gn->type == GEN_EMAIL)
				snprintf(emails + strlen(emails), 256 - strlen(emails), "%s%s",
				         emails[0] ? "," : "",
				         (const char *)ASN1_STRING_get0_data(gn->d.ia5));
		}
		GENERAL_NAMES_free(names);
		X509_free(out.cert);
	}
	return out.status;
}

/* Certificates name the approved identity: the user ID, the directory's e-mail, an approved computer name. */
static void test_names(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { 0 };
	struct srv_apply_in in = { .client_request_id = "names-1",
		                   .user = "erin",
		                   .password = "erin pw",
		                   .store = "user",
		                   .email = "bob@corp.example" };
	struct srv_app app = { 0 };
	struct srv_err err = { 0 };
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	X509_REQ *csr;
	char *challenge = NULL, subject[256], emails[256], why[256];
	cJSON *device = cJSON_Parse("{\"hostname\": \"bob\"}");
	time_t exp;
	int created;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve", "true", &cerr), CL_OK);
	CHECK_INT_EQ(srv_user_add(db, "erin", "erin pw", "not an address", &cerr), CL_E_LOCAL);
	CHECK_INT_EQ(srv_user_add(db, "erin", "erin pw", "erin@corp.example", &cerr), CL_OK);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_STR_EQ(app.email, "bob@corp.example"); /* what she typed, for the administrator's eyes */
	CHECK_INT_EQ(srv_apps_activate(db, &app, device, &challenge, &exp, &err), CL_OK);
	CHECK(strstr(app.activation, "\"subject\":[[\"CN\",\"erin\"]]") != NULL);
	CHECK(strstr(app.activation, "\"email\":[\"erin@corp.example\"]") != NULL);
	CHECK(strstr(app.activation, "\"cn_override\":\"forbidden\"") != NULL); /* nothing to choose */
	/* CN=bob, SAN bob@, a NUL in the CN, a URI: refused, and the challenge is not spent. */
	csr = make_named_csr("bob", -1, NULL, &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx1", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	csr = make_named_csr("erin", -1, "email:bob@corp.example", &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx2", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	CHECK(strstr(why, "bob@corp.example") != NULL);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	csr = make_named_csr("erin\0bob", 8, NULL, &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx3", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	CHECK(strstr(why, "NUL") != NULL);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	csr = make_named_csr("erin", -1, "email:erin@corp.example,URI:https://bob.example", &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx4", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	/* Her own name (her directory e-mail may be asked for, or not): issued with the approved names only.
	 */
	csr = make_named_csr("erin", -1, "email:ERIN@corp.example", &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx5", subject, emails, why),
	             SRV_ISSUE_SUCCESS);
	CHECK_STR_EQ(subject, "CN=erin");
	CHECK_STR_EQ(emails, "erin@corp.example");
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	srv_free_secret(challenge);

	/* The computer store: device.hostname alone names nothing. */
	in.client_request_id = "names-2";
	in.store = "computer";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, device, &challenge, &exp, &err), CL_OK);
	CHECK(strstr(app.activation, "\"subject\":[[\"CN\",\"erin\"]]") != NULL);
	CHECK_STR_EQ(app.computer_name, "");
	csr = make_named_csr("bob", -1, NULL, &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx6", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	srv_free_secret(challenge);
	/* An administrator approves a computer name: it is the CN; with cn_override allowed the user ID may
	 * be chosen instead, and nothing else. Only computer-store applications get one, and only host names.
	 */
	struct srv_app decided = { 0 };
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_APPROVE, "pc 07", &decided, &err), CL_E_REFUSED);
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_APPROVE, "pc-07.corp.example", &decided, &err), CL_OK);
	CHECK_STR_EQ(decided.computer_name, "pc-07.corp.example");
	srv_app_clear(&decided);
	CHECK_INT_EQ(srv_apps_activate(db, &app, device, &challenge, &exp, &err), CL_OK);
	CHECK(strstr(app.activation, "\"subject\":[[\"CN\",\"pc-07.corp.example\"]]") != NULL);
	CHECK(strstr(app.activation, "\"cn_choices\":[\"pc-07.corp.example\",\"erin\"]") != NULL);
	csr = make_named_csr("bob", -1, NULL, &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx7", subject, emails, why),
	             SRV_ISSUE_FAILURE);
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	csr = make_named_csr("erin", -1, NULL, &key);
	CHECK_INT_EQ(send_named(db, ca, csr, challenge, "names-tx8", subject, emails, why),
	             SRV_ISSUE_SUCCESS);
	CHECK_STR_EQ(subject, "CN=erin");
	X509_REQ_free(csr);
	EVP_PKEY_free(key);
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_decide(db, "no-such-app", SRV_APPROVE, "pc-08", &decided, &err), CL_E_REFUSED);
	in.client_request_id = "names-3";
	in.store = "user";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_APPROVE, "pc-08", &decided, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.detail, "computer_name");
	srv_app_clear(&decided);
	/* Only an administrator's explicit auto_approve_computer_name takes the reported name. */
	CHECK_INT_EQ(srv_config_set(db, "auto_approve_computer_name", "true", &cerr), CL_OK);
	in.client_request_id = "names-4";
	in.store = "computer";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, device, &challenge, &exp, &err), CL_OK);
	CHECK_STR_EQ(app.computer_name, "bob");
	CHECK(strstr(app.activation, "\"subject\":[[\"CN\",\"bob\"]]") != NULL);
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve_computer_name", "false", &cerr), CL_OK);

	cJSON_Delete(device);
	srv_app_clear(&app);
	srv_ca_free(ca);
}

static int certs_of(sqlite3 *db, const char *app_id)
{
	sqlite3_stmt *st = srv_db_prepare(db, "SELECT COUNT(*) FROM certificates WHERE app_id = ?", NULL);
	int n = -1;

	sqlite3_bind_text(st, 1, app_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* A request held (hold_issuance) before a withdrawal, re-application or rejection is never issued afterwards,
 * not even once the application is approved and released again; a new challenge is needed. */
static void test_held(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { 0 };
	struct srv_apply_in in = {
		.client_request_id = "held-1", .user = "erin", .password = "erin pw", .store = "user"
	};
	struct srv_app app = { 0 }, decided = { 0 };
	struct srv_err err = { 0 };
	struct srv_issue_out out;
	struct srv_issue_in req = { .message_type = 19, .transaction_id = "held-tx-1" };
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	char *challenge = NULL, revoked[48];
	time_t exp;
	int created;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve", "true", &cerr), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "hold_issuance", "true", &cerr), CL_OK);
	req.csr = make_csr("erin", &key);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	req.challenge = challenge;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_PENDING);
	/* Withdraw, re-apply (approved again at once), release: the held request stays dead. */
	CHECK_INT_EQ(srv_apps_withdraw(db, &app, NULL, NULL, revoked, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_reapply(db, &app, NULL, NULL, NULL, &err), CL_OK);
	CHECK_STR_EQ(app.state, "approved");
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_RELEASE, NULL, &decided, &err), CL_OK);
	req.message_type = 20; /* CertPoll */
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	CHECK(strstr(out.why, "cancelled") != NULL);
	req.message_type = 19; /* the same PKCSReq again, old challenge */
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	CHECK_INT_EQ(certs_of(db, app.id), 0);
	/* With a new challenge from a new activation the same key and transactionID enrol. */
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	req.challenge = challenge;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS); /* released after the re-application */
	X509_free(out.cert);
	CHECK_INT_EQ(certs_of(db, app.id), 1);
	/* Rejected while held, approved and released again: never issued either. */
	srv_free_secret(challenge);
	in.client_request_id = "held-2";
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	req.csr = make_csr("erin", &key);
	req.transaction_id = "held-tx-2";
	req.challenge = challenge;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_PENDING);
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_REJECT, NULL, &decided, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_APPROVE, NULL, &decided, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_decide(db, app.id, SRV_RELEASE, NULL, &decided, &err), CL_OK);
	req.message_type = 20;
	CHECK_INT_EQ(srv_issue(db, ca, &req, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	CHECK_INT_EQ(certs_of(db, app.id), 0);
	CHECK_INT_EQ(srv_config_set(db, "hold_issuance", "false", &cerr), CL_OK);

	srv_free_secret(challenge);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	srv_app_clear(&app);
	srv_app_clear(&decided);
	srv_ca_free(ca);
}

/* Signing before the write lock (issue-private.h): the certificate signed early is the one issued when
 * nothing changed; it is dropped, and the certificate signed under the lock, when the validity changed
 * meanwhile; and a challenge used up meanwhile refuses the request without recording anything. */
static void test_presign(sqlite3 *db, const char *dir)
{
	struct srv_ca_opts opts = { 0 };
	struct srv_apply_in in = {
		.client_request_id = "pre-1", .user = "erin", .password = "erin pw", .store = "user"
	};
	struct srv_app app = { 0 };
	struct srv_err err = { 0 };
	struct srv_issue_out out;
	struct srv_issue_in req = { .message_type = 19, .transaction_id = "pre-tx-1" };
	struct srv_presigned pre = { 0 }, late = { 0 };
	struct cl_error cerr;
	struct srv_ca *ca = NULL;
	EVP_PKEY *key = NULL;
	char *challenge = NULL, s1[48], s2[48];
	time_t exp;
	int created, days;

	CHECK_INT_EQ(srv_ca_load_or_create(dir, &opts, &ca, &created, &cerr), CL_OK);
	CHECK_INT_EQ(srv_config_set(db, "auto_approve", "true", &cerr), CL_OK);
	req.csr = make_csr("erin", &key);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	req.challenge = challenge;
	/* Nothing changed: the early certificate is the issued one. */
	srv_issue_presign(db, ca, &req, &pre);
	CHECK(pre.cert != NULL);
	CHECK_INT_EQ(certs_of(db, app.id), 0); /* signing early records nothing */
	srv_ca_serial_hex(pre.cert, s1, sizeof(s1));
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &pre, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	srv_ca_serial_hex(out.cert, s2, sizeof(s2));
	CHECK_STR_EQ(s2, s1);
	CHECK_INT_EQ(certs_of(db, app.id), 1);
	X509_free(out.cert);
	srv_presigned_clear(&pre);
	/* The validity changes between the early signature and the decision: a new signature under the lock.
	 */
	in.client_request_id = "pre-2";
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	req.csr = make_csr("erin", &key);
	req.transaction_id = "pre-tx-2";
	req.challenge = challenge;
	srv_issue_presign(db, ca, &req, &pre);
	CHECK(pre.cert != NULL);
	srv_ca_serial_hex(pre.cert, s1, sizeof(s1));
	CHECK_INT_EQ(srv_config_set(db, "cert_days", "30", &cerr), CL_OK);
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &pre, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	srv_ca_serial_hex(out.cert, s2, sizeof(s2));
	CHECK(strcmp(s1, s2) != 0);
	CHECK(ASN1_TIME_diff(&days, &created, X509_get0_notBefore(out.cert), X509_get0_notAfter(out.cert)) &&
	      days == 30);
	CHECK_INT_EQ(certs_of(db, app.id), 1);
	X509_free(out.cert);
	srv_presigned_clear(&pre);
	CHECK_INT_EQ(srv_config_set(db, "cert_days", "365", &cerr), CL_OK);
	/* So does the CRL distribution point. */
	in.client_request_id = "pre-2b";
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	req.csr = make_csr("erin", &key);
	req.transaction_id = "pre-tx-2b";
	req.challenge = challenge;
	srv_issue_presign(db, ca, &req, &pre);
	CHECK(pre.cert != NULL);
	srv_ca_serial_hex(pre.cert, s1, sizeof(s1));
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "http://crl.example.test/ca.crl", &cerr), CL_OK);
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &pre, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	srv_ca_serial_hex(out.cert, s2, sizeof(s2));
	CHECK(strcmp(s1, s2) != 0);
	{
		STACK_OF(DIST_POINT) *dps =
		    X509_get_ext_d2i(out.cert, NID_crl_distribution_points, NULL, NULL);
		const DIST_POINT *dp =
		    dps && sk_DIST_POINT_num(dps) == 1 ? sk_DIST_POINT_value(dps, 0) : NULL;
		const GENERAL_NAME *gn = dp && dp->distpoint && dp->distpoint->type == 0
		                             ? sk_GENERAL_NAME_value(dp->distpoint->name.fullname, 0)
		                             : NULL;
		CHECK(gn && gn->type == GEN_URI &&
		      !strcmp((const char *)ASN1_STRING_get0_data(gn->d.uniformResourceIdentifier),
		              "http://crl.example.test/ca.crl"));
		sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
	}
	X509_free(out.cert);
	srv_presigned_clear(&pre);
	CHECK_INT_EQ(srv_config_set(db, "crl_url", "", &cerr), CL_OK);
	/* Two requests with one challenge, both signed early: the first decided is issued, the second
	 * refused; one certificate in all. */
	in.client_request_id = "pre-3";
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	req.transaction_id = "pre-tx-3";
	req.challenge = challenge;
	srv_issue_presign(db, ca, &req, &pre);
	srv_issue_presign(db, ca, &req, &late);
	CHECK(pre.cert && late.cert);
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &pre, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	X509_free(out.cert);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	req.csr = make_csr("erin", &key);
	req.transaction_id = "pre-tx-4";
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &late, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_FAILURE);
	CHECK(out.cert == NULL);
	CHECK_INT_EQ(certs_of(db, app.id), 1);
	srv_presigned_clear(&pre);
	srv_presigned_clear(&late);
	/* An early signature for another request's key is never issued for this one. */
	in.client_request_id = "pre-4";
	srv_free_secret(challenge);
	CHECK_INT_EQ(srv_apps_apply(db, &in, &app, &created, &err), CL_OK);
	CHECK_INT_EQ(srv_apps_activate(db, &app, NULL, &challenge, &exp, &err), CL_OK);
	req.transaction_id = "pre-tx-5";
	req.challenge = challenge;
	srv_issue_presign(db, ca, &req, &pre);
	CHECK(pre.cert != NULL);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	req.csr = make_csr("erin", &key);
	CHECK_INT_EQ(srv_issue_decide(db, ca, &req, &pre, &out, &cerr), CL_OK);
	CHECK_INT_EQ(out.status, SRV_ISSUE_SUCCESS);
	CHECK(out.cert && EVP_PKEY_eq(X509_get0_pubkey(out.cert), key) == 1);
	X509_free(out.cert);
	srv_presigned_clear(&pre);

	srv_free_secret(challenge);
	X509_REQ_free(req.csr);
	EVP_PKEY_free(key);
	srv_app_clear(&app);
	srv_ca_free(ca);
}

int main(int argc, char **argv)
{
	const char *base = argc > 1 ? argv[1] : "unit-tmp";
	char dir[4096], cmd[4200];
	struct cl_error err;
	sqlite3 *db = NULL;

	snprintf(dir, sizeof(dir), "%s/%ld", base, (long)getpid());
	mkdir(base, 0700);
	mkdir(dir, 0700);
	test_passwords();
	test_text_checks();
	test_pwcache();
	test_overload();
	CHECK_INT_EQ(srv_db_open(dir, &db, &err), CL_OK);
	if (db) {
		test_config(db);
		test_users(db);
		test_throttle(db);
		test_login_cache(db, dir);
		test_issue(db, dir);
		test_profile(db, dir);
		test_names(db, dir);
		test_held(db, dir);
		test_presign(db, dir);
		test_invite_link(db, dir);
		sqlite3_close(db);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_done();
}
