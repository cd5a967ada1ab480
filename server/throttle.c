/* certlink-server: failed-login budgets (see throttle.h). */
#include "throttle.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <openssl/sha.h>

#include "db.h"
#include "util.h"

int srv_bucket_wait(const struct srv_bucket *b, int burst, int drain, time_t now)
{
	double elapsed = now > b->updated ? (double)(now - b->updated) : 0;
	double level = b->level - elapsed / drain, over;

	if (level < 0)
		level = 0;
	over = level + 1 - burst;
	return over <= 0 ? 0 : (int)ceil(over * drain - 1e-6); /* no second for a rounding error */
}

void srv_bucket_add(struct srv_bucket *b, int drain, time_t now)
{
	double elapsed = now > b->updated ? (double)(now - b->updated) : 0;
	double level = b->level - elapsed / drain;

	b->level = (level < 0 ? 0 : level) + 1;
	b->updated = now;
}

/* ---- addresses and the names tried from them, in memory ---- */

struct name_slot {
	unsigned char key[16]; /* the first 16 bytes of SHA-256 of the name: no names kept in memory */
	struct srv_bucket b;
	int used;
};

struct addr_slot {
	char addr[SRV_ADDR_MAX];
	struct srv_bucket b;
	struct name_slot names[SRV_THROTTLE_NAMES];
};

static struct addr_slot table[SRV_THROTTLE_ADDRS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static double level_now(const struct srv_bucket *b, int drain, time_t now)
{
	double elapsed = now > b->updated ? (double)(now - b->updated) : 0;
	double level = b->level - elapsed / drain;

	return level < 0 ? 0 : level;
}

/* What an entry still remembers: the fullest of its buckets. Called with lock held. */
static double weight(const struct addr_slot *s, time_t now)
{
	double w = level_now(&s->b, SRV_THROTTLE_ADDR_DRAIN, now), n;
	int i;

	for (i = 0; i < SRV_THROTTLE_NAMES; i++) {
		n = level_now(&s->names[i].b, SRV_THROTTLE_NAME_DRAIN, now);
		if (n > w)
			w = n;
	}
	return w;
}

/* The entry of addr; with create, a free entry or the one that remembers least. Called with lock held. An
 * entry that still holds failures is taken over only when every entry does, which needs SRV_THROTTLE_ADDRS
 * failing addresses at once. */
static struct addr_slot *find_addr(const char *addr, int create, time_t now)
{
	struct addr_slot *victim = NULL;
	double least = 0, w;
	int i;

	for (i = 0; i < SRV_THROTTLE_ADDRS; i++) {
		if (table[i].addr[0] && !strcmp(table[i].addr, addr))
			return &table[i];
		if (!create)
			continue;
		w = table[i].addr[0] ? weight(&table[i], now) : -1;
		if (!victim || w < least) {
			victim = &table[i];
			least = w;
		}
	}
	if (!victim)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	snprintf(victim->addr, sizeof(victim->addr), "%s", addr);
	return victim;
}

static void name_key(const char *user, unsigned char key[16])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256((const unsigned char *)user, strlen(user), md);
	memcpy(key, md, 16);
}

/* The bucket of KEY among the N SLOTS (draining every DRAIN seconds); with create, a free slot or the
 * emptiest one is taken over, so one that still holds failures goes only when every slot does. Called with
 * lock held. */
static struct name_slot *find_key(struct name_slot *slots, int n, const unsigned char key[16], int drain,
                                  int create, time_t now)
{
	struct name_slot *victim = NULL;
	double least = 0, w;
	int i;

	for (i = 0; i < n; i++) {
		if (slots[i].used && !memcmp(slots[i].key, key, 16))
			return &slots[i];
		w = slots[i].used ? level_now(&slots[i].b, drain, now) : -1;
		if (!victim || w < least) {
			victim = &slots[i];
			least = w;
		}
	}
	if (!create)
		return NULL;
	memset(victim, 0, sizeof(*victim));
	memcpy(victim->key, key, 16);
	victim->used = 1;
	return victim;
}

/* The name's bucket at address s. Called with lock held. */
static struct name_slot *find_name(struct addr_slot *s, const unsigned char key[16], int create, time_t now)
{
	return find_key(s->names, SRV_THROTTLE_NAMES, key, SRV_THROTTLE_NAME_DRAIN, create, now);
}

static enum srv_throttle_verdict check_memory(const char *user, const char *addr, time_t now, int *wait)
{
	enum srv_throttle_verdict v = SRV_THROTTLE_OK;
	unsigned char key[16];
	struct addr_slot *s;
	struct name_slot *n;

	name_key(user, key);
	pthread_mutex_lock(&lock);
	s = find_addr(addr, 0, now);
	if (s && (*wait = srv_bucket_wait(&s->b, SRV_THROTTLE_ADDR_BURST, SRV_THROTTLE_ADDR_DRAIN, now)) > 0)
		v = SRV_THROTTLE_ADDRESS;
	else if (s && (n = find_name(s, key, 0, now)) &&
	         (*wait = srv_bucket_wait(&n->b, SRV_THROTTLE_NAME_BURST, SRV_THROTTLE_NAME_DRAIN, now)) > 0)
		v = SRV_THROTTLE_NAME;
	pthread_mutex_unlock(&lock);
	return v;
}

/* ---- names no user has: their user budget, in memory ---- */

/* Their user budget, keyed as the names at an address are. */
static struct name_slot unknown[SRV_THROTTLE_UNKNOWN];

static struct name_slot *find_unknown(const unsigned char key[16], int create, time_t now)
{
	return find_key(unknown, SRV_THROTTLE_UNKNOWN, key, SRV_THROTTLE_USER_DRAIN, create, now);
}

