/* Unit tests of config and util: option table, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "util.h"

static char path[] = "/tmp/biofed-config-test.XXXXXX";

static void write_conf(const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static const char good[] =
	"[node]\nslug = navarrabiomed\nname = Navarrabiomed\ncountry = ES\n"
	"endpoint = tls+tcp://127.0.0.1:7401\n"
	"[federation]\ncoordinator_key = "
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
	"peer = tls+tcp://127.0.0.1:7402\npeer = tls+tcp://127.0.0.1:7403\n"
	"[publish]\nmax_changeset_rows = 500\n";

static void loads_and_renders(void **state)
{
	struct bf_config c, c2;
	struct bf_err err;
	struct bf_buf b;
	(void)state;

	write_conf(good);
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_string_equal(c.slug, "navarrabiomed");
	assert_int_equal(c.npeers, 2);
	assert_string_equal(c.peers[1], "tls+tcp://127.0.0.1:7403");
	assert_int_equal(c.max_changeset_rows, 500);
	assert_int_equal(c.suppress_below, 10); /* default */
	assert_int_equal(c.coordinator_key[31], 0x1f);
	bf_buf_init(&b, 0);
	assert_int_equal(config_render(&c, &b), 0);
	write_conf(bf_buf_cstr(&b));
	bf_buf_free(&b);
	assert_int_equal(config_load(path, &c2, &err), 0);
	assert_memory_equal(&c, &c2, sizeof(c));
}

static void errors_name_line(void **state)
{
	struct bf_config c;
	struct bf_err err;
	char text[2048];
	(void)state;

	snprintf(text, sizeof(text), "%s\n[publish]\nmax_changeset_rows = 0\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":14: publish.max_changeset_rows"));

	snprintf(text, sizeof(text), "%s[node]\ncolour = blue\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":13: unknown option \"colour\""));

	write_conf("[node]\nslug = Not A Slug\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "node.slug"));

	write_conf("[node]\nslug = ok\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "coordinator_key is not set"));

	snprintf(text, sizeof(text), "%s[federation]\npeer = http://x\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "federation.peer"));
}

static void source_sections(void **state)
{
	struct bf_config c, c2;
	struct bf_err err;
	struct bf_buf b;
	char text[4096], longurl[300];
	const struct bf_source *src;
	(void)state;

	snprintf(text, sizeof(text),
		 "%s[source cordis]\nurl = https://cordis.example/project.csv\n"
		 "delimiter = semicolon\nmap.source_id = id\n"
		 "map.title = title\nmap.total_cost = totalCost\n"
		 "header = Accept: text/csv\nallow_empty = true\n"
		 "[source api]\nurl = http://api.example/p?x=1\n"
		 "records = data.items\nnext = links.next\n"
		 "map.source_id = id\nmap.title = name\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_int_equal(c.nsources, 2);
	src = config_source(&c, "cordis");
	assert_non_null(src);
	assert_string_equal(src->format, "csv"); /* from the URL */
	assert_int_equal(src->delim, ';');
	assert_int_equal(src->list_sep, ',');
	assert_int_equal(src->nmap, 3);
	assert_string_equal(src->map[2].field, "total_cost");
	assert_string_equal(src->map[2].key, "totalCost");
	assert_int_equal(src->nheaders, 1);
	assert_int_equal(src->allow_empty, 1);
	assert_int_equal(src->max_pages, 100); /* default */
	src = config_source(&c, "api");
	assert_string_equal(src->format, "json");
	assert_null(config_source(&c, "nope"));
	/* rendered and read back, it is the same */
	bf_buf_init(&b, 0);
	assert_int_equal(config_render(&c, &b), 0);
	write_conf(bf_buf_cstr(&b));
	bf_buf_free(&b);
	assert_int_equal(config_load(path, &c2, &err), 0);
	assert_memory_equal(&c, &c2, sizeof(c));

	snprintf(text, sizeof(text), "%s[source Not Slug]\nurl = http://x\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":13: [source Not Slug]"));

	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nmap.colour = c\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":14: source s: map.colour"));

	snprintf(text, sizeof(text),
		 "%s[source s]\nmap.source_id = id\nmap.title = t\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "source s: url is required"));

	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nmap.source_id = id\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "map.title are required"));

	/* "; " starts an INI comment: the delimiter's name is the way */
	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\ndelimiter = ;\n"
		 "map.source_id = id\nmap.title = t\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "semicolon"));

	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nretries = 99\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":14: source s: retries"));

	/* the example configuration is valid, sources included */
	assert_int_equal(config_load("conf/biofed.conf.example", &c, &err), 0);
	assert_non_null(config_source(&c, "cordis"));
	assert_non_null(config_source(&c, "interreg"));

	/* libinih would cut a long line: it is refused with its number */
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = 0;
	snprintf(text, sizeof(text), "%s[source s]\nurl = http://x/%s\n",
		 good, longurl);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":13: line longer than"));
}

static void varints(void **state)
{
	struct bf_buf b;
	uint64_t v;
	const uint64_t cases[] = {0, 1, 127, 128, 300, UINT32_MAX, UINT64_MAX};
	(void)state;

	bf_buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bf_buf_reset(&b);
		assert_int_equal(bf_put_uvarint(&b, cases[i]), 0);
		assert_int_equal(bf_get_uvarint(b.p, b.len, &v), b.len);
		assert_true(v == cases[i]);
		/* every strict prefix is truncated */
		for (size_t k = 0; k < b.len; k++)
			assert_int_equal(bf_get_uvarint(b.p, k, &v), 0);
	}
	bf_buf_free(&b);
	/* non-minimal: 0x80 0x00 encodes 0 in two bytes */
	assert_int_equal(bf_get_uvarint((const uint8_t *)"\x80\x00", 2, &v), 0);
}

static void capped_buffer(void **state)
{
	struct bf_buf b;
	(void)state;
	bf_buf_init(&b, 8);
	assert_int_equal(bf_buf_add(&b, "12345678", 8), 0);
	assert_int_equal(bf_buf_addc(&b, '9'), BF_ETOOBIG);
	assert_int_equal(b.len, 8);
	bf_buf_free(&b);
}

static void utf8(void **state)
{
	(void)state;
	assert_true(bf_utf8_ok((const uint8_t *)"Fundación", 10));
	assert_false(bf_utf8_ok((const uint8_t *)"\xc3", 1));
	assert_false(bf_utf8_ok((const uint8_t *)"\xc0\xaf", 2)); /* overlong */
	assert_false(bf_utf8_ok((const uint8_t *)"a\0b", 3));
	assert_false(bf_utf8_ok((const uint8_t *)"\xed\xa0\x80", 3));
}

static void new_file_refuses_overwrite(void **state)
{
	char p[] = "/tmp/biofed-util-test.XXXXXX";
	struct bf_err err;
	int fd = mkstemp(p);
	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(bf_write_new_file(p, 0600, "x", 1, &err), BF_EEXIST);
	unlink(p);
	assert_int_equal(bf_write_new_file(p, 0600, "x", 1, &err), 0);
	unlink(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loads_and_renders),
		cmocka_unit_test(errors_name_line),
		cmocka_unit_test(source_sections),
		cmocka_unit_test(varints),
		cmocka_unit_test(capped_buffer),
		cmocka_unit_test(utf8),
		cmocka_unit_test(new_file_refuses_overwrite),
	};
	int fd = mkstemp(path), rc;
	if (fd < 0)
		return 1;
	close(fd);
	rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	unlink(path);
	return rc;
}
