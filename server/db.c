/* certlink-server: the SQLite state database (see db.h). */
#include "db.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUSY_TIMEOUT_MS 30000
#define BUSY_POLL_US    2000 /* longest wait for a lock released by another process or an autocommit write */
#define SCHEMA_VERSION  "3"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS config(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, pw_hash TEXT, created INTEGER NOT NULL,"
    " email TEXT);"
    "CREATE TABLE IF NOT EXISTS apids(apid TEXT PRIMARY KEY, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS invitations(id TEXT PRIMARY KEY, user TEXT, store TEXT,"
    " passwordless INTEGER NOT NULL, token_hash TEXT UNIQUE, code TEXT, created INTEGER NOT NULL,"
    " expires INTEGER NOT NULL, app_id TEXT, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS invitations_code ON invitations(code);"
    "CREATE TABLE IF NOT EXISTS applications(id TEXT PRIMARY KEY, user TEXT NOT NULL, store TEXT NOT NULL,"
    " state TEXT NOT NULL, client_request_id TEXT NOT NULL, email TEXT, reason TEXT, device_note TEXT,"
    " apid TEXT, device TEXT, invitation_id TEXT, renewal_of TEXT, activation TEXT, cert_serial TEXT,"
    " hold_released INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL, updated INTEGER NOT NULL,"
    " computer_name TEXT, UNIQUE(user, client_request_id));"
    "CREATE TABLE IF NOT EXISTS challenges(hash TEXT PRIMARY KEY, app_id TEXT NOT NULL,"
    " created INTEGER NOT NULL, expires INTEGER NOT NULL, used INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS challenges_app ON challenges(app_id);"
    "CREATE TABLE IF NOT EXISTS certificates(serial TEXT PRIMARY KEY, app_id TEXT, user TEXT NOT NULL,"
    " store TEXT NOT NULL, subject TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
    " der BLOB NOT NULL, pubkey_sha256 TEXT NOT NULL, transaction_id TEXT, revoked_at INTEGER);"
    "CREATE TABLE IF NOT EXISTS scep_transactions(transaction_id TEXT PRIMARY KEY,"
    " pubkey_sha256 TEXT NOT NULL, app_id TEXT NOT NULL, state TEXT NOT NULL, serial TEXT, csr BLOB,"
    " message_type INTEGER NOT NULL, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS sessions(id_hash TEXT PRIMARY KEY, csrf TEXT NOT NULL,"
    " expires INTEGER NOT NULL);"
    /* Failed-login budgets of existing users and the addresses they logged in from (throttle.c). */
    "CREATE TABLE IF NOT EXISTS login_throttle(user TEXT PRIMARY KEY, level REAL NOT NULL,"
    " updated INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS login_known(user TEXT NOT NULL, addr TEXT NOT NULL, last_ok INTEGER NOT NULL,"
    " PRIMARY KEY(user, addr));";

/* Columns added after schema version 1, for databases created before them. */
static const struct {
	const char *table, *column, *decl;
} added_columns[] = {
	{ "users", "email", "TEXT" },                   /* 2: the user's e-mail, set by an administrator */
	{ "applications", "computer_name", "TEXT" },    /* 2: the computer name an administrator approved */
	{ "certificates", "superseded_at", "INTEGER" }, /* 3: when a renewal replaced it (the CRL's grace) */
};

static int has_column(sqlite3 *db, const char *table, const char *column)
{
	char sql[128];
	sqlite3_stmt *st;
	int found = 0;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	while (!found && sqlite3_step(st) == SQLITE_ROW)
		found = !strcmp((const char *)sqlite3_column_text(st, 1), column);
	sqlite3_finalize(st);
	return found;
}

static int upgrade(sqlite3 *db, char **msg)
{
	char sql[192];
	size_t i;
	int rc = SQLITE_OK;

	for (i = 0; rc == SQLITE_OK && i < sizeof(added_columns) / sizeof(added_columns[0]); i++) {
		if (has_column(db, added_columns[i].table, added_columns[i].column))
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s", added_columns[i].table,
		         added_columns[i].column, added_columns[i].decl);
		rc = sqlite3_exec(db, sql, NULL, NULL, msg);
	}
	return rc;
}

static enum cl_status set_sqlite(struct cl_error *err, enum cl_status st, sqlite3 *db, const char *what)
{
	return cl_error_set(err, st, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

enum cl_status srv_db_fail(sqlite3 *db, int rc, const char *what, struct cl_error *err)
{
	int prim = rc & 0xff;

	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return cl_error_set(err, CL_E_RETRY_LATER, "%s: database busy", what);
	return set_sqlite(err, CL_E_UNEXPECTED, db, what);
}

/* Waiting for the write lock. SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries and is
 * not woken when the lock is released: with a few threads queueing for the write lock, most of their time
 * went to sleeping past the moment it was free (issue 14). Instead a waiter sleeps on a condition that every
 * transaction of this process signals when it ends (srv_db_commit, srv_db_rollback), and at most
 * BUSY_POLL_US, so that a lock held by another process (the admin command line) or by an autocommit statement
 * is still noticed soon. The total wait stays BUSY_TIMEOUT_MS. */
static pthread_mutex_t busy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t busy_cond;
static pthread_once_t busy_once = PTHREAD_ONCE_INIT;
static unsigned long busy_generation;
static _Thread_local struct timespec busy_since;

static void busy_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&busy_cond, &attr);
	pthread_condattr_destroy(&attr);
}

