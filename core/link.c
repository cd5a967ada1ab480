/* certlink core: reading invitation links (see link.h and docs/links.md); link-format.c writes them.
 *
 * The link is hostile. The checks run from the outside in: raw octets, scheme, authority (our own strict
 * reading), then uriparser for the URI structure, whose reading of the host and port must agree with ours
 * exactly, then path and parameters. The first broken rule refuses the whole link.
 */
#include "link.h"
#include "text.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uriparser/Uri.h>

#define SCHEME_PREFIX     "certlink://"
#define SCHEME_PREFIX_LEN (sizeof(SCHEME_PREFIX) - 1)

/* A piece of the link text; not NUL-terminated. */
struct span {
	const char *p;
	size_t len;
};

enum param_id { P_V, P_STORE, P_PWLESS, P_USER, P_CODE, P_TOKEN, P_CA, P_NAME, P_SERIAL, P_UNKNOWN };

static const struct {
	const char *name;
	bool spaces; /* a space may appear inside the value */
} known_params[P_UNKNOWN] = {
	[P_V] = { "v", false },      [P_STORE] = { "store", false }, [P_PWLESS] = { "pwless", false },
	[P_USER] = { "user", true }, [P_CODE] = { "code", false },   [P_TOKEN] = { "token", false },
	[P_CA] = { "ca", false },    [P_NAME] = { "name", true },    [P_SERIAL] = { "serial", false },
};

/* Character classes by hand: the C library's depend on the locale, and a GUI sets one. */
static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_alpha(c) || is_digit(c);
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/* base64url, the alphabet of code and token */
static bool is_token_char(char c)
{
	return is_alnum(c) || c == '-' || c == '_';
}

/* What a value may hold unencoded (docs/links.md, "value"): the query characters but "&" and "=". */
static bool is_value_char(char c)
{
	return is_alnum(c) || (c != '\0' && strchr("-._~+!$'()*,;:@/?", c) != NULL);
}

static bool span_eq(struct span s, const char *lit)
{
	return s.len == strlen(lit) && memcmp(s.p, lit, s.len) == 0;
}

static bool span_all(struct span s, bool (*pred)(char))
{
	for (size_t i = 0; i < s.len; i++) {
		if (!pred(s.p[i]))
			return false;
	}
	return true;
}

static bool ascii_prefix_caseeq(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++) {
		if (to_lower(*s) != *prefix)
			return false;
	}
	return true;
}

/* Whole-text rules that must hold before any parser sees the link. */
static enum cl_status check_raw(const char *text, size_t *len_out, struct cl_error *err)
{
	size_t len;

	if (!text || !*text)
		return cl_error_set(err, CL_E_LOCAL, "the link is empty");
	/* A link reaches certlink-handler as an argument; refuse what could be read as an option. */
	if (text[0] == '-')
		return cl_error_set(err, CL_E_LOCAL, "a link cannot start with `-`");
	if (is_space(text[0]))
		return cl_error_set(err, CL_E_LOCAL, "a link cannot start with white space");
	len = strnlen(text, CL_LINK_MAX + 1);
	if (len > CL_LINK_MAX)
		return cl_error_set(err, CL_E_LOCAL, "the link is longer than %d octets", CL_LINK_MAX);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f)
			return cl_error_set(err, CL_E_LOCAL,
			                    "control character (0x%02X) at offset %zu of the link", c, i);
		if (c == ' ')
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "white space at offset %zu of the link (a space in a value is written `+`)", i);
		if (c >= 0x80)
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "octet 0x%02X at offset %zu is not allowed in a link (other text than "
			    "ASCII must be percent-encoded)",
			    c, i);
	}
	*len_out = len;
	return CL_OK;
}

static enum cl_status check_scheme(const char *text, size_t len, struct cl_error *err)
{
	size_t n = 0;

