/* Unit tests of core/records.c: the document model, JSON round trip and validation, caps, find helpers,
 * and the two promises of cl_records_update(): concurrent writers (forked processes) never lose an update,
 * and a writer killed at any point leaves a valid file. */
#include "check.h"
#include "fileio-private.h"
#include "fileio.h"
#include "records.h"
#include "tmpdir.h"

#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

static void test_names(void)
{
	enum cl_app_state s;
	char out[41];

	for (int i = CL_APP_NEW; i <= CL_APP_FAILED; i++) {
		CHECK(cl_app_state_parse(cl_app_state_name((enum cl_app_state)i), &s));
		CHECK_INT_EQ(s, i);
	}
	CHECK_STR_EQ(cl_app_state_name(CL_APP_PENDING), "pending");
	CHECK_STR_EQ(cl_app_state_name((enum cl_app_state)42), "unknown");
	CHECK(!cl_app_state_parse("applied", &s));
	CHECK(cl_app_state_is_open(CL_APP_NEW) && cl_app_state_is_open(CL_APP_ISSUED));
	CHECK(!cl_app_state_is_open(CL_APP_INSTALLED) && !cl_app_state_is_open(CL_APP_WITHDRAWN));
	CHECK(!cl_app_state_is_open(CL_APP_FAILED));

	CHECK(cl_records_normalize_serial("4F:1A:22:C9", out));
	CHECK_STR_EQ(out, "4f1a22c9");
	CHECK(cl_records_normalize_serial("00004f1a22c9", out));
	CHECK_STR_EQ(out, "4f1a22c9");
	CHECK(cl_records_normalize_serial("00", out));
	CHECK_STR_EQ(out, "0");
	CHECK(cl_records_normalize_serial("0123456789abcdef0123456789abcdef01234567", out));
	CHECK(!cl_records_normalize_serial("1123456789abcdef0123456789abcdef012345678", out));
	CHECK(cl_records_normalize_serial("000123456789abcdef0123456789abcdef01234567", out));
	CHECK(!cl_records_normalize_serial("", out));
	CHECK(!cl_records_normalize_serial(":", out));
	CHECK(!cl_records_normalize_serial("4g", out));
	CHECK(!cl_records_normalize_serial("-1", out));
	CHECK(!cl_records_normalize_serial(NULL, out));
}

/* A document with every member set. */
static struct cl_records *full_records(void)
{
	struct cl_records *rec = cl_records_new(CL_STORE_USER);
	struct cl_application *a = cl_records_add_application(rec, NULL);
	struct cl_certificate *c = cl_records_add_certificate(
	    rec, "4F1A22C9", "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff", NULL);

	cl_records_set_string(&a->server_host, "eps.example.com", NULL);
	a->server_port = 8443;
	cl_records_set_string(&a->server_name, "Corp Wi-Fi", NULL);
	cl_records_set_string(&a->ca_fingerprint,
	                      "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab", NULL);
	cl_records_set_string(&a->user, "alice", NULL);
	cl_records_set_string(&a->server_id, "a7f3c29e1d", NULL);
	cl_records_set_string(&a->renewal_of, "1f", NULL);
	cl_records_set_string(&a->transaction_id, "8D1E0A", NULL);
	cl_records_set_string(&a->serial, "4f1a22c9", NULL);
	cl_application_set_state(a, CL_APP_INSTALLED, "SCEP: server answered PENDING", NULL);
	cl_records_set_string(&c->subject, "CN=alice,O=Example Corp", NULL);
	cl_records_set_string(&c->issuer, "CN=Example Corp Enrollment CA", NULL);
	c->not_before = 1795600800;
	c->not_after = 1827136800;
	cl_records_set_string(&c->key_type, "rsa", NULL);
	c->key_bits = 2048;
	cl_records_set_string(&c->application, a->id, NULL);
	cl_records_set_string(&c->server_host, "eps.example.com", NULL);
	c->server_port = 8443;
	cl_records_set_string(&c->user, "alice", NULL);
	cl_records_set_string(&c->server_trust, "pin", NULL);
	cl_records_set_string(&c->server_ca_fingerprint,
	                      "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab", NULL);
	cl_records_set_string(&a->renewal_of_fingerprint,
	                      "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", NULL);
	cl_records_set_string(&c->replaces,
	                      "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", NULL);
	cl_locations_add(&c->locations, CL_LOC_KEY, "/h/certs/4f1a22c9/key.pem", NULL, NULL);
	cl_locations_add(&c->locations, CL_LOC_NSS_CA, "sql:/h/.pki/nssdb", "certlink CA 5f3c0d2a", NULL);
	c->notify = false;
	c->last_notified = 1800000000;
	return rec;
}

