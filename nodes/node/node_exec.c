/*
 * node_exec.c — the node's computations: plans for column sums, policy
 * checks of signed query plans, and source probes for `node check`.
 *
 * This file sees core/exec/exec.h (the executors) but not
 * nodes/runtime/config.h: the two headers both name the source kinds, so
 * the daemon passes sources in as crn_node_src.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "exec/exec.h"
#include "node/node.h"
#include "query/codec_plan.h"
#include "query/release.h"
#include "model/model.h"
#include "proto/job.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "runtime/rt.h"

cairn_err
crn_node_exec_source(const crn_node_src *in, crn_source *out, crn_colmap **map)
{
	memset(out, 0, sizeof(*out));
	*map = NULL;
	out->kind = (crn_source_kind)in->kind;
	out->path = in->path;
	out->conninfo = in->conninfo;
	out->table = in->table;
	if (in->nmap > 0) {
		if ((*map = crn_zalloc(in->nmap * sizeof(**map))) == NULL)
			return CAIRN_ENOMEM;
		for (size_t i = 0; i < in->nmap; i++) {
			(*map)[i].name = in->map_schema[i];
			(*map)[i].local = in->map_local[i];
		}
	}
	out->map = *map;
	out->nmap = in->nmap;
	return CAIRN_OK;
}

cairn_err
crn_node_sum_column(const crn_node_src *src, const crn_plan *plan, void **vec,
    size_t *vlen, char *err, size_t errlen)
{
	crn_dataset ds;
	crn_source s;
	crn_colmap *map = NULL;
	crn_exec_stats st;
	cairn_err rv;

	*vec = NULL;
	*vlen = 0;
	/* The column-sum plan (runtime/query_sql.h) reads a one-column view
	 * of the dataset: a decimal column of fixed scale with wide bounds
	 * (the node needs no schema, and integers and money both fit).  Only
	 * that column has to exist. */
	memset(&ds, 0, sizeof(ds));
	ds.name = plan->dataset;
	ds.cols = plan->cols;
	ds.ncols = plan->ncols;
	if ((rv = crn_node_exec_source(src, &s, &map)) != CAIRN_OK)
		goto out;
	rv = crn_exec_run(plan, &ds, &s, vec, &st, err, errlen);
	if (rv == CAIRN_OK)
		*vlen = (size_t)plan->dim * crn_exec_elem_size(plan->ring_bits);
out:
	crn_free(map, src->nmap * sizeof(*map));
	return rv;
}

static bool
ne_exposed(char *const *expose, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(expose[i], name) == 0)
			return true;
	}
	return false;
}

/* Mark every column a filter reads. */
static void
ne_expr_cols(const crn_expr *e, bool *used, size_t ncols)
{
	switch (e->kind) {
	case CRN_EX_CMP:
	case CRN_EX_IN:
	case CRN_EX_BETWEEN:
	case CRN_EX_ISNULL:
	case CRN_EX_NOTNULL:
		if (e->col < ncols)
			used[e->col] = true;
		break;
	default: break;
	}
	for (size_t i = 0; i < e->nkids; i++)
		ne_expr_cols(&e->kids[i], used, ncols);
}

/*
 * The first column where the plan's definitions differ from the node's own
 * schema, or NULL when they are the same.  The plan's layout, ring width
 * and the coordinator's decoding come from the plan's copy; computing with
 * other bounds, scales or domains than the node's own would let a plan
 * widen what the node agreed to release.  "" when the counts differ.
 */
static const char *
ne_col_differs(const crn_plan *p, const crn_dataset *ds)
{
	if (p->ncols != ds->ncols)
		return "";
	for (size_t i = 0; i < ds->ncols; i++) {
		const crn_column *a = &p->cols[i], *b = &ds->cols[i];

		if (a->name == NULL || strcmp(a->name, b->name) != 0)
			return b->name;
		if (a->type != b->type || a->scale != b->scale ||
		    a->nullable != b->nullable || a->ndomain != b->ndomain)
			return b->name;
		if (a->type != CRN_COL_CATEGORY &&
		    (a->lo != b->lo || a->hi != b->hi))
			return b->name;
		for (size_t j = 0; j < a->ndomain; j++)
			if (a->domain[j] == NULL ||
			    strcmp(a->domain[j], b->domain[j]) != 0)
				return b->name;
	}
	return NULL;
}