	if (len >= SCHEME_PREFIX_LEN && ascii_prefix_caseeq(text, SCHEME_PREFIX))
		return CL_OK;
	/* Name the scheme when there is one (RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )). */
	if (is_alpha(text[0])) {
		for (n = 1;
		     n < len && (is_alnum(text[n]) || text[n] == '+' || text[n] == '-' || text[n] == '.');
		     n++)
			;
	}
	if (n == 0 || n >= len || text[n] != ':')
		return cl_error_set(err, CL_E_LOCAL, "not a certlink link (no scheme)");
	if (n == SCHEME_PREFIX_LEN - 3 && ascii_prefix_caseeq(text, "certlink:"))
		return cl_error_set(err, CL_E_LOCAL, "a certlink link must start with `certlink://`");
	if (n > 32)
		return cl_error_set(err, CL_E_LOCAL, "not a certlink link (scheme `%.32s...`)", text);
	return cl_error_set(err, CL_E_LOCAL, "not a certlink link (scheme `%.*s`)", (int)n, text);
}

/* Four decimal numbers 0-255 without leading zeros, and nothing else. */
static bool is_strict_ipv4(struct span h)
{
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		size_t start;
		unsigned int v = 0;

		if (part > 0) {
			if (i >= h.len || h.p[i] != '.')
				return false;
			i++;
		}
		for (start = i; i < h.len && is_digit(h.p[i]) && i - start < 4; i++)
			v = v * 10 + (unsigned int)(h.p[i] - '0');
		if (i == start || i - start > 3 || v > 255 || (i - start > 1 && h.p[start] == '0'))
			return false;
	}
	return i == h.len;
}

/* The WHATWG URL rule: a host whose last label is a number (decimal, or 0x hex) is an IPv4 address to
 * every browser and to inet_aton(), so it must be one we can read the same way or be refused. */
static bool ends_in_number(struct span h)
{
	const char *dot = NULL;
	struct span last;

	for (size_t i = 0; i < h.len; i++) {
		if (h.p[i] == '.')
			dot = h.p + i;
	}
	last.p = dot ? dot + 1 : h.p;
	last.len = (size_t)(h.p + h.len - last.p);
	if (last.len == 0)
		return false;
	if (span_all(last, is_digit))
		return true;
	if (last.len >= 2 && last.p[0] == '0' && to_lower(last.p[1]) == 'x') {
		for (size_t i = 2; i < last.len; i++) {
			if (hex_value(last.p[i]) < 0)
				return false;
		}
		return true;
	}
	return false;
}

static enum cl_status check_dns_name(struct span h, struct cl_error *err)
{
	size_t start = 0;

	if (h.len > CL_LINK_HOST_MAX)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the host is not a valid host name: longer than %d octets",
		                    CL_LINK_HOST_MAX);
	for (size_t i = 0; i <= h.len; i++) {
		if (i < h.len && h.p[i] != '.') {
			if (!is_alnum(h.p[i]) && h.p[i] != '-')
				return cl_error_set(err, CL_E_LOCAL,
				                    "the host is not a valid host name: `%c` is not allowed",
				                    h.p[i]);
			continue;
		}
		if (i == start)
			return cl_error_set(err, CL_E_LOCAL,
			                    "the host is not a valid host name: empty label");
		if (i - start > 63)
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the host is not a valid host name: a label is longer than 63 octets");
		if (h.p[start] == '-' || h.p[i - 1] == '-')
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the host is not a valid host name: a label starts or ends with `-`");
		start = i + 1;
	}
	return CL_OK;
}

static void copy_lower(char *dst, struct span s)
{
	for (size_t i = 0; i < s.len; i++)
		dst[i] = to_lower(s.p[i]);
	dst[s.len] = '\0';
}

static enum cl_status parse_host_name(struct span h, struct cl_link *out, struct cl_error *err)
{
	enum cl_status st;

	if (memchr(h.p, '%', h.len))
		return cl_error_set(err, CL_E_LOCAL, "percent-encoding in the host is not allowed");
	if (h.len == 0)
		return cl_error_set(err, CL_E_LOCAL, "the host is missing");
	if (h.p[h.len - 1] == '.')
		h.len--;
	if (ends_in_number(h)) {
		if (!is_strict_ipv4(h))
			return cl_error_set(
			    err, CL_E_LOCAL,
			    "the host is not a valid IPv4 address (four decimal numbers 0-255 without "
			    "leading zeros)");
		out->host_is_ip = true;
	} else if ((st = check_dns_name(h, err)) != CL_OK) {
		return st;
	}
	copy_lower(out->host, h);
	return CL_OK;
}

