/* Unit tests of core/expiry.c: states at the window's edges, the notification rules (once a day before
 * expiry, every login after, switches), collecting from both stores, marking, and the per-account overlay
 * for a computer store the account cannot write (run in a child that drops to an unprivileged user). */
#include "check.h"
#include "expiry.h"
#include "fileio.h"
#include "tmpdir.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DAY 86400
/* 2026-11-25T12:00:00Z */
#define NOW ((int64_t)1795608000)

static enum cl_cert_state state_at(int64_t not_after, int64_t now, int days)
{
	struct cl_certificate c;

	memset(&c, 0, sizeof(c));
	c.not_after = not_after;
	return cl_certificate_state(&c, now, days);
}

static void test_states(void)
{
	CHECK_INT_EQ(state_at(NOW + 15 * DAY, NOW, 14), CL_CERT_INSTALLED);
	CHECK_INT_EQ(state_at(NOW + 14 * DAY, NOW, 14), CL_CERT_EXPIRING);
	CHECK_INT_EQ(state_at(NOW + 1, NOW, 14), CL_CERT_EXPIRING);
	CHECK_INT_EQ(state_at(NOW, NOW, 14), CL_CERT_EXPIRED);
	CHECK_INT_EQ(state_at(NOW + 2 * DAY, NOW, 1), CL_CERT_INSTALLED);
	CHECK_INT_EQ(cl_expiry_days_left(NOW + 3 * DAY + 5, NOW), 3);
	CHECK_INT_EQ(cl_expiry_days_left(NOW + 5, NOW), 0);
	CHECK_INT_EQ(cl_expiry_days_left(NOW - 5, NOW), -1);
	CHECK_INT_EQ(cl_expiry_days_left(NOW - DAY, NOW), -1);
	CHECK_INT_EQ(cl_expiry_days_left(NOW - DAY - 1, NOW), -2);
}

static void test_rules(void)
{
	struct cl_certificate c;
	struct cl_settings s;

	cl_settings_defaults(&s);
	memset(&c, 0, sizeof(c));
	c.notify = true;
	c.not_after = NOW + 3 * DAY;
	/* before expiry: once per calendar day, on the timer and at login alike */
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_EXPIRING);
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_EXPIRING);
	c.last_notified = NOW - 3600; /* earlier the same day (TZ=UTC) */
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_NONE);
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_NONE);
	c.last_notified = NOW - 13 * 3600; /* 23:00 the day before */
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_EXPIRING);
	c.last_notified = 0;
	/* outside the window: nothing; a longer window takes it in */
	c.not_after = NOW + 20 * DAY;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_NONE);
	s.notify_days = 30;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_EXPIRING);
	/* switches */
	s.notify_before = false;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_NONE);
	s.notify_before = true;
	c.notify = false;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_NONE);
	c.notify = true;

	/* after expiry: at every login, even when told the same day; never on the timer */
	c.not_after = NOW - DAY;
	c.last_notified = NOW - 60;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_EXPIRED);
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, false), CL_NOTICE_NONE);
	s.notify_expired = false;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_NONE);
	s.notify_expired = true;
	c.notify = false;
	CHECK_INT_EQ(cl_expiry_notice(&c, &s, NOW, true), CL_NOTICE_NONE);
}

struct seed {
	const char *serial;
	int64_t not_after;
	bool notify;
};

static enum cl_status add_certs(struct cl_records *rec, void *data, struct cl_error *err)
{
	const struct seed *s;

	for (s = data; s->serial; s++) {
		struct cl_certificate *c = cl_records_add_certificate(rec, s->serial, NULL, err);

		if (!c)
			return err->status;
		cl_records_set_string(&c->subject, "CN=test", NULL);
		c->not_before = NOW - 300 * DAY;
		c->not_after = s->not_after;
		c->notify = s->notify;
	}
	return CL_OK;
}

static size_t count(const struct cl_expiry_item *it, size_t n, const char *serial, enum cl_notice notice)
{
	size_t i, hits = 0;

	for (i = 0; i < n; i++)
		hits += strcmp(it[i].serial, serial) == 0 && it[i].notice == notice;
	return hits;
}

