/* certlink core: NSS databases opened in this process through libnss3 (see nssdb-private.h).
 *
 * Why in process: importing a certificate used to start pk12util and certutil several times (about a
 * quarter of a second before a person's certificate was in the browser's database, issue 14). The same
 * library those tools use does the same work here without starting a process.
 */
#include "nssdb-private.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/sha.h>

#include <cert.h>
#include <certdb.h>
#include <keyhi.h>
#include <nss.h>
#include <pk11pub.h>
#include <prerror.h>
#include <secerr.h>
#include <utilpars.h>

#define CERTS_MAX  4096 /* certificates read from one database */
#define NICK_TRIES 100  /* "NAME #2" ... for a CA nickname another subject already has */

static pthread_mutex_t nss_lock = PTHREAD_MUTEX_INITIALIZER;
static NSSInitContext *nss_ctx;  /* NSS without a database of its own, for the life of the process */
static unsigned long nss_opened; /* each slot's token name is unique */

struct cl_nss_db {
	PK11SlotInfo *slot;
	char name[PATH_MAX + 8]; /* the database as the caller named it, for messages */
};

/* NSS's last error as "NAME: text". */
static void nss_why(char *out, size_t size)
{
	PRErrorCode code = PR_GetError();
	const char *name = PR_ErrorToName(code), *text = PR_ErrorToString(code, PR_LANGUAGE_I_DEFAULT);

	snprintf(out, size, "%s%s%s", name ? name : "NSS error", text && text[0] ? ": " : "",
	         text ? text : "");
}

/* NSS's reason for a message of one of the formats below: "..., database %s: %s" (whole sentences, so a
 * translation never has an English fragment inside). */
#define NSS_WHY(why) (nss_why(why, sizeof(why)), why)

/* Once per process (under nss_lock). No module database, no root certificates module: only the slots
 * this file opens. */
static enum cl_status nss_start(struct cl_error *err)
{
	char why[256];

	if (nss_ctx)
		return CL_OK;
	nss_ctx =
	    NSS_InitContext("", "", "", "", NULL,
	                    NSS_INIT_READONLY | NSS_INIT_NOCERTDB | NSS_INIT_NOMODDB | NSS_INIT_FORCEOPEN |
	                        NSS_INIT_NOROOTINIT | NSS_INIT_OPTIMIZESPACE | NSS_INIT_PK11RELOAD);
	if (nss_ctx)
		return CL_OK;
	nss_why(why, sizeof(why));
	return cl_error_set(err, CL_E_LOCAL, "starting NSS: %s", why);
}

/* The directory of DB, or NULL for a database type other than sql. */
static const char *db_dir(const char *db)
{
	const char *colon = strchr(db, ':'), *slash = strchr(db, '/');

	if (strncmp(db, "sql:", 4) == 0)
		return db + 4;
	return colon && (!slash || colon < slash) ? NULL : db;
}

static enum cl_status open_slot(struct cl_nss_db *d, const char *dir, bool write, struct cl_error *err)
{
	char *escaped = NSSUTIL_Escape(dir, '\''), *spec = NULL, why[256];
	enum cl_status st = CL_OK;

	if (!escaped ||
	    asprintf(&spec, "configdir='sql:%s' tokenDescription='certlink %lu' flags=%s", escaped,
	             ++nss_opened, write ? "optimizeSpace" : "readOnly,optimizeSpace") < 0) {
		spec = NULL;
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	if (st == CL_OK && !(d->slot = SECMOD_OpenUserDB(spec)))
		st = cl_error_set(err, CL_E_LOCAL, "opening the NSS database %s: %s", d->name, NSS_WHY(why));
	if (st == CL_OK && !PK11_IsPresent(d->slot))
		st = cl_error_set(err, CL_E_LOCAL, "the NSS database %s cannot be opened", d->name);
	if (escaped)
		PORT_Free(escaped);
	free(spec);
	return st;
}

enum cl_status cl_nss_db_open(const char *db, bool write, struct cl_nss_db **out, struct cl_error *err)
{
	const char *dir = db ? db_dir(db) : NULL;
	struct cl_nss_db *d;
	char probe[PATH_MAX];
	enum cl_status st;

