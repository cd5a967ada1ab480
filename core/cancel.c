/* certlink core: cancellation token (see cancel.h). */
#include "cancel.h"

#include <errno.h>
#include <time.h>

/* Granularity of cl_cancel_sleep(): how late a Cancel button may take effect during a backoff sleep. */
#define CANCEL_SLICE_MS 50UL

void cl_cancel_init(struct cl_cancel *cancel)
{
	if (cancel)
		atomic_store(&cancel->requested, 0);
}

void cl_cancel_request(struct cl_cancel *cancel)
{
	if (cancel)
		atomic_store(&cancel->requested, 1);
}

bool cl_cancel_requested(const struct cl_cancel *cancel)
{
	/* atomic_load on a const object is valid C11 (7.17.7.2); cast kept for older headers. */
	return cancel && atomic_load((atomic_int *)&cancel->requested) != 0;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

bool cl_cancel_sleep(const struct cl_cancel *cancel, unsigned long ms)
{
	while (ms > 0) {
		unsigned long slice = ms < CANCEL_SLICE_MS ? ms : CANCEL_SLICE_MS;

		if (cl_cancel_requested(cancel))
			return true;
		sleep_ms(slice);
		ms -= slice;
	}
	return cl_cancel_requested(cancel);
}
