/* certlink core: certificates in the person's Firefox profiles (see firefox.h). */
#include "firefox.h"
#include "fileio.h"
#include "logfile.h"
#include "nssdb.h"
#include "paths.h"
#include "tool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#define NICKNAME_MAX 200
#define LIST_MAX     (64 * 1024) /* certutil -L of one profile */

/* ---- one profile ---- */

static bool in_profile(const char *dir, const char *name)
{
	char path[PATH_MAX];

	return (size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path) &&
	       cl_fileio_exists(path);
}

/* The profile's database, created empty (no password, as Firefox does) for a profile never started. */
static enum cl_status ensure_db(const struct cl_firefox_profile *p, struct cl_error *err)
{
	char *certutil, cert9[PATH_MAX + 16];
	enum cl_status st;

	snprintf(cert9, sizeof(cert9), "%s/cert9.db", p->dir);
	if (cl_fileio_exists(cert9)) {
		if (access(cert9, R_OK | W_OK) != 0)
			return cl_error_set(err, CL_E_LOCAL, "the Firefox profile %s: %s: %s", p->dir,
			                    "cert9.db", strerror(errno));
		return CL_OK;
	}
	if (in_profile(p->dir, "cert8.db") || in_profile(p->dir, "key3.db"))
		return cl_error_set(err, CL_E_LOCAL,
		                    "the Firefox profile %s has a database in the old format, which Firefox "
		                    "converts the next time it starts",
		                    p->dir);
	if (!(certutil = cl_paths_tool_certutil(err)))
		return CL_E_LOCAL;
	{
		const char *argv[] = { certutil, "-N", "-d", p->db, "--empty-password", NULL };

		st = cl_tool_run_ok(argv, "creating the Firefox profile's NSS database", err);
	}
	free(certutil);
	return st;
}

static bool sha256_hex(X509 *cert, char out[65])
{
	unsigned char md[32];
	unsigned int len = 0;

	if (!X509_digest(cert, EVP_sha256(), md, &len) || len != 32)
		return false;
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return true;
}

/* `certutil -L` of DB into OUT (LIST_MAX bytes): one "NICKNAME  TRUST" line per entry after a header. */
static bool list_db(const char *db, char *out)
{
	char *certutil = cl_paths_tool_certutil(NULL);
	const char *argv[] = { certutil, "-L", "-d", db, NULL };
	int code = -1;
	bool ok = certutil && cl_tool_run(argv, out, LIST_MAX, &code, NULL) == CL_OK && code == 0;

	free(certutil);
	if (!ok)
		out[0] = '\0';
	return ok;
}

/* Split a listing line into nickname and trust ("C,," or ",,"; the last word), in place; false for a header
 * line. */
static bool entry_of(char *line, char **nick, char **trust)
{
	char *end = line + strlen(line), *t;

	while (end > line && (end[-1] == ' ' || end[-1] == '\r'))
		*--end = '\0';
	t = strrchr(line, ' ');
	if (!t || !strchr(t, ',') || strchr(t, ',') == strrchr(t, ','))
		return false; /* no "x,y,z" trust: a header */
	*trust = t + 1;
	while (t > line && t[-1] == ' ')
		t--;
	*t = '\0';
	*nick = line;
	return line[0] != '\0';
}

/* Does LISTING (a list_db() output) have an entry NICK? */
static bool listed(const char *listing, const char *nick)
{
	char line[NICKNAME_MAX + 64], *n, *trust;

	while (*listing) {
		size_t len = strcspn(listing, "\n");

		if (len < sizeof(line)) {
			memcpy(line, listing, len);
			line[len] = '\0';
			if (entry_of(line, &n, &trust) && strcmp(n, nick) == 0)
				return true;
		}
		listing += len + (listing[len] == '\n');
	}
	return false;
}

/* The certificates NSS files under NICK in DB (one for a CA, several for a nickname shared by one subject).
 * Free with sk_X509_pop_free(.., X509_free). NULL when there is none. */
