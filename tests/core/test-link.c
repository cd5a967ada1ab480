/* Unit tests of core/link.c, core/fingerprint.c and core/store-kind.c: the link rules of docs/links.md,
 * table-driven (good links with every parsed field, bad links with the rule their refusal names), the
 * canonical format and its round trip, and the limits built up to their edges. */
#include "check.h"
#include "fingerprint.h"
#include "link.h"
#include "store-kind.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define EX_CA_HEX "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab"
#define EX_CA_COLONS \
	"5F:3C:0D:2A:9B:7E:41:C8:F0:6D:13:A2:B4:E5:C6:D7:E8:F9:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB"
#define EX_TOKEN "q3Vb0xZ2rT8kLmN4pQ7sW1yA"

struct good_case {
	const char *link;
	enum cl_link_action action;
	const char *host;
	bool host_is_ip;
	unsigned int port;
	enum cl_store_kind store;
	bool pwless;
	const char *user, *code, *token, *name, *serial;
	const char *ca;      /* colon form as cl_fp_format() writes it, "" when absent */
	const char *unknown; /* ignored parameter names joined by ",", "" when none */
};

#define E   CL_LINK_ENROLL
#define R   CL_LINK_RENEW
#define ASK CL_STORE_ASK
#define USR CL_STORE_USER
#define CMP CL_STORE_COMPUTER

static const struct good_case good_cases[] = {
	/* the examples of docs/links.md */
	{ "certlink://eps.example.com/enroll?v=1&store=user&pwless=1&user=alice&token=" EX_TOKEN
	  "&ca=" EX_CA_HEX,
	  E, "eps.example.com", false, 443, USR, true, "alice", "", EX_TOKEN, "", "", EX_CA_COLONS, "" },
	{ "certlink://eps.example.com:8443/enroll?user=bob&code=WIFI-2026", E, "eps.example.com", false, 8443,
	  ASK, false, "bob", "WIFI-2026", "", "", "", "", "" },
	{ "certlink://[2001:db8::10]:8443/enroll?store=computer&name=Corp+Wi-Fi&user=build01", E,
	  "2001:db8::10", true, 8443, CMP, false, "build01", "", "", "Corp Wi-Fi", "", "", "" },
	{ "certlink://eps.example.com/renew?user=alice&serial=4f1a22c9&ca=" EX_CA_COLONS, R,
	  "eps.example.com", false, 443, ASK, false, "alice", "", "", "", "4f1a22c9", EX_CA_COLONS, "" },
	/* scheme and host case, final dot */
	{ "CERTLINK://EPS.Example.COM/enroll", E, "eps.example.com", false, 443, ASK, false, "", "", "", "",
	  "", "", "" },
	{ "CertLink://eps.example.com./enroll", E, "eps.example.com", false, 443, ASK, false, "", "", "", "",
	  "", "", "" },
	{ "certlink://localhost:1/enroll", E, "localhost", false, 1, ASK, false, "", "", "", "", "", "", "" },
	{ "certlink://xn--bcher-kva.example/enroll", E, "xn--bcher-kva.example", false, 443, ASK, false, "",
	  "", "", "", "", "", "" },
	{ "certlink://a-1.b2.example/enroll", E, "a-1.b2.example", false, 443, ASK, false, "", "", "", "", "",
	  "", "" },
	/* IP literals */
	{ "certlink://192.0.2.1:8443/enroll", E, "192.0.2.1", true, 8443, ASK, false, "", "", "", "", "", "",
	  "" },
	{ "certlink://10.0.0.255./enroll", E, "10.0.0.255", true, 443, ASK, false, "", "", "", "", "", "",
	  "" },
	{ "certlink://0.0.0.0/enroll", E, "0.0.0.0", true, 443, ASK, false, "", "", "", "", "", "", "" },
	{ "certlink://[2001:DB8::A]/enroll", E, "2001:db8::a", true, 443, ASK, false, "", "", "", "", "", "",
	  "" },
	{ "certlink://[::ffff:192.0.2.1]:65535/renew?serial=01", R, "::ffff:192.0.2.1", true, 65535, ASK,
	  false, "", "", "", "", "01", "", "" },
	{ "certlink://[::1]/enroll", E, "::1", true, 443, ASK, false, "", "", "", "", "", "", "" },
	/* parameters */
	{ "certlink://eps.example.com/enroll?foo=bar&x_Y9=&user=a", E, "eps.example.com", false, 443, ASK,
	  false, "a", "", "", "", "", "", "foo,x_Y9" },
	{ "certlink://h.example/enroll?name=Corp+Wi-Fi%20Team&user=Bob+Smith", E, "h.example", false, 443,
	  ASK, false, "Bob Smith", "", "", "Corp Wi-Fi Team", "", "", "" },
	{ "certlink://h.example/enroll?name=%E7%A4%BE%E5%86%85Wi-Fi", E, "h.example", false, 443, ASK, false,
	  "", "", "", "\xE7\xA4\xBE\xE5\x86\x85Wi-Fi", "", "", "" },
	{ "certlink://h.example/enroll?user=alice@example.com&name=(Corp)!$*,;:@/?~'", E, "h.example", false,
	  443, ASK, false, "alice@example.com", "", "", "(Corp)!$*,;:@/?~'", "", "", "" },
	{ "certlink://h.example/enroll?user=alice%40example.com%2B1%3D%26", E, "h.example", false, 443, ASK,
	  false, "alice@example.com+1=&", "", "", "", "", "", "" },
	{ "certlink://h.example/enroll?v=1&pwless=0&store=user&code=%41b_-9", E, "h.example", false, 443, USR,
	  false, "", "Ab_-9", "", "", "", "", "" },
	{ "certlink://h.example/enroll?ca=" EX_CA_COLONS "&pwless=1&token=AAAAAAAAAAAAAAA-", E, "h.example",
	  false, 443, ASK, true, "", "", "AAAAAAAAAAAAAAA-", "", "", EX_CA_COLONS, "" },
	{ "certlink://h.example/"
	  "enroll?ca=5f:3c:0d:2a:9b:7e:41:c8:f0:6d:13:a2:b4:e5:c6:d7:e8:f9:01:23:45:67:89:ab:cd:"
	  "ef:01:23:45:67:89:ab",
	  E, "h.example", false, 443, ASK, false, "", "", "", "", "", EX_CA_COLONS, "" },
	{ "certlink://h.example/renew?store=computer&serial=ABCDEF0123456789abcdef0123456789ABCDEF01", R,
	  "h.example", false, 443, CMP, false, "", "", "", "", "ABCDEF0123456789abcdef0123456789ABCDEF01", "",
	  "" },
	{ "certlink://h.example/enroll?user=%C3%A9l%C3%A8ve+%F0%9F%94%91", E, "h.example", false, 443, ASK,
	  false, "\xC3\xA9l\xC3\xA8ve \xF0\x9F\x94\x91", "", "", "", "", "", "" },
};

