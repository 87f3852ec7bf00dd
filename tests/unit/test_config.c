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

	snprintf(text, sizeof(text), "%s\n[samples]\nsuppress_below = 1001\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":14: samples.suppress_below"));

	snprintf(text, sizeof(text), "%s[log]\ncolour = blue\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":13: unknown option \"colour\""));

	write_conf("[node]\nslug = Not A Slug\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "node.slug"));

	write_conf("[node]\nslug = ok\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, "coordinator_key is not set"));

	write_conf("[node]\nslug = a\n[federation]\npeer = http://x\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":4: federation.peer: \"http://x\" is "
					"not tls+tcp://HOST:PORT"));
}

/* A NUL byte inside a value: the INI reader would stop the value there
 * and never see the rest of the line, so the file is refused, with the
 * line; the same file without it loads. */
static void nul_byte(void **state)
{
	struct bf_config c;
	struct bf_err err;
	char text[4096];
	size_t n;
	FILE *f;
	(void)state;

	n = (size_t)snprintf(text, sizeof(text), "%s[log]\nlevel = debug\n",
			     good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), 0);
	/* "level = de\0bug": the NUL in the last line */
	memmove(text + n - 4, text + n - 5, 5);
	text[n - 5] = 0;
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, n + 1, f), n + 1);
	fclose(f);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, ":13: a NUL byte"));
}

/* A second [node] would silently change the node's identity: every
 * section is given once, [source NAME] once per NAME. */
static void duplicate_sections(void **state)
{
	struct bf_config c;
	struct bf_err err;
	char text[4096];
	(void)state;

	snprintf(text, sizeof(text), "%s[node]\nslug = other\n", good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":12: duplicate section [node] (first "
					"at line 1)"));
	assert_non_null(strstr(err.msg, path));

	/* an empty section given twice is refused too, before any entry */
	write_conf("[log]\n[log]\n[node]\nslug = x y\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":2: duplicate section [log] (first "
					"at line 1)"));

	/* sources are told apart by their names */
	snprintf(text, sizeof(text),
		 "%s[source a]\nurl = http://x/a.csv\nmap.source_id = id\n"
		 "map.title = t\n[source b]\nurl = http://x/b.csv\n"
		 "map.source_id = id\nmap.title = t\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_int_equal(c.nsources, 2);
	snprintf(text, sizeof(text),
		 "%s[source a]\nurl = http://x/a.csv\nmap.source_id = id\n"
		 "map.title = t\n[source b]\nurl = http://x/b.csv\n"
		 "map.source_id = id\nmap.title = t\n[source a]\n"
		 "refresh = 60\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":20: duplicate section [source a] "
					"(first at line 12)"));

	/* libinih would cut a long section name, making two names one */
	write_conf("[source "
		   "abcdefghijklmnopqrstuvwxyz-abcdefghijklmnopqrstuvwxyz]\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":1: section name longer than"));
}

/* An option given twice in its section is refused with both lines; only
 * list options (peer, header) take several lines. */
