/* certlink-server: a short memory of passwords that were verified, so that a fleet enrolling through one
 * shared account pays the password's key derivation (PBKDF2, about 20-35 ms of one core) once a minute
 * instead of once per machine (issue 14; docs/server.md "Login throttling").
 *
 * What is kept is not the password: an entry is HMAC-SHA256 under a random key of this process (made on first
 * use, never written anywhere) over the user name, the password and the user's stored password hash, with the
 * time the key derivation said yes. So:
 *   - only a password that passed the full key derivation is ever remembered, and a different password gives
 *     a different MAC: a wrong password is never answered from here;
 *   - a changed password (a new salted hash, also when an administrator's command line changed it in another
 *     process) or a deleted user (no stored hash to look up) matches no entry;
 *   - entries expire SRV_PWCACHE_TTL seconds after the derivation, and the table is wiped, key included, when
 *     the server stops.
 * Lookups compare with CRYPTO_memcmp against every entry. Thread-safe; the time is passed in so that tests
 * need not wait.
 */
#ifndef SRV_PWCACHE_H
#define SRV_PWCACHE_H

#include <time.h>

#define SRV_PWCACHE_TTL   60 /* seconds an entry is believed */
#define SRV_PWCACHE_SLOTS 64 /* entries at most; the oldest goes first */

/* 1 when password was verified for user against stored (the user's pw_hash as the database holds it now)
 * within SRV_PWCACHE_TTL seconds before now; 0 otherwise (also for an empty stored hash). */
int srv_pwcache_hit(const char *user, const char *password, const char *stored, time_t now);
/* Remember that the key derivation accepted password for user against stored at now. */
void srv_pwcache_add(const char *user, const char *password, const char *stored, time_t now);
/* Forget every entry and the key (server stop, tests); the next use makes a new key. */
void srv_pwcache_wipe(void);

#endif
