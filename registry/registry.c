/* certlink registry: register and unregister the certlink:// handler (see registry.h). */
#include "registry.h"
#include "desktop.h"
#include "fileio.h"
#include "mimeapps.h"
#include "helper.h"
#include "units.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void clr_notes_add(struct clr_notes *notes, const char *fmt, ...)
{
	va_list ap;

	if (!notes || notes->count >= CLR_NOTES_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(notes->text[notes->count], sizeof(notes->text[0]), fmt, ap);
	va_end(ap);
	notes->count++;
}

enum cl_status clr_check_scope_allowed(const struct clr_locations *paths, struct cl_error *err)
{
	if (paths->scope == CLR_SCOPE_SYSTEM && geteuid() != 0 && !paths->overridden)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "registering for all users (--system) writes to %s and /etc and needs root: "
		    "run it with sudo, or leave out --system to register for yourself only",
		    paths->apps_dir);
	return CL_OK;
}

/* The environment the xdg helpers get on top of the clean one: the directories this run resolved. */
static void helper_env(const struct clr_locations *p, char data_home[], char config_home[], const char *env[])
{
	size_t n = 0;

	if (p->scope == CLR_SCOPE_USER) {
		snprintf(data_home, PATH_MAX + 16, "XDG_DATA_HOME=%s", p->data_home);
		snprintf(config_home, PATH_MAX + 16, "XDG_CONFIG_HOME=%s", p->config_home);
		env[n++] = data_home;
		env[n++] = config_home;
	}
	env[n] = NULL;
}

/* Does `path` carry the package's marker? */
static int from_package(const char *path)
{
	char *text = NULL;
	int yes;

	if (cl_fileio_read_text(path, CLR_FILE_MAX, &text, NULL) != CL_OK || !text)
		return 0;
	yes = clr_desktop_from_package(text);
	free(text);
	return yes;
}

int clr_packaged(void)
{
	struct clr_locations p;

	return clr_locations_resolve(CLR_SCOPE_SYSTEM, &p, NULL) == CL_OK && from_package(p.desktop_file);
}

/* A target file may be (re)written when it is missing or certlink wrote it. */
static enum cl_status check_ours_or_missing(const char *path, struct cl_error *err)
{
	char *text = NULL;
	int ours;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT
		           ? CL_OK
		           : cl_error_set(err, CL_E_LOCAL, "cannot examine %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cl_error_set(err, CL_E_LOCAL, "%s exists and is not a regular file; remove it first",
		                    path);
	if (cl_fileio_read_text(path, CLR_FILE_MAX, &text, err) != CL_OK)
		return CL_E_LOCAL;
	if (!text)
		return CL_OK; /* gone since lstat: missing */
	ours = !clr_desktop_has_marker(text) ? 0 : clr_desktop_from_package(text) ? 2 : 1;
	free(text);
	if (!ours)
		return cl_error_set(
		    err, CL_E_LOCAL,
		    "%s exists and was not written by certlink; nothing was changed (remove or rename "
		    "that file first if certlink should replace it)",
		    path);
	if (ours == 2)
		return cl_error_set(err, CL_E_LOCAL,
		                    "%s belongs to the certlink-desktop package; nothing was changed", path);
	return CL_OK;
}

static enum cl_status check_handler(const char *path, struct cl_error *err)
{
	struct stat st;

