/* certlink-handler --check LINK (see linkcheck.h). */
#include "linkcheck.h"

#include <stdio.h>

#include "i18n.h"
#include "words.h"

int handler_linkcheck_run(const struct cl_link *link)
{
	printf(_("Link: valid certlink %s link\n"), link->action == CL_LINK_RENEW ? "renew" : "enroll");
	printf(_("  Server: %s, port %u%s\n"), link->host, link->port,
	       link->host_is_ip ? _(" (IP address)") : "");
	if (link->name[0])
		printf(_("  Service name: %s\n"), link->name);
	if (link->store == CL_STORE_ASK)
		printf(_("  Store: not named, the person is asked\n"));
	else
		printf(_("  Store: %s\n"), link->store == CL_STORE_COMPUTER ? "computer" : "user");
	printf(link->pwless ? _("  Sign-in: passwordless (one-time token)\n")
	                    : _("  Sign-in: the person is asked for a password\n"));
	if (link->user[0])
		printf(_("  User ID: %s\n"), link->user);
	else
		printf(_("  User ID: not named, the person is asked\n"));
	if (link->code[0])
		printf(_("  Invitation code: in the link\n"));
	if (link->has_ca_fp) {
		char fp[CL_FP_TEXT_SIZE];

		cl_fp_format(link->ca_fp, fp);
		printf(_("  Server pinned to the CA with SHA-256 %s\n"), fp);
	} else {
		printf(
		    _("  Server not pinned: system trust or certlink's trust, else the person is asked\n"));
	}
	for (size_t i = 0; i < link->n_unknown; i++)
		printf(_("  Ignored unknown parameter: %s\n"), link->unknown[i]);
	return 0;
}
