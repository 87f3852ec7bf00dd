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

/* Sends {"cmd": cmd} to the daemon of the node in dir and waits at most
 * timeout_ms for the reply.  *reply is malloc'd JSON text (the caller
 * frees it).  BF_ENOENT when no daemon listens there. */
int control_request(const char *dir, const char *cmd, int timeout_ms,
		    char **reply, struct bf_err *err);

/* Wakes the daemon if one runs (a datagram on its wake socket; the
 * control socket's "wake" when there is none); silent when none runs. */
void control_wake(const char *dir);

#endif