	if (clr_desktop_check_path(path, err) != CL_OK) {
		cl_error_prefix(err, "handler %s", path);
		return CL_E_LOCAL;
	}
	if (stat(path, &st) < 0)
		return cl_error_set(err, CL_E_LOCAL, "handler %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return cl_error_set(err, CL_E_LOCAL, "handler %s is not an executable file", path);
	return CL_OK;
}

static void update_database(const struct clr_locations *p, const char *env[], struct clr_notes *notes)
{
	const char *argv[] = { "update-desktop-database", p->apps_dir, NULL };
	struct clr_helper_result res;
	struct cl_error e;
	char why[300];

	cl_error_clear(&e);
	if (clr_helper_run(argv, env, &res, &e) != CL_OK)
		clr_notes_add(notes,
		              "The MIME cache in %s was not updated: %s. Desktops that read only the cache "
		              "may not see the change until it is rebuilt.",
		              p->apps_dir, e.msg);
	else if (res.exit_status != 0)
		clr_notes_add(notes, "update-desktop-database %s failed: %s", p->apps_dir,
		              clr_helper_describe(&res, why, sizeof(why)));
}

/* User scope: xdg-mime writes $XDG_CONFIG_HOME/mimeapps.list; certlink checks that it did. */
static enum cl_status set_default_user(const struct clr_locations *p, const char *env[], struct cl_error *err)
{
	const char *argv[] = { "xdg-mime", "default", CLR_DESKTOP_ID, CLR_SCHEME_MIME, NULL };
	struct clr_helper_result res;
	char *text = NULL, id[256], why[300];
	int found;

	if (clr_helper_run(argv, env, &res, err) != CL_OK)
		return err ? err->status : CL_E_LOCAL;
	if (res.exit_status != 0)
		return cl_error_set(err, CL_E_LOCAL, "xdg-mime default failed: %s",
		                    clr_helper_describe(&res, why, sizeof(why)));
	if (cl_fileio_read_text(p->mimeapps_list, CLR_FILE_MAX, &text, err) != CL_OK || !text) {
		if (!text)
			cl_error_set(err, CL_E_LOCAL, "%s is missing", p->mimeapps_list);
		cl_error_prefix(err, "after xdg-mime default");
		return CL_E_LOCAL;
	}
	found = clr_mimeapps_get_default(text, CLR_SCHEME_MIME, id, sizeof(id));
	free(text);
	if (found != 1 || strcmp(id, CLR_DESKTOP_ID) != 0)
		return cl_error_set(err, CL_E_LOCAL, "xdg-mime default did not record %s in %s",
		                    CLR_DESKTOP_ID, p->mimeapps_list);
	return CL_OK;
}

/* mimeapps.list belongs to the person or the administrator: an edit keeps its mode, and when it is a
 * symbolic link (dotfile managers do that) the file it points to is replaced, not the link. */
static enum cl_status write_mimeapps(const struct clr_locations *p, const char *text, struct cl_error *err)
{
	char target[PATH_MAX];
	const char *path = p->mimeapps_list;
	struct stat sb;

	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
		if (!realpath(path, target))
			return cl_error_set(err, CL_E_LOCAL, "cannot follow the link %s: %s", path,
			                    strerror(errno));
		path = target;
	}
	return cl_fileio_replace(path, text, strlen(text), stat(path, &sb) == 0 ? (sb.st_mode & 07777) : 0644,
	                         err);
}

/* System scope: the default for every user lives in $XDG_CONFIG_DIRS/mimeapps.list, which xdg-mime never
 * writes, so certlink edits it, keeping every other line. */
static enum cl_status set_default_system(const struct clr_locations *p, struct cl_error *err)
{
	char *text = NULL, *edited;
	enum cl_status st;

	if (cl_fileio_read_text(p->mimeapps_list, CLR_FILE_MAX, &text, err) != CL_OK)
		return CL_E_LOCAL;
	edited = clr_mimeapps_set_default(text ? text : "", CLR_SCHEME_MIME, CLR_DESKTOP_ID);
	free(text);
	if (!edited)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	st = write_mimeapps(p, edited, err);
	free(edited);
	return st;
}

/* `systemctl --user` answers only when a user manager runs and its bus is reachable from here. */
static int user_manager_reachable(const char *env[])
{
	const char *argv[] = { "systemctl", "--user", "show-environment", NULL };
	struct clr_helper_result res;

	return clr_helper_run(argv, env, &res, NULL) == CL_OK && res.exit_status == 0;
}

