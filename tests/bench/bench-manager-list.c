/* Benchmark: how fast certlink-manager's certificate list shows 1,000 certificates.
 *
 *   bench-manager-list            the in-process figures below
 *   bench-manager-list --seed N   only write N certificates into the records of $XDG_DATA_HOME and exit
 *                                 (tests/bench/window-bench.py starts the real certlink-manager on them)
 *
 * Writes a records file with 1,000 certificates and 20 pending applications into a throwaway XDG data
 * directory, then measures, in a real window (needs a display: ctest runs it under xvfb-run):
 *   load    reading and classifying the records (what the worker thread does), certlink_manager_entries_load
 *   show    one GListStore splice of the entries into the GtkListView, until the next frame is painted
 *   reload  the whole path a person triggers (Refresh): worker thread, splice, paint
 *   scroll  jumping to the end of the list, until painted
 *   frame   one frame with nothing new, for scale (software rendering under Xvfb is slow)
 * Prints milliseconds (min / median / max of several rounds). No timed assertions: it fails only when the
 * list does not hold every record.
 */
#include <gtk/gtk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "manager-certlist.h"
#include "manager-entry.h"
#include "records.h"
#include "tmpdir.h"

#define N_CERTS 1000
#define N_APPS  20
#define ROUNDS  7

static enum cl_status seed(struct cl_records *rec, void *data, struct cl_error *err)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	int i, n_certs = data ? *(const int *)data : N_CERTS, n_apps = data ? 0 : N_APPS;
	char serial[41], subject[64];

	for (i = 0; i < n_certs; i++) {
		struct cl_certificate *c;

		snprintf(serial, sizeof(serial), "%x", 0x100000 + i);
		c = cl_records_add_certificate(rec, serial, NULL, err);
		if (!c)
			return err->status;
		snprintf(subject, sizeof(subject), "CN=user%04d,O=Bench", i);
		cl_records_set_string(&c->subject, subject, NULL);
		cl_records_set_string(&c->issuer, "CN=Bench CA", NULL);
		cl_records_set_string(&c->server_host, "enroll.example.com", NULL);
		c->server_port = 443;
		c->not_before = now - 86400;
		c->not_after = now + (gint64)(i % 400) * 86400 - 30 * 86400; /* some expired, some expiring */
	}
	for (i = 0; i < n_apps; i++) {
		struct cl_application *a = cl_records_add_application(rec, err);

		if (!a)
			return err->status;
		cl_records_set_string(&a->server_host, "enroll.example.com", NULL);
		a->server_port = 443;
		cl_records_set_string(&a->user, "bench", NULL);
		cl_records_set_string(&a->client_request_id, "00000000-0000-4000-8000-000000000000", NULL);
		a->state = CL_APP_PENDING;
	}
	return CL_OK;
}

static gboolean painted;

static void on_after_paint(GdkFrameClock *clock, gpointer data)
{
	painted = TRUE;
}

/* Run the main loop until the window painted a frame after now. */
static void wait_paint(GtkWidget *window)
{
	GdkFrameClock *clock = gtk_widget_get_frame_clock(window);

	painted = FALSE;
	gtk_widget_queue_draw(window);
	if (!clock) {
		while (g_main_context_iteration(NULL, FALSE))
			;
		return;
	}
	while (!painted)
		g_main_context_iteration(NULL, TRUE);
}

static gboolean loaded;

static void on_loaded(CertlinkManagerCertList *list, gpointer data)
{
	loaded = TRUE;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *what, double *ms)
{
	qsort(ms, ROUNDS, sizeof(*ms), cmp);
	printf("%-7s %8.1f ms min %8.1f ms median %8.1f ms max\n", what, ms[0], ms[ROUNDS / 2],
	       ms[ROUNDS - 1]);
}

static GtkListView *find_list_view(GtkWidget *w)
{
	GtkWidget *c;

	if (GTK_IS_LIST_VIEW(w))
		return GTK_LIST_VIEW(w);
	for (c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c)) {
		GtkListView *found = find_list_view(c);

		if (found)
			return found;
	}
	return NULL;
}