static enum cl_status parse_host_ipv6(struct span h, struct cl_link *out, struct cl_error *err)
{
	char buf[INET6_ADDRSTRLEN];
	unsigned char addr[16];

	if (h.len > 0 && to_lower(h.p[0]) == 'v')
		return cl_error_set(err, CL_E_LOCAL, "IPvFuture host literals are not allowed");
	if (memchr(h.p, '%', h.len))
		return cl_error_set(err, CL_E_LOCAL, "an IPv6 zone identifier is not allowed");
	if (h.len == 0 || h.len >= sizeof(buf))
		return cl_error_set(err, CL_E_LOCAL, "the host is not a valid IPv6 address");
	copy_lower(buf, h);
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return cl_error_set(err, CL_E_LOCAL, "the host is not a valid IPv6 address");
	memcpy(out->host, buf, h.len + 1);
	out->host_is_ip = true;
	return CL_OK;
}

static enum cl_status parse_port(struct span p, struct cl_link *out, struct cl_error *err)
{
	unsigned long v = 0;

	if (p.len == 0)
		return cl_error_set(err, CL_E_LOCAL, "the port is empty");
	if (!span_all(p, is_digit))
		return cl_error_set(err, CL_E_LOCAL, "the port must be decimal digits");
	for (size_t i = 0; i < p.len && v <= 65535; i++)
		v = v * 10 + (unsigned long)(p.p[i] - '0');
	if (v == 0 || v > 65535)
		return cl_error_set(err, CL_E_LOCAL, "the port must be 1-65535");
	if (p.p[0] == '0')
		return cl_error_set(err, CL_E_LOCAL, "the port must not have a leading zero");
	out->port = (unsigned int)v;
	return CL_OK;
}

/* Our own strict reading of HOST[:PORT]. host_text and port_text are set to the pieces of the link that
 * were read (port_text.p NULL when there is no port) for the comparison with uriparser. */
static enum cl_status parse_authority(struct span auth, struct cl_link *out, struct span *host_text,
                                      struct span *port_text, struct cl_error *err)
{
	struct span rest;
	enum cl_status st;

	if (memchr(auth.p, '@', auth.len))
		return cl_error_set(err, CL_E_LOCAL, "user information before the host is not allowed");
	if (auth.len == 0)
		return cl_error_set(err, CL_E_LOCAL, "the host is missing");
	if (auth.p[0] == '[') {
		const char *close = memchr(auth.p, ']', auth.len);

		if (!close)
			return cl_error_set(err, CL_E_LOCAL, "the IPv6 address has no closing `]`");
		host_text->p = auth.p + 1;
		host_text->len = (size_t)(close - host_text->p);
		if ((st = parse_host_ipv6(*host_text, out, err)) != CL_OK)
			return st;
		rest.p = close + 1;
		rest.len = auth.len - host_text->len - 2;
		if (rest.len > 0 && rest.p[0] != ':')
			return cl_error_set(err, CL_E_LOCAL, "unexpected text after the IPv6 address");
	} else {
		const char *colon = memchr(auth.p, ':', auth.len);

		host_text->p = auth.p;
		host_text->len = colon ? (size_t)(colon - auth.p) : auth.len;
		if ((st = parse_host_name(*host_text, out, err)) != CL_OK)
			return st;
		rest.p = auth.p + host_text->len;
		rest.len = auth.len - host_text->len;
	}
	if (rest.len == 0) {
		port_text->p = NULL;
		port_text->len = 0;
		out->port = CL_LINK_DEFAULT_PORT;
		return CL_OK;
	}
	port_text->p = rest.p + 1;
	port_text->len = rest.len - 1;
	return parse_port(*port_text, out, err);
}

static bool range_is(UriTextRangeA r, struct span s)
{
	if (!s.p)
		return r.first == NULL;
	return r.first == s.p && r.afterLast == s.p + s.len;
}

static enum cl_status check_uri_parts(const UriUriA *uri, struct span host_text, struct span port_text,
                                      struct cl_link *out, struct span *query, struct cl_error *err)
{
	struct span seg;

