/* certlink-server: the admin web page under /admin (see admin.h).
 *
 * Login with the admin token (GET /admin?token=... or the login form) opens a session: an HttpOnly,
 * SameSite=Strict cookie whose SHA-256 is stored with a CSRF token. Every form carries the CSRF token and
 * every POST checks it. Everything shown is HTML-escaped; the Content-Security-Policy allows no script at
 * all.
 */
#include "admin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "admin-networks.h"
#include "apps.h"
#include "ca.h"
#include "certs.h"
#include "config.h"
#include "db.h"
#include "invites.h"
#include "users.h"

#define SESSION_COOKIE "certlink_admin"
#define LOGIN_COOKIE   "certlink_login"
#define SESSION_TTL    (8 * 3600)
#define CSP                                                                                                 \
	"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none';" \
	" base-uri 'none'"

struct page {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct page *pg, const char *s, size_t n)
{
	if (pg->oom)
		return;
	if (pg->len + n + 1 > pg->cap) {
		size_t cap = (pg->cap ? pg->cap * 2 : 8192) + n;
		char *np = realloc(pg->p, cap);
		if (!np) {
			pg->oom = 1;
			return;
		}
		pg->p = np;
		pg->cap = cap;
	}
	memcpy(pg->p + pg->len, s, n);
	pg->len += n;
	pg->p[pg->len] = '\0';
}

/* Literal markup. */
static void raw(struct page *pg, const char *s)
{
	put(pg, s, strlen(s));
}

/* Text from anywhere, escaped for element content and quoted attributes. */
static void esc(struct page *pg, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&':
			raw(pg, "&amp;");
			break;
		case '<':
			raw(pg, "&lt;");
			break;
		case '>':
			raw(pg, "&gt;");
			break;
		case '"':
			raw(pg, "&quot;");
			break;
		case '\'':
			raw(pg, "&#39;");
			break;
		default:
			put(pg, s, 1);
		}
	}
}

static void fmt(struct page *pg, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void fmt(struct page *pg, const char *f, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, f);
	vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	raw(pg, buf);
}

static void head(struct page *pg, const char *title)
{
	raw(pg, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>");
	esc(pg, title);
	raw(pg, "</title><link rel=\"stylesheet\" href=\"/admin/admin.css\"></head><body><header><h1>");
	esc(pg, title);
	raw(pg, "</h1></header><main>");
}

static void finish(struct srv_response *resp, struct page *pg, unsigned status)
{
	raw(pg, "</main></body></html>\n");
	if (pg->oom) {
		free(pg->p);
		srv_resp_text(resp, 500, "text/plain; charset=utf-8", "out of memory\n");
		return;
	}
	srv_resp_body(resp, status, "text/html; charset=utf-8", pg->p, pg->len);
	srv_resp_header(resp, "Content-Security-Policy", CSP);
	srv_resp_header(resp, "X-Frame-Options", "DENY");
	srv_resp_header(resp, "Referrer-Policy", "no-referrer");
}

static void redirect(struct srv_response *resp, const char *to)
{
	srv_resp_text(resp, 303, "text/plain; charset=utf-8", "See other\n");
	srv_resp_header(resp, MHD_HTTP_HEADER_LOCATION, to);
}

/* Form fields of an application/x-www-form-urlencoded body, decoded in place into a copy. */
struct form {
	char *buf;
	const char *name[24];
	const char *value[24];
	int n;
};

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

static void decode(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s == '+') {
			*o++ = ' ';
		} else if (*s == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) << 4 | hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static int form_parse(struct srv_request *req, struct form *f)
{
	char *save = NULL, *pair, *eq;

	memset(f, 0, sizeof(*f));
	f->buf = strndup(req->body ? req->body : "", req->body_len);
	if (!f->buf)
		return -1;
	for (pair = strtok_r(f->buf, "&", &save); pair && f->n < 24; pair = strtok_r(NULL, "&", &save)) {
		eq = strchr(pair, '=');
		if (!eq)
			continue;
		*eq = '\0';
		decode(pair);
		decode(eq + 1);
		f->name[f->n] = pair;
		f->value[f->n++] = eq + 1;
	}
	return 0;
}

static const char *form_get(const struct form *f, const char *name)
{
	int i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->name[i], name))
			return f->value[i];
	return NULL;
}

