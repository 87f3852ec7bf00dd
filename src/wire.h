/*
 * wire: the peer protocol's messages, as bytes (proto/PROTOCOL.md, "Peer
 * protocol").  Pure code, no network: every decoder is strict, bounded and
 * fuzzed (tests/fuzz/fuzz_wire.c).
 *
 *   msg     = "BFW1" type:u8 body            (whole message <= WIRE_MAX_MSG)
 *   HELLO     slug:str nonce:32
 *   HELLO_OK  slug:str nonce:32 sig:64
 *   AUTH      sig:64
 *   AUTH_OK   vector
 *   PULL      wait_ms:uv max_bytes:uv vector
 *   BATCH     vector n:uv changeset*n
 *   PUSH      n:uv changeset*n
 *   PUSH_OK   applied:uv rejected:uv vector
 *   ERROR     code:uv text:str
 *   vector  = n:uv (origin:str seq:uv hash:32)*n  origins strictly ascending
 *   changeset = len:uv bytes                      (a signed change set)
 *
 * The hello signatures cover a transcript that binds both nonces and both
 * names (wire_transcript), so a signature cannot be replayed to another
 * peer or another connection.
 */
#ifndef BIOFED_WIRE_H
#define BIOFED_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "changeset.h"
#include "util.h"

#define WIRE_MAGIC "BFW1"
#define WIRE_MAX_MSG (CS_MAX_BYTES + (8u << 20)) /* one change set + room */
#define WIRE_MAX_VECTOR 100000u
#define WIRE_MAX_BATCH 4096u
#define WIRE_NONCE 32

enum wire_type {
	WIRE_HELLO = 1,
	WIRE_HELLO_OK = 2,
	WIRE_AUTH = 3,
	WIRE_AUTH_OK = 4,
	WIRE_PULL = 5,
	WIRE_BATCH = 6,
	WIRE_PUSH = 7,
	WIRE_PUSH_OK = 8,
	WIRE_ERROR = 9,
};

enum wire_error {
	WIRE_ERR_VERSION = 1,  /* unknown magic or type */
	WIRE_ERR_MALFORMED = 2,
	WIRE_ERR_UNAUTH = 3,   /* hello not completed on this connection */
	WIRE_ERR_DENIED = 4,   /* not a member, bad signature */
	WIRE_ERR_BUSY = 5,
};

struct wire_vv {
	struct cs_str origin;
	uint64_t seq;
	const uint8_t *hash; /* 32 bytes */
};

/* A decoded message; every pointer points into the decoded buffer. */
struct wire_msg {
	enum wire_type type;
	struct cs_str slug;
	const uint8_t *nonce, *sig;
	uint64_t wait_ms, max_bytes, applied, rejected, code;
	struct cs_str text;
	size_t nvv;
	struct wire_vv *vv;     /* malloc'd; free with wire_msg_free */
	size_t ncs;
	struct cs_str *cs;      /* malloc'd: each a signed change set */
};

/* Decodes strictly; on failure err says what and at which offset. */
int wire_decode(const uint8_t *p, size_t len, struct wire_msg *m,
		struct bf_err *err);
void wire_msg_free(struct wire_msg *m);

/* Encoders append one whole message to b. */
int wire_put_hello(struct bf_buf *b, enum wire_type type, const char *slug,
		   const uint8_t nonce[WIRE_NONCE], const uint8_t *sig);
int wire_put_auth(struct bf_buf *b, const uint8_t sig[64]);
/* AUTH_OK, PULL, BATCH, PUSH_OK begin with these and continue with
 * wire_put_vv entries (ascending), then the rest as documented. */
int wire_put_header(struct bf_buf *b, enum wire_type type);
int wire_put_vv(struct bf_buf *b, const char *origin, uint64_t seq,
		const uint8_t hash[CS_HASH_LEN]);
int wire_put_error(struct bf_buf *b, enum wire_error code, const char *text);

/* The bytes a hello signature covers: role ("server" or "client"), the
 * client's and the server's nonce, the client's and the server's slug. */
int wire_transcript(struct bf_buf *b, const char *role,
		    const uint8_t client_nonce[WIRE_NONCE],
		    const uint8_t server_nonce[WIRE_NONCE],
		    const char *client_slug, const char *server_slug);

#endif