	if (uri->userInfo.first)
		return cl_error_set(err, CL_E_LOCAL, "user information before the host is not allowed");
	/* Two parsers that read one link differently are how links get smuggled; refuse, do not pick one. */
	if (!range_is(uri->hostText, host_text) || !range_is(uri->portText, port_text) ||
	    uri->hostData.ipFuture.first || (host_text.p[-1] == '[') != (uri->hostData.ip6 != NULL))
		return cl_error_set(err, CL_E_LOCAL,
		                    "the host and port of the link cannot be read unambiguously");
	if (uri->fragment.first)
		return cl_error_set(err, CL_E_LOCAL, "a fragment (`#...`) is not allowed");
	if (!uri->pathHead || uri->pathHead->next)
		return cl_error_set(err, CL_E_LOCAL, "the path must be /enroll or /renew");
	seg.p = uri->pathHead->text.first;
	seg.len = (size_t)(uri->pathHead->text.afterLast - seg.p);
	if (span_eq(seg, "enroll"))
		out->action = CL_LINK_ENROLL;
	else if (span_eq(seg, "renew"))
		out->action = CL_LINK_RENEW;
	else
		return cl_error_set(err, CL_E_LOCAL, "the path must be /enroll or /renew");
	query->p = uri->query.first;
	query->len = query->p ? (size_t)(uri->query.afterLast - query->p) : 0;
	return CL_OK;
}

static enum cl_status parse_structure(const char *text, size_t len, struct span host_text,
                                      struct span port_text, struct cl_link *out, struct span *query,
                                      struct cl_error *err)
{
	UriUriA uri;
	const char *errpos = NULL;
	enum cl_status st;
	int rc;

	rc = uriParseSingleUriExA(&uri, text, text + len, &errpos);
	if (rc == URI_ERROR_MALLOC)
		return cl_error_set(err, CL_E_UNEXPECTED, "out of memory while parsing the link");
	if (rc != URI_SUCCESS) {
		if (rc == URI_ERROR_SYNTAX && errpos && errpos >= text && errpos < text + len)
			return cl_error_set(err, CL_E_LOCAL,
			                    "the link is not a valid URI: unexpected `%c` at offset %zu",
			                    *errpos, (size_t)(errpos - text));
		return cl_error_set(err, CL_E_LOCAL, "the link is not a valid URI");
	}
	st = check_uri_parts(&uri, host_text, port_text, out, query, err);
	uriFreeUriMembersA(&uri);
	return st;
}

/* Characters that reorder or break the text around them: a name shown in the window must read as sent. */
static bool is_bidi_or_line_separator(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* A decoded value must be text: UTF-8 without control characters; spaces only where allowed. */
static enum cl_status check_text(const char *name, const char *s, size_t len, bool spaces, size_t *chars_out,
                                 struct cl_error *err)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t chars = 0;

	for (size_t i = 0; i < len; chars++) {
		uint32_t cp;
		size_t n;

		if (u[i] < 0x80) {
			if (u[i] < 0x20 || u[i] == 0x7f)
				return cl_error_set(err, CL_E_LOCAL, "control character in `%s`", name);
			if (u[i] == ' ' && !spaces)
				return cl_error_set(err, CL_E_LOCAL, "a space is not allowed in `%s`", name);
			i++;
			continue;
		}
		n = cl_text_utf8_decode(u + i, len - i, &cp);
		if (n == 0)
			return cl_error_set(err, CL_E_LOCAL, "`%s` is not valid UTF-8", name);
		if (cp <= 0x9f)
			return cl_error_set(err, CL_E_LOCAL, "control character in `%s`", name);
		if (is_bidi_or_line_separator(cp))
			return cl_error_set(err, CL_E_LOCAL,
			                    "bidirectional or line-separator character in `%s`", name);
		/* the rest of Unicode's format characters: zero-width space and joiners, soft hyphen, word
		 * joiner, invisible operators, tag characters, ... (core/text.h) */
		if (cl_text_is_format(cp))
			return cl_error_set(err, CL_E_LOCAL, "invisible formatting character U+%04X in `%s`",
			                    (unsigned)cp, name);
		i += n;
	}
	*chars_out = chars;
	return CL_OK;
}

