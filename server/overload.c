/* certlink-server: Retry-After for clients turned away by the connection cap (see overload.h). */
#include "overload.h"

#include <math.h>

#define SAMPLE_S      1.0  /* the freeing rate is measured over at least this long */
#define FORGET_S      10.0 /* a measurement older than this says nothing about now */
#define SERVE_FLOOR_S 2.0  /* while unmeasured: max_open connections are assumed to free within this */

void srv_overload_init(struct srv_overload *o, unsigned max_open)
{
	*o = (struct srv_overload){ .max_open = max_open ? max_open : 1 };
	pthread_mutex_init(&o->lock, NULL);
}

void srv_overload_destroy(struct srv_overload *o)
{
	pthread_mutex_destroy(&o->lock);
}

void srv_overload_closed(struct srv_overload *o, double now)
{
	pthread_mutex_lock(&o->lock);
	o->closed++;
	(void)now;
	pthread_mutex_unlock(&o->lock);
}

/* Update the freeing rate from the served connections closed since the last sample. Called with lock held. */
static void sample(struct srv_overload *o, double now)
{
	long served = (long)(o->closed - o->turned_away), delta = served - o->served_at_sample;
	double elapsed = now - o->sampled, inst;

	if (o->sampled == 0 || elapsed > FORGET_S || elapsed < 0) {
		o->rate = 0;
	} else if (elapsed >= SAMPLE_S) {
		inst = (delta > 0 ? (double)delta : 0) / elapsed;
		o->rate = o->rate > 0 ? (o->rate + inst) / 2 : inst;
	} else {
		return;
	}
	o->sampled = now;
	o->served_at_sample = served;
}

int srv_overload_retry_after(struct srv_overload *o, double now)
{
	double floor_rate, rate, wait;

	pthread_mutex_lock(&o->lock);
	o->turned_away++;
	sample(o, now);
	floor_rate = o->max_open / SERVE_FLOOR_S;
	/* A measured rate is believed; until there is one (or while it is implausibly low, as in the first
	 * second of a burst), the floor: too early costs a client one more 503, too late leaves the server
	 * idle while clients wait. */
	rate = o->rate > floor_rate / 30 ? o->rate : floor_rate;
	if (o->next < now + 1)
		o->next = now + 1;
	wait = ceil(o->next - now);
	o->next += 1.0 / rate;
	pthread_mutex_unlock(&o->lock);
	return wait > SRV_OVERLOAD_MAX_WAIT ? SRV_OVERLOAD_MAX_WAIT : (int)wait;
}
