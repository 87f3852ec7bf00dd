/*
 * The event queue between nng's threads and the main loop (events.h),
 * and the one way a reply or request message is made.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "events.h"

void events_init(struct events *q)
{
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->head = q->tail = NULL;
}

void events_post(struct events *q, enum ev_type type, void *obj, int result,
		 nng_msg *msg, uint32_t pipe)
{
	struct event *e = calloc(1, sizeof(*e));

	if (!e) {
		/* the exchange is lost; anti-entropy repeats it */
		if (msg)
			nng_msg_free(msg);
		return;
	}
	e->type = type;
	e->obj = obj;
	e->result = result;
	e->msg = msg;
	e->pipe = pipe;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = e;
	else
		q->head = e;
	q->tail = e;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

struct event *events_next(struct events *q, int timeout_ms)
{
	struct event *e;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	ts.tv_sec += timeout_ms / 1000 + ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&q->lock);
	while (!q->head) {
		if (pthread_cond_timedwait(&q->cond, &q->lock, &ts) ==
		    ETIMEDOUT)
			break;
	}
	e = q->head;
	if (e) {
		q->head = e->next;
		if (!q->head)
			q->tail = NULL;
	}
	pthread_mutex_unlock(&q->lock);
	return e;
}

void events_purge(struct events *q, const void *obj, size_t size)
{
	struct event **pp, *e;
	const char *lo = obj, *hi = lo + size;

	pthread_mutex_lock(&q->lock);
	q->tail = NULL;
	for (pp = &q->head; (e = *pp) != NULL;) {
		const char *o = e->obj;
		if (o >= lo && o < hi) {
			*pp = e->next;
			if (e->msg)
				nng_msg_free(e->msg);
			free(e);
			continue;
		}
		q->tail = e;
		pp = &e->next;
	}
	pthread_mutex_unlock(&q->lock);
}

void events_drain(struct events *q)
{
	for (struct event *e; (e = events_next(q, 0)) != NULL;) {
		if (e->msg)
			nng_msg_free(e->msg);
		free(e);
	}
}

int events_aio_msg(nng_aio *aio, const struct bf_buf *b)
{
	nng_msg *m;

	if (nng_msg_alloc(&m, 0) != 0)
		return BF_ENOMEM;
	if (nng_msg_append(m, b->p, b->len) != 0) {
		nng_msg_free(m);
		return BF_ENOMEM;
	}
	nng_aio_set_msg(aio, m);
	return 0;
}
