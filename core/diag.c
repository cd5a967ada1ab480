/* certlink core: the diagnostics archive (see diag.h). */
#include "diag.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/crypto.h>

#include "device.h"
#include "fileio.h"
#include "jsonfile.h"
#include "logfile.h"
#include "paths.h"
#include "records.h"
#include "result.h"
#include "scrub.h"
#include "secret.h"
#include "tool.h"

#define TOP          "certlink-diagnostics"
#define FILE_MAX     (4 * 1024 * 1024)
#define WALK_DEPTH   6
#define WALK_ENTRIES 2000
#define SECRETS_MAX  4096
#define SECRET_LINE  16 /* PEM lines at least this long are searched for one by one */

extern char **environ;

/* Secret values of this account, wiped when done. */
struct secrets {
	char *v[SECRETS_MAX];
	size_t n;
};

static void secrets_add(struct secrets *s, const char *value, size_t len)
{
	while (len > 0 && (value[len - 1] == '\n' || value[len - 1] == '\r' || value[len - 1] == ' '))
		len--;
	if (len < CL_SCRUB_MIN_SECRET || s->n >= SECRETS_MAX || memchr(value, '\0', len))
		return;
	s->v[s->n] = OPENSSL_strndup(value, len);
	if (s->v[s->n])
		s->n++;
}

/* The whole value, and each long line of it (a PEM key's base64 lines). */
static void secrets_add_text(struct secrets *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	secrets_add(s, text, len);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= SECRET_LINE && strncmp(p, "-----", 5) != 0)
			secrets_add(s, p, n);
		p += n + 1;
	}
}

static void secrets_free(struct secrets *s)
{
	for (size_t i = 0; i < s->n; i++) {
		OPENSSL_cleanse(s->v[i], strlen(s->v[i]));
		OPENSSL_free(s->v[i]);
	}
	s->n = 0;
}

static void secrets_from_file(struct secrets *s, const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return;
	if (cl_fileio_read(path, CL_SECRET_MAX, &buf, &len, NULL) == CL_OK)
		secrets_add_text(s, buf, len);
	cl_fileio_free_secret(buf, len);
}

static void secrets_from_store(struct secrets *s, enum cl_store_kind kind)
{
	char *dir = cl_paths_pending_dir(kind, NULL);
	struct cl_records *rec = NULL;
	struct dirent *e;
	DIR *d = dir ? opendir(dir) : NULL;

	while (d && (e = readdir(d)) != NULL) {
		char *path = e->d_name[0] != '.' ? cl_paths_join(dir, e->d_name, NULL) : NULL;

		if (path)
			secrets_from_file(s, path);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
	if (cl_records_load(kind, &rec, NULL) != CL_OK)
		return;
	for (size_t i = 0; i < rec->n_certs; i++)
		for (size_t j = 0; j < rec->certs[i]->locations.n; j++) {
			const struct cl_location *l = &rec->certs[i]->locations.items[j];

			/* a PKCS#12 bundle is binary and encrypted; its password file is what matters */
			if (cl_location_kind_is_secret(l->kind) && l->kind != CL_LOC_PKCS12)
				secrets_from_file(s, l->path);
		}
	cl_records_free(rec);
}

static void secrets_from_environment(struct secrets *s)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		char name[256];

		if (!eq || (size_t)(eq - *e) >= sizeof(name))
			continue;
		memcpy(name, *e, (size_t)(eq - *e));
		name[eq - *e] = '\0';
		if (cl_scrub_is_secret_name(name))
			secrets_add(s, eq + 1, strlen(eq + 1));
	}
}

/* ---- writing into the staging directory ---- */

struct stage {
	char root[4096]; /* the mkdtemp directory */
	char top[4200];  /* root/certlink-diagnostics */
	struct secrets secrets;
};

static enum cl_status put_text(struct stage *sg, const char *name, const char *text, size_t len,
                               struct cl_error *err)
{
	char *clean = cl_scrub_text(text, len, (const char *const *)sg->secrets.v, sg->secrets.n);
	char *path = cl_paths_join(sg->top, name, err);
	enum cl_status st = CL_E_LOCAL;