/* form_get() for admin-networks.c. */
static const char *form_field(void *form, const char *name)
{
	return form_get(form, name);
}

static void form_free(struct form *f)
{
	if (f->buf) {
		OPENSSL_cleanse(f->buf, strlen(f->buf));
		free(f->buf);
	}
}

/* The session's CSRF token into csrf[64] when the cookie names a live session. */
static int session(struct srv_request *req, sqlite3 *db, char csrf[64])
{
	const char *id = srv_req_cookie(req, SESSION_COOKIE);
	sqlite3_stmt *st;
	char hash[65];
	int ok = 0;

	if (!id || strlen(id) > 128)
		return 0;
	srv_sha256_hex(id, strlen(id), hash);
	st = srv_db_prepare(db, "SELECT csrf FROM sessions WHERE id_hash = ? AND expires > ?", NULL);
	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) == SQLITE_ROW) {
		srv_db_col_copy(st, 0, csrf, 64);
		ok = 1;
	}
	sqlite3_finalize(st);
	return ok;
}

static int session_open(sqlite3 *db, struct srv_response *resp)
{
	char *id = srv_token_new(32), *csrf = srv_token_new(24), hash[65], cookie[160];
	sqlite3_stmt *st =
	    id && csrf
	        ? srv_db_prepare(db, "INSERT INTO sessions(id_hash, csrf, expires) VALUES(?,?,?)", NULL)
	        : NULL;
	int ok = 0;

	if (st) {
		srv_sha256_hex(id, strlen(id), hash);
		sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, csrf, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (sqlite3_int64)(time(NULL) + SESSION_TTL));
		ok = sqlite3_step(st) == SQLITE_DONE;
		sqlite3_finalize(st);
		sqlite3_exec(db, "DELETE FROM sessions WHERE expires < strftime('%s', 'now')", NULL, NULL,
		             NULL);
	}
	if (ok) {
		snprintf(cookie, sizeof(cookie),
		         SESSION_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%d", id,
		         SESSION_TTL);
		srv_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
		OPENSSL_cleanse(cookie, sizeof(cookie));
	}
	srv_free_secret(id);
	srv_free_secret(csrf);
	return ok;
}

static void login_page(struct srv_response *resp, const char *error, unsigned status)
{
	struct page pg = { 0 };
	char *csrf = srv_token_new(24), cookie[128];

	head(&pg, "certlink-server administration");
	if (error) {
		raw(&pg, "<p class=\"error\">");
		esc(&pg, error);
		raw(&pg, "</p>");
	}
	raw(&pg,
	    "<form method=\"post\" action=\"/admin/login\"><input type=\"hidden\" name=\"csrf\" value=\"");
	esc(&pg, csrf ? csrf : "");
	raw(&pg, "\"><label>Admin token <input type=\"password\" name=\"token\" autocomplete=\"off\" "
	         "required></label> "
	         "<button type=\"submit\">Log in</button></form>");
	finish(resp, &pg, status);
	if (csrf) {
		snprintf(cookie, sizeof(cookie),
		         LOGIN_COOKIE "=%s; Path=/admin; Secure; HttpOnly; SameSite=Strict", csrf);
		srv_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE, cookie);
	}
	srv_free_secret(csrf);
}

static void csrf_field(struct page *pg, const char *csrf)
{
	raw(pg, "<input type=\"hidden\" name=\"csrf\" value=\"");
	esc(pg, csrf);
	raw(pg, "\">");
}

static void button(struct page *pg, const char *csrf, const char *action, const char *name, const char *value,
                   const char *label)
{
	fmt(pg, "<form class=\"inline\" method=\"post\" action=\"/admin/%s\">", action);
	csrf_field(pg, csrf);
	fmt(pg, "<input type=\"hidden\" name=\"%s\" value=\"", name);
	esc(pg, value);
	raw(pg, "\"><button type=\"submit\">");
	esc(pg, label);
	raw(pg, "</button></form>");
}

