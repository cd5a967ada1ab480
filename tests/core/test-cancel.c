/* Unit tests for core/cancel.c: the token's states and that a sleep returns early once cancelled. */
#include "cancel.h"

#include <pthread.h>

#include "check.h"

static void *cancel_soon(void *arg)
{
	cl_cancel_sleep(NULL, 100);
	cl_cancel_request(arg);
	return NULL;
}

int main(void)
{
	struct cl_cancel c = { 0 };
	pthread_t t;

	CHECK(!cl_cancel_requested(NULL));
	CHECK(!cl_cancel_requested(&c));
	CHECK(!cl_cancel_sleep(&c, 10));
	cl_cancel_request(&c);
	CHECK(cl_cancel_requested(&c));
	CHECK(cl_cancel_sleep(&c, 60000)); /* returns at once: would hang the test otherwise */
	cl_cancel_init(&c);
	CHECK(!cl_cancel_requested(&c));
	cl_cancel_request(NULL); /* accepted, no effect */
	CHECK(!cl_cancel_sleep(NULL, 1));

	/* Cancel from another thread interrupts a long sleep (a one-hour sleep would time the test out). */
	CHECK_INT_EQ(pthread_create(&t, NULL, cancel_soon, &c), 0);
	CHECK(cl_cancel_sleep(&c, 3600UL * 1000));
	pthread_join(t, NULL);
	return check_done();
}
