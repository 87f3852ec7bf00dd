/*
 * The addresses a configuration names: peer endpoints
 * (tls+tcp://HOST:PORT), what biofedd listens on, and the loopback
 * address of the metrics endpoint (config.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

/* --- endpoints ------------------------------------------------------------ */

static int host_char(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.';
}

int config_parse_endpoint(const char *url, struct bf_endpoint *out, char *msg,
			  size_t msglen)
{
	static const char pre[] = "tls+tcp://";
	const char *h, *hend, *colon, *port;
	struct bf_endpoint ep;
	unsigned long n = 0;
	size_t hlen;

	if (strncmp(url, pre, strlen(pre)) != 0) {
		snprintf(msg, msglen, "\"%s\" is not tls+tcp://HOST:PORT (the "
			 "only transport between nodes)", url);
		return BF_EINVAL;
	}
	h = url + strlen(pre);
	if (*h == '[') { /* an IPv6 address */
		hend = strchr(h, ']');
		if (!hend || hend == h + 1 || hend[1] != ':') {
			snprintf(msg, msglen, "\"%s\": an IPv6 address is "
				 "written [ADDRESS]:PORT", url);
			return BF_EINVAL;
		}
		for (const char *q = h + 1; q < hend; q++)
			if (!isxdigit((unsigned char)*q) && *q != ':' &&
			    *q != '.') {
				snprintf(msg, msglen, "\"%s\": not an IPv6 "
					 "address in the brackets", url);
				return BF_EINVAL;
			}
		colon = hend + 1;
		h++;
	} else {
		colon = strrchr(h, ':');
		if (!colon) {
			snprintf(msg, msglen, "\"%s\" has no port "
				 "(tls+tcp://HOST:PORT)", url);
			return BF_EINVAL;
		}
		hend = colon;
		for (const char *q = h; q < hend; q++)
			if (!host_char((unsigned char)*q)) {
				snprintf(msg, msglen, "\"%s\": the host is a "
					 "name or an address (letters, digits, "
					 "'-', '.'; IPv6 in brackets)", url);
				return BF_EINVAL;
			}
	}
	hlen = (size_t)(hend - h);
	if (hlen == 0 || hlen >= sizeof(ep.host)) {
		snprintf(msg, msglen, "\"%s\": %s host", url,
			 hlen ? "too long a" : "no");
		return BF_EINVAL;
	}
	port = colon + 1;
	if (!*port || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5) {
		snprintf(msg, msglen, "\"%s\": the port must be a number from 1 "
			 "to 65535", url);
		return BF_EINVAL;
	}
	n = strtoul(port, NULL, 10);
	if (n < 1 || n > 65535) {
		snprintf(msg, msglen, "\"%s\": port %lu is out of range "
			 "(1-65535)", url, n);
		return BF_EINVAL;
	}
	memcpy(ep.host, h, hlen);
	ep.host[hlen] = 0;
	ep.port = (unsigned)n;
	if (out)
		*out = ep;
	return 0;
}

int config_outbound_only(const struct bf_config *cfg)
{
	return strcmp(cfg->listen, CONFIG_LISTEN_NONE) == 0;
}

const char *config_listen_url(const struct bf_config *cfg)
{
	if (config_outbound_only(cfg))
		return "";
	return cfg->listen[0] ? cfg->listen : cfg->endpoint;
}

/* Loopback only: 127.0.0.0/8 written as four decimal numbers, ::1 in
 * brackets, or localhost (taken as 127.0.0.1). */
int config_metrics_url(const char *addr, char *url, size_t n, char *msg,
		       size_t msglen)
{
	const char *colon = strrchr(addr, ':');
	char host[48], *end;
	unsigned long port;
	size_t hlen;
	int loop = 0;

	if (!colon || colon == addr || !colon[1]) {
		snprintf(msg, msglen, "\"%s\" is not HOST:PORT (127.0.0.1:9464)",
			 addr);
		return BF_EINVAL;
	}
	hlen = (size_t)(colon - addr);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || *end || colon[1] == '-' || colon[1] == '+' || port < 1 ||
	    port > 65535 || hlen >= sizeof(host)) {
		snprintf(msg, msglen, "\"%s\": the port must be 1 to 65535",
			 addr);
		return BF_EINVAL;
	}
	memcpy(host, addr, hlen);
	host[hlen] = 0;
	if (strcmp(host, "localhost") == 0) {
		snprintf(host, sizeof(host), "127.0.0.1");
		loop = 1;
	} else if (strcmp(host, "[::1]") == 0) {
		loop = 1;
	} else {
		unsigned a[4];
		char c;
		loop = sscanf(host, "%3u.%3u.%3u.%3u%c", &a[0], &a[1], &a[2],
			      &a[3], &c) == 4 &&
		       a[0] == 127 && a[1] < 256 && a[2] < 256 && a[3] < 256 &&
		       strspn(host, "0123456789.") == hlen;
	}
	if (!loop) {
		snprintf(msg, msglen,
			 "\"%s\" is not a loopback address: the metrics have no "
			 "TLS and no sign-in, so biofedd serves them on "
			 "127.0.0.1, [::1] or localhost only (scrape through a "
			 "local agent or a reverse proxy with TLS)",
			 host);
		return BF_EINVAL;
	}
	if ((size_t)snprintf(url, n, "http://%s:%lu", host, port) >= n) {
		snprintf(msg, msglen, "address too long");
		return BF_EINVAL;
	}
	return 0;
}
