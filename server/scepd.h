/* certlink-server: the /scep endpoint: HTTP side of SCEP (operation=GetCACaps, GetCACert, PKIOperation by GET
 * or POST), glue between the message layer (scep.c) and the issuance policy (issue.c).
 */
#ifndef SRV_SCEPD_H
#define SRV_SCEPD_H

#include "http.h"

void srv_scepd_handle(struct srv_request *req, struct srv_response *resp);

#endif
