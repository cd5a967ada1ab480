/* certlink-server: failed-login throttling (see throttle.h). */
#include "throttle.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define SLOTS 512

struct slot {
	char user[260];
	int fails;
	time_t first;
	time_t locked_until;
};

static struct slot slots[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* The slot of user, or when create is set the slot it takes over (the stalest). Called with lock held. */
static struct slot *find(const char *user, int create, time_t now)
{
	struct slot *oldest = &slots[0];
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (slots[i].user[0] && strcmp(slots[i].user, user) == 0)
			return &slots[i];
		if (slots[i].first < oldest->first && slots[i].locked_until < now)
			oldest = &slots[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->user, sizeof(oldest->user), "%s", user);
	oldest->first = now;
	return oldest;
}

int srv_throttle_wait(const char *user)
{
	time_t now = time(NULL);
	struct slot *s;
	int wait = 0;

	pthread_mutex_lock(&lock);
	s = find(user, 0, now);
	if (s && s->locked_until > now)
		wait = (int)(s->locked_until - now);
	pthread_mutex_unlock(&lock);
	return wait;
}

void srv_throttle_failed(const char *user)
{
	time_t now = time(NULL);
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = find(user, 1, now);
	if (now - s->first > SRV_THROTTLE_WINDOW) {
		s->first = now;
		s->fails = 0;
	}
	if (++s->fails >= SRV_THROTTLE_FAILS) {
		s->locked_until = now + SRV_THROTTLE_LOCK;
		s->fails = 0;
		s->first = now;
	}
	pthread_mutex_unlock(&lock);
}

void srv_throttle_succeeded(const char *user)
{
	struct slot *s;

	pthread_mutex_lock(&lock);
	s = find(user, 0, time(NULL));
	if (s)
		s->fails = 0;
	pthread_mutex_unlock(&lock);
}