static void systemctl_user(const char *env[], struct clr_notes *notes, const char *verb, const char *arg,
                           const char *arg2)
{
	const char *argv[] = { "systemctl", "--user", verb, arg, arg2, NULL };
	struct clr_helper_result res;
	char why[300];

	if (clr_helper_run(argv, env, &res, NULL) != CL_OK || res.exit_status != 0)
		clr_notes_add(notes, "systemctl --user %s%s%s%s%s failed: %s", verb, arg ? " " : "",
		              arg ? arg : "", arg2 ? " " : "", arg2 ? arg2 : "",
		              clr_helper_describe(&res, why, sizeof(why)));
}

/* System scope: what `systemctl --global enable` does, a link in timers.target.wants/; no manager to ask. */
static enum cl_status enable_timer_global(const struct clr_locations *p, struct cl_error *err)
{
	enum cl_status st;

	if ((st = cl_fileio_mkdirs(p->timer_wants_dir, 0755, err)))
		return st;
	if (unlink(p->timer_wants_link) < 0 && errno != ENOENT)
		return cl_error_set(err, CL_E_LOCAL, "cannot replace %s: %s", p->timer_wants_link,
		                    strerror(errno));
	if (symlink(p->timer_file, p->timer_wants_link) < 0)
		return cl_error_set(err, CL_E_LOCAL, "cannot enable the timer (%s): %s", p->timer_wants_link,
		                    strerror(errno));
	return CL_OK;
}

struct contents {
	char *desktop, *autostart, *service, *timer;
};

static void contents_free(struct contents *c)
{
	free(c->desktop);
	free(c->autostart);
	free(c->service);
	free(c->timer);
}

static enum cl_status write_files(const struct clr_locations *p, const struct contents *c,
                                  struct cl_error *err)
{
	mode_t dmode = p->scope == CLR_SCOPE_USER ? 0700 : 0755;
	enum cl_status st;

	/* Replaced atomically (cl_fileio_replace: a dot-file temporary, fsync, rename):
	 * update-desktop-database and systemd ignore the temporary's name, so a crash never leaves half a
	 * handler entry behind. */
	if ((st = cl_fileio_mkdirs(p->apps_dir, dmode, err)) ||
	    (st = cl_fileio_mkdirs(p->autostart_dir, dmode, err)) ||
	    (st = cl_fileio_mkdirs(p->unit_dir, dmode, err)) ||
	    (st = cl_fileio_replace(p->desktop_file, c->desktop, strlen(c->desktop), 0644, err)) ||
	    (st = cl_fileio_replace(p->autostart_file, c->autostart, strlen(c->autostart), 0644, err)) ||
	    (st = cl_fileio_replace(p->service_file, c->service, strlen(c->service), 0644, err)) ||
	    (st = cl_fileio_replace(p->timer_file, c->timer, strlen(c->timer), 0644, err)))
		return st;
	return CL_OK;
}

enum cl_status clr_register(const struct clr_register_options *opt, struct clr_notes *notes,
                            struct cl_error *err)
{
	char data_home[PATH_MAX + 16], config_home[PATH_MAX + 16];
	struct contents c = { 0 };
	const char *env[3];
	struct clr_locations p;
	enum cl_status st;

