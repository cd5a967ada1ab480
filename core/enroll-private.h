/* certlink core: the steps of the enrollment flow (enroll*.c), for the driver (enroll.c, enroll-ops.c).
 * Not for front ends. What the steps share is in enroll-flow.h. */
#ifndef CL_ENROLL_PRIVATE_H
#define CL_ENROLL_PRIVATE_H

#include "anchor.h"
#include "enroll-flow.h"

/* Steps (enroll-steps.c) */
enum cl_status cl_flow_connect(struct cl_flow *f, struct cl_error *err);
enum cl_status cl_flow_apply(struct cl_flow *f, struct cl_error *err);
/* Poll until approved, for opts->approval_timeout (else the server's approval_poll.timeout): for a run that
 * has just applied, or whose caller asked to wait. */
enum cl_status cl_flow_wait_approval(struct cl_flow *f, struct cl_error *err);
/* One status check: an application still pending sets result->pending at once (docs/cli.md). */
enum cl_status cl_flow_check_approval(struct cl_flow *f, struct cl_error *err);
/* enroll-activate.c */
enum cl_status cl_flow_activate(struct cl_flow *f, struct cl_error *err);
/* enroll-install.c */
enum cl_status cl_flow_install(struct cl_flow *f, struct cl_error *err);
/* Record an installed certificate, for the flow and for the privileged helper: where it came from (host,
 * port, user, application) and how that server's identity was established (SERVER_TRUST "system", "pin"
 * or "person", SERVER_CA the CA's 64 hex digits for the last two). A record of the same certificate (a
 * resumed install) is replaced; another certificate with its issuer and serial is refused. */
struct cl_certinfo;
enum cl_status cl_flow_record_certificate(struct cl_records *rec, const struct cl_certinfo *info,
                                          const char *host, int port, const char *user, const char *app_id,
                                          const char *server_trust, const char *server_ca,
                                          const struct cl_locations *locs, struct cl_error *err);
/* Before anything is written: is another certificate with INFO's issuer and serial recorded in REC? */
enum cl_status cl_flow_check_clash(const struct cl_records *rec, const struct cl_certinfo *info,
                                   struct cl_error *err);
/* enroll-renew.c: the certificate a renewal replaces. */
/* Does CERT (in REC) belong to the run's server: host, port, and the run's pinned CA when it has one? */
bool cl_flow_renewal_matches(const struct cl_flow *f, const struct cl_records *rec,
                             const struct cl_certificate *cert);
/* Make CERT (in REC) the certificate this run renews: its serial, fingerprint, store and user, and the
 * server identity recorded for it (pin, or system trust). CL_E_LOCAL code "renewal_mismatch" when it was
 * issued through another server or for another user, or the run pins another CA. */
enum cl_status cl_flow_renewal_target(struct cl_flow *f, const struct cl_records *rec,
                                      const struct cl_certificate *cert, struct cl_error *err);
/* A renew link (or cl_enroll_renew()): find SERIAL (or exactly FINGERPRINT when not NULL) in STORE's
 * records (CL_STORE_ASK: the person's, then the computer store's when readable) among certificates of the
 * run's server, and make it the target. Before any network contact. */
enum cl_status cl_flow_renewal_from_link(struct cl_flow *f, const char *serial, const char *fingerprint,
                                         enum cl_store_kind store, struct cl_error *err);
/* A resumed application that renews: its target from the application's record. */
enum cl_status cl_flow_renewal_resumed(struct cl_flow *f, const struct cl_application *app,
                                       struct cl_error *err);
/* The certificate this run renews, in REC (the run's store), or NULL. */
struct cl_certificate *cl_flow_renewed(const struct cl_flow *f, const struct cl_records *rec);
/* Read the renewed certificate and its key from where the store put them (f->old_cert, f->old_key), so a
 * renewal that could not sign its RenewalReq stops before the server is contacted. */
enum cl_status cl_flow_renewal_load(struct cl_flow *f, struct cl_error *err);
/* Ask the person (CL_ASK_CONFIRM_RENEW) when the run renews and can ask; CL_E_CANCELLED on no. */
enum cl_status cl_flow_renewal_confirm(struct cl_flow *f, struct cl_error *err);
/* After connecting: the server proved the identity recorded for the renewed certificate. */
enum cl_status cl_flow_renewal_check_server(struct cl_flow *f, struct cl_error *err);

/* enroll-sign.c: a computer-store renewal that keeps its key while not root (f->key_elsewhere). Have the
 * privileged helper build the request P for f->key and sign it with the computer store's key (opts
 * elevate_sign), and check that what comes back is that request, signed by that key. Caller frees *OUT
 * with cl_csr_free(). */
struct cl_csr_params;
/* The refusal when no administrator can be asked to sign (no elevate_sign): CL_E_LOCAL, code
 * reuse_key_unavailable. */
