/*
 * secagg_world.h — a whole secure-aggregation federation in one process:
 * n real node machines with identities, sim certificates and inputs drawn
 * from one seed, and (unless the driver plays it) the real coordinator
 * machine.  Every message passes through its serialized bytes and through
 * an optional hook that may let it pass, drop it or replace it.
 *
 * One world serves the simulator (`cairn sim secagg`), the adversarial
 * tests (a dishonest coordinator is a driver without a coordinator, or a
 * hook that rewrites what the coordinator sends), and the machine fuzzer
 * (a hook driven by the fuzz input).
 *
 * Delivery: what a node sends goes to the coordinator at once (or, with
 * no coordinator, is only recorded); what the coordinator sends is queued
 * per node.  With `autorun` the world drains the queues itself after every
 * event; otherwise the driver delivers with crn_sa_world_deliver.  The
 * last message of each type each party sent or was sent is kept for
 * inspection when `keep` is set (tests; the simulator does not, to keep
 * memory at a few vectors).
 *
 * Slots are 1..nodes.  With `sorted`, slot order is identity-key order,
 * so slot i is roster index i (tests rely on it).
 *
 * Not thread-safe; library-internal.
 */
#ifndef CRN_SECAGG_WORLD_H
#define CRN_SECAGG_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "secagg/secagg.h"

typedef struct crn_sa_world crn_sa_world;

/* A message as the world keeps it. */
typedef struct crn_sa_wmsg {
	uint32_t type;
	uint8_t *data; /* owned by the world */
	size_t len;
} crn_sa_wmsg;

typedef enum crn_sa_verdict {
	CRN_SA_PASS = 0, /* deliver (possibly replaced) */
	CRN_SA_DROP = 1, /* lose it */
} crn_sa_verdict;

/*
 * Sees every message before delivery: from 0 (the coordinator) or a slot,
 * to a slot or 0.  May replace the message by freeing *data (crn_free,
 * *len bytes) and storing a new crn_alloc'd buffer and length.
 */
typedef crn_sa_verdict (*crn_sa_hook)(void *arg, uint32_t from, uint32_t to,
    uint32_t type, uint8_t **data, size_t *len);

typedef struct crn_sa_world_cfg {
	uint32_t nodes; /* 2 .. CRN_SA_MAX_NODES */
	uint64_t dim;
	uint32_t ring_bits;
	uint32_t threshold;
	uint32_t degree;              /* 0 = complete graph */
	uint8_t seed[CAIRN_SEED_LEN]; /* everything derives from it */
	/* Every node's policy (crn_sa_node_cfg; 0 fractions mean 0.05,
	 * min_participants 0 means 2, max_nodes 0 means no limit). */
	double corrupt_frac, dropout_frac;
	bool malicious;
	uint32_t min_participants, max_nodes;
	bool coordinator; /* run the coordinator machine */
	bool autorun;     /* drain queues after every event */
	bool sorted;      /* slot order = identity order */
	bool keep;        /* keep the last message of each type per party */
	/* Chained sessions: every node may be continued up to this round
	 * (crn_sa_node_cfg.max_rounds); 0 or 1 for one session. */
	uint32_t max_rounds;
	crn_sa_hook hook;
	void *hook_arg;
	double (*clock)(void); /* for timing parties; NULL for none */
} crn_sa_world_cfg;

/* CAIRN_EINVAL for a bad configuration; CAIRN_ENOMEM. */
CAIRN_NODISCARD cairn_err crn_sa_world_new(
    crn_sa_world **out, const crn_sa_world_cfg *cfg);
void crn_sa_world_free(crn_sa_world *w);

/* Parties and what they hold. */
crn_sa_node *crn_sa_world_node(crn_sa_world *w, uint32_t slot);
crn_sa_coord *crn_sa_world_coord(crn_sa_world *w);
const crn_identity *crn_sa_world_identity(const crn_sa_world *w, uint32_t slot);
/* The node's input: dim native ring elements. */
const void *crn_sa_world_input(const crn_sa_world *w, uint32_t slot);
const uint8_t *crn_sa_world_session(const crn_sa_world *w);
/* The seed node `slot`'s machine was made from (every secret it holds
 * derives from it), for tests that play a corrupt node colluding with
 * the coordinator.  Kept only with cfg.keep: CAIRN_ESTATE otherwise;
 * CAIRN_EINVAL for a bad slot. */
CAIRN_NODISCARD cairn_err crn_sa_world_node_seed(
    const crn_sa_world *w, uint32_t slot, uint8_t seed[CAIRN_SEED_LEN]);
/* The sim authority's key: crn_sa_simcert_verify's argument. */
const uint8_t *crn_sa_world_authority(const crn_sa_world *w);