	if ((st = clr_locations_resolve(opt->scope, &p, err)) || (st = clr_check_scope_allowed(&p, err)))
		return st;
	/* The package registered certlink-handler for every user, with the same files: a second, run-time
	 * copy would either replace files the package manager owns or shadow them in /etc. */
	if (p.scope == CLR_SCOPE_SYSTEM && from_package(p.desktop_file)) {
		if (notes)
			notes->by_package = 1;
		clr_notes_add(notes,
		              "certlink:// links already open with certlink-handler for every user: the "
		              "certlink-desktop package installed %s, %s and the expiry check. Nothing was "
		              "written.",
		              p.desktop_file, p.vendor_mimeapps_list);
		return CL_OK;
	}
	if ((st = check_handler(opt->handler_path, err)))
		return st;
	if (clr_desktop_check_path(opt->certlink_path, err) != CL_OK) {
		cl_error_prefix(err, "certlink %s", opt->certlink_path ? opt->certlink_path : "");
		return CL_E_LOCAL;
	}
	if ((st = clr_desktop_handler_entry(opt->handler_path, CLR_ORIGIN_REGISTER, &c.desktop, err)) ||
	    (st = clr_desktop_autostart_entry(opt->certlink_path, CLR_ORIGIN_REGISTER, &c.autostart, err)) ||
	    (st = clr_units_service(opt->certlink_path, CLR_ORIGIN_REGISTER, &c.service, err)) ||
	    (st = clr_units_timer(CLR_ORIGIN_REGISTER, &c.timer, err)))
		goto out;
	/* Refuse before writing anything, so a refusal leaves the desktop exactly as it was. */
	if ((st = check_ours_or_missing(p.desktop_file, err)) ||
	    (st = check_ours_or_missing(p.autostart_file, err)) ||
	    (st = check_ours_or_missing(p.service_file, err)) ||
	    (st = check_ours_or_missing(p.timer_file, err)))
		goto out;
	if ((st = write_files(&p, &c, err)))
		goto out;

	helper_env(&p, data_home, config_home, env);
	update_database(&p, env, notes);
	st = p.scope == CLR_SCOPE_USER ? set_default_user(&p, env, err) : set_default_system(&p, err);
	if (st) {
		cl_error_prefix(err, "making %s the default handler of certlink:// links", CLR_DESKTOP_ID);
		goto out;
	}

	if (p.scope == CLR_SCOPE_SYSTEM) {
		if ((st = enable_timer_global(&p, err)))
			goto out;
	} else if (user_manager_reachable(env)) {
		systemctl_user(env, notes, "daemon-reload", NULL, NULL);
		systemctl_user(env, notes, "enable", "--now", CLR_TIMER_NAME);
	} else {
		clr_notes_add(
		    notes,
		    "No systemd user manager is reachable from here, so the daily expiry check timer was "
		    "written to %s but not enabled. In your desktop session, run: systemctl --user enable "
		    "--now " CLR_TIMER_NAME " (the login check in %s works without it).",
		    p.timer_file, p.autostart_file);
	}
	/* Written as the spec says, but launchers in Debian 12 do not all read it back (see
	 * docs/desktop-integration.md): xdg-open 1.1.3's generic mode splits Exec at spaces and ignores
	 * quotes, and GLib 2.74 looks the program up before turning %% back into %. */
	if (clr_desktop_exec_needs_quoting(opt->handler_path) || strchr(opt->handler_path, '%'))
		clr_notes_add(
		    notes,
		    "The handler path \"%s\" has characters that a .desktop file must quote or escape. It "
		    "is written as the specification says, but some launchers cannot start such a program "
		    "(xdg-open outside a desktop environment, and GLib with %% in the path). Install "
		    "certlink-handler in a path of letters, digits, /, -, _ and . for links to open "
		    "everywhere.",
		    opt->handler_path);
out:
	contents_free(&c);
	return st;
}

/* Remove `path` when certlink wrote it; a file someone else wrote is left, with a note. */
static enum cl_status remove_ours(const char *path, struct clr_notes *notes, bool *removed,
                                  struct cl_error *err)
{
	char *text = NULL;
	int ours, packaged;

	*removed = false;
	if (cl_fileio_read_text(path, CLR_FILE_MAX, &text, err) != CL_OK)
		return CL_E_LOCAL;
	if (!text)
		return CL_OK;
	ours = clr_desktop_has_marker(text);
	packaged = ours && clr_desktop_from_package(text);
	free(text);
	if (!ours) {
		clr_notes_add(notes, "Left %s in place: certlink did not write it.", path);
		return CL_OK;
	}
	if (packaged) {
		if (notes)
			notes->by_package = 1;
		return CL_OK;
	}
	return cl_fileio_remove(path, removed, err);
}

