/* certlink core: the server session (see http.h): its trust anchors (the system bundle and the consented
 * anchors, or one pinned, remembered or confirmed CA alone) and its requests, which are refused until the
 * server's identity is established (http-identity.c, docs/protocol.md section 3).
 */
#include "http-private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TRUST_FILE_MAX  (64 * 1024)        /* one PEM file in a trust directory */
#define TRUST_FILES_MAX 256                /* files read per trust directory */
#define SYSTEM_FILE_MAX (16 * 1024 * 1024) /* the system bundle */

/* ---- small buffers ---- */

struct buf {
	char *p;
	size_t len;
	bool failed;
};

static void buf_add(struct buf *b, const void *data, size_t n)
{
	char *grown;

	if (b->failed || n == 0)
		return;
	grown = realloc(b->p, b->len + n + 2);
	if (!grown) {
		b->failed = true;
		return;
	}
	b->p = grown;
	memcpy(b->p + b->len, data, n);
	b->len += n;
	if (b->p[b->len - 1] != '\n')
		b->p[b->len++] = '\n';
	b->p[b->len] = '\0';
}

/* Read a regular file of at most max bytes; NULL when missing, unreadable or too large. */
static char *read_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *data = NULL;
	ssize_t n;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= max &&
	    (data = malloc((size_t)st.st_size + 1)) != NULL) {
		n = read(fd, data, (size_t)st.st_size);
		if (n == st.st_size) {
			data[n] = '\0';
			*len = (size_t)n;
		} else {
			free(data);
			data = NULL;
		}
	}
	close(fd);
	return data;
}

/* ---- trust anchors ---- */

/* Append the PEM certificates of text that OpenSSL can parse; anything else in a trust file is skipped. */
static void add_pem_certs(struct buf *b, const char *text, size_t len)
{
	BIO *in = BIO_new_mem_buf(text, (int)len), *out = BIO_new(BIO_s_mem());
	X509 *x;
	char *p;
	long n;

	while (in && out && (x = PEM_read_bio_X509(in, NULL, NULL, NULL)) != NULL) {
		PEM_write_bio_X509(out, x);
		X509_free(x);
	}
	ERR_clear_error();
	n = out ? BIO_get_mem_data(out, &p) : 0;
	if (n > 0)
		buf_add(b, p, (size_t)n);
	BIO_free(in);
	BIO_free(out);
}

static void add_trust_dir(struct buf *b, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int files = 0;

	while (d && (e = readdir(d)) != NULL && files < TRUST_FILES_MAX) {
		size_t nlen = strlen(e->d_name), len = 0;
		char path[4096], *text;

		if (nlen < 5 || strcmp(e->d_name + nlen - 4, ".pem") != 0)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		files++;
		if ((text = read_file(path, TRUST_FILE_MAX, &len)) != NULL)
			add_pem_certs(b, text, len);
		free(text);
	}
	if (d)
		closedir(d);
}

static char *default_system_bundle(void)
{
	CURL *c = curl_easy_init();
	char *path = NULL, *copy = NULL;

	if (c && curl_easy_getinfo(c, CURLINFO_CAINFO, &path) == CURLE_OK && path)
		copy = strdup(path);
	curl_easy_cleanup(c);
	return copy;
}

static void add_system_trust(struct cl_http *h, struct buf *b)
{
	char *path = h->system_ca_file ? strdup(h->system_ca_file) : default_system_bundle();
	size_t len = 0;
	char *text = path ? read_file(path, SYSTEM_FILE_MAX, &len) : NULL;

	if (text)
		buf_add(b, text, len);
	free(text);
	free(path);
}

enum cl_status cl_http_set_trust(struct cl_http *h, bool system, const char *extra_pem, struct cl_error *err)
{
	struct buf b = { 0 };

	if (system)
		add_system_trust(h, &b);
	for (char **d = h->anchor_dirs; system && d && *d; d++)
		add_trust_dir(&b, *d);
	if (extra_pem)
		buf_add(&b, extra_pem, strlen(extra_pem));
	if (b.failed) {
		free(b.p);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	free(h->trust_pem);
	h->trust_pem = b.p;
	h->trust_pem_len = b.len;
	return CL_OK;
}

/* ---- the session ---- */

static char **copy_list(const char *const *list, bool *ok)
{
	size_t n = 0;
	char **copy;

	while (list && list[n])
		n++;
	copy = calloc(n + 1, sizeof(*copy));
	*ok = copy != NULL;
	for (size_t i = 0; copy && i < n; i++)
		if (!(copy[i] = strdup(list[i])))
			*ok = false;
	return copy;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

static bool host_ok(const char *host)
{
	size_t n = host ? strlen(host) : 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)host[i]) || strchr(".-:", host[i])))
			return false;
	return true;
}

