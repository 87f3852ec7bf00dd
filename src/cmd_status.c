/*
 * biofed status: what the running daemon says about the node, its peers
 * and, per origin, how far this replica is behind the highest sequence
 * number seen anywhere (lag).
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "control.h"

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void print_table(json_t *st)
{
	/* listen = none: the node only dials, and says so */
	int outbound = strcmp(str(st, "listen"), "none") == 0;
	json_t *v;
	size_t i;

	printf("node %s (pid %lld, up %lld s), %s %s, applied %lld, "
	       "rejected %lld\n",
	       str(st, "node"), num(st, "pid"), num(st, "uptime_s"),
	       outbound ? "outbound-only"
	       : json_is_true(json_object_get(st, "listening"))
		       ? "listening on"
		       : "not listening",
	       outbound ? "(listen = none: dials its peers, accepts no "
			  "connections)"
			: str(st, "listen"),
	       num(st, "applied"), num(st, "rejected"));
	printf("\npeers (dialed)\n%-32s %-16s %-10s %10s %12s %12s %6s  %s\n",
	       "ENDPOINT", "MEMBER", "STATE", "LAST(ms)", "BYTES IN",
	       "BYTES OUT", "ERRORS", "LAST ERROR");
	json_array_foreach(json_object_get(st, "peers"), i, v)
		printf("%-32s %-16s %-10s %10lld %12lld %12lld %6lld  %s\n",
		       str(v, "endpoint"), str(v, "member"), str(v, "state"),
		       num(v, "last_contact_ms_ago"), num(v, "bytes_in"),
		       num(v, "bytes_out"), num(v, "errors"),
		       str(v, "last_error"));
	printf("\ninbound connections\n");
	json_array_foreach(json_object_get(st, "inbound"), i, v)
		printf("%-20s %s errors %lld\n", str(v, "member"),
		       json_is_true(json_object_get(v, "authenticated"))
			       ? "authenticated"
			       : "in hello",
		       num(v, "errors"));
	printf("\n%-20s %10s %12s %8s  %s\n", "ORIGIN", "SEQ",
	       "HIGHEST SEEN", "LAG", "FORK");
	json_array_foreach(json_object_get(st, "origins"), i, v) {
		char fork[48] = "-";
		if (num(v, "forked_at") > 0)
			snprintf(fork, sizeof(fork), "FORKED at seq %lld",
				 num(v, "forked_at"));
		printf("%-20s %10lld %12lld %8lld  %s\n", str(v, "origin"),
		       num(v, "seq"), num(v, "highest_seen"), num(v, "lag"),
		       fork);
	}
}

int cmd_status(struct cli *c, int argc, char **argv)
{
	static const struct option lo[] = {
		{"format", required_argument, 0, 'f'}, {0, 0, 0, 0}};
	struct bf_err err;
	char *reply = NULL;
	json_t *st;
	json_error_t je;
	int ch, json = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		if (ch != 'f')
			return cli_usage("status [--format table|json]");
		if (strcmp(optarg, "json") == 0)
			json = 1;
		else if (strcmp(optarg, "table") != 0)
			return cli_fail("--format: \"%s\" is not table or json",
					optarg);
	}
	if (optind != argc)
		return cli_usage("status [--format table|json]");
	if (control_request(c->dir, "status", 5000, &reply, &err) != 0)
		return cli_fail("status: %s", err.msg);
	st = json_loads(reply, 0, &je);
	if (!st || json_object_get(st, "error")) {
		cli_fail("status: %s", st ? str(st, "error")
					  : "the daemon's reply is not JSON");
		json_decref(st);
		free(reply);
		return 1;
	}
	if (json)
		printf("%s\n", reply);
	else
		print_table(st);
	json_decref(st);
	free(reply);
	return 0;
}