cairn_err
crn_node_plan_is_sql(const crn_schema *schema, const char *sql,
    const uint8_t *pbuf, size_t plen, char *err, size_t errlen)
{
	crn_plan *plan = NULL, *signed_plan = NULL;
	uint8_t *enc = NULL;
	size_t enclen = 0;
	char why[256] = "";
	cairn_err rv;

	if (sql == NULL || sql[0] == '\0')
		return CAIRN_OK; /* a plan alone says so in the log */
	if ((rv = crn_sql_plan(schema, sql, &plan, why, sizeof(why))) !=
	    CAIRN_OK) {
		snprintf(err, errlen,
		    "the signed SQL does not plan under this node's schema: %s",
		    why);
		return rv == CAIRN_ENOMEM ? rv : CAIRN_EPERM;
	}
	/* min_cell may differ: the node applies the larger of the plan's
	 * and its own to what it contributes (core/release.h). */
	if ((rv = crn_plan_decode(pbuf, plen, &signed_plan)) != CAIRN_OK) {
		snprintf(err, errlen, "signed plan does not decode: %s",
		    cairn_strerror(rv));
		goto out;
	}
	plan->min_cell = signed_plan->min_cell;
	if ((rv = crn_plan_encode(plan, &enc, &enclen)) != CAIRN_OK) {
		snprintf(err, errlen, "cannot encode the plan: %s",
		    cairn_strerror(rv));
		goto out;
	}
	rv = CAIRN_OK;
	if (enclen != plen || memcmp(enc, pbuf, plen) != 0) {
		snprintf(err, errlen,
		    "the signed plan is not the plan of the signed SQL under this node's schema");
		rv = CAIRN_EPERM;
	}
out:
	crn_free(enc, enclen);
	crn_plan_free(plan);
	crn_plan_free(signed_plan);
	return rv;
}