	*out = NULL;
	if (!dir || !dir[0])
		return cl_error_set(err, CL_E_LOCAL, "not an NSS sql database: %.200s", db ? db : "");
	/* an existing database only: NSS would create a new one in any directory it can write */
	if (snprintf(probe, sizeof(probe), "%s/cert9.db", dir) >= (int)sizeof(probe) ||
	    access(probe, write ? R_OK | W_OK : R_OK) != 0)
		return write ? cl_error_set(err, CL_E_LOCAL,
		                            "there is no NSS database this account may change in %s", dir)
		             : cl_error_set(err, CL_E_LOCAL, "there is no NSS database in %s", dir);
	if (!(d = calloc(1, sizeof(*d))))
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	snprintf(d->name, sizeof(d->name), "%s", db);
	pthread_mutex_lock(&nss_lock);
	st = nss_start(err);
	if (st == CL_OK)
		st = open_slot(d, dir, write, err);
	if (st != CL_OK) {
		cl_nss_db_close(d);
		return st;
	}
	*out = d;
	return CL_OK;
}

void cl_nss_db_close(struct cl_nss_db *d)
{
	if (!d)
		return;
	if (d->slot) {
		SECMOD_CloseUserDB(d->slot);
		PK11_FreeSlot(d->slot);
	}
	free(d);
	pthread_mutex_unlock(&nss_lock);
}

enum cl_status cl_nss_db_login(struct cl_nss_db *d, struct cl_error *err)
{
	char why[256];

	if (PK11_NeedUserInit(d->slot) && PK11_InitPin(d->slot, NULL, "") != SECSuccess)
		return cl_error_set(err, CL_E_LOCAL, "setting the empty password of the NSS database %s: %s",
		                    d->name, NSS_WHY(why));
	if (!PK11_NeedLogin(d->slot) || PK11_IsLoggedIn(d->slot, NULL) ||
	    PK11_CheckUserPassword(d->slot, "") == SECSuccess)
		return CL_OK;
	return cl_error_set(err, CL_E_LOCAL,
	                    "the NSS database %s is protected by a password, which certlink does not ask for",
	                    d->name);
}

/* ---- certificates, read from the database itself (never from NSS's cache of an earlier opening) ---- */

static X509 *object_cert(PK11GenericObject *o)
{
	SECItem value = { siBuffer, NULL, 0 };
	const unsigned char *p;
	X509 *x = NULL;

	if (PK11_ReadRawAttribute(PK11_TypeGeneric, o, CKA_VALUE, &value) == SECSuccess && value.data) {
		p = value.data;
		x = d2i_X509(NULL, &p, (long)value.len);
		ERR_clear_error();
	}
	SECITEM_FreeItem(&value, PR_FALSE);
	return x;
}

static void object_label(PK11GenericObject *o, char *out, size_t size)
{
	SECItem label = { siBuffer, NULL, 0 };

	out[0] = '\0';
	if (PK11_ReadRawAttribute(PK11_TypeGeneric, o, CKA_LABEL, &label) == SECSuccess && label.data)
		snprintf(out, size, "%.*s", (int)label.len, (const char *)label.data);
	SECITEM_FreeItem(&label, PR_FALSE);
}

void cl_nss_certs_free(struct cl_nss_cert *list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		X509_free(list[i].cert);
	free(list);
}

enum cl_status cl_nss_db_list(struct cl_nss_db *d, struct cl_nss_cert **out, size_t *n, struct cl_error *err)
{
	PK11GenericObject *objs = PK11_FindGenericObjects(d->slot, CKO_CERTIFICATE), *o;
	struct cl_nss_cert *list = NULL;
	size_t count = 0, cap = 0;
	enum cl_status st = CL_OK;

