/* certlink core: finding the person's Firefox profiles (see firefox-profiles.h). */
#include "firefox-profiles.h"
#include "fileio.h"
#include "paths.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- profiles.ini ---- */

struct ini_profile {
	char path[PATH_MAX];
	int relative; /* -1: no IsRelative line */
	bool in_section;
};

static void emit(struct ini_profile *p, const char *root, void (*fn)(const char *, void *), void *data)
{
	char dir[PATH_MAX];
	int n = -1;

	if (!p->in_section || !p->path[0] || p->relative < 0)
		return;
	if (p->relative == 1 && p->path[0] != '/')
		n = snprintf(dir, sizeof(dir), "%s/%s", root, p->path);
	else if (p->relative == 0 && p->path[0] == '/')
		n = snprintf(dir, sizeof(dir), "%s", p->path);
	if (n > 0 && (size_t)n < sizeof(dir))
		fn(dir, data);
}

/* LINE without the white space around it, in place. */
static char *trim(char *line)
{
	char *end = line + strlen(line);

	while (*line == ' ' || *line == '\t')
		line++;
	while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*end = '\0';
	return line;
}

static bool printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

void cl_firefox_parse_ini(const char *text, const char *root, void (*fn)(const char *dir, void *data),
                          void *data)
{
	struct ini_profile p = { .relative = -1 };
	char line[PATH_MAX + 64];

	while (text && *text) {
		size_t len = strcspn(text, "\n");
		char *l, *eq;

		if (len < sizeof(line)) {
			memcpy(line, text, len);
			line[len] = '\0';
		} else {
			line[0] = '\0'; /* longer than any path: not a line Firefox wrote */
		}
		text += len + (text[len] == '\n');
		l = trim(line);
		if (l[0] == '[') {
			emit(&p, root, fn, data);
			memset(&p, 0, sizeof(p));
			p.relative = -1;
			p.in_section = strncmp(l, "[Profile", 8) == 0 && l[strlen(l) - 1] == ']';
			continue;
		}
		if (!p.in_section || l[0] == ';' || l[0] == '#' || !(eq = strchr(l, '=')))
			continue;
		*eq = '\0';
		if (strcmp(trim(l), "Path") == 0 && printable(trim(eq + 1)))
			snprintf(p.path, sizeof(p.path), "%s", trim(eq + 1));
		else if (strcmp(trim(l), "IsRelative") == 0)
			p.relative = strcmp(trim(eq + 1), "1") == 0 ? 1 : 0;
	}
	emit(&p, root, fn, data);
}

/* Where Firefox keeps profiles.ini besides $XDG_CONFIG_HOME/mozilla/firefox (firefox-profiles.h). */
static const char *const home_roots[] = {
	".mozilla/firefox",
	"snap/firefox/common/.mozilla/firefox",
	".var/app/org.mozilla.firefox/.mozilla/firefox",
	".var/app/org.mozilla.firefox/config/mozilla/firefox",
};

static void add_profile(const char *dir, void *data)
{
	struct cl_firefox_profiles *out = data;
	struct cl_firefox_profile *p;
	char real[PATH_MAX];
	struct stat st;

	if (out->n >= CL_FIREFOX_PROFILES_MAX || !realpath(dir, real) || stat(real, &st) != 0 ||
	    !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
		return; /* gone, not a directory, or someone else's: not the person's profile */
	for (size_t i = 0; i < out->n; i++)
		if (strcmp(out->items[i].dir, real) == 0)
			return;
	p = &out->items[out->n];
	snprintf(p->dir, sizeof(p->dir), "%s", real);
	if ((size_t)snprintf(p->db, sizeof(p->db), "sql:%s", real) < sizeof(p->db))
		out->n++;
}

static void scan_root(const char *root, struct cl_firefox_profiles *out)
{
	char *ini = cl_paths_join(root, "profiles.ini", NULL), *text = NULL;

	if (ini && cl_fileio_read_optional(ini, CL_FIREFOX_INI_MAX, &text, NULL, NULL) == CL_OK && text)
		cl_firefox_parse_ini(text, root, add_profile, out);
	free(text);
	free(ini);
}

void cl_firefox_find(struct cl_firefox_profiles *out)
{
	const char *home = getenv("HOME"), *config = getenv("XDG_CONFIG_HOME");
	char root[PATH_MAX];

	out->n = 0;
	if (!home || home[0] != '/')
		return;
	if (config && config[0] == '/')
		snprintf(root, sizeof(root), "%s/mozilla/firefox", config);
	else
		snprintf(root, sizeof(root), "%s/.config/mozilla/firefox", home);
	scan_root(root, out);
	for (size_t i = 0; i < sizeof(home_roots) / sizeof(home_roots[0]); i++) {
		snprintf(root, sizeof(root), "%s/%s", home, home_roots[i]);
		scan_root(root, out);
	}
}

bool cl_firefox_db_running(const char *db)
{
	char path[PATH_MAX + 8], target[256], *plus, *end;
	ssize_t n;
	long pid;

	if (strncmp(db, "sql:", 4) != 0 ||
	    snprintf(path, sizeof(path), "%s/lock", db + 4) >= (int)sizeof(path))
		return false;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return false;
	target[n] = '\0';
	plus = strrchr(target, '+');
	if (!plus)
		return false;
	errno = 0;
	pid = strtol(plus + 1, &end, 10);
	if (errno || end == plus + 1 || *end || pid <= 0 || pid > INT_MAX)
		return false;
	return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

bool cl_firefox_has(const struct cl_locations *locs, enum cl_location_kind kind,
                    const struct cl_firefox_profile *profile)
{
	for (size_t i = 0; locs && i < locs->n; i++)
		if (locs->items[i].kind == kind && strcmp(locs->items[i].path, profile->db) == 0)
			return true;
	return false;
}
