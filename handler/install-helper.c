/* certlink-install-helper: installs what the enrollment flow staged into the computer store, as root.
 *
 * When a person who is not root chooses the computer store, the flow (core/enroll-stage.c) writes what it
 * would install into a fresh 0700 directory and calls the front end's `elevate` hook, which runs
 *
 *     pkexec LIBEXECDIR/certlink/certlink-install-helper --install STAGING-DIR
 *
 * (polkit action org.certlink.install; every action of the helper is picked by its first argument, see the
 * .policy file). The directory holds key.pem (0600), cert.pem, meta.json and, possibly
 * empty, chain.pem and trust.pem, all written by the caller. The helper runs as root on input from an
 * unprivileged process, so it treats all of it as hostile: the path is opened once without following a
 * symbolic link and every file is read through that descriptor; the directory and every file must be the
 * caller's own (PKEXEC_UID), the directory 0700 and the key 0600, each file a single-link regular file of at
 * most CL_STAGED_FILE_MAX octets, and nothing else may be in the directory. It takes no destination: it
 * hands the contents to cl_enroll_install_staged(), which checks them again (PEM, key against certificate,
 * chain) and installs and records the certificate into the computer store, whose place is the core's;
 * under pkexec the environment that could redirect it is cleared. It never makes a CA a trust anchor.
 * Exit codes: 0 installed, 100 refused input, otherwise the core's.
 *
 * A trust anchor of the computer is a step of its own, with a polkit action of its own
 * (org.certlink.trust-anchor: an administrator every time, no kept authorisation), picked by pkexec
 * through the first argument:
 *
 *     pkexec LIBEXECDIR/certlink/certlink-install-helper --trust-anchor SHA256 SUBJECT STAGING-DIR
 *
 * SHA256 and SUBJECT are on the command line so that the authentication message ($(command_line) in the
 * policy) names the CA; the helper installs exactly that CA or nothing: it must be in the staged trust.pem
 * with that fingerprint and subject, meta.json must record that the person (or an administrator's option)
 * agreed to it, it must issue the staged certificate's chain, and the certificate must already be installed
 * (cl_enroll_trust_staged()). The same directory checks apply.
 *
 * The profile's 802.1X networks become system connections in a step of its own, with a polkit action of its
 * own (org.certlink.network), after the certificate is installed:
 *
 *     pkexec LIBEXECDIR/certlink/certlink-install-helper --network STAGING-DIR
 *
 * The same directory, now with network.json (the profile's CAs and networks as the activation delivered
 * them, and the certificate a renewal replaces); cl_enroll_network_staged() holds it to the activation's
 * rules again (a server-name check, the RADIUS CA among the staged profile's CAs), requires the staged
 * certificate to be installed, and makes the connections through certlink-netconf as root (docs/network.md).
 * Exit 3 when NetworkManager was not there or refused: the settings were written for wpa_supplicant beside
 * the certificate instead.
 *
 * A renewal installs the same way; meta.json names the certificate it replaces, which the install removes
 * once the new one is recorded (or --network does, once it has moved that certificate's connections), and
 * only when it is a computer-store certificate of the same server and user whose own issuing CA signed the
 * new one (core/enroll-replace.c). A renewal that keeps its key stages no key.pem: the computer store's own
 * is used. Its request is signed, before it is sent, by a step with a polkit action of its own
 * (org.certlink.sign-request: an administrator every time):
 *
 *     pkexec LIBEXECDIR/certlink/certlink-install-helper --sign-request SHA256 SUBJECT DIR
 *
 * DIR holds request.json alone (0600: the request's names and challenge); cl_enroll_sign_staged() builds the
 * request, signs it with the key of the computer-store certificate SHA256 if its subject is SUBJECT, and the
 * signed request goes to standard output (a pipe to the caller). Nothing is written, nothing else is signed.
 *
 * certlink-manager runs it the same way to delete from the computer store:
 *
 *     pkexec LIBEXECDIR/certlink/certlink-install-helper --delete SERIAL-OR-APPLICATION-ID
 *
 * (polkit action org.certlink.delete), which removes that certificate from every place it was installed,
 * or forgets that application, with
 * cl_enroll_delete() on the computer store. The argument is only ever looked up in the computer store's
 * records; it is checked to be an id certlink writes (hex with optional ':', at most 64 characters).
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

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "enroll.h"
#include "error.h"

#define FILE_MAX                 CL_STAGED_FILE_MAX
#define EXIT_NETWORK_NOT_APPLIED 3

/* The staged files, as read; key is a secret. */
struct staged_files {
	char *meta, *key, *cert, *chain, *trust, *network;
	size_t meta_len, key_len, cert_len, chain_len, trust_len, network_len;
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

/* Read one staged file through the directory descriptor. Optional files may be absent or empty (a
 * certificate without chain, no trust anchors). */
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
	if ((!optional && st.st_size <= 0) || st.st_size > FILE_MAX) {
		close(fd);
		return cl_error_set(err, CL_E_LOCAL, "%s must hold %s to %d octets", name,
		                    optional ? "0" : "1", FILE_MAX);
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

/* The names an install's directory may hold; a --sign-request directory holds request.json alone. */
static bool install_entry(const char *name)
{
	return !strcmp(name, "key.pem") || !strcmp(name, "cert.pem") || !strcmp(name, "chain.pem") ||
	       !strcmp(name, "trust.pem") || !strcmp(name, "meta.json") || !strcmp(name, "network.json");
}

/* Exactly the expected names: anything else in the directory is a sign it is not what the core made. */
static enum cl_status check_entries(int dirfd, bool request, struct cl_error *err)
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
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (request ? !strcmp(e->d_name, "request.json") : install_entry(e->d_name)))
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

static void free_staged(struct staged_files *f)
{
	if (f->key)
		OPENSSL_clear_free(f->key, f->key_len + 1);
	free(f->meta);
	free(f->cert);
	free(f->chain);
	free(f->trust);
	free(f->network);
	memset(f, 0, sizeof(*f));
}

static enum cl_status read_all(int dirfd, uid_t owner, struct staged_files *f, struct cl_error *err)
{
	enum cl_status st = check_entries(dirfd, false, err);

