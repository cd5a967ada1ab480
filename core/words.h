/* certlink core: the words a person reads about stages, stores, keys and failures.
 *
 * Shared by every front end (the handler's terminal, the handler's window and the manager), so that all say
 * the same thing; here because the terminal builds without GLib. Everything returned is translated with
 * gettext (domain "certlink") and statically allocated.
 */
#ifndef CL_WORDS_H
#define CL_WORDS_H

#include "enroll.h"
#include "error.h"
#include "records.h"

/* "Checking the link", "Connecting to the server", ... */
const char *cl_words_stage(enum cl_stage stage);

/* What went wrong and what to do about it, for a failed run. `err->code` refines the status (for example
 * "invalid_token" becomes "this invitation was already used"). */
struct cl_advice {
	const char *title;  /* one line: what went wrong */
	const char *action; /* one or two sentences: what the person can do */
};
struct cl_advice cl_words_advice(const struct cl_error *err);

/* Advice for a link refused before any network contact. */
struct cl_advice cl_words_refused_link(void);

/* "your personal certificate store" / "this computer's certificate store" */
const char *cl_words_store(enum cl_store_kind store);

/* A store's short name for a column or a field: "user", "computer" (ユーザー, コンピューター). */
const char *cl_words_store_name(enum cl_store_kind store);

/* The states `certlink list` and `certlink show` print, in the person's language: "installed", "expiring",
 * "expired"; "pending", "approved", ... (English keeps the records' own lowercase names). */
const char *cl_words_cert_state(enum cl_cert_state state);
const char *cl_words_app_state(enum cl_app_state state);

/* A recorded key type ("rsa", "ec") as a person reads it: "RSA", "EC (elliptic curve)". */
const char *cl_words_key(const char *key_type);

/* What became of the profile's networks (core/network.h), one line each: the connections set up (by
 * name), or why none were and where the wpa_supplicant settings went. "" when the profile has none. The
 * caller frees with free(). */
char *cl_words_network(const struct cl_network_report *r);

/* For a run that enrolled beside valid certificates of the same server (result->existing > 0): a sentence
 * saying the earlier one(s) stay installed and how to remove them, into OUT (SIZE bytes); "" otherwise. */
void cl_words_existing(const struct cl_enroll_result *r, char *out, size_t size);

/* For a run that made a running Firefox's profile trust a CA (result->firefox_restart > 0): that Firefox
 * trusts it once restarted. */
const char *cl_words_firefox_restart(void);

#endif