struct bad_case {
	const char *link;
	const char *reason; /* a distinctive part of the message */
};

static const struct bad_case bad_cases[] = {
	/* whole-text rules */
	{ "", "the link is empty" },
	{ "--help", "cannot start with `-`" },
	{ "-certlink://eps.example.com/enroll", "cannot start with `-`" },
	{ " certlink://eps.example.com/enroll", "cannot start with white space" },
	{ "\tcertlink://eps.example.com/enroll", "cannot start with white space" },
	{ "\ncertlink://eps.example.com/enroll", "cannot start with white space" },
	{ "certlink://eps.example.com/enroll ", "white space at offset 33" },
	{ "certlink://eps.example.com/enroll?user=a b", "white space at offset 40" },
	{ "certlink://eps.example.com/enroll\n", "control character (0x0A) at offset 33" },
	{ "certlink://eps.example.com/enroll?user=a\x01", "control character (0x01)" },
	{ "certlink://eps.example.com/enroll?user=a\x7f", "control character (0x7F)" },
	{ "certlink://eps.example.com/enroll?user=\xc3\xa9", "octet 0xC3 at offset 39" },
	{ "certlink://eps.example.com/enroll?name=\xc2\x85", "octet 0xC2" },
	/* scheme */
	{ "https://eps.example.com/enroll", "not a certlink link (scheme `https`)" },
	{ "http://eps.example.com/enroll", "(scheme `http`)" },
	{ "file:///etc/passwd", "(scheme `file`)" },
	{ "javascript:alert(1)", "(scheme `javascript`)" },
	{ "certlinks://eps.example.com/enroll", "(scheme `certlinks`)" },
	{ "eps.example.com/enroll", "not a certlink link (no scheme)" },
	{ "//eps.example.com/enroll", "(no scheme)" },
	{ "certlink:eps.example.com/enroll", "must start with `certlink://`" },
	{ "certlink:/enroll", "must start with `certlink://`" },
	/* user information, fragment */
	{ "certlink://mallory@eps.example.com/enroll", "user information before the host is not allowed" },
	{ "certlink://mallory:secret@eps.example.com/enroll", "user information" },
	{ "certlink://@eps.example.com/enroll", "user information" },
	{ "certlink://eps.example.com/enroll#x", "fragment" },
	{ "certlink://eps.example.com/enroll?user=a#", "fragment" },
	/* host names */
	{ "certlink:///enroll", "the host is missing" },
	{ "certlink://:8443/enroll", "the host is missing" },
	{ "certlink://eps..example.com/enroll", "host is not a valid host name: empty label" },
	{ "certlink://.example.com/enroll", "empty label" },
	{ "certlink://./enroll", "empty label" },
	{ "certlink://example.com../enroll", "empty label" },
	{ "certlink://-eps.example.com/enroll", "starts or ends with `-`" },
	{ "certlink://eps-.example.com/enroll", "starts or ends with `-`" },
	{ "certlink://eps_1.example.com/enroll", "`_` is not allowed" },
	{ "certlink://e%70s.example.com/enroll", "percent-encoding in the host" },
	{ "certlink://eps.example.com:8443@evil.example/enroll", "user information" },
	/* IPv4 */
	{ "certlink://010.1.1.1/enroll", "not a valid IPv4 address" },
	{ "certlink://1.2.3/enroll", "not a valid IPv4 address" },
	{ "certlink://256.1.1.1/enroll", "not a valid IPv4 address" },
	{ "certlink://0x7f.1.1.1/enroll", "not a valid IPv4 address" },
	{ "certlink://0x7f.1/enroll", "not a valid IPv4 address" },
	{ "certlink://2130706433/enroll", "not a valid IPv4 address" },
	{ "certlink://1.2.3.4.5/enroll", "not a valid IPv4 address" },
	{ "certlink://1.2.3.0004/enroll", "not a valid IPv4 address" },
	{ "certlink://example.0x10/enroll", "not a valid IPv4 address" },
	{ "certlink://example.123/enroll", "not a valid IPv4 address" },
	/* IPv6 */
	{ "certlink://[fe80::1%25eth0]/enroll", "an IPv6 zone identifier is not allowed" },
	{ "certlink://[fe80::1%eth0]/enroll", "zone identifier" },
	{ "certlink://[v1.fe]/enroll", "IPvFuture" },
	{ "certlink://[2001:db8::g]/enroll", "not a valid IPv6 address" },
	{ "certlink://[1.2.3.4]/enroll", "not a valid IPv6 address" },
	{ "certlink://[]/enroll", "not a valid IPv6 address" },
	{ "certlink://[::1/enroll", "no closing `]`" },
	{ "certlink://[::1]x/enroll", "unexpected text after the IPv6 address" },
	/* port */
	{ "certlink://eps.example.com:0/enroll", "port must be 1-65535" },
	{ "certlink://eps.example.com:65536/enroll", "port must be 1-65535" },
	{ "certlink://eps.example.com:99999999999999999999/enroll", "port must be 1-65535" },
	{ "certlink://eps.example.com:080/enroll", "must not have a leading zero" },
	{ "certlink://eps.example.com:/enroll", "the port is empty" },
	{ "certlink://[::1]:/enroll", "the port is empty" },
	{ "certlink://eps.example.com:https/enroll", "port must be decimal digits" },
	{ "certlink://eps.example.com:-1/enroll", "port must be decimal digits" },
	{ "certlink://eps.example.com:1:2/enroll", "port must be decimal digits" },
	/* path */
	{ "certlink://eps.example.com", "path must be /enroll or /renew" },
	{ "certlink://eps.example.com/", "path must be" },
	{ "certlink://eps.example.com?user=a", "path must be" },
	{ "certlink://eps.example.com/enroll/", "path must be" },
	{ "certlink://eps.example.com//enroll", "path must be" },
	{ "certlink://eps.example.com/Enroll", "path must be" },
	{ "certlink://eps.example.com/%65nroll", "path must be" },
	{ "certlink://eps.example.com/enroll/../renew", "path must be" },
	{ "certlink://eps.example.com/delete", "path must be" },
	/* URI syntax that uriparser refuses */
	{ "certlink://eps.example.com/enroll?user=%zz", "not a valid URI: unexpected `z` at offset 40" },
	{ "certlink://eps.example.com/enroll?user=a%", "not a valid URI" },
	{ "certlink://eps.example.com/enroll?user=a[b]", "not a valid URI" },
	{ "certlink://eps.example.com/enroll?user=<b>", "not a valid URI" },
	/* parameter syntax */
	{ "certlink://eps.example.com/enroll?user", "parameter `user` has no `=`" },
	{ "certlink://eps.example.com/enroll?=x", "a parameter has no name" },
	{ "certlink://eps.example.com/enroll?", "empty parameter" },
	{ "certlink://eps.example.com/enroll?&user=a", "empty parameter" },
	{ "certlink://eps.example.com/enroll?user=a&", "empty parameter" },
	{ "certlink://eps.example.com/enroll?user=a&&code=b", "empty parameter" },
	{ "certlink://eps.example.com/enroll?us-er=a", "a parameter name may only hold" },
	{ "certlink://eps.example.com/enroll?%75ser=a", "a parameter name may only hold" },
	{ "certlink://eps.example.com/enroll?abcdefghijklmnopq=1", "name is longer than 16 characters" },
	{ "certlink://eps.example.com/enroll?user=a=b", "`=` in the value of `user`" },
	{ "certlink://eps.example.com/enroll?user=", "parameter `user` is empty" },
	{ "certlink://eps.example.com/enroll?store=", "parameter `store` is empty" },
	/* repeated parameters */
	{ "certlink://eps.example.com/enroll?store=user&store=computer", "parameter `store` appears twice" },
	{ "certlink://eps.example.com/enroll?user=a&user=a", "parameter `user` appears twice" },
	{ "certlink://eps.example.com/enroll?foo=1&foo=2", "parameter `foo` appears twice" },
	{ "certlink://eps.example.com/enroll?v=1&v=1", "parameter `v` appears twice" },
	/* parameter values */
	{ "certlink://eps.example.com/enroll?v=2", "unsupported link version" },
	{ "certlink://eps.example.com/enroll?store=root", "`store` must be `user` or `computer`" },
	{ "certlink://eps.example.com/enroll?store=User", "`store` must be `user` or `computer`" },
	{ "certlink://eps.example.com/enroll?pwless=yes", "`pwless` must be 0 or 1" },
	{ "certlink://eps.example.com/enroll?pwless=1", "a passwordless link needs a `token`" },
	{ "certlink://eps.example.com/enroll?token=" EX_TOKEN, "only allowed with `pwless=1`" },
	{ "certlink://eps.example.com/enroll?pwless=0&token=" EX_TOKEN, "only allowed with `pwless=1`" },
	{ "certlink://eps.example.com/enroll?pwless=1&token=AAAAAAAAAAAAAAA", "`token` must be 16 to 128" },
	{ "certlink://eps.example.com/enroll?pwless=1&token=AAAAAAAA.AAAAAAAA", "`token` must be 16 to 128" },
	{ "certlink://eps.example.com/enroll?code=a.b", "`code` must be 1 to 64" },
	{ "certlink://eps.example.com/enroll?code=a+b", "a space is not allowed in `code`" },
	{ "certlink://eps.example.com/enroll?ca=abcd", "`ca` must be a SHA-256 fingerprint (64 hex digits)" },
	{ "certlink://eps.example.com/enroll?ca=" EX_CA_HEX "0", "`ca` must be a SHA-256 fingerprint" },
	{ "certlink://eps.example.com/"
	  "enroll?ca=5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ag",
	  "`ca` must be a SHA-256 fingerprint" },
	{ "certlink://eps.example.com/"
	  "enroll?ca=5F:3C:0D:2A:9B:7E:41:C8:F0:6D:13:A2:B4:E5:C6:D7:E8:F9:01:23:45:67:89:"
	  "AB:CD:EF:01:23:45:67:89AB:",
	  "`ca` must be a SHA-256 fingerprint" },
	{ "certlink://eps.example.com/enroll?serial=4f1a22c9", "`serial` is only allowed in a renew link" },
	{ "certlink://eps.example.com/renew?user=alice", "a renew link needs a `serial`" },
	{ "certlink://eps.example.com/renew?serial=xyz", "`serial` must be 1 to 40 hex digits" },
	{ "certlink://eps.example.com/renew?serial=ABCDEF0123456789abcdef0123456789ABCDEF012",
	  "`serial` must be 1 to 40 hex digits" },
	/* decoded text */
	{ "certlink://eps.example.com/enroll?user=a%0Ab", "control character in `user`" },
	{ "certlink://eps.example.com/enroll?user=a%00b", "control character in `user`" },
	{ "certlink://eps.example.com/enroll?name=%1B%5B31m", "control character in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%7F", "control character in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%C2%85", "control character in `name`" },
	{ "certlink://eps.example.com/enroll?name=%C2%9B31m", "control character in `name`" },
	{ "certlink://eps.example.com/enroll?foo=%09", "control character in `foo`" },
	{ "certlink://eps.example.com/enroll?foo=a+b", "a space is not allowed in `foo`" },
	{ "certlink://eps.example.com/enroll?user=%C0%AF", "`user` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?user=%FF", "`user` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?user=%E6%97", "`user` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?user=%ED%A0%80", "`user` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?user=%F4%90%80%80", "`user` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?foo=%80", "`foo` is not valid UTF-8" },
	{ "certlink://eps.example.com/enroll?name=Corp%E2%80%AEcod.exe", "bidirectional or line-separator" },
	{ "certlink://eps.example.com/enroll?name=a%E2%80%A8b", "bidirectional or line-separator" },
	/* Unicode format characters (Cf): invisible, yet they change what a name or user ID reads as */
	{ "certlink://eps.example.com/enroll?user=ad%E2%80%8Bmin",
	  "invisible formatting character U+200B in `user`" },
	{ "certlink://eps.example.com/enroll?user=a%E2%80%8Db",
	  "invisible formatting character U+200D in `user`" },
	{ "certlink://eps.example.com/enroll?user=bob%C2%AD",
	  "invisible formatting character U+00AD in `user`" },
	{ "certlink://eps.example.com/enroll?name=IT%E2%81%A0Desk",
	  "invisible formatting character U+2060 in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%E2%81%A4b",
	  "invisible formatting character U+2064 in `name`" },
	{ "certlink://eps.example.com/enroll?name=%EF%BB%BFCorp",
	  "invisible formatting character U+FEFF in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%E1%A0%8Eb",
	  "invisible formatting character U+180E in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%E2%81%AAb",
	  "invisible formatting character U+206A in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%E2%81%AFb",
	  "invisible formatting character U+206F in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%EF%BF%B9b",
	  "invisible formatting character U+FFF9 in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%D8%80b",
	  "invisible formatting character U+0600 in `name`" },
	{ "certlink://eps.example.com/enroll?name=a%F3%A0%80%81b",
	  "invisible formatting character U+E0001 in `name`" },
	{ "certlink://eps.example.com/enroll?name=Corp%F3%A0%81%A1%F3%A0%81%BF",
	  "invisible formatting character U+E0061 in `name`" },
	{ "certlink://eps.example.com/enroll?user=x%F0%93%90%BFy",
	  "invisible formatting character U+1343F in `user`" },
	{ "certlink://eps.example.com/enroll?foo=a%E2%80%8Cb",
	  "invisible formatting character U+200C in `foo`" },
	{ "certlink://eps.example.com/enroll?user=+alice", "`user` cannot start or end with a space" },
	{ "certlink://eps.example.com/enroll?name=Corp%20", "`name` cannot start or end with a space" },
	{ "certlink://eps.example.com/enroll?name=+", "`name` cannot start or end with a space" },
};

