/* certlink-server: the routing table (see routes.h). */
#include "routes.h"

#include <string.h>

#include "admin.h"
#include "api.h"
#include "scepd.h"

#define FORM_BODY_MAX (64 * 1024)

static int is_scep(const char *p)
{
	return !strcmp(p, "/scep") || !strcmp(p, "/cgi-bin/pkiclient.exe");
}

static size_t body_cap(const char *url)
{
	if (is_scep(url))
		return SRV_SCEP_BODY_MAX;
	if (!strncmp(url, "/admin", 6))
		return FORM_BODY_MAX;
	return SRV_JSON_BODY_MAX;
}

static void route(struct srv_request *req, struct srv_response *resp)
{
	const char *p = req->path;

	if (is_scep(p))
		srv_scepd_handle(req, resp);
	else if (req->plain && !strcmp(p, "/ca.crl")) /* the CRL distribution point (docs/server.md) */
		srv_api_handle(req, resp);
	else if (req->plain)
		srv_resp_error(resp, 404, "not_found",
		               "This listener serves SCEP and the CRL only; use HTTPS.", 0);
	else if (!strncmp(p, "/api/v1/admin/", 14) || !strcmp(p, "/api/v1/admin"))
		srv_admin_api_handle(req, resp);
	else if (!strncmp(p, "/api/v1/", 8))
		srv_api_handle(req, resp);
	else if (!strcmp(p, "/admin") || !strncmp(p, "/admin/", 7))
		srv_admin_page_handle(req, resp);
	else if (!strcmp(p, "/ca.crl") || !strcmp(p, "/ca.pem"))
		srv_api_handle(req, resp);
	else if (!strcmp(p, "/"))
		srv_admin_page_index(req, resp);
	else
		srv_resp_error(resp, 404, "not_found", "No such endpoint.", 0);
}

const struct srv_routes srv_routes_default = { route, body_cap };
