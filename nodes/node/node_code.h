/*
 * node_code.h — a node's side of approved-code jobs (JOB_CODE): the
 * approval check by SHA-256 and the run of the program over the node's
 * rows (core/lua/code.h).
 */
#ifndef CRN_NODE_NODE_CODE_H
#define CRN_NODE_NODE_CODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "node/node.h"

/* The node's policy for programs (from [policy]; strings borrowed). */
typedef struct crn_node_code_policy {
	char *const *approved; /* SHA-256 hex digests */
	size_t napproved;
	const char *approved_dir; /* NULL: none */
	uint32_t memory_mb, steps_m, timeout_ms;
	uint32_t max_nodes; /* the schema's: bounds the ring check */
} crn_node_code_policy;

/*
 * Is the program with this hash approved: listed in approved, or the
 * SHA-256 of a regular file in approved_dir?  CAIRN_OK, or CAIRN_EPERM
 * with err naming the hash (safe to send to the researcher).
 */
CAIRN_NODISCARD cairn_err crn_node_code_approved(const crn_node_code_policy *p,
    const uint8_t hash[32], char *err, size_t errlen);

struct crn_schema;
struct crn_job;

/*
 * Run a JOB_CODE job: approval first (nothing is read before it passes),
 * then the declaration, the WHERE planned against the node's schema, the
 * scan of the exposed columns, the sandbox and the fixed-point encoding.
 * *vec (crn_alloc'd, *vlen bytes: job->dim 64-bit elements; crn_freezero)
 * is the node's input to secure aggregation.  err is for the node's log;
 * remote (remotelen) receives what the researcher may be told: a generic
 * reason, never a value of the data.  CAIRN_EPERM for a refusal by policy
 * (remote then repeats err), else the errors of crn_code_scan and
 * crn_code_node_run.
 */
CAIRN_NODISCARD cairn_err crn_node_run_code(const crn_node_code_policy *p,
    const crn_node_src *src, const struct crn_schema *schema,
    const struct crn_job *job, char *const *expose, size_t nexpose, void **vec,
    size_t *vlen, char *err, size_t errlen, char *remote, size_t remotelen);

#endif /* CRN_NODE_NODE_CODE_H */
