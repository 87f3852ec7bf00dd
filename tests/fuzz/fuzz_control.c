/*
 * libFuzzer target for the control socket's messages: the bytes as a
 * request that biofedd decodes (control_parse_request), and as a reply to
 * "status" that biofed status decodes and judges (health_judge_reply).
 * A request is refused or names one of the two commands, and a refusal
 * leaves it untouched; an accepted one, written out again, decodes to the
 * same.  A reply always gets a verdict with its reasons within bounds,
 * and the same reply judged twice gets the same verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void request(const uint8_t *data, size_t size)
{
	struct control_req req = {.cmd = 0}, again = {.cmd = 0};
	struct bf_err err = {{0}};
	char text[64];
	int rc = control_parse_request(data, size, &req, &err);

	if (rc != 0) {
		if (req.cmd != 0 || !err.msg[0])
			abort(); /* a refusal changes nothing, says why */
		if (size > CONTROL_MAX_REQUEST && rc != BF_ETOOBIG)
			abort();
		return;
	}
	if (req.cmd != CONTROL_STATUS && req.cmd != CONTROL_WAKE)
		abort();
	snprintf(text, sizeof(text), "{\"cmd\":\"%s\"}",
		 req.cmd == CONTROL_STATUS ? "status" : "wake");
	if (control_parse_request(text, strlen(text), &again, NULL) != 0 ||
	    again.cmd != req.cmd)
		abort();
}

static void judged_sane(const struct health_result *h)
{
	if ((unsigned)h->verdict > HEALTH_UNKNOWN ||
	    h->nreasons > HEALTH_MAX_REASONS ||
	    (h->verdict != HEALTH_OK && h->nreasons == 0))
		abort();
	for (size_t i = 0; i < h->nreasons; i++)
		if (!memchr(h->reasons[i], 0, HEALTH_REASON))
			abort();
}

static void reply(const uint8_t *data, size_t size)
{
	struct health_limits lim;
	struct health_result h, h2;
	json_t *st = NULL, *st2 = NULL;

	health_default_limits(&lim);
	health_judge_reply((const char *)data, size, &lim, &h, &st);
	judged_sane(&h);
	if (!st && h.verdict != HEALTH_UNKNOWN)
		abort(); /* nothing to judge is unknown */
	health_judge_reply((const char *)data, size, &lim, &h2, &st2);
	if (h2.verdict != h.verdict || h2.nreasons != h.nreasons ||
	    memcmp(h2.reasons, h.reasons, sizeof(h.reasons[0]) * h.nreasons))
		abort();
	json_decref(st);
	json_decref(st2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	reply(data, size);
	return 0;
}
