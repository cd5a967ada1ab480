/* certlink ui: runs cl_enroll_run() on a worker thread for a GTK front end (see enroll-runner.h).
 *
 * Signals, both on the main context the runner was started from:
 *   stage(guint stage, const char *detail)   the flow reached a stage (detail may be NULL)
 *   question(gpointer struct cl_question *)  the flow asks; answer with certlink_enroll_runner_answer()
 *
 * The question the window sees is the runner's own copy (strings duplicated), not the worker's: after a
 * cancel the worker returns and its stack frame is gone, while a dialog may still hold the pointer.
 */
#include "enroll-runner.h"

#include <string.h>

#include "elevate.h"

struct _CertlinkEnrollRunner {
	GObject parent_instance;

	GMainContext *context;
	struct cl_cancel cancel;
	gboolean running;

	GMutex lock; /* guards everything below */
	GCond answered_cond;
	gboolean asking;
	gboolean answered;
	enum cl_status answer_status;
	struct cl_question question; /* the copy the main loop sees */
	char *strings[9];            /* owned copies of question's "shown" strings */
};

enum { SIGNAL_STAGE, SIGNAL_QUESTION, N_SIGNALS };
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE(CertlinkEnrollRunner, certlink_enroll_runner, G_TYPE_OBJECT)

struct run_data {
	struct cl_enroll_opts opts;
	struct cl_enroll_result result;
	struct cl_error err;
	enum cl_status status;
};

struct stage_event {
	CertlinkEnrollRunner *self;
	enum cl_stage stage;
	char *detail;
};

static gboolean emit_stage(gpointer data)
{
	struct stage_event *ev = data;

	g_signal_emit(ev->self, signals[SIGNAL_STAGE], 0, (guint)ev->stage, ev->detail);
	return G_SOURCE_REMOVE;
}

static void free_stage_event(gpointer data)
{
	struct stage_event *ev = data;

	g_object_unref(ev->self);
	g_free(ev->detail);
	g_free(ev);
}

/* Worker thread: never blocks; the main loop shows the stage when it gets to it. */
static void on_progress(void *user_data, enum cl_stage stage, const char *detail)
{
	CertlinkEnrollRunner *self = user_data;
	struct stage_event *ev = g_new0(struct stage_event, 1);

	ev->self = g_object_ref(self);
	ev->stage = stage;
	ev->detail = g_strdup(detail);
	g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, emit_stage, ev, free_stage_event);
}

static gboolean emit_question(gpointer data)
{
	CertlinkEnrollRunner *self = data;
	gboolean still_asking;

	g_mutex_lock(&self->lock);
	still_asking = self->asking && !self->answered;
	g_mutex_unlock(&self->lock);
	if (still_asking)
		g_signal_emit(self, signals[SIGNAL_QUESTION], 0, &self->question);
	return G_SOURCE_REMOVE;
}

/* Called with the lock held. */
static void copy_question_in(CertlinkEnrollRunner *self, const struct cl_question *q)
{
	const char *shown[9] = { q->host,       q->fingerprint,  q->subject,
		                 q->issuer,     q->service_name, q->device_note_label,
		                 q->error_hint, q->serial,       q->key_type };

	self->question = *q; /* answers pre-filled by the flow (user) come along */
	for (int i = 0; i < 9; i++)
		self->strings[i] = g_strdup(shown[i]);
	self->question.host = self->strings[0];
	self->question.fingerprint = self->strings[1];
	self->question.subject = self->strings[2];
	self->question.issuer = self->strings[3];
	self->question.service_name = self->strings[4];
	self->question.device_note_label = self->strings[5];
	self->question.error_hint = self->strings[6];
	self->question.serial = self->strings[7];
	self->question.key_type = self->strings[8];
}

/* Called with the lock held. The password must not outlive the answer. */
static void clear_question(CertlinkEnrollRunner *self)
{
	explicit_bzero(&self->question, sizeof(self->question));
	for (int i = 0; i < 9; i++)
		g_clear_pointer(&self->strings[i], g_free);
}

