/* libFuzzer target for core/link.c: any bytes as a link.
 *
 * A refusal must be CL_E_LOCAL with a message and leave the struct cleared. An accepted link must hold the
 * parsed-form invariants, and format to a canonical link that parses back to the same fields and formats to
 * itself; the one allowed formatting failure is a canonical link longer than the limit (sub-delimiters are
 * written percent-encoded). Every broken property abort()s so libFuzzer keeps the input.
 */
#include "link.h"
#include "text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TERMINATED(f) (memchr((f), '\0', sizeof(f)) != NULL)

static void check_fields(const struct cl_link *link)
{
	if (!TERMINATED(link->host) || !TERMINATED(link->user) || !TERMINATED(link->code) ||
	    !TERMINATED(link->token) || !TERMINATED(link->name) || !TERMINATED(link->serial))
		abort();
	if (link->host[0] == '\0' || link->port < 1 || link->port > 65535)
		abort();
	for (const char *p = link->host; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			abort();
	}
	if (link->pwless != (link->token[0] != '\0'))
		abort();
	/* a name or user ID the window shows reads as it was sent: no format, bidi or control character */
	if (cl_text_needs_escape(link->name, 0) || cl_text_needs_escape(link->user, 0))
		abort();
	if ((link->action == CL_LINK_RENEW) != (link->serial[0] != '\0'))
		abort();
	if (link->n_unknown > CL_LINK_PARAMS_MAX)
		abort();
	for (size_t i = 0; i < link->n_unknown; i++) {
		if (!TERMINATED(link->unknown[i]) || link->unknown[i][0] == '\0')
			abort();
	}
}

static void check_refused(const struct cl_link *link, enum cl_status st, const struct cl_error *err)
{
	static const struct cl_link empty_token;

	if (st != CL_E_LOCAL || err->status != CL_E_LOCAL || err->msg[0] == '\0')
		abort();
	if (link->host[0] != '\0' || memcmp(link->token, empty_token.token, sizeof(link->token)) != 0)
		abort();
}

static void check_round_trip(const struct cl_link *link)
{
	struct cl_link again;
	struct cl_error err;
	char out[CL_LINK_MAX + 1], out2[CL_LINK_MAX + 1];

	if (cl_link_format(link, out, sizeof(out), &err) != CL_OK) {
		if (!strstr(err.msg, "it would be longer than 2048 octets"))
			abort();
		return;
	}
	if (cl_link_parse(out, &again, &err) != CL_OK)
		abort();
	if (!cl_link_equal(link, &again) || again.n_unknown != 0)
		abort();
	if (cl_link_format(&again, out2, sizeof(out2), &err) != CL_OK || strcmp(out, out2) != 0)
		abort();
	cl_link_clear(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so AddressSanitizer sees a read past the terminating NUL. */
	char *text = malloc(size + 1);
	struct cl_link link;
	struct cl_error err;
	enum cl_status st;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	cl_error_clear(&err);
	st = cl_link_parse(text, &link, &err);
	if (st != CL_OK) {
		check_refused(&link, st, &err);
	} else {
		check_fields(&link);
		check_round_trip(&link);
	}
	cl_link_clear(&link);
	free(text);
	return 0;
}