static long ms_since(const struct timespec *t0, const struct timespec *now)
{
	return (long)(now->tv_sec - t0->tv_sec) * 1000L + (now->tv_nsec - t0->tv_nsec) / 1000000L;
}

static int busy_wait(void *unused, int count)
{
	struct timespec now, deadline;
	unsigned long gen;

	(void)unused;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0)
		busy_since = now;
	else if (ms_since(&busy_since, &now) >= BUSY_TIMEOUT_MS)
		return 0;
	deadline = now;
	deadline.tv_nsec += BUSY_POLL_US * 1000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_once(&busy_once, busy_init);
	pthread_mutex_lock(&busy_lock);
	gen = busy_generation;
	while (gen == busy_generation)
		if (pthread_cond_timedwait(&busy_cond, &busy_lock, &deadline) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&busy_lock);
	return 1;
}

/* A transaction of this process ended: the threads waiting for the write lock may try again. */
static void busy_wake(void)
{
	pthread_once(&busy_once, busy_init);
	pthread_mutex_lock(&busy_lock);
	busy_generation++;
	pthread_cond_broadcast(&busy_cond);
	pthread_mutex_unlock(&busy_lock);
}

enum cl_status srv_db_open(const char *state_dir, sqlite3 **out, struct cl_error *err)
{
	char path[PATH_MAX], ver[16];
	sqlite3 *db = NULL;
	char *msg = NULL;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", state_dir, SRV_DB_FILE) >= (int)sizeof(path))
		return cl_error_set(err, CL_E_LOCAL, "state dir path too long");
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
	                     NULL);
	if (rc != SQLITE_OK) {
		set_sqlite(err, CL_E_LOCAL, db, path);
		sqlite3_close(db);
		return CL_E_LOCAL;
	}
	sqlite3_busy_handler(db, busy_wait, NULL);
	/* WAL lets the admin command line and many server threads read while one writes; FULL makes every
	 * committed issuance survive a power cut, not only a crash of the process. */
	rc = sqlite3_exec(db,
	                  "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	                  "PRAGMA secure_delete=ON;",
	                  NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, schema, NULL, NULL, &msg);
	if (rc == SQLITE_OK)
		rc = upgrade(db, &msg);
	if (rc != SQLITE_OK) {
		cl_error_set(err, CL_E_LOCAL, "%s: %s", path, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		sqlite3_close(db);
		return CL_E_LOCAL;
	}
	if ((!srv_db_meta_get(db, "schema_version", ver, sizeof(ver)) || strcmp(ver, SCHEMA_VERSION) != 0) &&
	    srv_db_meta_set(db, "schema_version", SCHEMA_VERSION, err) != CL_OK) {
		sqlite3_close(db);
		return err ? err->status : CL_E_LOCAL;
	}
	*out = db;
	return CL_OK;
}

static char *thread_dir;
static pthread_key_t thread_key;
static pthread_once_t thread_once = PTHREAD_ONCE_INIT;

static void close_conn(void *p)
{
	sqlite3_close(p);
}

static void make_key(void)
{
	pthread_key_create(&thread_key, close_conn);
}

void srv_db_thread_setup(const char *state_dir)
{
	free(thread_dir);
	thread_dir = strdup(state_dir);
	pthread_once(&thread_once, make_key);
}

sqlite3 *srv_db_thread(struct cl_error *err)
{
	sqlite3 *db = pthread_getspecific(thread_key);

	if (db)
		return db;
	if (!thread_dir) {
		cl_error_set(err, CL_E_UNEXPECTED, "database not set up");
		return NULL;
	}
	if (srv_db_open(thread_dir, &db, err) != CL_OK)
		return NULL;
	pthread_setspecific(thread_key, db);
	return db;
}

enum cl_status srv_db_begin(sqlite3 *db, struct cl_error *err)
{
	int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc == SQLITE_OK ? CL_OK : srv_db_fail(db, rc, "starting a transaction", err);
}

enum cl_status srv_db_commit(sqlite3 *db, struct cl_error *err)
{
	int rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	if (rc == SQLITE_OK) {
		busy_wake();
		return CL_OK;
	}
	srv_db_fail(db, rc, "committing", err);
	srv_db_rollback(db);
	return err ? err->status : CL_E_UNEXPECTED;
}

void srv_db_rollback(sqlite3 *db)
{
	if (!sqlite3_get_autocommit(db)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		busy_wake();
	}
}

sqlite3_stmt *srv_db_prepare(sqlite3 *db, const char *sql, struct cl_error *err)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK) {
		srv_db_fail(db, rc, "preparing a query", err);
		return NULL;
	}
	return st;
}

int srv_db_bind_text(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}

void srv_db_col_copy(sqlite3_stmt *st, int col, char *out, size_t n)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(out, n, "%s", t ? (const char *)t : "");
}

int srv_db_meta_get(sqlite3 *db, const char *key, char *out, size_t n)
{
	sqlite3_stmt *st = srv_db_prepare(db, "SELECT value FROM meta WHERE key = ?", NULL);
	int found = 0;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		srv_db_col_copy(st, 0, out, n);
		found = 1;
	}
	sqlite3_finalize(st);
	return found;
}

enum cl_status srv_db_meta_set(sqlite3 *db, const char *key, const char *value, struct cl_error *err)
{
	sqlite3_stmt *st = srv_db_prepare(db, "INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)", err);
	int rc;

	if (!st)
		return err ? err->status : CL_E_UNEXPECTED;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? CL_OK : srv_db_fail(db, rc, "writing meta", err);
}