static void test_model(void)
{
	struct cl_records *rec = full_records(), *back = NULL;
	struct cl_application *a = rec->apps[0], *b, *old;
	struct cl_certificate *c = rec->certs[0], *d;
	struct cl_error err;
	cJSON *j, *j2;

	CHECK_INT_EQ(strlen(a->id), 16);
	CHECK_INT_EQ(strlen(a->client_request_id), 36);
	CHECK(a->client_request_id[14] == '4'); /* UUID version 4 */
	CHECK_INT_EQ(a->store, CL_STORE_USER);
	CHECK(a->created > 0 && a->updated >= a->created);
	CHECK_STR_EQ(c->serial, "4f1a22c9");
	CHECK_STR_EQ(c->fingerprint, "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");

	/* Round trip: every member survives. */
	j = cl_records_to_json(rec);
	CHECK(j != NULL);
	CHECK_INT_EQ(cl_records_from_json(j, CL_STORE_USER, &back, &err), CL_OK);
	CHECK(back != NULL);
	j2 = back ? cl_records_to_json(back) : NULL;
	CHECK(j2 && cJSON_Compare(j, j2, true));
	CHECK(back && back->certs[0]->replaces &&
	      strcmp(back->certs[0]->replaces,
	             "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100") == 0);
	CHECK(back && back->n_apps == 1 && back->n_certs == 1 && !back->certs[0]->notify &&
	      back->certs[0]->locations.n == 2 && back->apps[0]->state == CL_APP_INSTALLED);
	cJSON_Delete(j2);
	cl_records_free(back);
	/* Another store's document is refused. */
	CHECK_INT_EQ(cl_records_from_json(j, CL_STORE_COMPUTER, &back, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "not \"computer\"") != NULL);
	cJSON_Delete(j);

	/* Finding. */
	CHECK(cl_records_find_application(rec, a->id) == a);
	CHECK(cl_records_find_application(rec, "nope") == NULL);
	CHECK(cl_records_find_certificate(rec, "00:4F:1A:22:C9") == c);
	CHECK(cl_records_find_certificate(rec, "4f1a22c8") == NULL);
	/* Certificates are keyed by fingerprint: the same one twice is refused; without a fingerprint a
	 * repeated serial cannot be told apart and is refused too. */
	CHECK(cl_records_add_certificate(rec, "004f1a22c9",
	                                 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
	                                 &err) == NULL);
	CHECK(strstr(err.msg, "already recorded") != NULL);
	CHECK(cl_records_add_certificate(rec, "004f1a22c9", NULL, &err) == NULL);
	CHECK(cl_records_add_certificate(rec, "xyz", NULL, &err) == NULL);
	CHECK(cl_records_add_certificate(rec, "1", "abcd", &err) == NULL);
	CHECK(cl_records_find_certificate_fp(
	          rec,
	          "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:"
	          "DD:EE:FF") == c);
	CHECK(cl_records_find_certificate_fp(rec, "0011") == NULL);
	CHECK(cl_records_find_certificate_of(rec, a->id) == c);
	CHECK(cl_records_find_certificate_of(rec, "nope") == NULL);
	/* The server identity a certificate rests on: its own record, else its application's CA. */
	CHECK_STR_EQ(cl_certificate_server_ca(rec, c),
	             "5f3c0d2a9b7e41c8f06d13a2b4e5c6d7e8f90123456789abcdef0123456789ab");

	/* By server, user and store: the newest, optionally only one in progress. */
	old = a;
	b = cl_records_add_application(rec, &err);
	cl_records_set_string(&b->server_host, "eps.example.com", NULL);
	b->server_port = 8443;
	cl_records_set_string(&b->user, "alice", NULL);
	b->created = old->created + 10;
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "alice", CL_STORE_USER, false) ==
	      b);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "alice", CL_STORE_USER, true) ==
	      b);
	cl_application_set_state(b, CL_APP_REJECTED, NULL, NULL);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "alice", CL_STORE_USER, true) ==
	      NULL);
	cl_application_set_state(old, CL_APP_APPROVED, NULL, NULL);
	CHECK(old->last_error == NULL);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "alice", CL_STORE_USER, true) ==
	      old);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 443, "alice", CL_STORE_USER, false) ==
	      NULL);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "bob", CL_STORE_USER, false) ==
	      NULL);
	CHECK(cl_records_find_application_for(rec, "eps.example.com", 8443, "alice", CL_STORE_COMPUTER,
	                                      false) == NULL);

	/* A location shared by two certificates is still in use when one goes. */
	d = cl_records_add_certificate(rec, "77", NULL, &err);
	cl_locations_add(&d->locations, CL_LOC_NSS_CA, "sql:/h/.pki/nssdb", "certlink CA 5f3c0d2a", NULL);
	CHECK(cl_records_location_in_use(rec, &d->locations.items[0], d));
	CHECK(cl_records_location_in_use(rec, &c->locations.items[0], NULL));
	CHECK(!cl_records_location_in_use(rec, &c->locations.items[0], c));

	/* Removing. */
	CHECK(cl_records_remove_certificate(rec, c));
	CHECK(!cl_records_remove_certificate(rec, c));
	CHECK(!cl_records_location_in_use(rec, &d->locations.items[0], d));
	CHECK_INT_EQ(rec->n_certs, 1);
	CHECK(cl_records_remove_application(rec, b->id));
	CHECK_INT_EQ(rec->n_apps, 1);
	CHECK(rec->apps[0] == old);
	CHECK(!cl_records_remove_application(rec, "nope"));
	cl_records_free(rec);
	cl_records_free(NULL);
}