/* Joins the unknown parameter names with "," for comparison with a table entry. */
static void join_unknown(const struct cl_link *link, char *out, size_t size)
{
	out[0] = '\0';
	for (size_t i = 0; i < link->n_unknown; i++) {
		if (i > 0)
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, link->unknown[i], size - strlen(out) - 1);
	}
}

static void check_good(const struct good_case *c)
{
	struct cl_link link;
	struct cl_error err;
	char text[CL_FP_TEXT_SIZE], unknown[CL_LINK_PARAMS_MAX * (CL_LINK_NAME_MAX + 1) + 1];
	int failed = check_failed_;

	cl_error_clear(&err);
	CHECK_INT_EQ(cl_link_parse(c->link, &link, &err), CL_OK);
	CHECK_STR_EQ(err.msg, "");
	CHECK_INT_EQ(link.action, c->action);
	CHECK_STR_EQ(link.host, c->host);
	CHECK_INT_EQ(link.host_is_ip, c->host_is_ip);
	CHECK_INT_EQ(link.port, c->port);
	CHECK_INT_EQ(link.store, c->store);
	CHECK_INT_EQ(link.pwless, c->pwless);
	CHECK_STR_EQ(link.user, c->user);
	CHECK_STR_EQ(link.code, c->code);
	CHECK_STR_EQ(link.token, c->token);
	CHECK_STR_EQ(link.name, c->name);
	CHECK_STR_EQ(link.serial, c->serial);
	CHECK_INT_EQ(link.has_ca_fp, c->ca[0] != '\0');
	cl_fp_format(link.ca_fp, text);
	if (c->ca[0])
		CHECK_STR_EQ(text, c->ca);
	join_unknown(&link, unknown, sizeof(unknown));
	CHECK_STR_EQ(unknown, c->unknown);
	if (check_failed_ != failed)
		fprintf(stderr, "  in good link: %s\n  message: %s\n", c->link, err.msg);
	cl_link_clear(&link);
}

