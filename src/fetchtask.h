/*
 * fetchtask: the steps of a fetch (fetch.h: fetch_prepare, fetch_run,
 * fetch_finish, fetch_source) and how fetch speaks: here, with what the
 * downloader (fetch.c) shares of it.
 */
#ifndef BIOFED_FETCHTASK_H
#define BIOFED_FETCHTASK_H

#include "fetch.h"

/* Says one line through o->log (nothing when it is NULL): event is a
 * stable word (fetch.h), the formatted text is cut to one line and made
 * safe for a log line (control characters become '?'). */
void fetch_say(const struct fetch_opts *o, int error, const char *event,
	       const char *source, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

#endif
