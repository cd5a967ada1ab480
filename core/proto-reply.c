/* certlink core: pure parsers for the enrollment server's JSON replies (see proto.h).
 *
 * Bytes in, struct out, no I/O: each parser caps size and nesting (json.c), checks type and length of every
 * member it uses against docs/protocol.md, ignores unknown members, and leaves the struct cleared on error.
 */
#include "proto.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <uriparser/Uri.h>

#include "json.h"
#include "proto-private.h"
#include "text.h"

#define REQ    CL_JSON_REQUIRED
#define NULLOK CL_JSON_NULLABLE

/* ---- small validators ---- */

static bool all_chars(const char *s, const char *allowed_extra, bool alnum)
{
	for (; *s; s++)
		if (!(alnum && isalnum((unsigned char)*s)) && !strchr(allowed_extra, *s))
			return false;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Exactly 64 hex digits (any case). */
static bool parse_fp(const char *s, unsigned char out[32])
{
	if (strlen(s) != 64)
		return false;
	for (size_t i = 0; i < 32; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return true;
}

/* An ASCII string member of min..max characters drawn from alnum (when alnum) and extra. */
static enum cl_status get_ascii(const cJSON *obj, const char *name, unsigned flags, size_t min, size_t max,
                                bool alnum, const char *extra, char *out, size_t size, bool *present,
                                struct cl_error *err)
{
	char *copy = NULL;
	enum cl_status st;

	out[0] = '\0';
	if (present)
		*present = false;
	if (max >= size)
		return cl_error_set(err, CL_E_UNEXPECTED, "buffer too small for member \"%s\"", name);
	st = cl_json_get_strdup(obj, name, flags, min, max, &copy, err);
	if (st == CL_OK && copy && !all_chars(copy, extra, alnum))
		st = cl_json_bad(err, "member \"%s\" contains a character it may not contain", name);
	if (st == CL_OK && copy) {
		memcpy(out, copy, strlen(copy) + 1); /* ASCII: characters are octets, so it fits */
		if (present)
			*present = true;
	}
	if (copy)
		OPENSSL_clear_free(copy, strlen(copy)); /* also used for secrets and challenges */
	return st;
}

/* RFC 3339 UTC as the protocol writes it: YYYY-MM-DDTHH:MM:SS[.fraction]Z. */
static bool valid_time(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i])
			return false;
	if (s[i] == '.')
		for (i++; isdigit((unsigned char)s[i]); i++)
			;
	return s[i] == 'Z' && s[i + 1] == '\0';
}

static enum cl_status get_time(const cJSON *obj, const char *name, char *out, size_t size,
                               struct cl_error *err)
{
	bool present;