static int unknown_wait(const char *user, time_t now)
{
	unsigned char key[16];
	struct name_slot *u;
	int wait = 0;

	name_key(user, key);
	pthread_mutex_lock(&lock);
	u = find_unknown(key, 0, now);
	if (u)
		wait = srv_bucket_wait(&u->b, SRV_THROTTLE_USER_BURST, SRV_THROTTLE_USER_DRAIN, now);
	pthread_mutex_unlock(&lock);
	return wait;
}

/* ---- users, in the database ---- */

/* 1 when user logged in from addr after since. */
static int known_address(sqlite3 *db, const char *user, const char *addr, time_t since)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT 1 FROM login_known WHERE user = ? AND addr = ? AND last_ok > ?", NULL);
	int known;

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, addr, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)since);
	known = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return known;
}

static int user_wait(sqlite3 *db, const char *user, time_t now)
{
	sqlite3_stmt *st =
	    srv_db_prepare(db, "SELECT level, updated FROM login_throttle WHERE user = ?", NULL);
	struct srv_bucket b = { 0, 0 };

	if (!st)
		return 0;
	sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		b.level = sqlite3_column_double(st, 0);
		b.updated = (time_t)sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return srv_bucket_wait(&b, SRV_THROTTLE_USER_BURST, SRV_THROTTLE_USER_DRAIN, now);
}

static void exec_user(sqlite3 *db, const char *sql, const char *user, const char *addr, time_t now, int n)
{
	sqlite3_stmt *st = srv_db_prepare(db, sql, NULL);
	int rc;

	if (!st)
		return;
	srv_db_bind_text(st, 1, user);
	srv_db_bind_text(st, 2, addr);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	sqlite3_bind_int(st, 4, n);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		srv_log("throttle: cannot record a login for %s: %s", user, sqlite3_errmsg(db));
}

enum srv_throttle_verdict srv_throttle_check(sqlite3 *db, const char *user, const char *addr, time_t now,
                                             int *retry_after)
{
	enum srv_throttle_verdict v;

	*retry_after = 0;
	v = check_memory(user, addr, now, retry_after);
	if (v != SRV_THROTTLE_OK)
		return v;
	*retry_after = user_wait(db, user, now);
	{
		int other = unknown_wait(user, now); /* a name that had no user when it failed */

		if (other > *retry_after)
			*retry_after = other;
	}
	if (*retry_after > 0 && !known_address(db, user, addr, now - (time_t)SRV_THROTTLE_KNOWN_DAYS * 86400))
		return SRV_THROTTLE_USER;
	*retry_after = 0;
	return SRV_THROTTLE_OK;
}

void srv_throttle_failed(sqlite3 *db, const char *user, const char *budget_user, const char *addr, time_t now)
{
	unsigned char key[16];
	struct addr_slot *s;

	name_key(user, key);
	pthread_mutex_lock(&lock);
	s = find_addr(addr, 1, now);
	srv_bucket_add(&s->b, SRV_THROTTLE_ADDR_DRAIN, now);
	srv_bucket_add(&find_name(s, key, 1, now)->b, SRV_THROTTLE_NAME_DRAIN, now);
	if (budget_user && !budget_user[0]) /* an unknown name: its user budget is kept here */
		srv_bucket_add(&find_unknown(key, 1, now)->b, SRV_THROTTLE_USER_DRAIN, now);
	pthread_mutex_unlock(&lock);
	if (!budget_user)
		return;
	/* One statement, so concurrent failures for one user cannot lose a count. */
	exec_user(db,
	          "INSERT INTO login_throttle(user, level, updated) VALUES(?1, 1, ?3) ON CONFLICT(user) DO"
	          " UPDATE SET level = MAX(0, level - MAX(0, ?3 - updated) / CAST(?4 AS REAL)) + 1,"
	          " updated = ?3",
	          budget_user, NULL, now, SRV_THROTTLE_USER_DRAIN);
	/* Rows that have drained completely say nothing: keep the table as small as the recent failures. */
	exec_user(db, "DELETE FROM login_throttle WHERE updated < ?3 - ?4 AND ?1 IS NOT NULL", user, NULL,
	          now, SRV_THROTTLE_USER_BURST * SRV_THROTTLE_USER_DRAIN);
}

void srv_throttle_succeeded(sqlite3 *db, const char *user, const char *addr, time_t now)
{
	unsigned char key[16];
	struct addr_slot *s;
	struct name_slot *n;

	name_key(user, key);
	pthread_mutex_lock(&lock);
	s = find_addr(addr, 0, now);
	n = s ? find_name(s, key, 0, now) : NULL;
	if (n)
		memset(n, 0, sizeof(*n));
	pthread_mutex_unlock(&lock);
	/* Written once a day per user and address at most, so a fleet's successes cost reads, not writes. */
	if (known_address(db, user, addr, now - 86400))
		return;
	exec_user(db, "INSERT OR REPLACE INTO login_known(user, addr, last_ok) VALUES(?1, ?2, ?3)", user,
	          addr, now, 0);
	exec_user(db,
	          "DELETE FROM login_known WHERE user = ?1 AND (last_ok < ?3 - ?4 OR addr NOT IN (SELECT addr"
	          " FROM login_known WHERE user = ?1 ORDER BY last_ok DESC LIMIT 16)) AND ?2 IS NOT NULL",
	          user, addr, now, SRV_THROTTLE_KNOWN_DAYS * 86400);
}

void srv_throttle_reset(void)
{
	pthread_mutex_lock(&lock);
	memset(table, 0, sizeof(table));
	memset(unknown, 0, sizeof(unknown));
	pthread_mutex_unlock(&lock);
}
