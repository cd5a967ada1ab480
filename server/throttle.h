/* certlink-server: failed-login throttling per user ID, in memory. After SRV_THROTTLE_FAILS wrong passwords
 * or tokens within SRV_THROTTLE_WINDOW seconds the user ID is refused with 429 for SRV_THROTTLE_LOCK seconds,
 * so nobody can guess passwords at line speed. Thread-safe.
 */
#ifndef SRV_THROTTLE_H
#define SRV_THROTTLE_H

#define SRV_THROTTLE_FAILS  10
#define SRV_THROTTLE_WINDOW 300
#define SRV_THROTTLE_LOCK   60

/* Seconds until user may try again, 0 when allowed now. */
int srv_throttle_wait(const char *user);
void srv_throttle_failed(const char *user);
void srv_throttle_succeeded(const char *user);

#endif
