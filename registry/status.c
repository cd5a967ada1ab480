/* certlink registry: registration status of both scopes (see status.h). */
#include "status.h"
#include "desktop.h"
#include "fileio.h"
#include "mimeapps.h"
#include "helper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fill `fs` for `path`; returns the contents when the file is there (caller frees), else NULL. */
static char *examine(const char *path, struct clr_file_status *fs)
{
	char *text = NULL;

	snprintf(fs->path, sizeof(fs->path), "%s", path);
	if (cl_fileio_read_text(path, CLR_FILE_MAX, &text, NULL) != CL_OK || !text) {
		/* Present but unreadable (or too large) still counts as present, and not as ours. */
		fs->present = access(path, F_OK) == 0;
		return NULL;
	}
	fs->present = 1;
	fs->ours = clr_desktop_has_marker(text);
	fs->package = fs->ours && clr_desktop_from_package(text);
	return text;
}

/* The administrator's file when there is one, else the package's (system scope; the same in user scope). */
static void examine_either(const char *path, const char *vendor, struct clr_file_status *fs)
{
	free(examine(path, fs));
	if (!fs->present && vendor[0]) {
		memset(fs, 0, sizeof(*fs));
		free(examine(vendor, fs));
		if (!fs->present)
			snprintf(fs->path, sizeof(fs->path), "%s", path);
	}
}

/* The first default for the scheme in PATH into the scope status; nonzero when there is one. */
static int mimeapps_default(const char *path, struct clr_scope_status *s)
{
	char *text = NULL;
	int found = 0;

	if (cl_fileio_read_text(path, CLR_FILE_MAX, &text, NULL) == CL_OK && text)
		found = clr_mimeapps_get_default(text, CLR_SCHEME_MIME, s->mimeapps_default,
		                                 sizeof(s->mimeapps_default)) == 1;
	free(text);
	if (found)
		snprintf(s->mimeapps_file, sizeof(s->mimeapps_file), "%s", path);
	return found;
}

static void examine_scope(const struct clr_locations *p, struct clr_scope_status *s)
{
	char target[PATH_MAX], *text;
	struct stat st;
	ssize_t n;

	text = examine(p->desktop_file, &s->desktop);
	if (text && clr_desktop_exec_program(text, s->exec_path, sizeof(s->exec_path), NULL) == CL_OK) {
		s->exec_exists = stat(s->exec_path, &st) == 0;
		s->exec_executable = s->exec_exists && S_ISREG(st.st_mode) && access(s->exec_path, X_OK) == 0;
	}
	free(text);
	s->packaged = s->desktop.package;
	free(examine(p->autostart_file, &s->autostart));
	examine_either(p->service_file, p->vendor_service_file, &s->service);
	examine_either(p->timer_file, p->vendor_timer_file, &s->timer);
	n = readlink(p->timer_wants_link, target, sizeof(target) - 1);
	s->timer_enabled = n > 0 && stat(p->timer_wants_link, &st) == 0;
	/* The spec's order: the administrator's $XDG_CONFIG_DIRS/mimeapps.list, then the distribution's
	 * $XDG_DATA_DIRS/applications/mimeapps.list (where the package puts its default). */
	if (!mimeapps_default(p->mimeapps_list, s) && p->vendor_mimeapps_list[0])
		mimeapps_default(p->vendor_mimeapps_list, s);
}

static void query_xdg_mime(struct clr_status *st)
{
	const char *argv[] = { "xdg-mime", "query", "default", CLR_SCHEME_MIME, NULL };
	struct clr_helper_result res;
	size_t len;

	if (clr_helper_run(argv, NULL, &res, NULL) != CL_OK) {
		st->xdg_mime_found = !res.not_found;
		return;
	}
	st->xdg_mime_found = 1;
	len = strcspn(res.out, "\n");
	if (res.exit_status == 0 && len < sizeof(st->xdg_mime_default)) {
		memcpy(st->xdg_mime_default, res.out, len);
		st->xdg_mime_default[len] = '\0';
	}
	st->default_is_ours = strcmp(st->xdg_mime_default, CLR_DESKTOP_ID) == 0;
}

enum cl_status clr_status_query(struct clr_status *st, struct cl_error *err)
{
	struct clr_locations p;
	struct cl_error serr;
	const struct clr_scope_status *effective;

	memset(st, 0, sizeof(*st));
	if (clr_locations_resolve(CLR_SCOPE_USER, &p, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	examine_scope(&p, &st->user);
	cl_error_clear(&serr);
	if (clr_locations_resolve(CLR_SCOPE_SYSTEM, &p, &serr) == CL_OK)
		examine_scope(&p, &st->system);
	else
		snprintf(st->system.error, sizeof(st->system.error), "%s", serr.msg);
	query_xdg_mime(st);
	/* The user's applications directory comes first in the search path, so its entry wins. */
	effective = st->user.desktop.present ? &st->user : &st->system;
	st->registered = effective->desktop.present && st->default_is_ours && effective->exec_executable;
	return CL_OK;
}