	/* optional: a renewal that keeps its key stages none (meta.json "reuse_key"; the core checks) */
	if (st == CL_OK)
		st = read_staged(dirfd, "key.pem", owner, true, true, &f->key, &f->key_len, err);
	if (st == CL_OK && f->key && f->key_len == 0)
		st = cl_error_set(err, CL_E_LOCAL, "key.pem is empty");
	if (st == CL_OK)
		st = read_staged(dirfd, "cert.pem", owner, false, false, &f->cert, &f->cert_len, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "meta.json", owner, false, false, &f->meta, &f->meta_len, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "chain.pem", owner, false, true, &f->chain, &f->chain_len, err);
	if (st == CL_OK)
		st = read_staged(dirfd, "trust.pem", owner, false, true, &f->trust, &f->trust_len, err);
	if (st == CL_OK)
		st =
		    read_staged(dirfd, "network.json", owner, false, true, &f->network, &f->network_len, err);
	return st;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;
}

/* Two refusals before the core sees the files: an encrypted key (OpenSSL's default passphrase callback
 * would prompt on the caller's terminal from a root process), and a CA certificate where an end-entity
 * certificate belongs (it would land among the computer's client certificates). */
static enum cl_status precheck(const struct staged_files *f, struct cl_error *err)
{
	BIO *bio;
	X509 *cert;
	int is_ca;

