/* certlink-server: failed-login budgets (docs/server.md "Login throttling" gives the policy and its numbers).
 *
 * Three leaky buckets, each counting failed logins (wrong password, unknown or used token) and draining at a
 * fixed rate; a bucket that is full answers 429 busy with the seconds until it has room again:
 *   - per client address (IPv4 address, IPv6 /64), every user name together, in memory: one address cannot
 *     spray many user names or spend the server's CPU on key derivations;
 *   - per user name at one address, in memory beside the address: an address that keeps failing for bob is
 *     slowed down for bob early, without touching anyone else's attempts for bob;
 *   - per user, every address together, in the database (existing users only, so unknown names create no
 *     rows; it survives restarts and cannot be pushed out by failures for other names): many addresses
 *     guessing one user's password are slowed down together. Addresses this user logged in from recently
 *     are exempt from it, so a crowd of other addresses cannot lock the user out of their usual places.
 *     A name no user has gets the same budget in memory (SRV_THROTTLE_UNKNOWN names), so that a full budget
 *     answers busy for it as for a real user: the answers never tell which user IDs exist.
 * Successes never fill a bucket, so a fleet behind one NAT address enrolling through one shared account is
 * never throttled by its own successes. Thread-safe; the time is passed in so that tests need not wait.
 */
#ifndef SRV_THROTTLE_H
#define SRV_THROTTLE_H

#include <sqlite3.h>
#include <time.h>

/* Address budget: a burst of ADDR_BURST failures, then one per ADDR_DRAIN seconds. */
#define SRV_THROTTLE_ADDR_BURST 30
#define SRV_THROTTLE_ADDR_DRAIN 20
/* One user name at one address. */
#define SRV_THROTTLE_NAME_BURST 5
#define SRV_THROTTLE_NAME_DRAIN 60
/* One existing user, all addresses that have not logged in as this user within KNOWN_DAYS. */
#define SRV_THROTTLE_USER_BURST 50
#define SRV_THROTTLE_USER_DRAIN 60
#define SRV_THROTTLE_KNOWN_DAYS 30
/* How many addresses the memory table holds, user names per address, and unknown names' user budgets. */
#define SRV_THROTTLE_ADDRS   4096
#define SRV_THROTTLE_NAMES   16
#define SRV_THROTTLE_UNKNOWN 4096
/* Longest text of a client address key ("ipv6-prefix/64"). */
#define SRV_ADDR_MAX 64

/* A leaky bucket: level failures as of updated; it loses one failure every drain seconds. */
struct srv_bucket {
	double level;
	time_t updated;
};

/* 0 when one more failure fits into a bucket of capacity burst, else the seconds until it does. */
int srv_bucket_wait(const struct srv_bucket *b, int burst, int drain, time_t now);
/* Count one failure. */
void srv_bucket_add(struct srv_bucket *b, int drain, time_t now);

enum srv_throttle_verdict {
	SRV_THROTTLE_OK,
	SRV_THROTTLE_ADDRESS, /* this address has failed too often, for any names */
	SRV_THROTTLE_NAME,    /* this address has failed too often for this name */
	SRV_THROTTLE_USER,    /* this user has failed too often from addresses not known for them */
};

/* May addr try a password or token for user now? *retry_after gets the seconds to wait when not. */
enum srv_throttle_verdict srv_throttle_check(sqlite3 *db, const char *user, const char *addr, time_t now,
                                             int *retry_after);
/* Count a failure of addr for user. budget_user names the database row charged too: the user for an existing
 * user, "" for an unknown name (one shared row that nobody's check reads: the write costs the same, so its
 * time tells nothing, and unknown names leave nothing behind), NULL for none. */
void srv_throttle_failed(sqlite3 *db, const char *user, const char *budget_user, const char *addr,
                         time_t now);
/* A success: forgets addr's failures for this name and records addr as known for user. */
void srv_throttle_succeeded(sqlite3 *db, const char *user, const char *addr, time_t now);
/* Forget the in-memory budgets (tests). */
void srv_throttle_reset(void);

#endif
