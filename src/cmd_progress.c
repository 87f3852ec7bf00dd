/*
 * The progress line of the commands that do long work (publish, samples
 * import and derive): one line on stderr, "reading rows: 412,000 rows,
 * 19,300 rows/s", redrawn in place with \r.  It is drawn only after a
 * quarter of a second (a quick command shows nothing;
 * $BIOFED_PROGRESS_AFTER_MS changes that wait), then at most four
 * times a second or when the step changes, and padded with spaces over
 * what it drew before, so that it needs no terminal control codes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define DRAW_EVERY_NS 250000000ull /* at most four lines a second */

/* 1234567 -> "1,234,567" */
static void thousands(size_t v, char *out, size_t n)
{
	char digits[24];
	size_t len, o = 0;

	len = (size_t)snprintf(digits, sizeof(digits), "%zu", v);
	for (size_t i = 0; i < len && o + 2 < n; i++) {
		if (i && (len - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = 0;
}

/* Writes line over what is on the screen (NULL: clears it). */
static void draw(struct cli_progress *p, const char *line)
{
	size_t len = line ? strlen(line) : 0;

	if (!line && !p->width)
		return;
	fprintf(stderr, "\r%s%*s", line ? line : "",
		p->width > len ? (int)(p->width - len) : 0, "");
	if (!line)
		fputc('\r', stderr);
	fflush(stderr);
	p->width = len;
}

static void redraw(struct cli_progress *p, uint64_t now)
{
	char done[32], total[32], line[160];
	double secs = (double)(now - p->step_ns) / 1e9;
	int n;

	if (!p->done && !p->total) { /* a step that counts nothing */
		snprintf(line, sizeof(line), "%s...", p->step);
		draw(p, line);
		p->drawn_ns = now;
		return;
	}
	thousands(p->done, done, sizeof(done));
	n = snprintf(line, sizeof(line), "%s: %s", p->step, done);
	if (p->total) {
		thousands(p->total, total, sizeof(total));
		n += snprintf(line + n, sizeof(line) - (size_t)n,
			      " of %s rows (%d%%)", total,
			      (int)(100.0 * (double)p->done /
				    (double)p->total));
	} else {
		n += snprintf(line + n, sizeof(line) - (size_t)n, " rows");
	}
	if (p->done && secs > 0.1) {
		thousands((size_t)((double)p->done / secs), done, sizeof(done));
		snprintf(line + n, sizeof(line) - (size_t)n, ", %s rows/s", done);
	}
	draw(p, line);
	p->drawn_ns = now;
}

static void on_step(void *ctx, const char *step, size_t done, size_t total)
{
	struct cli_progress *p = ctx;
	uint64_t now = bf_mono_ns();
	int new_step = step && step != p->step && (!p->step ||
						   strcmp(step, p->step));

	if (!step) {
		draw(p, NULL);
		return;
	}
	if (new_step) {
		p->step = step;
		p->step_ns = now;
	}
	p->done = done;
	p->total = total;
	/* nothing for a quick command; then a new step at once (its count
	 * may not move for a while), a count four times a second */
	if (now - p->start_ns < p->after_ns)
		return;
	if (new_step || now - p->drawn_ns >= DRAW_EVERY_NS)
		redraw(p, now);
}

/* $BIOFED_PROGRESS_AFTER_MS when it is a number of 0 to 60000, else the
 * quarter of a second */
static uint64_t wait_before_drawing(void)
{
	const char *e = getenv("BIOFED_PROGRESS_AFTER_MS");
	char *end;
	unsigned long ms;

	if (!e || !*e)
		return DRAW_EVERY_NS;
	ms = strtoul(e, &end, 10);
	if (*end || ms > 60000 || *e == '-')
		return DRAW_EVERY_NS;
	return (uint64_t)ms * 1000000ull;
}

void cli_progress_begin(struct cli *c, struct cli_progress *p)
{
	memset(p, 0, sizeof(*p));
	p->after_ns = wait_before_drawing();
	p->on = c->progress >= 0 ? c->progress : isatty(STDERR_FILENO);
	p->hook.step = on_step;
	p->hook.ctx = p;
	p->start_ns = p->drawn_ns = bf_mono_ns();
}

const struct publish_progress *cli_progress_hook(struct cli_progress *p)
{
	return p->on ? &p->hook : NULL;
}

void cli_progress_end(struct cli_progress *p)
{
	draw(p, NULL);
}
