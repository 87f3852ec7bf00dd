/* Unit tests of the control socket's request decoder (control.h): the two
 * requests, what a newer client may add, and every way a request can be
 * refused, each refusal leaving the request as it was and saying why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "control.h"

static int parse(const char *text, struct control_req *req, struct bf_err *err)
{
	return control_parse_request(text, strlen(text), req, err);
}

static void the_two_requests(void **state)
{
	struct control_req req = {0};
	struct bf_err err;

	(void)state;
	assert_int_equal(parse("{\"cmd\":\"status\"}", &req, &err), 0);
	assert_int_equal(req.cmd, CONTROL_STATUS);
	assert_int_equal(parse(" {\"cmd\": \"wake\"}\n", &req, &err), 0);
	assert_int_equal(req.cmd, CONTROL_WAKE);
	/* what biofed sends: control_request's own text */
	assert_int_equal(parse("{\"cmd\":\"wake\"}", &req, NULL), 0);
}

static void members_a_newer_client_adds(void **state)
{
	struct control_req req = {0};

	(void)state;
	assert_int_equal(parse("{\"v\": 2, \"cmd\": \"status\", "
			       "\"since\": [1, {\"a\": null}]}",
			       &req, NULL),
			 0);
	assert_int_equal(req.cmd, CONTROL_STATUS);
}

/* text is refused with rc, a message holding part, req untouched */
static void refused(const char *text, size_t n, int rc, const char *part)
{
	struct control_req req = {.cmd = CONTROL_WAKE};
	struct bf_err err = {{0}};

	if (control_parse_request(text, n, &req, &err) != rc)
		fail_msg("\"%.60s\": not refused with %d", text, rc);
	assert_int_equal(req.cmd, CONTROL_WAKE);
	if (!strstr(err.msg, part))
		fail_msg("\"%.60s\": message \"%s\" lacks \"%s\"", text,
			 err.msg, part);
	/* and without a place for the message */
	assert_int_equal(control_parse_request(text, n, &req, NULL), rc);
}

static void refusals(void **state)
{
	static const char nul[] = "{\"cmd\":\"status\\u0000x\"}";
	static const char raw_nul[] = "{\"cmd\":\"status\"}\0";

	(void)state;
	refused("", 0, BF_EINVAL, "control request: 1:0");
	refused("status", 6, BF_EINVAL, "control request");
	refused("{\"cmd\":\"status\"", 15, BF_EINVAL, "control request");
	refused("[\"status\"]", 10, BF_EINVAL, "not a JSON object");
	refused("{}", 2, BF_EINVAL, "no \"cmd\" string");
	refused("{\"cmd\": 1}", 10, BF_EINVAL, "no \"cmd\" string");
	refused("{\"cmd\": null}", 13, BF_EINVAL, "no \"cmd\" string");
	refused("{\"cmd\": \"stop\"}", 15, BF_EINVAL,
		"unknown cmd \"stop\" (status, wake)");
	refused("{\"cmd\": \"STATUS\"}", 17, BF_EINVAL, "unknown cmd");
	refused("{\"cmd\": \"wake\", \"cmd\": \"status\"}", 32, BF_EINVAL,
		"duplicate");
	/* a NUL inside the string, or after the object */
	refused(nul, sizeof(nul) - 1, BF_EINVAL, "control request");
	refused(raw_nul, sizeof(raw_nul) - 1, BF_EINVAL, "control request");
	refused("{\"cmd\":\"status\"} {}", 19, BF_EINVAL, "control request");
}

static void size_cap(void **state)
{
	size_t n = CONTROL_MAX_REQUEST + 1;
	char *big = malloc(n);
	struct control_req req = {0};

	(void)state;
	assert_non_null(big);
	/* a valid request padded with spaces to the cap, then one more */
	memset(big, ' ', n);
	memcpy(big, "{\"cmd\":\"wake\"}", 14);
	assert_int_equal(control_parse_request(big, n - 1, &req, NULL), 0);
	assert_int_equal(req.cmd, CONTROL_WAKE);
	refused(big, n, BF_ETOOBIG, "over 65536");
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(the_two_requests),
		cmocka_unit_test(members_a_newer_client_adds),
		cmocka_unit_test(refusals),
		cmocka_unit_test(size_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
