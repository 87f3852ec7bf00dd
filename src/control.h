/*
 * control: the client side of biofedd's control socket (ipc:// in the
 * node directory, mode 0600, peer uid checked by the daemon).  Requests
 * and replies are small JSON objects: {"cmd": "status"} and
 * {"cmd": "wake"} (look for new local change sets now).
 *
 * Beside it, the wake socket: a Unix datagram socket, mode 0600, on which
 * any datagram means "look for new local change sets now".  Sending one
 * costs the caller a single system call and waits for nothing, where a
 * request on the control socket sets up a connection and waits for the
 * reply: a publish's change set starts out that much sooner.
 */
#ifndef BIOFED_CONTROL_H
#define BIOFED_CONTROL_H

#include "util.h"

#define CONTROL_FILE "control.sock"
#define WAKE_FILE "wake.sock"

/* The longest request the daemon reads (its socket's receive limit). */
#define CONTROL_MAX_REQUEST 65536

enum control_cmd {
	CONTROL_STATUS = 1, /* reply: the status object (PROTOCOL.md 8) */
	CONTROL_WAKE,       /* reply: {"ok": true}; then look for news */
};

struct control_req {
	enum control_cmd cmd;
};

/* Decodes a request as the daemon receives it: n bytes of one JSON
 * object, no duplicate keys, whose "cmd" is "status" or "wake" (other
 * members are ignored, so that a newer client can add some).  Pure code
 * over the bytes, for biofedd and the fuzzer.  Returns 0 with *req set,
 * else BF_EINVAL (BF_ETOOBIG past CONTROL_MAX_REQUEST) with a message in
 * err (may be NULL) saying what was wrong; *req is then untouched. */
int control_parse_request(const void *p, size_t n, struct control_req *req,
			  struct bf_err *err);

/* Sends {"cmd": cmd} to the daemon of the node in dir and waits at most
 * timeout_ms for the reply.  *reply is malloc'd JSON text (the caller
 * frees it).  BF_ENOENT when no daemon listens there. */
int control_request(const char *dir, const char *cmd, int timeout_ms,
		    char **reply, struct bf_err *err);

/* Wakes the daemon if one runs (a datagram on its wake socket; the
 * control socket's "wake" when there is none); silent when none runs. */
void control_wake(const char *dir);

#endif