static void check_bad(const char *text, const char *reason)
{
	struct cl_link link;
	struct cl_error err;
	int failed = check_failed_;

	cl_error_clear(&err);
	CHECK_INT_EQ(cl_link_parse(text, &link, &err), CL_E_LOCAL);
	CHECK_INT_EQ(err.status, CL_E_LOCAL);
	CHECK(strstr(err.msg, reason) != NULL);
	/* A refused link leaves nothing behind. */
	CHECK_STR_EQ(link.host, "");
	CHECK_STR_EQ(link.token, "");
	if (check_failed_ != failed)
		fprintf(stderr, "  in bad link: %s\n  expected: %s\n  message:  %s\n", text, reason, err.msg);
}

/* Every good link formats to a canonical link that parses back to the same fields, and formatting is
 * stable: the canonical link formats to itself. */
static void check_round_trip(const struct good_case *c)
{
	struct cl_link link, again;
	struct cl_error err;
	char out[CL_LINK_MAX + 1], out2[CL_LINK_MAX + 1];

	CHECK_INT_EQ(cl_link_parse(c->link, &link, &err), CL_OK);
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_OK);
	CHECK_INT_EQ(cl_link_parse(out, &again, &err), CL_OK);
	CHECK(cl_link_equal(&link, &again));
	CHECK_INT_EQ(again.n_unknown, 0);
	CHECK_INT_EQ(cl_link_format(&again, out2, sizeof(out2), &err), CL_OK);
	CHECK_STR_EQ(out, out2);
	cl_link_clear(&link);
	cl_link_clear(&again);
}

