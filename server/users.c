/* certlink-server: user accounts and password hashing (see users.h). */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "db.h"
#include "util.h"

#define SALT_LEN 16
#define HASH_LEN 32

static int b64url_decode(const char *in, unsigned char *out, size_t max, size_t *outlen)
{
	uint32_t acc = 0;
	size_t o = 0;
	int bits = 0;
	const char *p;

	for (p = in; *p; p++) {
		int v;
		if (*p >= 'A' && *p <= 'Z')
			v = *p - 'A';
		else if (*p >= 'a' && *p <= 'z')
			v = *p - 'a' + 26;
		else if (*p >= '0' && *p <= '9')
			v = *p - '0' + 52;
		else if (*p == '-')
			v = 62;
		else if (*p == '_')
			v = 63;
		else
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= max)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	*outlen = o;
	return 0;
}

static int derive(const char *password, const unsigned char *salt, long iter, unsigned char *out)
{
	return PKCS5_PBKDF2_HMAC(password, (int)strlen(password), salt, SALT_LEN, (int)iter, EVP_sha256(),
	                         HASH_LEN, out) == 1
	           ? 0
	           : -1;
}

int srv_password_hash(const char *password, char *out, size_t n)
{
	unsigned char salt[SALT_LEN], hash[HASH_LEN];
	char salt64[32], hash64[48];
	int rc = -1;

	if (srv_random(salt, sizeof(salt)) == 0 && derive(password, salt, SRV_PBKDF2_ITERATIONS, hash) == 0) {
		srv_b64url_encode(salt, sizeof(salt), salt64);
		srv_b64url_encode(hash, sizeof(hash), hash64);
		if (snprintf(out, n, "pbkdf2-sha256$%d$%s$%s", SRV_PBKDF2_ITERATIONS, salt64, hash64) <
		    (int)n)
			rc = 0;
	}
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

int srv_password_verify(const char *stored, const char *password)
{
	unsigned char salt[SALT_LEN + 4], want[HASH_LEN + 4], got[HASH_LEN];
	char copy[160], *save = NULL, *alg, *iter_s, *salt_s, *hash_s, *end;
	size_t salt_len = 0, want_len = 0;
	long iter;
	int ok = 0;

	if (!stored || strlen(stored) >= sizeof(copy))
		return 0;
	snprintf(copy, sizeof(copy), "%s", stored);
	alg = strtok_r(copy, "$", &save);
	iter_s = strtok_r(NULL, "$", &save);
	salt_s = strtok_r(NULL, "$", &save);
	hash_s = strtok_r(NULL, "$", &save);
	if (!alg || !iter_s || !salt_s || !hash_s || strcmp(alg, "pbkdf2-sha256") != 0)
		return 0;
	iter = strtol(iter_s, &end, 10);
	if (*end || iter < 1000 || iter > 10000000)
		return 0;
	if (b64url_decode(salt_s, salt, sizeof(salt), &salt_len) != 0 || salt_len != SALT_LEN ||
	    b64url_decode(hash_s, want, sizeof(want), &want_len) != 0 || want_len != HASH_LEN)
		return 0;
	if (derive(password, salt, iter, got) == 0)
		ok = CRYPTO_memcmp(got, want, HASH_LEN) == 0;
	OPENSSL_cleanse(got, sizeof(got));
	return ok;
}

int srv_user_name_ok(const char *name)
{
	long n = name ? srv_utf8_chars(name) : -1;

	return n >= 1 && n <= SRV_USER_MAX;
}

static enum cl_status write_user(sqlite3 *db, const char *sql, const char *name, const char *password,
                                 const char *email, struct cl_error *err)
{
	char hash[160] = "";
	sqlite3_stmt *st;
	int rc;

	if (password && srv_password_hash(password, hash, sizeof(hash)) != 0)
		return cl_error_set(err, CL_E_UNEXPECTED, "hashing the password failed");
	st = srv_db_prepare(db, sql, err);
	if (!st)
		return err ? err->status : CL_E_UNEXPECTED;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	srv_db_bind_text(st, 2, password ? hash : NULL);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)time(NULL));
	srv_db_bind_text(st, 4, email);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	OPENSSL_cleanse(hash, sizeof(hash));
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return cl_error_set(err, CL_E_REFUSED, "user \"%s\" already exists", name);
	if (rc != SQLITE_DONE)
		return srv_db_fail(db, rc, "writing the user", err);
	if (sqlite3_changes(db) == 0)
		return cl_error_set(err, CL_E_REFUSED, "no user \"%s\"", name);
	return CL_OK;
}

static enum cl_status check_email(const char *email, struct cl_error *err)
{
	if (email && !srv_email_ok(email))
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "an e-mail address is 3-128 printable ASCII characters with one @ (no spaces, "
		    "quotes, <>, commas or semicolons)");
	return CL_OK;
}

