/*
 * log: levelled log lines on stderr (journald adds the time and unit).
 *
 *   <6>info peer-up peer=biocruces endpoint=tls+tcp://...
 *
 * Each line starts with the syslog priority in angle brackets (journald
 * reads it), then the level and a stable event word; the rest is
 * key=value text.  Values from outside (peer names, error text) go through
 * log_escape so that a peer cannot forge lines.
 */
#ifndef BIOFED_LOG_H
#define BIOFED_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR = 3, LOG_WARN = 4, LOG_INFO = 6, LOG_DEBUG = 7 };

void log_set_level(enum log_level level);
/* "error", "warn", "info" or "debug"; -1 when none of those. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Copies s into out (size n) with control characters, quotes, backslashes
 * and non-ASCII bytes escaped; returns out. */
const char *log_escape(const char *s, size_t len, char *out, size_t n);

#endif