	if (!clean)
		cl_error_set(err, CL_E_LOCAL, "out of memory");
	else if (path)
		st = cl_fileio_write_new(path, clean, strlen(clean), 0600, err);
	free(clean);
	free(path);
	return st;
}

/* Copy a file the person may have, JSON scrubbed member by member when it parses, text otherwise. A
 * missing or unreadable file is noted in place of its content. */
static enum cl_status put_copy(struct stage *sg, const char *name, const char *src, struct cl_error *err)
{
	char *buf = NULL, *text = NULL;
	size_t len = 0;
	enum cl_status st;
	struct cl_error rerr;
	cJSON *j;

	if (!src)
		return CL_OK;
	if (cl_fileio_read_optional(src, FILE_MAX, &buf, &len, &rerr) != CL_OK) {
		char note[1200];

		snprintf(note, sizeof(note), "not included: %s\n", rerr.msg);
		return put_text(sg, name, note, strlen(note), err);
	}
	if (!buf)
		return CL_OK;
	j = cl_jsonfile_parse(buf, len, 64, src, NULL);
	if (j) {
		cl_scrub_json(j);
		text = cJSON_Print(j);
		cJSON_Delete(j);
	}
	st = text ? put_text(sg, name, text, strlen(text), err) : put_text(sg, name, buf, len, err);
	free(text);
	cl_fileio_free_secret(buf, len);
	return st;
}

static enum cl_status put_versions(struct stage *sg, const char *program, struct cl_error *err)
{
	struct utsname u;
	char text[4096], when[21];
	struct cl_device dev;

	memset(&dev, 0, sizeof(dev));
	cl_device_identify(&dev, NULL);
	cl_jsonfile_format_time((int64_t)time(NULL), when);
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	snprintf(text, sizeof(text),
	         "written: %s\ncertlink: %s\nprogram: %s\nOpenSSL: %s\nlibcurl: %s\ncJSON: %s\nos: %s\n"
	         "kernel: %s %s %s\neffective uid: %ld\n",
	         when, CERTLINK_VERSION, program ? program : "certlink", OpenSSL_version(OPENSSL_VERSION),
	         curl_version(), cJSON_Version(), dev.os, u.sysname, u.release, u.machine, (long)geteuid());
	return put_text(sg, "versions.txt", text, strlen(text), err);
}

static enum cl_status put_device(struct stage *sg, struct cl_error *err)
{
	struct cl_device dev;
	struct cl_error derr;
	char text[4096];

	memset(&dev, 0, sizeof(dev));
	cl_error_clear(&derr);
	cl_device_identify(&dev, &derr);
	snprintf(
	    text, sizeof(text),
	    "# what certlink sends to enrollment servers about this device\n"
	    "apid: %s\nhostname: %s\nuser: %s\ndomain: %s\nmac: %s\nvendor: %s\nproduct: %s\nserial: %s\n"
	    "os: %s\n%s%s\n",
	    dev.apid, dev.hostname, dev.user, dev.domain, dev.mac, dev.vendor, dev.product, dev.serial,
	    dev.os, derr.msg[0] ? "problem: " : "", derr.msg);
	return put_text(sg, "device.txt", text, strlen(text), err);
}

static bool allowed_variable(const char *name, size_t n)
{
	static const char *const exact[] = { "LANG",
		                             "LANGUAGE",
		                             "HOME",
		                             "http_proxy",
		                             "https_proxy",
		                             "HTTP_PROXY",
		                             "HTTPS_PROXY",
		                             "no_proxy",
		                             "NO_PROXY",
		                             "all_proxy",
		                             "ALL_PROXY",
		                             "DISPLAY",
		                             "WAYLAND_DISPLAY",
		                             "XDG_CURRENT_DESKTOP" };
	char buf[256];

	if (n >= sizeof(buf))
		return false;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (cl_scrub_is_secret_name(buf))
		return false;
	if (strncmp(buf, "CERTLINK_", 9) == 0 || strncmp(buf, "XDG_", 4) == 0 || strncmp(buf, "LC_", 3) == 0)
		return true;
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
		if (strcmp(buf, exact[i]) == 0)
			return true;
	return false;
}

static enum cl_status put_environment(struct stage *sg, struct cl_error *err)
{
	size_t cap = 64 * 1024, len = 0;
	char *text = malloc(cap);
	enum cl_status st;

