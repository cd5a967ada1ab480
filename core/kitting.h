/* certlink core: preparing a master disk image ("kitting"), so every machine cloned from it gets its own
 * APID and nothing bound to the master.
 *
 * The APID is derived from /etc/machine-id (device.h), so clones differ as long as each gets its own
 * machine-id: systemd writes a new one at first boot when /etc/machine-id is empty or missing
 * (machine-id(5), "for operating system images which are created once and used on multiple machines").
 * What would still tie a clone to the master is removed: the APID fallback file (/var/lib/misc/certlink-apid,
 * used where there is no machine-id), and the computer store's machine-bound state: application records and
 * their secrets (a clone would resume the master's application under the master's APID), the result files,
 * and, only when asked, the computer store's certificates (a clone would share their keys). Home directories
 * are not touched.
 */
#ifndef CL_KITTING_H
#define CL_KITTING_H

#include "error.h"

#include <stdbool.h>
#include <stddef.h>

struct cl_kitting_opts {
	bool check_only;          /* report only; change nothing */
	bool empty_machine_id;    /* empty /etc/machine-id (truncate it; systemd fills it at first boot) */
	bool remove_certificates; /* delete the computer store's certificates (cl_enroll_delete) */
};

enum cl_machine_id_state {
	CL_MACHINE_ID_MISSING,       /* no file: generated at first boot */
	CL_MACHINE_ID_EMPTY,         /* empty file: generated at first boot (the image case) */
	CL_MACHINE_ID_UNINITIALIZED, /* "uninitialized": systemd's first-boot marker */
	CL_MACHINE_ID_SET,           /* a machine's ID: every clone would share it, and the APID */
	CL_MACHINE_ID_INVALID,       /* something else: not used for the APID, and not regenerated either */
};

struct cl_kitting_report {
	char machine_id_path[4096];
	enum cl_machine_id_state machine_id; /* after this run */
	bool machine_id_emptied;
	char apid_path[4096];
	bool apid_file;           /* the APID fallback file exists (check_only) or existed (removed) */
	size_t certificates;      /* computer-store certificates recorded before this run */
	size_t certificates_left; /* ... and after it */
	size_t applications;      /* application records forgotten (or, check_only, that would be) */
	size_t secrets;           /* pending secret files removed (or present) */
	bool result_files;        /* result.json/result.txt removed (or present) */
	bool ready;               /* the machine-id will be regenerated and nothing machine-bound is left */
};

/* Prepare this system as a master image (root only, like the computer store: cl_store_check_allowed()).
 * Fills REPORT with what was found and done. With certificates in the computer store and
 * !remove_certificates nothing is changed and the result is CL_E_LOCAL (code "kitting_certificates")
 * naming them. CL_OK does not mean ready: see report->ready. */
enum cl_status cl_kitting_run(const struct cl_kitting_opts *opts, struct cl_kitting_report *report,
                              struct cl_error *err);

/* The state of the machine-id file at PATH. */
enum cl_machine_id_state cl_kitting_machine_id_state(const char *path);

#endif