/* Two CAs issued serial 4242: both are recorded, a serial names both and is refused as ambiguous, a
 * fingerprint prefix names one, and each is removed on its own. */
static void test_same_serial(void)
{
	static const char fp1[] = "1111111111111111111111111111111111111111111111111111111111111111";
	static const char fp2[] = "1111111122222222222222222222222222222222222222222222222222222222";
	struct cl_records *rec = cl_records_new(CL_STORE_USER), *back = NULL;
	struct cl_certificate *c1 = cl_records_add_certificate(rec, "4242", fp1, NULL);
	struct cl_certificate *c2 = cl_records_add_certificate(rec, "4242", fp2, NULL);
	struct cl_certificate *m[4], *cert = NULL;
	struct cl_application *a = cl_records_add_application(rec, NULL), *app = NULL;
	struct cl_error err;
	cJSON *j;

	CHECK(c1 && c2 && c1 != c2 && rec->n_certs == 2);
	cl_records_set_string(&c1->issuer, "CN=First CA", NULL);
	cl_records_set_string(&c2->issuer, "CN=Second CA", NULL);
	cl_records_set_string(&a->server_host, "h", NULL);
	cl_records_set_string(&a->user, "alice", NULL);
	cl_records_set_string(&c2->application, a->id, NULL);
	CHECK_INT_EQ(cl_records_match_certificates(rec, "42:42", m, 4), 2);
	CHECK_INT_EQ(cl_records_match_certificates(rec, "11111111", m, 4), 2);
	CHECK_INT_EQ(cl_records_match_certificates(rec, "111111112", m, 4), 1);
	CHECK(m[0] == c2);
	CHECK_INT_EQ(cl_records_match_certificates(rec, "1111111", m, 4), 0); /* a prefix needs 8 digits */
	CHECK_INT_EQ(cl_records_resolve(rec, "4242", &app, &cert, &err), CL_E_LOCAL);
	CHECK_STR_EQ(err.code, "ambiguous");
	CHECK(strstr(err.msg, "names 2 certificates") && strstr(err.msg, "1111111111111111 (serial 4242") &&
	      strstr(err.msg, "CN=Second CA") && strstr(err.msg, "fingerprint"));
	CHECK_INT_EQ(cl_records_resolve(rec, "11111111:1", &app, &cert, &err), CL_OK);
	CHECK(cert == c1 && app == NULL);
	CHECK_INT_EQ(cl_records_resolve(rec, "1111111122", &app, &cert, &err), CL_OK);
	CHECK(cert == c2 && app == a);
	CHECK_INT_EQ(cl_records_resolve(rec, a->id, &app, &cert, &err), CL_OK);
	CHECK(cert == c2 && app == a);
	CHECK_INT_EQ(cl_records_resolve(rec, "99", &app, &cert, &err), CL_OK);
	CHECK(cert == NULL && app == NULL);
	/* Legacy record: no server_trust, no application CA: system trust. */
	CHECK(cl_certificate_server_ca(rec, c1) == NULL);

	/* Both survive a save and load; the same fingerprint twice does not. */
	j = cl_records_to_json(rec);
	CHECK_INT_EQ(cl_records_from_json(j, CL_STORE_USER, &back, &err), CL_OK);
	CHECK(back && back->n_certs == 2);
	cl_records_free(back);
	back = NULL;
	cJSON_ReplaceItemInObjectCaseSensitive(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "certificates"), 1),
	                                       "fingerprint", cJSON_CreateString(fp1));
	CHECK_INT_EQ(cl_records_from_json(j, CL_STORE_USER, &back, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "appears twice") != NULL);
	cJSON_Delete(j);

	CHECK(cl_records_remove_certificate(rec, c1));
	CHECK(rec->n_certs == 1 && rec->certs[0] == c2);
	CHECK(cl_records_find_certificate(rec, "4242") == c2);
	cl_records_free(rec);
}

