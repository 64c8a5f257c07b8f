/*
 * code.h — approved-code jobs around the sandbox (sandbox.h): the program's
 * hash, its declared output and the fixed-point vector that goes through
 * secure aggregation, and the rows it reads.
 *
 * The vector a node sends for a program with declared length n is n + 1
 * elements of the 64-bit ring: element i is round(clip(x_i) * 10^scale)
 * in two's complement, clip() to the declared [lo, hi]; element n counts
 * the values the node clipped.  The sum over the nodes decodes exactly
 * while n_nodes * max(|lo|, |hi|) * 10^scale stays below 2^62, which
 * crn_code_decl_check requires for the federation's max_nodes.
 *
 * The rows: the dataset's columns the node exposes, the rows the job's
 * WHERE keeps (pushed down through the executors, core/exec/exec.h
 * crn_exec_rows: CSV, SQLite or PostgreSQL), one array per column in row order, NULL as nil; integer
 * columns as Lua integers, decimals as floats, categories as their text.
 * All rows come in one batch: the memory cap covers them.
 */
#ifndef CRN_LUA_CODE_H
#define CRN_LUA_CODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "exec/exec.h"
#include "lua/sandbox.h"
#include "query/plan.h"

#define CRN_CODE_RING_BITS 64
#define CRN_CODE_MAX_SCALE 9
/* Rounds an iterative program may ask for, at most. */
#define CRN_CODE_MAX_ROUNDS 1000u

/* Lower-case hex SHA-256 of the exact bytes, NUL-terminated. */
#define CRN_CODE_HEX_LEN 65
void crn_code_hash_hex(const void *src, size_t len, char hex[CRN_CODE_HEX_LEN]);

/* What a program declares about its output. */
typedef struct crn_code_decl {
	uint64_t len;   /* values node() returns */
	double lo, hi;  /* each value is clipped to [lo, hi] */
	uint32_t scale; /* decimal digits kept */
} crn_code_decl;

/*
 * Check a declaration for a federation of at most max_nodes nodes: 1 <=
 * len <= CRN_LUA_MAX_OUTPUT, lo < hi both finite, scale <=
 * CRN_CODE_MAX_SCALE, and no sum can leave the ring.  CAIRN_EINVAL or
 * CAIRN_ERANGE with a message.
 */
CAIRN_NODISCARD cairn_err crn_code_decl_check(
    const crn_code_decl *d, uint32_t max_nodes, char *err, size_t errlen);

/* out[0..len) -> vec[0..len], the vector layout above; *clipped counts
 * the values clipped. */
void crn_code_encode(const crn_code_decl *d, const double *out, uint64_t *vec,
    uint64_t *clipped);

/* The summed vector (len + 1 elements) -> agg[0..len) and *clipped. */
void crn_code_decode(const crn_code_decl *d, const uint64_t *sum, double *agg,
    uint64_t *clipped);

/* A node's rows as columns for node(). */
typedef struct crn_code_data {
	crn_lua_col *cols;
	size_t ncols;
	size_t nrows, cap;
	const crn_dataset *ds;
	size_t *schema_col; /* cols[i] is ds->cols[schema_col[i]] */
	uint64_t rows_scanned;
} crn_code_data;

/*
 * Read the rows plan->where keeps from src (dataset ds), for the columns
 * named in expose (nexpose; all of ds when expose is NULL).  plan is an
 * ungrouped count plan over ds (crn_code_where_plan).  err may quote a
 * data value: for the node's log only.  Errors of crn_exec_rows,
 * CAIRN_ENOMEM.
 */
CAIRN_NODISCARD cairn_err crn_code_scan(const crn_plan *plan,
    const crn_dataset *ds, const crn_source *src, char *const *expose,
    size_t nexpose, crn_code_data *out, char *err, size_t errlen);

/* Safe on zeroed storage; wipes the values. */
void crn_code_data_fini(crn_code_data *d);

/*
 * The SQL the WHERE push-down plans: "SELECT count(*) FROM <dataset>
 * [WHERE <where>]" (*sql crn_alloc'd, *sqllen bytes: crn_free(*sql,
 * *sqllen)).  CAIRN_EINVAL for a dataset name that is not an identifier.
 */
CAIRN_NODISCARD cairn_err crn_code_where_sql(
    const char *dataset, const char *where, char **sql, size_t *sqllen);

typedef struct crn_code_stats {
	uint64_t rows;    /* rows node() saw */
	uint64_t clipped; /* values clipped */
	uint64_t steps;   /* VM instructions (to CRN_LUA_HOOK_EVERY) */
	size_t peak;      /* bytes of Lua memory at most */
} crn_code_stats;

/*
 * A node's whole part of a job: run program src over data with params
 * (and the named ones, NULL for none), check the output against d and encode it into vec (d->len + 1
 * elements).  raw (NULL or d->len doubles) receives the unclipped output.
 * Errors and verdicts of crn_lua_new / crn_lua_node; log for the node's
 * log only.
 */
CAIRN_NODISCARD cairn_err crn_code_node_run(const char *src, size_t len,
    const crn_lua_limits *lim, uint64_t seed, const crn_code_data *data,
    const double *params, size_t nparams, const crn_lua_named *named,
    const crn_code_decl *d, uint64_t *vec, double *raw, crn_code_stats *st, crn_lua_verdict *verdict, char *log,
    size_t loglen);

/*
 * Parse a parameter list: "1, 2.5, -3" or "[1, 2.5, -3]" (JSON numbers;
 * empty for none).  *out crn_alloc'd (n + 1 doubles), *n entries.
 * CAIRN_EINVAL on anything else.
 */
CAIRN_NODISCARD cairn_err crn_code_params_parse(
    const char *text, double **out, size_t *n);

/* Seed of math.random for a job and round: the first 8 bytes of the job
 * id, mixed with the round. */
uint64_t crn_code_seed(const uint8_t *job_id, size_t idlen, uint32_t round);

#endif /* CRN_LUA_CODE_H */