static void test_tables(void)
{
	size_t n_good = sizeof(good_cases) / sizeof(good_cases[0]);
	size_t n_bad = sizeof(bad_cases) / sizeof(bad_cases[0]);

	for (size_t i = 0; i < n_good; i++) {
		check_good(&good_cases[i]);
		check_round_trip(&good_cases[i]);
	}
	for (size_t i = 0; i < n_bad; i++)
		check_bad(bad_cases[i].link, bad_cases[i].reason);
	printf("table: %zu good links, %zu bad links\n", n_good, n_bad);
}

/* The examples and the refusal table of docs/links.md hold: the spec and the code cannot drift apart. */
static void test_spec_examples(void)
{
	FILE *f = fopen(CERTLINK_DOCS_DIR "/links.md", "r");
	char line[4096];
	bool in_examples = false;
	int examples = 0, refusals = 0;

	CHECK(f != NULL);
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *reason;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "## ", 3) == 0)
			in_examples = strcmp(line, "## Examples") == 0;
		if (!in_examples)
			continue;
		if (strncmp(line, "certlink://", 11) == 0) {
			struct cl_link link;
			struct cl_error err;

			CHECK_INT_EQ(cl_link_parse(line, &link, &err), CL_OK);
			cl_link_clear(&link);
			examples++;
		} else if (strncmp(line, "| `", 3) == 0 && (reason = strstr(line, "` | ")) != NULL) {
			/* | `LINK` | REASON | */
			char *end = strrchr(line, '|');

			*reason = '\0';
			reason += 4;
			while (end > reason && (end[-1] == ' ' || end[-1] == '|'))
				end--;
			*end = '\0';
			check_bad(line + 3, reason);
			refusals++;
		}
	}
	fclose(f);
	CHECK_INT_EQ(examples, 4);
	CHECK(refusals >= 10);
	printf("docs/links.md: %d examples, %d refusals\n", examples, refusals);
}