static enum cl_status parse_text(const char *text, struct cl_error *err)
{
	struct cl_records *rec = NULL;
	cJSON *j = cJSON_Parse(text);
	enum cl_status st;

	if (!j)
		return CL_E_UNEXPECTED;
	st = cl_records_from_json(j, CL_STORE_USER, &rec, err);
	cJSON_Delete(j);
	cl_records_free(rec);
	return st;
}

#define APP_OK                                                                                            \
	"\"id\":\"0011223344556677\",\"server_host\":\"h\",\"server_port\":443,\"user\":\"u\",\"store\":" \
	"\"user\","                                                                                       \
	"\"client_request_id\":\"0b4f7c1e-9a53-4c1e-8f43-3d0f6d2f7c11\",\"created\":\"2026-11-25T10:00:"  \
	"00Z\","                                                                                          \
	"\"updated\":\"2026-11-25T10:00:00Z\""

static void test_validation(void)
{
	struct cl_error err;

	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\"}", &err), CL_OK);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":[{" APP_OK
	                        ",\"state\":\"new\"}]}",
	                        &err),
	             CL_OK);
	CHECK_INT_EQ(parse_text("[]", &err), CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"store\":\"user\"}", &err), CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":2,\"store\":\"user\"}", &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "newer certlink") != NULL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":{}}", &err), CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":[{" APP_OK
	                        ",\"state\":\"applied\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "application 0: unknown state \"applied\"") != NULL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":[{" APP_OK
	                        ",\"state\":\"new\"},{" APP_OK ",\"state\":\"new\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "appears twice") != NULL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":[{" APP_OK
	                        ",\"state\":\"new\",\"ca_fingerprint\":\"ABCD\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"applications\":[{" APP_OK
	                        ",\"state\":\"new\",\"server_id\":\"../x\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(
	    parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"0A\"}]}", &err),
	    CL_E_LOCAL);
	CHECK(strstr(err.msg, "certificate 0: serial must be lowercase") != NULL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\"},"
	                        "{\"serial\":\"a\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"locations\":[{\"kind\":\"key\",\"path\":\"k\"}]}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"key_bits\":-1}]}",
	                        &err),
	             CL_E_LOCAL);
	/* The server identity: a known kind, and a CA exactly for pin and person. */
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"server_trust\":\"system\"}]}",
	                        &err),
	             CL_OK);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"server_trust\":\"pin\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "do not agree") != NULL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"server_trust\":\"anyone\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"server_ca_fingerprint\":\"00\"}]}",
	                        &err),
	             CL_E_LOCAL);
	/* the certificate a renewal replaces: a fingerprint or nothing */
	CHECK_INT_EQ(parse_text("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\","
	                        "\"replaces\":\"../../etc\"}]}",
	                        &err),
	             CL_E_LOCAL);
	CHECK(strstr(err.msg, "replaces") != NULL);
	/* A certificate with only a serial gets notify on by default. */
	{
		struct cl_records *rec = NULL;
		cJSON *j =
		    cJSON_Parse("{\"version\":1,\"store\":\"user\",\"certificates\":[{\"serial\":\"a\"}]}");

		CHECK_INT_EQ(cl_records_from_json(j, CL_STORE_USER, &rec, &err), CL_OK);
		CHECK(rec && rec->n_certs == 1 && rec->certs[0]->notify);
		cl_records_free(rec);
		cJSON_Delete(j);
	}
}

