/* certlink ui: the handler's progress window.
 *
 * Runs one enrollment (through a CertlinkEnrollRunner) and shows its stages: checking the link, connecting,
 * applying, waiting for approval, activating, installing. Questions open the matching dialog over it. The
 * end page says what was installed where (Close, Open Manager), or what went wrong and what to do. Cancel
 * works at every stage; closing the window cancels too (a waiting application stays on record).
 */
#ifndef CERTLINK_PROGRESS_WINDOW_H
#define CERTLINK_PROGRESS_WINDOW_H

#include <gtk/gtk.h>

#include "enroll.h"

G_BEGIN_DECLS

#define CERTLINK_TYPE_PROGRESS_WINDOW (certlink_progress_window_get_type())
G_DECLARE_FINAL_TYPE(CertlinkProgressWindow, certlink_progress_window, CERTLINK, PROGRESS_WINDOW,
                     GtkApplicationWindow)

/* service: what to call the server in the title (the link's name, else its host). */
CertlinkProgressWindow *certlink_progress_window_new(GtkApplication *app, const char *service);

/* Start the enrollment; see certlink_enroll_runner_start() for what opts must outlive. Emits "finished"
 * (gint exit code) when the flow has ended, even if the window was closed meanwhile. The window holds the
 * application until then, so the process does not exit with the flow half-way. */
void certlink_progress_window_start(CertlinkProgressWindow *self, const struct cl_enroll_opts *opts);

G_END_DECLS

#endif