enum cl_status srv_user_add(sqlite3 *db, const char *name, const char *password, const char *email,
                            struct cl_error *err)
{
	if (!srv_user_name_ok(name))
		return cl_error_set(err, CL_E_LOCAL, "a user ID is 1-%d printable characters", SRV_USER_MAX);
	if (password && (srv_utf8_chars(password) < 1 || srv_utf8_chars(password) > SRV_PASSWORD_MAX))
		return cl_error_set(err, CL_E_LOCAL, "a password is 1-%d printable characters",
		                    SRV_PASSWORD_MAX);
	if (check_email(email, err) != CL_OK)
		return CL_E_LOCAL;
	return write_user(db, "INSERT INTO users(name, pw_hash, created, email) VALUES(?1, ?2, ?3, ?4)", name,
	                  password, email, err);
}

enum cl_status srv_user_set_password(sqlite3 *db, const char *name, const char *password,
                                     struct cl_error *err)
{
	if (password && (srv_utf8_chars(password) < 1 || srv_utf8_chars(password) > SRV_PASSWORD_MAX))
		return cl_error_set(err, CL_E_LOCAL, "a password is 1-%d printable characters",
		                    SRV_PASSWORD_MAX);
	return write_user(db,
	                  "UPDATE users SET pw_hash = ?2 WHERE name = ?1 AND ?3 IS NOT NULL AND ?4 IS NULL",
	                  name, password, NULL, err);
}

enum cl_status srv_user_set_email(sqlite3 *db, const char *name, const char *email, struct cl_error *err)
{
	if (check_email(email, err) != CL_OK)
		return CL_E_LOCAL;
	return write_user(db, "UPDATE users SET email = ?4 WHERE name = ?1 AND ?2 IS NULL AND ?3 IS NOT NULL",
	                  name, NULL, email, err);
}

int srv_user_email(sqlite3 *db, const char *name, char *out, size_t n)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT email FROM users WHERE name = ? AND email IS NOT NULL", NULL);
	int found = 0;

	out[0] = '\0';
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		srv_db_col_copy(st, 0, out, n);
		found = out[0] != '\0';
	}
	sqlite3_finalize(st);
	return found;
}

cJSON *srv_users_list(sqlite3 *db)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT name, pw_hash IS NOT NULL, email FROM users ORDER BY name", NULL);
	cJSON *arr = cJSON_CreateArray(), *o;

	while (st && sqlite3_step(st) == SQLITE_ROW) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "name", (const char *)sqlite3_column_text(st, 0));
		cJSON_AddBoolToObject(o, "password", sqlite3_column_int(st, 1));
		if (sqlite3_column_type(st, 2) == SQLITE_NULL)
			cJSON_AddNullToObject(o, "email");
		else
			cJSON_AddStringToObject(o, "email", (const char *)sqlite3_column_text(st, 2));
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_finalize(st);
	return arr;
}

enum cl_status srv_user_del(sqlite3 *db, const char *name, struct cl_error *err)
{
	sqlite3_stmt *st = srv_db_prepare(db, "DELETE FROM users WHERE name = ?", err);
	int rc;

	if (!st)
		return err ? err->status : CL_E_UNEXPECTED;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return srv_db_fail(db, rc, "deleting the user", err);
	if (sqlite3_changes(db) == 0)
		return cl_error_set(err, CL_E_REFUSED, "no user \"%s\"", name);
	/* The addresses this user logged in from must not exempt a later user of the same name from the login
	 * throttle (throttle.c); the failure budget stays and drains. */
	st = srv_db_prepare(db, "DELETE FROM login_known WHERE user = ?", NULL);
	if (st) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		sqlite3_step(st);
		sqlite3_finalize(st);
	}
	return CL_OK;
}

static int lookup(sqlite3 *db, const char *name, char *hash, size_t n)
{
	sqlite3_stmt *st = srv_db_prepare(db, "SELECT pw_hash FROM users WHERE name = ?", NULL);
	int found = 0;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		found = 1;
		if (hash)
			srv_db_col_copy(st, 0, hash, n);
	}
	sqlite3_finalize(st);
	return found;
}

int srv_user_exists(sqlite3 *db, const char *name)
{
	return lookup(db, name, NULL, 0);
}

int srv_user_password_hash(sqlite3 *db, const char *name, char *out, size_t n)
{
	out[0] = '\0';
	return lookup(db, name, out, n);
}

int srv_user_verify_stored(const char *stored, const char *password)
{
	/* An unknown user or one without a password costs the same KDF run, so timing tells nothing. */
	static const char dummy[] = "pbkdf2-sha256$120000$AAAAAAAAAAAAAAAAAAAAAA$"
	                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
	int found = stored && stored[0];
	int ok = srv_password_verify(found ? stored : dummy, password);

	return found && ok;
}

int srv_user_check_password(sqlite3 *db, const char *name, const char *password, int *exists)
{
	char hash[SRV_PW_HASH_MAX];
	int known = srv_user_password_hash(db, name, hash, sizeof(hash));
	int ok = srv_user_verify_stored(known ? hash : "", password);

	if (exists)
		*exists = known;
	OPENSSL_cleanse(hash, sizeof(hash));
	return ok;
}

enum cl_status srv_user_authenticate(sqlite3 *db, const char *name, const char *password,
                                     struct cl_error *err)
{
	if (srv_user_check_password(db, name, password, NULL))
		return CL_OK;
	return cl_error_set(err, CL_E_REFUSED, "User ID or password is incorrect.");
}
