/* certlink core: the enrollment flow that every front end drives.
 *
 * The link handler's window, the manager window's wizard and the zero-touch command line all call
 * cl_enroll_run() on a worker thread. The flow reports progress through a callback, asks the person through
 * another callback (which a front end answers, or which is NULL for zero-touch runs that must not ask), and
 * stops at the next check point when the cancel token is set. Everything it learns is recorded (records.h)
 * before and after each step, so a crash or a dead server leaves consistent state and the next run resumes
 * (docs/protocol.md, section 8).
 *
 * Callbacks are called on the thread that runs the flow; a GTK front end hops to its main loop and blocks
 * the worker until the person answers.
 */
#ifndef CL_ENROLL_H
#define CL_ENROLL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "cancel.h"
#include "error.h"
#include "link.h"
#include "network.h"

/* The stages a progress window shows, in order. */
enum cl_stage {
	CL_STAGE_CHECK_LINK,
	CL_STAGE_CONNECT,
	CL_STAGE_APPLY,
	CL_STAGE_WAIT_APPROVAL,
	CL_STAGE_ACTIVATE,
	CL_STAGE_INSTALL,
	CL_STAGE_DONE,
};

const char *cl_stage_name(enum cl_stage stage); /* English, untranslated; front ends translate */

enum cl_question_kind {
	CL_ASK_TRUST_SERVER,  /* the server's identity is not established: show host, fingerprint, issuer */
	CL_ASK_TRUST_CA,      /* install this CA as a trust anchor (trusted for everything, by the person or,
	                         with store = computer, by every user)? show fingerprint and subject. The
	                         answer is trust: CL_TRUST_NO (the default) keeps it out and the run goes on */
	CL_ASK_STORE,         /* the link names no store: user or computer */
	CL_ASK_CREDENTIALS,   /* user ID and password (user may be pre-filled from the link) */
	CL_ASK_FIELDS,        /* invitation code, e-mail, reason, device note, as the server asks; store and
	                         user are filled in to show what the application will name */
	CL_ASK_CONFIRM_RENEW, /* renew this certificate? Shows what will be replaced: subject, issuer, serial,
	                         fingerprint, expiry, current key, whether the key is new, store, server and
	                         user. Asked before the server is contacted; CL_OK is yes. */
};

enum cl_trust_answer {
	CL_TRUST_NO = 0, /* the default: refuse */
	CL_TRUST_ONCE,
	CL_TRUST_REMEMBER,
};

enum cl_field_use { CL_FIELD_OFF = 0, CL_FIELD_OPTIONAL, CL_FIELD_REQUIRED };

#define CL_FIELD_MAX 257 /* longest field value + NUL */

/* One question. The flow fills the "shown" members; the front end fills the "answer" members and returns
 * CL_OK, or returns CL_E_CANCELLED. Strings in "shown" are valid during the call only. */
struct cl_question {
	enum cl_question_kind kind;
	/* shown */
	const char *host;
	int port;
	const char *fingerprint; /* SHA-256, "AB:CD:..." */
	const char *subject;
	const char *issuer;
	const char *service_name;
	enum cl_field_use use_code, use_email, use_reason, use_device_note;
	const char *device_note_label;
	const char *error_hint; /* why we ask again ("User ID or password is incorrect."), or NULL */
	/* CL_ASK_CONFIRM_RENEW: the certificate that will be replaced (subject, issuer and fingerprint above;
	 * store and user below, as shown) */
	const char *serial;
	time_t not_after;
	const char *key_type; /* "rsa", "ec", or NULL when not recorded */
	int key_bits;
	bool new_key; /* a new key replaces the current one; false: the current key is kept */
	/* answers (store is also shown, for CL_ASK_TRUST_CA: whose trust it would change) */
	enum cl_trust_answer trust;
	enum cl_store_kind store;
	char user[65];
	char password[257]; /* wiped by the flow after use */
	char code[65];
	char email[129];
	char reason[CL_FIELD_MAX];
	char device_note[129];
};

typedef enum cl_status (*cl_ask_fn)(void *user_data, struct cl_question *q);
typedef void (*cl_progress_fn)(void *user_data, enum cl_stage stage, const char *detail);

