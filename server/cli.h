/* certlink-server: the administration command line (user-add, invite, approve, config-set, ...). Each command
 * opens the state database directly; SQLite WAL makes that safe while the server runs.
 */
#ifndef SRV_CLI_H
#define SRV_CLI_H

/* Run admin command argv[0] with its arguments on state_dir. Returns the process exit code (0, 1 on a refused
 * operation, 2 on bad usage). Returns -1 when argv[0] is not an admin command. */
int srv_cli_run(const char *state_dir, int argc, char **argv);

/* Read a secret line from path ("-" is stdin), without the line end. Caller frees with srv_free_secret(). */
char *srv_cli_read_secret(const char *path);

#endif