struct cl_http *cl_http_new(const struct cl_http_config *cfg, struct cl_error *err)
{
	struct cl_http *h;
	bool ok = true;

	if (!cfg || !host_ok(cfg->host) || cfg->port == 0 || cfg->port > 65535) {
		cl_error_set(err, CL_E_LOCAL, "server session: bad host or port");
		return NULL;
	}
	if (!cl_http_global_init() || !(h = calloc(1, sizeof(*h)))) {
		cl_error_set(err, CL_E_LOCAL, "cannot initialise libcurl");
		return NULL;
	}
	h->host = strdup(cfg->host);
	h->port = cfg->port;
	h->have_pin = cfg->have_pin;
	memcpy(h->pin, cfg->pin, sizeof(h->pin));
	h->anchor_dirs = copy_list(cfg->anchor_dirs, &ok);
	h->known_servers = ok ? copy_list(cfg->known_servers, &ok) : NULL;
	h->remember_file = cfg->remember_file ? strdup(cfg->remember_file) : NULL;
	h->remember_dir_mode = cfg->remember_dir_mode ? cfg->remember_dir_mode : 0700;
	h->system_ca_file = cfg->system_ca_file ? strdup(cfg->system_ca_file) : NULL;
	h->ask = cfg->ask;
	h->ask_data = cfg->ask_data;
	h->opts = cfg->opts;
	h->curl = curl_easy_init();
	snprintf(h->base_url, sizeof(h->base_url),
	         strchr(cfg->host, ':') ? "https://[%s]:%u" : "https://%s:%u", cfg->host, cfg->port);
	if (!ok || !h->host || !h->curl || (cfg->remember_file && !h->remember_file) ||
	    (cfg->system_ca_file && !h->system_ca_file)) {
		cl_http_free(h);
		cl_error_set(err, CL_E_LOCAL, "out of memory");
		return NULL;
	}
	return h;
}

void cl_http_free(struct cl_http *h)
{
	if (!h)
		return;
	curl_easy_cleanup(h->curl);
	free(h->host);
	free_list(h->anchor_dirs);
	free_list(h->known_servers);
	free(h->remember_file);
	free(h->system_ca_file);
	free(h->trust_pem);
	free(h);
}

const char *cl_http_base_url(const struct cl_http *h)
{
	return h ? h->base_url : NULL;
}

const char *cl_http_trust_pem(const struct cl_http *h, size_t *len)
{
	if (!h || h->trust == CL_HTTP_TRUST_NONE || !h->trust_pem)
		return NULL;
	if (len)
		*len = h->trust_pem_len;
	return h->trust_pem;
}

enum cl_http_trust cl_http_trust_source(const struct cl_http *h, unsigned char sha256[32], bool *has_ca)
{
	if (has_ca)
		*has_ca = h && h->has_ca;
	if (h && h->has_ca && sha256)
		memcpy(sha256, h->ca_sha256, 32);
	return h ? h->trust : CL_HTTP_TRUST_NONE;
}

static enum cl_status request(struct cl_http *h, const char *method, const char *path, const char *bearer,
                              const char *json, size_t max_body, struct cl_http_response *resp,
                              struct cl_error *err)
{
	struct cl_http_options o = h->opts;
	struct cl_http_request req = {
		.method = method, .bearer = bearer, .accept = "application/json", .opts = &o
	};
	struct cl_http_tls tls = { .ca_pem = h->trust_pem, .ca_pem_len = h->trust_pem_len };
	char url[1400];

	memset(resp, 0, sizeof(*resp));
	/* The structural guard: nothing leaves through the session before the server's identity is known. */
	if (h->trust == CL_HTTP_TRUST_NONE)
		return cl_error_set(err, CL_E_UNEXPECTED, "the server's identity is not established");
	if (!path || path[0] != '/' || strlen(path) > 1024 || strpbrk(path, " \t\r\n?#"))
		return cl_error_set(err, CL_E_LOCAL, "bad request path");
	snprintf(url, sizeof(url), "%s%s", h->base_url, path);
	req.url = url;
	if (max_body)
		o.max_body = max_body;
	if (json) {
		req.body = json;
		req.body_len = strlen(json);
	}
	return cl_http_perform(h->curl, &req, &tls, resp, err);
}

enum cl_status cl_http_get(struct cl_http *h, const char *path, const char *bearer, size_t max_body,
                           struct cl_http_response *resp, struct cl_error *err)
{
	return request(h, "GET", path, bearer, NULL, max_body, resp, err);
}

enum cl_status cl_http_post_json(struct cl_http *h, const char *path, const char *bearer, const char *json,
                                 struct cl_http_response *resp, struct cl_error *err)
{
	return request(h, "POST", path, bearer, json ? json : "{}", 0, resp, err);
}
