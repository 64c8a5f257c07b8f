/*
 * codec_runtime.h — wire codecs of the runtime messages (proto/cairn.proto
 * "transport / runtime" and JobResult / ErrorReport of "jobs"): what the
 * coordinator, node daemons and researcher CLI say to each other around
 * the secure-aggregation rounds.  The rules of codec.h apply: encoders
 * write a crn_alloc'd buffer (free with crn_free(*out, *outlen)); decoders
 * check every size, leave the struct zeroed on failure and give the
 * caller a struct it releases with the matching _fini.
 */
#ifndef CRN_PROTO_CODEC_RUNTIME_H
#define CRN_PROTO_CODEC_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/crypto.h"

#define CRN_RT_JOB_ID_LEN 16
/* Longest name (certificate names are at most 64 characters) and message
 * text a decoder accepts, and the most names in one list. */
#define CRN_RT_NAME_MAX 64
#define CRN_RT_TEXT_MAX 1024
#define CRN_RT_LIST_MAX 65536
/* Largest message of this family (a result carries a sum vector). */
#define CRN_RT_MSG_MAX (160u * 1024u * 1024u)

/* Envelope types (values of cairn.MsgType). */
#define CRN_RT_MSG_HELLO      1u
#define CRN_RT_MSG_HELLO_ACK  2u
#define CRN_RT_MSG_JOB_SUBMIT 3u
#define CRN_RT_MSG_JOB_OFFER  4u
#define CRN_RT_MSG_JOB_STATUS 5u
#define CRN_RT_MSG_JOB_RESULT 6u
#define CRN_RT_MSG_STATUS_REQ 7u
#define CRN_RT_MSG_STATUS     8u
#define CRN_RT_MSG_ERROR      9u
#define CRN_RT_MSG_JOB_PENDING 10u
#define CRN_RT_MSG_BUDGET_REQ 11u
#define CRN_RT_MSG_BUDGET     12u
/* Coordinator -> node between the passes of a query: the cells the second
 * pass sums (proto/codec_release.h). */
#define CRN_RT_MSG_PASS_START 40u

/* seq || hash || signature, as core/audit makes it. */
#define CRN_RT_AUDIT_HEAD_LEN (8 + 32 + 64)

/* JobOffer: coordinator -> node. */
typedef struct crn_rt_offer {
	uint8_t *signed_job; /* owned encoded SignedJob */
	size_t signed_job_len;
	uint32_t threshold;
	uint32_t nodes;
	/* the coordinator's signed audit head (CRN_RT_AUDIT_HEAD_LEN bytes),
	 * audit_head_len 0 when the offer has none */
	uint8_t audit_head[CRN_RT_AUDIT_HEAD_LEN];
	size_t audit_head_len;
} crn_rt_offer;

/* JobPending: node -> coordinator. */
typedef struct crn_rt_pending {
	uint8_t job_id[CRN_RT_JOB_ID_LEN];
	uint64_t until; /* unix seconds */
} crn_rt_pending;

/* JobStatus: coordinator -> researcher. */
typedef struct crn_rt_jobstatus {
	uint8_t job_id[CRN_RT_JOB_ID_LEN];
	uint32_t round; /* 0 advertise .. 4 unmask, 5 done */
	uint32_t nodes, answered, dropped;
	uint32_t pass, passes; /* 1 counts, 2 figures; 0 when one pass */
	char waiting[256]; /* nodes waiting for approval, comma-separated */
	bool queued;           /* waiting for a free max_jobs slot */
	uint32_t ahead;        /* queued: jobs ahead of it */
	uint32_t wait_ms;      /* queued: the longest it may wait */
} crn_rt_jobstatus;

