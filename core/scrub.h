/* certlink core: taking secrets out of text and JSON before they leave the machine (the diagnostics
 * archive). Pure: bytes in, a scrubbed copy out.
 *
 * Defence in depth: diagnostics never collects a secret file on purpose, and these functions remove what
 * might still slip into a log line, a records file edited by hand, or a result message: known secret
 * values (read by the caller from the secret files), PEM private key blocks, the value after a secret-ish
 * name ("password", "passphrase", "secret", "challenge", "token", "private") followed by '=' or ':', and the
 * user:password part of URLs. Over-removal is accepted; leaks are not.
 */
#ifndef CL_SCRUB_H
#define CL_SCRUB_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#define CL_SCRUB_MARK "[removed]"

/* Known secrets shorter than this are not searched for (they would match ordinary words). */
#define CL_SCRUB_MIN_SECRET 4

/* Does NAME (a JSON member or variable name) contain a secret-ish word, case-insensitively? */
bool cl_scrub_is_secret_name(const char *name);

/* A scrubbed copy of LEN bytes of TEXT (NUL bytes become '?'), with every occurrence of SECRETS[i] (each
 * at least CL_SCRUB_MIN_SECRET bytes; shorter ones are skipped) replaced too. Caller frees; NULL when out
 * of memory. */
char *cl_scrub_text(const char *text, size_t len, const char *const *secrets, size_t n_secrets);

/* Replace, recursively, the value of every member whose name is secret-ish by CL_SCRUB_MARK. */
void cl_scrub_json(cJSON *item);

#endif