static const char *str_of(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "";
}

static void invite_form(struct page *pg, const char *csrf)
{
	raw(pg, "<section><h2>New invitation</h2><form method=\"post\" action=\"/admin/invite\">");
	csrf_field(pg, csrf);
	raw(pg, "<label>User <input name=\"user\" maxlength=\"64\"></label> "
	        "<label>Store <select name=\"store\"><option value=\"\">person chooses</option>"
	        "<option value=\"user\">user</option><option "
	        "value=\"computer\">computer</option></select></label> "
	        "<label><input type=\"checkbox\" name=\"passwordless\" value=\"1\"> passwordless</label> "
	        "<label><input type=\"checkbox\" name=\"code\" value=\"1\"> invitation code</label> "
	        "<label>Expires in <input name=\"expires_days\" type=\"number\" min=\"1\" max=\"365\" "
	        "value=\"7\"> days"
	        "</label> <button type=\"submit\">Create invitation</button></form></section>");
}

/* The computer name an administrator is offered for a computer-store application: the approved one, else
 * what the client reported at activation, else the host in the reason's "[host]/..." prefix; "" when none
 * is a host name. The administrator sees it in the form and approves it or types another. */
static void suggested_name(const cJSON *a, char *out, size_t n)
{
	const char *reason = str_of(a, "reason"), *end;
	const char *host = str_of(cJSON_GetObjectItemCaseSensitive(a, "device"), "hostname");

	snprintf(out, n, "%s", str_of(a, "computer_name"));
	if (!out[0])
		snprintf(out, n, "%s", host);
	if (!out[0] && reason[0] == '[' && (end = strchr(reason, ']')) && (size_t)(end - reason) < n)
		snprintf(out, n, "%.*s", (int)(end - reason - 1), reason + 1);
	if (!srv_hostname_ok(out))
		out[0] = '\0';
}

static void approve_form(struct page *pg, const char *csrf, const cJSON *a, const char *label)
{
	char name[256];

	suggested_name(a, name, sizeof(name));
	raw(pg, "<form class=\"inline\" method=\"post\" action=\"/admin/approve\">");
	csrf_field(pg, csrf);
	raw(pg, "<input type=\"hidden\" name=\"id\" value=\"");
	esc(pg, str_of(a, "id"));
	raw(pg, "\"><label>Computer name <input name=\"computer_name\" maxlength=\"253\" value=\"");
	esc(pg, name);
	raw(pg, "\"></label><button type=\"submit\">");
	esc(pg, label);
	raw(pg, "</button></form>");
}

static void apps_table(struct page *pg, sqlite3 *db, const char *csrf)
{
	cJSON *apps = srv_apps_list(db, 500), *a;
	int computer;

	raw(pg, "<section><h2>Applications</h2><table><thead><tr><th>ID</th><th>User</th><th>Store</"
	        "th><th>State</th>"
	        "<th>Created</th><th>E-mail (typed)</th><th>Reason</th><th>Device "
	        "note</th><th>Computer name</th><th>Certificate</th><th></th></tr>"
	        "</thead><tbody>");
	cJSON_ArrayForEach(a, apps)
	{
		const char *state = str_of(a, "state"), *id = str_of(a, "id");
		raw(pg, "<tr><td><code>");
		esc(pg, id);
		raw(pg, "</code></td><td>");
		esc(pg, str_of(a, "user"));
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "store"));
		fmt(pg, "</td><td class=\"state-%s\">", !strcmp(state, "pending") ? "pending" : "other");
		esc(pg, state);
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "created"));
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "email"));
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "reason"));
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "device_note"));
		raw(pg, "</td><td>");
		esc(pg, str_of(a, "computer_name"));
		raw(pg, "</td><td><code>");
		esc(pg, str_of(a, "certificate_serial"));
		raw(pg, "</code></td><td>");
		computer = !strcmp(str_of(a, "store"), "computer");
		if (computer && (!strcmp(state, "pending") || !strcmp(state, "rejected")))
			approve_form(pg, csrf, a, "Approve");
		else if (!strcmp(state, "pending") || !strcmp(state, "rejected"))
			button(pg, csrf, "approve", "id", id, "Approve");
		else if (computer && !strcmp(state, "approved"))
			approve_form(pg, csrf, a, "Set computer name");
		if (!strcmp(state, "pending") || !strcmp(state, "approved"))
			button(pg, csrf, "reject", "id", id, "Reject");
		if (!strcmp(state, "approved") && srv_config_bool(db, "hold_issuance") &&
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "released")))
			button(pg, csrf, "release", "id", id, "Release");
		raw(pg, "</td></tr>");
	}
	raw(pg, "</tbody></table></section>");
	cJSON_Delete(apps);
}

