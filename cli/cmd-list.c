/* certlink command line: `certlink list`, the certificates and applications both stores have recorded.
 *
 * Certificates are shown as installed, expiring (inside the notification window of the settings, the same
 * window the renewal rule uses) or expired; applications that have not ended in an installed certificate
 * with their recorded state (pending, approved, withdrawn, ...). --json prints the records documents
 * themselves (docs/paths.md) with each certificate's state added.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "settings.h"
#include "table.h"
#include "words.h"

static const char help[] =
    N_("Usage: certlink list [--json] [--store user|computer|all]\n"
       "\n"
       "List the recorded certificates (installed, expiring, expired) and the\n"
       "applications that have not ended in an installed certificate (pending,\n"
       "approved, withdrawn, ...). Expiring means inside the notification window\n"
       "of the settings (default 14 days), when renewal is due.\n"
       "\n"
       "  --json                  print the records as JSON, with each certificate's state\n"
       "  --store user|computer|all  which store (default all)\n"
       "  -h, --help              show this help\n");

enum { OPT_JSON = 1, OPT_STORE };

struct store_view {
	enum cl_store_kind kind;
	struct cl_records *rec;
};

static void date_text(int64_t t, char out[16])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!t || !gmtime_r(&tt, &tm) || !strftime(out, 16, "%Y-%m-%d", &tm))
		snprintf(out, 16, "-");
}

static int print_table(const struct store_view *v, size_t n, int notify_days)
{
	int64_t now = (int64_t)time(NULL);
	const char *header[6] = { _("STORE"), _("TYPE"),    _("ID"),
		                  _("STATE"), _("EXPIRES"), _("SUBJECT / SERVER") };
	char date[16], what[600];
	struct cli_table table;
	bool ok;
	size_t i, j;

	cli_table_init(&table, 6);
	ok = cli_table_add(&table, header);
	for (i = 0; ok && i < n; i++) {
		const struct cl_records *rec = v[i].rec;
		const char *store = cl_words_store_name(v[i].kind);

		for (j = 0; ok && j < rec->n_certs; j++) {
			const struct cl_certificate *c = rec->certs[j];
			const char *row[6] = {
				store,     _("certificate"),
				c->serial, cl_words_cert_state(cl_certificate_state(c, now, notify_days)),
				date,      c->subject
			};

			date_text(c->not_after, date);
			ok = cli_table_add(&table, row);
		}
		for (j = 0; ok && j < rec->n_apps; j++) {
			const struct cl_application *a = rec->apps[j];
			const char *row[6] = { store, _("application"),
				               a->id, cl_words_app_state(a->state),
				               "-",   what };

			if (a->state == CL_APP_INSTALLED)
				continue; /* shown as its certificate */
			snprintf(what, sizeof(what), _("%s at %s:%d%s%s"), a->user, a->server_host,
			         a->server_port, a->renewal_of ? _(", renewing ") : "",
			         a->renewal_of ? a->renewal_of : "");
			ok = cli_table_add(&table, row);
		}
	}
	if (!ok) {
		cli_table_free(&table);
		cli_error(_("out of memory"));
		return cl_status_exit_code(CL_E_LOCAL);
	}
	if (table.rows > 1)
		cli_table_print(&table, stdout);
	else
		cli_info(_("no certificates or applications are recorded"));
	cli_table_free(&table);
	return CLI_EXIT_OK;
}

/* Each store's records document with "state" added to every certificate. */
static int print_json(const struct store_view *v, size_t n, int notify_days)
{
	int64_t now = (int64_t)time(NULL);
	cJSON *root = cJSON_CreateObject(), *stores = NULL, *certs, *c;
	char *text = NULL;
	size_t i, j;

	if (root && cJSON_AddNumberToObject(root, "version", 1) &&
	    cJSON_AddNumberToObject(root, "notify_days", notify_days))
		stores = cJSON_AddArrayToObject(root, "stores");
	for (i = 0; stores && i < n; i++) {
		cJSON *doc = cl_records_to_json(v[i].rec);

		if (!doc || !cJSON_AddItemToArray(stores, doc)) {
			cJSON_Delete(doc);
			stores = NULL;
			break;
		}
		certs = cJSON_GetObjectItemCaseSensitive(doc, "certificates");
		for (j = 0; j < v[i].rec->n_certs; j++) {
			const struct cl_certificate *rc = v[i].rec->certs[j];

			c = cJSON_GetArrayItem(certs, (int)j);
			if (!c ||
			    !cJSON_AddStringToObject(
			        c, "state", cl_cert_state_name(cl_certificate_state(rc, now, notify_days)))) {
				stores = NULL;
				break;
			}
		}
	}
	if (stores)
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

int cli_cmd_list(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON },
		                                  { "store", required_argument, NULL, OPT_STORE },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	static const enum cl_store_kind kinds[] = { CL_STORE_USER, CL_STORE_COMPUTER };
	enum cli_stores stores = CLI_STORES_ALL;
	struct store_view views[2];
	struct cl_settings settings;
	struct cl_error err;
	size_t n = 0, i;
	bool json = false;
	int c, r = CLI_EXIT_OK;

	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
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
	if (optind < argc)
		return cli_usage_error(argv[0], _("unexpected argument \"%s\""), argv[optind]);
	if (cl_settings_load(&settings, &err) != CL_OK)
		cli_note("%s", err.msg); /* the defaults are in place */
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (!cli_stores_has(stores, kinds[i]))
			continue;
		views[n].kind = kinds[i];
		views[n].rec = NULL;
		if (cl_records_load(kinds[i], &views[n].rec, &err) != CL_OK) {
			/* With both stores, one unreadable store (no HOME in a startup script) still lists
			 * the other. */
			if (stores != CLI_STORES_ALL) {
				r = cli_fail(&err);
				goto out;
			}
			cli_note(_("the %s store's records cannot be read: %s"), cl_store_kind_name(kinds[i]),
			         err.msg);
			continue;
		}
		n++;
	}
	r = json ? print_json(views, n, settings.notify_days) : print_table(views, n, settings.notify_days);
out:
	for (i = 0; i < n; i++)
		cl_records_free(views[i].rec);
	return r;
}