static void copy_answers_out(const struct cl_question *from, struct cl_question *to)
{
	to->trust = from->trust;
	to->store = from->store;
	memcpy(to->user, from->user, sizeof(to->user));
	memcpy(to->password, from->password, sizeof(to->password));
	memcpy(to->code, from->code, sizeof(to->code));
	memcpy(to->email, from->email, sizeof(to->email));
	memcpy(to->reason, from->reason, sizeof(to->reason));
	memcpy(to->device_note, from->device_note, sizeof(to->device_note));
	/* Every buffer is NUL-terminated whatever a front end wrote. */
	to->user[sizeof(to->user) - 1] = '\0';
	to->password[sizeof(to->password) - 1] = '\0';
	to->code[sizeof(to->code) - 1] = '\0';
	to->email[sizeof(to->email) - 1] = '\0';
	to->reason[sizeof(to->reason) - 1] = '\0';
	to->device_note[sizeof(to->device_note) - 1] = '\0';
}

/* Worker thread: hand the question to the main loop and wait for the person. */
static enum cl_status on_ask(void *user_data, struct cl_question *q)
{
	CertlinkEnrollRunner *self = user_data;
	enum cl_status status;

	g_mutex_lock(&self->lock);
	if (cl_cancel_requested(&self->cancel)) {
		g_mutex_unlock(&self->lock);
		return CL_E_CANCELLED;
	}
	copy_question_in(self, q);
	self->asking = TRUE;
	self->answered = FALSE;
	g_mutex_unlock(&self->lock);

	g_main_context_invoke_full(self->context, G_PRIORITY_DEFAULT, emit_question, g_object_ref(self),
	                           g_object_unref);

	g_mutex_lock(&self->lock);
	while (!self->answered)
		g_cond_wait(&self->answered_cond, &self->lock);
	status = self->answer_status;
	if (status == CL_OK)
		copy_answers_out(&self->question, q);
	clear_question(self);
	self->asking = FALSE;
	g_mutex_unlock(&self->lock);
	return status;
}

/* Worker thread: the computer store while not root. pkexec's authentication dialog comes from the desktop's
 * polkit agent; the wait ends on Cancel. */
static enum cl_status on_elevate(void *user_data, const char *staging_dir, struct cl_error *err)
{
	CertlinkEnrollRunner *self = user_data;

	return cl_elevate_install(staging_dir, &self->cancel, err);
}

/* Worker thread: a trust anchor of the computer the person agreed to, through its own polkit action. */
static enum cl_status on_elevate_anchor(void *user_data, const char *staging_dir, const char *sha256,
                                        const char *subject, struct cl_error *err)
{
	CertlinkEnrollRunner *self = user_data;

	return cl_elevate_anchor(staging_dir, sha256, subject, &self->cancel, err);
}

/* Worker thread: the profile's networks as the computer's connections, through their own polkit action. */
static enum cl_status on_elevate_network(void *user_data, const char *staging_dir, struct cl_error *err)
{
	CertlinkEnrollRunner *self = user_data;

	return cl_elevate_network(staging_dir, &self->cancel, err);
}

/* Worker thread: a renewal that keeps the computer store's key, whose request the helper signs. */
static enum cl_status on_elevate_sign(void *user_data, const char *staging_dir, const char *sha256,
                                      const char *subject, char **request, size_t *len, struct cl_error *err)
{
	CertlinkEnrollRunner *self = user_data;

	return cl_elevate_sign(staging_dir, sha256, subject, &self->cancel, request, len, err);
}

static void run_in_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	struct run_data *run = task_data;

	cl_error_clear(&run->err);
	run->status = cl_enroll_run(&run->opts, &run->result, &run->err);
	if (run->status != CL_OK && run->err.status == CL_OK)
		run->err.status = run->status;
	g_task_return_boolean(task, TRUE);
}

static void free_run_data(gpointer data)
{
	struct run_data *run = data;

	explicit_bzero(run, sizeof(*run));
	g_free(run);
}