	for (o = objs; o && st == CL_OK; o = PK11_GetNextGenericObject(o)) {
		X509 *x = object_cert(o);

		if (!x)
			continue; /* not X.509: nothing certlink put there */
		if (count == cap) {
			struct cl_nss_cert *grown =
			    cap < CERTS_MAX ? realloc(list, (cap + 16) * sizeof(*list)) : NULL;

			if (!grown) {
				X509_free(x);
				st = cl_error_set(err, CL_E_LOCAL,
				                  "the NSS database %s holds too many certificates", d->name);
				break;
			}
			list = grown;
			cap += 16;
		}
		list[count].cert = x;
		object_label(o, list[count].nick, sizeof(list[count].nick));
		count++;
	}
	if (objs)
		PK11_DestroyGenericObjects(objs);
	if (st != CL_OK) {
		cl_nss_certs_free(list, count);
		list = NULL;
		count = 0;
	}
	*out = list;
	*n = count;
	return st;
}

bool cl_nss_db_nickname_of(struct cl_nss_db *d, X509 *cert, char *out, size_t size)
{
	struct cl_nss_cert *list = NULL;
	size_t n = 0;
	bool found = false;

	if (cl_nss_db_list(d, &list, &n, NULL) != CL_OK)
		return false;
	for (size_t i = 0; i < n && !found; i++)
		if ((found = X509_cmp(list[i].cert, cert) == 0))
			snprintf(out, size, "%s", list[i].nick);
	cl_nss_certs_free(list, n);
	return found;
}

/* ---- adding ---- */

/* A CA's nickname NSS makes from its subject ("CN - O", as pk12util names the CAs of a bundle), unique
 * among the nicknames of other subjects in LIST. */
static void ca_nickname(CERTCertificate *c, X509 *cert, const struct cl_nss_cert *list, size_t n, char *out,
                        size_t size)
{
	char *base = CERT_MakeCANickname(c);
	bool taken = true;

	for (int i = 1; i <= NICK_TRIES && taken; i++) {
		if (i == 1)
			snprintf(out, size, "%s", base ? base : "certlink CA");
		else
			snprintf(out, size, "%s #%d", base ? base : "certlink CA", i);
		taken = false;
		for (size_t j = 0; j < n && !taken; j++)
			taken = strcmp(list[j].nick, out) == 0 &&
			        X509_NAME_cmp(X509_get_subject_name(list[j].cert),
			                      X509_get_subject_name(cert)) != 0;
	}
	if (base)
		PORT_Free(base);
}

/* Set TRUST on the database's copy of the certificate DER. */
static enum cl_status set_trust(struct cl_nss_db *d, SECItem *der, const char *trust, struct cl_error *err)
{
	CERTCertificate *c = PK11_FindCertFromDERCertItem(d->slot, der, NULL);
	CERTCertTrust t;
	enum cl_status st = CL_OK;
	char why[256];

