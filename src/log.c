/*
 * log: the daemon's log lines.
 */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static enum log_level max_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void log_set_level(enum log_level level)
{
	max_level = level;
}

int log_level_parse(const char *name)
{
	if (strcmp(name, "error") == 0)
		return LOG_ERROR;
	if (strcmp(name, "warn") == 0)
		return LOG_WARN;
	if (strcmp(name, "info") == 0)
		return LOG_INFO;
	if (strcmp(name, "debug") == 0)
		return LOG_DEBUG;
	return -1;
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
	static const char *const names[] = {[LOG_ERROR] = "error",
					    [LOG_WARN] = "warn",
					    [LOG_INFO] = "info",
					    [LOG_DEBUG] = "debug"};
	char line[2048];
	int n;
	va_list ap;

	if (level > max_level)
		return;
	n = snprintf(line, sizeof(line), "<%d>%s %s ", (int)level,
		     names[level], event);
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "%s\n", line);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

const char *log_escape(const char *s, size_t len, char *out, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	size_t o = 0;

	if (n == 0)
		return out;
	for (size_t i = 0; i < len && o + 5 < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hexd[c >> 4];
			out[o++] = hexd[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	out[o] = 0;
	return out;
}
