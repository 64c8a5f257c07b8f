/* secagg_machine_fuzz.c — fuzz both secure-aggregation state machines
 * through whole sessions on the one-process world (core/secagg_world.h):
 * a real federation of n certified nodes and the coordinator, every
 * message passing a hook that the fuzz input drives, and a driver the
 * input also steers.
 *
 * Input: a stream of bytes read as needed.  The first picks the world:
 * ring width (32, 64, 128)[b % 3] and n = 4 + (b / 3) % 3 nodes, with
 * the malicious policy's threshold floor(2n/3) + 1 (0: 64 bits, 4
 * nodes).  Then the driver reads one byte per step (at most 64 steps,
 * while input remains):
 *     low 3 bits 0-3  deliver the next message queued for slot
 *                     (bits 3-7 mod n, + 1), or drain if it has none
 *                4    drain every queue
 *                5    the coordinator's round deadline
 *                6    give slot again the last message of type (next
 *                     byte mod 12 + 20) it got
 *                7    send the coordinator again, as slot, the last
 *                     message of that type slot sent
 * then the session is driven to its end (drain and deadlines).  The hook
 * reads one byte per message: 0-127 pass, 128-159 flip bit (next byte &
 * 7) of byte (next two bytes mod length), 160-191 truncate to (next two
 * bytes mod length), 192-223 drop, 224-239 replace by the last message of
 * the same type seen before (from anyone), 240-255 replace by the next
 * (next byte) bytes of the input.  Exhausted input reads as 0: pass.
 *
 * Whatever arrives, no party may crash, leak or hang; and a session that
 * ends with a sum ends with the exact sum of the survivors the
 * coordinator names, unless a masked input or a forwarded-shares message
 * was altered in transit (the daemons' authenticated links stop both).
 * Those two the machines cannot catch: the coordinator adds masked
 * inputs as they come, and a ForwardedShares that lost an entry (its
 * field key turned into an unknown field's, or cut at an entry boundary)
 * still holds t - 1 shares, so its node masks with fewer neighbours than
 * the coordinator forwarded; the node then refuses to sign any set that
 * names the missing neighbour, but its input is already in the sum,
 * which comes out off by the unpaired mask (the fuzzer's first find,
 * kept in the corpus as fwd_entry_hidden). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "crypto/init.h"
#include "base/crn.h"
#include "secagg/secagg.h"
#include "secagg/world.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FDIM   3
#define NTYPES (CRN_SA_MSG_LAST - CRN_SA_MSG_FIRST + 1)

typedef struct fz {
	const uint8_t *in;
	size_t len, pos;
	crn_sa_world *w;
	uint32_t n, bits;
	uint8_t *seen[NTYPES]; /* the last message of each type */
	size_t seen_len[NTYPES];
	bool bent; /* a masked input or forwarded shares were altered */
} fz;

static uint8_t
next(fz *f)
{
	return f->pos < f->len ? f->in[f->pos++] : 0;
}

static size_t
next16(fz *f)
{
	size_t hi = next(f);

	return hi << 8 | next(f);
}

static void
remember(fz *f, uint32_t type, const uint8_t *data, size_t len)
{
	size_t k = type - CRN_SA_MSG_FIRST;
	uint8_t *copy = crn_alloc(len ? len : 1);

	if (copy == NULL)
		return;
	if (len > 0)
		memcpy(copy, data, len);
	crn_free(f->seen[k], f->seen_len[k] ? f->seen_len[k] : 1);
	f->seen[k] = copy;
	f->seen_len[k] = len;
}

/* Replace *data by a copy of src; false if out of memory. */
static bool
replace(uint8_t **data, size_t *len, const uint8_t *src, size_t n)
{
	uint8_t *b = crn_alloc(n ? n : 1);

	if (b == NULL)
		return false;
	if (n > 0)
		memcpy(b, src, n);
	crn_free(*data, *len ? *len : 1);
	*data = b;
	*len = n;
	return true;
}

/* Apply mutation `op` (128..223 or 240..255) to one message; true if it
 * changed. */
static bool
mutate(fz *f, uint8_t op, uint32_t type, uint8_t **data, size_t *len)
{
	size_t at, n;

	(void)type;
	if (op < 160) {
		at = next16(f);
		n = next(f);
		if (*len == 0)
			return false;
		(*data)[at % *len] ^= (uint8_t)(1u << (n & 7));
		return true;
	}
	if (op < 192) {
		n = next16(f);
		if (*len == 0)
			return false;
		*len = n % *len; /* crn_free ignores the size */
		return true;
	}
	n = next(f);
	if (n > f->len - f->pos)
		n = f->len - f->pos;
	f->pos += n;
	return replace(data, len, f->in + f->pos - n, n);
}

/* Replace the message by the last one of its type seen before, and
 * remember it in turn; true if it changed. */
static bool
replay(fz *f, uint32_t type, uint8_t **data, size_t *len)
{
	size_t k = type - CRN_SA_MSG_FIRST, olen = f->seen_len[k];
	uint8_t *old = f->seen[k];
	bool changed = false;

	f->seen[k] = NULL;
	f->seen_len[k] = 0;
	remember(f, type, *data, *len);
	if (old != NULL) {
		changed = olen != *len || memcmp(old, *data, olen) != 0;
		if (!replace(data, len, old, olen))
			changed = false;
		crn_free(old, olen ? olen : 1);
	}
	return changed;
}