static const char *records_path(enum cl_store_kind kind)
{
	return kind == CL_STORE_USER ? tmpdir_path("data/certlink/records.json")
	                             : tmpdir_path("sys/records.json");
}

static enum cl_status add_app_fn(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct cl_application *a = cl_records_add_application(rec, err);

	if (!a)
		return CL_E_LOCAL;
	a->server_port = 443;
	if (cl_records_set_string(&a->server_host, "eps.example.com", err) != CL_OK)
		return CL_E_LOCAL;
	return cl_records_set_string(&a->user, data, err);
}

/* Forgets the mandatory server_host and user. */
static enum cl_status incomplete_fn(struct cl_records *rec, void *data, struct cl_error *err)
{
	return cl_records_add_application(rec, err) ? CL_OK : CL_E_LOCAL;
}

static enum cl_status fail_fn(struct cl_records *rec, void *data, struct cl_error *err)
{
	cl_records_add_application(rec, NULL);
	return cl_error_set(err, CL_E_REFUSED, "changed my mind");
}

static size_t count_apps(enum cl_store_kind kind)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	size_t n = (size_t)-1;

	if (cl_records_load(kind, &rec, &err) == CL_OK)
		n = rec->n_apps;
	else
		fprintf(stderr, "load: %s\n", err.msg);
	cl_records_free(rec);
	return n;
}

