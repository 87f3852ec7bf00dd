/*
 * Closing nng sockets off the main loop, and the canary that tells when
 * nng's reaper is stuck (closer.h says why).
 */
#include <nng/nng.h>
#include <nng/protocol/pair0/pair.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "closer.h"
#include "util.h"

static atomic_int closing;
static atomic_ullong closing_since_ms;
static uint64_t last_canary_ms; /* the loop's only */

static void *closer_thread(void *arg)
{
	nng_socket *s = arg;

	nng_close(*s);
	free(s);
	atomic_fetch_sub(&closing, 1);
	return NULL;
}

void closer_socket(nng_socket s)
{
	nng_socket *p = malloc(sizeof(*p));
	pthread_t t;

	if (p) {
		*p = s;
		if (atomic_fetch_add(&closing, 1) == 0)
			atomic_store(&closing_since_ms, bf_now_ms());
		if (pthread_create(&t, NULL, closer_thread, p) == 0) {
			pthread_detach(t);
			return;
		}
		atomic_fetch_sub(&closing, 1);
		free(p);
	}
	nng_close(s); /* no thread: close here */
}

/* Two pair sockets joined over inproc, then closed: the close waits for
 * their pipe to be reaped. */
void closer_canary(void)
{
	char url[96];
	nng_socket a, b;

	if (atomic_load(&closing) > 0 ||
	    bf_now_ms() - last_canary_ms < CLOSER_CANARY_MS)
		return;
	last_canary_ms = bf_now_ms();
	snprintf(url, sizeof(url), "inproc://biofedd-canary-%ld-%llu",
		 (long)getpid(), (unsigned long long)last_canary_ms);
	if (nng_pair0_open(&a) != 0)
		return;
	if (nng_pair0_open(&b) != 0) {
		nng_close(a);
		return;
	}
	if (nng_listen(a, url, NULL, 0) == 0)
		nng_dial(b, url, NULL, 0); /* inproc: the pipe exists now */
	closer_socket(b);
	closer_socket(a);
}

int closer_pending(void)
{
	return atomic_load(&closing);
}

int closer_stuck(void)
{
	return atomic_load(&closing) > 0 &&
	       bf_now_ms() - atomic_load(&closing_since_ms) > CLOSER_STUCK_MS;
}
