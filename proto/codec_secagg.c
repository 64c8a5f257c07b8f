/*
 * codec_secagg.c — protobuf-c <-> core structs for the secure-aggregation
 * round messages.  Every decoder unpacks, checks each field against the
 * sizes the protocol fixes, and only then copies into the caller's struct,
 * so the state machines never see a short key or an oversized list.
 */
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "base/crn.h"
#include "crypto/envelope.h"
#include "proto/cairn.pb-c.h"
#include "proto/codec_secagg.h"
#include "proto/codec_util.h"

/* ---- fini helpers (declared in proto/secagg_msg.h) ----------------------- */

void
crn_sa_roster_fini(crn_sa_roster *r)
{
	if (r == NULL)
		return;
	crn_free(r->parts, (size_t)r->n * sizeof(*r->parts));
	crn_free(r->certs, r->certs_len);
	memset(r, 0, sizeof(*r));
}

void
crn_sa_advertise_fini(crn_sa_advertise *a)
{
	if (a == NULL)
		return;
	/* The decoder's copy: the const pointer is ours to release. */
	crn_free((void *)(uintptr_t)a->cert, a->cert_len);
	memset(a, 0, sizeof(*a));
}

void
crn_sa_shares_fini(crn_sa_shares *s)
{
	if (s == NULL)
		return;
	crn_free(s->v, (size_t)s->count * sizeof(*s->v));
	memset(s, 0, sizeof(*s));
}

void
crn_sa_masked_fini(crn_sa_masked *m)
{
	if (m == NULL)
		return;
	crn_free(m->data, m->len);
	memset(m, 0, sizeof(*m));
}

void
crn_sa_survivors_fini(crn_sa_survivors *s)
{
	if (s == NULL)
		return;
	crn_free(s->idx, (size_t)s->count * sizeof(*s->idx));
	memset(s, 0, sizeof(*s));
}

void
crn_sa_unmask_req_fini(crn_sa_unmask_req *r)
{
	if (r == NULL)
		return;
	crn_sa_survivors_fini(&r->surv);
	crn_free(r->sigs, (size_t)r->nsigs * sizeof(*r->sigs));
	memset(r, 0, sizeof(*r));
}

void
crn_sa_seeds_fini(crn_sa_seeds *s)
{
	if (s == NULL)
		return;
	crn_free(s->r, (size_t)s->n * sizeof(*s->r));
	memset(s, 0, sizeof(*s));
}

void
crn_sa_unmask_fini(crn_sa_unmask *u)
{
	if (u == NULL)
		return;
	/* Revealed shares are not secret once sent, but a node builds its
	 * response in one of these before it decides to send. */
	crn_freezero(u->v, (size_t)u->count * sizeof(*u->v));
	memset(u, 0, sizeof(*u));
}

/* ---- helpers ------------------------------------------------------------ */

static cairn_err
unpack_check(const uint8_t *in, size_t len)
{
	if (in == NULL && len > 0)
		return CAIRN_EINVAL;
	if (len > CRN_ENVELOPE_MAX)
		return CAIRN_ETOOBIG;
	return CAIRN_OK;
}

static bool
bytes_is(const ProtobufCBinaryData *b, size_t n)
{
	return b->len == n && (n == 0 || b->data != NULL);
}

static int
ring_ok(uint32_t bits)
{
	return bits == 32 || bits == 64 || bits == 128;
}

/* The wire carries little-endian elements; core vectors are native.  cairn
 * builds for little-endian hosts only, which this checks at run time. */
static int
host_is_le(void)
{
	const uint16_t one = 1;
	uint8_t b;

	memcpy(&b, &one, 1);
	return b == 1;
}

static void
bin(ProtobufCBinaryData *b, const uint8_t *p, size_t n)
{
	b->data = (uint8_t *)(uintptr_t)p;
	b->len = n;
}

/* ---- AdvertiseKeys ------------------------------------------------------ */

static void
adv_to_pb(Cairn__AdvertiseKeys *pb, const crn_sa_advertise *m)
{
	cairn__advertise_keys__init(pb);
	bin(&pb->identity, m->identity, sizeof(m->identity));
	bin(&pb->channel_pk, m->channel_pk, sizeof(m->channel_pk));
	bin(&pb->mask_pk, m->mask_pk, sizeof(m->mask_pk));
	bin(&pb->signature, m->sig, sizeof(m->sig));
	bin(&pb->self_mask_commit, m->bcommit, sizeof(m->bcommit));
	bin(&pb->graph_commit, m->gcommit, sizeof(m->gcommit));
	bin(&pb->cert, m->cert, m->cert_len);
}

