/* certlink-server: the routing table: which module answers which path, and each path's body cap. It imports
 * the handlers (api, admin, scepd); http.c knows only the srv_routes callbacks it is given, so the arrows run
 * one way: main -> routes -> handlers -> http helpers.
 */
#ifndef SRV_ROUTES_H
#define SRV_ROUTES_H

#include "http.h"

/* The routes of certlink-server, for srv_server.routes. */
extern const struct srv_routes srv_routes_default;

#endif