/* The user directory: who may enrol, and the e-mail address their certificates carry. */
static void users_table(struct page *pg, sqlite3 *db, const char *csrf)
{
	cJSON *users = srv_users_list(db), *u;

	raw(pg, "<section><h2>Users</h2><table><thead><tr><th>User</th><th>Password</th>"
	        "<th>E-mail in certificates</th></tr></thead><tbody>");
	cJSON_ArrayForEach(u, users)
	{
		raw(pg, "<tr><td>");
		esc(pg, str_of(u, "name"));
		raw(pg, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "password"))
		            ? "</td><td>yes</td><td>"
		            : "</td><td>no</td><td>");
		raw(pg, "<form class=\"inline\" method=\"post\" action=\"/admin/user-email\">");
		csrf_field(pg, csrf);
		raw(pg, "<input type=\"hidden\" name=\"user\" value=\"");
		esc(pg, str_of(u, "name"));
		raw(pg, "\"><input name=\"email\" type=\"email\" maxlength=\"128\" value=\"");
		esc(pg, str_of(u, "email"));
		raw(pg, "\"><button type=\"submit\">Save</button></form></td></tr>");
	}
	raw(pg, "</tbody></table><form method=\"post\" action=\"/admin/user-add\">");
	csrf_field(pg, csrf);
	raw(pg, "<label>User <input name=\"user\" maxlength=\"64\" required></label> "
	        "<label>E-mail <input name=\"email\" type=\"email\" maxlength=\"128\"></label> "
	        "<label>Password <input name=\"password\" type=\"password\" autocomplete=\"new-password\" "
	        "maxlength=\"256\"></label> <button type=\"submit\">Add user</button></form></section>");
	cJSON_Delete(users);
}

/* The latest invitations; one still usable can be revoked (a link sent to the wrong person). */
static void invites_table(struct page *pg, sqlite3 *db, const char *csrf)
{
	cJSON *invites = srv_invites_list(db, 200), *v;

	raw(pg,
	    "<section><h2>Invitations</h2><table><thead><tr><th>ID</th><th>User</th><th>Store</th>"
	    "<th>Kind</th><th>Created</th><th>Expires</th><th>Application</th><th>State</th><th></th></tr>"
	    "</thead><tbody>");
	cJSON_ArrayForEach(v, invites)
	{
		const char *state = str_of(v, "state"), *user = str_of(v, "user"),
		           *store = str_of(v, "store");
		int passwordless = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "passwordless"));
		int code = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "code"));

		raw(pg, "<tr><td><code>");
		esc(pg, str_of(v, "id"));
		raw(pg, "</code></td><td>");
		esc(pg, user[0] ? user : "anyone with the code");
		raw(pg, "</td><td>");
		esc(pg, store[0] ? store : "person chooses");
		raw(pg, "</td><td>");
		raw(pg, passwordless && code ? "passwordless, code"
		        : passwordless       ? "passwordless"
		        : code               ? "code"
		                             : "password");
		raw(pg, "</td><td>");
		esc(pg, str_of(v, "created"));
		raw(pg, "</td><td>");
		esc(pg, str_of(v, "expires"));
		raw(pg, "</td><td><code>");
		esc(pg, str_of(v, "application"));
		raw(pg, "</code></td><td>");
		esc(pg, state);
		raw(pg, "</td><td>");
		if (!strcmp(state, "open") || !strcmp(state, "used"))
			button(pg, csrf, "invite-revoke", "id", str_of(v, "id"), "Revoke");
		raw(pg, "</td></tr>");
	}
	raw(pg, "</tbody></table></section>");
	cJSON_Delete(invites);
}

