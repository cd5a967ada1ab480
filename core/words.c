/* certlink core: the words a person reads about stages, stores, keys and failures (see words.h). */
#include "words.h"

#include <libintl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define _(s)  dgettext("certlink", s)
#define N_(s) (s)
/* A word with a context (msgctxt) for translators: "installed" as a state is not "installed" elsewhere. */
#define C_(ctx, s) in_context(ctx "\004" s, s)

static const char *in_context(const char *ctxt_id, const char *msgid)
{
	const char *t = dgettext("certlink", ctxt_id);

	return t == ctxt_id ? msgid : t;
}

const char *cl_words_stage(enum cl_stage stage)
{
	switch (stage) {
	case CL_STAGE_CHECK_LINK:
		return _("Checking the link");
	case CL_STAGE_CONNECT:
		return _("Connecting to the server");
	case CL_STAGE_APPLY:
		return _("Applying");
	case CL_STAGE_WAIT_APPROVAL:
		return _("Waiting for approval");
	case CL_STAGE_ACTIVATE:
		return _("Activating");
	case CL_STAGE_INSTALL:
		return _("Installing");
	case CL_STAGE_DONE:
		return _("Done");
	}
	return "?";
}

const char *cl_words_store(enum cl_store_kind store)
{
	switch (store) {
	case CL_STORE_COMPUTER:
		return _("this computer's certificate store");
	case CL_STORE_USER:
		return _("your personal certificate store");
	default:
		return _("the certificate store");
	}
}

const char *cl_words_store_name(enum cl_store_kind store)
{
	switch (store) {
	case CL_STORE_USER:
		return C_("store", "user");
	case CL_STORE_COMPUTER:
		return C_("store", "computer");
	default:
		return cl_store_kind_name(store);
	}
}

const char *cl_words_cert_state(enum cl_cert_state state)
{
	switch (state) {
	case CL_CERT_INSTALLED:
		return C_("certificate state", "installed");
	case CL_CERT_EXPIRING:
		return C_("certificate state", "expiring");
	case CL_CERT_EXPIRED:
		return C_("certificate state", "expired");
	}
	return cl_cert_state_name(state);
}

const char *cl_words_app_state(enum cl_app_state state)
{
	switch (state) {
	case CL_APP_NEW:
		return C_("application state", "new");
	case CL_APP_PENDING:
		return C_("application state", "pending");
	case CL_APP_APPROVED:
		return C_("application state", "approved");
	case CL_APP_ACTIVATED:
		return C_("application state", "activated");
	case CL_APP_ISSUED:
		return C_("application state", "issued");
	case CL_APP_INSTALLED:
		return C_("application state", "installed");
	case CL_APP_WITHDRAWN:
		return C_("application state", "withdrawn");
	case CL_APP_REJECTED:
		return C_("application state", "rejected");
	case CL_APP_FAILED:
		return C_("application state", "failed");
	}
	return cl_app_state_name(state);
}

const char *cl_words_key(const char *key_type)
{
	if (key_type && strcmp(key_type, "rsa") == 0)
		return "RSA";
	if (key_type && strcmp(key_type, "ec") == 0)
		return _("EC (elliptic curve)");
	return key_type && key_type[0] ? key_type : _("unknown");
}

struct code_advice {
	const char *code;
	const char *title;
	const char *action;
};

/* Server error codes (docs/protocol.md, section 2) a person can act on differently from the generic case. */
static const struct code_advice code_advice[] = {
	{ "invalid_credentials", N_("The user ID or password was not accepted."),
	  N_("Check them and try again. If you forgot your password, ask your administrator.") },
	{ "invalid_token", N_("This invitation link has already been used or has expired."),
	  N_("Ask your administrator for a new invitation link.") },
	{ "invalid_invitation_code", N_("The invitation code was not accepted."),
	  N_("Check the code in your invitation and try again, or ask your administrator for a new one.") },
	{ "apid_not_registered", N_("This computer is not registered for certificates."),
	  N_("Ask your administrator to register this computer, then click the link again.") },
	{ "rejected", N_("The administrator rejected your application."),
	  N_("Contact your administrator if you think this is a mistake.") },
	{ "withdrawn", N_("This application was withdrawn."),
	  N_("Open Certificate Manager to apply again, or ask your administrator for a new invitation.") },
	{ "renewal_declined", N_("The certificate was not renewed."),
	  N_("Nothing was sent and nothing was changed: your certificate stays as it is.") },
	{ "renewal_mismatch", N_("This renewal does not come from the server that issued the certificate."),
	  N_("Nothing was sent and your certificate was not changed. Do not use this link; to renew, use "
	     "Certificate Manager or ask your administrator.") },
	{ "certificate_clash",
	  N_("Another certificate with the same serial number from the same issuer is already installed."),
	  N_("Nothing was changed. Tell your administrator: a certificate authority must not issue one "
	     "serial "
	     "number twice.") },
	{ "install_failed", N_("The certificate was issued but could not be installed."),
	  N_("Fix what the details below say (for example, free some disk space), then click the link again "
	     "or activate the application in Certificate Manager: the issued certificate is fetched again "
	     "and installed.") },
	{ "cancelled_pending", N_("Your application is waiting for approval."),
	  N_("You stopped waiting, but the application stays at the server and on this computer. Once the "
	     "administrator approves it, activate it in Certificate Manager's list or click the link "
	     "again.") },
	{ "ambiguous", N_("More than one certificate matches."),
	  N_("Nothing was changed. Name the certificate by the start of its fingerprint, as the details "
	     "below list them.") },
};

