/* certlink-server: checking a user's password, the one expensive thing an unauthenticated client can make the
 * server do. Every password check goes through srv_login_password(): the failed-login budgets (throttle.h)
 * first, then the memory of recently verified passwords (pwcache.h), then a cap on concurrent key derivations
 * (PBKDF2, about 20-35 ms of one core each), then the check, then the budgets learn the result. Counters of
 * what happened are kept for the admin stats endpoint.
 */
#ifndef SRV_LOGIN_H
#define SRV_LOGIN_H

#include <sqlite3.h>

#include "util.h"

/* Concurrent key derivations at most (slots) and requests that may wait for one (queue, each at most
 * SRV_LOGIN_WAIT_MS); a request that finds the queue full, or waits that long, is answered 503. Called once
 * before serving (main.c: one slot per core, the other worker threads may wait); defaults: 2 and 4. */
void srv_login_setup(unsigned slots, unsigned queue);
#define SRV_LOGIN_WAIT_MS 2000

/* Check user's password from client address addr (NULL: a local caller). CL_OK when it matches;
 * CL_E_REFUSED invalid_credentials; CL_E_RETRY_LATER busy (429: a budget is spent) or unavailable (503: no
 * key-derivation slot), with err->retry_after. */
enum cl_status srv_login_password(sqlite3 *db, const char *user, const char *password, const char *addr,
                                  struct srv_err *err);

/* The same budgets for a passwordless token: check before looking the token up (CL_OK or busy), count a
 * failure after. A wrong token counts against the address and the name there, not the user's own budget:
 * tokens are 192 random bits, and a cheap wrong token must not let anyone spend a user's budget. */
enum cl_status srv_login_token_check(sqlite3 *db, const char *user, const char *addr, struct srv_err *err);
void srv_login_token_failed(sqlite3 *db, const char *user, const char *addr);

struct srv_login_stats {
	unsigned long password_checks; /* key derivations run */
	unsigned long cache_hits;      /* correct passwords accepted from the cache, without a derivation */
	unsigned long failed;          /* wrong passwords and tokens */
	unsigned long refused_address; /* 429: the address budget */
	unsigned long refused_name;    /* 429: the budget of one name at one address */
	unsigned long refused_user;    /* 429: the user's own budget */
	unsigned long refused_busy;    /* 503: no key-derivation slot */
};
void srv_login_stats(struct srv_login_stats *out);

#endif
