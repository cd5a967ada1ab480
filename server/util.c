/* certlink-server: small shared helpers (see util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

int srv_random(void *buf, size_t n)
{
	return RAND_bytes(buf, (int)n) == 1 ? 0 : -1;
}

void srv_b64url_encode(const unsigned char *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)in[i] << 16;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
	} else if (n - i == 2) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
	}
	out[o] = '\0';
}

char *srv_token_new(size_t nbytes)
{
	unsigned char raw[64];
	char *out;

	if (nbytes < 16 || nbytes > sizeof(raw))
		return NULL;
	out = malloc(4 * ((nbytes + 2) / 3) + 1);
	if (!out)
		return NULL;
	if (srv_random(raw, nbytes) != 0) {
		free(out);
		return NULL;
	}
	srv_b64url_encode(raw, nbytes, out);
	OPENSSL_cleanse(raw, sizeof(raw));
	return out;
}

void srv_hex(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int srv_random_hex(char *out, size_t n)
{
	unsigned char raw[32];

	if (n >= 64 || srv_random(raw, (n + 1) / 2) != 0)
		return -1;
	srv_hex(raw, (n + 1) / 2, out);
	out[n] = '\0';
	return 0;
}

void srv_sha256_hex(const void *data, size_t n, char *out)
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, n, md, &mdlen, EVP_sha256(), NULL);
	srv_hex(md, 32, out);
}

void srv_free_secret(char *s)
{
	if (!s)
		return;
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void srv_time_fmt(time_t t, char out[21])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	int fd, rc = -1;

	if (!copy)
		return -1;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

enum cl_status srv_file_write_atomic(const char *path, const void *data, size_t len, int mode,
                                     struct cl_error *err)
{
	char tmp[4096];
	const char *p = data;
	ssize_t w;
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return cl_error_set(err, CL_E_LOCAL, "path too long: %s", path);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "creating %s: %s", tmp, strerror(errno));
	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			cl_error_set(err, CL_E_LOCAL, "writing %s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return CL_E_LOCAL;
		}
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		unlink(tmp);
		return cl_error_set(err, CL_E_LOCAL, "flushing %s: %s", tmp, strerror(errno));
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return cl_error_set(err, CL_E_LOCAL, "renaming %s: %s", tmp, strerror(errno));
	}
	fsync_dir_of(path);
	return CL_OK;
}

enum cl_status srv_file_read(const char *path, size_t max, char **out, size_t *len, struct cl_error *err)
{
	char *buf = NULL;
	size_t n = 0;
	ssize_t r;
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "opening %s: %s", path, strerror(errno));
	buf = malloc(max + 1);
	if (!buf) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	for (;;) {
		r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			cl_error_set(err, CL_E_LOCAL, "reading %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			cl_error_set(err, CL_E_LOCAL, "%s is larger than %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return CL_OK;
fail:
	close(fd);
	OPENSSL_cleanse(buf, max + 1);
	free(buf);
	return CL_E_LOCAL;
}

int srv_is_token_chars(const char *s, size_t max)
{
	size_t i;

	if (!s || !*s)
		return 0;
	for (i = 0; s[i]; i++) {
		char c = s[i];
		if (i >= max)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

long srv_utf8_chars(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	long count = 0;
	static const uint32_t min_cp[4] = { 0, 0x80, 0x800, 0x10000 };
	uint32_t cp;
	int extra, len;

	while (*p) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return -1;
			p++;
			count++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0) {
			cp = *p & 0x1f;
			extra = 1;
		} else if ((*p & 0xf0) == 0xe0) {
			cp = *p & 0x0f;
			extra = 2;
		} else if ((*p & 0xf8) == 0xf0) {
			cp = *p & 0x07;
			extra = 3;
		} else {
			return -1;
		}
		p++;
		len = extra;
		while (extra--) {
			if ((*p & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (*p++ & 0x3f);
		}
		/* Overlong forms, surrogates, out of range and C1 controls are refused. */
		if (cp < min_cp[len] || cp < 0xa0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return -1;
		count++;
	}
	return count;
}

void srv_log(const char *fmt, ...)
{
	char line[1024], ts[21];
	va_list ap;

	srv_time_fmt(time(NULL), ts);
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s certlink-server: %s\n", ts, line);
}

int srv_email_ok(const char *s)
{
	const char *at = s ? strchr(s, '@') : NULL;
	size_t i, n = s ? strlen(s) : 0;

	/* Printable ASCII only: an rfc822Name in a certificate is an IA5String. */
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return n >= 3 && n <= 128 && at && at != s && at[1] && !strchr(at + 1, '@') &&
	       !strpbrk(s, "<>\"\\,;");
}

int srv_hostname_ok(const char *s)
{
	size_t i, label = 0, n = s ? strlen(s) : 0;

	if (n < 1 || n > 253)
		return 0;
	for (i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (label == 0 || s[i - 1] == '-')
				return 0;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		           (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return 1;
}

enum cl_status srv_err_set(struct srv_err *err, enum cl_status status, const char *code, const char *detail,
                           const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return status;
	err->e.status = status;
	snprintf(err->e.code, sizeof(err->e.code), "%s", code ? code : "");
	va_start(ap, fmt);
	vsnprintf(err->e.msg, sizeof(err->e.msg), fmt, ap);
	va_end(ap);
	snprintf(err->detail, sizeof(err->detail), "%s", detail ? detail : "");
	return status;
}