enum cl_status cl_flow_reuse_key_unavailable(struct cl_error *err);
enum cl_status cl_flow_sign_elevated(struct cl_flow *f, const struct cl_csr_params *p, X509_REQ **out,
                                     struct cl_error *err);

/* enroll-replace.c: the certificate a renewal replaces leaves the store. */
/* Remove CERT (in REC) from every place no other certificate of REC uses, then from REC. For a
 * cl_records_update() callback; NULL is nothing to do. */
enum cl_status cl_flow_forget_certificate(struct cl_records *rec, struct cl_certificate *cert,
                                          struct cl_error *err);
/* Once NEW_FP is installed and recorded in STORE: the certificate OLD_FP leaves it (forget above), in one
 * update of the records. Nothing when OLD_FP is NULL, empty, NEW_FP itself, or no longer recorded. */
enum cl_status cl_flow_retire(enum cl_store_kind store, const char *old_fp, const char *new_fp,
                              struct cl_error *err);
/* As root, for a staged renewal: the recorded certificate OLD_FP that CERT (SHA-256 NEW_FP) replaces, into
 * *OLD (NULL when there is none: no OLD_FP, CERT itself, or already gone). Refused unless it is of the same
 * server (HOST, PORT) and USER and the CA that issued it, in its own chain file, signed CERT; a new
 * certificate recorded as replacing it (cl_certificate replaces) passed that check before anything of it was
 * removed. */
enum cl_status cl_flow_replaced(const struct cl_records *rec, const char *old_fp, X509 *cert,
                                const char *new_fp, const char *host, int port, const char *user,
                                struct cl_certificate **old, struct cl_error *err);
/* The consented trust anchors of OLD that issue CERT (through CHAIN) stay anchors of the computer store,
 * now with the new certificate: their locations are appended to LOCS (cl_store_trust_ca() with the recorded
 * consent; nothing new becomes trusted). *KEPT (may be NULL) counts them. */
enum cl_status cl_flow_keep_anchors(const struct cl_certificate *old, X509 *cert, STACK_OF(X509) * chain,
                                    struct cl_locations *locs, int *kept, struct cl_error *err);
/* As root: the key of the computer store's certificate FP (64 hex) from the files its record names, which
 * must still be that certificate and its key. *CERT (may be NULL) gets the certificate. */
enum cl_status cl_flow_computer_key(const char *fp, EVP_PKEY **key, X509 **cert, struct cl_error *err);

/* enroll-network.c: the profile's networks (network.h). */
/* Keep the activation's CAs and networks for the install step (f->profile). */
enum cl_status cl_flow_keep_networks(struct cl_flow *f, const struct cl_proto_activation *act,
                                     struct cl_error *err);
/* The connections (nm-connection locations) that a new install of FP may take over, from STORE's records:
 * FP's own (a resumed install, whose record is about to be replaced), those of RENEWS (the certificate a
 * renewal replaces, or NULL), and those of every other certificate of the same server (HOST, PORT) and USER
 * (an enrollment beside an earlier certificate: the newest one backs the networks, rather than two
 * connections of one name for one network). certlink-netconf takes over only a connection of the same
 * server and network (docs/network.md). */
enum cl_status cl_flow_network_reuse(enum cl_store_kind store, const char *fp, const char *renews,
                                     const char *host, int port, const char *user, struct cl_locations *out,
                                     struct cl_error *err);
/* Apply PROFILE's networks for the certificate FP recorded in STORE (T gives the service, server, CN and
 * user; the paths come from the record), then record what was made with that certificate; a connection taken
 * over from another certificate leaves that one's record. Fills REPORT. CL_OK also when NetworkManager was
 * not there or refused (REPORT->note says so). */
enum cl_status cl_flow_networks_for(enum cl_store_kind store, const char *fp,
                                    const struct cl_proto_profile *profile, const struct cl_network_target *t,
                                    const struct cl_locations *reuse, struct cl_network_report *report,
                                    struct cl_error *err);
/* The flow's networks for the certificate it installed (result_fp), after it is recorded. Never fails the
 * install: what went wrong is in the result's network report. */
void cl_flow_networks(struct cl_flow *f, const struct cl_locations *reuse);

/* A profile CA that may become a trust anchor, with the consent that allows it (anchor.h). */
struct cl_flow_anchor {
	X509 *ca;
	enum cl_anchor_consent consent;
};

/* Note in the result that CA, offered as a trust anchor, was not installed as one (enroll-install.c). */
void cl_flow_note_anchor_not_installed(struct cl_flow *f, X509 *ca);

/* enroll-stage.c: stage for the privileged helper and call opts->elevate; then, for each of ANCHORS,
 * opts->elevate_anchor (its own polkit action). An anchor that is not installed (no hook, authentication
 * refused, the helper refused it) is noted in the result; it does not fail the install. */
enum cl_status cl_flow_install_elevated(struct cl_flow *f, const struct cl_flow_anchor *anchors, size_t n,
                                        struct cl_error *err);

#endif