static void certs_table(struct page *pg, sqlite3 *db, const char *csrf)
{
	cJSON *certs = srv_certs_list(db, 500), *c;

	raw(pg, "<section><h2>Certificates</h2><table><thead><tr><th>Serial</th><th>Subject</th><th>User</th>"
	        "<th>Not after</th><th>Application</th><th>Status</th><th></th></tr></thead><tbody>");
	cJSON_ArrayForEach(c, certs)
	{
		int revoked = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(c, "revoked"));
		raw(pg, "<tr><td><code>");
		esc(pg, str_of(c, "serial"));
		raw(pg, "</code></td><td>");
		esc(pg, str_of(c, "subject"));
		raw(pg, "</td><td>");
		esc(pg, str_of(c, "user"));
		raw(pg, "</td><td>");
		esc(pg, str_of(c, "not_after"));
		raw(pg, "</td><td><code>");
		esc(pg, str_of(c, "application"));
		raw(pg, revoked ? "</code></td><td>revoked</td><td>" : "</code></td><td>valid</td><td>");
		if (!revoked)
			button(pg, csrf, "revoke", "serial", str_of(c, "serial"), "Revoke");
		raw(pg, "</td></tr>");
	}
	raw(pg, "</tbody></table></section>");
	cJSON_Delete(certs);
}

static void dashboard(struct srv_request *req, struct srv_response *resp, sqlite3 *db, const char *csrf,
                      const char *link, const char *notice)
{
	struct page pg = { 0 };
	char service[SRV_CONFIG_VALUE_MAX];

	srv_config_get(db, "service_name", service, sizeof(service));
	head(&pg, "certlink-server administration");
	raw(&pg, "<p class=\"meta\">Service: ");
	esc(&pg, service);
	raw(&pg, " &middot; CA SHA-256: <code>");
	esc(&pg, req->srv->ca->fp_hex);
	raw(&pg, "</code> &middot; automatic approval: ");
	raw(&pg, srv_config_bool(db, "auto_approve") ? "on" : "off");
	raw(&pg, "</p><form class=\"inline logout\" method=\"post\" action=\"/admin/logout\">");
	csrf_field(&pg, csrf);
	raw(&pg, "<button type=\"submit\">Log out</button></form>");
	if (notice) {
		raw(&pg, "<p class=\"error\">");
		esc(&pg, notice);
		raw(&pg, "</p>");
	}
	if (link) {
		raw(&pg, "<section class=\"invitation\"><h2>Invitation created</h2><p>Send this link to the "
		         "person. It is "
		         "shown only now.</p><p><a id=\"invitation-link\" href=\"");
		esc(&pg, link);
		raw(&pg, "\">Open the invitation with certlink</a></p><p><textarea readonly rows=\"3\" "
		         "cols=\"100\">");
		esc(&pg, link);
		raw(&pg, "</textarea></p></section>");
	}
	invite_form(&pg, csrf);
	invites_table(&pg, db, csrf);
	apps_table(&pg, db, csrf);
	certs_table(&pg, db, csrf);
	users_table(&pg, db, csrf);
	{
		char *networks = srv_admin_networks_html(db, csrf);

		raw(&pg, networks ? networks : "<p class=\"error\">out of memory</p>");
		free(networks);
	}
	finish(resp, &pg, link ? 201 : 200);
}

static const char css[] =
    "body{font-family:sans-serif;margin:0;color:#1d2330;background:#f6f7f9}"
    "header{background:#1d3557;color:#fff;padding:.6em 1.2em}h1{font-size:1.3em;margin:0}"
    "main{padding:1em 1.2em}section{background:#fff;border:1px solid #d6dae1;border-radius:6px;padding:.4em "
    "1em;"
    "margin:1em 0}h2{font-size:1.1em}table{border-collapse:collapse;width:100%;font-size:.9em}"
    "th,td{border-bottom:1px solid #e3e6eb;padding:.3em .4em;text-align:left;vertical-align:top}"
    ".inline{display:inline}.logout{float:right}.error{color:#b00020;font-weight:bold}.meta{color:#555}"
    ".state-pending{color:#b36b00;font-weight:bold}textarea{width:100%;font-family:monospace}"
    "button{margin:0 .2em}.invitation{border-color:#2a9d8f}label{margin-right:.8em}";

