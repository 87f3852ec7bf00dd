/* Unit tests of node.metrics (config_metrics_url in config.h): loopback
 * addresses only, a port from 1 to 65535, and the URL biofedd serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "config.h"

static void loopback_accepted(void **state)
{
	static const struct {
		const char *addr, *url;
	} ok[] = {
		{"127.0.0.1:9464", "http://127.0.0.1:9464"},
		{"127.3.2.1:1", "http://127.3.2.1:1"},
		{"localhost:9464", "http://127.0.0.1:9464"},
		{"[::1]:65535", "http://[::1]:65535"},
	};
	char url[96], msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(config_metrics_url(ok[i].addr, url, sizeof(url),
						    msg, sizeof(msg)),
				 0);
		assert_string_equal(url, ok[i].url);
	}
}

static void others_refused(void **state)
{
	static const char *const bad[] = {
		"0.0.0.0:9464",   "10.0.0.1:9464", "128.0.0.1:9464",
		"127.0.0.256:1",  "127.0.0:9464",  "127.0.0.1",
		"127.0.0.1:",     ":9464",         "127.0.0.1:0",
		"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:94x",
		"[::]:9464",      "example.org:9464", "127.0.0.1.nip.io:80",
	};
	char url[96], msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		msg[0] = 0;
		if (config_metrics_url(bad[i], url, sizeof(url), msg,
				       sizeof(msg)) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_true(msg[0] != 0);
	}
	config_metrics_url("0.0.0.0:9464", url, sizeof(url), msg, sizeof(msg));
	assert_non_null(strstr(msg, "is not a loopback address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_accepted),
		cmocka_unit_test(others_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
