/* certlink-install-helper: installs a prepared key and certificate into the computer store, as root.
 *
 * certlink-handler runs it through pkexec (policy org.certlink.install) when a person who is not root chose
 * the computer store:
 *
 *     pkexec /usr/libexec/certlink/certlink-install-helper STAGING-DIR
 *
 * STAGING-DIR is a directory the caller's core prepared: mode 0700, owned by the calling user, holding
 * exactly key.pem (PKCS#8, mode 0600), cert.pem and optionally chain.pem (the issuing CAs), all regular files
 * owned by the caller. The helper runs as root on behalf of an unprivileged caller, so everything about its
 * input is hostile: the path is opened once without following a symlink and everything else is read through
 * that descriptor; owners, modes, link counts, file types and sizes are checked; the PEM is parsed with caps
 * and the key must match the certificate. It takes no destination: where the computer store is belongs to
 * the core (core/paths.c), and under pkexec the environment that could redirect it is gone. On success it
 * prints the installed locations as JSON on stdout (the caller records them) and exits 0; a refused input
 * exits 100, other failures with the core's exit codes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "error.h"
#include "location.h"
#include "store.h"

#define FILE_MAX  (64 * 1024) /* a key, a certificate or a chain of a few CAs */
#define CHAIN_MAX 8

struct staged {
	char *key_pem, *cert_pem, *chain_pem;
	size_t key_len, cert_len, chain_len;
};

/* The user pkexec acts for (PKEXEC_UID), or root itself when started directly by root. */
static enum cl_status caller_uid(uid_t *uid, struct cl_error *err)
{
	const char *v = getenv("PKEXEC_UID");
	char *end;
	unsigned long n;

	if (!v) {
		*uid = getuid();
		return CL_OK;
	}
	errno = 0;
	n = strtoul(v, &end, 10);
	if (errno || end == v || *end || n > (unsigned long)INT_MAX)
		return cl_error_set(err, CL_E_LOCAL, "PKEXEC_UID is not a user id");
	*uid = (uid_t)n;
	return CL_OK;
}

/* pkexec already clears the environment; the helper does it again so nothing the caller set (a redirected
 * store, a tool search path) can reach the store code. A root caller without pkexec keeps its own. */
static void sanitize_environment(bool pkexec)
{
	if (!pkexec)
		return;
	clearenv();
	setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

static enum cl_status read_staged(int dirfd, const char *name, uid_t owner, bool secret, bool optional,
                                  char **out, size_t *len, struct cl_error *err)
{
	struct stat st;
	ssize_t n;
	size_t got = 0;
	char *buf;
	int fd;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO planted under the name must not hang a root process. */
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT && optional)
		return CL_OK;
	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "%s: %s", name,
		                    errno == ELOOP ? "is a symbolic link" : strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s is not a regular file", name);
	}
	if (st.st_uid != owner || st.st_nlink != 1 || (secret && (st.st_mode & 077)) || (st.st_mode & 022)) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s must be the caller's own file, with one link, %s",
		                    name, secret ? "mode 0600" : "not writable by others");
	}
	if (st.st_size <= 0 || st.st_size > FILE_MAX) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s must hold 1 to %d octets", name, FILE_MAX);
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	while (got < (size_t)st.st_size && (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	if (got != (size_t)st.st_size) {
		OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
		return cl_error_set(err, CL_E_LOCAL, "%s changed while it was read", name);
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return CL_OK;
}

/* Exactly the expected names: anything else in the directory is a sign it is not what the core made. */
static enum cl_status check_entries(int dirfd, struct cl_error *err)
{
	int fd = dup(dirfd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	enum cl_status st = CL_OK;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return cl_error_set(err, CL_E_LOCAL, "cannot list the staging directory: %s",
		                    strerror(errno));
	}
	while (st == CL_OK && (e = readdir(dir)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "key.pem") ||
		    !strcmp(e->d_name, "cert.pem") || !strcmp(e->d_name, "chain.pem"))
			continue;
		st = cl_error_set(err, CL_E_LOCAL, "unexpected entry in the staging directory");
	}
	closedir(dir);
	return st;
}

static enum cl_status open_staging(const char *path, uid_t owner, int *dirfd, struct cl_error *err)
{
	struct stat st;

	if (path[0] != '/' || strlen(path) >= PATH_MAX || strstr(path, "/../") || strstr(path, "/./"))
		return cl_error_set(err, CL_E_LOCAL, "the staging directory must be an absolute, plain path");
	*dirfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*dirfd < 0)
		return cl_error_set(err, CL_E_LOCAL, "staging directory: %s",
		                    errno == ELOOP || errno == ENOTDIR
		                        ? "not a directory (or a symbolic link)"
		                        : strerror(errno));
	if (fstat(*dirfd, &st) != 0 || st.st_uid != owner || (st.st_mode & 07777) != 0700) {
		close(*dirfd);
		*dirfd = -1;
		return cl_error_set(err, CL_E_LOCAL,
		                    "the staging directory must be the caller's own, mode 0700");
	}
	return CL_OK;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0; /* an encrypted key is refused, never prompted for */
}