	if (f->key && memmem(f->key, f->key_len, "ENCRYPTED", 9))
		return cl_error_set(err, CL_E_LOCAL,
		                    "key.pem is encrypted; the flow stages an unencrypted key");
	bio = BIO_new_mem_buf(f->cert, (int)f->cert_len);
	cert = bio ? PEM_read_bio_X509(bio, NULL, no_passphrase, NULL) : NULL;
	BIO_free(bio);
	if (!cert)
		return cl_error_set_openssl(err, CL_E_LOCAL, "cert.pem is not a certificate");
	is_ca = X509_check_ca(cert);
	X509_free(cert);
	ERR_clear_error();
	if (is_ca != 0)
		return cl_error_set(err, CL_E_LOCAL, "cert.pem is a CA certificate, not an end-entity one");
	return CL_OK;
}

/* The anchor sub-command's fingerprint and subject, or NULL for the install. */
struct anchor_args {
	const char *sha256, *subject;
};

/* What --network made, for the person's terminal or the front end's log. */
static void report_networks(const struct cl_network_report *r)
{
	for (int i = 0; i < r->planned; i++)
		if (r->conns[i].uuid[0])
			printf("%s the NetworkManager connection \"%s\" (%s)\n",
			       r->conns[i].updated ? "updated" : "made", r->conns[i].name, r->conns[i].uuid);
	if (r->note[0])
		fprintf(stderr, "certlink-install-helper: the network connections were not set up: %s\n",
		        r->note);
	for (int w = 0; w < 2; w++)
		if (r->wpa_file[w][0])
			fprintf(stderr, "certlink-install-helper: wrote %s for wpa_supplicant instead\n",
			        r->wpa_file[w]);
}

static enum cl_status run(const char *dir, uid_t owner, const struct anchor_args *anchor, bool network,
                          struct cl_error *err)
{
	struct staged_files f = { 0 };
	struct cl_staged staged;
	struct cl_enroll_result result;
	enum cl_status st;
	int dirfd = -1;

	if (geteuid() != 0)
		return cl_error_set(err, CL_E_LOCAL, "must run as root (through pkexec)");
	st = open_staging(dir, owner, &dirfd, err);
	if (st == CL_OK) {
		st = read_all(dirfd, owner, &f, err);
		close(dirfd);
	}
	if (st == CL_OK)
		st = precheck(&f, err);
	if (st == CL_OK) {
		memset(&staged, 0, sizeof(staged));
		staged.meta_json = f.meta;
		staged.meta_len = f.meta_len;
		staged.key_pem = f.key;
		staged.key_len = f.key_len;
		staged.cert_pem = f.cert;
		staged.cert_len = f.cert_len;
		staged.chain_pem = f.chain;
		staged.chain_len = f.chain_len;
		staged.trust_pem = f.trust;
		staged.trust_len = f.trust_len;
		staged.network_json = f.network;
		staged.network_len = f.network_len;
		if (network)
			st = cl_enroll_network_staged(&staged, &result, err);
		else if (anchor)
			st = cl_enroll_trust_staged(&staged, anchor->sha256, anchor->subject, &result, err);
		else
			st = cl_enroll_install_staged(&staged, &result, err);
	}
	if (st == CL_OK && result.replaced[0])
		printf("removed the replaced certificate %s from the computer store\n", result.replaced);
	if (st == CL_OK && result.replaced_note[0])
		fprintf(stderr, "certlink-install-helper: the replaced certificate stays: %s\n",
		        result.replaced_note);
	if (st == CL_OK && network) {
		report_networks(&result.network);
		if (result.network.applied < result.network.planned)
			st = CL_E_NOT_DUE; /* mapped to EXIT_NETWORK_NOT_APPLIED by main() */
	} else if (st == CL_OK && anchor)
		printf("trusted the certificate authority %s (%s) on this computer, for certificate %s\n",
		       anchor->sha256, result.issuer, result.serial);
	else if (st == CL_OK)
		printf("installed %s into the computer store: %s\n", result.serial, result.cert_path);
	free_staged(&f);
	return st;
}

/* --sign-request: the request built from DIR's request.json and signed with the key of the computer
 * store's certificate SHA256, whose subject must be SUBJECT; the signed request (PEM) on standard output,
 * for the caller's pipe. Nothing is written anywhere. */
static enum cl_status sign_request(const char *dir, uid_t owner, const char *sha256, const char *subject,
                                   struct cl_error *err)
{
	char *json = NULL, *pem = NULL;
	size_t json_len = 0, pem_len = 0;
	enum cl_status st;
	int dirfd = -1;

