/*
 * control: the client side of biofedd's control socket (ipc:// in the
 * node directory, mode 0600, peer uid checked by the daemon).  Requests
 * and replies are small JSON objects: {"cmd": "status"} and
 * {"cmd": "wake"} (look for new local change sets now).
 */
#ifndef BIOFED_CONTROL_H
#define BIOFED_CONTROL_H

#include "util.h"

#define CONTROL_FILE "control.sock"

/* Sends {"cmd": cmd} to the daemon of the node in dir and waits at most
 * timeout_ms for the reply.  *reply is malloc'd JSON text (the caller
 * frees it).  BF_ENOENT when no daemon listens there. */
int control_request(const char *dir, const char *cmd, int timeout_ms,
		    char **reply, struct bf_err *err);

/* Wakes the daemon if one runs; silent when none does. */
void control_wake(const char *dir);

#endif
