/*
 * control: talking to a running biofedd over its control socket.
 */
#include "control.h"
#include "log.h"

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int control_parse_request(const void *p, size_t n, struct control_req *req,
			  struct bf_err *err)
{
	json_error_t je;
	json_t *o, *v;
	const char *cmd;
	int rc = 0;

	if (n > CONTROL_MAX_REQUEST)
		return bf_errf(err, BF_ETOOBIG,
			       "control request: %zu bytes, over %d", n,
			       CONTROL_MAX_REQUEST);
	o = json_loadb(p, n, JSON_REJECT_DUPLICATES, &je);
	if (!o)
		return bf_errf(err, BF_EINVAL, "control request: %d:%d: %s",
			       je.line, je.column, je.text);
	v = json_object_get(o, "cmd");
	cmd = json_string_value(v);
	if (!json_is_object(o))
		rc = bf_errf(err, BF_EINVAL,
			     "control request: not a JSON object");
	else if (!cmd)
		rc = bf_errf(err, BF_EINVAL,
			     "control request: no \"cmd\" string");
	else if (strcmp(cmd, "status") == 0)
		req->cmd = CONTROL_STATUS;
	else if (strcmp(cmd, "wake") == 0)
		req->cmd = CONTROL_WAKE;
	else {
		char esc[48];

		rc = bf_errf(err, BF_EINVAL,
			     "control request: unknown cmd \"%s\" (status, "
			     "wake)",
			     log_escape(cmd, strlen(cmd), esc, sizeof(esc)));
	}
	json_decref(o);
	return rc;
}

int control_request(const char *dir, const char *cmd, int timeout_ms,
		    char **reply, struct bf_err *err)
{
	char path[4096], url[4200], req[128];
	nng_socket s;
	nng_msg *m = NULL;
	int rv, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", dir, CONTROL_FILE) >=
	    (int)sizeof(path))
		return bf_errf(err, BF_ETOOBIG, "%s: path too long", dir);
	if (access(path, F_OK) != 0)
		return bf_errf(err, BF_ENOENT,
			       "biofedd is not running for %s (no %s)", dir,
			       CONTROL_FILE);
	snprintf(url, sizeof(url), "ipc://%s", path);
	snprintf(req, sizeof(req), "{\"cmd\":\"%s\"}", cmd);
	if ((rv = nng_req0_open(&s)) != 0)
		return bf_errf(err, BF_EIO, "control: %s", nng_strerror(rv));
	nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, timeout_ms);
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 16u << 20);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0) {
		rc = bf_errf(err, BF_ENOENT,
			     "biofedd is not running for %s (%s)", dir,
			     nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_send(s, req, strlen(req), 0)) != 0 ||
	    (rv = nng_recvmsg(s, &m, 0)) != 0) {
		rc = bf_errf(err, BF_EIO, "control: %s", nng_strerror(rv));
		goto out;
	}
	*reply = malloc(nng_msg_len(m) + 1);
	if (!*reply) {
		rc = bf_errf(err, BF_ENOMEM, "out of memory");
		goto out;
	}
	memcpy(*reply, nng_msg_body(m), nng_msg_len(m));
	(*reply)[nng_msg_len(m)] = 0;
out:
	if (m)
		nng_msg_free(m);
	nng_close(s);
	return rc;
}

void control_wake(const char *dir)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char *reply = NULL;
	struct bf_err err;
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/%s", dir, WAKE_FILE);
	if (n > 0 && (size_t)n < sizeof(sa.sun_path) &&
	    (fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
		/* EAGAIN: its queue is full of wakes already, as good */
		ssize_t sent = sendto(fd, "w", 1, MSG_DONTWAIT,
				      (struct sockaddr *)&sa, sizeof(sa));
		int e = errno;
		close(fd);
		if (sent == 1 || e == EAGAIN || e == ECONNREFUSED)
			return; /* woken, or no daemon behind a stale file */
	}

	if (control_request(dir, "wake", 2000, &reply, &err) == 0)
		free(reply);
}
