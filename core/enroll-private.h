/* certlink core: the steps of the enrollment flow (enroll*.c), for the driver (enroll.c, enroll-ops.c).
 * Not for front ends. What the steps share is in enroll-flow.h. */
#ifndef CL_ENROLL_PRIVATE_H
#define CL_ENROLL_PRIVATE_H

#include "enroll-flow.h"

/* Steps (enroll-steps.c) */
enum cl_status cl_flow_connect(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_apply(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_wait_approval(struct cl_flow *f, struct cl_error *err);
/* enroll-activate.c */
enum cl_status cl_flow_activate(struct cl_flow *f, struct cl_error *err);
/* enroll-install.c */
enum cl_status cl_flow_install(struct cl_flow *f, struct cl_error *err);
/* Record an installed certificate, for the flow and for the privileged helper. */
struct cl_certinfo;
enum cl_status cl_flow_record_certificate(struct cl_records *rec, const struct cl_certinfo *info,
                                          const char *host, int port, const char *user, const char *app_id,
                                          const struct cl_locations *locs, struct cl_error *err);
/* enroll-stage.c: stage for the privileged helper and call opts->elevate. */
enum cl_status cl_flow_install_elevated(struct cl_flow *f, STACK_OF(X509) * trusted, struct cl_error *err);

#endif
