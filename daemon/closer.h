/*
 * closer: nng sockets closed off the main loop, and the watch on nng's
 * reaper.
 *
 * nng 1.5.2's TLS layer can lose a send that races with the end of its
 * connection: once the TCP side failed, a partial write continued into a
 * full 16 KiB TLS buffer is queued and never finished, not even by the
 * close (its cancel aborts a TCP send that is no longer running).  The
 * pipe is then never reaped, and as nng has one reaper thread for
 * everything, no connection is cleaned up again and every later nng_close
 * waits for ever.  A peer that vanishes while this node streams a batch
 * to it is enough.  Nothing in nng's API undoes it, so biofedd
 *  - closes sockets on threads of their own, the main loop goes on;
 *  - every few seconds closes a canary (two inproc sockets with a pipe
 *    between them), whose close needs the reaper;
 *  - when a close has not finished in CLOSER_STUCK_MS, stops as for
 *    SIGTERM and executes itself again in place (biofedd.c): same pid,
 *    same arguments, a fresh nng.  Committed work is in the replica;
 *    peers reconnect and anti-entropy resumes where it was.
 *
 * The state is the process's (nng's reaper is): one closer, no handle.
 * closer_socket may be called from any thread, the rest from the loop.
 */
#ifndef BIOFED_CLOSER_H
#define BIOFED_CLOSER_H

#include <nng/nng.h>

#define CLOSER_STUCK_MS 5000
#define CLOSER_CANARY_MS 2000

/* Closes s on a thread of its own (here when none can start).  Every aio
 * of ours on the socket must be stopped first. */
void closer_socket(nng_socket s);
/* From the cron: closes a canary every CLOSER_CANARY_MS while no close
 * is pending. */
void closer_canary(void);
/* Closes not finished yet. */
int closer_pending(void);
/* 1 when a close has been pending for over CLOSER_STUCK_MS: nng is
 * stuck. */
int closer_stuck(void);

#endif