/* JobResult: coordinator -> researcher.  Every pointer owned. */
typedef struct crn_rt_result {
	uint8_t job_id[CRN_RT_JOB_ID_LEN];
	char **contributed;
	size_t ncontributed;
	char **dropped;
	size_t ndropped;
	uint32_t ring_bits;
	uint8_t *sum; /* little-endian ring elements */
	size_t sum_len;
	int32_t code; /* cairn_err; 0 on success */
	char *error;  /* "" when none (never NULL after decode) */
	uint32_t needed, answered;
	/* JOB_QUERY success: the released table in three renderings (owned,
	 * NUL-terminated; NULL when absent).  sum is empty then. */
	char *table_text;
	char *table_json;
	char *table_csv;
	uint64_t suppressed_cells, suppressed_groups;
	/* Counted in pass 1, not in the pass-2 figures (owned names). */
	char **dropped_between;
	size_t ndropped_between;
	/* Every node the federation expects is in exactly one list of
	 * contributed, dropped, refused and absent (owned names).
	 * dropped_round[i] is where dropped[i] was lost ("counts advertise")
	 * and refused_reason[i] the category of refused[i]'s reason; each
	 * parallel list is as long as its names list, or empty. */
	char **dropped_round;
	size_t ndropped_round;
	char **refused;
	size_t nrefused;
	char **refused_reason;
	size_t nrefused_reason;
	char **absent;
	size_t nabsent;
	uint64_t clipped; /* values clipped to the declared bounds */
} crn_rt_result;

typedef struct crn_rt_session_info {
	uint8_t session_id[CAIRN_SESSION_ID_LEN];
	uint8_t job_id[CRN_RT_JOB_ID_LEN];
	char *researcher; /* owned */
	uint32_t round, nodes;
} crn_rt_session_info;

/* StatusReport: coordinator -> researcher.  Every pointer owned. */
typedef struct crn_rt_status {
	char **nodes;
	size_t nnodes;
	crn_rt_session_info *sessions;
	size_t nsessions;
	/* Dropout tolerance: survivors needed by a session of the nnodes
	 * connected (threshold) and of every expected node; the
	 * coordinator's min_participants. */
	uint32_t threshold, min_participants;
	uint32_t expected, expected_threshold;
} crn_rt_status;

/* ErrorReport: either way. */
typedef struct crn_rt_error {
	int32_t code;
	char *message; /* owned, never NULL after decode */
} crn_rt_error;

void crn_rt_offer_fini(crn_rt_offer *m);
void crn_rt_result_fini(crn_rt_result *m);
void crn_rt_status_fini(crn_rt_status *m);
void crn_rt_error_fini(crn_rt_error *m);

/* Append a copy of name to a list of names (crn_alloc'd array of
 * crn_strdup'd strings); free the list with crn_rt_names_free. */
CAIRN_NODISCARD cairn_err crn_rt_names_add(
    char ***list, size_t *n, const char *name);
void crn_rt_names_free(char **list, size_t n);

CAIRN_NODISCARD cairn_err crn_rt_hello_encode(
    const char *version, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_offer_encode(
    const crn_rt_offer *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_offer_decode(
    crn_rt_offer *m, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_pending_encode(
    const crn_rt_pending *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_pending_decode(
    crn_rt_pending *m, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_jobstatus_encode(
    const crn_rt_jobstatus *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_jobstatus_decode(
    crn_rt_jobstatus *m, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_result_encode(
    const crn_rt_result *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_result_decode(
    crn_rt_result *m, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_status_encode(
    const crn_rt_status *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_status_decode(
    crn_rt_status *m, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_error_encode(
    const crn_rt_error *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_error_decode(
    crn_rt_error *m, const uint8_t *buf, size_t len);

/* BudgetRequest / BudgetReport (`cairn budget`).  Every pointer owned;
 * crn_rt_budget_fini frees them (safe on zeroed storage). */
typedef struct crn_rt_budget {
	char *researcher;
	char *node;
	uint32_t nodes;
	size_t n; /* datasets */
	char **datasets;
	double *rho_spent;
	uint64_t *jobs;
	double rho_limit, delta;
	bool require_dp;
} crn_rt_budget;

void crn_rt_budget_fini(crn_rt_budget *m);
/* A BudgetRequest naming researcher (may be ""). */
CAIRN_NODISCARD cairn_err crn_rt_budget_req_encode(
    const char *researcher, uint8_t **out, size_t *outlen);
/* *researcher is crn_strdup'd (crn_strfree). */
CAIRN_NODISCARD cairn_err crn_rt_budget_req_decode(
    char **researcher, const uint8_t *buf, size_t len);
CAIRN_NODISCARD cairn_err crn_rt_budget_encode(
    const crn_rt_budget *m, uint8_t **out, size_t *outlen);
CAIRN_NODISCARD cairn_err crn_rt_budget_decode(
    crn_rt_budget *m, const uint8_t *buf, size_t len);

#endif /* CRN_PROTO_CODEC_RUNTIME_H */