/*
 * Events.  Each returns CAIRN_OK unless something failed that is not the
 * session's business (ENOMEM, a bug): refusals and aborts are outcomes,
 * recorded per party.  The machine's own return of the last delivery to
 * a node is in crn_sa_world_last_rv.
 */
CAIRN_NODISCARD cairn_err crn_sa_world_start(crn_sa_world *w, uint32_t slot);
CAIRN_NODISCARD cairn_err crn_sa_world_start_all(crn_sa_world *w);
/* Hand node `slot` a message as if from the coordinator (the bytes are
 * copied); what it sends back is routed as usual.  data must not point
 * into the world's own records (crn_sa_world_got / _sent), which this
 * call replaces: copy a recorded message first. */
CAIRN_NODISCARD cairn_err crn_sa_world_to_node(crn_sa_world *w, uint32_t slot,
    uint32_t type, const uint8_t *data, size_t len);
/* Hand the coordinator a message as if node `slot` sent it (a replay, a
 * forgery; the bytes are copied, the hook sees it, it is recorded as
 * sent); what the coordinator sends back is routed as usual. */
CAIRN_NODISCARD cairn_err crn_sa_world_to_coord(crn_sa_world *w, uint32_t slot,
    uint32_t type, const uint8_t *data, size_t len);
/* Deliver the oldest message queued for slot (CAIRN_ENOENT if none). */
CAIRN_NODISCARD cairn_err crn_sa_world_deliver(crn_sa_world *w, uint32_t slot);
/* Deliver every queued message, in slot order, until none is left. */
CAIRN_NODISCARD cairn_err crn_sa_world_drain(crn_sa_world *w);
/* The coordinator's round deadline. */
CAIRN_NODISCARD cairn_err crn_sa_world_deadline(crn_sa_world *w);
/* Start every node and run to the end: drain, then deadlines whenever
 * the session stalls (at most one per round). */
CAIRN_NODISCARD cairn_err crn_sa_world_run(crn_sa_world *w);

/*
 * Continue with round `round` of a chained session: the coordinator (when
 * run) and every node whose machine finished the last round go on
 * (crn_sa_node_next); the others stay out.  Inputs change each round
 * (derived from the node's input seed and the round).  The last sum and
 * abort are forgotten.  Errors as for the other events; the machines'
 * own refusals are in crn_sa_world_last_rv.
 */
CAIRN_NODISCARD cairn_err crn_sa_world_next(crn_sa_world *w, uint32_t round);
/* crn_sa_world_next, then drain and deadlines until the round ends. */
CAIRN_NODISCARD cairn_err crn_sa_world_run_next(
    crn_sa_world *w, uint32_t round);
/* The round the world is in (1 for the first). */
uint32_t crn_sa_world_round(const crn_sa_world *w);

cairn_err crn_sa_world_last_rv(const crn_sa_world *w, uint32_t slot);
/* The last message of `type` node `slot` sent, or that the coordinator
 * sent to it; NULL if none. */
const crn_sa_wmsg *crn_sa_world_sent(
    const crn_sa_world *w, uint32_t slot, uint32_t type);
const crn_sa_wmsg *crn_sa_world_got(
    const crn_sa_world *w, uint32_t slot, uint32_t type);
/* Messages queued for slot and not yet delivered. */
size_t crn_sa_world_queued(const crn_sa_world *w, uint32_t slot);
/* The oldest message queued for slot, without delivering it (NULL if
 * none; valid until the queue changes), and dropping it undelivered (a
 * driver that tampers peeks, drops and hands the node its own version
 * with crn_sa_world_to_node). */
const crn_sa_wmsg *crn_sa_world_peek(crn_sa_world *w, uint32_t slot);
void crn_sa_world_discard(crn_sa_world *w, uint32_t slot);

/* Outcome: the sum (dim little-endian elements; NULL if none), whether
 * and why the coordinator aborted. */
const uint8_t *crn_sa_world_sum(const crn_sa_world *w, size_t *len);
bool crn_sa_world_aborted(const crn_sa_world *w, crn_sa_abort *ab);
/* The plain sum of the inputs of the given slots (count of them), into
 * out (dim elements of ring_bits). */
void crn_sa_world_plain_sum(const crn_sa_world *w, const uint32_t *slots,
    size_t count, uint8_t *out);

/* Timing (seconds on cfg->clock) and traffic. */
double crn_sa_world_node_secs(const crn_sa_world *w, uint32_t slot);
double crn_sa_world_coord_secs(const crn_sa_world *w);
uint64_t crn_sa_world_node_sent(const crn_sa_world *w, uint32_t slot);

#endif /* CRN_SECAGG_WORLD_H */
