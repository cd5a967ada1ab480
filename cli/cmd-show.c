/* certlink command line: `certlink show ID|SERIAL`, one certificate or application in detail.
 *
 * A certificate is described from its installed file (core/certinfo.h): subject, issuer, serial, validity,
 * key, SHA-256 and SHA-1 fingerprints, subject alternative names, and every place it was installed. An
 * application without a certificate shows its recorded state.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/pem.h>

#include "certinfo.h"
#include "settings.h"
#include "words.h"

static const char help[] =
    N_("Usage: certlink show ID|SERIAL [--json] [--pem] [--store user|computer|all]\n"
       "\n"
       "Show a certificate (by serial) or an application (by the id certlink list\n"
       "shows): subject, issuer, serial, validity, key, fingerprints, alternative\n"
       "names and where it is stored.\n"
       "\n"
       "  --json                  print it as JSON\n"
       "  --pem                   print the certificate in PEM (with --json: a \"pem\" member)\n"
       "  --store user|computer|all  where to look (default all, the user store first)\n"
       "  -h, --help              show this help\n");

enum { OPT_JSON = 1, OPT_PEM, OPT_STORE };

struct shown {
	const struct cli_found *found;
	X509 *x509;
	struct cl_certinfo info;
	enum cl_cert_state state;
	const char *cert_path;
};

/* "AB:CD:..." of N octets written as 2N hex digits. */
static void colon_hex(const char *hex, char *out, size_t size)
{
	size_t i, o = 0;

	for (i = 0; hex[i] && hex[i + 1] && o + 4 <= size; i += 2) {
		if (i)
			out[o++] = ':';
		out[o++] = (char)(hex[i] >= 'a' ? hex[i] - 'a' + 'A' : hex[i]);
		out[o++] = (char)(hex[i + 1] >= 'a' ? hex[i + 1] - 'a' + 'A' : hex[i + 1]);
	}
	out[o] = '\0';
}

static const char *cert_file(const struct cl_certificate *c)
{
	size_t i;

	for (i = 0; i < c->locations.n; i++)
		if (c->locations.items[i].kind == CL_LOC_CERTIFICATE)
			return c->locations.items[i].path;
	return NULL;
}

static void print_app_text(const struct cl_application *a)
{
	char t[32];

	printf(_("Application %s\n"), a->id);
	printf(_("  State:        %s\n"), cl_words_app_state(a->state));
	printf(_("  Server:       %s:%d%s%s%s\n"), a->server_host, a->server_port, a->server_name ? " (" : "",
	       a->server_name ? a->server_name : "", a->server_name ? ")" : "");
	printf(_("  User:         %s\n"), a->user);
	printf(_("  Server id:    %s\n"), a->server_id ? a->server_id : "-");
	printf(_("  Created:      %s\n"), cli_time_text(a->created, t));
	printf(_("  Updated:      %s\n"), cli_time_text(a->updated, t));
	if (a->renewal_of)
		printf(_("  Renewing:     %s\n"), a->renewal_of);
	if (a->serial)
		printf(_("  Certificate:  %s\n"), a->serial);
	if (a->last_error)
		printf(_("  Last error:   %s\n"), a->last_error);
}

static void print_cert_text(const struct shown *s)
{
	const struct cl_certificate *c = s->found->cert;
	const struct cl_certinfo *i = &s->info;
	char t[32], fp[200];
	size_t k;

	printf(_("Certificate %s\n"), i->serial);
	printf(_("  Subject:      %s\n"), i->subject);
	printf(_("  Issuer:       %s\n"), i->issuer);
	printf(_("  Serial:       %s\n"), i->serial);
	printf(_("  Valid from:   %s\n"), cli_time_text(i->not_before, t));
	printf(_("  Valid until:  %s (%s)\n"), cli_time_text(i->not_after, t), cl_words_cert_state(s->state));
	printf(_("  Key:          %s %d bits\n"), cl_words_key(i->key_type), i->key_bits);
	colon_hex(i->sha256, fp, sizeof(fp));
	printf(_("  SHA-256:      %s\n"), fp);
	colon_hex(i->sha1, fp, sizeof(fp));
	printf(_("  SHA-1:        %s\n"), fp);
	printf(_("  Alt. names:   %s\n"), i->sans[0] ? i->sans : "-");
	printf(_("  Store:        %s\n"), cl_words_store_name(s->found->store));
	if (c->server_host)
		printf(_("  Server:       %s:%d (user %s)\n"), c->server_host, c->server_port,
		       c->user ? c->user : "-");
	if (s->found->app)
		printf(_("  Application:  %s (%s)\n"), s->found->app->id,
		       cl_words_app_state(s->found->app->state));
	else
		printf(_("  Application:  %s\n"), c->application ? c->application : "-");
	printf(_("  Stored in:\n"));
	for (k = 0; k < c->locations.n; k++) {
		const struct cl_location *l = &c->locations.items[k];

		printf("    %-16s %s%s%s%s\n", cl_location_kind_name(l->kind), l->path,
		       l->nickname ? " (" : "", l->nickname ? l->nickname : "", l->nickname ? ")" : "");
	}
}

static cJSON *app_json(const struct cl_application *a)
{
	cJSON *o = cJSON_CreateObject();
	char t[32];

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "id", a->id);
	cJSON_AddStringToObject(o, "state", cl_app_state_name(a->state));
	cJSON_AddStringToObject(o, "server_host", a->server_host);
	cJSON_AddNumberToObject(o, "server_port", a->server_port);
	cJSON_AddStringToObject(o, "user", a->user);
	if (a->server_id)
		cJSON_AddStringToObject(o, "server_id", a->server_id);
	cJSON_AddStringToObject(o, "created", cli_time_text(a->created, t));
	cJSON_AddStringToObject(o, "updated", cli_time_text(a->updated, t));
	if (a->renewal_of)
		cJSON_AddStringToObject(o, "renewal_of", a->renewal_of);
	if (a->serial)
		cJSON_AddStringToObject(o, "serial", a->serial);
	if (a->last_error)
		cJSON_AddStringToObject(o, "last_error", a->last_error);
	return o;
}