	if (!text)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	len = (size_t)snprintf(text, cap,
	                       "# an allow-list of variables; any name that sounds secret is left out\n");
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = strlen(*e);

		if (eq && allowed_variable(*e, (size_t)(eq - *e)) && len + n + 2 < cap) {
			memcpy(text + len, *e, n);
			len += n;
			text[len++] = '\n';
		}
	}
	st = put_text(sg, "environment.txt", text, len, err);
	free(text);
	return st;
}

/* Names, types, modes and sizes under a store directory: never contents. */
static void walk(const char *dir, const char *rel, int depth, char **text, size_t *len, size_t *cap,
                 size_t *entries)
{
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d)) != NULL && *entries < WALK_ENTRIES) {
		char path[4200], sub[1200], line[1400];
		struct stat st;
		int n;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    (size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
		        sizeof(sub) ||
		    lstat(path, &st) != 0)
			continue;
		(*entries)++;
		n = snprintf(line, sizeof(line), "%c %04o %10lld %s\n",
		             S_ISDIR(st.st_mode)   ? 'd'
		             : S_ISLNK(st.st_mode) ? 'l'
		             : S_ISREG(st.st_mode) ? '-'
		                                   : '?',
		             (unsigned)(st.st_mode & 07777), (long long)st.st_size, sub);
		if (n > 0 && *len + (size_t)n + 1 < *cap) {
			memcpy(*text + *len, line, (size_t)n);
			*len += (size_t)n;
		}
		if (S_ISDIR(st.st_mode) && depth < WALK_DEPTH)
			walk(path, sub, depth + 1, text, len, cap, entries);
	}
	closedir(d);
}

static enum cl_status put_listing(struct stage *sg, const char *name, enum cl_store_kind kind,
                                  struct cl_error *err)
{
	char *dir = cl_paths_store_dir(kind, NULL);
	size_t cap = 256 * 1024, len = 0, entries = 0;
	char *text = malloc(cap);
	enum cl_status st;

	if (!text) {
		free(dir);
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	}
	len = (size_t)snprintf(text, cap, "# files under %s (names and modes only)\n", dir ? dir : "?");
	if (dir)
		walk(dir, "", 0, &text, &len, &cap, &entries);
	st = put_text(sg, name, text, len, err);
	free(text);
	free(dir);
	return st;
}

static enum cl_status put_store(struct stage *sg, enum cl_store_kind kind, struct cl_error *err)
{
	const char *k = cl_store_kind_name(kind);
	char name[64];
	char *records = cl_paths_records_file(kind, NULL);
	char *rjson = cl_paths_result_file(kind, CL_RESULT_FORMAT_JSON, NULL);
	char *rtext = cl_paths_result_file(kind, CL_RESULT_FORMAT_TEXT, NULL);
	char *log = cl_logfile_path(kind, NULL);
	char log1[4200];
	enum cl_status st;

	snprintf(name, sizeof(name), "records-%s.json", k);
	st = put_copy(sg, name, records, err);
	snprintf(name, sizeof(name), "files-%s.txt", k);
	if (st == CL_OK)
		st = put_listing(sg, name, kind, err);
	snprintf(name, sizeof(name), "result-%s.json", k);
	if (st == CL_OK)
		st = put_copy(sg, name, rjson, err);
	snprintf(name, sizeof(name), "result-%s.txt", k);
	if (st == CL_OK)
		st = put_copy(sg, name, rtext, err);
	snprintf(name, sizeof(name), "log-%s.txt", k);
	if (st == CL_OK)
		st = put_copy(sg, name, log, err);
	snprintf(name, sizeof(name), "log-%s.1.txt", k);
	snprintf(log1, sizeof(log1), "%s.1", log ? log : "");
	if (st == CL_OK && log)
		st = put_copy(sg, name, log1, err);
	free(records);
	free(rjson);
	free(rtext);
	free(log);
	return st;
}