/* Percent-decodes raw into out (CL_LINK_VALUE_MAX + 1 octets), checking each octet's room first. The result
 * may hold NUL octets until check_text() has refused them. */
static enum cl_status decode_value(const char *name, struct span raw, char *out, size_t *out_len,
                                   struct cl_error *err)
{
	size_t n = 0;

	for (size_t i = 0; i < raw.len; i++) {
		char c = raw.p[i];
		int hi, lo;

		if (c == '%') {
			if (raw.len - i < 3 || (hi = hex_value(raw.p[i + 1])) < 0 ||
			    (lo = hex_value(raw.p[i + 2])) < 0)
				return cl_error_set(err, CL_E_LOCAL, "bad percent-encoding in `%s`", name);
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+') {
			c = ' ';
		} else if (c == '=') {
			return cl_error_set(err, CL_E_LOCAL, "`=` in the value of `%s` must be written %%3D",
			                    name);
		} else if (!is_value_char(c)) {
			return cl_error_set(err, CL_E_LOCAL, "`%c` is not allowed in the value of `%s`", c,
			                    name);
		}
		if (n == CL_LINK_VALUE_MAX)
			return cl_error_set(err, CL_E_LOCAL, "the value of `%s` is longer than %d octets",
			                    name, CL_LINK_VALUE_MAX);
		out[n++] = c;
	}
	out[n] = '\0';
	*out_len = n;
	return CL_OK;
}

static enum cl_status apply_text(char *dst, const char *name, const char *value, size_t len, size_t chars,
                                 struct cl_error *err)
{
	if (chars > CL_LINK_TEXT_MAX)
		return cl_error_set(err, CL_E_LOCAL, "`%s` is longer than %d characters", name,
		                    CL_LINK_TEXT_MAX);
	/* "inside" (docs/links.md): a value of spaces, or with invisible padding, would mislead the person.
	 */
	if (value[0] == ' ' || value[len - 1] == ' ')
		return cl_error_set(err, CL_E_LOCAL, "`%s` cannot start or end with a space", name);
	memcpy(dst, value, len + 1);
	return CL_OK;
}

static bool is_hex_char(char c)
{
	return hex_value(c) >= 0;
}

/* Stores one known, non-empty, checked value. */
static enum cl_status apply_param(enum param_id id, const char *value, size_t len, size_t chars,
                                  struct cl_link *out, struct cl_error *err)
{
	struct span v = { value, len };

	switch (id) {
	case P_V:
		if (!span_eq(v, "1"))
			return cl_error_set(err, CL_E_LOCAL, "unsupported link version: `v` must be 1");
		return CL_OK;
	case P_STORE:
		if (span_eq(v, "user"))
			out->store = CL_STORE_USER;
		else if (span_eq(v, "computer"))
			out->store = CL_STORE_COMPUTER;
		else
			return cl_error_set(err, CL_E_LOCAL, "`store` must be `user` or `computer`");
		return CL_OK;
	case P_PWLESS:
		if (!span_eq(v, "0") && !span_eq(v, "1"))
			return cl_error_set(err, CL_E_LOCAL, "`pwless` must be 0 or 1");
		out->pwless = value[0] == '1';
		return CL_OK;
	case P_USER:
		return apply_text(out->user, "user", value, len, chars, err);
	case P_NAME:
		return apply_text(out->name, "name", value, len, chars, err);
	case P_CODE:
		if (len > CL_LINK_TEXT_MAX || !span_all(v, is_token_char))
			return cl_error_set(err, CL_E_LOCAL, "`code` must be 1 to %d of A-Z a-z 0-9 - _",
			                    CL_LINK_TEXT_MAX);
		memcpy(out->code, value, len + 1);
		return CL_OK;
	case P_TOKEN:
		if (len < CL_LINK_TOKEN_MIN || len > CL_LINK_TOKEN_MAX || !span_all(v, is_token_char))
			return cl_error_set(err, CL_E_LOCAL, "`token` must be %d to %d of A-Z a-z 0-9 - _",
			                    CL_LINK_TOKEN_MIN, CL_LINK_TOKEN_MAX);
		memcpy(out->token, value, len + 1);
		return CL_OK;
	case P_CA:
		if (!cl_fp_parse(value, len, out->ca_fp))
			return cl_error_set(err, CL_E_LOCAL,
			                    "`ca` must be a SHA-256 fingerprint (64 hex digits)");
		out->has_ca_fp = true;
		return CL_OK;
	case P_SERIAL:
		if (out->action != CL_LINK_RENEW)
			return cl_error_set(err, CL_E_LOCAL, "`serial` is only allowed in a renew link");
		if (len > CL_LINK_SERIAL_MAX || !span_all(v, is_hex_char))
			return cl_error_set(err, CL_E_LOCAL, "`serial` must be 1 to %d hex digits",
			                    CL_LINK_SERIAL_MAX);
		memcpy(out->serial, value, len + 1);
		return CL_OK;
	case P_UNKNOWN:
		break;
	}
	return cl_error_set(err, CL_E_UNEXPECTED, "link parameter %d has no rule", (int)id);
}

