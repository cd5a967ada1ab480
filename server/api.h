/* certlink-server: the enrollment API under /api/v1/ (docs/protocol.md sections 4 and 5) and the CA downloads
 * /ca.pem and /ca.crl. JSON in and out; every refusal uses the protocol's error object.
 */
#ifndef SRV_API_H
#define SRV_API_H

#include "http.h"
#include "util.h"

void srv_api_handle(struct srv_request *req, struct srv_response *resp);

/* Answer a policy refusal with its HTTP status (table of docs/protocol.md section 2). */
void srv_api_refuse(struct srv_response *resp, const struct srv_err *err);

/* Read an optional string member: 0 absent or null (*out NULL), 1 present, -1 wrong type (400 answered). */
int srv_api_string(const cJSON *obj, const char *name, const char **out, struct srv_response *resp);

#endif
