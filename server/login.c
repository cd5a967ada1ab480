/* certlink-server: password checks under the throttle and the key-derivation cap (see login.h).
 *
 * Order matters: the budgets are asked before anything else, so that an address or user whose budget is spent
 * learns nothing, not even from the cache of verified passwords. Then the cache (pwcache.h): a password the
 * key derivation accepted within the last minute is accepted again without a derivation slot, which is what
 * lets a fleet enroll through one shared account. Everything else takes a slot and asks the budgets again
 * once it is held, so that requests that queued while other failures were counted do not derive anyway (the
 * budgets can be overrun by at most the number of slots), and looks at the cache once more (the request
 * before it in the queue may have verified the same password). A wrong password never matches the cache: it
 * pays the derivation and counts against the budgets.
 */
#include "login.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include <openssl/crypto.h>

#include "pwcache.h"
#include "throttle.h"
#include "users.h"

static pthread_mutex_t gate_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gate_free;
static pthread_once_t gate_once = PTHREAD_ONCE_INIT;
static unsigned slots_max = 2, queue_max = 4, slots_busy, waiting;

static atomic_ulong n_checks, n_cached, n_failed, n_addr, n_name, n_user, n_busy;

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

/* 1 when the cache vouches for user's password as the database holds it now. */
static int cached(sqlite3 *db, const char *user, const char *password)
{
	char stored[SRV_PW_HASH_MAX];
	int hit = srv_user_password_hash(db, user, stored, sizeof(stored)) &&
	          srv_pwcache_hit(user, password, stored, time(NULL));

	OPENSSL_cleanse(stored, sizeof(stored));
	if (hit)
		atomic_fetch_add(&n_cached, 1);
	return hit;
}

/* The key derivation, under a slot. 1 when the password matches; *exists says whether the user does. */
static int derive_and_check(sqlite3 *db, const char *user, const char *password, int *exists)
{
	char stored[SRV_PW_HASH_MAX];
	int ok;

	*exists = srv_user_password_hash(db, user, stored, sizeof(stored));
	ok = srv_user_verify_stored(*exists ? stored : "", password);
	atomic_fetch_add(&n_checks, 1);
	if (ok)
		srv_pwcache_add(user, password, stored, time(NULL));
	OPENSSL_cleanse(stored, sizeof(stored));
	return ok;
}

enum cl_status srv_login_password(sqlite3 *db, const char *user, const char *password, const char *addr,
                                  struct srv_err *err)
{
	int exists = 0, ok;

	addr = addr_or_local(addr);
	if (budget(db, user, addr, err) != CL_OK)
		return err->e.status;
	if (cached(db, user, password)) {
		srv_throttle_succeeded(db, user, addr, time(NULL));
		return CL_OK;
	}
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
	ok = cached(db, user, password) || derive_and_check(db, user, password, &exists);
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
	out->cache_hits = atomic_load(&n_cached);
	out->failed = atomic_load(&n_failed);
	out->refused_address = atomic_load(&n_addr);
	out->refused_name = atomic_load(&n_name);
	out->refused_user = atomic_load(&n_user);
	out->refused_busy = atomic_load(&n_busy);
}
