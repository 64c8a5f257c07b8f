/*
 * codec_envelope.c — crn_envelope to and from cairn.Envelope.  The decoder
 * sees raw network bytes before anything is authenticated, so it checks
 * the size first, lets protobuf-c parse with our allocator, then checks
 * every field length before copying into the core struct.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "base/crn.h"
#include "proto/cairn.pb-c.h"
#include "proto/codec_envelope.h"
#include "proto/codec_util.h"

/*
 * protobuf-c's allocator interface frees without a size, while crn_free
 * wants the size it allocated (so that tests can track every byte).  Each
 * block therefore carries its size in a header; the header is a max_align_t
 * so the pointer handed to protobuf-c stays suitably aligned.
 */
typedef union pb_hdr {
	size_t size;
	max_align_t align;
} pb_hdr;

/* Set when an allocation failed, so decode can tell ENOMEM from junk. */
typedef struct pb_alloc_state {
	bool failed;
} pb_alloc_state;

static void *
pb_alloc(void *data, size_t size)
{
	pb_alloc_state *st = data;
	pb_hdr *h;

	if (size > SIZE_MAX - sizeof(*h) ||
	    (h = crn_alloc(sizeof(*h) + size)) == NULL) {
		st->failed = true;
		return NULL;
	}
	h->size = size;
	return h + 1;
}

static void
pb_free(void *data, void *ptr)
{
	pb_hdr *h;

	(void)data;
	if (ptr == NULL)
		return;
	h = (pb_hdr *)ptr - 1;
	crn_free(h, sizeof(*h) + h->size);
}

static bool
all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/*
 * Canonical-encoding check without a second buffer: protobuf-c packs the
 * decoded message into this "buffer", which only compares what it is given
 * against the input at the running offset.
 */
typedef struct canon_cmp {
	ProtobufCBuffer base; /* first: protobuf-c hands us &base */
	const uint8_t *buf;
	size_t len;
	size_t off;
	bool differs;
} canon_cmp;

static void
canon_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
	canon_cmp *c = (canon_cmp *)b;

	if (c->differs)
		return;
	if (len > c->len - c->off ||
	    (len > 0 && memcmp(c->buf + c->off, data, len) != 0)) {
		c->differs = true;
		return;
	}
	c->off += len;
}

static bool
is_canonical(const Cairn__Envelope *m, const uint8_t *buf, size_t len)
{
	canon_cmp c = {.base = {.append = canon_append},
	    .buf = buf,
	    .len = len,
	    .off = 0,
	    .differs = false};

	(void)cairn__envelope__pack_to_buffer(m, &c.base);
	return !c.differs && c.off == len;
}

/*
 * Release what a half-built decode owns.  Kept local (rather than calling
 * crn_envelope_fini) so that the codec does not depend on crypto/.
 */
static void
env_clear(crn_envelope *env)
{
	crn_free(env->payload, env->payload_len);
	crn_free(env->sender_cert, env->sender_cert_len);
	memset(env, 0, sizeof(*env));
}

