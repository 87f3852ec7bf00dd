/*
 * roster: the federation's members, as rows of the institution table
 * owned by the reserved origin "coordinator" and signed with the
 * coordinator key (coordinator.key on the coordinator's node; every node
 * pins its public half in biofed.conf).
 *
 * A member row holds the Ed25519 key that signs the member's change sets
 * from sequence number key_from on, earlier keys in old_keys as
 * "HEX:FROM:UNTIL" (inclusive), and revoked_from once the coordinator has
 * revoked the member: change sets from that sequence number on are
 * refused.
 */
#ifndef BIOFED_ROSTER_H
#define BIOFED_ROSTER_H

#include <stdio.h>

#include "node.h"

/* Adds or updates the member described by an identity file (written by
 * `biofed init`).  A changed key needs key_from > 0: the first sequence
 * number the new key signs.  Writes a one-row change set; *changed is 0
 * when the roster already said exactly this. */
int roster_add(struct node *n, const char *identity_path, int64_t key_from,
	       int *changed, char slug_out[64], struct bf_err *err);

/* Revokes a member from sequence number from_seq on (0: the first one
 * this replica has not seen from it). */
int roster_revoke(struct node *n, const char *slug, int64_t from_seq,
		  uint64_t *effective, struct bf_err *err);

/* Prints the roster (table or JSON). */
int roster_print(struct node *n, FILE *out, int json, struct bf_err *err);

#endif