static enum cl_status parse_staged(const struct staged *s, EVP_PKEY **key, X509 **cert,
                                   STACK_OF(X509) * *chain, struct cl_error *err)
{
	BIO *bio;
	X509 *ca;

	bio = BIO_new_mem_buf(s->key_pem, (int)s->key_len);
	*key = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!*key)
		return cl_error_set_openssl(err, CL_E_LOCAL, "key.pem is not an unencrypted private key");
	bio = BIO_new_mem_buf(s->cert_pem, (int)s->cert_len);
	*cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!*cert)
		return cl_error_set_openssl(err, CL_E_LOCAL, "cert.pem is not a certificate");
	if (X509_check_ca(*cert) != 0)
		return cl_error_set(err, CL_E_LOCAL, "cert.pem is a CA certificate, not an end-entity one");
	if (X509_check_private_key(*cert, *key) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "key.pem does not match cert.pem");
	*chain = sk_X509_new_null();
	if (!*chain)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	if (!s->chain_pem)
		return CL_OK;
	bio = BIO_new_mem_buf(s->chain_pem, (int)s->chain_len);
	while (bio && (ca = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL)) != NULL) {
		if (sk_X509_num(*chain) >= CHAIN_MAX || !sk_X509_push(*chain, ca)) {
			X509_free(ca);
			BIO_free(bio);
			return cl_error_set(err, CL_E_LOCAL, "chain.pem holds more than %d certificates",
			                    CHAIN_MAX);
		}
	}
	BIO_free(bio);
	ERR_clear_error(); /* the end of the PEM stream */
	if (sk_X509_num(*chain) == 0)
		return cl_error_set(err, CL_E_LOCAL, "chain.pem holds no certificate");
	return CL_OK;
}

static void free_staged(struct staged *s)
{
	if (s->key_pem)
		OPENSSL_clear_free(s->key_pem, s->key_len + 1);
	free(s->cert_pem);
	free(s->chain_pem);
	memset(s, 0, sizeof(*s));
}

static enum cl_status run(const char *dir, uid_t owner, struct cl_error *err)
{
	struct staged s = { 0 };
	struct cl_locations locs = { 0 };
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	enum cl_status st = CL_OK;
	int dirfd = -1;
	cJSON *json;
	char *text;

	if (geteuid() != 0)
		return cl_error_set(err, CL_E_LOCAL, "must run as root (through pkexec)");
	st = open_staging(dir, owner, &dirfd, err);
	if (st == CL_OK)
		st = check_entries(dirfd, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "key.pem", owner, true, false, &s.key_pem, &s.key_len, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "cert.pem", owner, false, false, &s.cert_pem, &s.cert_len, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "chain.pem", owner, false, true, &s.chain_pem, &s.chain_len, err);
	if (dirfd >= 0)
		close(dirfd);
	if (st == CL_OK)
		st = parse_staged(&s, &key, &cert, &chain, err);
	if (st == CL_OK)
		st = cl_store_install(CL_STORE_COMPUTER, key, cert, chain, NULL, &locs, err);
	if (st == CL_OK) {
		json = cl_locations_to_json(&locs);
		text = json ? cJSON_PrintUnformatted(json) : NULL;
		if (!text)
			st = cl_error_set(err, CL_E_UNEXPECTED, "cannot write the locations");
		else
			printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(json);
	}
	cl_locations_clear(&locs);
	sk_X509_pop_free(chain, X509_free);
	X509_free(cert);
	EVP_PKEY_free(key);
	free_staged(&s);
	return st;
}

int main(int argc, char **argv)
{
	struct cl_error err;
	enum cl_status st;
	bool pkexec = getenv("PKEXEC_UID") != NULL;
	uid_t owner = 0;

	cl_error_clear(&err);
	/* Who the caller is comes from PKEXEC_UID, read before the environment is cleared. */
	st = caller_uid(&owner, &err);
	sanitize_environment(st == CL_OK && pkexec);
	if (st == CL_OK && (argc != 2 || argv[1][0] != '/'))
		st = cl_error_set(&err, CL_E_LOCAL, "usage: certlink-install-helper /ABSOLUTE/STAGING-DIR");
	else if (st == CL_OK)
		st = run(argv[1], owner, &err);
	if (st != CL_OK) {
		fprintf(stderr, "certlink-install-helper: %s\n", err.msg);
		return cl_status_exit_code(st);
	}
	return 0;
}
