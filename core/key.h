/* certlink core: private keys — what the server may ask for, generation, description, checks, PKCS#8 files.
 *
 * The server names the key in its activation reply (docs/protocol.md section 4: "key": {"type": "rsa",
 * "bits": 2048} or {"type": "ec", "curve": "P-256"}). cl_key_spec_parse() turns that into a struct
 * cl_key_spec; cl_key_generate() makes a key of that kind; cl_key_check() tells whether an existing key (a
 * renewal that keeps its key) is still what the server asks for. Key files are unencrypted PKCS#8 PEM,
 * created 0600 from the start and never replaced in place.
 */
#ifndef CL_KEY_H
#define CL_KEY_H

#include <openssl/evp.h>

#include "error.h"

enum cl_key_type {
	CL_KEY_RSA = 1,
	CL_KEY_EC,
};

struct cl_key_spec {
	enum cl_key_type type;
	int bits; /* RSA: modulus bits (2048, 3072, 4096); EC: curve size (256 = P-256, 384 = P-384) */
};

#define CL_KEY_DESC_SIZE 32 /* "RSA 4096", "EC P-384", plus room */
#define CL_KEY_FILE_MAX  (64 * 1024)

/* Parses the server's key member: type "rsa" with bits 2048/3072/4096, or "ec" with curve "P-256"/"P-384"
 * (bits ignored, curve may be NULL for rsa). CL_E_REFUSED for a kind certlink does not make. */
enum cl_status cl_key_spec_parse(const char *type, long bits, const char *curve, struct cl_key_spec *out,
                                 struct cl_error *err);

/* "RSA 2048", "EC P-256" ("RSA 1024" too: an old key is described as it is); "unsupported key" for anything
 * else. Always NUL-terminated. */
void cl_key_spec_describe(const struct cl_key_spec *spec, char out[CL_KEY_DESC_SIZE]);

/* What kind of key this is (RSA of any size). CL_E_LOCAL for another key type or curve. */
enum cl_status cl_key_get_spec(const EVP_PKEY *key, struct cl_key_spec *out, struct cl_error *err);

/* Describes a key the way cl_key_spec_describe() does ("unsupported key" when cl_key_get_spec() fails). */
void cl_key_describe(const EVP_PKEY *key, char out[CL_KEY_DESC_SIZE]);

/* A new key of the requested kind. Caller frees with EVP_PKEY_free(). */
enum cl_status cl_key_generate(const struct cl_key_spec *spec, EVP_PKEY **out, struct cl_error *err);

/* CL_OK when key is of the kind spec names; otherwise CL_E_REFUSED with a message naming both, e.g.
 * "the existing key is RSA 2048 but the server now asks for RSA 3072". */
enum cl_status cl_key_check(const EVP_PKEY *key, const struct cl_key_spec *spec, struct cl_error *err);

/* Writes key as unencrypted PKCS#8 PEM to a new file path, mode 0600 from creation (core/fileio.c). Never
 * replaces an existing file or follows a symlink (CL_E_LOCAL); a failed write leaves no file. */
enum cl_status cl_key_save(const EVP_PKEY *key, const char *path, struct cl_error *err);

/* Reads an unencrypted PEM private key (PKCS#8 or traditional) from path, at most CL_KEY_FILE_MAX bytes,
 * never prompting for a password. Caller frees with EVP_PKEY_free(). */
enum cl_status cl_key_load(const char *path, EVP_PKEY **out, struct cl_error *err);

#endif