struct cl_enroll_opts {
	/* Where to enroll: a parsed link, or host/port given directly (manual wizard, command line). */
	const struct cl_link *link;
	const char *host;
	int port;
	enum cl_store_kind store; /* CL_STORE_ASK to ask (or default to user when ask is NULL) */
	const char *user;         /* NULL: the link's, else ask, else the login user */
	const char *password;     /* NULL: ask when needed; copied and wiped by the flow */
	const char *code, *email, *reason, *device_note;
	/* The zero-touch renewal rule (docs/cli.md, `certlink enroll`): a valid certificate of this server,
	 * user and store is renewed inside the renewal window and otherwise left alone (CL_E_NOT_DUE),
	 * nothing enrolled. Without it (an invitation opened in the window or the terminal, the manager's
	 * new-certificate wizard: a deliberate request for a certificate) a new certificate is enrolled
	 * beside the existing ones, which result->existing reports. Renew links and cl_enroll_renew() renew.
	 */
	bool renewal_rule;
	bool force_new;   /* enroll even when a valid certificate exists; a recorded application is not
	                     resumed */
	bool cn_override; /* CN = computer name (computer store) or login user (user store) */
	bool no_proxy;
	bool reuse_key; /* renew with the existing key */
	bool renew;     /* renew the existing certificate for server+user+store */
	/* The certificate a renewal replaces, by SHA-256 fingerprint (64 hex), when a renew link's serial is
	 * not enough (cl_enroll_renew() sets it: two CAs can issue one serial). NULL: the link's serial. */
	const char *renew_fingerprint;
	/* Seconds to wait for approval. 0: a run that has just applied waits for the server's
	 * approval_poll.timeout; a resumed application and cl_enroll_activate() check once and report a
	 * pending application at once (result->pending). */
	int approval_timeout;
	int notify_days;  /* renewal window for the "not due" rule; 0: settings (default 14) */
	int max_attempts; /* tries per request on connection failures, 429 and 503; 0: 6 (docs/protocol.md) */
	int timeout;      /* seconds one attempt of a request may take; 0: 60 */
	bool debug;       /* log protocol steps (never secrets) through log_fn */
	/* Ask CL_ASK_FIELDS before a new application is sent, offering every field the server uses (optional
	 * ones too, all "off" when it uses none), so a wizard can show its form and a summary to confirm.
	 * Without it only missing required fields are asked. Needs ask. */
	bool confirm_apply;
	cl_ask_fn ask; /* NULL: never ask (zero-touch) */
	cl_progress_fn progress;
	void (*log_fn)(void *user_data, const char *line);
	void *user_data;
	struct cl_cancel *cancel; /* may be NULL */
	/* The computer store while not root. NULL: refused before any network contact (exit 100). Otherwise
	 * the application is recorded in the person's own records, and at the install step the flow writes a
	 * fresh 0700 staging directory (key.pem 0600, cert.pem, chain.pem, trust.pem, meta.json) and calls
	 * this; the front end runs the privileged helper on it (pkexec certlink-install-helper --install
	 * DIR), which reads and checks the files and calls cl_enroll_install_staged(). The directory is
	 * removed afterwards. */
	enum cl_status (*elevate)(void *user_data, const char *staging_dir, struct cl_error *err);
	/* Then, for each CA the person agreed to make a trust anchor of the computer: run the helper's anchor
	 * sub-command on the same directory (pkexec certlink-install-helper --trust-anchor SHA256 SUBJECT
	 * DIR), a polkit action of its own that always asks for an administrator and names the CA (SHA256 is
	 * "AB:CD:...", SUBJECT as the question showed it). NULL: such anchors are not installed (the result
	 * says so). CL_E_CANCELLED when the authentication was refused. */
	enum cl_status (*elevate_anchor)(void *user_data, const char *staging_dir, const char *sha256,
	                                 const char *subject, struct cl_error *err);
	/* Zero-touch: the SHA-256 fingerprints of the CAs an administrator allows to become trust anchors
	 * (`certlink enroll --install-ca FP`); exact matches only. Without them, and without a person to ask,
	 * no CA becomes a trust anchor (core/anchor.h). */
	const unsigned char (*install_ca)[32];
	size_t n_install_ca;
	/* Do not apply the profile's networks (`--no-network`): no connection, no wpa_supplicant file. */
	bool no_network;
	/* The computer store while not root, after the install: make the profile's networks system
	 * connections (pkexec certlink-install-helper --network DIR, a polkit action of its own), from DIR's
	 * network.json. NULL: the networks are not applied (the result says so). CL_E_CANCELLED when the
	 * authentication was refused. */
	enum cl_status (*elevate_network)(void *user_data, const char *staging_dir, struct cl_error *err);
	/* The computer store while not root, renewing with the same key (reuse_key): the key is root's, so
	 * the request is signed by the helper (pkexec certlink-install-helper --sign-request SHA256 SUBJECT
	 * DIR, a polkit action of its own that always asks for an administrator and names the certificate
	 * whose key signs, "AB:CD:...", and the request's subject). DIR holds request.json (0600: the
	 * request's names and challenge). On CL_OK *REQUEST is the signed PKCS#10 request, PEM, allocated
	 * with OPENSSL_malloc() (the flow checks, wipes and frees it; it holds the challenge). NULL: such a
	 * renewal is refused before anything is sent (a new key works). CL_E_CANCELLED when the
	 * authentication was refused. */
	enum cl_status (*elevate_sign)(void *user_data, const char *staging_dir, const char *sha256,
	                               const char *subject, char **request, size_t *request_len,
	                               struct cl_error *err);
};