/* Reads "name=" and refuses a repeated name; *id is the known parameter or P_UNKNOWN. */
static enum cl_status parse_param_name(struct span param, const struct cl_link *out, unsigned int seen,
                                       char name[CL_LINK_NAME_MAX + 1], enum param_id *id,
                                       struct cl_error *err)
{
	const char *eq = memchr(param.p, '=', param.len);
	struct span n = { param.p, eq ? (size_t)(eq - param.p) : param.len };

	if (param.len == 0)
		return cl_error_set(err, CL_E_LOCAL, "empty parameter (a `?` or `&` without name=value)");
	if (n.len == 0)
		return cl_error_set(err, CL_E_LOCAL, "a parameter has no name");
	if (n.len > CL_LINK_NAME_MAX)
		return cl_error_set(err, CL_E_LOCAL, "a parameter name is longer than %d characters",
		                    CL_LINK_NAME_MAX);
	for (size_t i = 0; i < n.len; i++) {
		if (!is_alnum(n.p[i]) && n.p[i] != '_')
			return cl_error_set(err, CL_E_LOCAL, "a parameter name may only hold A-Z a-z 0-9 _");
	}
	memcpy(name, n.p, n.len);
	name[n.len] = '\0';
	if (!eq)
		return cl_error_set(err, CL_E_LOCAL, "parameter `%s` has no `=`", name);
	for (*id = P_V; *id < P_UNKNOWN; (*id)++) {
		if (strcmp(name, known_params[*id].name) == 0)
			break;
	}
	if (*id < P_UNKNOWN && (seen & 1u << *id))
		return cl_error_set(err, CL_E_LOCAL, "parameter `%s` appears twice", name);
	for (size_t i = 0; *id == P_UNKNOWN && i < out->n_unknown; i++) {
		if (strcmp(name, out->unknown[i]) == 0)
			return cl_error_set(err, CL_E_LOCAL, "parameter `%s` appears twice", name);
	}
	return CL_OK;
}

static enum cl_status parse_param(struct span param, struct cl_link *out, unsigned int *seen, char *value,
                                  struct cl_error *err)
{
	char name[CL_LINK_NAME_MAX + 1];
	enum param_id id = P_UNKNOWN;
	struct span raw;
	size_t len = 0, chars = 0;
	enum cl_status st;

	if ((st = parse_param_name(param, out, *seen, name, &id, err)) != CL_OK)
		return st;
	raw.p = param.p + strlen(name) + 1;
	raw.len = param.len - strlen(name) - 1;
	if ((st = decode_value(name, raw, value, &len, err)) != CL_OK)
		return st;
	if ((st = check_text(name, value, len, id != P_UNKNOWN && known_params[id].spaces, &chars, err)) !=
	    CL_OK)
		return st;
	if (id == P_UNKNOWN) {
		/* The parameter count was capped before, so the list has room. */
		memcpy(out->unknown[out->n_unknown++], name, sizeof(name));
		return CL_OK;
	}
	*seen |= 1u << id;
	if (len == 0)
		return cl_error_set(err, CL_E_LOCAL, "parameter `%s` is empty", name);
	return apply_param(id, value, len, chars, out, err);
}