static void test_files(void)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	char *before = NULL, *after = NULL;

	/* No file yet: an empty document. */
	CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_OK);
	CHECK(rec && rec->n_apps == 0 && rec->store == CL_STORE_USER);
	cl_records_free(rec);

	CHECK_INT_EQ(cl_records_update(CL_STORE_USER, add_app_fn, "alice", &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(records_path(CL_STORE_USER)), 0600);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("data/certlink")), 0700);
	CHECK_INT_EQ(count_apps(CL_STORE_USER), 1);
	CHECK_INT_EQ(cl_records_update(CL_STORE_COMPUTER, add_app_fn, "root", &err), CL_OK);
	CHECK_INT_EQ(tmpdir_mode(records_path(CL_STORE_COMPUTER)), 0644);
	CHECK_INT_EQ(tmpdir_mode(tmpdir_path("sys")), 0755);

	/* A failing change writes nothing and passes its error up. */
	cl_fileio_read(records_path(CL_STORE_USER), CL_RECORDS_MAX_BYTES, &before, NULL, &err);
	CHECK_INT_EQ(cl_records_update(CL_STORE_USER, fail_fn, NULL, &err), CL_E_REFUSED);
	CHECK_STR_EQ(err.msg, "changed my mind");
	cl_fileio_read(records_path(CL_STORE_USER), CL_RECORDS_MAX_BYTES, &after, NULL, &err);
	CHECK_STR_EQ(before, after);
	free(after);

	/* A change that would make the file unreadable is refused; the file is untouched. */
	CHECK_INT_EQ(cl_records_update(CL_STORE_USER, incomplete_fn, NULL, &err), CL_E_UNEXPECTED);
	CHECK(strstr(err.msg,
	             "refusing to save invalid records: application 1: member \"server_host\" is missing") !=
	      NULL);
	cl_fileio_read(records_path(CL_STORE_USER), CL_RECORDS_MAX_BYTES, &after, NULL, &err);
	CHECK_STR_EQ(before, after);
	free(after);

	/* A damaged file is reported and never overwritten. */
	tmpdir_write(records_path(CL_STORE_USER), "{\"version\":1,\"store\":");
	CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_E_LOCAL);
	CHECK(strstr(err.msg, "records.json") != NULL && strstr(err.msg, "invalid JSON") != NULL);
	CHECK_INT_EQ(cl_records_update(CL_STORE_USER, add_app_fn, "bob", &err), CL_E_LOCAL);
	cl_fileio_read(records_path(CL_STORE_USER), CL_RECORDS_MAX_BYTES, &after, NULL, &err);
	CHECK_STR_EQ(after, "{\"version\":1,\"store\":");
	free(after);

	/* Over 4 MiB: refused before parsing. */
	{
		size_t big = CL_RECORDS_MAX_BYTES + 1;
		char *text = malloc(big);

		memset(text, ' ', big);
		memcpy(text, "{\"version\":1,\"store\":\"user\"}", 28);
		CHECK_INT_EQ(cl_fileio_replace(records_path(CL_STORE_USER), text, big, 0600, &err), CL_OK);
		CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_E_LOCAL);
		CHECK(strstr(err.msg, "too large") != NULL);
		/* One byte less is accepted. */
		CHECK_INT_EQ(cl_fileio_replace(records_path(CL_STORE_USER), text, big - 1, 0600, &err),
		             CL_OK);
		CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_OK);
		cl_records_free(rec);
		free(text);
	}
	/* Too deep: refused. */
	{
		char text[200] = "{\"version\":1,\"store\":\"user\",\"x\":";
		size_t n = strlen(text);

		for (int i = 0; i < 20; i++)
			text[n++] = '[';
		for (int i = 0; i < 20; i++)
			text[n++] = ']';
		text[n++] = '}';
		text[n] = '\0';
		tmpdir_write(records_path(CL_STORE_USER), text);
		CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_E_LOCAL);
		CHECK(strstr(err.msg, "deeper than 16") != NULL);
	}
	/* Put back the good document. */
	CHECK_INT_EQ(cl_fileio_replace(records_path(CL_STORE_USER), before, strlen(before), 0600, &err),
	             CL_OK);
	free(before);
}

#define WRITERS 6
#define UPDATES 20