#define CL_ENROLL_ANCHORS_MAX 8 /* profile.trust holds at most 8 CAs (docs/protocol.md section 5) */

struct cl_enroll_result {
	char app_id[65]; /* local record id */
	char serial[81];
	char subject[512];
	char cn[129]; /* the subject's common name */
	char issuer[512];
	char user[65]; /* user ID at the server */
	time_t not_after;
	enum cl_store_kind store;
	char cert_path[4096]; /* where the certificate file is */
	char nss_nickname[128];
	bool nss_imported;
	int trust_anchors; /* CAs installed as trust anchors (consented: core/anchor.h) */
	/* CAs that issue the certificate and that the profile offered as trust anchors, but that were not
	 * installed as such (nobody agreed, nobody could be asked, the administrator's authentication was
	 * refused): how many, and the SHA-256 (lowercase hex) of the first CL_ENROLL_ANCHORS_MAX. They are
	 * still in the certificate's chain (store.h). */
	int trust_not_installed;
	/* Firefox profiles open in a running Firefox that this run made trust a CA: that Firefox trusts it
	 * from its next start (firefox-profiles.h). The certificate itself works at once. */
	int firefox_restart;
	char trust_not_installed_sha256[CL_ENROLL_ANCHORS_MAX][65];
	bool pending; /* stopped while waiting for approval; the application is recorded */
	/* The profile's networks (network.h): which NetworkManager connections now use the certificate, or
	 * why none do and where the wpa_supplicant configuration went instead. */
	struct cl_network_report network;
	/* Valid certificates of the same server, user and store that stay installed beside the new one (an
	 * enrollment that is not a renewal): how many, and the one that lasts longest. */
	int existing;
	char existing_serial[81];
	time_t existing_not_after;
	/* The privileged helper's install or network step of a renewal: the serial of the certificate it
	 * replaced and removed from the computer store, or why that certificate stays ("" when neither). */
	char replaced[81];
	char replaced_note[512];
};

/* Run the whole flow: check, connect and establish identity, apply (or resume the recorded application),
 * wait for approval, activate, generate the key (begun at the start for a new application: RSA 2048 until
 * the server's key policy is known), SCEP, install certificate and CA, record. On CL_OK with
 * result->pending set, the application waits for approval and a later run (or cl_enroll_activate())
 * finishes it. */
enum cl_status cl_enroll_run(const struct cl_enroll_opts *opts, struct cl_enroll_result *result,
                             struct cl_error *err);

/* Operations on recorded applications and certificates (manager window, command line). `id` is the local
 * record id, a certificate serial or the start (8 hex digits or more) of a certificate's SHA-256
 * fingerprint; an id that names several certificates (two CAs can issue one serial) is refused with code
 * "ambiguous" and a message listing them (records.h cl_records_resolve()). Options supply callbacks, cancel
 * token and proxy switch. */
enum cl_status cl_enroll_activate(const char *id, const struct cl_enroll_opts *opts,
                                  struct cl_enroll_result *result, struct cl_error *err);