struct cl_advice cl_words_advice(const struct cl_error *err)
{
	struct cl_advice a;

	for (size_t i = 0; i < sizeof(code_advice) / sizeof(code_advice[0]); i++) {
		if (err->code[0] && strcmp(err->code, code_advice[i].code) == 0) {
			a.title = _(code_advice[i].title);
			a.action = _(code_advice[i].action);
			return a;
		}
	}
	switch (err->status) {
	case CL_OK:
		a.title = _("The certificate was installed.");
		a.action = "";
		break;
	case CL_E_LOCAL:
		a.title = _("The enrollment could not be done on this computer.");
		a.action = _("Read the details below. If they do not help, send them to your administrator.");
		break;
	case CL_E_NOT_DUE:
		a.title = _("Your certificate does not need renewing yet.");
		a.action = _("Nothing was changed. You will be reminded when it is time to renew.");
		break;
	case CL_E_CANCELLED:
		a.title = _("The enrollment was cancelled.");
		a.action = _("No certificate was installed. Click the link again to start over.");
		break;
	case CL_E_UNREACHABLE:
		a.title =
		    _("The enrollment server could not be reached, or its identity could not be confirmed.");
		a.action = _("Check your network connection and try again. If it keeps failing, tell your "
		             "administrator what the details below say.");
		break;
	case CL_E_REFUSED:
		a.title = _("The enrollment server refused the request.");
		a.action =
		    _("Read the server's message below. If it does not tell you what to do, contact your "
		      "administrator.");
		break;
	case CL_E_RETRY_LATER:
		a.title = _("The enrollment server is busy.");
		a.action =
		    _("Try again in a few minutes. Your application, if one was made, stays on record.");
		break;
	default:
		a.title = _("certlink ran into an internal problem.");
		a.action = _("Please send the details below to your administrator.");
		break;
	}
	return a;
}

struct cl_advice cl_words_refused_link(void)
{
	struct cl_advice a = {
		_("This is not a valid certlink invitation link."),
		_("Nothing was done. Do not use this link; ask your administrator for a new invitation."),
	};
	return a;
}

char *cl_words_network(const struct cl_network_report *r)
{
	size_t size = 8192, used = 0;
	char *out = malloc(size);

	if (!out)
		return NULL;
	out[0] = '\0';
	for (int i = 0; i < r->planned && i < CL_NETWORK_CONNECTIONS_MAX && used < size; i++)
		if (r->conns[i].uuid[0] || (r->applied == r->planned && !r->skipped))
			used += (size_t)snprintf(
			    out + used, size - used,
			    r->conns[i].updated ? _("Network connection (now using this certificate): %s\n")
			                        : _("Network connection: %s\n"),
			    r->conns[i].name);
	if (r->planned > 0 && r->skipped && used < size)
		used += (size_t)snprintf(out + used, size - used, "%s\n",
		                         _("The profile's network connections were not set up, as asked."));
	else if (r->planned > 0 && r->applied < r->planned && used < size)
		used += (size_t)snprintf(out + used, size - used, _("Network connections not set up: %s\n"),
		                         r->note[0] ? r->note : "?");
	for (int w = 0; w < 2 && used < size; w++)
		if (r->wpa_file[w][0])
			used +=
			    (size_t)snprintf(out + used, size - used,
			                     _("Network settings for wpa_supplicant: %s\n"), r->wpa_file[w]);
	return out;
}

void cl_words_existing(const struct cl_enroll_result *r, char *out, size_t size)
{
	char until[32] = "?";
	struct tm tm;

	out[0] = '\0';
	if (r->existing <= 0)
		return;
	if (r->existing_not_after && localtime_r(&r->existing_not_after, &tm))
		strftime(until, sizeof(until), "%Y-%m-%d", &tm);
	if (r->existing == 1)
		snprintf(out, size,
		         _("Your earlier certificate (serial %s, valid until %s) is still installed as well. "
		           "Delete it in Certificate Manager when you no longer need it."),
		         r->existing_serial, until);
	else
		snprintf(
		    out, size,
		    dngettext(
		        "certlink",
		        "%d earlier certificate from this server is still installed as well (the latest: "
		        "serial %s, valid until %s). Delete it in Certificate Manager when you no longer "
		        "need it.",
		        "%d earlier certificates from this server are still installed as well (the "
		        "latest: serial %s, valid until %s). Delete them in Certificate Manager when you "
		        "no longer need them.",
		        (unsigned long)r->existing),
		    r->existing, r->existing_serial, until);
}

const char *cl_words_firefox_restart(void)
{
	return _("Firefox is open: it trusts the new certificate authority once you restart it. Your "
	         "certificate works in it already.");
}