static void post_action(struct srv_request *req, struct srv_response *resp, sqlite3 *db, const char *csrf,
                        const char *action)
{
	struct form f;
	const char *sent, *id;
	struct srv_err err = { 0 };
	struct srv_app app = { 0 };
	struct cl_error cerr;
	int rc;

	if (form_parse(req, &f) != 0) {
		srv_resp_error(resp, 500, "internal", "out of memory", 0);
		return;
	}
	sent = form_get(&f, "csrf");
	if (!sent || strlen(sent) != strlen(csrf) || CRYPTO_memcmp(sent, csrf, strlen(csrf)) != 0) {
		srv_resp_error(resp, 403, "forbidden",
		               "The form's CSRF token is missing or wrong; reload the page.", 0);
		goto out;
	}
	if (!strcmp(action, "logout")) {
		const char *cookie = srv_req_cookie(req, SESSION_COOKIE);
		char hash[65];
		sqlite3_stmt *st = srv_db_prepare(db, "DELETE FROM sessions WHERE id_hash = ?", NULL);
		srv_sha256_hex(cookie, strlen(cookie), hash);
		if (st) {
			sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
			sqlite3_step(st);
			sqlite3_finalize(st);
		}
		srv_resp_header(resp, MHD_HTTP_HEADER_SET_COOKIE, SESSION_COOKIE "=; Path=/; Max-Age=0");
		redirect(resp, "/admin");
	} else if (!strcmp(action, "invite")) {
		struct srv_invite_req in = { 0 };
		struct srv_invite inv;
		char *link = NULL;
		const char *user = form_get(&f, "user"), *store = form_get(&f, "store"),
		           *days = form_get(&f, "expires_days");
		in.user = user && *user ? user : NULL;
		in.store = store && *store ? store : NULL;
		in.passwordless = form_get(&f, "passwordless") != NULL;
		in.code = form_get(&f, "code") ? "" : NULL;
		in.expires_days = days && *days ? atoi(days) : 7;
		if (srv_invite_create(db, req->srv->ca, &in, &inv, &link, &err) != CL_OK)
			dashboard(req, resp, db, csrf, NULL, err.e.msg);
		else
			dashboard(req, resp, db, csrf, link, NULL);
		srv_free_secret(link);
	} else if (!strcmp(action, "user-add") || !strcmp(action, "user-email")) {
		const char *user = form_get(&f, "user"), *email = form_get(&f, "email"),
		           *password = form_get(&f, "password");
		email = email && *email ? email : NULL;
		if (!user ||
		    (!strcmp(action, "user-add")
		         ? srv_user_add(db, user, password && *password ? password : NULL, email, &cerr)
		         : srv_user_set_email(db, user, email, &cerr)) != CL_OK)
			dashboard(req, resp, db, csrf, NULL, user ? cerr.msg : "No user given.");
		else
			redirect(resp, "/admin");
	} else if (!strcmp(action, "approve") || !strcmp(action, "reject") || !strcmp(action, "release")) {
		const char *name = form_get(&f, "computer_name");
		id = form_get(&f, "id");
		if (!id || srv_apps_decide(db, id,
		                           !strcmp(action, "approve")  ? SRV_APPROVE
		                           : !strcmp(action, "reject") ? SRV_REJECT
		                                                       : SRV_RELEASE,
		                           name && *name ? name : NULL, &app, &err) != CL_OK)
			dashboard(req, resp, db, csrf, NULL, id ? err.e.msg : "No application given.");
		else
			redirect(resp, "/admin");
	} else if ((rc = srv_admin_networks_post(db, action, form_field, &f, &cerr)) >= 0) {
		if (rc)
			dashboard(req, resp, db, csrf, NULL, cerr.msg);
		else
			redirect(resp, "/admin");
	} else if (!strcmp(action, "invite-revoke")) {
		id = form_get(&f, "id");
		if (!id || srv_invite_revoke(db, id, &err) != CL_OK)
			dashboard(req, resp, db, csrf, NULL, id ? err.e.msg : "No invitation given.");
		else
			redirect(resp, "/admin");
	} else if (!strcmp(action, "revoke")) {
		id = form_get(&f, "serial");
		if (!id || srv_certs_revoke(db, id, &err) != CL_OK)
			dashboard(req, resp, db, csrf, NULL, id ? err.e.msg : "No serial given.");
		else
			redirect(resp, "/admin");
	} else {
		srv_resp_error(resp, 404, "not_found", "No such admin action.", 0);
	}
out:
	srv_app_clear(&app);
	form_free(&f);
}

