/* certlink-server: user accounts and password hashing.
 *
 * Passwords are stored as "pbkdf2-sha256$ITERATIONS$SALT$HASH" (PBKDF2-HMAC-SHA256, 16-byte random salt,
 * base64url), compared with CRYPTO_memcmp. A user without a password can enroll only through passwordless
 * invitations.
 */
#ifndef SRV_USERS_H
#define SRV_USERS_H

#include <sqlite3.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "error.h"

#define SRV_PBKDF2_ITERATIONS 120000
#define SRV_USER_MAX          64  /* characters */
#define SRV_PASSWORD_MAX      256 /* characters */
#define SRV_PW_HASH_MAX       160 /* bytes of a stored hash, with its NUL */

/* Hash a password into out (at least 128 bytes). Returns 0 or -1. */
int srv_password_hash(const char *password, char *out, size_t n);
/* 1 when password matches the stored hash, 0 otherwise (also for a malformed hash). */
int srv_password_verify(const char *stored, const char *password);

/* True when name is an acceptable user ID: 1-64 characters of printable UTF-8. */
int srv_user_name_ok(const char *name);

/* Add a user (password and email may be NULL). The e-mail is the user directory's: the only address issued
 * certificates of this user carry. CL_E_REFUSED when the user exists, CL_E_LOCAL for a bad name, password or
 * e-mail address. */
enum cl_status srv_user_add(sqlite3 *db, const char *name, const char *password, const char *email,
                            struct cl_error *err);
/* Replace a user's e-mail address (NULL removes it). CL_E_REFUSED when there is no such user. */
enum cl_status srv_user_set_email(sqlite3 *db, const char *name, const char *email, struct cl_error *err);
/* The user's e-mail address into out; 1 when there is one. */
int srv_user_email(sqlite3 *db, const char *name, char *out, size_t n);
/* [{"name", "password": bool, "email"}] of every user, by name. */
cJSON *srv_users_list(sqlite3 *db);
/* Replace a user's password (NULL removes it). CL_E_REFUSED when there is no such user. */
enum cl_status srv_user_set_password(sqlite3 *db, const char *name, const char *password,
                                     struct cl_error *err);
/* Delete a user. CL_E_REFUSED when there is no such user. Applications and certificates stay. */
enum cl_status srv_user_del(sqlite3 *db, const char *name, struct cl_error *err);
/* 1 when the user exists. */
int srv_user_exists(sqlite3 *db, const char *name);
/* The user's stored password hash into out (SRV_PW_HASH_MAX bytes; "" for a user without a password). 1 when
 * the user exists, else 0. */
int srv_user_password_hash(sqlite3 *db, const char *name, char *out, size_t n);
/* 1 when password matches stored, a hash from srv_user_password_hash(); an empty stored hash (unknown user,
 * no password) costs the same key derivation and never matches. */
int srv_user_verify_stored(const char *stored, const char *password);
/* 1 when name and password match, else 0; the same key derivation runs for unknown users and users without a
 * password. *exists (may be NULL) says whether the user exists. Callers that serve clients use
 * srv_login_password() (login.h), which adds the throttle and the cap on concurrent derivations. */
int srv_user_check_password(sqlite3 *db, const char *name, const char *password, int *exists);
/* CL_OK when name and password match; CL_E_REFUSED otherwise (same time for unknown users). */
enum cl_status srv_user_authenticate(sqlite3 *db, const char *name, const char *password,
                                     struct cl_error *err);

#endif
