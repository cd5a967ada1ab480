/* certlink-server: when a client turned away by the connection cap (503, docs/server.md "Overload") should
 * come back.
 *
 * A fixed "Retry-After: 1" brings a crowd back all at once: with 10,000 machines enrolling at once and 512
 * connections served, thousands return every second, each costing a TLS handshake to be turned away again,
 * and a certlink client gives up after six attempts (docs/protocol.md). Instead every client turned away gets
 * a ticket: the next free moment in a queue that advances at the rate connections have recently been freed
 * (served connections closing, measured over the last seconds; max_open per SERVE_FLOOR_S seconds while
 * nothing plausible has been measured, so that a burst never waits on a guess that is too low). Retry-After
 * is the ticket's time from now, 1 to SRV_OVERLOAD_MAX_WAIT seconds. Thread-safe; time is passed in for
 * tests.
 */
#ifndef SRV_OVERLOAD_H
#define SRV_OVERLOAD_H

#include <pthread.h>

#define SRV_OVERLOAD_MAX_WAIT 300 /* seconds: what a certlink client honours at most */

struct srv_overload {
	pthread_mutex_t lock;
	unsigned max_open;
	double next;                       /* the next free moment handed out */
	double rate;                       /* connections freed per second, 0 while unknown */
	double sampled;                    /* when rate was last updated */
	unsigned long closed, turned_away; /* all time */
	long served_at_sample;             /* closed - turned_away when rate was sampled */
};

void srv_overload_init(struct srv_overload *o, unsigned max_open);
void srv_overload_destroy(struct srv_overload *o);
/* A connection closed at now (seconds on a monotonic clock), served or turned away. */
void srv_overload_closed(struct srv_overload *o, double now);
/* A client is turned away at now: the seconds it is told to wait (Retry-After). */
int srv_overload_retry_after(struct srv_overload *o, double now);

#endif
