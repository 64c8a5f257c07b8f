/*
 * code.c — approved-code jobs around the sandbox (code.h).
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/code_hash.h"
#include "lua/code.h"

void
crn_code_hash_hex(const void *src, size_t len, char hex[CRN_CODE_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t h[CRN_CODE_HASH_LEN];

	crn_code_sha256(h, src, len);
	for (size_t i = 0; i < CRN_CODE_HASH_LEN; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[2 * CRN_CODE_HASH_LEN] = '\0';
}

static double
code_pow10(uint32_t scale)
{
	double p = 1;

	for (uint32_t i = 0; i < scale; i++)
		p *= 10;
	return p;
}

cairn_err
crn_code_decl_check(
    const crn_code_decl *d, uint32_t max_nodes, char *err, size_t errlen)
{
	double b;

	if (d->len == 0 || d->len > CRN_LUA_MAX_OUTPUT) {
		snprintf(err, errlen, "output length %llu, must be 1 to %u",
		    (unsigned long long)d->len, CRN_LUA_MAX_OUTPUT);
		return CAIRN_EINVAL;
	}
	if (!isfinite(d->lo) || !isfinite(d->hi) || !(d->lo < d->hi)) {
		snprintf(
		    err, errlen, "output bounds must be finite with lo < hi");
		return CAIRN_EINVAL;
	}
	if (d->scale > CRN_CODE_MAX_SCALE) {
		snprintf(err, errlen, "output scale %u, at most %u", d->scale,
		    CRN_CODE_MAX_SCALE);
		return CAIRN_EINVAL;
	}
	b = fmax(fabs(d->lo), fabs(d->hi)) * code_pow10(d->scale);
	if (max_nodes == 0)
		max_nodes = 1;
	if (b * (double)max_nodes >= 0x1p62) {
		snprintf(err, errlen,
		    "output bounds times 10^scale times %u nodes do not fit the 64-bit ring; narrow the bounds or the scale",
		    max_nodes);
		return CAIRN_ERANGE;
	}
	return CAIRN_OK;
}

void
crn_code_encode(
    const crn_code_decl *d, const double *out, uint64_t *vec, uint64_t *clipped)
{
	double p = code_pow10(d->scale);
	uint64_t c = 0;

	for (uint64_t i = 0; i < d->len; i++) {
		double v = out[i];

		if (v < d->lo || v > d->hi) {
			v = v < d->lo ? d->lo : d->hi;
			c++;
		}
		vec[i] = (uint64_t)(int64_t)llround(v * p);
	}
	vec[d->len] = c;
	*clipped = c;
}

void
crn_code_decode(
    const crn_code_decl *d, const uint64_t *sum, double *agg, uint64_t *clipped)
{
	double p = code_pow10(d->scale);

	for (uint64_t i = 0; i < d->len; i++)
		agg[i] = (double)(int64_t)sum[i] / p;
	/* Under DP the count is noisy and may come out below 0. */
	*clipped = (int64_t)sum[d->len] < 0 ? 0 : sum[d->len];
}

uint64_t
crn_code_seed(const uint8_t *job_id, size_t idlen, uint32_t round)
{
	uint64_t s = 0;

	for (size_t i = 0; i < idlen && i < 8; i++)
		s |= (uint64_t)job_id[i] << (8 * i);
	return s ^ ((uint64_t)round * UINT64_C(0x9e3779b97f4a7c15));
}

/* ---- the rows ------------------------------------------------------------ */

typedef struct code_col_store {
	double *num;
	int64_t *inum;
	const char **text;
	bool *null;
} code_col_store;

static size_t
code_elem(const crn_lua_col *c)
{
	(void)c;
	/* num, inum and text entries are all 8 bytes wide. */
	return sizeof(double);
}

static void
code_col_free(crn_lua_col *c, size_t cap)
{
	if (c->num != NULL)
		crn_freezero((void *)(uintptr_t)c->num, cap * sizeof(double));
	if (c->inum != NULL)
		crn_freezero((void *)(uintptr_t)c->inum, cap * sizeof(int64_t));
	if (c->text != NULL)
		crn_free((void *)(uintptr_t)c->text, cap * sizeof(char *));
	if (c->null != NULL)
		crn_freezero((void *)(uintptr_t)c->null, cap * sizeof(bool));
}

