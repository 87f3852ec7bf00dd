/*
 * libFuzzer target for biofed.conf (config.h): the bytes as a
 * configuration file, read from a file as biofed and biofedd read it.
 * Either it loads, and then what it renders (what `biofed init` writes)
 * loads again into the same rendering, and the endpoint and metrics
 * checks answer; or it is refused with a message naming where.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* writes n bytes to a fresh temporary file; its name into path */
static int to_file(char *path, const void *p, size_t n)
{
	int fd = mkstemp(path);

	if (fd < 0)
		return -1;
	if (write(fd, p, n) != (ssize_t)n) {
		close(fd);
		unlink(path);
		return -1;
	}
	close(fd);
	return 0;
}

static void round_trip(const struct bf_config *cfg)
{
	static struct bf_config again;
	struct bf_buf once, twice;
	struct bf_err err = {{0}};
	char path[] = "/tmp/fuzz_config_r.XXXXXX";

	bf_buf_init(&once, 1 << 20);
	bf_buf_init(&twice, 1 << 20);
	if (config_render(cfg, &once) == 0 &&
	    to_file(path, once.p, once.len) == 0) {
		if (config_load(path, &again, &err) != 0)
			abort(); /* what biofed writes, biofed reads */
		if (config_render(&again, &twice) != 0 ||
		    twice.len != once.len ||
		    memcmp(twice.p, once.p, once.len) != 0)
			abort(); /* and it reads the same */
		unlink(path);
	}
	bf_buf_free(&once);
	bf_buf_free(&twice);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bf_config cfg;
	struct bf_err err = {{0}};
	char path[] = "/tmp/fuzz_config.XXXXXX";
	char url[128], msg[256];

	if (to_file(path, data, size) != 0)
		return 0;
	if (config_load(path, &cfg, &err) == 0) {
		(void)config_listen_url(&cfg);
		if (cfg.endpoint[0])
			(void)config_parse_endpoint(cfg.endpoint, NULL, msg,
						    sizeof(msg));
		if (cfg.metrics[0])
			(void)config_metrics_url(cfg.metrics, url, sizeof(url),
						 msg, sizeof(msg));
		round_trip(&cfg);
	} else if (!err.msg[0]) {
		abort(); /* every refusal says why */
	}
	unlink(path);
	return 0;
}