/* --seed N: the records of the real $XDG_DATA_HOME, for a benchmark that starts certlink-manager. */
static int seed_only(const char *count)
{
	int n = atoi(count);
	struct cl_error err;

	if (n <= 0 || n > 100000 || !g_getenv("XDG_DATA_HOME")) {
		fprintf(stderr, "bench-manager-list --seed N (1-100000) needs XDG_DATA_HOME\n");
		return 2;
	}
	if (cl_records_update(CL_STORE_USER, seed, &n, &err) != CL_OK) {
		fprintf(stderr, "seeding the records: %s\n", err.msg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double load[ROUNDS], show[ROUNDS], reload[ROUNDS], scroll[ROUNDS], frame[ROUNDS];
	GtkWidget *window, *list;
	GdkFrameClock *clock;
	struct cl_error err;
	GtkListView *view;
	GtkAdjustment *adj;
	GPtrArray *entries = NULL;
	guint n_items = 0;
	int r;

	if (argc == 3 && strcmp(argv[1], "--seed") == 0)
		return seed_only(argv[2]);
	tmpdir_make("bench-list");
	setenv("XDG_DATA_HOME", tmpdir_path("data"), 1);
	setenv("XDG_CONFIG_HOME", tmpdir_path("config"), 1);
	setenv("XDG_STATE_HOME", tmpdir_path("state"), 1);
	setenv("CERTLINK_SYSTEM_DIR", tmpdir_path("system"), 1);
	if (cl_records_update(CL_STORE_USER, seed, NULL, &err) != CL_OK) {
		fprintf(stderr, "seeding the records: %s\n", err.msg);
		return 1;
	}
	gtk_init();
	window = gtk_window_new();
	gtk_window_set_default_size(GTK_WINDOW(window), 960, 640);
	list = g_object_new(CERTLINK_TYPE_MANAGER_CERTLIST, NULL);
	gtk_window_set_child(GTK_WINDOW(window), list);
	g_signal_connect(list, "loaded", G_CALLBACK(on_loaded), NULL);
	gtk_window_present(GTK_WINDOW(window));
	while (!gtk_widget_get_mapped(window))
		g_main_context_iteration(NULL, TRUE);
	clock = gtk_widget_get_frame_clock(window);
	g_signal_connect(clock, "after-paint", G_CALLBACK(on_after_paint), NULL);
	view = find_list_view(list);

	for (r = 0; r < ROUNDS; r++) {
		GPtrArray *empty = g_ptr_array_new();
		gint64 t0 = g_get_monotonic_time(), t1;

		t0 = g_get_monotonic_time();
		wait_paint(window); /* a frame with nothing new: what any change costs at least here */
		frame[r] = (double)(g_get_monotonic_time() - t0) / 1000.0;
		t0 = g_get_monotonic_time();
		if (entries)
			g_ptr_array_unref(entries);
		entries = certlink_manager_entries_load(g_get_real_time() / G_USEC_PER_SEC, 14, NULL);
		t1 = g_get_monotonic_time();
		load[r] = (double)(t1 - t0) / 1000.0;

		certlink_manager_certlist_set_entries(CERTLINK_MANAGER_CERTLIST(list), empty);
		wait_paint(window);
		t0 = g_get_monotonic_time();
		certlink_manager_certlist_set_entries(CERTLINK_MANAGER_CERTLIST(list), entries);
		wait_paint(window);
		show[r] = (double)(g_get_monotonic_time() - t0) / 1000.0;
		g_ptr_array_unref(empty);

		t0 = g_get_monotonic_time();
		adj = gtk_scrollable_get_vadjustment(GTK_SCROLLABLE(view));
		gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj));
		wait_paint(window);
		scroll[r] = (double)(g_get_monotonic_time() - t0) / 1000.0;
		gtk_adjustment_set_value(adj, 0);
		wait_paint(window);

		loaded = FALSE;
		t0 = g_get_monotonic_time();
		certlink_manager_certlist_reload(CERTLINK_MANAGER_CERTLIST(list));
		while (!loaded)
			g_main_context_iteration(NULL, TRUE);
		wait_paint(window);
		reload[r] = (double)(g_get_monotonic_time() - t0) / 1000.0;
	}
	n_items = g_list_model_get_n_items(G_LIST_MODEL(gtk_list_view_get_model(view)));
	printf("certlink-manager list with %d certificates and %d applications (%u rows), %d rounds:\n",
	       N_CERTS, N_APPS, n_items, ROUNDS);
	report("frame", frame);
	report("load", load);
	report("show", show);
	report("reload", reload);
	report("scroll", scroll);
	g_ptr_array_unref(entries);
	gtk_window_destroy(GTK_WINDOW(window));
	tmpdir_remove();
	if (n_items != N_CERTS + N_APPS) {
		fprintf(stderr, "the list shows %u rows, not %d\n", n_items, N_CERTS + N_APPS);
		return 1;
	}
	return 0;
}