void
crn_code_data_fini(crn_code_data *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; d->cols != NULL && i < d->ncols; i++)
		code_col_free(&d->cols[i], d->cap);
	crn_free(d->cols, (d->ncols + 1) * sizeof(*d->cols));
	crn_free(d->schema_col, (d->ncols + 1) * sizeof(*d->schema_col));
	memset(d, 0, sizeof(*d));
}

static cairn_err
code_grow(crn_code_data *d)
{
	size_t nc = d->cap == 0 ? 1024 : d->cap * 2;

	for (size_t i = 0; i < d->ncols; i++) {
		crn_lua_col *c = &d->cols[i];
		void *p;

		if (c->is_text) {
			p = crn_realloc((void *)(uintptr_t)c->text,
			    d->cap * code_elem(c), nc * sizeof(char *));
			if (p == NULL)
				return CAIRN_ENOMEM;
			c->text = p;
		} else if (c->is_int) {
			p = crn_realloc((void *)(uintptr_t)c->inum,
			    d->cap * sizeof(int64_t), nc * sizeof(int64_t));
			if (p == NULL)
				return CAIRN_ENOMEM;
			c->inum = p;
		} else {
			p = crn_realloc((void *)(uintptr_t)c->num,
			    d->cap * sizeof(double), nc * sizeof(double));
			if (p == NULL)
				return CAIRN_ENOMEM;
			c->num = p;
		}
		p = crn_realloc((void *)(uintptr_t)c->null,
		    d->cap * sizeof(bool), nc * sizeof(bool));
		if (p == NULL)
			return CAIRN_ENOMEM;
		c->null = p;
	}
	d->cap = nc;
	return CAIRN_OK;
}

/* One matching row (crn_exec_rows callback). */
static cairn_err
code_row(void *arg, const crn_cell *cells, const char *where)
{
	crn_code_data *d = arg;
	size_t r = d->nrows;
	cairn_err rv;

	(void)where;
	if (r == d->cap && (rv = code_grow(d)) != CAIRN_OK)
		return rv;
	for (size_t i = 0; i < d->ncols; i++) {
		crn_lua_col *c = &d->cols[i];
		const crn_column *sc = &d->ds->cols[d->schema_col[i]];
		const crn_cell *v = &cells[d->schema_col[i]];
		bool *nul = (bool *)(uintptr_t)c->null;

		nul[r] = v->null;
		if (c->is_text)
			((const char **)(uintptr_t)c->text)[r] =
			    v->null || v->cat >= sc->ndomain
			    ? ""
			    : sc->domain[v->cat];
		else if (c->is_int)
			((int64_t *)(uintptr_t)c->inum)[r] =
			    v->null ? 0 : v->num;
		else
			((double *)(uintptr_t)c->num)[r] = v->null
			    ? 0
			    : (double)v->num / code_pow10(sc->scale);
	}
	for (size_t i = 0; i < d->ncols; i++)
		d->cols[i].n = r + 1;
	d->nrows = r + 1;
	return CAIRN_OK;
}

static bool
code_exposed(char *const *expose, size_t n, const char *name)
{
	if (expose == NULL)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(expose[i], name) == 0)
			return true;
	return false;
}

cairn_err
crn_code_scan(const crn_plan *plan, const crn_dataset *ds,
    const crn_source *src, char *const *expose, size_t nexpose,
    crn_code_data *out, char *err, size_t errlen)
{
	crn_code_data d;
	crn_exec_stats st;
	bool *want = NULL;
	size_t k = 0;
	cairn_err rv = CAIRN_ENOMEM;

	memset(&d, 0, sizeof(d));
	memset(out, 0, sizeof(*out));
	d.ds = ds;
	for (size_t i = 0; i < ds->ncols; i++)
		if (code_exposed(expose, nexpose, ds->cols[i].name))
			d.ncols++;
	if ((want = crn_zalloc(ds->ncols + 1)) == NULL ||
	    (d.cols = crn_zalloc((d.ncols + 1) * sizeof(*d.cols))) == NULL ||
	    (d.schema_col = crn_zalloc((d.ncols + 1) * sizeof(size_t))) ==
	        NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];

		if (!code_exposed(expose, nexpose, c->name))
			continue;
		want[i] = true;
		d.schema_col[k] = i;
		d.cols[k].name = c->name;
		d.cols[k].is_text = c->type == CRN_COL_CATEGORY;
		d.cols[k].is_int = c->type == CRN_COL_INT;
		k++;
	}
	rv = crn_exec_rows(plan, ds, src, want, code_row, &d, &st, err, errlen);
	if (rv == CAIRN_ENOMEM && err[0] == '\0')
		snprintf(err, errlen, "out of memory");
	if (rv != CAIRN_OK)
		goto out;
	d.rows_scanned = st.rows_scanned;
	*out = d;
	memset(&d, 0, sizeof(d));
