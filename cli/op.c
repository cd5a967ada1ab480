/* certlink command line: the shape every command on one recorded certificate or application shares (cli.h
 * cli_op_main): parse the shared options (--store, the password and server options, --approval-timeout,
 * --no-notify, --no-network, --help) and the command's own, check the operand and the store, read the
 * password, run, and wipe the password again. The commands themselves (cmd-activate.c, cmd-withdraw.c,
 * cmd-reapply.c, cmd-renew.c, cmd-delete.c) keep only their help text, their own options and the core call.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

/* Apart from the shared option values in cli.h (0x1000 password, 0x1100 server, 0x1200 result). */
enum { OPT_STORE = 0x1300, OPT_APPROVAL_TIMEOUT };

#define OPTIONS_MAX 32

static const struct option password_options[] = { CLI_PASSWORD_OPTIONS };
static const struct option net_options[] = { CLI_NET_OPTIONS };
static const struct option result_options[] = { CLI_RESULT_OPTIONS };
static const struct option network_options[] = { CLI_NO_NETWORK_OPTION };

static void add(struct option *table, size_t *n, const struct option *rows, size_t count)
{
	for (size_t i = 0; i < count && *n < OPTIONS_MAX - 1; i++)
		table[(*n)++] = rows[i];
}

/* The option table of OP: its own options, then the shared ones it takes. */
static void options_of(const struct cli_op *op, struct option table[OPTIONS_MAX])
{
	static const struct option store = { "store", required_argument, NULL, OPT_STORE };
	static const struct option approval = { "approval-timeout", required_argument, NULL,
		                                OPT_APPROVAL_TIMEOUT };
	static const struct option help = { "help", no_argument, NULL, 'h' };
	size_t n = 0;

	for (const struct option *o = op->own; o && o->name; o++)
		add(table, &n, o, 1);
	add(table, &n, &store, 1);
	if (op->takes & CLI_OP_PASSWORD)
		add(table, &n, password_options, sizeof(password_options) / sizeof(password_options[0]));
	if (op->takes & CLI_OP_NET)
		add(table, &n, net_options, sizeof(net_options) / sizeof(net_options[0]));
	if (op->takes & CLI_OP_APPROVAL)
		add(table, &n, &approval, 1);
	if (op->takes & CLI_OP_RESULT)
		add(table, &n, result_options, sizeof(result_options) / sizeof(result_options[0]));
	if (op->takes & CLI_OP_NETWORKS)
		add(table, &n, network_options, sizeof(network_options) / sizeof(network_options[0]));
	add(table, &n, &help, 1);
	memset(&table[n], 0, sizeof(table[n]));
}

/* One option: 0 taken, -1 help was shown, otherwise the exit code after reporting. */
static int take(struct cli_op_run *run, const char *cmd, int c, const char *arg)
{
	const struct cli_op *op = run->op;
	long n;
	int r;

	switch (c) {
	case OPT_STORE:
		if (!cl_store_kind_parse(arg, &run->opts.store))
			return cli_usage_error(cmd, _("--store must be user or computer"));
		return 0;
	case OPT_APPROVAL_TIMEOUT:
		if (cli_parse_number(arg, 1, 86400, &n))
			return cli_usage_error(cmd, _("--approval-timeout must be 1-86400 seconds"));
		run->opts.approval_timeout = (int)n;
		return 0;
	case 'h':
		op->help();
		return -1;
	}
	if ((op->takes & CLI_OP_RESULT) && c == CLI_OPT_NO_NOTIFY) {
		cli_notify_set(false);
		return 0;
	}
	if ((op->takes & CLI_OP_PASSWORD) && cli_password_option(&run->pw, c, arg))
		return 0;
	if ((op->takes & CLI_OP_NET) && (r = cli_net_option(&run->opts, cmd, c, arg)) >= 0)
		return r;
	if (op->option && c != '?')
		return op->option(run, c, arg);
	return CLI_EXIT_USAGE; /* cli_next_option() said why */
}

int cli_op_main(const struct cli_op *op, void *data, int argc, char **argv)
{
	struct option table[OPTIONS_MAX];
	struct cli_op_run run;
	int c, r = 0;

	memset(&run, 0, sizeof(run));
	run.op = op;
	run.data = data;
	if (op->takes & CLI_OP_NET)
		cli_run_init(&run.opts);
	else
		run.opts.store = CL_STORE_ASK;
	options_of(op, table);
	optind = 0;
	while (r == 0 && (c = cli_next_option(argc, argv, table)) != -1)
		r = take(&run, argv[0], c, optarg);
	if (r != 0)
		return r < 0 ? CLI_EXIT_OK : r;
	run.id = optind < argc ? argv[optind] : NULL;
	if (argc - optind > 1 || (!run.id && !op->id_optional))
		return cli_usage_error(argv[0], "%s", _(op->missing_id));
	if ((r = cli_check_store(run.opts.store)) != 0)
		return r;
	if ((op->takes & CLI_OP_PASSWORD) && !op->password_later)
		r = cli_password_load(&run.pw, argv[0], &run.opts.password);
	if (r == 0)
		r = op->run(&run);
	cli_password_clear(&run.pw);
	return r;
}
