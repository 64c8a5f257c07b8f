/*
 * envelope_fuzz.c — crn_envelope_decode on arbitrary bytes.  Whatever
 * decodes must also verify without crashing, re-encode, and decode again
 * to the same struct (the codec is a bijection on what it accepts, up to
 * protobuf's own freedom of encoding).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "crypto/envelope.h"
#include "proto/codec_envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_same(const crn_envelope *a, const crn_envelope *b)
{
	if (memcmp(a->sender, b->sender, sizeof(a->sender)) != 0 ||
	    a->type != b->type ||
	    memcmp(a->session_id, b->session_id, sizeof(a->session_id)) != 0 ||
	    a->round != b->round || a->seq != b->seq ||
	    a->sealed != b->sealed ||
	    memcmp(a->recipient, b->recipient, sizeof(a->recipient)) != 0 ||
	    a->payload_len != b->payload_len ||
	    (a->payload_len > 0 &&
	        memcmp(a->payload, b->payload, a->payload_len) != 0) ||
	    a->sender_cert_len != b->sender_cert_len ||
	    (a->sender_cert_len > 0 &&
	        memcmp(a->sender_cert, b->sender_cert, a->sender_cert_len) !=
	            0) ||
	    memcmp(a->sig, b->sig, sizeof(a->sig)) != 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int inited;
	crn_envelope env, again;
	uint8_t *wire = NULL;
	size_t wlen = 0;

	if (!inited) {
		if (crn_crypto_init() != CAIRN_OK)
			abort();
		inited = 1;
	}
	if (crn_envelope_decode(&env, data, size) != CAIRN_OK)
		return 0;
	/* Whatever the signature holds, checking it must not crash. */
	(void)!crn_envelope_verify(&env);
	if (crn_envelope_encode(&env, &wire, &wlen) != CAIRN_OK)
		abort();
	if (crn_envelope_decode(&again, wire, wlen) != CAIRN_OK)
		abort();
	check_same(&env, &again);
	crn_envelope_fini(&again);
	crn_envelope_fini(&env);
	crn_free(wire, wlen);
	return 0;
}