static void test_null(void)
{
	struct cl_link link;
	struct cl_error err;

	CHECK_INT_EQ(cl_link_parse(NULL, &link, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "empty") != NULL);
}

/* Fills buf with "certlink://h.example/enroll?" + "user=" + n copies of unit; returns buf. */
static char *link_with_value(char *buf, size_t size, const char *param, const char *unit, size_t n)
{
	snprintf(buf, size, "certlink://h.example/enroll?%s=", param);
	for (size_t i = 0; i < n; i++)
		strncat(buf, unit, size - strlen(buf) - 1);
	return buf;
}

static void test_value_limits(void)
{
	char buf[4 * CL_LINK_MAX];
	struct cl_link link;
	struct cl_error err;

	/* 64 characters of 4 octets: at both the character and the octet cap. */
	CHECK_INT_EQ(
	    cl_link_parse(link_with_value(buf, sizeof(buf), "name", "%F0%9F%94%91", 64), &link, &err), CL_OK);
	CHECK_INT_EQ(strlen(link.name), 256);
	check_bad(link_with_value(buf, sizeof(buf), "name", "%F0%9F%94%91", 65), "longer than 256 octets");
	check_bad(link_with_value(buf, sizeof(buf), "name", "%C3%A9", 65),
	          "`name` is longer than 64 characters");
	CHECK_INT_EQ(cl_link_parse(link_with_value(buf, sizeof(buf), "user", "u", 64), &link, &err), CL_OK);
	CHECK_INT_EQ(strlen(link.user), 64);
	check_bad(link_with_value(buf, sizeof(buf), "user", "u", 65), "`user` is longer than 64 characters");
	CHECK_INT_EQ(cl_link_parse(link_with_value(buf, sizeof(buf), "code", "C", 64), &link, &err), CL_OK);
	check_bad(link_with_value(buf, sizeof(buf), "code", "C", 65), "`code` must be 1 to 64");
	check_bad(link_with_value(buf, sizeof(buf), "hint", "x", 257),
	          "the value of `hint` is longer than 256");
	CHECK_INT_EQ(cl_link_parse(link_with_value(buf, sizeof(buf), "hint", "x", 256), &link, &err), CL_OK);
	CHECK_STR_EQ(link.unknown[0], "hint");

	snprintf(buf, sizeof(buf), "certlink://h.example/enroll?pwless=1&token=");
	for (int i = 0; i < 128; i++)
		strcat(buf, "t");
	CHECK_INT_EQ(cl_link_parse(buf, &link, &err), CL_OK);
	CHECK_INT_EQ(strlen(link.token), 128);
	strcat(buf, "t");
	check_bad(buf, "`token` must be 16 to 128");
	cl_link_clear(&link);
}