out:
	crn_code_data_fini(&d);
	crn_free(want, ds->ncols + 1);
	return rv;
}

cairn_err
crn_code_where_sql(
    const char *dataset, const char *where, char **sql, size_t *sqllen)
{
	size_t n;

	*sql = NULL;
	*sqllen = 0;
	if (dataset[0] == '\0')
		return CAIRN_EINVAL;
	for (const char *p = dataset; *p != '\0'; p++)
		if (!(islower((unsigned char)*p) || *p == '_' ||
		        (p != dataset && isdigit((unsigned char)*p))))
			return CAIRN_EINVAL;
	n = strlen(dataset) + (where != NULL ? strlen(where) : 0) + 64;
	if ((*sql = crn_alloc(n)) == NULL)
		return CAIRN_ENOMEM;
	if (where != NULL && where[0] != '\0')
		snprintf(*sql, n, "SELECT count(*) FROM %s WHERE %s", dataset,
		    where);
	else
		snprintf(*sql, n, "SELECT count(*) FROM %s", dataset);
	*sqllen = n;
	return CAIRN_OK;
}

cairn_err
crn_code_node_run(const char *src, size_t len, const crn_lua_limits *lim,
    uint64_t seed, const crn_code_data *data, const double *params,
    size_t nparams, const crn_lua_named *named, const crn_code_decl *d,
    uint64_t *vec, double *raw, crn_code_stats *st, crn_lua_verdict *verdict,
    char *log, size_t loglen)
{
	crn_lua *L = NULL;
	double *out = NULL;
	size_t olen = ((size_t)d->len + 1) * sizeof(double);
	cairn_err rv;

	memset(st, 0, sizeof(*st));
	*verdict = CRN_LUA_ERROR;
	if ((out = crn_zalloc(olen)) == NULL)
		return CAIRN_ENOMEM;
	rv = crn_lua_new(&L, src, len, lim, seed, verdict, log, loglen);
	if (rv == CAIRN_OK)
		crn_lua_set_named(L, named);
	if (rv == CAIRN_OK)
		rv = crn_lua_node(L, data->cols, data->ncols, data->nrows,
		    params, nparams, out, (size_t)d->len, verdict, log, loglen);
	if (L != NULL) {
		st->steps = crn_lua_steps(L);
		st->peak = crn_lua_peak(L);
	}
	st->rows = data->nrows;
	if (rv == CAIRN_OK) {
		crn_code_encode(d, out, vec, &st->clipped);
		if (raw != NULL)
			memcpy(raw, out, (size_t)d->len * sizeof(double));
	}
	crn_lua_free(L);
	crn_freezero(out, olen);
	return rv;
}

cairn_err
crn_code_params_parse(const char *text, double **out, size_t *n)
{
	const char *p = text;
	size_t cap = 8, k = 0;
	double *v;
	bool br = false;

	*out = NULL;
	*n = 0;
	if ((v = crn_alloc(cap * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '[') {
		br = true;
		p++;
	}
	for (;;) {
		char *end;
		double x;

		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == ']')
			break;
		errno = 0;
		x = strtod(p, &end);
		if (end == p || errno != 0 || !isfinite(x))
			goto bad;
		if (k == CRN_LUA_MAX_PARAMS)
			goto bad;
		if (k == cap) {
			double *q = crn_realloc(
			    v, cap * sizeof(double), 2 * cap * sizeof(double));

			if (q == NULL) {
				crn_free(v, cap * sizeof(double));
				return CAIRN_ENOMEM;
			}
			v = q;
			cap *= 2;
		}
		v[k++] = x;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
		else if (*p != '\0' && *p != ']')
			goto bad;
	}
	if (br != (*p == ']'))
		goto bad;
	if (br)
		p++;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0')
		goto bad;
	/* Shrink to exactly k + 1 so the caller frees (n + 1) doubles. */
	{
		double *q = crn_realloc(
		    v, cap * sizeof(double), (k + 1) * sizeof(double));

		if (q == NULL) {
			crn_free(v, cap * sizeof(double));
			return CAIRN_ENOMEM;
		}
		v = q;
	}
	*out = v;
	*n = k;
	return CAIRN_OK;
bad:
	crn_free(v, cap * sizeof(double));
	return CAIRN_EINVAL;
}