static cairn_err
adv_from_pb(crn_sa_advertise *m, const Cairn__AdvertiseKeys *pb)
{
	if (pb == NULL || !bytes_is(&pb->identity, CAIRN_SIGN_PK_LEN) ||
	    !bytes_is(&pb->channel_pk, CAIRN_KX_PK_LEN) ||
	    !bytes_is(&pb->mask_pk, CAIRN_KX_PK_LEN) ||
	    !bytes_is(&pb->signature, CAIRN_SIG_LEN) ||
	    !bytes_is(&pb->self_mask_commit, CAIRN_KEY_LEN) ||
	    !bytes_is(&pb->graph_commit, CAIRN_KEY_LEN) ||
	    pb->cert.len > CRN_SA_CERT_MAX ||
	    (pb->cert.len > 0 && pb->cert.data == NULL))
		return CAIRN_EINVAL;
	memcpy(m->identity, pb->identity.data, CAIRN_SIGN_PK_LEN);
	memcpy(m->channel_pk, pb->channel_pk.data, CAIRN_KX_PK_LEN);
	memcpy(m->mask_pk, pb->mask_pk.data, CAIRN_KX_PK_LEN);
	memcpy(m->sig, pb->signature.data, CAIRN_SIG_LEN);
	memcpy(m->bcommit, pb->self_mask_commit.data, CAIRN_KEY_LEN);
	memcpy(m->gcommit, pb->graph_commit.data, CAIRN_KEY_LEN);
	return CAIRN_OK;
}

