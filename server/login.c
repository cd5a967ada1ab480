/* certlink-server: password checks under the throttle and the key-derivation cap (see login.h).
 *
 * Order matters: the budgets are asked before a key-derivation slot is taken, and again once it is held, so
 * that requests that queued while other failures were counted do not derive anyway; the budgets can be
 * overrun by at most the number of slots. A cache of recently verified passwords (issue 14) belongs between
 * the second budget check and the derivation: a wrong password must still pay the derivation and count.
 */
#include "login.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "throttle.h"
#include "users.h"

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_free;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static unsigned slots_max = 2, queue_max = 4, slots_busy, waiting;

static atomic_ulong n_checks, n_failed, n_addr, n_name, n_user, n_busy;

static void gate_init(void)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&gate_free, &attr);
	pthread_condattr_destroy(&attr);
}

void srv_login_setup(unsigned slots, unsigned queue)
{
	pthread_once(&gate_once, gate_init);
	pthread_mutex_lock(&gate_lock);
	slots_max = slots ? slots : 1;
	queue_max = queue;
	pthread_mutex_unlock(&gate_lock);
}

/* Take a key-derivation slot, waiting at most SRV_LOGIN_WAIT_MS in a queue of bounded length. 1 or 0. */
static int gate_enter(void)
{
	struct timespec deadline;
	int ok = 0;

	pthread_once(&gate_once, gate_init);
	pthread_mutex_lock(&gate_lock);
	if (slots_busy < slots_max) {
		ok = 1;
	} else if (waiting < queue_max) {
		waiting++;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += SRV_LOGIN_WAIT_MS / 1000;
		deadline.tv_nsec += (long)(SRV_LOGIN_WAIT_MS % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		while (slots_busy >= slots_max)
			if (pthread_cond_timedwait(&gate_free, &gate_lock, &deadline) == ETIMEDOUT)
				break;
		waiting--;
		ok = slots_busy < slots_max;
	}
	if (ok)
		slots_busy++;
	pthread_mutex_unlock(&gate_lock);
	return ok;
}

static void gate_leave(void)
{
	pthread_mutex_lock(&gate_lock);
	slots_busy--;
	pthread_cond_signal(&gate_free);
	pthread_mutex_unlock(&gate_lock);
}

static const char *addr_or_local(const char *addr)
{
	return addr && *addr ? addr : "local";
}

static enum cl_status budget(sqlite3 *db, const char *user, const char *addr, struct srv_err *err)
{
	int wait = 0;
	enum srv_throttle_verdict v = srv_throttle_check(db, user, addr, time(NULL), &wait);

	if (v == SRV_THROTTLE_OK)
		return CL_OK;
	atomic_fetch_add(v == SRV_THROTTLE_ADDRESS ? &n_addr : v == SRV_THROTTLE_NAME ? &n_name : &n_user, 1);
	err->retry_after = wait > 0 ? wait : 1;
	return srv_err_set(err, CL_E_RETRY_LATER, "busy", NULL,
	                   v == SRV_THROTTLE_ADDRESS
	                       ? "Too many failed logins from this address; try again later."
	                       : "Too many failed attempts for this user; try again later.");
}

enum cl_status srv_login_password(sqlite3 *db, const char *user, const char *password, const char *addr,
                                  struct srv_err *err)
{
	int exists = 0, ok;

	addr = addr_or_local(addr);
	if (budget(db, user, addr, err) != CL_OK)
		return err->e.status;
	if (!gate_enter()) {
		atomic_fetch_add(&n_busy, 1);
		err->retry_after = 1;
		return srv_err_set(err, CL_E_RETRY_LATER, "unavailable", NULL,
		                   "The server is busy checking passwords; try again shortly.");
	}
	if (budget(db, user, addr, err) != CL_OK) {
		gate_leave();
		return err->e.status;
	}
	ok = srv_user_check_password(db, user, password, &exists);
	atomic_fetch_add(&n_checks, 1);
	gate_leave();
	if (ok) {
		srv_throttle_succeeded(db, user, addr, time(NULL));
		return CL_OK;
	}
	atomic_fetch_add(&n_failed, 1);
	srv_throttle_failed(db, user, exists ? user : "", addr, time(NULL));
	return srv_err_set(err, CL_E_REFUSED, "invalid_credentials", NULL,
	                   "User ID or password is incorrect.");
}

enum cl_status srv_login_token_check(sqlite3 *db, const char *user, const char *addr, struct srv_err *err)
{
	return budget(db, user, addr_or_local(addr), err);
}

void srv_login_token_failed(sqlite3 *db, const char *user, const char *addr)
{
	atomic_fetch_add(&n_failed, 1);
	srv_throttle_failed(db, user, NULL, addr_or_local(addr), time(NULL));
}

void srv_login_stats(struct srv_login_stats *out)
{
	out->password_checks = atomic_load(&n_checks);
	out->failed = atomic_load(&n_failed);
	out->refused_address = atomic_load(&n_addr);
	out->refused_name = atomic_load(&n_name);
	out->refused_user = atomic_load(&n_user);
	out->refused_busy = atomic_load(&n_busy);
}
