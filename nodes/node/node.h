/*
 * node.h — the node daemon (`cairn node`) and its configuration check
 * (`cairn node check`).
 *
 * The daemon dials the coordinator (it opens no port), says hello with its
 * certificate and sends a heartbeat every heartbeat_ms.  For each job
 * offer it verifies the job itself (researcher certificate chain, CRL and
 * role; job signature; freshness; its own policy: researcher allowed,
 * dataset and columns exposed, participants, the plan against its own
 * schema), computes its vector over its own data and takes part in the
 * secure-aggregation sessions (crn_sa_node), logging one line per pass.
 *
 * A query job runs in two passes (core/release.h): the node computes its
 * whole local result once, sends only the counts in the first session,
 * keeps the result until the coordinator announces the releasable cells
 * (or the job ends, aborts or expires; then it is wiped), and sends those
 * cells in the second session, withholding those below its own min_cell.
 *
 * The test build (runtime/testhook.h, tests/harness/hooks.c) can make the
 * daemon _exit(137) as it is about to answer a chosen round, like a node
 * killed with SIGKILL at that point; integration tests use it to place
 * dropouts precisely.
 */
#ifndef CRN_NODE_NODE_H
#define CRN_NODE_NODE_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* Run the daemon until SIGINT/SIGTERM; returns the exit status. */
int crn_node_main(const char *path);

/* Check the configuration, key, certificate and every data source; prints
 * one line per finding to stdout/stderr; returns 0 when all is well. */
int crn_node_check(const char *path);

/*
 * A data source as the executors see it (filled from the configuration;
 * every string borrowed).  kind: 1 CSV, 2 SQLite, 3 PostgreSQL (the
 * numbering of both nodes/runtime/config.h and core/exec/exec.h).
 * map_schema[i] is called map_local[i] in the source.
 */
typedef struct crn_node_src {
	int kind;
	const char *path;
	const char *conninfo;
	const char *table;
	char *const *map_schema;
	char *const *map_local;
	size_t nmap;
} crn_node_src;

/*
 * Fill src from a configured dataset (nodes/runtime/config.h); *ms and *ml are
 * crn_alloc'd arrays of src->nmap borrowed strings, freed by the caller
 * with crn_free(*ms, src->nmap * sizeof(char *)) (same for *ml).
 */
struct crn_cfg_dataset;
CAIRN_NODISCARD cairn_err crn_node_src_from_config(
    const struct crn_cfg_dataset *ds, crn_node_src *src, char ***ms,
    char ***ml);

/*
 * Compute the full local result of a JOB_SUM_COLUMN job: plan is the
 * column-sum plan (runtime/query_sql.h crn_q_sum_plan), run over src.
 * *vec is crn_alloc'd, *vlen bytes, native layout; it holds the node's
 * figures (crn_freezero).  Errors of crn_exec_run; err says why.
 */
struct crn_plan;
struct crn_source;
struct crn_colmap;

/*
 * Fill an executor source from a node source; *map is crn_alloc'd with
 * src->nmap entries (free it after the executor ran) or NULL.
 */
CAIRN_NODISCARD cairn_err crn_node_exec_source(
    const crn_node_src *in, struct crn_source *out, struct crn_colmap **map);

CAIRN_NODISCARD cairn_err crn_node_sum_column(const crn_node_src *src,
    const struct crn_plan *plan, void **vec, size_t *vlen, char *err,
    size_t errlen);

/*
 * Decode a signed plan (JOB_QUERY) and check it against the node's policy
 * and its own copy of the federation schema (NULL when the node has none,
 * which refuses): dataset, column definitions, max_rows, max_nodes and
 * ring width equal to the schema's, columns in expose (nexpose names),
 * dim and ring width equal to the job's.  Then run it over src with the
 * schema's dataset.  On success *plan is the decoded plan (crn_plan_free)
 * and *vec the node's full local result (plan->dim native elements;
 * crn_freezero).  The node's min_cell is not checked here: it applies it
 * to the cells it contributes (core/release.h).  CAIRN_EPERM for a policy
 * refusal; other errors of crn_plan_decode and crn_exec_run.  err says
 * why (it may hold data values: for the node's log only).
 */
struct crn_schema;
CAIRN_NODISCARD cairn_err crn_node_run_query(const crn_node_src *src,
    const struct crn_schema *schema, const char *dataset, const uint8_t *plan,
    size_t plan_len, char *const *expose, size_t nexpose, uint32_t ring_bits,
    uint64_t dim, struct crn_plan **planp, void **vec, size_t *vlen, char *err,
    size_t errlen);

/*
 * A query job's signed plan is what the node computes, its signed SQL
 * what the operator reads (approvals, logs, audit): the two must agree.
 * CAIRN_OK when sql plans under schema to exactly plan (plan_len bytes;
 * only min_cell may differ, see crn_node_run_query), or when there is no
 * SQL; CAIRN_EPERM otherwise (err says which), or
 * CAIRN_ENOMEM.  The coordinator checks the same; a node does not rely
 * on it.
 */
CAIRN_NODISCARD cairn_err crn_node_plan_is_sql(const struct crn_schema *schema,
    const char *sql, const uint8_t *plan, size_t plan_len, char *err,
    size_t errlen);

/*
 * For `node check`: open the source and check that it has every column of
 * want (schema names; mapped through src).  CSV: readable, header has the
 * columns; SQLite: table exists with the columns; PostgreSQL: connects and
 * the table has the columns.  err says what is wrong.
 */
CAIRN_NODISCARD cairn_err crn_node_probe(const crn_node_src *src,
    const char *dataset, char *const *want, size_t nwant, char *err,
    size_t errlen);

/*
 * For `node check`: the number of rows of the source (one scan of a CSV
 * file, count(*) pushed into a database), in *rows.  err says what is
 * wrong; errors as crn_exec_run.
 */
CAIRN_NODISCARD cairn_err crn_node_count_rows(const crn_node_src *src,
    const char *dataset, uint64_t *rows, char *err, size_t errlen);

/*
 * JOB_MODEL: decode the signed model spec and check it against the node's
 * schema (NULL refuses) and policy: the job's dataset, every column the
 * expressions and the filter read in expose, the job's vector shape the
 * model's.  *out is the compiled model (crn_model_free).  CAIRN_EPERM for
 * a policy refusal, CAIRN_ESQL for an expression the schema refuses; err
 * says why.
 */
struct crn_job;
struct crn_model;
CAIRN_NODISCARD cairn_err crn_node_model_prepare(
    const struct crn_schema *schema, const struct crn_job *job,
    char *const *expose, size_t nexpose, struct crn_model **out, char *err,
    size_t errlen);
/* One round of the model over src at params: *vec is the node's
 * statistic vector (*vlen bytes, 128-bit native; crn_freezero), refused
 * (CAIRN_EPERM) when the parameters single out fewer than min_cell of
 * the node's rows (crn_model_acc_guard). */
CAIRN_NODISCARD cairn_err crn_node_model_run(const crn_node_src *src,
    const struct crn_model *m, const double *params, size_t nparams,
    uint32_t min_cell, void **vec, size_t *vlen, char *err, size_t errlen);

#endif /* CRN_NODE_NODE_H */