cairn_err
crn_sa_advertise_encode(
    uint8_t **out, size_t *out_len, const crn_sa_advertise *m)
{
	Cairn__AdvertiseKeys pb;

	*out = NULL;
	*out_len = 0;
	adv_to_pb(&pb, m);
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_advertise_decode(crn_sa_advertise *m, const uint8_t *in, size_t len)
{
	Cairn__AdvertiseKeys *pb = NULL;
	crn_sa_advertise tmp;
	cairn_err rv;

	memset(m, 0, sizeof(*m));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	pb = cairn__advertise_keys__unpack(NULL, len, in);
	if (pb == NULL)
		return CAIRN_EINVAL;
	rv = adv_from_pb(&tmp, pb);
	tmp.cert = NULL;
	tmp.cert_len = 0;
	if (rv == CAIRN_OK && pb->cert.len > 0) {
		uint8_t *c = crn_alloc(pb->cert.len);

		if (c == NULL) {
			rv = CAIRN_ENOMEM;
		} else {
			memcpy(c, pb->cert.data, pb->cert.len);
			tmp.cert = c;
			tmp.cert_len = pb->cert.len;
		}
	}
	if (rv == CAIRN_OK)
		*m = tmp;
	cairn__advertise_keys__free_unpacked(pb, NULL);
	return rv;
}

/* ---- Roster ------------------------------------------------------------- */

cairn_err
crn_sa_roster_encode(uint8_t **out, size_t *out_len, const crn_sa_roster *m)
{
	Cairn__Roster pb;
	Cairn__SessionParams sp;
	Cairn__AdvertiseKeys *items = NULL, **ptrs = NULL;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*out_len = 0;
	if (m->n == 0 || m->n > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	items = crn_alloc((size_t)m->n * sizeof(*items));
	ptrs = crn_alloc((size_t)m->n * sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < m->n; i++) {
		adv_to_pb(&items[i], &m->parts[i]);
		ptrs[i] = &items[i];
	}
	cairn__session_params__init(&sp);
	bin(&sp.session_id, m->params.session_id, CAIRN_SESSION_ID_LEN);
	sp.threshold = m->params.threshold;
	sp.ring_bits = m->params.ring_bits;
	sp.dim = m->params.dim;
	sp.degree = m->params.degree;
	cairn__roster__init(&pb);
	pb.params = &sp;
	pb.n_participants = m->n;
	pb.participants = ptrs;
	rv = crn_pb_pack(&pb.base, 0, out, out_len);
out:
	crn_free(items, (size_t)m->n * sizeof(*items));
	crn_free(ptrs, (size_t)m->n * sizeof(*ptrs));
	return rv;
}

cairn_err
crn_sa_roster_decode(crn_sa_roster *m, const uint8_t *in, size_t len)
{
	Cairn__Roster *pb = NULL;
	const Cairn__SessionParams *sp;
	crn_sa_roster tmp;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(m, 0, sizeof(*m));
	memset(&tmp, 0, sizeof(tmp));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__roster__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	sp = pb->params;
	if (sp == NULL || !bytes_is(&sp->session_id, CAIRN_SESSION_ID_LEN) ||
	    !ring_ok(sp->ring_bits) ||
	    sp->dim == 0 || sp->dim > CRN_SA_MAX_DIM ||
	    pb->n_participants == 0 || pb->n_participants > CRN_SA_MAX_NODES ||
	    sp->threshold == 0 || sp->threshold > pb->n_participants) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	memcpy(
	    tmp.params.session_id, sp->session_id.data, CAIRN_SESSION_ID_LEN);
	tmp.params.threshold = sp->threshold;
	tmp.params.ring_bits = sp->ring_bits;
	tmp.params.dim = sp->dim;
	tmp.params.degree = sp->degree;
	tmp.n = (uint32_t)pb->n_participants;
	tmp.parts = crn_alloc((size_t)tmp.n * sizeof(*tmp.parts));
	if (tmp.parts == NULL) {
		tmp.n = 0;
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < tmp.n; i++) {
		rv = adv_from_pb(&tmp.parts[i], pb->participants[i]);
		if (rv != CAIRN_OK)
			goto out;
		tmp.certs_len += pb->participants[i]->cert.len;
	}
	/* One buffer for every certificate: entries stay plain values. */
	if (tmp.certs_len > 0) {
		size_t o = 0;

		if ((tmp.certs = crn_alloc(tmp.certs_len)) == NULL) {
			tmp.certs_len = 0;
			rv = CAIRN_ENOMEM;
			goto out;
		}
		for (uint32_t i = 0; i < tmp.n; i++) {
			const ProtobufCBinaryData *c =
			    &pb->participants[i]->cert;

			if (c->len > 0)
				memcpy(tmp.certs + o, c->data, c->len);
			tmp.parts[i].cert = c->len > 0 ? tmp.certs + o : NULL;
			tmp.parts[i].cert_len = c->len;
			o += c->len;
		}
	} else {
		for (uint32_t i = 0; i < tmp.n; i++) {
			tmp.parts[i].cert = NULL;
			tmp.parts[i].cert_len = 0;
		}
	}
	*m = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rv = CAIRN_OK;
out:
	crn_sa_roster_fini(&tmp);
	cairn__roster__free_unpacked(pb, NULL);
	return rv;
}

/* ---- ShareKeys / ForwardedShares ---------------------------------------- */

cairn_err
crn_sa_shares_encode(
    uint8_t **out, size_t *out_len, uint32_t type, const crn_sa_shares *m)
{
	Cairn__EncryptedShare *items = NULL, **ptrs = NULL;
	size_t n = m->count;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*out_len = 0;
	if (n > CRN_SA_MAX_NODES ||
	    (type != CRN_SA_MSG_SHARE_KEYS && type != CRN_SA_MSG_SHARES_FWD))
		return CAIRN_EINVAL;
	items = crn_alloc(n * sizeof(*items));
	ptrs = crn_alloc(n * sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cairn__encrypted_share__init(&items[i]);
		items[i].from = m->v[i].from;
		items[i].to = m->v[i].to;
		bin(&items[i].ciphertext, m->v[i].ct, CRN_SA_SHARE_CT_LEN);
		if (type == CRN_SA_MSG_SHARE_KEYS) {
			bin(&items[i].commit_b, m->v[i].cb, CAIRN_KEY_LEN);
			bin(&items[i].commit_sk, m->v[i].csk, CAIRN_KEY_LEN);
		}
		ptrs[i] = &items[i];
	}
	if (type == CRN_SA_MSG_SHARE_KEYS) {
		Cairn__ShareKeys pb;

		cairn__share_keys__init(&pb);
		pb.n_shares = n;
		pb.shares = ptrs;
		rv = crn_pb_pack(&pb.base, 0, out, out_len);
	} else {
		Cairn__ForwardedShares pb;

		cairn__forwarded_shares__init(&pb);
		pb.n_shares = n;
		pb.shares = ptrs;
		rv = crn_pb_pack(&pb.base, 0, out, out_len);
	}
out:
	crn_free(items, n * sizeof(*items));
	crn_free(ptrs, n * sizeof(*ptrs));
	return rv;
}

/* One EncryptedShare; commitments are required in ShareKeys and refused
 * in ForwardedShares (the coordinator keeps them). */
static cairn_err
share_from_pb(
    crn_sa_encshare *e, const Cairn__EncryptedShare *pb, bool commits)
{
	size_t clen = commits ? CAIRN_KEY_LEN : 0;

	if (pb == NULL || pb->from == 0 || pb->to == 0 ||
	    !bytes_is(&pb->ciphertext, CRN_SA_SHARE_CT_LEN) ||
	    !bytes_is(&pb->commit_b, clen) || !bytes_is(&pb->commit_sk, clen))
		return CAIRN_EINVAL;
	memset(e, 0, sizeof(*e));
	e->from = pb->from;
	e->to = pb->to;
	memcpy(e->ct, pb->ciphertext.data, CRN_SA_SHARE_CT_LEN);
	if (commits) {
		memcpy(e->cb, pb->commit_b.data, CAIRN_KEY_LEN);
		memcpy(e->csk, pb->commit_sk.data, CAIRN_KEY_LEN);
	}
	return CAIRN_OK;
}

cairn_err
crn_sa_shares_decode(
    crn_sa_shares *m, uint32_t type, const uint8_t *in, size_t len)
{
	ProtobufCMessage *msg = NULL;
	Cairn__EncryptedShare **items;
	size_t n;
	crn_sa_shares tmp;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(m, 0, sizeof(*m));
	memset(&tmp, 0, sizeof(tmp));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if (type == CRN_SA_MSG_SHARE_KEYS) {
		Cairn__ShareKeys *pb = cairn__share_keys__unpack(NULL, len, in);

		if (pb == NULL)
			return CAIRN_EINVAL;
		msg = &pb->base;
		items = pb->shares;
		n = pb->n_shares;
	} else if (type == CRN_SA_MSG_SHARES_FWD) {
		Cairn__ForwardedShares *pb =
		    cairn__forwarded_shares__unpack(NULL, len, in);

		if (pb == NULL)
			return CAIRN_EINVAL;
		msg = &pb->base;
		items = pb->shares;
		n = pb->n_shares;
	} else {
		return CAIRN_EINVAL;
	}
	if (n > CRN_SA_MAX_NODES) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	tmp.v = crn_alloc(n * sizeof(*tmp.v));
	if (tmp.v == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	tmp.count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		if ((rv = share_from_pb(&tmp.v[i], items[i],
		         type == CRN_SA_MSG_SHARE_KEYS)) != CAIRN_OK)
			goto out;
	}
	*m = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rv = CAIRN_OK;
out:
	crn_sa_shares_fini(&tmp);
	protobuf_c_message_free_unpacked(msg, NULL);
	return rv;
}

/* ---- MaskedInput -------------------------------------------------------- */

cairn_err
crn_sa_masked_encode(uint8_t **out, size_t *out_len, uint32_t ring_bits,
    uint64_t dim, const void *vec)
{
	Cairn__MaskedInput pb;

	*out = NULL;
	*out_len = 0;
	if (!ring_ok(ring_bits) || dim == 0 || dim > CRN_SA_MAX_DIM)
		return CAIRN_EINVAL;
	if (!host_is_le())
		return CAIRN_ENOTSUP;
	cairn__masked_input__init(&pb);
	pb.ring_bits = ring_bits;
	pb.dim = dim;
	bin(&pb.data, vec, (size_t)dim * (ring_bits / 8));
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

/* Append a base-128 varint at p; returns the bytes written (at most 10). */
static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		uint8_t b = (uint8_t)(v & 0x7f);

		v >>= 7;
		p[n++] = (uint8_t)(b | (v != 0 ? 0x80 : 0));
	} while (v != 0);
	return n;
}

/*
 * MaskedInput written by hand as (ring_bits, dim, pad, data), with pad
 * sized so that the vector starts 16 bytes into an aligned buffer: the
 * node masks it in place with aligned vector stores.  Any protobuf reader
 * decodes it to the same message protobuf-c packs (tests check).
 */
cairn_err
crn_sa_masked_frame(uint8_t **out, size_t *out_len, uint8_t **data,
    uint32_t ring_bits, uint64_t dim)
{
	uint8_t hdr[4 * 11 + 16];
	size_t h = 0, dlen, total, pad, dh;
	uint8_t dhdr[11];
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	*data = NULL;
	if (!ring_ok(ring_bits) || dim == 0 || dim > CRN_SA_MAX_DIM)
		return CAIRN_EINVAL;
	if (!host_is_le())
		return CAIRN_ENOTSUP;
	dlen = (size_t)dim * (ring_bits / 8);
	hdr[h++] = (1 << 3) | 0; /* ring_bits, varint */
	h += put_varint(hdr + h, ring_bits);
	hdr[h++] = (2 << 3) | 0; /* dim, varint */
	h += put_varint(hdr + h, dim);
	dhdr[0] = (3 << 3) | 2; /* data, length-delimited */
	dh = 1 + put_varint(dhdr + 1, dlen);
	/* pad: tag, one-byte length, zeros; then the data header. */
	pad = (16 - (h + 2 + dh) % 16) % 16;
	hdr[h++] = (4 << 3) | 2;
	hdr[h++] = (uint8_t)pad;
	memset(hdr + h, 0, pad);
	h += pad;
	memcpy(hdr + h, dhdr, dh);
	h += dh;
	total = h + dlen;
	if ((buf = crn_alloc(total)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(buf, hdr, h);
	*out = buf;
	*out_len = total;
	*data = buf + h;
	return CAIRN_OK;
}

cairn_err
crn_sa_masked_decode(crn_sa_masked *m, const uint8_t *in, size_t len)
{
	Cairn__MaskedInput *pb = NULL;
	size_t need;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(m, 0, sizeof(*m));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if (!host_is_le())
		return CAIRN_ENOTSUP;
	if ((pb = cairn__masked_input__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	if (!ring_ok(pb->ring_bits) || pb->dim == 0 ||
	    pb->dim > CRN_SA_MAX_DIM) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	need = (size_t)pb->dim * (pb->ring_bits / 8);
	if (!bytes_is(&pb->data, need)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((m->data = crn_alloc(need)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	memcpy(m->data, pb->data.data, need);
	m->len = need;
	m->ring_bits = pb->ring_bits;
	m->dim = pb->dim;
	rv = CAIRN_OK;
out:
	cairn__masked_input__free_unpacked(pb, NULL);
	return rv;
}

/* Read one base-128 varint; 0 on success.  Like protobuf, at most ten
 * bytes, the tenth contributing its lowest bit only. */
static int
read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10; i++) {
		uint8_t b;

		if (*p == end)
			return -1;
		b = *(*p)++;
		if (i == 9 && b > 1)
			return -1;
		v |= (uint64_t)(b & 0x7f) << (7 * i);
		if ((b & 0x80) == 0) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/*
 * MaskedInput has three scalar fields, so the view parses the wire format
 * itself instead of letting protobuf-c copy the vector out: unknown fields
 * are skipped as protobuf requires, a repeated scalar keeps its last value
 * (as protobuf-c does), a known field with the wrong wire type is refused.
 */
cairn_err
crn_sa_masked_view(uint32_t *ring_bits, uint64_t *dim, const uint8_t **data,
    const uint8_t *in, size_t len)
{
	const uint8_t *p = in, *end = in + len, *d = NULL;
	uint64_t bits = 0, n = 0, dlen = 0;
	cairn_err rv;

	*ring_bits = 0;
	*dim = 0;
	*data = NULL;
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if (!host_is_le())
		return CAIRN_ENOTSUP;
	while (p < end) {
		uint64_t key, v;
		uint32_t wt;

		const uint8_t *kstart = p;

		/* protobuf-c reads a field key of at most five bytes; a longer
		 * (padded) one is refused here too, so the view never takes
		 * what the decoder refuses. */
		if (read_varint(&p, end, &key) != 0 || p - kstart > 5 ||
		    (key >> 3) == 0 || (key >> 3) > 0x1fffffffu)
			return CAIRN_EINVAL;
		wt = (uint32_t)(key & 7);
		switch (key >> 3) {
		case 1:
		case 2:
			if (wt != 0 || read_varint(&p, end, &v) != 0)
				return CAIRN_EINVAL;
			if ((key >> 3) == 1)
				bits = (uint32_t)v;
			else
				n = v;
			continue;
		case 3:
			if (wt != 2 || read_varint(&p, end, &v) != 0 ||
			    v > (uint64_t)(end - p))
				return CAIRN_EINVAL;
			d = p;
			dlen = v;
			p += v;
			continue;
		default: break;
		}
		/* An unknown field: skip it. */
		switch (wt) {
		case 0:
			if (read_varint(&p, end, &v) != 0)
				return CAIRN_EINVAL;
			break;
		case 1:
			if (end - p < 8)
				return CAIRN_EINVAL;
			p += 8;
			break;
		case 2:
			if (read_varint(&p, end, &v) != 0 ||
			    v > (uint64_t)(end - p))
				return CAIRN_EINVAL;
			p += v;
			break;
		case 5:
			if (end - p < 4)
				return CAIRN_EINVAL;
			p += 4;
			break;
		default: return CAIRN_EINVAL;
		}
	}
	if (!ring_ok((uint32_t)bits) || n == 0 || n > CRN_SA_MAX_DIM ||
	    dlen != n * (bits / 8))
		return CAIRN_EINVAL;
	*ring_bits = (uint32_t)bits;
	*dim = n;
	*data = d;
	return CAIRN_OK;
}

/* ---- ConsistencyRequest ------------------------------------------------- */

static cairn_err
copy_survivors(crn_sa_survivors *s, const uint32_t *idx, size_t n)
{
	memset(s, 0, sizeof(*s));
	if (n == 0 || n > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++)
		if (idx[i] == 0 || (i > 0 && idx[i] <= idx[i - 1]))
			return CAIRN_EINVAL;
	if ((s->idx = crn_alloc(n * sizeof(*s->idx))) == NULL)
		return CAIRN_ENOMEM;
	memcpy(s->idx, idx, n * sizeof(*s->idx));
	s->count = (uint32_t)n;
	return CAIRN_OK;
}

cairn_err
crn_sa_survivors_encode(
    uint8_t **out, size_t *out_len, const crn_sa_survivors *m)
{
	Cairn__ConsistencyRequest pb;

	*out = NULL;
	*out_len = 0;
	cairn__consistency_request__init(&pb);
	pb.n_survivors = m->count;
	pb.survivors = m->idx;
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_survivors_decode(crn_sa_survivors *m, const uint8_t *in, size_t len)
{
	Cairn__ConsistencyRequest *pb;
	cairn_err rv;

	memset(m, 0, sizeof(*m));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__consistency_request__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	rv = copy_survivors(m, pb->survivors, pb->n_survivors);
	cairn__consistency_request__free_unpacked(pb, NULL);
	return rv;
}

/* ---- GraphSeedReveal / GraphSeeds --------------------------------------- */

cairn_err
crn_sa_reveal_encode(
    uint8_t **out, size_t *out_len, const uint8_t r[CAIRN_KEY_LEN])
{
	Cairn__GraphSeedReveal pb;

	*out = NULL;
	*out_len = 0;
	cairn__graph_seed_reveal__init(&pb);
	bin(&pb.reveal, r, CAIRN_KEY_LEN);
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_reveal_decode(uint8_t r[CAIRN_KEY_LEN], const uint8_t *in, size_t len)
{
	Cairn__GraphSeedReveal *pb;
	cairn_err rv;

	memset(r, 0, CAIRN_KEY_LEN);
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__graph_seed_reveal__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	rv = CAIRN_EINVAL;
	if (bytes_is(&pb->reveal, CAIRN_KEY_LEN)) {
		memcpy(r, pb->reveal.data, CAIRN_KEY_LEN);
		rv = CAIRN_OK;
	}
	cairn__graph_seed_reveal__free_unpacked(pb, NULL);
	return rv;
}

cairn_err
crn_sa_seeds_encode(uint8_t **out, size_t *out_len, const crn_sa_seeds *m)
{
	Cairn__GraphSeeds pb;

	*out = NULL;
	*out_len = 0;
	if (m->n == 0 || m->n > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	cairn__graph_seeds__init(&pb);
	bin(&pb.reveals, (const uint8_t *)m->r, (size_t)m->n * CAIRN_KEY_LEN);
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_seeds_decode(crn_sa_seeds *m, const uint8_t *in, size_t len)
{
	Cairn__GraphSeeds *pb;
	size_t n;
	cairn_err rv;

	memset(m, 0, sizeof(*m));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__graph_seeds__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	n = pb->reveals.len / CAIRN_KEY_LEN;
	rv = CAIRN_EINVAL;
	if (n > 0 && n <= CRN_SA_MAX_NODES &&
	    bytes_is(&pb->reveals, n * CAIRN_KEY_LEN)) {
		rv = CAIRN_ENOMEM;
		if ((m->r = crn_alloc(n * sizeof(*m->r))) != NULL) {
			memcpy(m->r, pb->reveals.data, n * CAIRN_KEY_LEN);
			m->n = (uint32_t)n;
			rv = CAIRN_OK;
		}
	}
	cairn__graph_seeds__free_unpacked(pb, NULL);
	return rv;
}

/* ---- ConsistencySignature ----------------------------------------------- */

cairn_err
crn_sa_consig_encode(
    uint8_t **out, size_t *out_len, const uint8_t sig[CAIRN_SIG_LEN])
{
	Cairn__ConsistencySignature pb;

	*out = NULL;
	*out_len = 0;
	cairn__consistency_signature__init(&pb);
	bin(&pb.signature, sig, CAIRN_SIG_LEN);
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_consig_decode(uint8_t sig[CAIRN_SIG_LEN], const uint8_t *in, size_t len)
{
	Cairn__ConsistencySignature *pb;
	cairn_err rv;

	memset(sig, 0, CAIRN_SIG_LEN);
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	pb = cairn__consistency_signature__unpack(NULL, len, in);
	if (pb == NULL)
		return CAIRN_EINVAL;
	if (bytes_is(&pb->signature, CAIRN_SIG_LEN)) {
		memcpy(sig, pb->signature.data, CAIRN_SIG_LEN);
		rv = CAIRN_OK;
	} else {
		rv = CAIRN_EINVAL;
	}
	cairn__consistency_signature__free_unpacked(pb, NULL);
	return rv;
}

/* ---- UnmaskRequest ------------------------------------------------------ */

cairn_err
crn_sa_unmask_req_encode(
    uint8_t **out, size_t *out_len, const crn_sa_unmask_req *m)
{
	Cairn__UnmaskRequest pb;
	Cairn__SignedSurvivor *items = NULL, **ptrs = NULL;
	size_t n = m->nsigs;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*out_len = 0;
	if (n > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	items = crn_alloc(n * sizeof(*items));
	ptrs = crn_alloc(n * sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		cairn__signed_survivor__init(&items[i]);
		items[i].index = m->sigs[i].index;
		bin(&items[i].signature, m->sigs[i].sig, CAIRN_SIG_LEN);
		ptrs[i] = &items[i];
	}
	cairn__unmask_request__init(&pb);
	pb.n_survivors = m->surv.count;
	pb.survivors = m->surv.idx;
	pb.n_signatures = n;
	pb.signatures = ptrs;
	rv = crn_pb_pack(&pb.base, 0, out, out_len);
out:
	crn_free(items, n * sizeof(*items));
	crn_free(ptrs, n * sizeof(*ptrs));
	return rv;
}

cairn_err
crn_sa_unmask_req_decode(crn_sa_unmask_req *m, const uint8_t *in, size_t len)
{
	Cairn__UnmaskRequest *pb;
	crn_sa_unmask_req tmp;
	size_t n;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(m, 0, sizeof(*m));
	memset(&tmp, 0, sizeof(tmp));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__unmask_request__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	rv = copy_survivors(&tmp.surv, pb->survivors, pb->n_survivors);
	if (rv != CAIRN_OK)
		goto out;
	n = pb->n_signatures;
	if (n > CRN_SA_MAX_NODES) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((tmp.sigs = crn_alloc(n * sizeof(*tmp.sigs))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	tmp.nsigs = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		const Cairn__SignedSurvivor *s = pb->signatures[i];

		if (s == NULL || s->index == 0 ||
		    !bytes_is(&s->signature, CAIRN_SIG_LEN)) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		tmp.sigs[i].index = s->index;
		memcpy(tmp.sigs[i].sig, s->signature.data, CAIRN_SIG_LEN);
	}
	*m = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rv = CAIRN_OK;
out:
	crn_sa_unmask_req_fini(&tmp);
	cairn__unmask_request__free_unpacked(pb, NULL);
	return rv;
}

/* ---- UnmaskResponse ----------------------------------------------------- */

cairn_err
crn_sa_unmask_encode(uint8_t **out, size_t *out_len, const crn_sa_unmask *m)
{
	Cairn__UnmaskResponse pb;
	Cairn__RevealedShare *items = NULL, **ptrs = NULL;
	size_t n = m->count;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	*out_len = 0;
	if (n > CRN_SA_MAX_NODES)
		return CAIRN_EINVAL;
	items = crn_alloc(n * sizeof(*items));
	ptrs = crn_alloc(n * sizeof(*ptrs));
	if (items == NULL || ptrs == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (m->v[i].kind != CRN_SA_SHARE_SELF_MASK &&
		    m->v[i].kind != CRN_SA_SHARE_MASK_KEY &&
		    m->v[i].kind != CRN_SA_SHARE_ROUND_SEED) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		cairn__revealed_share__init(&items[i]);
		items[i].owner = m->v[i].owner;
		items[i].kind = (Cairn__ShareKind)m->v[i].kind;
		bin(&items[i].share, m->v[i].share, CRN_SHAMIR_SHARE_LEN);
		ptrs[i] = &items[i];
	}
	cairn__unmask_response__init(&pb);
	pb.n_shares = n;
	pb.shares = ptrs;
	rv = crn_pb_pack(&pb.base, 0, out, out_len);
out:
	crn_free(items, n * sizeof(*items));
	crn_free(ptrs, n * sizeof(*ptrs));
	return rv;
}

cairn_err
crn_sa_unmask_decode(crn_sa_unmask *m, const uint8_t *in, size_t len)
{
	Cairn__UnmaskResponse *pb;
	crn_sa_unmask tmp;
	size_t n;
	cairn_err rv = CAIRN_EINTERNAL;

	memset(m, 0, sizeof(*m));
	memset(&tmp, 0, sizeof(tmp));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__unmask_response__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	n = pb->n_shares;
	if (n > CRN_SA_MAX_NODES) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((tmp.v = crn_alloc(n * sizeof(*tmp.v))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	tmp.count = (uint32_t)n;
	for (size_t i = 0; i < n; i++) {
		const Cairn__RevealedShare *s = pb->shares[i];

		if (s == NULL || s->owner == 0 ||
		    (s->kind != CAIRN__SHARE_KIND__SHARE_SELF_MASK &&
		        s->kind != CAIRN__SHARE_KIND__SHARE_MASK_KEY &&
		        s->kind != CAIRN__SHARE_KIND__SHARE_ROUND_SEED) ||
		    !bytes_is(&s->share, CRN_SHAMIR_SHARE_LEN)) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		tmp.v[i].owner = s->owner;
		tmp.v[i].kind = (uint32_t)s->kind;
		memcpy(tmp.v[i].share, s->share.data, CRN_SHAMIR_SHARE_LEN);
	}
	*m = tmp;
	memset(&tmp, 0, sizeof(tmp));
	rv = CAIRN_OK;
out:
	crn_sa_unmask_fini(&tmp);
	cairn__unmask_response__free_unpacked(pb, NULL);
	return rv;
}

/* ---- Abort -------------------------------------------------------------- */

cairn_err
crn_sa_abort_encode(uint8_t **out, size_t *out_len, const crn_sa_abort *m)
{
	Cairn__Abort pb;
	char reason[CRN_SA_REASON_LEN];

	*out = NULL;
	*out_len = 0;
	/* Copy so that an unterminated reason cannot run off the struct. */
	memcpy(reason, m->reason, sizeof(reason));
	reason[sizeof(reason) - 1] = '\0';
	cairn__abort__init(&pb);
	pb.code = m->code;
	pb.reason = reason;
	pb.needed = m->needed;
	pb.answered = m->answered;
	return crn_pb_pack(&pb.base, 0, out, out_len);
}

cairn_err
crn_sa_abort_decode(crn_sa_abort *m, const uint8_t *in, size_t len)
{
	Cairn__Abort *pb;
	size_t i;
	cairn_err rv;

	memset(m, 0, sizeof(*m));
	if ((rv = unpack_check(in, len)) != CAIRN_OK)
		return rv;
	if ((pb = cairn__abort__unpack(NULL, len, in)) == NULL)
		return CAIRN_EINVAL;
	m->code = pb->code;
	m->needed = pb->needed;
	m->answered = pb->answered;
	/* A peer's text ends up in logs and on screens: keep it printable. */
	for (i = 0; pb->reason != NULL && pb->reason[i] != '\0' &&
	     i + 1 < sizeof(m->reason);
	     i++) {
		unsigned char c = (unsigned char)pb->reason[i];

		m->reason[i] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	m->reason[i] = '\0';
	cairn__abort__free_unpacked(pb, NULL);
	return CAIRN_OK;
}