static void test_concurrent(void)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	size_t start = count_apps(CL_STORE_USER);
	pid_t pids[WRITERS];
	int ok = 1;

	for (int w = 0; w < WRITERS; w++) {
		pids[w] = fork();
		if (pids[w] == 0) {
			char name[32];

			for (int i = 0; i < UPDATES; i++) {
				snprintf(name, sizeof(name), "writer%d-%d", w, i);
				if (cl_records_update(CL_STORE_USER, add_app_fn, name, &err) != CL_OK) {
					fprintf(stderr, "writer %d: %s\n", w, err.msg);
					_exit(1);
				}
			}
			_exit(0);
		}
	}
	for (int w = 0; w < WRITERS; w++) {
		int status = 0;

		waitpid(pids[w], &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	/* Every update of every writer is there exactly once. */
	CHECK_INT_EQ(cl_records_load(CL_STORE_USER, &rec, &err), CL_OK);
	CHECK_INT_EQ(rec ? rec->n_apps : 0, start + WRITERS * UPDATES);
	for (int w = 0; rec && w < WRITERS; w++) {
		for (int i = 0; i < UPDATES; i++) {
			char name[32];
			int found = 0;

			snprintf(name, sizeof(name), "writer%d-%d", w, i);
			for (size_t k = 0; k < rec->n_apps; k++)
				found += rec->apps[k]->user && strcmp(rec->apps[k]->user, name) == 0;
			ok &= found == 1;
		}
	}
	CHECK(ok);
	cl_records_free(rec);
}

static const char *crash_stage;

/* Temp files beside the user records. */
static int count_temps(void)
{
	DIR *d = opendir(tmpdir_path("data/certlink"));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)) != NULL)
		n += strncmp(de->d_name, ".records.json.tmp-", 18) == 0;
	if (d)
		closedir(d);
	return n;
}

static void crash_hook(const char *stage)
{
	if (strcmp(stage, crash_stage) == 0)
		raise(SIGKILL);
}

/* A writer killed at each stage of the replace: the file is valid, with or without its update. */
static void test_crash_stages(void)
{
	static const char *const stages[] = { "temp-created", "temp-written", "temp-synced", "renamed" };
	struct cl_error err;

	for (size_t s = 0; s < sizeof(stages) / sizeof(stages[0]); s++) {
		size_t before = count_apps(CL_STORE_USER);
		int status = 0;
		pid_t pid = fork();

		if (pid == 0) {
			crash_stage = stages[s];
			cl_fileio_test_hook = crash_hook;
			cl_records_update(CL_STORE_USER, add_app_fn, "doomed", NULL);
			_exit(0);
		}
		waitpid(pid, &status, 0);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK_INT_EQ(count_apps(CL_STORE_USER), before + (strcmp(stages[s], "renamed") == 0 ? 1 : 0));
		/* The dead writer's lock is gone: the next update proceeds and sweeps its temp file. */
		CHECK_INT_EQ(cl_records_update(CL_STORE_USER, add_app_fn, "survivor", &err), CL_OK);
		CHECK_INT_EQ(count_apps(CL_STORE_USER), before + (strcmp(stages[s], "renamed") == 0 ? 2 : 1));
		CHECK_INT_EQ(count_temps(), 0);
	}
}

static enum cl_status add_big_app_fn(struct cl_records *rec, void *data, struct cl_error *err)
{
	struct cl_application *a = cl_records_add_application(rec, err);
	char msg[1001];

	if (!a)
		return CL_E_LOCAL;
	a->server_port = 443;
	cl_records_set_string(&a->server_host, "eps.example.com", NULL);
	cl_records_set_string(&a->user, "bulk", NULL);
	memset(msg, 'e', 1000);
	msg[1000] = '\0';
	return cl_records_set_string(&a->last_error, msg, err);
}

/* A writer looping on a growing document, killed at random moments: after every kill the file loads and
 * nothing already committed is lost. */