	if (!c || CERT_DecodeTrustString(&t, trust) != SECSuccess ||
	    CERT_ChangeCertTrust(CERT_GetDefaultCertDB(), c, &t) != SECSuccess)
		st = cl_error_set(err, CL_E_LOCAL,
		                  "setting the trust of a certificate in the NSS database %s: %s", d->name,
		                  NSS_WHY(why));
	if (c)
		CERT_DestroyCertificate(c);
	return st;
}

/* The nickname a new certificate gets: its subject's, the caller's, or one made for a CA. */
static void choose_nickname(CERTCertificate *c, X509 *cert, const char *nickname,
                            const struct cl_nss_cert *list, size_t n, char *out, size_t size)
{
	for (size_t i = 0; i < n; i++)
		if (X509_NAME_cmp(X509_get_subject_name(list[i].cert), X509_get_subject_name(cert)) == 0 &&
		    list[i].nick[0]) {
			snprintf(out, size, "%s", list[i].nick);
			return;
		}
	if (nickname)
		snprintf(out, size, "%s", nickname);
	else
		ca_nickname(c, cert, list, n, out, size);
}

enum cl_status cl_nss_db_add_cert(struct cl_nss_db *d, X509 *cert, const char *nickname, const char *trust,
                                  char *actual, size_t size, struct cl_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	SECItem item = { siBuffer, der, len > 0 ? (unsigned)len : 0 };
	struct cl_nss_cert *list = NULL;
	CERTCertificate *c = NULL;
	char nick[256], why[256];
	size_t n = 0;
	enum cl_status st;

	if (len <= 0)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding a certificate");
	st = cl_nss_db_list(d, &list, &n, err);
	if (st == CL_OK && cl_nss_db_nickname_of(d, cert, actual, size)) { /* there already */
		if (trust)
			st = set_trust(d, &item, trust, err);
		goto out;
	}
	if (st == CL_OK &&
	    !(c = CERT_NewTempCertificate(CERT_GetDefaultCertDB(), &item, NULL, PR_FALSE, PR_TRUE)))
		st = cl_error_set(err, CL_E_LOCAL, "reading a certificate for the NSS database %s: %s",
		                  d->name, NSS_WHY(why));
	if (st == CL_OK) {
		choose_nickname(c, cert, nickname, list, n, nick, sizeof(nick));
		if (PK11_ImportCert(d->slot, c, CK_INVALID_HANDLE, nick, PR_FALSE) != SECSuccess)
			st = cl_error_set(err, CL_E_LOCAL, "adding a certificate to the NSS database %s: %s",
			                  d->name, NSS_WHY(why));
	}
	if (st == CL_OK && trust)
		st = set_trust(d, &item, trust, err);
	if (st == CL_OK && !cl_nss_db_nickname_of(d, cert, actual, size))
		st = cl_error_set(err, CL_E_LOCAL, "a certificate added to the NSS database %s is not there",
		                  d->name);
out:
	if (c)
		CERT_DestroyCertificate(c);
	cl_nss_certs_free(list, n);
	OPENSSL_free(der);
	return st;
}

enum cl_status cl_nss_db_add_key(struct cl_nss_db *d, EVP_PKEY *key, const unsigned char *pub, size_t publen,
                                 const char *nickname, struct cl_error *err)
{
	unsigned char idbuf[SHA_DIGEST_LENGTH], *der = NULL;
	SECItem id = { siBuffer, idbuf, sizeof(idbuf) };
	SECItem pubitem = { siBuffer, (unsigned char *)pub, (unsigned)publen };
	SECItem nick = { siUTF8String, (unsigned char *)nickname, (unsigned)strlen(nickname) };
	SECKEYPrivateKey *priv = NULL;
	PKCS8_PRIV_KEY_INFO *p8;
	enum cl_status st = CL_OK;
	char why[256];
	SECItem item;
	int len;

	SHA1(pub, publen, idbuf);
	if ((priv = PK11_FindKeyByKeyID(d->slot, &id, NULL)) != NULL) {
		SECKEY_DestroyPrivateKey(priv);
		return CL_OK; /* imported before: the same key */
	}
	p8 = EVP_PKEY2PKCS8(key);
	len = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, &der) : -1;
	PKCS8_PRIV_KEY_INFO_free(p8); /* wipes its copy of the key */
	if (len <= 0)
		return cl_error_set_openssl(err, CL_E_LOCAL, "encoding the private key");
	item = (SECItem){ siBuffer, der, (unsigned)len };
	if (PK11_ImportDERPrivateKeyInfoAndReturnKey(d->slot, &item, &nick, &pubitem, PR_TRUE, PR_TRUE,
	                                             KU_ALL, &priv, NULL) != SECSuccess ||
	    !priv)
		st = cl_error_set(err, CL_E_LOCAL, "adding the private key to the NSS database %s: %s",
		                  d->name, NSS_WHY(why));
	OPENSSL_clear_free(der, (size_t)len);
	if (priv)
		SECKEY_DestroyPrivateKey(priv);
	/* the certificate finds its key by this ID: a key NSS filed under another one is no use */
	if (st == CL_OK && !(priv = PK11_FindKeyByKeyID(d->slot, &id, NULL)))
		st = cl_error_set(err, CL_E_LOCAL,
		                  "the private key added to the NSS database %s has another ID", d->name);
	if (priv)
		SECKEY_DestroyPrivateKey(priv);
	return st;
}

enum cl_status cl_nss_db_rename(struct cl_nss_db *d, X509 *cert, const char *to, struct cl_error *err)
{
	PK11GenericObject *objs = PK11_FindGenericObjects(d->slot, CKO_CERTIFICATE), *o;
	SECItem label = { siUTF8String, (unsigned char *)to, (unsigned)strlen(to) };
	enum cl_status st = CL_OK;
	bool found = false;
	char why[256];

	for (o = objs; o && !found; o = PK11_GetNextGenericObject(o)) {
		X509 *x = object_cert(o);

		if ((found = x && X509_cmp(x, cert) == 0) &&
		    PK11_WriteRawAttribute(PK11_TypeGeneric, o, CKA_LABEL, &label) != SECSuccess)
			st =
			    cl_error_set(err, CL_E_LOCAL, "renaming a certificate in the NSS database %s: %s",
			                 d->name, NSS_WHY(why));
		X509_free(x);
	}
	if (objs)
		PK11_DestroyGenericObjects(objs);
	if (!found)
		st = cl_error_set(err, CL_E_LOCAL, "the certificate to rename is not in the NSS database %s",
		                  d->name);
	return st;
}
