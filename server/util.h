/* certlink-server: small shared helpers (random tokens, encodings, hashing, time, files, logging). */
#ifndef SRV_UTIL_H
#define SRV_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

/* A policy refusal on its way to a protocol error: cl_error carries status, protocol code ("invalid_token")
 * and message; detail names the field (field_required, field_too_long) or state (wrong_state). */
struct srv_err {
	struct cl_error e;
	char detail[32];
	int retry_after;
};

/* Fill err and return its status. code is a protocol error code (docs/protocol.md section 2). */
enum cl_status srv_err_set(struct srv_err *err, enum cl_status status, const char *code, const char *detail,
                           const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Fill buf with n random bytes from OpenSSL's DRBG; returns 0 or -1. */
int srv_random(void *buf, size_t n);

/* A random base64url token of nbytes random bytes (>= 16). Caller frees with srv_free_secret(). */
char *srv_token_new(size_t nbytes);

/* A random string of n lowercase hex digits (n < 64) into out[n + 1]. */
int srv_random_hex(char *out, size_t n);

/* base64url without padding. out must hold 4 * ((n + 2) / 3) + 1 bytes. */
void srv_b64url_encode(const unsigned char *in, size_t n, char *out);

/* Lowercase hex of n bytes into out[2n + 1]. */
void srv_hex(const unsigned char *in, size_t n, char *out);

/* SHA-256 of s as 64 lowercase hex digits into out[65]. */
void srv_sha256_hex(const void *data, size_t n, char *out);

/* Wipe and free a NUL-terminated secret. Accepts NULL. */
void srv_free_secret(char *s);

/* RFC 3339 UTC ("2026-11-25T10:00:00Z") into out[21]. */
void srv_time_fmt(time_t t, char out[21]);

/* Create or replace path atomically with data (temp file 0600/mode, fsync, rename, fsync dir). */
enum cl_status srv_file_write_atomic(const char *path, const void *data, size_t len, int mode,
                                     struct cl_error *err);

/* Read a whole file (at most max bytes) into a NUL-terminated buffer. Caller frees. */
enum cl_status srv_file_read(const char *path, size_t max, char **out, size_t *len, struct cl_error *err);

/* True when s is 1..max characters of [A-Za-z0-9_-]. */
int srv_is_token_chars(const char *s, size_t max);

/* Number of UTF-8 characters in s, or -1 when s is not valid UTF-8 or holds a control character. */
long srv_utf8_chars(const char *s);

/* True when s looks like an e-mail address: 3-128 printable ASCII characters (it goes into certificates as an
 * IA5String), one '@' with text on both sides, no spaces, quotes, angle brackets, backslashes, commas or
 * semicolons. */
int srv_email_ok(const char *s);

/* True when s is a host name: dot-separated labels of 1-63 letters, digits and hyphens (no hyphen first or
 * last), 1-253 characters in all. What a computer certificate may be named. */
int srv_hostname_ok(const char *s);

/* One log line on stderr with a UTC timestamp. Never pass secrets. */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