	if (get_ascii(obj, name, NULLOK, 20, CL_PROTO_TIME_MAX, false, "0123456789-:.TZ", out, size, &present,
	              err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (present && !valid_time(out))
		return cl_json_bad(err, "member \"%s\" is not an RFC 3339 UTC time", name);
	return CL_OK;
}

/* A serial: hex digits, stored lowercase without leading zeros. */
static enum cl_status get_serial(const cJSON *obj, const char *name, char *out, size_t size,
                                 struct cl_error *err)
{
	char buf[CL_PROTO_SERIAL_MAX * 4 + 1];
	bool present;
	size_t skip = 0, i;

	out[0] = '\0';
	if (cl_json_get_str(obj, name, NULLOK, 1, CL_PROTO_SERIAL_MAX, buf, sizeof(buf), &present, err) !=
	    CL_OK)
		return CL_E_UNREACHABLE;
	if (!present)
		return CL_OK;
	if (!all_chars(buf, "0123456789abcdefABCDEF", false))
		return cl_json_bad(err, "member \"%s\" is not a hex serial number", name);
	while (buf[skip] == '0' && buf[skip + 1])
		skip++;
	for (i = 0; buf[skip + i] && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)buf[skip + i]);
	out[i] = '\0';
	return CL_OK;
}

/* A string member that must be one of a NULL-terminated list; *index gets its position (def when absent). */
static enum cl_status get_enum(const cJSON *obj, const char *name, unsigned flags, const char *const *names,
                               int def, int *index, struct cl_error *err)
{
	char buf[32 * 4 + 1];
	bool present;

	*index = def;
	if (cl_json_get_str(obj, name, flags, 1, 32, buf, sizeof(buf), &present, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!present)
		return CL_OK;
	for (int i = 0; names[i]; i++)
		if (strcmp(buf, names[i]) == 0) {
			*index = i;
			return CL_OK;
		}
	return cl_json_bad(err, "member \"%s\" has an unknown value", name);
}

static enum cl_status get_fp(const cJSON *obj, const char *name, unsigned flags, unsigned char out[32],
                             bool *present, struct cl_error *err)
{
	char buf[64 * 4 + 1];

	if (cl_json_get_str(obj, name, flags, 64, 64, buf, sizeof(buf), present, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (*present && !parse_fp(buf, out))
		return cl_json_bad(err, "member \"%s\" is not a SHA-256 fingerprint", name);
	return CL_OK;
}

/* Parse and unwrap {"name": {...}}: the root's object member name. */
static enum cl_status parse_wrapped(const char *body, size_t len, size_t max, const char *name, cJSON **root,
                                    const cJSON **inner, struct cl_error *err)
{
	if (cl_json_parse(body, len, max, root, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!name) {
		*inner = *root;
		return CL_OK;
	}
	return cl_json_get_node(*root, name, REQ, false, inner, err);
}

/* ---- error ---- */

#define CODE_CHARS "_-."

enum cl_status cl_proto_parse_error(const char *body, size_t len, struct cl_proto_error *out,
                                    struct cl_error *err)
{
	cJSON *root = NULL;
	const cJSON *e;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = parse_wrapped(body, len, CL_HTTP_BODY_MAX, "error", &root, &e, err);
	if (st == CL_OK)
		st = get_ascii(e, "code", REQ, 1, sizeof(out->code) - 1, true, CODE_CHARS, out->code,
		               sizeof(out->code), NULL, err);
	if (st == CL_OK)
		st = cl_json_get_str(e, "message", NULLOK | CL_JSON_MULTILINE, 0, CL_PROTO_MESSAGE_MAX,
		                     out->message, sizeof(out->message), NULL, err);
	if (st == CL_OK)
		st = cl_json_get_int(e, "retry_after", NULLOK, 0, 86400, 0, &out->retry_after, err);
	if (st == CL_OK)
		st = cl_json_get_str(e, "field", NULLOK, 0, CL_PROTO_LABEL_MAX, out->field,
		                     sizeof(out->field), NULL, err);
	if (st == CL_OK)
		st = get_ascii(e, "state", NULLOK, 0, sizeof(out->state) - 1, true, CODE_CHARS, out->state,
		               sizeof(out->state), NULL, err);
	cl_json_free(root);
	if (st != CL_OK) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	/* shown to the person inside an error message: on one line, and reading as it was sent */
	cl_text_escape(out->message, out->message, sizeof(out->message), 0);
	cl_text_escape(out->field, out->field, sizeof(out->field), 0);
	return st;
}

/* ---- config ---- */

static const char *const use_names[] = { "off", "optional", "required", NULL };

static enum cl_status parse_field(const cJSON *fields, const char *name, long def_max, long cap,
                                  struct cl_proto_field *out, struct cl_error *err)
{
	const cJSON *f;
	int use;

	memset(out, 0, sizeof(*out));
	out->max = def_max;
	if (!fields)
		return CL_OK;
	if (cl_json_get_node(fields, name, NULLOK, false, &f, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!f)
		return CL_OK;
	if (get_enum(f, "use", REQ, use_names, 0, &use, err) != CL_OK ||
	    cl_json_get_int(f, "max", NULLOK, 1, 1024, def_max, &out->max, err) != CL_OK ||
	    cl_json_get_str(f, "label", NULLOK, 0, CL_PROTO_LABEL_MAX, out->label, sizeof(out->label), NULL,
	                    err) != CL_OK)
		return cl_error_prefix(err, "field \"%s\"", name), CL_E_UNREACHABLE;
	out->use = (enum cl_proto_use)use;
	if (out->max > cap)
		out->max = cap;
	return CL_OK;
}

static enum cl_status parse_key(const cJSON *obj, unsigned flags, struct cl_proto_key *out,
                                struct cl_error *err)
{
	const cJSON *k;

	memset(out, 0, sizeof(*out));
	if (cl_json_get_node(obj, "key", flags, false, &k, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!k)
		return CL_OK;
	if (get_ascii(k, "type", REQ, 1, sizeof(out->type) - 1, true, "-_", out->type, sizeof(out->type),
	              NULL, err) != CL_OK ||
	    cl_json_get_int(k, "bits", NULLOK, 0, 16384, 0, &out->bits, err) != CL_OK ||
	    get_ascii(k, "curve", NULLOK, 0, sizeof(out->curve) - 1, true, "-_", out->curve,
	              sizeof(out->curve), NULL, err) != CL_OK)
		return cl_error_prefix(err, "key"), CL_E_UNREACHABLE;
	return CL_OK;
}

static enum cl_status parse_config_fields(const cJSON *c, struct cl_proto_config *out, struct cl_error *err)
{
	const cJSON *f;

	if (cl_json_get_node(c, "fields", NULLOK, false, &f, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (parse_field(f, "email", 128, 128, &out->email, err) != CL_OK ||
	    parse_field(f, "reason", 256, 1024, &out->reason, err) != CL_OK ||
	    parse_field(f, "device_note", 128, 1024, &out->device_note, err) != CL_OK ||
	    parse_field(f, "invitation_code", 64, 1024, &out->invitation_code, err) != CL_OK)
		return CL_E_UNREACHABLE;
	return CL_OK;
}

static enum cl_status parse_config_policy(const cJSON *c, struct cl_proto_config *out, struct cl_error *err)
{
	static const char *const same_key[] = { "forbidden", "allowed", NULL };
	const cJSON *renewal, *poll;
	int same = 0;

	if (cl_json_get_node(c, "renewal", NULLOK, false, &renewal, err) != CL_OK ||
	    cl_json_get_node(c, "approval_poll", NULLOK, false, &poll, err) != CL_OK)
		return CL_E_UNREACHABLE;
	out->renewal_window_days = 14;
	out->poll_interval = CL_PROTO_POLL_DEFAULT;
	out->poll_timeout = CL_PROTO_POLL_TIMEOUT;
	if (renewal && (get_enum(renewal, "same_key", NULLOK, same_key, 0, &same, err) != CL_OK ||
	                cl_json_get_int(renewal, "window_days", NULLOK, 0, 3650, 14,
	                                &out->renewal_window_days, err) != CL_OK))
		return CL_E_UNREACHABLE;
	out->renewal_same_key = same == 1;
	if (poll && (cl_json_get_int(poll, "interval", NULLOK, 1, 3600, CL_PROTO_POLL_DEFAULT,
	                             &out->poll_interval, err) != CL_OK ||
	             cl_json_get_int(poll, "timeout", NULLOK, 1, 7 * 86400, CL_PROTO_POLL_TIMEOUT,
	                             &out->poll_timeout, err) != CL_OK))
		return CL_E_UNREACHABLE;
	return cl_json_get_bool(c, "withdraw_requires_password", NULLOK, false,
	                        &out->withdraw_requires_password, err);
}

static enum cl_status parse_config_root(const cJSON *c, struct cl_proto_config *out, struct cl_error *err)
{
	if (cl_json_get_int(c, "protocol", REQ, 0, 1000000, 0, &out->protocol, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (out->protocol != 1) {
		cl_error_set(err, CL_E_REFUSED, "this server speaks certlink protocol %ld, not 1",
		             out->protocol);
		cl_error_set_code(err, "protocol_version");
		return CL_E_REFUSED;
	}
	if (cl_json_get_str(c, "server", NULLOK, 0, CL_PROTO_TEXT_MAX, out->server, sizeof(out->server), NULL,
	                    err) != CL_OK ||
	    cl_json_get_str(c, "service_name", NULLOK, 0, CL_PROTO_TEXT_MAX, out->service_name,
	                    sizeof(out->service_name), NULL, err) != CL_OK ||
	    cl_json_get_bool(c, "auto_approve", NULLOK, false, &out->auto_approve, err) != CL_OK ||
	    cl_json_get_bool(c, "passwordless", NULLOK, false, &out->passwordless, err) != CL_OK ||
	    cl_json_get_bool(c, "apid_check", NULLOK, false, &out->apid_check, err) != CL_OK)
		return CL_E_UNREACHABLE;
	return CL_OK;
}

enum cl_status cl_proto_parse_config(const char *body, size_t len, struct cl_proto_config *out,
                                     struct cl_error *err)
{
	cJSON *root = NULL;
	const cJSON *c;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = parse_wrapped(body, len, CL_HTTP_BODY_MAX, NULL, &root, &c, err);
	if (st == CL_OK)
		st = parse_config_root(c, out, err);
	if (st == CL_OK)
		st = parse_config_fields(c, out, err);
	if (st == CL_OK)
		st = parse_key(c, REQ, &out->key, err);
	if (st == CL_OK)
		st = parse_config_policy(c, out, err);
	cl_json_free(root);
	if (st != CL_OK) {
		memset(out, 0, sizeof(*out));
		return st;
	}
	/* The names the window and the terminal show ("Sign in to SERVICE", a field's label) read as the
	 * server sent them: format, bidirectional and control characters become visible escapes. */
	cl_text_escape(out->server, out->server, sizeof(out->server), 0);
	cl_text_escape(out->service_name, out->service_name, sizeof(out->service_name), 0);
	cl_text_escape(out->email.label, out->email.label, sizeof(out->email.label), 0);
	cl_text_escape(out->reason.label, out->reason.label, sizeof(out->reason.label), 0);
	cl_text_escape(out->device_note.label, out->device_note.label, sizeof(out->device_note.label), 0);
	cl_text_escape(out->invitation_code.label, out->invitation_code.label,
	               sizeof(out->invitation_code.label), 0);
	return st;
}

/* ---- CA certificates (GET /api/v1/ca, profile.trust) ---- */

/* Exactly one PEM certificate that OpenSSL parses; its SHA-256 over the DER. */
static enum cl_status check_pem(const char *pem, unsigned char sha256[32], struct cl_error *err)
{
	const char *first = strstr(pem, "-----BEGIN");
	BIO *bio = BIO_new_mem_buf(pem, (int)strlen(pem));
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
	unsigned int n = 0;
	bool ok = x && first && !strstr(first + 1, "-----BEGIN") &&
	          X509_digest(x, EVP_sha256(), sha256, &n) && n == 32;

	X509_free(x);
	BIO_free(bio);
	if (!ok) {
		cl_error_set_openssl(err, CL_E_UNREACHABLE,
		                     "the server's reply is not valid: \"pem\" is not one "
		                     "PEM certificate");
		cl_error_set_code(err, "bad_reply");
		return CL_E_UNREACHABLE;
	}
	return CL_OK;
}

static enum cl_status parse_cert(const cJSON *item, bool with_role, struct cl_proto_cert *out,
                                 struct cl_error *err)
{
	static const char *const roles[] = { "root", "intermediate", NULL };
	unsigned char claimed[32];
	bool has_claim = false;
	int role = 0;

	if (!cJSON_IsObject(item))
		return cl_json_bad(err, "a certificate entry is not an object");
	if (cl_json_get_strdup(item, "pem", REQ | CL_JSON_MULTILINE, 1, CL_PROTO_PEM_MAX, &out->pem, err) !=
	        CL_OK ||
	    check_pem(out->pem, out->sha256, err) != CL_OK ||
	    get_fp(item, "sha256", NULLOK, claimed, &has_claim, err) != CL_OK ||
	    cl_json_get_str(item, "subject", NULLOK, 0, 512, out->subject, sizeof(out->subject), NULL, err) !=
	        CL_OK ||
	    (with_role && get_enum(item, "role", NULLOK, roles, 0, &role, err) != CL_OK))
		return CL_E_UNREACHABLE;
	if (has_claim && memcmp(claimed, out->sha256, 32) != 0)
		return cl_json_bad(err, "a certificate's \"sha256\" does not match its \"pem\"");
	out->role = (enum cl_proto_ca_role)role;
	return CL_OK;
}

static enum cl_status parse_cert_list(const cJSON *list, bool with_role, struct cl_proto_cert *certs,
                                      size_t *n, struct cl_error *err)
{
	const cJSON *item;

	*n = 0;
	if (!list)
		return CL_OK;
	if (cJSON_GetArraySize(list) > CL_PROTO_CA_MAX)
		return cl_json_bad(err, "more than %d certificates", CL_PROTO_CA_MAX);
	cJSON_ArrayForEach(item, list)
	{
		if (parse_cert(item, with_role, &certs[*n], err) != CL_OK) {
			(*n)++; /* so the caller's clear frees what was allocated */
			return cl_error_prefix(err, "certificate %zu", *n), CL_E_UNREACHABLE;
		}
		(*n)++;
	}
	return CL_OK;
}

enum cl_status cl_proto_parse_ca(const char *body, size_t len, struct cl_proto_ca *out, struct cl_error *err)
{
	cJSON *root = NULL;
	const cJSON *list = NULL;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = cl_json_parse(body, len, CL_HTTP_CA_BODY_MAX, &root, err);
	if (st == CL_OK)
		st = cl_json_get_node(root, "certificates", REQ, true, &list, err);
	if (st == CL_OK)
		st = parse_cert_list(list, true, out->certs, &out->n, err);
	cl_json_free(root);
	if (st != CL_OK)
		cl_proto_ca_clear(out);
	return st;
}

static void cert_clear(struct cl_proto_cert *c)
{
	free(c->pem);
	memset(c, 0, sizeof(*c));
}

void cl_proto_ca_clear(struct cl_proto_ca *ca)
{
	if (!ca)
		return;
	for (size_t i = 0; i < ca->n && i < CL_PROTO_CA_MAX; i++)
		cert_clear(&ca->certs[i]);
	memset(ca, 0, sizeof(*ca));
}

/* ---- application ---- */

#define ID_CHARS     "-_"
#define SECRET_CHARS "-_="

static const char *const state_names[] = { "pending", "approved", "issued", "rejected", "withdrawn", NULL };

const char *cl_proto_state_name(enum cl_proto_state state)
{
	if ((unsigned)state < sizeof(state_names) / sizeof(state_names[0]) - 1)
		return state_names[state];
	return "unknown";
}

static enum cl_status parse_app_fields(const cJSON *a, struct cl_proto_application *out, struct cl_error *err)
{
	int state;

	if (get_ascii(a, "id", REQ, 1, CL_PROTO_ID_MAX, true, ID_CHARS, out->id, sizeof(out->id), NULL,
	              err) != CL_OK ||
	    get_enum(a, "state", REQ, state_names, 0, &state, err) != CL_OK ||
	    get_ascii(a, "secret", NULLOK, CL_PROTO_SECRET_MIN, CL_PROTO_SECRET_MAX, true, SECRET_CHARS,
	              out->secret, sizeof(out->secret), NULL, err) != CL_OK ||
	    get_time(a, "created", out->created, sizeof(out->created), err) != CL_OK ||
	    get_time(a, "updated", out->updated, sizeof(out->updated), err) != CL_OK ||
	    get_serial(a, "certificate_serial", out->certificate_serial, sizeof(out->certificate_serial),
	               err) != CL_OK ||
	    get_serial(a, "revoked_serial", out->revoked_serial, sizeof(out->revoked_serial), err) != CL_OK ||
	    cl_json_get_int(a, "retry_after", NULLOK, 0, 86400, 0, &out->retry_after, err) != CL_OK)
		return CL_E_UNREACHABLE;
	out->state = (enum cl_proto_state)state;
	return CL_OK;
}

enum cl_status cl_proto_parse_application(const char *body, size_t len, struct cl_proto_application *out,
                                          struct cl_error *err)
{
	cJSON *root = NULL;
	const cJSON *a;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = parse_wrapped(body, len, CL_HTTP_BODY_MAX, "application", &root, &a, err);
	if (st == CL_OK)
		st = parse_app_fields(a, out, err);
	cl_json_free(root);
	if (st != CL_OK)
		cl_proto_application_clear(out);
	return st;
}

void cl_proto_application_clear(struct cl_proto_application *app)
{
	if (app)
		OPENSSL_cleanse(app, sizeof(*app));
}

/* ---- activation ---- */

/* RFC 3986 unreserved, reserved and "%": what a URL may contain unencoded. */
#define URL_CHARS "-._~:/?#[]@!$&'()*+,;=%"

static enum cl_status parse_scep(const cJSON *act, struct cl_proto_activation *out, struct cl_error *err)
{
	const cJSON *scep;
	bool has_fp;

	if (cl_json_get_node(act, "scep", REQ, false, &scep, err) != CL_OK ||
	    get_ascii(scep, "url", REQ, 8, CL_PROTO_URL_MAX, true, URL_CHARS, out->scep_url,
	              sizeof(out->scep_url), NULL, err) != CL_OK ||
	    get_fp(scep, "ca_sha256", REQ, out->scep_ca_sha256, &has_fp, err) != CL_OK ||
	    get_ascii(scep, "challenge", NULLOK, 1, CL_PROTO_CHALLENGE_MAX, true,
	              "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", out->challenge, sizeof(out->challenge), NULL,
	              err) != CL_OK ||
	    get_time(scep, "challenge_expires", out->challenge_expires, sizeof(out->challenge_expires),
	             err) != CL_OK)
		return cl_error_prefix(err, "scep"), CL_E_UNREACHABLE;
	if (strncasecmp(out->scep_url, "https://", 8) != 0 && strncasecmp(out->scep_url, "http://", 7) != 0)
		return cl_json_bad(err, "scep.url is not an http or https URL");
	return CL_OK;
}

static enum cl_status parse_rdn(const cJSON *pair, struct cl_proto_rdn *out, struct cl_error *err)
{
	static const char *const types[] = { "CN", "O", "OU", "C", "ST", "L", "emailAddress", NULL };
	const cJSON *type = cJSON_GetArrayItem(pair, 0), *value = cJSON_GetArrayItem(pair, 1);
	int i;

	if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2)
		return cl_json_bad(err, "a subject entry is not a [type, value] pair");
	if (cl_json_check_str(type, "subject type", 0, 1, 15, err) != CL_OK)
		return CL_E_UNREACHABLE;
	for (i = 0; types[i] && strcmp(types[i], type->valuestring) != 0; i++)
		;
	if (!types[i])
		return cl_json_bad(err, "subject attribute type \"%.15s\" is not allowed", type->valuestring);
	if (cl_json_check_str(value, "subject value", 0, 1, i == 6 ? 128 : 64, err) != CL_OK)
		return CL_E_UNREACHABLE;
	snprintf(out->type, sizeof(out->type), "%s", types[i]);
	snprintf(out->value, sizeof(out->value), "%s", value->valuestring);
	return CL_OK;
}

static enum cl_status parse_subject(const cJSON *act, struct cl_proto_activation *out, struct cl_error *err)
{
	const cJSON *list, *pair;

	if (cl_json_get_node(act, "subject", REQ, true, &list, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (cJSON_GetArraySize(list) > CL_PROTO_RDN_MAX)
		return cl_json_bad(err, "subject has more than %d entries", CL_PROTO_RDN_MAX);
	cJSON_ArrayForEach(pair, list)
	{
		if (parse_rdn(pair, &out->subject[out->n_subject], err) != CL_OK)
			return CL_E_UNREACHABLE;
		out->n_subject++;
	}
	return CL_OK;
}

/* An optional array of at most max strings of 1..max_len characters. */
static enum cl_status parse_strings(const cJSON *obj, const char *name, size_t max, size_t max_len,
                                    struct cl_proto_strings *out, struct cl_error *err)
{
	const cJSON *list, *s;

	if (cl_json_get_node(obj, name, NULLOK, true, &list, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!list)
		return CL_OK;
	if ((size_t)cJSON_GetArraySize(list) > max)
		return cl_json_bad(err, "\"%s\" has more than %zu entries", name, max);
	cJSON_ArrayForEach(s, list)
	{
		if (cl_json_check_str(s, name, 0, 1, max_len, err) != CL_OK)
			return CL_E_UNREACHABLE;
		if (!(out->v[out->n] = strdup(s->valuestring)))
			return cl_error_set(err, CL_E_LOCAL, "out of memory");
		out->n++;
	}
	return CL_OK;
}

static enum cl_status parse_san(const cJSON *act, struct cl_proto_activation *out, struct cl_error *err)
{
	const cJSON *san;

	if (cl_json_get_node(act, "san", NULLOK, false, &san, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!san)
		return CL_OK;
	if (parse_strings(san, "dns", CL_PROTO_SAN_MAX, 253, &out->san_dns, err) != CL_OK ||
	    parse_strings(san, "email", CL_PROTO_SAN_MAX, 254, &out->san_email, err) != CL_OK ||
	    parse_strings(san, "upn", CL_PROTO_SAN_MAX, 256, &out->san_upn, err) != CL_OK ||
	    parse_strings(san, "uri", CL_PROTO_SAN_MAX, CL_PROTO_URL_MAX, &out->san_uri, err) != CL_OK)
		return cl_error_prefix(err, "san"), CL_E_UNREACHABLE;
	return CL_OK;
}

/* profile.trust (the CAs the profile delivers: offered as trust anchors when they issue the certificate,
 * enroll-install.c) and profile.networks, whose RADIUS CAs must be among them (proto-network.c). */
static enum cl_status parse_profile_node(const cJSON *profile, struct cl_proto_cert *trust, size_t *n_trust,
                                         struct cl_proto_networks *networks, struct cl_error *err)
{
	const cJSON *list;

	if (cl_json_get_node(profile, "trust", NULLOK, true, &list, err) != CL_OK ||
	    parse_cert_list(list, false, trust, n_trust, err) != CL_OK)
		return cl_error_prefix(err, "profile.trust"), CL_E_UNREACHABLE;
	return cl_proto_parse_networks(profile, trust, *n_trust, networks, err);
}

static enum cl_status parse_profile(const cJSON *act, struct cl_proto_activation *out, struct cl_error *err)
{
	const cJSON *profile;

	if (cl_json_get_node(act, "profile", NULLOK, false, &profile, err) != CL_OK)
		return CL_E_UNREACHABLE;
	if (!profile)
		return CL_OK;
	return parse_profile_node(profile, out->trust, &out->n_trust, &out->networks, err);
}

enum cl_status cl_proto_parse_profile(const char *body, size_t len, struct cl_proto_profile *out,
                                      struct cl_error *err)
{
	cJSON *root = NULL;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = cl_json_parse(body, len, CL_HTTP_BODY_MAX, &root, err);
	if (st == CL_OK)
		st = parse_profile_node(root, out->trust, &out->n_trust, &out->networks, err);
	cl_json_free(root);
	if (st != CL_OK)
		cl_proto_profile_clear(out);
	return st;
}

enum cl_status cl_proto_parse_activation(const char *body, size_t len, struct cl_proto_activation *out,
                                         struct cl_error *err)
{
	static const char *const cn_override[] = { "forbidden", "allowed", NULL };
	cJSON *root = NULL;
	int allowed = 0;
	enum cl_status st;

	memset(out, 0, sizeof(*out));
	st = cl_json_parse(body, len, CL_HTTP_BODY_MAX, &root, err);
	if (st == CL_OK)
		st = parse_scep(root, out, err);
	if (st == CL_OK)
		st = parse_subject(root, out, err);
	if (st == CL_OK)
		st = parse_san(root, out, err);
	if (st == CL_OK)
		st = get_enum(root, "cn_override", NULLOK, cn_override, 0, &allowed, err);
	if (st == CL_OK)
		st = parse_key(root, REQ, &out->key, err);
	if (st == CL_OK)
		st = parse_profile(root, out, err);
	if (st == CL_OK)
		st = get_serial(root, "issued_serial", out->issued_serial, sizeof(out->issued_serial), err);
	/* An application whose certificate was issued has no challenge left (the issuance used it): the
	 * client fetches that certificate again by SCEP retransmission (docs/protocol.md sections 5, 8). */
	if (st == CL_OK && !out->challenge[0] && !out->issued_serial[0]) {
		st = cl_json_bad(err, "member \"%s\" is missing", "challenge");
		cl_error_prefix(err, "scep");
	}
	out->cn_override = allowed == 1;
	cl_json_free(root);
	if (st != CL_OK)
		cl_proto_activation_clear(out);
	return st;
}

static void strings_clear(struct cl_proto_strings *s)
{
	for (size_t i = 0; i < s->n && i < CL_PROTO_SAN_MAX; i++)
		free(s->v[i]);
	s->n = 0;
}

void cl_proto_activation_clear(struct cl_proto_activation *act)
{
	if (!act)
		return;
	strings_clear(&act->san_dns);
	strings_clear(&act->san_email);
	strings_clear(&act->san_upn);
	strings_clear(&act->san_uri);
	for (size_t i = 0; i < act->n_trust && i < CL_PROTO_CA_MAX; i++)
		cert_clear(&act->trust[i]);
	OPENSSL_cleanse(act, sizeof(*act));
}

void cl_proto_profile_clear(struct cl_proto_profile *profile)
{
	if (!profile)
		return;
	for (size_t i = 0; i < profile->n_trust && i < CL_PROTO_CA_MAX; i++)
		cert_clear(&profile->trust[i]);
	memset(profile, 0, sizeof(*profile));
}

/* ---- where SCEP may go ---- */

struct origin {
	char scheme[8];
	char host[256];
	unsigned port;
};

static void lower_copy(char *dst, size_t size, const char *first, const char *after)
{
	size_t n = (size_t)(after - first), i;

	for (i = 0; i < n && i + 1 < size; i++)
		dst[i] = (char)tolower((unsigned char)first[i]);
	dst[i] = '\0';
}

/* Scheme, host (lowercase, IPv6 without brackets) and port (the scheme's default when absent) of an
 * absolute http(s) URL without user information; false for anything else. */
static bool read_origin(const char *url, struct origin *o)
{
	UriUriA uri;
	const char *errpos = NULL;
	bool ok;

	memset(o, 0, sizeof(*o));
	if (uriParseSingleUriA(&uri, url, &errpos) != URI_SUCCESS)
		return false;
	ok = uri.scheme.first && uri.hostText.first && !uri.userInfo.first && !uri.hostData.ipFuture.first &&
	     uri.scheme.afterLast - uri.scheme.first < (long)sizeof(o->scheme) &&
	     uri.hostText.afterLast - uri.hostText.first > 0 &&
	     uri.hostText.afterLast - uri.hostText.first < (long)sizeof(o->host);
	if (ok) {
		lower_copy(o->scheme, sizeof(o->scheme), uri.scheme.first, uri.scheme.afterLast);
		lower_copy(o->host, sizeof(o->host), uri.hostText.first, uri.hostText.afterLast);
		o->port = strcmp(o->scheme, "https") == 0 ? 443 : strcmp(o->scheme, "http") == 0 ? 80 : 0;
		ok = o->port != 0;
	}
	if (ok && uri.portText.first) {
		const char *p = uri.portText.first;
		unsigned long port = 0;

		ok = p < uri.portText.afterLast && uri.portText.afterLast - p <= 5 && *p != '0';
		for (; ok && p < uri.portText.afterLast; p++) {
			ok = isdigit((unsigned char)*p);
			port = port * 10 + (unsigned long)(*p - '0');
		}
		ok = ok && port >= 1 && port <= 65535;
		o->port = (unsigned)port;
	}
	uriFreeUriMembersA(&uri);
	return ok;
}

enum cl_status cl_proto_check_scep_url(const char *url, const char *server_url, struct cl_error *err)
{
	struct origin scep, server;
	bool same;

	if (!read_origin(server_url, &server))
		return cl_error_set(err, CL_E_UNEXPECTED, "the enrollment server's own address is not a URL");
	if (!read_origin(url, &scep))
		same = false;
	else if (strcmp(scep.scheme, "https") == 0)
		same = strcmp(scep.host, server.host) == 0 && scep.port == server.port;
	else /* plain-HTTP SCEP (docs/protocol.md section 7): the same host; its port is the server's to
	        choose */
		same = strcmp(scep.host, server.host) == 0;
	if (same)
		return CL_OK;
	cl_error_set(
	    err, CL_E_UNREACHABLE,
	    "the server named a SCEP address that is not its own (%.200s is not on %.200s): certlink "
	    "sends SCEP requests only to the enrollment server itself, so nothing was sent there",
	    url, server_url);
	cl_error_set_code(err, "scep_url_foreign");
	return CL_E_UNREACHABLE;
}