/* The enable link, when it points at a certlink-check-expiry.timer. */
static enum cl_status remove_wants_link(const struct clr_locations *p, bool *removed, struct cl_error *err)
{
	char target[PATH_MAX];
	const char *base;
	ssize_t n;

	*removed = false;
	n = readlink(p->timer_wants_link, target, sizeof(target) - 1);
	if (n < 0)
		return CL_OK;
	target[n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	if (strcmp(base, CLR_TIMER_NAME) != 0)
		return CL_OK;
	/* The package's timer is enabled through the same link (deb-systemd-helper): it stays while the
	 * package's timer is there, whoever made the link. */
	if (p->scope == CLR_SCOPE_SYSTEM && from_package(p->vendor_timer_file))
		return CL_OK;
	return cl_fileio_remove(p->timer_wants_link, removed, err);
}

static enum cl_status remove_default(const struct clr_locations *p, bool *removed, struct cl_error *err)
{
	char *text = NULL, *edited;
	int changed;
	enum cl_status st;

	*removed = false;
	if (cl_fileio_read_text(p->mimeapps_list, CLR_FILE_MAX, &text, err) != CL_OK)
		return CL_E_LOCAL;
	if (!text)
		return CL_OK;
	edited = clr_mimeapps_remove_default(text, CLR_SCHEME_MIME, CLR_DESKTOP_ID, &changed);
	free(text);
	if (!edited)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	st = CL_OK;
	if (changed) {
		st = write_mimeapps(p, edited, err);
		*removed = st == CL_OK;
	}
	free(edited);
	return st;
}

enum cl_status clr_unregister(enum clr_scope scope, struct clr_notes *notes, struct cl_error *err)
{
	char data_home[PATH_MAX + 16], config_home[PATH_MAX + 16];
	bool removed, any = false;
	int reachable = 0;
	const char *env[3];
	struct clr_locations p;
	enum cl_status st;

	if ((st = clr_locations_resolve(scope, &p, err)) || (st = clr_check_scope_allowed(&p, err)))
		return st;
	helper_env(&p, data_home, config_home, env);

	if (scope == CLR_SCOPE_USER && access(p.timer_file, F_OK) == 0 &&
	    (reachable = user_manager_reachable(env)))
		systemctl_user(env, notes, "disable", "--now", CLR_TIMER_NAME);
	if ((st = remove_wants_link(&p, &removed, err)))
		return st;
	any |= removed;
	const char *files[] = { p.timer_file, p.service_file, p.autostart_file, p.desktop_file };
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if ((st = remove_ours(files[i], notes, &removed, err)))
			return st;
		any |= removed;
	}
	if (access(p.apps_dir, F_OK) == 0)
		update_database(&p, env, notes);
	if ((st = remove_default(&p, &removed, err))) {
		cl_error_prefix(err, "removing the default handler of certlink:// links");
		return st;
	}
	any |= removed;
	if (reachable)
		systemctl_user(env, notes, "daemon-reload", NULL, NULL);
	if (scope == CLR_SCOPE_SYSTEM &&
	    (from_package(p.desktop_file) || from_package(p.vendor_timer_file))) {
		if (notes)
			notes->by_package = 1;
		clr_notes_add(
		    notes,
		    "certlink:// links still open with certlink-handler for every user: the "
		    "certlink-desktop package installed that registration (%s). Remove the package to "
		    "remove it: apt remove certlink-desktop.",
		    p.desktop_file);
	} else if (!any)
		clr_notes_add(notes, "Nothing to remove: certlink was not registered %s.",
		              scope == CLR_SCOPE_USER ? "for this user" : "for all users");
	return CL_OK;
}
