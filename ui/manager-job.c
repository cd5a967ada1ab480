/* certlink-manager: core calls on a worker thread (see manager-job.h). */
#include "manager-job.h"

#include <openssl/crypto.h>
#include <string.h>

struct _CertlinkManagerJob {
	GObject parent;
	GMainContext *context; /* where signals are emitted */
	struct cl_cancel cancel;
	GMutex lock;
	GCond answered_cond;
	gboolean waiting;  /* the worker waits for an answer */
	gboolean answered; /* under lock */
	enum cl_status answer;
	gboolean running;
	/* run */
	struct cl_enroll_opts opts;
	CertlinkManagerJobFunc func;
	gpointer data;
	GDestroyNotify data_free;
	struct cl_enroll_result result;
	struct cl_error err;
};

G_DEFINE_FINAL_TYPE(CertlinkManagerJob, certlink_manager_job, G_TYPE_OBJECT)

enum { SIGNAL_PROGRESS, SIGNAL_QUESTION, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- hops from the worker to the main loop ---- */

struct progress_msg {
	CertlinkManagerJob *job;
	int stage;
	char *detail;
};

static gboolean emit_progress(gpointer p)
{
	struct progress_msg *m = p;

	g_signal_emit(m->job, signals[SIGNAL_PROGRESS], 0, m->stage, m->detail);
	g_object_unref(m->job);
	g_free(m->detail);
	g_free(m);
	return G_SOURCE_REMOVE;
}

static void on_progress(void *user_data, enum cl_stage stage, const char *detail)
{
	CertlinkManagerJob *self = user_data;
	struct progress_msg *m = g_new0(struct progress_msg, 1);

	m->job = g_object_ref(self);
	m->stage = (int)stage;
	m->detail = g_strdup(detail ? detail : "");
	g_main_context_invoke(self->context, emit_progress, m);
}

struct question_msg {
	CertlinkManagerJob *job;
	struct cl_question *q;
};

static gboolean emit_question(gpointer p)
{
	struct question_msg *m = p;

	g_signal_emit(m->job, signals[SIGNAL_QUESTION], 0, m->q);
	g_object_unref(m->job);
	g_free(m);
	return G_SOURCE_REMOVE;
}

/* Worker side: show the question on the main loop and wait for the answer (or cancel). */
static enum cl_status on_ask(void *user_data, struct cl_question *q)
{
	CertlinkManagerJob *self = user_data;
	struct question_msg *m;
	enum cl_status st;

	if (cl_cancel_requested(&self->cancel))
		return CL_E_CANCELLED;
	g_mutex_lock(&self->lock);
	self->waiting = TRUE;
	self->answered = FALSE;
	g_mutex_unlock(&self->lock);
	m = g_new0(struct question_msg, 1);
	m->job = g_object_ref(self);
	m->q = q;
	g_main_context_invoke(self->context, emit_question, m);
	g_mutex_lock(&self->lock);
	while (!self->answered)
		g_cond_wait(&self->answered_cond, &self->lock);
	self->waiting = FALSE;
	st = self->answer;
	g_mutex_unlock(&self->lock);
	return st;
}

/* ---- the run ---- */

static void run_in_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	CertlinkManagerJob *self = source;
	enum cl_status st;

	memset(&self->result, 0, sizeof(self->result));
	cl_error_clear(&self->err);
	st = self->func(&self->opts, &self->result, &self->err, self->data);
	if (st != CL_OK && self->err.status == CL_OK)
		self->err.status = st;
	g_task_return_int(task, st);
}

void certlink_manager_job_start(CertlinkManagerJob *self, const struct cl_enroll_opts *opts,
                                CertlinkManagerJobFunc func, gpointer data, GDestroyNotify data_free,
                                GAsyncReadyCallback callback, gpointer user_data)
{
	GTask *task;

	g_return_if_fail(!self->running);
	self->running = TRUE;
	self->opts = *opts;
	self->opts.progress = on_progress;
	self->opts.ask = on_ask;
	self->opts.user_data = self;
	self->opts.cancel = &self->cancel;
	self->func = func;
	self->data = data;
	self->data_free = data_free;
	cl_cancel_init(&self->cancel);
	task = g_task_new(self, NULL, callback, user_data);
	g_task_set_source_tag(task, certlink_manager_job_start);
	g_task_run_in_thread(task, run_in_thread);
	g_object_unref(task);
}

enum cl_status certlink_manager_job_finish(CertlinkManagerJob *self, GAsyncResult *res,
                                           struct cl_enroll_result *result, struct cl_error *err)
{
	enum cl_status st = (enum cl_status)g_task_propagate_int(G_TASK(res), NULL);

	if (result)
		*result = self->result;
	if (err)
		*err = self->err;
	self->running = FALSE;
	if (self->data_free && self->data)
		self->data_free(self->data);
	self->data = NULL;
	return st;
}

void certlink_manager_job_answer(CertlinkManagerJob *self, enum cl_status status)
{
	g_mutex_lock(&self->lock);
	if (self->waiting && !self->answered) {
		self->answer = status;
		self->answered = TRUE;
		g_cond_signal(&self->answered_cond);
	}
	g_mutex_unlock(&self->lock);
}

void certlink_manager_job_cancel(CertlinkManagerJob *self)
{
	cl_cancel_request(&self->cancel);
	certlink_manager_job_answer(self, CL_E_CANCELLED);
}

gboolean certlink_manager_job_is_running(CertlinkManagerJob *self)
{
	return self->running;
}

static void certlink_manager_job_dispose(GObject *object)
{
	CertlinkManagerJob *self = CERTLINK_MANAGER_JOB(object);

	certlink_manager_job_cancel(self);
	G_OBJECT_CLASS(certlink_manager_job_parent_class)->dispose(object);
}

static void certlink_manager_job_finalize(GObject *object)
{
	CertlinkManagerJob *self = CERTLINK_MANAGER_JOB(object);

	if (self->data_free && self->data)
		self->data_free(self->data);
	g_main_context_unref(self->context);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->answered_cond);
	OPENSSL_cleanse(&self->result, sizeof(self->result));
	G_OBJECT_CLASS(certlink_manager_job_parent_class)->finalize(object);
}

static void certlink_manager_job_class_init(CertlinkManagerJobClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = certlink_manager_job_dispose;
	object_class->finalize = certlink_manager_job_finalize;
	signals[SIGNAL_PROGRESS] = g_signal_new("progress", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
	signals[SIGNAL_QUESTION] = g_signal_new("question", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
	                                        NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_POINTER);
}

static void certlink_manager_job_init(CertlinkManagerJob *self)
{
	self->context = g_main_context_ref_thread_default();
	g_mutex_init(&self->lock);
	g_cond_init(&self->answered_cond);
	cl_cancel_init(&self->cancel);
}

CertlinkManagerJob *certlink_manager_job_new(void)
{
	return g_object_new(CERTLINK_TYPE_MANAGER_JOB, NULL);
}

const struct cl_cancel *certlink_manager_job_get_cancel(CertlinkManagerJob *self)
{
	return &self->cancel;
}
