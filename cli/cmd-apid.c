/* certlink command line: `certlink apid`, the device's APID and the device details an activation sends to
 * the server (docs/protocol.md section 6), so an administrator can register the APID (certlink-server
 * apid-add) or check what the server will see. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "device.h"

static const char help[] = N_("Usage: certlink apid [--json]\n"
                              "\n"
                              "Show this device's APID and the device details certlink sends to the\n"
                              "enrollment server when it activates an application.\n"
                              "\n"
                              "  --json          print them as the JSON object sent to the server\n"
                              "  -h, --help      show this help\n");

enum { OPT_JSON = 1 };

#define CLIENT_NAME "certlink " CERTLINK_VERSION

/* The members of the activation's "device" object, in its order; an empty one is not sent. */
struct member {
	const char *name;
	const char *label;
	const char *value;
};

static size_t members(const struct cl_device *d, struct member out[9])
{
	const struct member m[] = {
		{ "hostname", N_("Host name"), d->hostname },
		{ "user", N_("User"), d->user },
		{ "domain", N_("Domain"), d->domain },
		{ "mac", N_("MAC address"), d->mac },
		{ "serial", N_("Serial number"), d->serial },
		{ "vendor", N_("Vendor"), d->vendor },
		{ "apid", N_("APID"), d->apid },
		{ "os", N_("Operating system"), d->os },
		{ "client", N_("Client"), CLIENT_NAME },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		out[i] = m[i];
	return i;
}

static int print_json(const struct cl_device *d)
{
	cJSON *root = cJSON_CreateObject(), *dev = root ? cJSON_AddObjectToObject(root, "device") : NULL;
	struct member m[9];
	size_t i, n = members(d, m);
	char *text = NULL;

	for (i = 0; dev && i < n; i++)
		if (m[i].value[0] && !cJSON_AddStringToObject(dev, m[i].name, m[i].value))
			dev = NULL;
	if (dev)
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

static void print_text(const struct cl_device *d)
{
	struct member m[9];
	size_t i, n = members(d, m);

	printf(_("APID: %s\n\nSent to the server at activation:\n"), d->apid);
	for (i = 0; i < n; i++)
		printf("  %-18s %s\n", _(m[i].label),
		       m[i].value[0] ? m[i].value : _("(not readable, not sent)"));
	if (d->product[0])
		printf(_("Not sent: product %s\n"), d->product);
}

int cli_cmd_apid(int argc, char **argv)
{
	static const struct option longopts[] = { { "json", no_argument, NULL, OPT_JSON },
		                                  { "help", no_argument, NULL, 'h' },
		                                  { NULL, 0, NULL, 0 } };
	struct cl_device dev;
	struct cl_error err;
	bool json = false;
	int c;

	optind = 0;
	while ((c = cli_next_option(argc, argv, longopts)) != -1) {
		switch (c) {
		case OPT_JSON:
			json = true;
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
	if (cl_device_identify(&dev, &err) != CL_OK)
		return cli_fail(&err);
	if (json)
		return print_json(&dev);
	print_text(&dev);
	return CLI_EXIT_OK;
}
