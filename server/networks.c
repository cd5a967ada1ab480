/* certlink-server: the 802.1X networks of each store (see networks.h). */
#include "networks.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "config.h"
#include "proto.h"
#include "util.h"

/* A certificate to stand in for the RADIUS CA while a value is checked (any certificate does: the check is
 * about the networks; the real CA is added when the profile is made). Made once. */
static struct {
	pthread_once_t once;
	char *pem;
	char fp[65];
} stand_in = { PTHREAD_ONCE_INIT, NULL, "" };

static void make_stand_in(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *bio = BIO_new(BIO_s_mem());
	unsigned char *der = NULL;
	char *data;
	long len;
	int dlen;

	if (key && x && bio && X509_set_version(x, 2) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) && X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	                               (const unsigned char *)"network check", -1, -1, 0) &&
	    X509_set_issuer_name(x, X509_get_subject_name(x)) && X509_set_pubkey(x, key) &&
	    X509_sign(x, key, EVP_sha256()) && PEM_write_bio_X509(bio, x) &&
	    (len = BIO_get_mem_data(bio, &data)) > 0 && (dlen = i2d_X509(x, &der)) > 0) {
		/* a memory BIO's data has no terminating NUL: copy exactly LEN octets */
		stand_in.pem = malloc((size_t)len + 1);
		if (stand_in.pem) {
			memcpy(stand_in.pem, data, (size_t)len);
			stand_in.pem[len] = '\0';
		}
		srv_sha256_hex(der, (size_t)dlen, stand_in.fp);
	}
	OPENSSL_free(der);
	BIO_free(bio);
	X509_free(x);
	EVP_PKEY_free(key);
}

/* {"trust": [{"pem": CA_PEM}], "networks": NETWORKS with "ca_sha256": CA_FP in each}. NULL on a bad value. */
static cJSON *profile_of(const cJSON *networks, const char *ca_pem, const char *ca_fp)
{
	cJSON *doc = cJSON_CreateObject(), *trust = cJSON_AddArrayToObject(doc, "trust"),
	      *ca = cJSON_CreateObject();
	cJSON *list = cJSON_Duplicate(networks, 1), *n;

	cJSON_AddStringToObject(ca, "pem", ca_pem);
	cJSON_AddItemToArray(trust, ca);
	cJSON_ArrayForEach(n, list)
	{
		cJSON_DeleteItemFromObjectCaseSensitive(n, "ca_sha256");
		if (cJSON_IsObject(n))
			cJSON_AddStringToObject(n, "ca_sha256", ca_fp);
	}
	cJSON_AddItemToObject(doc, "networks", list);
	return doc;
}

enum cl_status srv_networks_check(const char *value, struct cl_error *err)
{
	static const char prefix[] = "the server's reply is not valid: ";
	struct cl_proto_profile p;
	cJSON *list, *doc;
	char *text;
	enum cl_status st;

	if (!value[0])
		return CL_OK;
	if (strlen(value) > SRV_NETWORKS_VALUE_MAX)
		return cl_error_set(err, CL_E_LOCAL, "at most %d octets", SRV_NETWORKS_VALUE_MAX);
	list = cJSON_Parse(value);
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return cl_error_set(err, CL_E_LOCAL,
		                    "not a JSON array of networks (docs/server.md \"Networks\")");
	}
	pthread_once(&stand_in.once, make_stand_in);
	if (!stand_in.pem) {
		cJSON_Delete(list);
		return cl_error_set(err, CL_E_UNEXPECTED, "cannot check networks: out of memory");
	}
	doc = profile_of(list, stand_in.pem, stand_in.fp);
	text = doc ? cJSON_PrintUnformatted(doc) : NULL;
	st = text ? cl_proto_parse_profile(text, strlen(text), &p, err)
	          : cl_error_set(err, CL_E_UNEXPECTED, "out of memory");
	cl_proto_profile_clear(&p);
	if (st != CL_OK) {
		/* the client's words about a reply: said here about the administrator's value */
		if (!strncmp(err->msg, prefix, sizeof(prefix) - 1))
			memmove(err->msg, err->msg + sizeof(prefix) - 1,
			        strlen(err->msg) - sizeof(prefix) + 2);
		err->status = st = CL_E_LOCAL;
	}
	free(text);
	cJSON_Delete(doc);
	cJSON_Delete(list);
	return st;
}