static void test_crash_random(void)
{
	size_t last = count_apps(CL_STORE_COMPUTER);
	int valid = 0, monotonic = 0, rounds = 25;

	srand((unsigned)time(NULL));
	for (int r = 0; r < rounds; r++) {
		struct timespec ts = { 0, (long)(rand() % 20000) * 1000L };
		size_t now;
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			for (;;)
				cl_records_update(CL_STORE_COMPUTER, add_big_app_fn, NULL, NULL);
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		now = count_apps(CL_STORE_COMPUTER);
		valid += now != (size_t)-1;
		monotonic += now != (size_t)-1 && now >= last;
		if (now != (size_t)-1)
			last = now;
	}
	CHECK_INT_EQ(valid, rounds);
	CHECK_INT_EQ(monotonic, rounds);
	printf("random kills: %d rounds, %zu applications committed\n", rounds, last);
}

static void test_export(void)
{
	struct cl_records *recs[2] = { full_records(), cl_records_new(CL_STORE_COMPUTER) };
	struct cl_error err;
	char *text = cl_records_export_json((const struct cl_records *const *)recs, 2, &err);
	cJSON *j = text ? cJSON_Parse(text) : NULL, *stores = cJSON_GetObjectItem(j, "stores");
	cJSON *user = cJSON_GetArrayItem(stores, 0), *cert;

	CHECK(j != NULL);
	CHECK_INT_EQ(cJSON_GetArraySize(stores), 2);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(user, "store")), "user");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetArrayItem(stores, 1), "store")),
	             "computer");
	cert = cJSON_GetArrayItem(cJSON_GetObjectItem(user, "certificates"), 0);
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(cert, "serial")), "4f1a22c9");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(cert, "not_after")), "2027-11-25T10:00:00Z");
	CHECK(cJSON_IsFalse(cJSON_GetObjectItem(cert, "notify")));
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(
	                 cJSON_GetArrayItem(cJSON_GetObjectItem(cert, "locations"), 1), "kind")),
	             "nss-ca");
	CHECK_STR_EQ(cJSON_GetStringValue(cJSON_GetObjectItem(
	                 cJSON_GetArrayItem(cJSON_GetObjectItem(user, "applications"), 0), "state")),
	             "installed");
	cJSON_Delete(j);
	free(text);
	cl_records_free(recs[0]);
	cl_records_free(recs[1]);
}

/* The list command's states: the boundaries are those of the renewal rule (due at most NOTIFY_DAYS away). */
static void test_cert_state(void)
{
	struct cl_certificate c;
	int64_t now = 1800000000;

	memset(&c, 0, sizeof(c));
	c.not_after = now + 15 * 86400;
	CHECK_INT_EQ(cl_certificate_state(&c, now, 14), CL_CERT_INSTALLED);
	c.not_after = now + 14 * 86400;
	CHECK_INT_EQ(cl_certificate_state(&c, now, 14), CL_CERT_EXPIRING);
	c.not_after = now + 1;
	CHECK_INT_EQ(cl_certificate_state(&c, now, 14), CL_CERT_EXPIRING);
	c.not_after = now;
	CHECK_INT_EQ(cl_certificate_state(&c, now, 14), CL_CERT_EXPIRED);
	c.not_after = now + 86400;
	CHECK_INT_EQ(cl_certificate_state(&c, now, 0), CL_CERT_INSTALLED);
	CHECK_STR_EQ(cl_cert_state_name(CL_CERT_INSTALLED), "installed");
	CHECK_STR_EQ(cl_cert_state_name(CL_CERT_EXPIRING), "expiring");
	CHECK_STR_EQ(cl_cert_state_name(CL_CERT_EXPIRED), "expired");
}

int main(void)
{
	tmpdir_make("records");
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	test_names();
	test_model();
	test_same_serial();
	test_validation();
	test_files();
	test_concurrent();
	test_crash_stages();
	test_crash_random();
	test_export();
	test_cert_state();
	tmpdir_remove();
	return check_done();
}
