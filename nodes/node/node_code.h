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
	/* The approvals 'cairn node approve-code' keeps in the node's
	 * state (CRN_NODE_CODE_FILE in state_dir; NULL: none), each for the
	 * datasets and researchers it names; the job's dataset and
	 * researcher are checked against them. */
	const char *state_dir, *dataset, *researcher;
	uint32_t memory_mb, steps_m, timeout_ms;
	uint32_t max_nodes; /* the schema's: bounds the ring check */
	/* DP: the job's rho (0: no noise) and the survivors the noise is
	 * sized for (crn_node_code_dp_add). */
	double dp_rho;
	uint32_t dp_t;
} crn_node_code_policy;

struct crn_code_decl;

/*
 * Add this node's share of the distributed DP noise to a program's
 * encoded output vec (d->len values and the clip count, 64-bit ring):
 * discrete Gaussian draws (crypto/dp.h, OS randomness) with the variances
 * crn_dp_noise_code gives for rho and t survivors, sensitivity from the
 * declared bounds.  CAIRN_EINVAL for bad arguments or a variance the
 * sampler refuses; CAIRN_ETOOBIG when max_nodes nodes' noise could wrap
 * the ring.
 */
CAIRN_NODISCARD cairn_err crn_node_code_dp_add(const struct crn_code_decl *d,
    uint64_t *vec, double rho, uint32_t t, uint32_t max_nodes);

/* The file of approvals in the node's state directory: one line per
 * program, "HASH DATASETS RESEARCHERS FILE", each list comma-separated or
 * "*" for any; FILE is the name the operator approved, for the listing. */
#define CRN_NODE_CODE_FILE "approved_code"

/* One approval of the state file. */
typedef struct crn_node_code_entry {
	char hash[65];
	char datasets[512], researchers[512]; /* "*" or a list */
	char file[256];
} crn_node_code_entry;

/*
 * Read state_dir's approvals into *out (crn_alloc'd, *n entries:
 * crn_free(*out, (*n + 1) * sizeof(**out))).  No file is no approvals.
 * CAIRN_EDATA (err says which line) for a malformed file.
 */
CAIRN_NODISCARD cairn_err crn_node_code_entries(const char *state_dir,
    crn_node_code_entry **out, size_t *n, char *err, size_t errlen);

/*
 * Approve the program src (len bytes, named file) for the datasets and
 * researchers listed (NULL or "*" for any; comma-separated names): one
 * line more in state_dir's approvals, written atomically (0600), the
 * same hash again replacing its line.  hex receives the hash.  CAIRN_EINVAL
 * (err says why) for a list that is not names; errors of crn_file_*.
 */
CAIRN_NODISCARD cairn_err crn_node_code_approve(const char *state_dir,
    const void *src, size_t len, const char *file, const char *datasets,
    const char *researchers, char hex[65], char *err, size_t errlen);

/*
 * Is the program with this hash approved: listed in approved, the
 * SHA-256 of a regular file in approved_dir, or approved in the state
 * directory for p->dataset and p->researcher?  CAIRN_OK, or CAIRN_EPERM
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
