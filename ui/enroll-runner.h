/* certlink ui: runs cl_enroll_run() on a worker thread for a GTK front end.
 *
 * The core calls its progress and ask callbacks on the worker. The runner hops each to the main loop
 * ("stage" and "question" signals) and blocks the worker on a GCond until the window answers, so the window
 * never freezes and a question can be cancelled like any stage. Used by the handler's progress window; the
 * manager's wizard can use it the same way.
 */
#ifndef CERTLINK_ENROLL_RUNNER_H
#define CERTLINK_ENROLL_RUNNER_H

#include <gio/gio.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_ENROLL_RUNNER (certlink_enroll_runner_get_type())
G_DECLARE_FINAL_TYPE(CertlinkEnrollRunner, certlink_enroll_runner, CERTLINK, ENROLL_RUNNER, GObject)

CertlinkEnrollRunner *certlink_enroll_runner_new(void);

/* Start the flow. opts is copied, except what its pointers point to (link, strings), which must stay valid
 * until the callback ran; its progress, ask, elevate (pkexec certlink-install-helper), user_data and cancel
 * members are replaced by the runner's.
 * callback runs on the calling thread's main context when the flow has ended. */
void certlink_enroll_runner_start(CertlinkEnrollRunner *self, const struct cl_enroll_opts *opts,
                                  GAsyncReadyCallback callback, gpointer user_data);

/* The flow's outcome: its status, with result and err filled. */
enum cl_status certlink_enroll_runner_finish(CertlinkEnrollRunner *self, GAsyncResult *res,
                                             struct cl_enroll_result *result, struct cl_error *err);

/* Answer the question last emitted by "question". The front end has written the answer members into the
 * struct cl_question it was given, and must not touch it afterwards. status is CL_OK or CL_E_CANCELLED. */
void certlink_enroll_runner_answer(CertlinkEnrollRunner *self, enum cl_status status);

/* Stop the flow at its next check point; an open question is answered "cancelled". Any thread. */
void certlink_enroll_runner_cancel(CertlinkEnrollRunner *self);

gboolean certlink_enroll_runner_is_running(CertlinkEnrollRunner *self);

G_END_DECLS

#endif