static enum cl_status parse_params(struct span query, struct cl_link *out, unsigned int *seen,
                                   struct cl_error *err)
{
	char value[CL_LINK_VALUE_MAX + 1];
	const char *p = query.p, *end = query.p + query.len;
	size_t count = 1;
	enum cl_status st;

	for (size_t i = 0; i < query.len; i++)
		count += query.p[i] == '&';
	if (count > CL_LINK_PARAMS_MAX)
		return cl_error_set(err, CL_E_LOCAL, "more than %d parameters", CL_LINK_PARAMS_MAX);
	for (;;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		struct span param = { p, amp ? (size_t)(amp - p) : (size_t)(end - p) };

		st = parse_param(param, out, seen, value, err);
		if (st != CL_OK || !amp)
			break;
		p = amp + 1;
	}
	/* The value buffer may have held the token. */
	OPENSSL_cleanse(value, sizeof(value));
	return st;
}

static enum cl_status check_combination(const struct cl_link *link, unsigned int seen, struct cl_error *err)
{
	bool has_token = seen & 1u << P_TOKEN;

	if (link->pwless && !has_token)
		return cl_error_set(err, CL_E_LOCAL, "a passwordless link needs a `token`");
	if (has_token && !link->pwless)
		return cl_error_set(err, CL_E_LOCAL, "a `token` is only allowed with `pwless=1`");
	if (link->action == CL_LINK_RENEW && !(seen & 1u << P_SERIAL))
		return cl_error_set(err, CL_E_LOCAL, "a renew link needs a `serial`");
	return CL_OK;
}

enum cl_status cl_link_parse(const char *text, struct cl_link *out, struct cl_error *err)
{
	struct span auth, host_text = { NULL, 0 }, port_text = { NULL, 0 }, query = { NULL, 0 };
	unsigned int seen = 0;
	size_t len = 0;
	enum cl_status st;

	cl_link_clear(out);
	if ((st = check_raw(text, &len, err)) != CL_OK)
		goto out;
	if ((st = check_scheme(text, len, err)) != CL_OK)
		goto out;
	if (memchr(text, '#', len)) {
		st = cl_error_set(err, CL_E_LOCAL, "a fragment (`#...`) is not allowed");
		goto out;
	}
	auth.p = text + SCHEME_PREFIX_LEN;
	auth.len = strcspn(auth.p, "/?");
	if ((st = parse_authority(auth, out, &host_text, &port_text, err)) != CL_OK)
		goto out;
	if ((st = parse_structure(text, len, host_text, port_text, out, &query, err)) != CL_OK)
		goto out;
	if (query.p && (st = parse_params(query, out, &seen, err)) != CL_OK)
		goto out;
	st = check_combination(out, seen, err);
out:
	if (st != CL_OK)
		cl_link_clear(out);
	return st;
}

void cl_link_clear(struct cl_link *link)
{
	if (!link)
		return;
	OPENSSL_cleanse(link->token, sizeof(link->token));
	memset(link, 0, sizeof(*link));
	link->action = CL_LINK_ENROLL;
	link->port = CL_LINK_DEFAULT_PORT;
	link->store = CL_STORE_ASK;
}

const char *cl_link_action_name(enum cl_link_action action)
{
	switch (action) {
	case CL_LINK_ENROLL:
		return "enroll";
	case CL_LINK_RENEW:
		return "renew";
	}
	return "unknown";
}

/* Text fields compared within their arrays, so a field without NUL compares safely. */
#define FIELD_EQ(a, b, f) (strncmp((a)->f, (b)->f, sizeof((a)->f)) == 0)

bool cl_link_equal(const struct cl_link *a, const struct cl_link *b)
{
	return a->action == b->action && FIELD_EQ(a, b, host) && a->host_is_ip == b->host_is_ip &&
	       a->port == b->port && a->store == b->store && a->pwless == b->pwless && FIELD_EQ(a, b, user) &&
	       FIELD_EQ(a, b, code) && FIELD_EQ(a, b, token) && FIELD_EQ(a, b, name) &&
	       FIELD_EQ(a, b, serial) && a->has_ca_fp == b->has_ca_fp &&
	       (!a->has_ca_fp || memcmp(a->ca_fp, b->ca_fp, CL_FP_LEN) == 0);
}
