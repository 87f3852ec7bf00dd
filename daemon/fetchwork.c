/*
 * fetchwork: the daemon's fetches of external programme data (fetch.h),
 * split so that the loop stays the replica's one writer and never waits
 * on the network.
 *
 *   loop    fetchwork_tick: the first due source, fetch_prepare (the
 *           replica's reads: last state, validators, roster), then a
 *           worker thread
 *   worker  fetch_run: download and decode, no database; posts
 *           EV_FETCH_DONE with the job's generation (d->fetch_job
 *           is the job)
 *   loop    fetchwork_done: fetch_finish (publish, state) on d->node
 *
 * The job owns a copy of its source: a reload (SIGHUP) may replace the
 * configuration while the worker runs.
 */
#include <openssl/crypto.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fetchwork.h"

struct fetch_job {
	struct daemon *d;
	struct bf_source src;
	struct fetch_task *task;
	unsigned gen;
	atomic_int finished; /* the worker is done with the job */
};

static void fetch_log(void *ctx, int error, const char *event,
		      const char *source, const char *msg)
{
	(void)ctx;
	log_msg(error ? LOG_WARN : LOG_INFO, event, "source=%s %s", source,
		msg);
}

static const struct fetch_opts log_opts = {fetch_log, NULL, NULL, 0};

static void job_free(struct fetch_job *job)
{
	if (!job)
		return;
	fetch_task_free(job->task);
	free(job);
}

static void *fetch_thread(void *arg)
{
	struct fetch_job *job = arg;

	fetch_run(job->task);
	/* this thread's digest context and OpenSSL state (LeakSanitizer) */
	cs_thread_done();
	OPENSSL_thread_stop();
	atomic_store(&job->finished, 1);
	daemon_post(job->d, EV_FETCH_DONE, NULL, (int)job->gen, NULL, 0);
	return NULL;
}

void fetchwork_tick(struct daemon *d)
{
	const struct bf_config *cfg = &d->node.cfg;
	struct fetch_job *job;
	struct bf_err err;
	size_t i;

	if (d->fetching) {
		struct fetch_job *run = d->fetch_job;

		if (atomic_load(&run->finished))
			fetchwork_done(d, (int)run->gen);
		return;
	}
	for (i = 0; i < cfg->nsources; i++)
		if (fetch_due(d->node.store, &cfg->sources[i], bf_now_ms()))
			break;
	if (i == cfg->nsources)
		return;
	job = calloc(1, sizeof(*job));
	if (!job)
		return; /* tried again at the next tick */
	job->d = d;
	job->src = cfg->sources[i];
	job->gen = ++d->fetch_gen;
	if (fetch_prepare(&d->node, &job->src, &log_opts, &job->task, &err)) {
		log_msg(LOG_ERROR, "fetch-error", "source=%s %s", job->src.name,
			err.msg);
		job_free(job);
		return;
	}
	if (pthread_create(&d->fetch_tid, NULL, fetch_thread, job) != 0) {
		job_free(job);
		return;
	}
	d->fetching = 1;
	d->fetch_job = job;
}

void fetchwork_done(struct daemon *d, int gen)
{
	struct fetch_job *job = d->fetch_job;
	struct fetch_result res;
	struct bf_err err;

	/* finished already by fetchwork_tick: the job is gone */
	if (!d->fetching || (unsigned)gen != d->fetch_gen)
		return;
	pthread_join(d->fetch_tid, NULL);
	d->fetching = 0;
	d->fetch_job = NULL;
	/* this connection applies peers' change sets without waiting for
	 * the disk (biofedd.c); the node's own, signed here, must be on it
	 * before anyone sees them: losing one would sign its seq twice */
	if (store_set_durable(d->node.store, 1, &err) != 0) {
		log_msg(LOG_ERROR, "fetch-error",
			"source=%s %s; not published, tried again when due",
			job->src.name, err.msg);
		job_free(job);
		return;
	}
	/* logged through fetch_log (fetch-ok, fetch-error...) */
	(void)fetch_finish(&d->node, job->task, &res, &err);
	if (store_set_durable(d->node.store, 0, &err) != 0)
		log_msg(LOG_WARN, "sqlite", "%s", err.msg);
	job_free(job);
	daemon_refresh(d);
}

void fetchwork_stop(struct daemon *d)
{
	if (!d->fetching)
		return;
	pthread_join(d->fetch_tid, NULL);
	d->fetching = 0;
	job_free(d->fetch_job);
	d->fetch_job = NULL;
}
