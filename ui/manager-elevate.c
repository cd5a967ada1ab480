/* certlink-manager: pkexec for the computer store (see manager-elevate.h). */
#include "manager-elevate.h"

#include <glib/gi18n-lib.h>

#define PKEXEC_NOT_AUTHORIZED 126 /* pkexec: dismissed, or not authorized */
#define PKEXEC_FAILED         127 /* pkexec: authentication failed or an error */

static const char *program(const char *var, const char *fallback)
{
	const char *v = g_getenv(var);

	return v && g_path_is_absolute(v) ? v : fallback;
}

static void on_communicated(GObject *source, GAsyncResult *res, gpointer data)
{
	GTask *task = data;
	GSubprocess *proc = G_SUBPROCESS(source);
	GError *error = NULL;
	char *out = NULL;
	int status;

	if (!g_subprocess_communicate_utf8_finish(proc, res, &out, NULL, &error)) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	status = g_subprocess_get_if_exited(proc) ? g_subprocess_get_exit_status(proc) : -1;
	if (status == 0)
		g_task_return_boolean(task, TRUE);
	else if (status == PKEXEC_NOT_AUTHORIZED || status == PKEXEC_FAILED)
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, "%s",
		                        _("Administrator rights were not granted."));
	else
		g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
		                        out && *out ? g_strstrip(out)
		                                    : _("The certificate could not be deleted."));
	g_free(out);
	g_object_unref(task);
}

void certlink_manager_elevate_delete(const char *id, GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task = g_task_new(NULL, NULL, callback, user_data);
	GError *error = NULL;
	GSubprocess *proc = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
	                                     &error, program("CERTLINK_PKEXEC", "/usr/bin/pkexec"),
	                                     program("CERTLINK_INSTALL_HELPER", CERTLINK_INSTALL_HELPER),
	                                     "--delete", id, NULL);

	if (!proc) {
		g_task_return_error(task, error);
		g_object_unref(task);
		return;
	}
	g_subprocess_communicate_utf8_async(proc, NULL, NULL, on_communicated, task);
	g_object_unref(proc);
}

gboolean certlink_manager_elevate_finish(GAsyncResult *res, char **message)
{
	GError *error = NULL;

	if (g_task_propagate_boolean(G_TASK(res), &error))
		return TRUE;
	if (message)
		*message = g_strdup(error->message);
	g_error_free(error);
	return FALSE;
}