cairn_err
crn_node_run_query(const crn_node_src *src, const crn_schema *schema,
    const char *dataset, const uint8_t *pbuf, size_t plen, char *const *expose,
    size_t nexpose, uint32_t ring_bits, uint64_t dim, crn_plan **planp,
    void **vec, size_t *vlen, char *err, size_t errlen)
{
	const crn_dataset *schema_ds =
	    schema != NULL ? crn_schema_dataset(schema, dataset) : NULL;
	crn_plan *plan = NULL;
	crn_dataset ds;
	crn_source s;
	const char *bad;
	crn_colmap *map = NULL;
	crn_exec_stats st;
	bool *used = NULL;
	size_t usedlen = 0;
	cairn_err rv;

	*planp = NULL;
	*vec = NULL;
	*vlen = 0;
	if ((rv = crn_plan_decode(pbuf, plen, &plan)) != CAIRN_OK) {
		snprintf(err, errlen, "signed plan does not decode: %s",
		    cairn_strerror(rv));
		goto out;
	}
	rv = CAIRN_EPERM;
	if (plan->dataset == NULL || strcmp(plan->dataset, dataset) != 0) {
		snprintf(err, errlen, "plan is for another dataset");
		goto out;
	}
	if (plan->dim != dim || plan->ring_bits != ring_bits) {
		snprintf(err, errlen, "plan layout differs from the job's");
		goto out;
	}
	if (schema_ds == NULL) {
		snprintf(err, errlen,
		    "no federation schema for dataset '%s' here (schema = in [node])",
		    dataset);
		goto out;
	}
	/* The node computes with its own schema, never the plan's. */
	if (plan->cols == NULL) {
		snprintf(err, errlen, "plan carries no column definitions");
		goto out;
	}
	if ((bad = ne_col_differs(plan, schema_ds)) != NULL) {
		if (bad[0] == '\0')
			snprintf(err, errlen,
			    "plan has %zu columns, the node's schema %zu",
			    plan->ncols, schema_ds->ncols);
		else
			snprintf(err, errlen,
			    "plan's column '%s' differs from the node's schema",
			    bad);
		goto out;
	}
	/* The ring width, too, is the node's own: the plan's bounds on rows
	 * and nodes must be the schema's.  (A stricter min_cell of the node's
	 * is not a refusal: the node applies it to what it contributes in
	 * the second pass, core/release.h.) */
	if ((rv = crn_release_plan_fits(
	         plan, schema, schema_ds, err, errlen)) != CAIRN_OK)
		goto out;
	rv = CAIRN_EPERM;
	usedlen = plan->ncols + 1;
	if ((used = crn_zalloc(usedlen)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	ne_expr_cols(&plan->where, used, plan->ncols);
	for (size_t i = 0; i < plan->nkeys; i++)
		if (plan->keys[i].col < plan->ncols)
			used[plan->keys[i].col] = true;
	for (size_t i = 0; i < plan->nmeasures; i++)
		if (plan->measures[i].col < plan->ncols)
			used[plan->measures[i].col] = true;
	for (size_t i = 0; i < plan->ncols; i++) {
		if (used[i] &&
		    !ne_exposed(expose, nexpose, plan->cols[i].name)) {
			snprintf(err, errlen, "column '%s' is not exposed",
			    plan->cols[i].name);
			goto out;
		}
	}
	ds = *schema_ds;
	if ((rv = crn_node_exec_source(src, &s, &map)) != CAIRN_OK)
		goto out;
	rv = crn_exec_run(plan, &ds, &s, vec, &st, err, errlen);
	if (rv == CAIRN_OK) {
		*vlen = (size_t)dim * crn_exec_elem_size(ring_bits);
		*planp = plan;
		plan = NULL;
	}
out:
	crn_free(used, usedlen);
	crn_free(map, src->nmap * sizeof(*map));
	crn_plan_free(plan);
	return rv;
}

/* The local name of schema column name in src. */
static const char *
ne_local(const crn_node_src *src, const char *name)
{
	for (size_t i = 0; i < src->nmap; i++) {
		if (strcmp(src->map_schema[i], name) == 0)
			return src->map_local[i];
	}
	return name;
}

/* Is `name` a field of the CSV header line (simple quoted fields)? */
static bool
ne_header_has(const char *line, const char *name)
{
	const char *p = line;
	char field[256];

	while (*p != '\0') {
		size_t k = 0;
		bool q = false;

		if (*p == '"') {
			q = true;
			p++;
		}
		while (*p != '\0' &&
		    (q ? *p != '"' : (*p != ',' && *p != '\r' && *p != '\n'))) {
			if (k + 1 < sizeof(field))
				field[k++] = *p;
			p++;
		}
		if (q && *p == '"')
			p++;
		field[k] = '\0';
		if (strcmp(field, name) == 0)
			return true;
		if (*p != ',')
			break;
		p++;
	}
	return false;
}

cairn_err
crn_node_count_rows(const crn_node_src *src, const char *dataset,
    uint64_t *rows, char *err, size_t errlen)
{
	crn_dataset ds;
	crn_plan plan;
	crn_source s;
	crn_colmap *map = NULL;
	crn_exec_stats st;
	void *vec = NULL;
	cairn_err rv;

	*rows = 0;
	/* count(*) over every row, with no bound on how many: the executor's
	 * own statistics give the number. */
	memset(&ds, 0, sizeof(ds));
	ds.name = (char *)(uintptr_t)dataset;
	memset(&plan, 0, sizeof(plan));
	plan.dataset = (char *)(uintptr_t)dataset;
	plan.where.kind = CRN_EX_TRUE;
	plan.ngroups = 1;
	plan.per_group = 1;
	plan.dim = 1;
	plan.ring_bits = 64;
	plan.limit = -1;
	memset(&st, 0, sizeof(st));
	if ((rv = crn_node_exec_source(src, &s, &map)) != CAIRN_OK)
		return rv;
	rv = crn_exec_run(&plan, &ds, &s, &vec, &st, err, errlen);
	if (rv == CAIRN_OK) {
		crn_free(vec, sizeof(uint64_t));
		*rows = st.rows_matched;
	}
	crn_free(map, src->nmap * sizeof(*map));
	return rv;
}

cairn_err
crn_node_probe(const crn_node_src *src, const char *dataset, char *const *want,
    size_t nwant, char *err, size_t errlen)
{
	if (src->kind == 1) {
		char line[8192];
		FILE *f = fopen(src->path, "r");

		if (f == NULL) {
			snprintf(
			    err, errlen, "%s: %s", src->path, strerror(errno));
			return errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		}
		if (fgets(line, sizeof(line), f) == NULL) {
			fclose(f);
			snprintf(err, errlen, "%s: empty file (no header)",
			    src->path);
			return CAIRN_EDATA;
		}
		fclose(f);
		/* Skip a UTF-8 byte order mark, as the executor does. */
		{
			const char *l = line;

			if ((unsigned char)l[0] == 0xef &&
			    (unsigned char)l[1] == 0xbb &&
			    (unsigned char)l[2] == 0xbf)
				l += 3;
			for (size_t i = 0; i < nwant; i++) {
				const char *ln = ne_local(src, want[i]);

				if (!ne_header_has(l, ln)) {
					snprintf(err, errlen,
					    "%s: header has no column '%s'",
					    src->path, ln);
					return CAIRN_ENOENT;
				}
			}
		}
		return CAIRN_OK;
	}
	/* Databases: count the rows of the table, which opens the file or
	 * the connection and finds the table; the columns a job reads are
	 * checked when it runs. */
	{
		uint64_t rows;

		return crn_node_count_rows(src, dataset, &rows, err, errlen);
	}
}

cairn_err
crn_node_model_prepare(const struct crn_schema *schema, const crn_job *job,
    char *const *expose, size_t nexpose, struct crn_model **out, char *err,
    size_t errlen)
{
	crn_model_spec spec;
	crn_model *m = NULL;
	cairn_err rv;

	*out = NULL;
	if (schema == NULL) {
		snprintf(err, errlen,
		    "this node has no federation schema to check a model against");
		return CAIRN_EPERM;
	}
	if ((rv = crn_model_spec_decode(job->model, job->model_len, &spec)) !=
	    CAIRN_OK) {
		snprintf(err, errlen, "the signed model does not decode: %s",
		    cairn_strerror(rv));
		return rv;
	}
	if (strcmp(spec.dataset, job->dataset) != 0) {
		snprintf(err, errlen,
		    "the model is for dataset %s, the job for %s", spec.dataset,
		    job->dataset);
		rv = CAIRN_EINVAL;
		goto out;
	}
	if ((rv = crn_model_compile(schema, &spec, &m, err, errlen)) !=
	    CAIRN_OK)
		goto out;
	for (size_t i = 0; i < m->ds->ncols; i++)
		if (m->used[i] &&
		    !ne_exposed(expose, nexpose, m->ds->cols[i].name)) {
			snprintf(err, errlen, "column '%s' not exposed",
			    m->ds->cols[i].name);
			rv = CAIRN_EPERM;
			goto out;
		}
	if (job->ring_bits != 128 || job->dim != m->dim) {
		snprintf(err, errlen,
		    "the job's vector (%llu x %u-bit) is not the model's (%llu x 128-bit)",
		    (unsigned long long)job->dim, job->ring_bits,
		    (unsigned long long)m->dim);
		rv = CAIRN_EINVAL;
		goto out;
	}
	*out = m;
	m = NULL;
out:
	crn_model_free(m);
	crn_model_spec_fini(&spec);
	return rv;
}

cairn_err
crn_node_model_run(const crn_node_src *src, const struct crn_model *m,
    const double *params, size_t nparams, uint32_t min_cell, void **vec,
    size_t *vlen, char *err, size_t errlen)
{
	crn_source s;
	crn_colmap *map = NULL;
	unsigned __int128 *v = NULL;
	cairn_err rv;

	*vec = NULL;
	*vlen = 0;
	if ((rv = crn_node_exec_source(src, &s, &map)) != CAIRN_OK)
		return rv;
	rv = crn_model_run(m, &s, params, nparams, min_cell, &v, err, errlen);
	if (rv == CAIRN_OK) {
		*vec = v;
		*vlen = (size_t)m->dim * sizeof(*v);
	}
	crn_free(map, src->nmap * sizeof(*map));
	return rv;
}