static STACK_OF(X509) * entry_certs(const char *db, const char *nick)
{
	char *certutil = cl_paths_tool_certutil(NULL), *pem = malloc(LIST_MAX);
	const char *argv[] = { certutil, "-L", "-d", db, "-n", nick, "-a", NULL };
	STACK_OF(X509) *out = NULL;
	int code = -1;
	BIO *bio;
	X509 *x;

	if (certutil && pem && cl_tool_run(argv, pem, LIST_MAX, &code, NULL) == CL_OK && code == 0) {
		for (char *c = pem; *c; c++)
			if (*c == '?') /* a CR as captured; base64 never has '?', and PEM skips white space */
				*c = ' ';
		bio = BIO_new_mem_buf(pem, -1);
		while (bio && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
			if ((!out && !(out = sk_X509_new_null())) || !sk_X509_push(out, x))
				X509_free(x);
		BIO_free(bio);
	}
	ERR_clear_error();
	free(certutil);
	free(pem);
	return out;
}

/* Did a certificate of ISSUERS issue one of SUBJECTS? */
static bool issues(STACK_OF(X509) * issuers, STACK_OF(X509) * subjects)
{
	for (int i = 0; i < sk_X509_num(issuers); i++)
		for (int j = 0; j < sk_X509_num(subjects); j++)
			if (X509_check_issued(sk_X509_value(issuers, i), sk_X509_value(subjects, j)) ==
			    X509_V_OK)
				return true;
	return false;
}

/* The CA entries the chain of CERT (whose own entry is OWN) occupies in AFTER, as CL_LOC_FIREFOX_CHAIN
 * locations: those the import added (not in BEFORE), and the one that issued CERT even when it was there
 * before (an earlier certificate's chain, or a trusted CA), so that it stays while CERT needs it. */
static enum cl_status record_chain(const char *db, const char *before, char *after, const char *own,
                                   X509 *cert, struct cl_locations *out, struct cl_error *err)
{
	STACK_OF(X509) *mine = sk_X509_new_null();
	char *save = NULL, *nick, *trust;
	enum cl_status st = CL_OK;

	if (!mine || !sk_X509_push(mine, cert))
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	for (char *line = strtok_r(after, "\n", &save); line && st == CL_OK;
	     line = strtok_r(NULL, "\n", &save)) {
		STACK_OF(X509) * there;
		bool take;

		if (!entry_of(line, &nick, &trust) || strcmp(nick, own) == 0 || strlen(nick) > NICKNAME_MAX)
			continue;
		take = !listed(before, nick);
		if (!take && (there = entry_certs(db, nick)) != NULL) {
			take = issues(there, mine);
			sk_X509_pop_free(there, X509_free);
		}
		if (take)
			st = cl_locations_add(out, CL_LOC_FIREFOX_CHAIN, db, nick, err);
	}
	sk_X509_free(mine); /* CERT is the caller's */
	return st;
}

enum cl_status cl_firefox_import(const struct cl_firefox_profile *profile, const char *p12,
                                 const char *pwfile, X509 *cert, const char *nickname,
                                 struct cl_locations *out, struct cl_error *err)
{
	char actual[NICKNAME_MAX + 1], fp[65], *before = malloc(LIST_MAX), *after = malloc(LIST_MAX);
	enum cl_status st = CL_OK;

	if (!before || !after)
		st = cl_error_set(err, CL_E_LOCAL, "out of memory");
	else if (!sha256_hex(cert, fp))
		st = cl_error_set(err, CL_E_LOCAL, "computing the certificate fingerprint");
	if (st == CL_OK)
		st = ensure_db(profile, err);
	if (st == CL_OK && !list_db(profile->db, before))
		st = cl_error_set(err, CL_E_LOCAL, "listing the NSS database %s", profile->db);
	if (st == CL_OK)
		st = cl_nssdb_import_pkcs12_cert(profile->db, p12, pwfile, nickname, cert, actual,
		                                 sizeof(actual), err);
	/* the chain first: removal goes in reverse, the certificate before the CAs it needs */
	if (st == CL_OK && list_db(profile->db, after))
		st = record_chain(profile->db, before, after, actual, cert, out, err);
	if (st == CL_OK)
		st = cl_locations_add(out, CL_LOC_FIREFOX_CERT, profile->db, actual, err);
	if (st != CL_OK && cl_fileio_exists(profile->db + 4))
		cl_nssdb_remove_cert(profile->db, fp, true, NULL); /* nothing half-imported stays */
	free(before);
	free(after);
	return st;
}

enum cl_status cl_firefox_trust(const struct cl_firefox_profile *profile, X509 *ca, const char *pemfile,
                                const char *nickname, struct cl_locations *out, bool *created,
                                struct cl_error *err)
{
	char actual[NICKNAME_MAX + 1], fp[65], defnick[64];
	enum cl_status st = ensure_db(profile, err);

	*created = false;
	if (st != CL_OK)
		return st;
	if (!nickname) { /* as cl_store_trust_ca() names it */
		if (!sha256_hex(ca, fp))
			return cl_error_set(err, CL_E_LOCAL, "computing the certificate fingerprint");
		snprintf(defnick, sizeof(defnick), "certlink CA %.16s", fp);
		nickname = defnick;
	}
	/* A CA already there (placed for a chain, no trust flags) keeps its nickname; -A only sets the trust.
	 */
	*created = !cl_nssdb_nickname_of(profile->db, ca, actual, sizeof(actual)) &&
	           !cl_nssdb_has(profile->db, nickname);
	st = cl_nssdb_add_ca(profile->db, pemfile, nickname, err);
	if (st == CL_OK && !cl_nssdb_nickname_of(profile->db, ca, actual, sizeof(actual)))
		snprintf(actual, sizeof(actual), "%s", nickname);
	if (st == CL_OK)
		st = cl_locations_add(out, CL_LOC_FIREFOX_CA, profile->db, actual, err);
	return st;
}

/* ---- every profile ---- */

static void log_left_out(const struct cl_firefox_profile *p, const char *what, const struct cl_error *why)
{
	cl_logfile_append(CL_STORE_USER, program_invocation_short_name, NULL,
	                  "Firefox profile %s left out (%s): %s", p->dir, what, why->msg);
}

/* A copy of the path of the first location of KIND in LOCS, or NULL. */
static char *path_of(const struct cl_locations *locs, enum cl_location_kind kind)
{
	for (size_t i = 0; i < locs->n; i++)
		if (locs->items[i].kind == kind)
			return strdup(locs->items[i].path);
	return NULL;
}

size_t cl_firefox_import_all(const struct cl_locations *have, X509 *cert, const char *nickname,
                             struct cl_locations *out)
{
	struct cl_firefox_profiles *all = calloc(1, sizeof(*all));
	/* copies: OUT may be HAVE, and appending moves its items */
	char *p12 = path_of(have, CL_LOC_PKCS12), *pw = path_of(have, CL_LOC_PKCS12_PASSWORD);
	struct cl_error why;
	size_t done = 0;

	if (all && p12 && pw)
		cl_firefox_find(all);
	for (size_t i = 0; all && p12 && pw && i < all->n; i++) {
		if (cl_firefox_has(have, CL_LOC_FIREFOX_CERT, &all->items[i]))
			continue;
		cl_error_clear(&why);
		if (cl_firefox_import(&all->items[i], p12, pw, cert, nickname, out, &why) == CL_OK)
			done++;
		else
			log_left_out(&all->items[i], "certificate", &why);
	}
	free(all);
	free(p12);
	free(pw);
	return done;
}

size_t cl_firefox_trust_all(X509 *ca, const char *pemfile, const char *nickname, struct cl_locations *out,
                            struct cl_locations *created)
{
	struct cl_firefox_profiles *all = calloc(1, sizeof(*all));
	struct cl_locations one = { NULL, 0 };
	struct cl_error why;
	size_t done = 0;
	bool is_new;

	if (all)
		cl_firefox_find(all);
	for (size_t i = 0; all && i < all->n; i++) {
		cl_error_clear(&why);
		cl_locations_clear(&one);
		if (cl_firefox_trust(&all->items[i], ca, pemfile, nickname, &one, &is_new, &why) != CL_OK ||
		    cl_locations_append(out, &one, &why) != CL_OK ||
		    (is_new && cl_locations_append(created, &one, &why) != CL_OK)) {
			log_left_out(&all->items[i], "trusted CA", &why);
			continue;
		}
		done++;
	}
	cl_locations_clear(&one);
	free(all);
	return done;
}

/* Does a certificate with a key in DB ("u" trust: the person's own, or a renewal's successor) still need the
 * CA filed under NICK for its chain? */
static bool needed(const char *db, const char *nick)
{
	STACK_OF(X509) *ca = entry_certs(db, nick), *users;
	char *list = malloc(LIST_MAX), *save = NULL, *n, *trust;
	bool found = false;

	if (ca && list && list_db(db, list))
		for (char *line = strtok_r(list, "\n", &save); line && !found;
		     line = strtok_r(NULL, "\n", &save))
			if (entry_of(line, &n, &trust) && strchr(trust, 'u') &&
			    (users = entry_certs(db, n))) {
				found = issues(ca, users);
				sk_X509_pop_free(users, X509_free);
			}
	sk_X509_pop_free(ca, X509_free);
	free(list);
	return found;
}

/* The trust attributes of NICK in DB into TRUST (16 bytes); false when it is not there. */
static bool trust_of(const char *db, const char *nick, char trust[16])
{
	char *list = malloc(LIST_MAX), *save = NULL, *n, *t;
	bool found = false;

	if (list && list_db(db, list))
		for (char *line = strtok_r(list, "\n", &save); line && !found;
		     line = strtok_r(NULL, "\n", &save))
			if (entry_of(line, &n, &t) && strcmp(n, nick) == 0) {
				snprintf(trust, 16, "%s", t);
				found = true;
			}
	free(list);
	return found;
}

/* A CA placed for a chain goes only while nothing trusts it (a consent, another certificate's
 * CL_LOC_FIREFOX_CA, or the person in Firefox may have given it trust flags since) and no certificate there
 * needs it. A trusted CA (CL_LOC_FIREFOX_CA) loses its trust flags and goes, or only loses them while a
 * certificate there still needs it for its chain. */
static enum cl_status remove_ca(const struct cl_location *loc, struct cl_error *err)
{
	char trust[16], *certutil;
	enum cl_status st;

	if (!trust_of(loc->path, loc->nickname, trust))
		return CL_OK;
	if (loc->kind == CL_LOC_FIREFOX_CHAIN && strcmp(trust, ",,") != 0)
		return CL_OK;
	if (!needed(loc->path, loc->nickname))
		return cl_nssdb_remove(loc->path, loc->nickname, false, err);
	if (loc->kind == CL_LOC_FIREFOX_CHAIN)
		return CL_OK;
	if (!(certutil = cl_paths_tool_certutil(err)))
		return CL_E_LOCAL;
	{
		const char *argv[] = {
			certutil, "-M", "-d", loc->path, "-n", loc->nickname, "-t", ",,", NULL
		};

		st = cl_tool_run_ok(argv, "removing the CA's trust from the Firefox profile", err);
	}
	free(certutil);
	return st;
}

enum cl_status cl_firefox_remove(const struct cl_location *loc, const char *cert_sha256, struct cl_error *err)
{
	const char *dir = loc->path + 4;

	if (strncmp(loc->path, "sql:", 4) != 0 || !in_profile(dir, "cert9.db"))
		return CL_OK; /* the profile, or its database, is gone and took the entry with it */
	if (loc->kind == CL_LOC_FIREFOX_CA || loc->kind == CL_LOC_FIREFOX_CHAIN)
		return remove_ca(loc, err);
	if (!cert_sha256)
		return cl_error_set(err, CL_E_LOCAL,
		                    "the Firefox entry \"%s\" was left in %s: its certificate is unknown",
		                    loc->nickname, dir);
	return cl_nssdb_remove_cert(loc->path, cert_sha256, true, err);
}