static void duplicate_keys(void **state)
{
	struct bf_config c;
	struct bf_err err;
	char text[4096];
	(void)state;

	write_conf("[node]\nslug = a\nname = A\nslug = b\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":4: duplicate option node.slug (first "
					"set at line 2)"));

	snprintf(text, sizeof(text), "%s\n[log]\nlevel = debug\nlevel = warn\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":15: duplicate option log.level "
					"(first set at line 14)"));

	/* peer lines repeat (good has two) */
	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nmap.source_id = id\n"
		 "map.title = t\nheader = A: 1\nheader = B: 2\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_int_equal(c.npeers, 2);
	assert_int_equal(c.sources[0].nheaders, 2);

	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nmap.source_id = id\n"
		 "map.title = t\nrefresh = 60\nrefresh = 120\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":17: duplicate option source s: "
					"refresh (first set at line 16)"));

	snprintf(text, sizeof(text),
		 "%s[source s]\nurl = http://x/a.csv\nmap.source_id = id\n"
		 "map.title = t\nmap.title = u\n",
		 good);
	write_conf(text);
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":16: source s: map.title: given "
					"twice"));

	/* an indented line continues the value above (libinih): a list
	 * takes it as an item, any other option refuses it */
	write_conf("[node]\nslug = a\nname = A\n  B\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":4: node.name: an indented line"));
	write_conf("[node]\nslug = a\n  name = A\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":3: node.slug: an indented line"));
	write_conf("[node]\nslug = a\n[federation]\ncoordinator_key = "
		   "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c"
		   "1d1e1f\npeer = tls+tcp://a:1\n  tls+tcp://b:2\n");
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_int_equal(c.npeers, 2);
	assert_string_equal(c.peers[1], "tls+tcp://b:2");
	/* comments and blank lines between do not count as entries */
	write_conf("; top\n[node]\n\nslug = a\n# x\n  ; y\nslug = b\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":7: duplicate option node.slug (first "
					"set at line 4)"));
}

/* Endpoints: tls+tcp://HOST:PORT with a port from 1 to 65535, checked
 * where they are read; listen = none for a node that only dials. */
static void endpoints(void **state)
{
	static const char *const bad[] = {
		"tls+tcp://127.0.0.1:0",     "tls+tcp://127.0.0.1:70000",
		"tls+tcp://127.0.0.1:65536", "tls+tcp://127.0.0.1",
		"tls+tcp://127.0.0.1:",      "tls+tcp://:7400",
		"tcp://127.0.0.1:7400",      "tls+tcp://h:74x0",
		"tls+tcp://h:7400/path",     "tls+tcp://a b:1",
		"tls+tcp://[::1]7400",       "tls+tcp://::1:7400",
		"tls+tcp://h:000007400",     "none"};
	struct bf_endpoint ep;
	struct bf_config c;
	struct bf_err err;
	char msg[256];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(config_parse_endpoint(bad[i], &ep, msg,
						       sizeof(msg)),
				 BF_EINVAL);
	assert_int_equal(config_parse_endpoint("tls+tcp://127.0.0.1:0", NULL,
					       msg, sizeof(msg)),
			 BF_EINVAL);
	assert_non_null(strstr(msg, "port 0 is out of range (1-65535)"));
	assert_int_equal(config_parse_endpoint("tls+tcp://[::1]:7400", &ep, msg,
					       sizeof(msg)),
			 0);
	assert_string_equal(ep.host, "::1");
	assert_int_equal(ep.port, 7400);
	assert_int_equal(config_parse_endpoint("tls+tcp://biofed.example:65535",
					       &ep, msg, sizeof(msg)),
			 0);
	assert_string_equal(ep.host, "biofed.example");
	assert_int_equal(ep.port, 65535);

	/* in the file: file:line and the option */
	write_conf("[node]\nslug = a\nlisten = tls+tcp://0.0.0.0:70000\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":3: node.listen: "));
	assert_non_null(strstr(err.msg, "port 70000 is out of range"));

	/* outbound-only: no endpoint, listen = none */
	write_conf("[node]\nslug = a\nlisten = none\n[federation]\n"
		   "coordinator_key = 000102030405060708090a0b0c0d0e0f1011121314"
		   "15161718191a1b1c1d1e1f\npeer = tls+tcp://h:1\n");
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_true(config_outbound_only(&c));
	assert_string_equal(config_listen_url(&c), "");
	/* an endpoint would be an address nobody answers on */
	write_conf("[node]\nslug = a\nendpoint = tls+tcp://h:1\nlisten = none\n"
		   "[federation]\ncoordinator_key = 000102030405060708090a0b0c0d"
		   "0e0f101112131415161718191a1b1c1d1e1f\n");
	assert_int_equal(config_load(path, &c, &err), BF_EINVAL);
	assert_non_null(strstr(err.msg, ":3: node.endpoint is set, but "
					"node.listen = none (line 4)"));

	write_conf(good);
	assert_int_equal(config_load(path, &c, &err), 0);
	assert_false(config_outbound_only(&c));
	assert_string_equal(config_listen_url(&c), "tls+tcp://127.0.0.1:7401");
}

/* What biofed init writes stays within the reader's line limit, however
 * long an option's help. */
static void rendered_lines_are_short(void **state)
{
	struct bf_config c;
	struct bf_buf b;
	const char *p;
	(void)state;

	config_defaults(&c);
	bf_buf_init(&b, 0);
	assert_int_equal(config_render(&c, &b), 0);
	for (p = bf_buf_cstr(&b); *p;) {
		size_t n = strcspn(p, "\n");
		assert_true(n <= 78);
		p += n + (p[n] != 0);
	}
	bf_buf_free(&b);
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
		cmocka_unit_test(nul_byte),
		cmocka_unit_test(duplicate_sections),
		cmocka_unit_test(duplicate_keys),
		cmocka_unit_test(endpoints),
		cmocka_unit_test(rendered_lines_are_short),
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
