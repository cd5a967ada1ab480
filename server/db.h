/* certlink-server: the SQLite state database (schema, connections, transactions, small helpers).
 *
 * Every state change is one transaction opened with srv_db_begin() (BEGIN IMMEDIATE, so writers queue on the
 * busy timeout instead of failing on a lock upgrade). The server keeps one connection per thread; the admin
 * command line opens its own, which is safe while the server runs (WAL).
 */
#ifndef SRV_DB_H
#define SRV_DB_H

#include <sqlite3.h>
#include <stddef.h>

#include "error.h"

#define SRV_DB_FILE "certlink-server.db"

/* Open (creating if needed) DIR/certlink-server.db, set WAL, busy timeout and synchronous=FULL, create or
 * upgrade the schema. Caller closes with sqlite3_close(). */
enum cl_status srv_db_open(const char *state_dir, sqlite3 **out, struct cl_error *err);

/* Server threads: remember the state dir once, then each thread gets its own lazily opened connection. */
void srv_db_thread_setup(const char *state_dir);
sqlite3 *srv_db_thread(struct cl_error *err);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. begin and commit fail with CL_E_RETRY_LATER when the database stayed
 * busy past the timeout. rollback accepts a connection without a transaction. */
enum cl_status srv_db_begin(sqlite3 *db, struct cl_error *err);
enum cl_status srv_db_commit(sqlite3 *db, struct cl_error *err);
void srv_db_rollback(sqlite3 *db);

/* Prepare a statement; on failure sets err (CL_E_UNEXPECTED) and returns NULL. */
sqlite3_stmt *srv_db_prepare(sqlite3 *db, const char *sql, struct cl_error *err);

/* Map a failed sqlite3 result code to an error: BUSY/LOCKED -> CL_E_RETRY_LATER, else CL_E_UNEXPECTED. */
enum cl_status srv_db_fail(sqlite3 *db, int rc, const char *what, struct cl_error *err);

/* Bind a text that may be NULL (binds SQL NULL). */
int srv_db_bind_text(sqlite3_stmt *st, int idx, const char *s);

/* Copy column text into out (size n); "" for NULL. */
void srv_db_col_copy(sqlite3_stmt *st, int col, char *out, size_t n);

/* Key/value rows of the meta table (internal values not shown by config-get). get returns 1 when found. */
int srv_db_meta_get(sqlite3 *db, const char *key, char *out, size_t n);
enum cl_status srv_db_meta_set(sqlite3 *db, const char *key, const char *value, struct cl_error *err);

#endif
