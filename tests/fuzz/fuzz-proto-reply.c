/* libFuzzer target for the enrollment server's replies (core/proto-reply.c, core/json.c).
 *
 * The first byte chooses the parser (config, CA list, application, activation, error body, or the section 2
 * error mapping with an HTTP status; 'P' a profile document as the privileged helper and the reference server
 * read one); the rest is the reply body. A refusal must leave the struct cleared
 * and the error set; an accepted reply must hold the limits of docs/protocol.md. Every broken property
 * abort()s so libFuzzer keeps the input.
 */
#include "proto.h"
#include "text.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void check_error(enum cl_status st, const struct cl_error *err)
{
	if (st == CL_OK || err->status != st || err->msg[0] == '\0')
		abort();
}

static void fuzz_config(const char *body, size_t len, struct cl_error *err)
{
	struct cl_proto_config c;
	enum cl_status st = cl_proto_parse_config(body, len, &c, err);

	if (st != CL_OK) {
		check_error(st, err);
		if (c.protocol != 0)
			abort();
		return;
	}
	if (c.protocol != 1 || !TERMINATED(c.server) || !TERMINATED(c.key.type) || c.key.type[0] == '\0')
		abort();
	if (c.email.max < 1 || c.email.max > 128 || c.reason.max < 1 || c.reason.max > 1024)
		abort();
	if (c.poll_interval < 1 || c.poll_timeout < 1)
		abort();
	/* what the window and terminal show reads as sent: no format, bidirectional or control characters */
	if (cl_text_needs_escape(c.service_name, 0) || cl_text_needs_escape(c.server, 0) ||
	    cl_text_needs_escape(c.device_note.label, 0))
		abort();
}

static void fuzz_ca(const char *body, size_t len, struct cl_error *err)
{
	struct cl_proto_ca ca;
	enum cl_status st = cl_proto_parse_ca(body, len, &ca, err);

	if (st != CL_OK) {
		check_error(st, err);
		if (ca.n != 0)
			abort();
	}
	if (ca.n > CL_PROTO_CA_MAX)
		abort();
	for (size_t i = 0; i < ca.n; i++)
		if (!ca.certs[i].pem || strlen(ca.certs[i].pem) > CL_PROTO_PEM_MAX)
			abort();
	cl_proto_ca_clear(&ca);
}