enum cl_status cl_enroll_withdraw(const char *id, const struct cl_enroll_opts *opts, struct cl_error *err);
enum cl_status cl_enroll_reapply(const char *id, const struct cl_enroll_opts *opts, struct cl_error *err);
/* Renew a certificate at the server that issued it, proven by the identity recorded at enrollment (the same
 * CA, or system trust); with opts->ask the person confirms first (CL_ASK_CONFIRM_RENEW). The old
 * certificate is removed only once the new one is installed and recorded. */
enum cl_status cl_enroll_renew(const char *id, const struct cl_enroll_opts *opts,
                               struct cl_enroll_result *result, struct cl_error *err);
/* Remove a certificate from every place it was installed, and its record. */
enum cl_status cl_enroll_delete(const char *id, enum cl_store_kind store, struct cl_error *err);

/* What a flow staged for the privileged helper, read by the helper (which checks owners, modes and file types
 * itself). Buffers are the files' contents; chain and trust may be NULL. */
struct cl_staged {
	const char *meta_json;
	size_t meta_len;
	const char *key_pem; /* secret: the caller wipes it */
	size_t key_len;
	const char *cert_pem;
	size_t cert_len;
	const char *chain_pem;
	size_t chain_len;
	const char *trust_pem;
	size_t trust_len;
	const char *network_json; /* the profile's networks and CAs (network.json), or NULL */
	size_t network_len;
};

#define CL_STAGED_FILE_MAX (256 * 1024)

/* For the privileged helper, as root: install a staged certificate into the computer store and record it
 * (the certificate, and the application as installed). Checks every buffer (caps, PEM, key matches the
 * certificate, the chain issues it). result gets what was installed. */
enum cl_status cl_enroll_install_staged(const struct cl_staged *staged, struct cl_enroll_result *result,
                                        struct cl_error *err);
/* For the privileged helper, as root (its --network): the staged profile's networks (network.json) as system
 * connections for the staged certificate, which must already be installed and recorded in the computer
 * store; the connections of the certificate it renews (network.json "renews") are taken over. result->network
 * says what was made; without NetworkManager (or when it refuses) the wpa_supplicant files are written
 * beside the certificate and result->network.note says why (CL_OK: the helper exits 3 then). */
enum cl_status cl_enroll_network_staged(const struct cl_staged *staged, struct cl_enroll_result *result,
                                        struct cl_error *err);
/* That install never makes a CA a trust anchor. This does, for one CA, as its own step (the helper's
 * --trust-anchor, a polkit action of its own): the CA with SHA-256 SHA256 ("AB:CD:..." or hex) must be in
 * the staged trust.pem, meta.json must record a consent for it (core/anchor.h), it must issue the staged
 * certificate's chain, SUBJECT must be its subject as cl_certinfo_name() writes it (what the
 * authentication message showed), and the staged certificate must already be installed and recorded in the
 * computer store. Its places are added to that certificate's record (delete removes them). result gets the
 * certificate's serial, trust_anchors 1 and, in issuer, the CA's subject. */
/* For the privileged helper, as root (its --sign-request): a PKCS#10 request built from REQUEST_JSON (the
 * staged request.json: {"subject": [[TYPE, VALUE], ...], "san_dns": [...], "san_email": [...],
 * "san_upn": [...], "san_uri": [...], "challenge": "..."}, at most CL_SIGN_REQUEST_MAX octets, every value
 * held to core/csr.h's limits) and signed with the key of the computer store's certificate SHA256
 * ("AB:CD:..." or hex), which must be recorded there by certlink with its key and certificate files. SUBJECT
 * must be the request's subject as cl_certinfo_name() writes it (what the authentication message showed). The
 * helper signs nothing else: never bytes it is given, never a SCEP message, and it decrypts nothing. On CL_OK
 * *PEM (malloc()ed, NUL-terminated, *PEM_LEN octets) is the signed request; it holds the challenge: wipe
 * it. */
#define CL_SIGN_REQUEST_MAX (16 * 1024)
enum cl_status cl_enroll_sign_staged(const char *request_json, size_t len, const char *sha256,
                                     const char *subject, char **pem, size_t *pem_len, struct cl_error *err);
enum cl_status cl_enroll_trust_staged(const struct cl_staged *staged, const char *sha256, const char *subject,
                                      struct cl_enroll_result *result, struct cl_error *err);

#endif