static void on_finished(GObject *source, GAsyncResult *res, gpointer data)
{
	CertlinkEnrollRunner *self = CERTLINK_ENROLL_RUNNER(source);
	GTask *outer = data;

	self->running = FALSE;
	g_task_return_pointer(outer, g_object_ref(res), g_object_unref);
	g_object_unref(outer);
}

CertlinkEnrollRunner *certlink_enroll_runner_new(void)
{
	return g_object_new(CERTLINK_TYPE_ENROLL_RUNNER, NULL);
}

void certlink_enroll_runner_start(CertlinkEnrollRunner *self, const struct cl_enroll_opts *opts,
                                  GAsyncReadyCallback callback, gpointer user_data)
{
	struct run_data *run;
	GTask *outer, *task;

	g_return_if_fail(CERTLINK_IS_ENROLL_RUNNER(self));
	g_return_if_fail(!self->running);

	run = g_new0(struct run_data, 1);
	run->opts = *opts;
	run->opts.progress = on_progress;
	run->opts.ask = on_ask;
	run->opts.elevate = on_elevate;
	run->opts.elevate_anchor = on_elevate_anchor;
	run->opts.elevate_network = on_elevate_network;
	run->opts.elevate_sign = on_elevate_sign;
	run->opts.user_data = self;
	run->opts.cancel = &self->cancel;
	cl_cancel_init(&self->cancel);
	g_clear_pointer(&self->context, g_main_context_unref);
	self->context = g_main_context_ref_thread_default();
	self->running = TRUE;

	/* The outer task is what the caller sees; the inner one owns the thread and keeps self alive. */
	outer = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(outer, certlink_enroll_runner_start);
	task = g_task_new(self, NULL, on_finished, outer);
	g_task_set_task_data(task, run, free_run_data);
	g_task_run_in_thread(task, run_in_thread);
	g_object_unref(task);
}

enum cl_status certlink_enroll_runner_finish(CertlinkEnrollRunner *self, GAsyncResult *res,
                                             struct cl_enroll_result *result, struct cl_error *err)
{
	GTask *inner;
	struct run_data *run;
	enum cl_status status;

	g_return_val_if_fail(g_task_is_valid(res, self), CL_E_UNEXPECTED);
	inner = g_task_propagate_pointer(G_TASK(res), NULL);
	run = g_task_get_task_data(inner);
	*result = run->result;
	*err = run->err;
	status = run->status;
	g_object_unref(inner);
	return status;
}

void certlink_enroll_runner_answer(CertlinkEnrollRunner *self, enum cl_status status)
{
	g_mutex_lock(&self->lock);
	if (self->asking && !self->answered) {
		self->answer_status = status;
		self->answered = TRUE;
		g_cond_signal(&self->answered_cond);
	}
	g_mutex_unlock(&self->lock);
}

void certlink_enroll_runner_cancel(CertlinkEnrollRunner *self)
{
	cl_cancel_request(&self->cancel);
	certlink_enroll_runner_answer(self, CL_E_CANCELLED);
}

gboolean certlink_enroll_runner_is_running(CertlinkEnrollRunner *self)
{
	return self->running;
}

static void certlink_enroll_runner_finalize(GObject *object)
{
	CertlinkEnrollRunner *self = CERTLINK_ENROLL_RUNNER(object);

	clear_question(self);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->answered_cond);
	G_OBJECT_CLASS(certlink_enroll_runner_parent_class)->finalize(object);
}

static void certlink_enroll_runner_class_init(CertlinkEnrollRunnerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->finalize = certlink_enroll_runner_finalize;
	signals[SIGNAL_STAGE] = g_signal_new("stage", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
	                                     NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);
	signals[SIGNAL_QUESTION] = g_signal_new("question", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void certlink_enroll_runner_init(CertlinkEnrollRunner *self)
{
	g_mutex_init(&self->lock);
	g_cond_init(&self->answered_cond);
	cl_cancel_init(&self->cancel);
}