static crn_sa_verdict
hook(void *arg, uint32_t from, uint32_t to, uint32_t type, uint8_t **data,
    size_t *len)
{
	fz *f = arg;
	uint8_t op = next(f);
	bool in_range = type >= CRN_SA_MSG_FIRST && type <= CRN_SA_MSG_LAST;
	bool changed = false;

	(void)from;
	(void)to;
	if (op >= 192 && op < 224)
		return CRN_SA_DROP;
	if (op >= 224 && op < 240 && in_range) {
		changed = replay(f, type, data, len);
	} else {
		if (in_range)
			remember(f, type, *data, *len);
		if (op >= 128 && !(op >= 224 && op < 240))
			changed = mutate(f, op, type, data, len);
	}
	if (changed &&
	    (type == CRN_SA_MSG_MASKED_INPUT || type == CRN_SA_MSG_SHARES_FWD))
		f->bent = true;
	return CRN_SA_PASS;
}

/* A message of `type` a party has (got or sent), copied, or NULL. */
static uint8_t *
copy_of(const crn_sa_wmsg *m, size_t *len)
{
	uint8_t *b;

	if (m == NULL || (b = crn_alloc(m->len ? m->len : 1)) == NULL)
		return NULL;
	if (m->len > 0)
		memcpy(b, m->data, m->len);
	*len = m->len;
	return b;
}

/* One driver step; a cairn_err only for what is not the session's
 * business (a bug, or memory). */
static cairn_err
step(fz *f, uint8_t op)
{
	uint32_t slot = (uint32_t)(op >> 3) % f->n + 1, type;
	uint8_t *b;
	size_t len = 0;
	cairn_err rv;

	if ((op & 7) < 4)
		return crn_sa_world_queued(f->w, slot) > 0
		    ? crn_sa_world_deliver(f->w, slot)
		    : crn_sa_world_drain(f->w);
	if ((op & 7) == 4)
		return crn_sa_world_drain(f->w);
	if ((op & 7) == 5)
		return crn_sa_world_deadline(f->w);
	type = CRN_SA_MSG_FIRST + next(f) % NTYPES;
	b = copy_of((op & 7) == 6 ? crn_sa_world_got(f->w, slot, type)
	                          : crn_sa_world_sent(f->w, slot, type),
	    &len);
	if (b == NULL)
		return CAIRN_OK;
	rv = (op & 7) == 6 ? crn_sa_world_to_node(f->w, slot, type, b, len)
	                   : crn_sa_world_to_coord(f->w, slot, type, b, len);
	crn_free(b, len ? len : 1);
	return rv;
}

static crn_sa_world *
world(fz *f)
{
	crn_sa_world_cfg c;
	crn_sa_world *w = NULL;

	memset(&c, 0, sizeof(c));
	c.nodes = f->n;
	c.dim = FDIM;
	c.ring_bits = f->bits;
	c.threshold = (2 * f->n) / 3 + 1;
	memset(c.seed, 0x33, sizeof(c.seed));
	c.malicious = true;
	c.coordinator = true;
	c.sorted = true;
	c.keep = true;
	c.hook = hook;
	c.hook_arg = f;
	if (crn_sa_world_new(&w, &c) != CAIRN_OK)
		crn_panic(__FILE__, __LINE__, "cannot make the world");
	return w;
}

/* A sum, unless a masked input was bent, is the survivors' exact sum. */
static void
check(fz *f)
{
	uint32_t count = 0;
	const uint32_t *slots =
	    crn_sa_coord_survivor_slots(crn_sa_world_coord(f->w), &count);
	size_t len = 0;
	const uint8_t *sum = crn_sa_world_sum(f->w, &len);
	uint8_t want[FDIM * 16];

	if (sum == NULL || f->bent)
		return;
	if (len != (size_t)FDIM * f->bits / 8 || slots == NULL)
		crn_panic(__FILE__, __LINE__, "sum without survivors");
	crn_sa_world_plain_sum(f->w, slots, count, want);
	if (memcmp(sum, want, len) != 0)
		crn_panic(__FILE__, __LINE__, "wrong sum");
}

static void
ok(cairn_err rv)
{
	if (rv != CAIRN_OK)
		crn_panic(__FILE__, __LINE__, "world failed");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t widths[] = {64, 32, 128};
	static int inited;
	uint8_t h;
	fz f;

	if (!inited) {
		if (cairn_init() != CAIRN_OK)
			return 0;
		inited = 1;
	}
	memset(&f, 0, sizeof(f));
	f.in = data;
	f.len = data != NULL ? size : 0;
	h = next(&f);
	f.bits = widths[h % 3];
	f.n = 4 + (uint32_t)(h / 3) % 3;
	f.w = world(&f);
	ok(crn_sa_world_start_all(f.w));
	for (int i = 0; i < 64 && f.pos < f.len; i++)
		ok(step(&f, next(&f)));
	/* Then to the end: at most one deadline per round is needed. */
	for (int r = 0; r <= CRN_SA_R_DONE + 1; r++) {
		ok(crn_sa_world_drain(f.w));
		ok(crn_sa_world_deadline(f.w));
	}
	ok(crn_sa_world_drain(f.w));
	check(&f);
	crn_sa_world_free(f.w);
	for (size_t k = 0; k < NTYPES; k++)
		crn_free(f.seen[k], f.seen_len[k] ? f.seen_len[k] : 1);
	return 0;
}
