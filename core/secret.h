/* certlink core: per-application secrets, kept out of the records file.
 *
 * The application secret the server returns at apply (the bearer token for later calls), the SCEP
 * challenge and the key of an activated application live in STORE/pending/<app>.<name>: 0600 files in a
 * 0700 directory, replaced atomically, overwritten before removal. Nothing here is ever logged.
 */
#ifndef CL_SECRET_H
#define CL_SECRET_H

#include "error.h"
#include "paths.h"

#include <stdbool.h>
#include <stddef.h>

/* Names used by the enrollment core (any [a-z0-9-]{1,32} is accepted). */
#define CL_SECRET_APP_SECRET "secret"    /* bearer secret from the apply reply */
#define CL_SECRET_CHALLENGE  "challenge" /* one-time SCEP challenge from activation */
#define CL_SECRET_KEY        "key"       /* PKCS#8 PEM private key of an activated application */

/* The largest secret accepted (a PEM RSA-8192 key fits). */
#define CL_SECRET_MAX (64 * 1024)

/* Store LEN bytes as secret NAME of application APP_ID (its local id: [A-Za-z0-9_-]{1,64}), replacing any
 * previous value atomically. Creates the pending directory (0700) when needed. */
enum cl_status cl_secret_put(enum cl_store_kind kind, const char *app_id, const char *name, const void *data,
                             size_t len, struct cl_error *err);

/* Read a secret into a new NUL-terminated buffer; free it with cl_secret_free(). A missing secret is
 * CL_E_LOCAL with code "missing". */
enum cl_status cl_secret_get(enum cl_store_kind kind, const char *app_id, const char *name, char **out,
                             size_t *len, struct cl_error *err);

/* Is the secret there? */
bool cl_secret_exists(enum cl_store_kind kind, const char *app_id, const char *name);

/* Overwrite and remove one secret; a missing one is CL_OK. */
enum cl_status cl_secret_delete(enum cl_store_kind kind, const char *app_id, const char *name,
                                struct cl_error *err);

/* Overwrite and remove every secret of APP_ID (when it is installed, withdrawn or deleted). */
enum cl_status cl_secret_delete_all(enum cl_store_kind kind, const char *app_id, struct cl_error *err);

/* Wipe and free a buffer from cl_secret_get(). Accepts NULL. */
void cl_secret_free(char *buf, size_t len);

#endif