static const char readme[] =
    "certlink diagnostics\n"
    "\n"
    "versions.txt      program and library versions, operating system\n"
    "device.txt        what certlink sends to enrollment servers about this device\n"
    "settings.json     the person's certlink settings\n"
    "environment.txt   certlink, XDG, locale and proxy variables (nothing that sounds secret)\n"
    "records-*.json    applications and certificates certlink knows, per store\n"
    "files-*.txt       names, modes and sizes of the store's files (never their content)\n"
    "result-*.*        the last zero-touch result file\n"
    "log-*.txt         the activity log\n"
    "\n"
    "Left out: passwords, application secrets, SCEP challenges, invitation tokens and private keys. The\n"
    "pending/ secrets directory and key, PKCS#12 and password files are never read into the archive, and\n"
    "every file above was scrubbed of those values as well.\n";

/* ---- staging, packing, cleaning up ---- */

static void remove_tree(const char *dir, int depth)
{
	struct dirent *e;
	DIR *d = depth < 8 ? opendir(dir) : NULL;

	while (d && (e = readdir(d)) != NULL) {
		char path[4200];
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path) ||
		    lstat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			remove_tree(path, depth + 1);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

static enum cl_status pack(const struct stage *sg, const char *output, struct cl_error *err)
{
	const char *tar = getenv("CERTLINK_TAR");
	const char *argv[] = {
		tar && tar[0] == '/' ? tar : "/usr/bin/tar", "-czf", output, "-C", sg->root, TOP, NULL
	};
	char out[1024];
	int code = 0;

	if (cl_tool_run(argv, out, sizeof(out), &code, err) != CL_OK)
		return err->status;
	if (code != 0)
		return cl_error_set(err, CL_E_LOCAL, "tar exited with %d: %s", code, cl_tool_last_line(out));
	return CL_OK;
}

static enum cl_status stage_init(struct stage *sg, struct cl_error *err)
{
	const char *tmp = getenv("TMPDIR");

	if ((size_t)snprintf(sg->root, sizeof(sg->root), "%s/certlink-diag-XXXXXX",
	                     tmp && tmp[0] == '/' ? tmp : "/tmp") >= sizeof(sg->root))
		return cl_error_set(err, CL_E_LOCAL, "TMPDIR is too long");
	if (!mkdtemp(sg->root))
		return cl_error_set(err, CL_E_LOCAL, "creating a temporary directory: %s", strerror(errno));
	snprintf(sg->top, sizeof(sg->top), "%s/%s", sg->root, TOP);
	if (mkdir(sg->top, 0700) != 0) {
		cl_error_set(err, CL_E_LOCAL, "%s: %s", sg->top, strerror(errno));
		rmdir(sg->root);
		return CL_E_LOCAL;
	}
	return CL_OK;
}

/* Everything but the packing goes into SG's staging directory. */
static enum cl_status collect(struct stage *sg, const char *program, struct cl_error *err)
{
	static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };
	char *settings = cl_paths_settings_file(NULL);
	enum cl_status st;

	secrets_from_environment(&sg->secrets);
	for (size_t i = 0; i < 2; i++)
		secrets_from_store(&sg->secrets, kinds[i]);
	st = put_text(sg, "README.txt", readme, sizeof(readme) - 1, err);
	if (st == CL_OK)
		st = put_versions(sg, program, err);
	if (st == CL_OK)
		st = put_device(sg, err);
	if (st == CL_OK)
		st = put_environment(sg, err);
	if (st == CL_OK)
		st = put_copy(sg, "settings.json", settings, err);
	for (size_t i = 0; i < 2 && st == CL_OK; i++)
		st = put_store(sg, kinds[i], err);
	free(settings);
	return st;
}

enum cl_status cl_diag_write(const char *output, const char *program, struct cl_error *err)
{
	struct stage *sg;
	enum cl_status st;

	if (!output || !output[0])
		return cl_error_set(err, CL_E_LOCAL, "no output file given");
	sg = calloc(1, sizeof(*sg)); /* large: thousands of secret slots */
	if (!sg)
		return cl_error_set(err, CL_E_LOCAL, "out of memory");
	st = stage_init(sg, err);
	if (st == CL_OK) {
		st = collect(sg, program, err);
		if (st == CL_OK)
			st = pack(sg, output, err);
		remove_tree(sg->root, 0);
	}
	secrets_free(&sg->secrets);
	free(sg);
	if (st != CL_OK)
		cl_error_prefix(err, "writing the diagnostics archive %s", output);
	return st;
}