static X509 *read_ca(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

enum cl_status srv_networks_check_ca(const char *value, struct cl_error *err)
{
	const char *first = strstr(value, "-----BEGIN");
	X509 *x;
	int ca;

	if (!value[0])
		return CL_OK;
	if (strlen(value) > SRV_NETWORKS_VALUE_MAX || !first || strstr(first + 1, "-----BEGIN"))
		return cl_error_set(err, CL_E_LOCAL, "one PEM certificate of at most %d octets",
		                    SRV_NETWORKS_VALUE_MAX);
	x = read_ca(value);
	ca = x ? X509_check_ca(x) : 0;
	X509_free(x);
	if (ca < 1)
		return cl_error_set(err, CL_E_LOCAL, "not a CA certificate (PEM)");
	return CL_OK;
}

/* The network CA: network_ca, else this server's CA. PEM and SHA-256 into *pem (caller frees) and fp. */
static bool network_ca(sqlite3 *db, const struct srv_ca *ca, char **pem, char fp[65])
{
	char *v = srv_config_dup(db, "network_ca");
	unsigned char *der = NULL;
	X509 *x;
	int len;

	if (!v || !v[0]) {
		free(v);
		*pem = strdup(ca->cert_pem);
		memcpy(fp, ca->fp_hex, 65);
		return *pem != NULL;
	}
	x = read_ca(v);
	len = x ? i2d_X509(x, &der) : -1;
	if (len > 0)
		srv_sha256_hex(der, (size_t)len, fp);
	OPENSSL_free(der);
	X509_free(x);
	*pem = v;
	return len > 0;
}

cJSON *srv_networks_profile(sqlite3 *db, const struct srv_ca *ca, const char *store)
{
	cJSON *p = cJSON_CreateObject(), *trust = cJSON_AddArrayToObject(p, "trust"),
	      *own = cJSON_CreateObject();
	char *value = srv_config_dup(db, !strcmp(store, "computer") ? "network_computer" : "network_user");
	cJSON *list = value && value[0] ? cJSON_Parse(value) : NULL, *doc, *item;
	char *pem = NULL, fp[65];

	cJSON_AddStringToObject(own, "pem", ca->cert_pem);
	cJSON_AddStringToObject(own, "sha256", ca->fp_hex);
	cJSON_AddStringToObject(own, "subject", ca->subject);
	cJSON_AddItemToArray(trust, own);
	if (cJSON_GetArraySize(list) > 0 && network_ca(db, ca, &pem, fp)) {
		doc = profile_of(list, pem, fp);
		if (strcmp(fp, ca->fp_hex) != 0) {
			item = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(doc, "trust"), 0);
			cJSON_AddStringToObject(item, "sha256", fp);
			cJSON_AddItemToArray(trust, item);
		}
		cJSON_AddItemToObject(p, "networks", cJSON_DetachItemFromObject(doc, "networks"));
		cJSON_Delete(doc);
	}
	free(pem);
	cJSON_Delete(list);
	free(value);
	return p;
}

static enum cl_status store_list(sqlite3 *db, const char *store, cJSON *list, struct cl_error *err)
{
	char *text = cJSON_GetArraySize(list) > 0 ? cJSON_PrintUnformatted(list) : strdup("");
	enum cl_status st =
	    text ? srv_config_set(db, !strcmp(store, "computer") ? "network_computer" : "network_user", text,
	                          err)
	         : cl_error_set(err, CL_E_UNEXPECTED, "out of memory");

	free(text);
	return st;
}

static cJSON *load_list(sqlite3 *db, const char *store)
{
	char *value = srv_config_dup(db, !strcmp(store, "computer") ? "network_computer" : "network_user");
	cJSON *list = value && value[0] ? cJSON_Parse(value) : NULL;

	free(value);
	return cJSON_IsArray(list) ? list : (cJSON_Delete(list), cJSON_CreateArray());
}

enum cl_status srv_networks_add(sqlite3 *db, const char *store, cJSON *network, struct cl_error *err)
{
	cJSON *list = load_list(db, store);
	enum cl_status st;

	cJSON_AddItemToArray(list, network);
	st = store_list(db, store, list, err);
	cJSON_Delete(list);
	return st;
}

enum cl_status srv_networks_remove(sqlite3 *db, const char *store, int index, struct cl_error *err)
{
	cJSON *list = load_list(db, store);
	enum cl_status st;

	if (index < 0 || index >= cJSON_GetArraySize(list)) {
		cJSON_Delete(list);
		return cl_error_set(err, CL_E_LOCAL, "no network %d in the %s store's list", index + 1,
		                    store);
	}
	cJSON_DeleteItemFromArray(list, index);
	st = store_list(db, store, list, err);
	cJSON_Delete(list);
	return st;
}