	if (geteuid() != 0)
		return cl_error_set(err, CL_E_LOCAL, "must run as root (through pkexec)");
	st = open_staging(dir, owner, &dirfd, err);
	if (st == CL_OK) {
		st = check_entries(dirfd, true, err);
		/* it holds the challenge: the caller's own 0600 file, like a key */
		if (st == CL_OK)
			st = read_staged(dirfd, "request.json", owner, true, false, &json, &json_len, err);
		close(dirfd);
	}
	if (st == CL_OK && json_len > CL_SIGN_REQUEST_MAX)
		st = cl_error_set(err, CL_E_LOCAL, "request.json must hold at most %d octets",
		                  CL_SIGN_REQUEST_MAX);
	if (st == CL_OK)
		st = cl_enroll_sign_staged(json, json_len, sha256, subject, &pem, &pem_len, err);
	if (st == CL_OK && (fwrite(pem, 1, pem_len, stdout) != pem_len || fflush(stdout) != 0))
		st = cl_error_set(err, CL_E_LOCAL, "writing the signed request: %s", strerror(errno));
	if (json)
		OPENSSL_clear_free(json, json_len + 1);
	if (pem)
		OPENSSL_clear_free(pem, pem_len + 1);
	return st;
}

/* An id of the computer store's records: a serial in any usual spelling or a local application id. */
static bool record_id(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdefABCDEF:", s[i]))
			return false;
	return true;
}

static enum cl_status delete_record(const char *id, struct cl_error *err)
{
	if (geteuid() != 0)
		return cl_error_set(err, CL_E_LOCAL, "must run as root (through pkexec)");
	if (!record_id(id))
		return cl_error_set(err, CL_E_LOCAL, "not a certificate serial or application id");
	if (cl_enroll_delete(id, CL_STORE_COMPUTER, err) != CL_OK)
		return err->status;
	printf("deleted %s from the computer store\n", id);
	return CL_OK;
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
	if (st == CL_OK && argc == 3 && strcmp(argv[1], "--delete") == 0) {
		st = delete_record(argv[2], &err);
	} else if (st == CL_OK && argc == 5 && strcmp(argv[1], "--sign-request") == 0 && argv[4][0] == '/') {
		st = sign_request(argv[4], owner, argv[2], argv[3], &err);
	} else if (st == CL_OK && argc == 5 && strcmp(argv[1], "--trust-anchor") == 0 && argv[4][0] == '/') {
		struct anchor_args anchor = { argv[2], argv[3] };

		st = run(argv[4], owner, &anchor, false, &err);
	} else if (st == CL_OK && argc == 3 && strcmp(argv[1], "--install") == 0 && argv[2][0] == '/') {
		st = run(argv[2], owner, NULL, false, &err);
	} else if (st == CL_OK && argc == 3 && strcmp(argv[1], "--network") == 0 && argv[2][0] == '/') {
		st = run(argv[2], owner, NULL, true, &err);
		if (st == CL_E_NOT_DUE)
			return EXIT_NETWORK_NOT_APPLIED;
	} else if (st == CL_OK) {
		st = cl_error_set(
		    &err, CL_E_LOCAL,
		    "usage: certlink-install-helper --install /ABSOLUTE/STAGING-DIR | --trust-anchor "
		    "SHA256 SUBJECT /ABSOLUTE/STAGING-DIR | --network /ABSOLUTE/STAGING-DIR | --sign-request "
		    "SHA256 SUBJECT /ABSOLUTE/STAGING-DIR | --delete ID");
	}
	if (st != CL_OK) {
		fprintf(stderr, "certlink-install-helper: %s\n", err.msg);
		return cl_status_exit_code(st);
	}
	return 0;
}