static void fuzz_application(const char *body, size_t len, struct cl_error *err)
{
	struct cl_proto_application a;
	enum cl_status st = cl_proto_parse_application(body, len, &a, err);

	if (st != CL_OK) {
		check_error(st, err);
		if (a.id[0] || a.secret[0])
			abort();
		return;
	}
	if (a.id[0] == '\0' ||
	    strspn(a.id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != strlen(a.id))
		abort();
	if (a.state > CL_PROTO_WITHDRAWN || !TERMINATED(a.secret) || !TERMINATED(a.certificate_serial))
		abort();
	if (a.certificate_serial[0] &&
	    strspn(a.certificate_serial, "0123456789abcdef") != strlen(a.certificate_serial))
		abort();
	cl_proto_application_clear(&a);
}

/* After "eps.example.com:8443" (any case) the origin must end: a path, query, fragment or nothing. */
static bool origin_ends(const char *rest)
{
	return rest[0] == '\0' || rest[0] == '/' || rest[0] == '?' || rest[0] == '#';
}

/* A SCEP URL the client would use names the server's own origin: https on the same host and port, or plain
 * http on the same host (any port). */
static void check_scep_origin(const char *url)
{
	static const char https[] = "https://eps.example.com:8443", http[] = "http://eps.example.com";
	struct cl_error err;
	enum cl_status st = cl_proto_check_scep_url(url, "https://eps.example.com:8443", &err);

	if (st != CL_OK) {
		if (st != CL_E_UNREACHABLE || strcmp(err.code, "scep_url_foreign") != 0)
			abort();
		return;
	}
	if (strncasecmp(url, https, sizeof(https) - 1) == 0 && origin_ends(url + sizeof(https) - 1))
		return;
	if (strncasecmp(url, http, sizeof(http) - 1) == 0 &&
	    (url[sizeof(http) - 1] == ':' || origin_ends(url + sizeof(http) - 1)))
		return;
	abort();
}

/* What an accepted profile promises the network code (core/network.c): every network checks the server's
 * name and names a delivered CA; SSIDs and identities read as sent. */
static void check_networks(const struct cl_proto_networks *nets, size_t n_trust)
{
	if (nets->n > CL_PROTO_NETWORKS_MAX)
		abort();
	for (size_t i = 0; i < nets->n; i++) {
		const struct cl_proto_network *n = &nets->v[i];

		if (n->ca_index >= n_trust || (!n->domain_suffix_match[0] && n->n_altsubject == 0) ||
		    cl_text_needs_escape(n->identity, 0))
			abort();
		if ((n->kind == CL_PROTO_NET_WIFI) != (n->n_ssids > 0) || n->n_ssids > CL_PROTO_SSIDS_MAX)
			abort();
		for (size_t s = 0; s < n->n_ssids; s++)
			if (!n->ssids[s].ssid[0] || strlen(n->ssids[s].ssid) > 32 ||
			    cl_text_needs_escape(n->ssids[s].ssid, 0))
				abort();
		for (size_t m = 0; m < n->n_altsubject; m++)
			if (strchr(n->altsubject_matches[m], ';') || strchr(n->altsubject_matches[m], '"'))
				abort();
	}
}

static void fuzz_activation(const char *body, size_t len, struct cl_error *err)
{
	static struct cl_proto_activation a; /* large: keep it off the fuzzer's stack */
	enum cl_status st = cl_proto_parse_activation(body, len, &a, err);

	if (st != CL_OK) {
		check_error(st, err);
		if (a.challenge[0] || a.n_subject || a.n_trust || a.san_dns.n)
			abort();
		return;
	}
	/* no challenge only for an application whose certificate was issued */
	if ((a.challenge[0] == '\0' && a.issued_serial[0] == '\0') || a.n_subject > CL_PROTO_RDN_MAX ||
	    a.n_trust > CL_PROTO_CA_MAX)
		abort();
	/* URL schemes are case-insensitive (RFC 3986 3.1): "HTTPS://" is as good as "https://" */
	if (strncasecmp(a.scep_url, "http", 4) != 0 || a.san_uri.n > CL_PROTO_SAN_MAX)
		abort();
	check_networks(&a.networks, a.n_trust);
	check_scep_origin(a.scep_url);
	cl_proto_activation_clear(&a);
}

static void fuzz_profile(const char *body, size_t len, struct cl_error *err)
{
	static struct cl_proto_profile p;
	enum cl_status st = cl_proto_parse_profile(body, len, &p, err);

	if (st != CL_OK) {
		check_error(st, err);
		if (p.n_trust || p.networks.n)
			abort();
		return;
	}
	if (p.n_trust > CL_PROTO_CA_MAX)
		abort();
	check_networks(&p.networks, p.n_trust);
	cl_proto_profile_clear(&p);
}

static void fuzz_error(const char *body, size_t len, struct cl_error *err)
{
	struct cl_proto_error e;
	long retry_after = -1;
	enum cl_status st = cl_proto_parse_error(body, len, &e, err);

	if (st == CL_OK && (e.code[0] == '\0' || e.retry_after < 0 || cl_text_needs_escape(e.message, 0)))
		abort();
	st = cl_proto_map_error(len > 0 ? 400 + (unsigned char)body[0] % 200 : 503, body, len, "fuzzing",
	                        &retry_after, err);
	if (st == CL_OK || err->status != st || err->code[0] == '\0' || retry_after < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cl_error err;
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (size == 0)
		return 0;
	cl_error_clear(&err);
	if (data[0] == 'P') {
		fuzz_profile(body, len, &err);
		return 0;
	}
	switch (data[0] % 5) {
	case 0:
		fuzz_config(body, len, &err);
		break;
	case 1:
		fuzz_ca(body, len, &err);
		break;
	case 2:
		fuzz_application(body, len, &err);
		break;
	case 3:
		fuzz_activation(body, len, &err);
		break;
	default:
		fuzz_error(body, len, &err);
		break;
	}
	return 0;
}
