/* Unit tests of node: which directory biofed uses when none is given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "node.h"

static char sysdir[] = "/tmp/biofed-node-test.XXXXXX";

static int setup(void **state)
{
	(void)state;
	if (!mkdtemp(sysdir))
		return -1;
	unsetenv("BIOFED_DIR");
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/someone", 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(sysdir);
}

static void biofed_dir_comes_first(void **state)
{
	char out[PATH_MAX];
	struct bf_err err;
	(void)state;

	setenv("BIOFED_DIR", "/given", 1);
	assert_int_equal(node_default_dir_at(sysdir, out, sizeof(out), &err),
			 0);
	assert_string_equal(out, "/given");
	unsetenv("BIOFED_DIR");
}

static void system_dir_for_its_owner(void **state)
{
	char out[PATH_MAX];
	struct bf_err err;
	(void)state;

	/* mkdtemp made it: this process owns it */
	assert_int_equal(node_default_dir_at(sysdir, out, sizeof(out), &err),
			 0);
	assert_string_equal(out, sysdir);
}

static void system_dir_not_for_others(void **state)
{
	char out[PATH_MAX];
	struct bf_err err;
	(void)state;

	/* a directory someone else owns (root's / for an ordinary user; as
	 * root, the test directory given away) */
	if (geteuid() == 0) {
		assert_int_equal(chown(sysdir, 4242, 4242), 0);
		assert_int_equal(node_default_dir_at(sysdir, out, sizeof(out),
						     &err),
				 0);
		assert_int_equal(chown(sysdir, 0, 0), 0);
	} else {
		assert_int_equal(node_default_dir_at("/", out, sizeof(out),
						     &err),
				 0);
	}
	assert_string_equal(out, "/xdg/biofed");
}

static void missing_system_dir_and_home(void **state)
{
	char out[PATH_MAX];
	struct bf_err err;
	(void)state;

	assert_int_equal(node_default_dir_at("/nonexistent/biofed", out,
					     sizeof(out), &err),
			 0);
	assert_string_equal(out, "/xdg/biofed");
	unsetenv("XDG_DATA_HOME");
	assert_int_equal(node_default_dir_at(NULL, out, sizeof(out), &err), 0);
	assert_string_equal(out, "/home/someone/.local/share/biofed");
	unsetenv("HOME");
	assert_int_not_equal(node_default_dir_at(NULL, out, sizeof(out), &err),
			     0);
	assert_non_null(strstr(err.msg, "--dir"));
	setenv("XDG_DATA_HOME", "/xdg", 1);
	setenv("HOME", "/home/someone", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(biofed_dir_comes_first),
		cmocka_unit_test(system_dir_for_its_owner),
		cmocka_unit_test(system_dir_not_for_others),
		cmocka_unit_test(missing_system_dir_and_home),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