static cJSON *cert_json(const struct shown *s, bool pem)
{
	const struct cl_certificate *c = s->found->cert;
	const struct cl_certinfo *i = &s->info;
	cJSON *o = cJSON_CreateObject(), *locs;
	char t[32];
	BIO *bio;
	char *data;
	long len;

	if (!o)
		return NULL;
	cJSON_AddStringToObject(o, "serial", i->serial);
	cJSON_AddStringToObject(o, "subject", i->subject);
	cJSON_AddStringToObject(o, "issuer", i->issuer);
	cJSON_AddStringToObject(o, "not_before", cli_time_text(i->not_before, t));
	cJSON_AddStringToObject(o, "not_after", cli_time_text(i->not_after, t));
	cJSON_AddStringToObject(o, "state", cl_cert_state_name(s->state));
	cJSON_AddStringToObject(o, "key_type", i->key_type);
	cJSON_AddNumberToObject(o, "key_bits", i->key_bits);
	cJSON_AddStringToObject(o, "sha256", i->sha256);
	cJSON_AddStringToObject(o, "sha1", i->sha1);
	cJSON_AddStringToObject(o, "sans", i->sans);
	cJSON_AddStringToObject(o, "store", cl_store_kind_name(s->found->store));
	if (c->server_host) {
		cJSON_AddStringToObject(o, "server_host", c->server_host);
		cJSON_AddNumberToObject(o, "server_port", c->server_port);
	}
	if (c->user)
		cJSON_AddStringToObject(o, "user", c->user);
	if (c->application)
		cJSON_AddStringToObject(o, "application", c->application);
	locs = cl_locations_to_json(&c->locations);
	if (locs)
		cJSON_AddItemToObject(o, "locations", locs);
	if (pem && (bio = BIO_new(BIO_s_mem()))) {
		/* The terminating NUL goes through the BIO too, so the memory is one C string. */
		if (PEM_write_bio_X509(bio, s->x509) && BIO_write(bio, "", 1) == 1 &&
		    (len = BIO_get_mem_data(bio, &data)) > 0)
			cJSON_AddStringToObject(o, "pem", data);
		BIO_free(bio);
	}
	return o;
}

static int print_json(const struct shown *s, bool pem)
{
	cJSON *root = cJSON_CreateObject(), *item;
	char *text = NULL;

	if (root && s->found->cert) {
		item = cert_json(s, pem);
		if (item)
			cJSON_AddItemToObject(root, "certificate", item);
	}
	if (root && s->found->app) {
		item = app_json(s->found->app);
		if (item)
			cJSON_AddItemToObject(root, "application", item);
	}
	if (root)
		text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text) {
		cli_error(_("out of memory"));
		return cl_status_exit_code(CL_E_LOCAL);
	}
	printf("%s\n", text);
	free(text);
	return CLI_EXIT_OK;
}

/* Read the installed certificate and describe it. */
static int describe(struct shown *s)
{
	const struct cl_certificate *c = s->found->cert;
	struct cl_settings settings;
	struct cl_error err;

	s->cert_path = cert_file(c);
	if (!s->cert_path) {
		cli_error(_("certificate %s has no certificate file recorded"), c->serial);
		return cl_status_exit_code(CL_E_LOCAL);
	}
	if (cl_certinfo_read_pem(s->cert_path, &s->x509, &err) != CL_OK ||
	    cl_certinfo_get(s->x509, &s->info, &err) != CL_OK) {
		cl_error_prefix(&err, "certificate %s", c->serial);
		return cli_fail(&err);
	}
	cl_settings_load(&settings, NULL);
	s->state = cl_certificate_state(c, (int64_t)time(NULL), settings.notify_days);
	return CLI_EXIT_OK;
}

int cli_cmd_show(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON },
		                                  { "pem", no_argument, NULL, OPT_PEM },
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	enum cli_stores stores = CLI_STORES_ALL;
	struct cli_found found;
	struct shown s;
	bool json = false, pem = false;
	int c, r;

	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
			break;
		case OPT_PEM:
			pem = true;
			break;
		case OPT_STORE:
			if (!cli_stores_parse(optarg, true, &stores))
				return cli_usage_error(argv[0], _("--store must be user, computer or all"));
			break;
		case 'h':
			fputs(_(help), stdout);
			return CLI_EXIT_OK;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (argc - optind != 1)
		return cli_usage_error(argv[0], _("name one certificate serial or application id"));
	r = cli_find(argv[optind], stores, &found);
	if (r)
		return r;
	memset(&s, 0, sizeof(s));
	s.found = &found;
	if (found.cert)
		r = describe(&s);
	else if (pem)
		r = cli_usage_error(argv[0], _("application %s has no installed certificate to print"),
		                    argv[optind]);
	if (r == CLI_EXIT_OK) {
		if (json)
			r = print_json(&s, pem);
		else if (pem)
			r = PEM_write_X509(stdout, s.x509) ? CLI_EXIT_OK : cl_status_exit_code(CL_E_LOCAL);
		else if (found.cert)
			print_cert_text(&s);
		else
			print_app_text(found.app);
	}
	X509_free(s.x509);
	cli_found_clear(&found);
	return r;
}