static void login_post(struct srv_request *req, struct srv_response *resp, sqlite3 *db)
{
	const char *cookie = srv_req_cookie(req, LOGIN_COOKIE), *sent, *token;
	struct form f;

	if (form_parse(req, &f) != 0) {
		srv_resp_error(resp, 500, "internal", "out of memory", 0);
		return;
	}
	sent = form_get(&f, "csrf");
	token = form_get(&f, "token");
	if (!cookie || !sent || strlen(cookie) != strlen(sent) ||
	    CRYPTO_memcmp(cookie, sent, strlen(sent)) != 0)
		login_page(resp, "The login form expired; try again.", 403);
	else if (!srv_admin_token_ok(db, token))
		login_page(resp, "Wrong admin token.", 401);
	else if (session_open(db, resp))
		redirect(resp, "/admin");
	else
		srv_resp_error(resp, 503, "unavailable", "The server is busy.", 2);
	form_free(&f);
}

void srv_admin_page_handle(struct srv_request *req, struct srv_response *resp)
{
	struct cl_error err = { 0 };
	sqlite3 *db = srv_db_thread(&err);
	const char *p = req->path, *token;
	char csrf[64];
	int get = !strcmp(req->method, "GET"), post = !strcmp(req->method, "POST");

	if (!db) {
		srv_resp_fail(resp, &err);
		return;
	}
	if (!strcmp(p, "/admin/admin.css") && get) {
		srv_resp_text(resp, 200, "text/css; charset=utf-8", css);
	} else if (!strcmp(p, "/admin") && get && (token = srv_req_arg(req, "token"))) {
		/* Trade the token in the URL for a session cookie at once, so it leaves the address bar. */
		if (!srv_admin_token_ok(db, token))
			login_page(resp, "Wrong admin token.", 401);
		else if (session_open(db, resp))
			redirect(resp, "/admin");
		else
			srv_resp_error(resp, 503, "unavailable", "The server is busy.", 2);
	} else if (!strcmp(p, "/admin/login") && post) {
		login_post(req, resp, db);
	} else if (!session(req, db, csrf)) {
		if (post)
			srv_resp_error(resp, 403, "forbidden", "Log in first.", 0);
		else
			login_page(resp, NULL, strcmp(p, "/admin") ? 401 : 200);
	} else if (!strcmp(p, "/admin") && get) {
		dashboard(req, resp, db, csrf, NULL, NULL);
	} else if (post && !strncmp(p, "/admin/", 7)) {
		post_action(req, resp, db, csrf, p + 7);
	} else {
		srv_resp_error(resp, 404, "not_found", "No such page.", 0);
	}
}

void srv_admin_page_index(struct srv_request *req, struct srv_response *resp)
{
	struct page pg = { 0 };

	head(&pg, "certlink-server");
	raw(&pg, "<p>This is a certlink enrollment server. Enrollment clients use <code>/api/v1/</code> and "
	         "<code>/scep</code>. Administrators: <a href=\"/admin\">administration</a>. CA certificate: "
	         "<a href=\"/ca.pem\">ca.pem</a>, SHA-256 <code>");
	esc(&pg, req->srv->ca->fp_hex);
	raw(&pg, "</code>.</p>");
	finish(resp, &pg, 200);
}