static void test_link_limits(void)
{
	char buf[CL_LINK_MAX + 64];
	struct cl_link link;
	struct cl_error err;
	size_t len;

	/* Exactly 2048 octets is fine, one more is refused before parsing. */
	strcpy(buf, "certlink://h.example/enroll?user=x");
	for (int i = 1; i <= 8; i++) {
		size_t room = CL_LINK_MAX - strlen(buf) - strlen("&h1=");
		size_t n = room < CL_LINK_VALUE_MAX ? room : CL_LINK_VALUE_MAX;

		len = strlen(buf);
		snprintf(buf + len, sizeof(buf) - len, "&h%d=", i);
		memset(buf + len + 4, 'a', n);
		buf[len + 4 + n] = '\0';
	}
	CHECK_INT_EQ(strlen(buf), CL_LINK_MAX);
	CHECK_INT_EQ(cl_link_parse(buf, &link, &err), CL_OK);
	CHECK_INT_EQ(link.n_unknown, 8);
	CHECK_STR_EQ(link.unknown[7], "h8");
	strcat(buf, "a");
	check_bad(buf, "longer than 2048 octets");

	/* 16 parameters are fine, 17 are not. */
	snprintf(buf, sizeof(buf), "certlink://h.example/enroll?user=u");
	for (int i = 1; i < CL_LINK_PARAMS_MAX; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "&p%d=1", i);
	CHECK_INT_EQ(cl_link_parse(buf, &link, &err), CL_OK);
	CHECK_INT_EQ(link.n_unknown, CL_LINK_PARAMS_MAX - 1);
	CHECK_STR_EQ(link.unknown[CL_LINK_PARAMS_MAX - 2], "p15");
	strcat(buf, "&p16=1");
	check_bad(buf, "more than 16 parameters");

	/* Host names: 63-octet labels and 253 octets in all, plus the final dot that is removed. */
	snprintf(buf, sizeof(buf), "certlink://");
	for (int i = 0; i < 4; i++) {
		len = strlen(buf);
		memset(buf + len, 'a' + i, i < 3 ? 63 : 61);
		buf[len + (i < 3 ? 63 : 61)] = '\0';
		strcat(buf, i < 3 ? "." : "");
	}
	CHECK_INT_EQ(strlen(buf) - strlen("certlink://"), 253);
	strcat(buf, "./enroll");
	CHECK_INT_EQ(cl_link_parse(buf, &link, &err), CL_OK);
	CHECK_INT_EQ(strlen(link.host), 253);
	CHECK(link.host[252] == 'd');
	memmove(buf + 12, buf + 11, strlen(buf + 11) + 1);
	buf[11] = 'z';
	check_bad(buf, "longer than 253 octets");
	snprintf(buf, sizeof(buf), "certlink://%s.example/enroll",
	         "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	check_bad(buf, "a label is longer than 63 octets");
	cl_link_clear(&link);
}

static void test_clear(void)
{
	struct cl_link link;
	struct cl_error err;
	static const char zeros[CL_LINK_TOKEN_MAX + 1];

	CHECK_INT_EQ(cl_link_parse(good_cases[0].link, &link, &err), CL_OK);
	CHECK_STR_EQ(link.token, EX_TOKEN);
	cl_link_clear(&link);
	CHECK(memcmp(link.token, zeros, sizeof(zeros)) == 0);
	CHECK_STR_EQ(link.user, "");
	CHECK_INT_EQ(link.has_ca_fp, false);
	CHECK_INT_EQ(link.port, 443);
	CHECK_INT_EQ(link.store, CL_STORE_ASK);
	cl_link_clear(NULL);
}

static void test_format(void)
{
	struct cl_link link;
	struct cl_error err;
	char out[CL_LINK_MAX + 1];

	cl_link_clear(&link);
	strcpy(link.host, "eps.example.com");
	link.store = CL_STORE_USER;
	link.pwless = true;
	strcpy(link.user, "alice");
	strcpy(link.token, EX_TOKEN);
	CHECK(cl_fp_parse(EX_CA_COLONS, strlen(EX_CA_COLONS), link.ca_fp));
	link.has_ca_fp = true;
	strcpy(link.name, "Corp Wi-Fi (\xE7\xA4\xBE\xE5\x86\x85)");
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out,
	             "certlink://eps.example.com/enroll?v=1&store=user&pwless=1&user=alice&token=" EX_TOKEN
	             "&ca=" EX_CA_HEX "&name=Corp+Wi-Fi+%28%E7%A4%BE%E5%86%85%29");

	/* the output buffer must hold the link and its NUL */
	CHECK_INT_EQ(cl_link_format(&link, out, strlen(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "output buffer is too small") != NULL);

	cl_link_clear(&link);
	strcpy(link.host, "2001:db8::1");
	link.host_is_ip = true;
	link.port = 8443;
	link.action = CL_LINK_RENEW;
	strcpy(link.serial, "00ff");
	strcpy(link.user, "a&b=c+d%");
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_OK);
	CHECK_STR_EQ(out, "certlink://[2001:db8::1]:8443/renew?v=1&user=a%26b%3Dc%2Bd%25&serial=00ff");

	/* Fields that do not make a valid link are refused with the parser's reason. */
	link.action = CL_LINK_ENROLL;
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "cannot format the link: `serial` is only allowed in a renew link") != NULL);
	link.serial[0] = '\0';
	link.pwless = true;
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "needs a `token`") != NULL);
	link.pwless = false;
	strcpy(link.host, "EPS.example.com");
	link.host_is_ip = false;
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "not in the form the parser gives") != NULL);
	strcpy(link.host, "eps.example.com");
	link.host_is_ip = true;
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	link.host_is_ip = false;
	link.port = 0;
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "port must be 1-65535") != NULL);
	link.port = 443;
	strcpy(link.user, "a\nb");
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "control character in `user`") != NULL);
	link.store = (enum cl_store_kind)7;
	strcpy(link.user, "bob");
	CHECK_INT_EQ(cl_link_format(&link, out, sizeof(out), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "`store` must be") != NULL);
	cl_link_clear(&link);
}

