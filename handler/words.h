/* certlink front ends: the words a person reads about stages and failures.
 *
 * Shared by the terminal handler and the GTK window (which must not depend on each other), so that both say
 * the same thing. Everything returned is translated with gettext and statically allocated.
 */
#ifndef HANDLER_WORDS_H
#define HANDLER_WORDS_H

#include "enroll.h"
#include "error.h"

/* "Checking the link", "Connecting to the server", ... */
const char *handler_stage_label(enum cl_stage stage);

/* What went wrong and what to do about it, for a failed run. `err->code` refines the status (for example
 * "invalid_token" becomes "this invitation was already used"). */
struct handler_advice {
	const char *title;  /* one line: what went wrong */
	const char *action; /* one or two sentences: what the person can do */
};
struct handler_advice handler_advice_for(const struct cl_error *err);

/* Advice for a link refused before any network contact. */
struct handler_advice handler_advice_refused_link(void);

/* "your personal certificate store" / "this computer's certificate store" */
const char *handler_store_label(enum cl_store_kind store);

/* A recorded key type ("rsa", "ec") as a person reads it: "RSA", "EC (elliptic curve)". */
const char *handler_key_label(const char *key_type);

/* What became of the profile's networks (core/network.h), one line each: the connections set up (by
 * name), or why none were and where the wpa_supplicant settings went. "" when the profile has none. The
 * caller frees with free(). */
char *handler_network_words(const struct cl_network_report *r);

/* For a run that enrolled beside valid certificates of the same server (result->existing > 0): a sentence
 * saying the earlier one(s) stay installed and how to remove them, into OUT (SIZE bytes); "" otherwise. */
void handler_existing_text(const struct cl_enroll_result *r, char *out, size_t size);

#endif
