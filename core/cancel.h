/* certlink core: cancellation token shared by every long core operation.
 *
 * A front end owns a struct cl_cancel (zero-initialised, or cl_cancel_init()), passes it to core calls that
 * may take long (network, SCEP polling, waiting for approval), and calls cl_cancel_request() from any thread
 * (a Cancel button, a signal handler) to stop them. Core code checks cl_cancel_requested() at every blocking
 * point and returns CL_E_CANCELLED. A NULL token means "cannot be cancelled" and is accepted everywhere.
 */
#ifndef CL_CANCEL_H
#define CL_CANCEL_H

#include <stdatomic.h>
#include <stdbool.h>

struct cl_cancel {
	atomic_int requested;
};

/* Reset to "not requested". Accepts NULL. */
void cl_cancel_init(struct cl_cancel *cancel);

/* Request cancellation. Safe from any thread and from a signal handler (lock-free atomic store). */
void cl_cancel_request(struct cl_cancel *cancel);

/* True once cl_cancel_request() was called. NULL: never cancelled. */
bool cl_cancel_requested(const struct cl_cancel *cancel);

/* Sleep up to ms milliseconds, waking early when cancellation is requested (checked every 50 ms).
 * Returns true when cancelled (before or during the sleep), false when the full time passed. */
bool cl_cancel_sleep(const struct cl_cancel *cancel, unsigned long ms);

#endif