cairn_err
crn_envelope_encode(const crn_envelope *env, uint8_t **out, size_t *outlen)
{
	Cairn__Envelope m = CAIRN__ENVELOPE__INIT;
	uint8_t *buf = NULL;
	size_t n = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*outlen = 0;
	if ((env->payload == NULL && env->payload_len != 0) ||
	    (env->sender_cert == NULL && env->sender_cert_len != 0) ||
	    env->type > INT32_MAX) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if (env->payload_len > CRN_ENVELOPE_MAX ||
	    env->sender_cert_len > CRN_ENVELOPE_MAX) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	/* protobuf-c only reads through these pointers when packing. */
	m.sender.data = (uint8_t *)(uintptr_t)env->sender;
	m.sender.len = sizeof(env->sender);
	m.type = (Cairn__MsgType)env->type;
	if (!all_zero(env->session_id, sizeof(env->session_id))) {
		m.session_id.data = (uint8_t *)(uintptr_t)env->session_id;
		m.session_id.len = sizeof(env->session_id);
	}
	m.round = env->round;
	m.seq = env->seq;
	m.sealed = env->sealed;
	if (env->sealed) {
		m.recipient.data = (uint8_t *)(uintptr_t)env->recipient;
		m.recipient.len = sizeof(env->recipient);
	}
	m.payload.data = env->payload;
	m.payload.len = env->payload_len;
	m.sender_cert.data = env->sender_cert;
	m.sender_cert.len = env->sender_cert_len;
	m.signature.data = (uint8_t *)(uintptr_t)env->sig;
	m.signature.len = sizeof(env->sig);

	n = cairn__envelope__get_packed_size(&m);
	if (n > CRN_ENVELOPE_MAX) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if ((buf = crn_alloc(n)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if (cairn__envelope__pack(&m, buf) != n) {
		crn_log_err("cairn__envelope__pack: short write");
		rv = CAIRN_EINTERNAL;
		goto out;
	}
	*out = buf;
	*outlen = n;
	buf = NULL;
	rv = CAIRN_OK;
out:
	crn_free(buf, n);
	return rv;
}

cairn_err
crn_envelope_decode(crn_envelope *out, const uint8_t *buf, size_t len)
{
	pb_alloc_state st = {.failed = false};
	ProtobufCAllocator alloc = {
	    .alloc = pb_alloc,
	    .free = pb_free,
	    .allocator_data = &st,
	};
	Cairn__Envelope *m = NULL;
	crn_envelope env;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(&env, 0, sizeof(env));
	memset(out, 0, sizeof(*out));
	if (len > CRN_ENVELOPE_MAX) {
		rv = CAIRN_ETOOBIG;
		goto out;
	}
	if (buf == NULL && len != 0) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	m = cairn__envelope__unpack(&alloc, len, buf);
	if (m == NULL) {
		rv = st.failed ? CAIRN_ENOMEM : CAIRN_EINVAL;
		goto out;
	}
	/*
	 * Only the one encoding crn_envelope_encode produces is accepted:
	 * fields in order, defaults left out, bools as 0 or 1, no unknown
	 * fields.  The signature covers the decoded fields, not these bytes,
	 * so without this a relay could change the bytes of a signed
	 * envelope (a bool written as 3, an appended unknown field) and
	 * still have it verify.  Unknown fields could never be signed by the
	 * v1 encoding anyway; a new envelope field needs a new version.
	 */
	if (m->base.n_unknown_fields != 0 || !is_canonical(m, buf, len)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	/*
	 * Field lengths are fixed by the protocol; anything else is junk
	 * that must not reach the signature check with a guessed meaning.
	 * The enum is stored as an int by protobuf-c, so an unknown or
	 * negative value can arrive: keep unknown ones (a newer peer), refuse
	 * negative ones.
	 */
	if (m->sender.len != CAIRN_SIGN_PK_LEN ||
	    (m->session_id.len != 0 &&
	        m->session_id.len != CAIRN_SESSION_ID_LEN) ||
	    m->signature.len != CAIRN_SIG_LEN || (int)m->type < 0 ||
	    (m->sealed && m->recipient.len != CAIRN_SIGN_PK_LEN) ||
	    (!m->sealed && m->recipient.len != 0)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	memcpy(env.sender, m->sender.data, CAIRN_SIGN_PK_LEN);
	env.type = (uint32_t)m->type;
	if (m->session_id.len != 0)
		memcpy(
		    env.session_id, m->session_id.data, CAIRN_SESSION_ID_LEN);
	env.round = m->round;
	env.seq = m->seq;
	env.sealed = m->sealed != 0;
	if (env.sealed)
		memcpy(env.recipient, m->recipient.data, CAIRN_SIGN_PK_LEN);
	memcpy(env.sig, m->signature.data, CAIRN_SIG_LEN);
	if ((rv = crn_pb_copy_bytes(
	         &env.payload, &env.payload_len, &m->payload)) != CAIRN_OK ||
	    (rv = crn_pb_copy_bytes(&env.sender_cert, &env.sender_cert_len,
	         &m->sender_cert)) != CAIRN_OK)
		goto out;
	*out = env;
	memset(&env, 0, sizeof(env));
	rv = CAIRN_OK;
out:
	env_clear(&env);
	if (m != NULL)
		cairn__envelope__free_unpacked(m, &alloc);
	return rv;
}
