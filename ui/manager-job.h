/* certlink-manager: runs one core call (the enrollment flow or an operation on a record) on a worker
 * thread, so the window stays responsive during network work.
 *
 * The core calls its progress and ask callbacks on the worker. The job hops each to the main loop
 * ("progress" and "question" signals, emitted on the thread that started the job) and blocks the worker on
 * a GCond until the window answers with certlink_manager_job_answer(). Cancel stops the core at its next
 * check point and answers an open question "cancelled".
 */
#ifndef CERTLINK_MANAGER_JOB_H
#define CERTLINK_MANAGER_JOB_H

#include <gio/gio.h>

#include "enroll.h"

G_BEGIN_DECLS

/* The core call: fill result and err, return the status. Runs on the worker thread. */
typedef enum cl_status (*CertlinkManagerJobFunc)(const struct cl_enroll_opts *opts,
                                                 struct cl_enroll_result *result, struct cl_error *err,
                                                 gpointer data);

#define CERTLINK_TYPE_MANAGER_JOB (certlink_manager_job_get_type())
G_DECLARE_FINAL_TYPE(CertlinkManagerJob, certlink_manager_job, CERTLINK, MANAGER_JOB, GObject)

CertlinkManagerJob *certlink_manager_job_new(void);

/* Start FUNC with a copy of OPTS (what its pointers point to must outlive the job), whose progress, ask,
 * user_data and cancel members are replaced by the job's. DATA is passed to FUNC and freed with
 * DATA_FREE on the main thread after CALLBACK ran. One run per job. */
void certlink_manager_job_start(CertlinkManagerJob *self, const struct cl_enroll_opts *opts,
                                CertlinkManagerJobFunc func, gpointer data, GDestroyNotify data_free,
                                GAsyncReadyCallback callback, gpointer user_data);

/* The outcome; result and err may be NULL. */
enum cl_status certlink_manager_job_finish(CertlinkManagerJob *self, GAsyncResult *res,
                                           struct cl_enroll_result *result, struct cl_error *err);

/* Answer the question last emitted (CL_OK or CL_E_CANCELLED), after writing the answer members. */
void certlink_manager_job_answer(CertlinkManagerJob *self, enum cl_status status);

/* Stop at the next check point. Any thread. */
void certlink_manager_job_cancel(CertlinkManagerJob *self);

gboolean certlink_manager_job_is_running(CertlinkManagerJob *self);

/* The job's cancel token, for work the core hands back to the front end (the elevate hook). */
const struct cl_cancel *certlink_manager_job_get_cancel(CertlinkManagerJob *self);

G_END_DECLS

#endif
