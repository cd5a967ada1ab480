/* certlink core: writing invitation links, the canonical form of docs/links.md (see link.h).
 *
 * The reference server mails what this writes, so the result is checked by the parser that certlink-handler
 * runs: a link is only written if it parses back to the fields it was written from.
 */
#include "link.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

/* RFC 3986 unreserved; by hand, as the C library's classes depend on the locale. */
static bool is_unreserved(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.' || c == '_' || c == '~';
}

/* A bounded output buffer that remembers overflowing instead of writing past its end. */
struct link_buf {
	char *p;
	size_t len, cap;
	bool full;
	bool has_query;
};

static void put(struct link_buf *b, const char *s, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = true;
		return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void put_str(struct link_buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* Writes &name=value (or ?name=value first) with everything but unreserved characters percent-encoded, so
 * the link survives mail programs and HTML attributes. value is read within max octets. */
static void put_param(struct link_buf *b, const char *name, const char *value, size_t max)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strnlen(value, max);

	put_str(b, b->has_query ? "&" : "?");
	b->has_query = true;
	put_str(b, name);
	put_str(b, "=");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		char enc[3] = { '%', hex[c >> 4], hex[c & 0x0f] };

		if (is_unreserved((char)c))
			put(b, value + i, 1);
		else if (c == ' ')
			put_str(b, "+");
		else
			put(b, enc, sizeof(enc));
	}
}

#define PUT_FIELD(b, link, f)                                           \
	do {                                                            \
		if ((link)->f[0])                                       \
			put_param(b, #f, (link)->f, sizeof((link)->f)); \
	} while (0)

static void build_link(const struct cl_link *link, struct link_buf *b)
{
	char port[16], fp_hex[CL_FP_HEX_SIZE];
	size_t host_len = strnlen(link->host, sizeof(link->host));
	bool brackets = memchr(link->host, ':', host_len) != NULL;

	put_str(b, "certlink://");
	put_str(b, brackets ? "[" : "");
	put(b, link->host, host_len);
	put_str(b, brackets ? "]" : "");
	if (link->port != CL_LINK_DEFAULT_PORT) {
		snprintf(port, sizeof(port), ":%u", link->port);
		put_str(b, port);
	}
	put_str(b, "/");
	put_str(b, cl_link_action_name(link->action));
	put_param(b, "v", "1", 1);
	if (link->store != CL_STORE_ASK)
		put_param(b, "store", cl_store_kind_name(link->store), CL_LINK_VALUE_MAX);
	if (link->pwless)
		put_param(b, "pwless", "1", 1);
	PUT_FIELD(b, link, user);
	PUT_FIELD(b, link, code);
	PUT_FIELD(b, link, token);
	if (link->has_ca_fp) {
		cl_fp_format_hex(link->ca_fp, fp_hex);
		put_param(b, "ca", fp_hex, sizeof(fp_hex));
	}
	PUT_FIELD(b, link, name);
	PUT_FIELD(b, link, serial);
}

enum cl_status cl_link_format(const struct cl_link *link, char *out, size_t size, struct cl_error *err)
{
	char buf[CL_LINK_MAX + 1];
	struct link_buf b = { buf, 0, CL_LINK_MAX, false, false };
	struct cl_link check;
	enum cl_status st;

	build_link(link, &b);
	buf[b.len] = '\0';
	if (b.full) {
		st = cl_error_set(err, CL_E_LOCAL,
		                  "cannot format the link: it would be longer than %d octets", CL_LINK_MAX);
	} else if ((st = cl_link_parse(buf, &check, err)) != CL_OK) {
		/* The fields break a rule; the parser's message names it. */
		cl_error_prefix(err, "cannot format the link");
	} else if (!cl_link_equal(link, &check)) {
		st = cl_error_set(err, CL_E_LOCAL,
		                  "cannot format the link: its fields are not in the form the parser gives "
		                  "(lowercase host, host_is_ip matching the host)");
	} else if (b.len >= size) {
		st = cl_error_set(err, CL_E_LOCAL, "cannot format the link: the output buffer is too small");
	} else {
		memcpy(out, buf, b.len + 1);
	}
	cl_link_clear(&check);
	OPENSSL_cleanse(buf, sizeof(buf));
	return st;
}
