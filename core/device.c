/* certlink core: device identity (see device.h). */
#include "device.h"
#include "device-private.h"
#include "fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#define APID_BYTES 10 /* 80 bits: 16 base32 characters */
#define SMALL_FILE 4096

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void base32(const unsigned char in[APID_BYTES], char out[CL_DEVICE_APID_LEN + 1])
{
	unsigned buffer = 0;
	int bits = 0, n = 0;

	for (int i = 0; i < APID_BYTES; i++) {
		buffer = (buffer << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = b32[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

bool cl_device_apid_from_machine_id(const char *text, char out[CL_DEVICE_APID_LEN + 1])
{
	static const char msg[] = "certlink-apid";
	unsigned char id[16], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	bool nonzero = false;

	for (int i = 0; i < 32; i++)
		if (hexval(text[i]) < 0)
			return false;
	if (text[32] != '\0' && !(text[32] == '\n' && text[33] == '\0'))
		return false;
	for (int i = 0; i < 16; i++) {
		id[i] = (unsigned char)(hexval(text[2 * i]) << 4 | hexval(text[2 * i + 1]));
		nonzero |= id[i] != 0;
	}
	/* The machine-id is confidential (machine-id(5)): only a keyed hash of it leaves the machine, the
	 * way systemd derives application-specific ids. */
	if (!nonzero ||
	    !HMAC(EVP_sha256(), id, sizeof(id), (const unsigned char *)msg, sizeof(msg) - 1, mac, &maclen) ||
	    maclen < APID_BYTES)
		return false;
	base32(mac, out);
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(mac, sizeof(mac));
	return true;
}

static bool valid_apid(const char *s)
{
	return strlen(s) == CL_DEVICE_APID_LEN && strspn(s, b32) == CL_DEVICE_APID_LEN;
}

/* Read an APID fallback file. *found is false when it does not exist. */
static enum cl_status read_apid_file(const char *path, char out[CL_DEVICE_APID_LEN + 1], bool *found,
                                     struct cl_error *err)
{
	char *text = NULL;
	size_t len = 0;

	*found = false;
	if (cl_fileio_read_optional(path, 64, &text, &len, err) != CL_OK)
		return CL_E_LOCAL;
	if (!text)
		return CL_OK;
	if (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (!valid_apid(text)) {
		free(text);
		return cl_error_set(err, CL_E_LOCAL,
		                    "%s is damaged (not a certlink APID); remove it to make a new one", path);
	}
	memcpy(out, text, CL_DEVICE_APID_LEN + 1);
	free(text);
	*found = true;
	return CL_OK;
}

/* Create PATH with a random APID, complete or not at all: written to a temp file, then link()ed, which
 * fails if another process got there first (then its APID is used). */
static enum cl_status create_apid_file(const char *path, mode_t dirmode, char out[CL_DEVICE_APID_LEN + 1],
                                       struct cl_error *err)
{
	unsigned char raw[APID_BYTES];
	char dir[4096], tmp[4200], line[CL_DEVICE_APID_LEN + 2];
	const char *slash = strrchr(path, '/');
	bool found;
	int fd;

	if (!slash || (size_t)(slash - path) >= sizeof(dir))
		return cl_error_set(err, CL_E_LOCAL, "invalid APID file path %s", path);
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	if (cl_fileio_mkdirs(dir[0] ? dir : "/", dirmode, err) != CL_OK)
		return CL_E_LOCAL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return cl_error_set_openssl(err, CL_E_LOCAL, "generating an APID");
	base32(raw, out);
	snprintf(line, sizeof(line), "%s\n", out);
	snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cl_error_set(err, CL_E_LOCAL, "creating %s: %s", path, strerror(errno));
	if (cl_fileio_write_all(fd, line, strlen(line), tmp, err) != CL_OK || fchmod(fd, 0644) != 0 ||
	    fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		return cl_error_set(err, CL_E_LOCAL, "writing %s", path);
	}
	close(fd);
	if (link(tmp, path) != 0) {
		int e = errno;

		unlink(tmp);
		if (e != EEXIST)
			return cl_error_set(err, CL_E_LOCAL, "creating %s: %s", path, strerror(e));
		if (read_apid_file(path, out, &found, err) != CL_OK)
			return CL_E_LOCAL;
		return found ? CL_OK : cl_error_set(err, CL_E_LOCAL, "%s vanished while being created", path);
	}
	unlink(tmp);
	return cl_fileio_fsync_dir(dir[0] ? dir : "/", err);
}

static enum cl_status apid_from_file(char *(*pathfn)(struct cl_error *), mode_t dirmode,
                                     char out[CL_DEVICE_APID_LEN + 1], struct cl_error *err)
{
	char *path = pathfn(err);
	enum cl_status st;
	bool found = false;

	if (!path)
		return CL_E_LOCAL;
	st = read_apid_file(path, out, &found, err);
	if (st == CL_OK && !found)
		st = create_apid_file(path, dirmode, out, err);
	free(path);
	return st;
}

enum cl_status cl_device_apid(char out[CL_DEVICE_APID_LEN + 1], struct cl_error *err)
{
	char *path = cl_paths_machine_id_file(err), *text = NULL;
	struct cl_error syserr;
	bool ok;

	if (!path)
		return CL_E_LOCAL;
	cl_fileio_read_optional(path, 64, &text, NULL, NULL);
	free(path);
	ok = text && cl_device_apid_from_machine_id(text, out);
	free(text);
	if (ok)
		return CL_OK;
	/* No usable machine-id (a container, a minimal image): the persisted fallback, system-wide when this
	 * process may write it, else per user. */
	if (apid_from_file(cl_paths_apid_file, 0755, out, &syserr) == CL_OK)
		return CL_OK;
	if (apid_from_file(cl_paths_user_apid_file, 0700, out, err) == CL_OK)
		return CL_OK;
	cl_error_prefix(err, "no machine-id and no APID file (%s)", syserr.msg);
	return CL_E_LOCAL;
}

/* ---- text helpers ---- */

/* Copy SRC into DST: surrounding white space trimmed, anything but printable ASCII replaced by '?',
 * truncated to fit. */
static void copy_clean(char *dst, size_t dstlen, const char *src)
{
	size_t len, n = 0;

	while (*src == ' ' || *src == '\t' || *src == '\n' || *src == '\r')
		src++;
	len = strlen(src);
	while (len > 0 && strchr(" \t\r\n", src[len - 1]))
		len--;
	for (size_t i = 0; i < len && n + 1 < dstlen; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[n++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (dstlen > 0)
		dst[n] = '\0';
}

/* A small file's content, cleaned into OUT; "" when unreadable (e.g. root-only DMI serial). */
static void read_clean(const char *dir, const char *name, char *out, size_t outlen)
{
	char *path = cl_paths_join(dir, name, NULL), *text = NULL;

	out[0] = '\0';
	if (path && cl_fileio_read(path, SMALL_FILE, &text, NULL, NULL) == CL_OK)
		copy_clean(out, outlen, text);
	free(text);
	free(path);
}

void cl_device_split_login(const char *login, char *user, size_t userlen, char *domain, size_t domainlen)
{
	const char *at = strchr(login, '@');
	char tmp[CL_DEVICE_FIELD_MAX + 1];

	if (!at) {
		copy_clean(user, userlen, login);
		return;
	}
	snprintf(tmp, sizeof(tmp), "%.*s", (int)(at - login), login);
	copy_clean(user, userlen, tmp);
	copy_clean(domain, domainlen, at + 1);
}

bool cl_device_os_pretty_name(const char *text, char *out, size_t outlen)
{
	const char *line = text;

	while (line && *line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (len > 12 && strncmp(line, "PRETTY_NAME=", 12) == 0) {
			char value[256];
			const char *v = line + 12;
			size_t vlen = len - 12;

			if (vlen >= 2 && (v[0] == '"' || v[0] == '\'') && v[vlen - 1] == v[0]) {
				v++;
				vlen -= 2;
			}
			snprintf(value, sizeof(value), "%.*s", (int)vlen, v);
			copy_clean(out, outlen, value);
			return out[0] != '\0';
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

/* ---- network ---- */

static bool valid_ifname(const char *s)
{
	size_t n = strlen(s);

	return n > 0 && n < 16 && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

bool cl_device_default_route_iface(const char *route, char out[16])
{
	const char *line = strchr(route, '\n'); /* skip the header */
	unsigned long best_metric = (unsigned long)-1;
	bool found = false;

	while (line && *++line) {
		char iface[64], dest[16], gw[16], mask[16];
		unsigned flags, refcnt, use, metric;

		if (sscanf(line, "%63s %15s %15s %x %u %u %u %15s", iface, dest, gw, &flags, &refcnt, &use,
		           &metric, mask) == 8 &&
		    strcmp(dest, "00000000") == 0 && strcmp(mask, "00000000") == 0 && (flags & 1) &&
		    valid_ifname(iface) && (!found || metric < best_metric)) {
			memcpy(out, iface, strlen(iface) + 1); /* valid_ifname: under 16 bytes */
			best_metric = metric;
			found = true;
		}
		line = strchr(line, '\n');
	}
	return found;
}

/* The MAC of IFACE from sysfs, when it has a real one (not loopback, not all zeros). */
static bool iface_mac(const char *netdir, const char *iface, char mac[18])
{
	char sub[PATH_MAX + 32], type[16], addr[64];

	snprintf(sub, sizeof(sub), "%s/%s", netdir, iface);
	read_clean(sub, "type", type, sizeof(type));
	if (strcmp(type, "772") == 0 || strcmp(iface, "lo") == 0)
		return false;
	read_clean(sub, "address", addr, sizeof(addr));
	if (strlen(addr) != 17 || strcmp(addr, "00:00:00:00:00:00") == 0)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? addr[i] != ':' : hexval(addr[i]) < 0)
			return false;
		mac[i] = (char)(addr[i] >= 'A' && addr[i] <= 'F' ? addr[i] - 'A' + 'a' : addr[i]);
	}
	mac[17] = '\0';
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* No default route: the first interface (by name) that is up, else the first at all, with a real MAC. */
static void first_mac(const char *netdir, char mac[18])
{
	char *names[128], state[32], sub[PATH_MAX + 32];
	struct dirent *de;
	DIR *d = opendir(netdir);
	size_t n = 0;

	while (d && (de = readdir(d)) != NULL && n < 128)
		if (de->d_name[0] != '.' && valid_ifname(de->d_name))
			names[n++] = strdup(de->d_name);
	if (d)
		closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_names);
	for (int pass = 0; pass < 2 && !mac[0]; pass++) {
		for (size_t i = 0; i < n && !mac[0]; i++) {
			if (!names[i])
				continue;
			snprintf(sub, sizeof(sub), "%s/%s", netdir, names[i]);
			read_clean(sub, "operstate", state, sizeof(state));
			if ((pass == 1 || strcmp(state, "up") == 0) && !iface_mac(netdir, names[i], mac))
				mac[0] = '\0';
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
}

static void primary_mac(char mac[18])
{
	char *routepath = cl_paths_proc_net_route(NULL), *netdir = cl_paths_sysfs_net_dir(NULL),
	     *route = NULL;
	char iface[16];

	mac[0] = '\0';
	if (routepath && cl_fileio_read(routepath, 1 << 20, &route, NULL, NULL) == CL_OK &&
	    cl_device_default_route_iface(route, iface) && netdir && !iface_mac(netdir, iface, mac))
		mac[0] = '\0';
	if (!mac[0] && netdir)
		first_mac(netdir, mac);
	free(route);
	free(routepath);
	free(netdir);
}

/* The DNS domain of HOST: from its own dots, else from its canonical name (what `hostname -d` does). */
static void dns_domain(const char *host, char *out, size_t outlen)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	const char *dot = strchr(host, '.');

	if (dot) {
		copy_clean(out, outlen, dot + 1);
		return;
	}
	hints.ai_flags = AI_CANONNAME;
	hints.ai_family = AF_UNSPEC;
	if (getaddrinfo(host, NULL, &hints, &res) == 0 && res && res->ai_canonname &&
	    (dot = strchr(res->ai_canonname, '.')) != NULL)
		copy_clean(out, outlen, dot + 1);
	if (res)
		freeaddrinfo(res);
}

enum cl_status cl_device_identify(struct cl_device *dev, struct cl_error *err)
{
	char host[256] = "", *path, *text = NULL;
	struct passwd *pw = getpwuid(geteuid());

	memset(dev, 0, sizeof(*dev));
	if (cl_device_apid(dev->apid, err) != CL_OK)
		return CL_E_LOCAL;
	if (gethostname(host, sizeof(host) - 1) == 0) {
		char short_name[256];

		snprintf(short_name, sizeof(short_name), "%.*s", (int)strcspn(host, "."), host);
		copy_clean(dev->hostname, sizeof(dev->hostname), short_name);
	}
	if (pw && pw->pw_name)
		cl_device_split_login(pw->pw_name, dev->user, sizeof(dev->user), dev->domain,
		                      sizeof(dev->domain));
	else
		snprintf(dev->user, sizeof(dev->user), "uid%u", (unsigned)geteuid());
	if (!dev->domain[0] && host[0])
		dns_domain(host, dev->domain, sizeof(dev->domain));
	primary_mac(dev->mac);
	path = cl_paths_dmi_dir(NULL);
	if (path) {
		read_clean(path, "sys_vendor", dev->vendor, sizeof(dev->vendor));
		read_clean(path, "product_name", dev->product, sizeof(dev->product));
		read_clean(path, "product_serial", dev->serial, sizeof(dev->serial));
	}
	free(path);
	path = cl_paths_os_release(NULL);
	if (path && cl_fileio_read(path, 64 * 1024, &text, NULL, NULL) == CL_OK)
		cl_device_os_pretty_name(text, dev->os, sizeof(dev->os));
	free(text);
	free(path);
	return CL_OK;
}

/* A reason member: '[', ']', '/' and controls would break the prefix's shape. */
static void bracket_safe(char *dst, size_t dstlen, const char *src)
{
	size_t n = 0;

	for (; *src && n + 1 < dstlen; src++)
		dst[n++] = (strchr("[]/", *src) || (unsigned char)*src < 0x20 || *src == 0x7f) ? '_' : *src;
	dst[n] = '\0';
}

enum cl_status cl_device_reason(const struct cl_device *dev, enum cl_store_kind kind, const char *typed,
                                char *out, size_t outlen, struct cl_error *err)
{
	char host[CL_DEVICE_FIELD_MAX + 1], user[CL_DEVICE_FIELD_MAX + 1], domain[CL_DEVICE_FIELD_MAX + 1],
	    mac[18];
	int n;

	bracket_safe(host, sizeof(host), dev->hostname);
	bracket_safe(user, sizeof(user), dev->user);
	bracket_safe(domain, sizeof(domain), dev->domain);
	bracket_safe(mac, sizeof(mac), dev->mac);
	n = snprintf(out, outlen, "[%s]/[%s%s%s]/[%s]/[%s]:%s%s", host, user, domain[0] ? "@" : "", domain,
	             mac, kind == CL_STORE_COMPUTER ? "comp" : "user", typed && *typed ? " " : "",
	             typed ? typed : "");
	if (n < 0 || (size_t)n >= outlen)
		return cl_error_set(err, CL_E_LOCAL, "the reason is too long (%d characters)", n);
	return CL_OK;
}