static void test_collect_and_mark(void)
{
	static const struct seed user[] = {
		{ "a1", NOW + 3 * DAY, true },  /* expiring */
		{ "a2", NOW - 2 * DAY, true },  /* expired */
		{ "a3", NOW + 90 * DAY, true }, /* valid */
		{ "a4", NOW + 2 * DAY, false }, /* expiring, switched off */
		{ NULL, 0, false },
	};
	static const struct seed computer[] = {
		{ "c1", NOW + 5 * DAY, true },
		{ NULL, 0, false },
	};
	struct cl_expiry_item *items = NULL;
	struct cl_settings s;
	struct cl_error err;
	size_t n = 0;

	cl_settings_defaults(&s);
	/* no records anywhere: nothing, no error */
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW, true, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);
	free(items);

	CHECK_INT_EQ(cl_records_update(CL_STORE_USER, add_certs, (void *)user, &err), CL_OK);
	CHECK_INT_EQ(cl_records_update(CL_STORE_COMPUTER, add_certs, (void *)computer, &err), CL_OK);

	CHECK_INT_EQ(cl_expiry_collect(&s, NOW, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 2);
	CHECK_INT_EQ(count(items, n, "a1", CL_NOTICE_EXPIRING), 1);
	CHECK_INT_EQ(count(items, n, "c1", CL_NOTICE_EXPIRING), 1);
	CHECK_INT_EQ(cl_expiry_mark(items, n, NOW, &err), CL_OK);
	free(items);

	/* marked today: the timer says nothing more; a login still reports the expired one */
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + 60, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);
	free(items);
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + 60, true, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(count(items, n, "a2", CL_NOTICE_EXPIRED), 1);
	free(items);
	/* the next day both expiring ones again */
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + DAY, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 2);
	free(items);

	/* the per-certificate switch, in the records */
	CHECK_INT_EQ(cl_expiry_set_notify(CL_STORE_USER, "A1", false, &err), CL_OK);
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + DAY, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(count(items, n, "c1", CL_NOTICE_EXPIRING), 1);
	free(items);
	CHECK_INT_EQ(cl_expiry_set_notify(CL_STORE_USER, "ffff", false, &err), CL_E_LOCAL);
	CHECK_INT_EQ(cl_expiry_set_notify(CL_STORE_USER, "zz", false, &err), CL_E_LOCAL);

	/* a damaged user records file: the computer store is still checked, the damage reported */
	CHECK_INT_EQ(cl_fileio_replace(tmpdir_path("data/certlink/records.json"), "{", 1, 0600, &err), CL_OK);
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + DAY, false, &items, &n, &err), CL_E_LOCAL);
	CHECK_INT_EQ(n, 1);
	free(items);
}

/* An account that cannot write the computer store keeps its switch and times in its own overlay. */
static void overlay_child(void)
{
	struct cl_expiry_item *items = NULL;
	struct cl_records *rec = NULL;
	struct cl_settings s;
	struct cl_error err;
	size_t n = 0;

	cl_settings_defaults(&s);
	setenv("XDG_STATE_HOME", tmpdir_path("nobody-state"), 1);
	setenv("XDG_DATA_HOME", tmpdir_path("nobody-data"), 1);
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + 2 * DAY, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(count(items, n, "c1", CL_NOTICE_EXPIRING), 1);
	CHECK_INT_EQ(cl_expiry_mark(items, n, NOW + 2 * DAY, &err), CL_OK);
	free(items);
	CHECK(cl_fileio_exists(tmpdir_path("nobody-state/certlink/computer-notices.json")));
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + 2 * DAY + 60, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);
	free(items);
	/* the switch, too, and the records snapshot shows it */
	CHECK_INT_EQ(cl_expiry_set_notify(CL_STORE_COMPUTER, "c1", false, &err), CL_OK);
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	CHECK(rec && rec->n_certs == 1 && rec->certs[0]->notify);
	cl_expiry_apply_overlay(rec);
	CHECK(rec && rec->n_certs == 1 && !rec->certs[0]->notify);
	cl_records_free(rec);
	CHECK_INT_EQ(cl_expiry_collect(&s, NOW + 3 * DAY, false, &items, &n, &err), CL_OK);
	CHECK_INT_EQ(n, 0);
	free(items);
}

static void test_overlay(void)
{
	struct cl_records *rec = NULL;
	struct cl_error err;
	pid_t pid;
	int status = 0;

	if (geteuid() != 0) {
		printf("overlay test needs root to drop to another account; skipped\n");
		return;
	}
	mkdir(tmpdir_path("nobody-state"), 0777);
	mkdir(tmpdir_path("nobody-data"), 0777);
	chmod(tmpdir_path("nobody-state"), 0777);
	chmod(tmpdir_path("nobody-data"), 0777);
	chmod(tmpdir_path(""), 0755);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgid(65534) != 0 || setuid(65534) != 0)
			_exit(3);
		int rc;

		overlay_child();
		printf("overlay child: ");
		rc = check_done();
		fflush(stdout);
		_exit(rc == 0 ? 0 : 1);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* the records of the computer store were not touched by the other account */
	CHECK_INT_EQ(cl_records_load(CL_STORE_COMPUTER, &rec, &err), CL_OK);
	CHECK(rec && rec->n_certs == 1 && rec->certs[0]->notify && rec->certs[0]->last_notified == NOW);
	cl_records_free(rec);
}

int main(void)
{
	tmpdir_make("expiry");
	setenv("TZ", "UTC", 1);
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("XDG_STATE_HOME", tmpdir_path("state"), 1);
	setenv("XDG_CONFIG_HOME", tmpdir_path("config"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("sys"), 1);
	test_states();
	test_rules();
	test_collect_and_mark();
	test_overlay();
	tmpdir_remove();
	return check_done();
}
