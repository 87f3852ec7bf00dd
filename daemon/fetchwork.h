/*
 * fetchwork: external programme data inside biofedd (fetch.h's steps).
 * One source at a time: the loop prepares it (reads), a worker thread
 * downloads and decodes it, and the loop publishes what it brought on
 * the loop's own connection, the one writer (DESIGN.md).
 */
#ifndef BIOFED_FETCHWORK_H
#define BIOFED_FETCHWORK_H

#include "daemon.h"

/* From the cron, once a second: when no fetch is running and a source is
 * due, prepares it and starts the worker.  A worker that finished but
 * whose EV_FETCH_DONE was lost (no memory for the event) is finished
 * here, so that fetching never stops for good. */
void fetchwork_tick(struct daemon *d);
/* EV_FETCH_DONE (gen: the event's result, the generation of the job it
 * is about): joins the worker, publishes and records the state of
 * d->fetch_job, frees it, and tells the peers of new change sets.  An
 * event of a job already finished by fetchwork_tick is ignored. */
void fetchwork_done(struct daemon *d, int gen);
/* At exit: waits for a worker still running (bounded by the source's
 * timeouts) and drops what it brought unpublished; the source stays
 * due. */
void fetchwork_stop(struct daemon *d);

#endif
