/* certlink core: what the protocol's reply parsers share across their files (proto-reply.c,
 * proto-network.c). Not for other modules. */
#ifndef CL_PROTO_PRIVATE_H
#define CL_PROTO_PRIVATE_H

#include <cjson/cJSON.h>

#include "proto.h"

/* PROFILE's "networks" (or, without it, the older "wifi") into OUT, each network's RADIUS CA looked up among
 * TRUST (the N_TRUST CAs the same profile delivers). Pure. CL_E_UNREACHABLE with code "bad_reply", or
 * "network_unchecked" for a network without a server certificate check. */
enum cl_status cl_proto_parse_networks(const cJSON *profile, const struct cl_proto_cert *trust,
                                       size_t n_trust, struct cl_proto_networks *out, struct cl_error *err);

#endif