/* Valid fields whose canonical link would pass 2048 octets are refused, never truncated. */
static void test_format_too_long(void)
{
	struct cl_link link;
	struct cl_error err;
	char buf[CL_LINK_MAX + 1];

	cl_link_clear(&link);
	for (int i = 0; i < 4; i++) {
		size_t len = strlen(link.host);

		memset(link.host + len, 'a' + i, i < 3 ? 63 : 61);
		strcat(link.host, i < 3 ? "." : "");
	}
	CHECK_INT_EQ(strlen(link.host), 253);
	/* 64 characters, 253 octets each: 757 octets once percent-encoded */
	for (int i = 0; i < 63; i++) {
		strcat(link.user, "\xF0\x9F\x94\x91");
		strcat(link.name, "\xF0\x9F\x94\x91");
	}
	strcat(link.user, "u");
	strcat(link.name, "n");
	memset(link.code, 'c', CL_LINK_TEXT_MAX);
	link.pwless = true;
	memset(link.token, 't', CL_LINK_TOKEN_MAX);
	CHECK_INT_EQ(cl_link_format(&link, buf, sizeof(buf), &err), CL_OK);
	CHECK(strlen(buf) > CL_LINK_MAX - 64);
	link.has_ca_fp = true;
	CHECK_INT_EQ(cl_link_format(&link, buf, sizeof(buf), &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "would be longer than 2048 octets") != NULL);
	cl_link_clear(&link);
}

static void test_fingerprint(void)
{
	unsigned char fp[CL_FP_LEN], fp2[CL_FP_LEN];
	char text[CL_FP_TEXT_SIZE], hex[CL_FP_HEX_SIZE];

	for (int i = 0; i < CL_FP_LEN; i++)
		fp[i] = (unsigned char)(i * 37 + 5);
	cl_fp_format(fp, text);
	CHECK_INT_EQ(strlen(text), 95);
	CHECK(strncmp(text, "05:2A:4F:74:", 12) == 0);
	CHECK(cl_fp_parse(text, strlen(text), fp2));
	CHECK(memcmp(fp, fp2, sizeof(fp)) == 0);
	cl_fp_format_hex(fp, hex);
	CHECK_INT_EQ(strlen(hex), 64);
	CHECK(strncmp(hex, "052a4f74", 8) == 0);
	memset(fp2, 0, sizeof(fp2));
	CHECK(cl_fp_parse(hex, strlen(hex), fp2));
	CHECK(memcmp(fp, fp2, sizeof(fp)) == 0);
	CHECK(!cl_fp_parse(hex, 62, fp2));
	text[2] = '-';
	CHECK(!cl_fp_parse(text, strlen(text), fp2));
	text[2] = ':';
	text[94] = 'G';
	CHECK(!cl_fp_parse(text, strlen(text), fp2));
	/* 95 characters without the colons in place are not the colon form */
	CHECK(!cl_fp_parse(EX_CA_HEX "0123456789abcdef0123456789abcdef", 95, fp2));
}

static void test_names(void)
{
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_ASK), "ask");
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_USER), "user");
	CHECK_STR_EQ(cl_store_kind_name(CL_STORE_COMPUTER), "computer");
	CHECK_STR_EQ(cl_store_kind_name((enum cl_store_kind)9), "unknown");
	CHECK_STR_EQ(cl_link_action_name(CL_LINK_ENROLL), "enroll");
	CHECK_STR_EQ(cl_link_action_name(CL_LINK_RENEW), "renew");
	CHECK_STR_EQ(cl_link_action_name((enum cl_link_action)9), "unknown");
}

int main(void)
{
	test_tables();
	test_spec_examples();
	test_null();
	test_value_limits();
	test_link_limits();
	test_clear();
	test_format();
	test_format_too_long();
	test_fingerprint();
	test_names();
	return check_done();
}
