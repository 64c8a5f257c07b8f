/*
 * model_test.c — feature expressions (parse, ranges, evaluation), the
 * statistic vectors of every model (federated over a split equals the
 * pooled vector, element for element, and decodes to the double-precision
 * sums), the solvers against a direct computation, and refusals.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "cairn_test.h"
#include "crypto/dp.h"
#include "model/model.h"
#include "query/schema.h"

static const char *schema_text =
    "[federation]\nmin_cell = 2\nmax_nodes = 10\n[dataset d]\nmax_rows = 100000\n[column d.a]\ntype = integer\nmin = -10\nmax = 10\n[column d.b]\ntype = decimal\nscale = 2\nmin = 0.5\nmax = 20\n[column d.y]\ntype = integer\nmin = 0\nmax = 1\n[column d.c]\ntype = integer\nmin = 0\nmax = 30\n[column d.r]\ntype = category\ndomain = north, south, west\n[column d.z]\ntype = integer\nmin = -5\nmax = 5\nnullable = true\n";

#define NROWS 400
#define NCOLS 6

static crn_schema *
schema(void)
{
	crn_schema *s = NULL;
	char err[256];

	CAIRN_T_PASS(crn_schema_parse(schema_text, "t", &s, err, sizeof(err)));
	return s;
}

static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* Deterministic rows: a in [-10,10], b in [0.5,20] (cents), y 0/1 from a
 * logistic law, c a count, r a category, z sometimes NULL. */
static void
make_rows(crn_cell rows[NROWS][NCOLS])
{
	uint64_t st = 42;

	memset(rows, 0, sizeof(crn_cell) * NROWS * NCOLS);
	for (int i = 0; i < NROWS; i++) {
		double a = (double)(next_rand(&st) % 21) - 10;
		int64_t b = 50 + (int64_t)(next_rand(&st) % 1951);
		double eta = 0.3 * a - 0.1 * ((double)b / 100) + 0.5;
		double u = (double)(next_rand(&st) >> 11) / 9007199254740992.0;

		rows[i][0].num = (int64_t)a;
		rows[i][1].num = b;
		rows[i][2].num = u < 1 / (1 + exp(-eta)) ? 1 : 0;
		rows[i][3].num =
		    (int64_t)(next_rand(&st) % (uint64_t)(1 + (a + 10) / 2));
		rows[i][4].cat = (uint32_t)(next_rand(&st) % 3);
		rows[i][5].num = (int64_t)(next_rand(&st) % 11) - 5;
		rows[i][5].null = i % 17 == 0;
	}
}

static crn_model *
compile(const crn_schema *s, crn_model_kind kind, const char *y, const char **x,
    size_t nx)
{
	crn_model_spec sp;
	crn_model *m = NULL;
	char err[256] = "";
	cairn_err rv;

	memset(&sp, 0, sizeof(sp));
	sp.kind = kind;
	sp.dataset = (char *)(uintptr_t) "d";
	sp.y = (char *)(uintptr_t)y;
	sp.x = (char **)(uintptr_t)x;
	sp.nx = nx;
	rv = crn_model_compile(s, &sp, &m, err, sizeof(err));
	if (rv != CAIRN_OK)
		fprintf(stderr, "compile: %s\n", err);
	CAIRN_T_PASS(rv);
	return m;
}

static cairn_err
compile_err(const crn_schema *s, crn_model_kind kind, const char *y,
    const char *x, char *err, size_t errlen)
{
	crn_model_spec sp;
	crn_model *m = NULL;
	const char *xs[1] = {x};
	cairn_err rv;

	memset(&sp, 0, sizeof(sp));
	sp.kind = kind;
	sp.dataset = (char *)(uintptr_t) "d";
	sp.y = (char *)(uintptr_t)y;
	sp.x = (char **)(uintptr_t)xs;
	sp.nx = 1;
	rv = crn_model_compile(s, &sp, &m, err, errlen);
	crn_model_free(m);
	return rv;
}

static double
eval1(const crn_schema *s, const char *x, crn_cell *row, double *lo, double *hi)
{
	const char *xs[1] = {x};
	crn_model *m = compile(s, CRN_MODEL_LINEAR, "y", xs, 1);
	bool null = false;
	double v = crn_mexpr_eval(m->x[0], m->ds, row, &null);

	crn_mexpr_range(m->x[0], lo, hi);
	crn_model_free(m);
	return v;
}

static void
test_expressions(void **state)
{
	crn_schema *s = schema();
	crn_cell row[NCOLS];
	double lo, hi, v;

	(void)state;
	memset(row, 0, sizeof(row));
	row[0].num = -3;  /* a */
	row[1].num = 250; /* b = 2.5 */
	row[4].cat = 2;   /* r = west */
	v = eval1(s, "a * 2 + b", row, &lo, &hi);
	CAIRN_T_EQ(v == -3.5, 1);
	CAIRN_T_EQ(lo == -19.5 && hi == 40, 1);
	v = eval1(s, "ln(b)", row, &lo, &hi);
	CAIRN_T_EQ(fabs(v - log(2.5)) < 1e-15, 1);
	CAIRN_T_EQ(
	    fabs(lo - log(0.5)) < 1e-15 && fabs(hi - log(20)) < 1e-15, 1);
	v = eval1(s, "power(a, 2)", row, &lo, &hi);
	CAIRN_T_EQ(v == 9 && lo == 0 && hi == 100, 1);
	v = eval1(s, "sqrt(b) - abs(a) / b", row, &lo, &hi);
	CAIRN_T_EQ(fabs(v - (sqrt(2.5) - 3 / 2.5)) < 1e-15, 1);
	v = eval1(s, "r = 'west'", row, &lo, &hi);
	CAIRN_T_EQ(v == 1 && lo == 0 && hi == 1, 1);
	v = eval1(s, "'north' = r", row, &lo, &hi);
	CAIRN_T_EQ(v == 0, 1);
	v = eval1(s, "a < 0 AND NOT b > 3", row, &lo, &hi);
	CAIRN_T_EQ(v == 1, 1);
	v = eval1(s,
	    "CASE WHEN a > 0 THEN exp(a) WHEN r <> 'west' THEN 2 ELSE -1 END",
	    row, &lo, &hi);
	CAIRN_T_EQ(v == -1, 1);
	CAIRN_T_EQ(lo == -1 && fabs(hi - exp(10)) < 1e-9, 1);
	/* least/greatest clip a term: the range follows. */
	v = eval1(s, "least(b, 2)", row, &lo, &hi);
	CAIRN_T_EQ(v == 2 && lo == 0.5 && hi == 2, 1);
	v = eval1(s, "greatest(a, -2, 0.5 * a)", row, &lo, &hi);
	CAIRN_T_EQ(v == -1.5 && lo == -2 && hi == 10, 1);
	v = eval1(s, "least(greatest(a, -1), 1)", row, &lo, &hi);
	CAIRN_T_EQ(v == -1 && lo == -1 && hi == 1, 1);
	/* Values outside the declared bounds are clipped to them. */
	row[0].num = 50;
	v = eval1(s, "a", row, &lo, &hi);
	CAIRN_T_EQ(v == 10, 1);
	crn_schema_free(s);
}

static void
test_refusals(void **state)
{
	crn_schema *s = schema();
	char err[256];

	(void)state;
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "ln(a)", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(
	    strstr(err, "ln of a range [-10, 10] that reaches 0 or below") !=
	        NULL,
	    1);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "b / a", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(
	    strstr(err, "division by a range [-10, 10] that holds 0") != NULL,
	    1);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "sqrt(a)", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_FAIL(compile_err(s, CRN_MODEL_LINEAR, "y", "exp(c * 100)", err,
	                 sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(strstr(err, "past 700") != NULL, 1);
	CAIRN_T_FAIL(compile_err(s, CRN_MODEL_LINEAR, "y", "nosuch + 1", err,
	                 sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(strstr(err, "no column 'nosuch' in dataset d") != NULL, 1);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "a +", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "a + * 2", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(
	    strstr(err,
	        "expression 'a + * 2': syntax error at or near \"*\" (at character 5)") !=
	        NULL,
	    1);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "a FROM d", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LINEAR, "y", "sum(a)", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_FAIL(compile_err(s, CRN_MODEL_LINEAR, "y", "r = 'east'", err,
	                 sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(strstr(err, "not in the domain of column r") != NULL, 1);
	CAIRN_T_FAIL(compile_err(s, CRN_MODEL_LINEAR, "y", "power(a, b)", err,
	                 sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LOGISTIC, "c", "a", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(strstr(err, "must be 0 or 1") != NULL, 1);
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_POISSON, "a", "b", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_PASS(
	    compile_err(s, CRN_MODEL_LOGISTIC, "c > 3", "a", err, sizeof(err)));
	/* A logistic response must be 0 or 1 on every row, known from the
	 * expression: a row with 0.5 would stop its node alone (an exact
	 * answer about it, whatever the DP noise). */
	CAIRN_T_FAIL(
	    compile_err(s, CRN_MODEL_LOGISTIC,
	        "CASE WHEN a = 7 THEN 0.5 ELSE 0 END", "a", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_EQ(strstr(err, "can be other than 0 or 1") != NULL, 1);
	CAIRN_T_FAIL(compile_err(s, CRN_MODEL_LOGISTIC, "least(b, 1) - 0.5",
	                 "a", err, sizeof(err)),
	    CAIRN_ESQL);
	CAIRN_T_PASS(compile_err(s, CRN_MODEL_LOGISTIC,
	    "CASE WHEN a = 7 THEN 1 - y ELSE y * (c > 2) END", "a", err,
	    sizeof(err)));
	crn_schema_free(s);
}

/* Sum rows [from, to) into a fresh vector. */
static unsigned __int128 *
run_rows(const crn_model *m, const double *par, size_t np,
    crn_cell rows[NROWS][NCOLS], int from, int to)
{
	crn_model_acc a;
	char err[128];
	unsigned __int128 *v;

	CAIRN_T_PASS(crn_model_acc_init(&a, m, par, np, err, sizeof(err)));
	for (int i = from; i < to; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	v = a.vec;
	a.vec = NULL;
	crn_model_acc_fini(&a);
	return v;
}

/* Three nodes' vectors added in the ring equal the pooled vector. */
static void
check_split(const crn_model *m, const double *par, size_t np,
    crn_cell rows[NROWS][NCOLS])
{
	unsigned __int128 *all = run_rows(m, par, np, rows, 0, NROWS);
	unsigned __int128 *p1 = run_rows(m, par, np, rows, 0, 97);
	unsigned __int128 *p2 = run_rows(m, par, np, rows, 97, 250);
	unsigned __int128 *p3 = run_rows(m, par, np, rows, 250, NROWS);

	for (uint64_t i = 0; i < m->dim; i++)
		CAIRN_T_EQ(all[i] == p1[i] + p2[i] + p3[i], 1);
	crn_free(all, m->dim * 16);
	crn_free(p1, m->dim * 16);
	crn_free(p2, m->dim * 16);
	crn_free(p3, m->dim * 16);
}

static void
test_split_equals_pooled(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *x[3] = {"a", "ln(b)", "r = 'west'"};
	const char *xk[2] = {"a", "b"};
	double beta[4] = {0.1, 0.2, -0.3, 0.05};
	double cen[4] = {-5, 5, 5, 10};
	crn_model *m;

	(void)state;
	make_rows(rows);
	m = compile(s, CRN_MODEL_LINEAR, "b * 2 + a", x, 3);
	check_split(m, NULL, 0, rows);
	crn_model_free(m);
	m = compile(s, CRN_MODEL_LOGISTIC, "y", x, 3);
	check_split(m, beta, 4, rows);
	crn_model_free(m);
	m = compile(s, CRN_MODEL_POISSON, "c", x, 3);
	check_split(m, beta, 4, rows);
	crn_model_free(m);
	{
		crn_model_spec sp;
		char err[128];

		memset(&sp, 0, sizeof(sp));
		sp.kind = CRN_MODEL_KMEANS;
		sp.dataset = (char *)(uintptr_t) "d";
		sp.x = (char **)(uintptr_t)xk;
		sp.nx = 2;
		sp.k = 2;
		sp.init = cen;
		CAIRN_T_PASS(crn_model_compile(s, &sp, &m, err, sizeof(err)));
		check_split(m, cen, 4, rows);
		crn_model_free(m);
	}
	crn_schema_free(s);
}

/* The decoded linear statistics equal the double sums, and the solver
 * equals the normal equations solved directly (2 terms, closed form). */
static void
test_linear_solve(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *x[1] = {"a"};
	crn_model *m;
	crn_model_fit f;
	unsigned __int128 *v;
	double st[16], n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0, b1, b0;
	char err[256];

	(void)state;
	make_rows(rows);
	m = compile(s, CRN_MODEL_LINEAR, "b", x, 1);
	CAIRN_T_EQ(m->dim, 8);
	v = run_rows(m, NULL, 0, rows, 0, NROWS);
	crn_model_decode(m, v, st);
	for (int i = 0; i < NROWS; i++) {
		double a = (double)rows[i][0].num,
		       b = (double)rows[i][1].num / 100;

		n++, sx += a, sy += b, sxx += a * a, sxy += a * b;
	}
	CAIRN_T_EQ(st[0] == n && fabs(st[1] - sy) < 1e-9 && st[3] == sx, 1);
	b1 = (n * sxy - sx * sy) / (n * sxx - sx * sx);
	b0 = (sy - b1 * sx) / n;
	CAIRN_T_PASS(crn_model_fit_init(&f, m, 2));
	CAIRN_T_PASS(crn_model_fit_step(&f, st, err, sizeof(err)));
	CAIRN_T_EQ(f.done, 1);
	CAIRN_T_EQ(fabs(f.coef[0] - b0) < 1e-9 * fabs(b0), 1);
	CAIRN_T_EQ(fabs(f.coef[1] - b1) < 1e-9 * fabs(b1), 1);
	crn_model_fit_fini(&f);
	crn_free(v, m->dim * 16);
	crn_model_free(m);
	crn_schema_free(s);
}

/* A column that copies another is a singular design, named. */
static void
test_singular(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *x[2] = {"a", "2 * a"};
	crn_model *m;
	crn_model_fit f;
	unsigned __int128 *v;
	double st[32];
	char err[256] = "";

	(void)state;
	make_rows(rows);
	m = compile(s, CRN_MODEL_LINEAR, "b", x, 2);
	v = run_rows(m, NULL, 0, rows, 0, NROWS);
	crn_model_decode(m, v, st);
	CAIRN_T_PASS(crn_model_fit_init(&f, m, 2));
	CAIRN_T_FAIL(
	    crn_model_fit_step(&f, st, err, sizeof(err)), CAIRN_EINVAL);
	CAIRN_T_EQ(strstr(err, "term '2 * a' is collinear") != NULL, 1);
	crn_model_fit_fini(&f);
	crn_free(v, m->dim * 16);
	crn_model_free(m);
	crn_schema_free(s);
}

/* k larger than the rows: some centre has no row, and the fit stops
 * with the reason instead of releasing an empty cluster. */
static void
test_k_beyond_rows(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *xk[2] = {"a", "b"};
	double cen[8] = {-10, 0.5, -3, 7, 3, 14, 10, 20};
	crn_model_spec sp;
	crn_model *m = NULL;
	crn_model_fit f;
	unsigned __int128 *v;
	double st[64];
	char err[256] = "";

	(void)state;
	make_rows(rows);
	memset(&sp, 0, sizeof(sp));
	sp.kind = CRN_MODEL_KMEANS;
	sp.dataset = (char *)(uintptr_t) "d";
	sp.x = (char **)(uintptr_t)xk;
	sp.nx = 2;
	sp.k = 4;
	sp.init = cen;
	CAIRN_T_PASS(crn_model_compile(s, &sp, &m, err, sizeof(err)));
	CAIRN_T_EQ(m->dim <= CRN_NELEM(st), 1);
	CAIRN_T_PASS(crn_model_fit_init(&f, m, 1));
	v = run_rows(m, cen, 8, rows, 0, 3); /* 3 rows, 4 centres */
	crn_model_decode(m, v, st);
	CAIRN_T_FAIL(
	    crn_model_fit_step(&f, st, err, sizeof(err)), CAIRN_EINVAL);
	CAIRN_T_EQ(strstr(err, "has 0 rows in round 1") != NULL, 1);
	crn_model_fit_fini(&f);
	crn_free(v, m->dim * 16);
	crn_model_free(m);
	crn_schema_free(s);
}

/* Logistic IRLS converges, and at the answer the score is zero. */
static void
test_logistic_converges(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *x[2] = {"a", "b"};
	crn_model *m;
	crn_model_fit f;
	double st[32];
	char err[256] = "";

	(void)state;
	make_rows(rows);
	m = compile(s, CRN_MODEL_LOGISTIC, "y", x, 2);
	CAIRN_T_PASS(crn_model_fit_init(&f, m, 2));
	while (!f.done) {
		unsigned __int128 *v = run_rows(m, f.params, 3, rows, 0, NROWS);

		crn_model_decode(m, v, st);
		crn_free(v, m->dim * 16);
		CAIRN_T_PASS(crn_model_fit_step(&f, st, err, sizeof(err)));
	}
	CAIRN_T_EQ(f.converged, 1);
	CAIRN_T_EQ(f.round < 12, 1);
	/* score X'(y - mu) at the final coefficients */
	for (int k = 7; k < 10; k++)
		CAIRN_T_EQ(fabs(st[k]) < 1e-6, 1);
	crn_model_fit_fini(&f);
	crn_model_free(m);
	crn_schema_free(s);
}

static void
test_codec(void **state)
{
	crn_model_spec sp, back;
	crn_model_round r, rb;
	char *x[2] = {"a", "ln(b)"};
	double init[4] = {1, 2, 3, 4}, par[2] = {0.5, -1};
	uint8_t *buf;
	size_t len;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.kind = CRN_MODEL_KMEANS;
	sp.dataset = "d";
	sp.x = x;
	sp.nx = 2;
	sp.k = 2;
	sp.init = init;
	sp.max_iter = 7;
	CAIRN_T_PASS(crn_model_spec_encode(&sp, &buf, &len));
	CAIRN_T_PASS(crn_model_spec_decode(buf, len, &back));
	CAIRN_T_EQ(back.k == 2 && back.nx == 2 && back.init[3] == 4, 1);
	CAIRN_T_EQ(strcmp(back.x[1], "ln(b)") == 0 && back.max_iter == 7, 1);
	crn_model_spec_fini(&back);
	crn_free(buf, len);
	memset(&r, 0, sizeof(r));
	r.round = 3;
	r.params = par;
	r.nparams = 2;
	CAIRN_T_PASS(crn_model_round_encode(&r, &buf, &len));
	CAIRN_T_PASS(crn_model_round_decode(buf, len, &rb));
	CAIRN_T_EQ(rb.round == 3 && rb.nparams == 2 && rb.params[1] == -1, 1);
	crn_model_round_fini(&rb);
	crn_free(buf, len);
	par[0] = NAN;
	CAIRN_T_PASS(crn_model_round_encode(&r, &buf, &len));
	CAIRN_T_FAIL(crn_model_round_decode(buf, len, &rb), CAIRN_EINVAL);
	crn_free(buf, len);
}

/* The attack: a coordinator picks round parameters that single out one
 * row (a k-means centre on it, all others far; logistic coefficients
 * whose weight mu(1 - mu) is large only next to it).  The sum would hold
 * that row's values; the node's guard refuses to send it. */
static void
test_isolation_refused(void **state)
{
	static crn_cell rows[NROWS][NCOLS];
	crn_schema *s = schema();
	const char *xk[2] = {"a", "b"}, *xl[1] = {"b"};
	crn_model_acc a;
	crn_model_spec sp;
	crn_model *m = NULL;
	double cen[4], beta[2];
	char err[256] = "";

	(void)state;
	make_rows(rows);
	/* Make row 0 unique: b = 19.99, no other row above 19.97. */
	for (int i = 1; i < NROWS; i++)
		if (rows[i][1].num >= 1998)
			rows[i][1].num = 1000;
	rows[0][1].num = 1999;
	memset(&sp, 0, sizeof(sp));
	sp.kind = CRN_MODEL_KMEANS;
	sp.dataset = (char *)(uintptr_t) "d";
	sp.x = (char **)(uintptr_t)xk;
	sp.nx = 2;
	sp.k = 2;
	cen[0] = (double)rows[0][0].num;
	cen[1] = 19.99;
	cen[2] = (double)rows[0][0].num;
	cen[3] = 19.96; /* the two centres' bisector is b = 19.975 */
	sp.init = cen;
	CAIRN_T_PASS(crn_model_compile(s, &sp, &m, err, sizeof(err)));
	CAIRN_T_PASS(crn_model_acc_init(&a, m, cen, 4, err, sizeof(err)));
	for (int i = 0; i < NROWS; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	CAIRN_T_FAIL(crn_model_acc_guard(&a, 5, err, sizeof(err)), CAIRN_EPERM);
	CAIRN_T_EQ(
	    strstr(err,
	        "leave a cluster with fewer than min_cell 5 of this node's rows") !=
	        NULL,
	    1);
	crn_model_acc_fini(&a);
	/* Honest centres pass. */
	cen[0] = -5, cen[1] = 5, cen[2] = 5, cen[3] = 10;
	CAIRN_T_PASS(crn_model_acc_init(&a, m, cen, 4, err, sizeof(err)));
	for (int i = 0; i < NROWS; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	CAIRN_T_PASS(crn_model_acc_guard(&a, 5, err, sizeof(err)));
	crn_model_acc_fini(&a);
	crn_model_free(m);
	/* Logistic: eta = 1000 * (b - 19.99) is 0 only at row 0. */
	m = compile(s, CRN_MODEL_LOGISTIC, "y", xl, 1);
	beta[0] = -1000 * 19.99;
	beta[1] = 1000;
	CAIRN_T_PASS(crn_model_acc_init(&a, m, beta, 2, err, sizeof(err)));
	for (int i = 0; i < NROWS; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	CAIRN_T_FAIL(crn_model_acc_guard(&a, 5, err, sizeof(err)), CAIRN_EPERM);
	CAIRN_T_EQ(
	    strstr(err,
	        "put the weight of the fit on fewer than min_cell 5 of this node's rows") !=
	        NULL,
	    1);
	crn_model_acc_fini(&a);
	beta[0] = 0.5, beta[1] = -0.1;
	CAIRN_T_PASS(crn_model_acc_init(&a, m, beta, 2, err, sizeof(err)));
	for (int i = 0; i < NROWS; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	CAIRN_T_PASS(crn_model_acc_guard(&a, 5, err, sizeof(err)));
	crn_model_acc_fini(&a);
	/* A WHERE that leaves 3 of the node's rows: refused whatever the
	 * coefficients (the sums would be those 3 people's); no rows at all
	 * is an empty contribution, not a small one. */
	CAIRN_T_PASS(crn_model_acc_init(&a, m, beta, 2, err, sizeof(err)));
	CAIRN_T_PASS(crn_model_acc_guard(&a, 5, err, sizeof(err)));
	for (int i = 0; i < 3; i++)
		CAIRN_T_PASS(crn_model_acc_row(&a, rows[i], "t"));
	CAIRN_T_FAIL(crn_model_acc_guard(&a, 5, err, sizeof(err)), CAIRN_EPERM);
	CAIRN_T_EQ(
	    strstr(err,
	        "WHERE leaves fewer than min_cell 5 of this node's rows") !=
	        NULL,
	    1);
	crn_model_acc_fini(&a);
	crn_model_free(m);
	crn_schema_free(s);
}

/* Every allocation of compiling a model, encoding and decoding its spec
 * and a fit's state may fail: each failure is an error, never a crash or
 * a leak (the ASan build checks the leaks). */
static void
test_out_of_memory(void **state)
{
	const char *x[3] = {
	    "a", "ln(b)", "CASE WHEN r = 'west' THEN 1 ELSE 0 END"};
	crn_schema *s = schema();
	crn_model_spec sp;
	bool done = false;

	(void)state;
	memset(&sp, 0, sizeof(sp));
	sp.kind = CRN_MODEL_LOGISTIC;
	sp.dataset = (char *)(uintptr_t) "d";
	sp.y = (char *)(uintptr_t) "y";
	sp.x = (char **)(uintptr_t)x;
	sp.nx = 3;
	sp.where = (char *)(uintptr_t) "a > 0";
	for (long n = 0; n < 10000 && !done; n++) {
		crn_model *m = NULL;
		crn_model_fit f;
		crn_model_spec back;
		uint8_t *buf = NULL;
		size_t len = 0;
		char err[256];
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_model_compile(s, &sp, &m, err, sizeof(err));
		if (rv == CAIRN_OK &&
		    (rv = crn_model_spec_encode(&m->spec, &buf, &len)) ==
		        CAIRN_OK) {
			if ((rv = crn_model_spec_decode(buf, len, &back)) ==
			    CAIRN_OK)
				crn_model_spec_fini(&back);
			crn_free(buf, len);
		}
		if (rv == CAIRN_OK &&
		    (rv = crn_model_fit_init(&f, m, 1)) == CAIRN_OK)
			crn_model_fit_fini(&f);
		crn_alloc_fail_after(-1);
		crn_model_free(m);
		if (rv == CAIRN_OK)
			done = true;
		else
			CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
	}
	CAIRN_T_EQ(done, 1);
	crn_schema_free(s);
}

/* Grid step of element i in real units. */
static double
dp_step(const crn_model *m, const crn_model_dp *dp, uint64_t i)
{
	return ldexp(1, (int)dp->grid_bits[i] - (int)m->frac_bits);
}

/* The accounting the README states: per element sigma_i^2 = n e_i^2 /
 * (2 rho_round), e_i = b_i / step + 1, so that t nodes' noise is
 * rho_round-zCDP for one row in or out; b as hand-computed here. */
static void
check_dp(const crn_model *m, const double *par, size_t np, double rho,
    const double *b, uint64_t n, uint32_t rounds)
{
	crn_model_dp dp;
	char err[256];
	double sens2 = 0, loss = 0;
	const uint32_t t = 3;

	CAIRN_T_EQ(crn_model_rounds(m), rounds);
	CAIRN_T_PASS(
	    crn_model_dp_of(&dp, m, par, np, rho, t, err, sizeof(err)));
	CAIRN_T_EQ(dp.n, n);
	CAIRN_T_EQ(fabs(dp.rho_round - rho / rounds) < 1e-15, 1);
	for (uint64_t i = 0; i < n; i++) {
		double bi = b[i] + ldexp(1, -(int)m->frac_bits);
		double e = bi / dp_step(m, &dp, i) + 1;

		sens2 += bi * bi;
		/* What t nodes add at least, in grid steps. */
		loss += e * e / (2 * (double)dp.node_sigma2[i] * t);
		/* sigma about 2^40 steps: the +1 of rounding is noise. */
		CAIRN_T_EQ(dp.node_sigma2[i] > ((unsigned __int128)1 << 70), 1);
	}
	CAIRN_T_EQ(fabs(dp.sens2 - sens2) <= 1e-12 * sens2, 1);
	CAIRN_T_EQ(loss <= dp.rho_round * (1 + 1e-12), 1);
	CAIRN_T_EQ(loss >= dp.rho_round * (1 - 1e-6), 1);
	crn_model_dp_fini(&dp);
}

static void
test_dp_calibration(void **state)
{
	crn_schema *s = schema();
	const char *x1[1] = {"a"}, *xk[2] = {"a", "b"};
	double beta[2] = {0.5, -0.25}, cen[4] = {-5, 5, 5, 10};
	crn_model *m;
	crn_model_dp dp;
	char err[256];

	(void)state;
	/* linear c ~ 1 + a: n, sum y, X'X (1, a, a^2), X'y, y'y. */
	m = compile(s, CRN_MODEL_LINEAR, "c", x1, 1);
	{
		const double b[8] = {1, 30, 1, 10, 100, 30, 300, 900};

		check_dp(m, NULL, 0, 0.5, b, 8, 1);
	}
	/* Refused, not wrapped, when the noise outgrows the ring. */
	CAIRN_T_FAIL(
	    crn_model_dp_of(&dp, m, NULL, 0, 1e-30, 3, err, sizeof(err)),
	    CAIRN_ERANGE);
	CAIRN_T_EQ(strstr(err, "raise epsilon or narrow") != NULL, 1);
	crn_model_free(m);
	/* logistic y ~ 1 + a at beta: |eta| <= 0.5 + 0.25 * 10, weights
	 * below 1/4, residuals below 1; rho split over max_iter rounds. */
	m = compile(s, CRN_MODEL_LOGISTIC, "y", x1, 1);
	{
		double dev = 2 * log1p(exp(3.0));
		const double b[7] = {1, 0.25, 2.5, 25, 1, 10, dev};

		check_dp(m, beta, 2, 2.0, b, 7, CRN_MODEL_DEFAULT_ITER);
	}
	crn_model_free(m);
	/* k-means: one row moves one centre's block (count, a, b). */
	{
		crn_model_spec sp;
		const double b[3] = {1, 10, 20};

		memset(&sp, 0, sizeof(sp));
		sp.kind = CRN_MODEL_KMEANS;
		sp.dataset = (char *)(uintptr_t) "d";
		sp.x = (char **)(uintptr_t)xk;
		sp.nx = 2;
		sp.k = 2;
		sp.init = cen;
		sp.max_iter = 5;
		CAIRN_T_PASS(crn_model_compile(s, &sp, &m, err, sizeof(err)));
		check_dp(m, cen, 4, 1.0, b, 3, 5);
		crn_model_free(m);
	}
	crn_schema_free(s);
}

/* The noise a node adds: on the grid, mean 0, the variance of one node's
 * share (sigma_i^2 / t) per element, measured over many draws. */
static void
test_dp_noise(void **state)
{
	crn_schema *s = schema();
	const char *x1[1] = {"a"};
	crn_model *m = compile(s, CRN_MODEL_LINEAR, "c", x1, 1);
	crn_model_dp dp;
	crn_dp_rng r;
	uint8_t seed[CAIRN_SEED_LEN] = {7};
	enum { DRAWS = 3000 };
	unsigned __int128 *v = crn_zalloc(m->dim * 16);
	double sum[8] = {0}, sum2[8] = {0}, base[8], *out = NULL;
	char err[256];

	(void)state;
	CAIRN_T_EQ(m->dim, 8);
	CAIRN_T_PASS(
	    crn_model_dp_of(&dp, m, NULL, 0, 0.5, 2, err, sizeof(err)));
	out = crn_zalloc(m->dim * sizeof(double));
	crn_dp_rng_init_seeded(&r, seed);
	for (int k = 0; k < DRAWS; k++) {
		/* A node's own sums: arbitrary, off the grid. */
		for (uint64_t i = 0; i < m->dim; i++) {
			int64_t q =
			    llround(ldexp(1234.5678 * (double)(i + 1), 20));

			base[i] = ldexp((double)q, -20);
			v[i] = (unsigned __int128)((__int128)q
			    << (m->frac_bits - 20));
		}
		CAIRN_T_PASS(crn_model_dp_add(m, &dp, v, &r));
		for (uint64_t i = 0; i < m->dim; i++) {
			uint32_t g = dp.grid_bits[i];

			CAIRN_T_EQ(g > 0, 1);
			CAIRN_T_EQ(
			    (uint64_t)v[i] & (((uint64_t)1 << g) - 1), 0);
		}
		crn_model_decode(m, v, out);
		for (uint64_t i = 0; i < m->dim; i++) {
			double d = out[i] - base[i];

			sum[i] += d;
			sum2[i] += d * d;
		}
	}
	for (uint64_t i = 0; i < m->dim; i++) {
		double step = dp_step(m, &dp, i);
		double want = (double)dp.node_sigma2[i] * step * step;
		double mean = sum[i] / DRAWS,
		       var = sum2[i] / DRAWS - mean * mean;

		/* sd of the mean sqrt(want / DRAWS): within 5 of them; of the
		 * variance about want * sqrt(2 / DRAWS): within 4 of those. */
		CAIRN_T_EQ(fabs(mean) < 5 * sqrt(want / DRAWS), 1);
		CAIRN_T_EQ(fabs(var / want - 1) < 4 * sqrt(2.0 / DRAWS), 1);
		/* Two nodes' shares add up to the sum's target. */
		CAIRN_T_EQ(2 * want >= dp.sigma2[i] * (1 - 1e-9), 1);
	}
	crn_dp_rng_fini(&r);
	crn_free(out, m->dim * sizeof(double));
	crn_free(v, m->dim * 16);
	crn_model_dp_fini(&dp);
	crn_model_free(m);
	crn_schema_free(s);
}

/* A negative element decodes as exactly as a positive one: -k steps is
 * -k * 2^-frac to double precision, for k from 1 to 2^100. */
static void
test_decode_negative(void **state)
{
	crn_schema *s = schema();
	const char *x1[1] = {"a"};
	crn_model *m = compile(s, CRN_MODEL_LINEAR, "c", x1, 1);
	unsigned __int128 *v = crn_zalloc(m->dim * 16);
	double *out = crn_zalloc(m->dim * sizeof(double));

	(void)state;
	for (int e = 0; e <= 100; e++) {
		__int128 k = ((__int128)1 << e) + 1;
		double want = ldexp((double)k, -(int)m->frac_bits);

		v[1] = (unsigned __int128)(-k);
		v[2] = (unsigned __int128)k;
		crn_model_decode(m, v, out);
		CAIRN_T_EQ(out[1] == -want, 1);
		CAIRN_T_EQ(out[2] == want, 1);
	}
	crn_free(out, m->dim * sizeof(double));
	crn_free(v, m->dim * 16);
	crn_model_free(m);
	crn_schema_free(s);
}

/* A round's session names its parameters: another parameter, another
 * session; rounds 0 and 1 are the job's. */
static void
test_round_sid(void **state)
{
	uint8_t job[16] = {1, 2, 3}, a[16], b[16], c[16];
	double p[3] = {0.5, -1, 2}, q[3] = {0.5, -1, 2.000000001};

	(void)state;
	CAIRN_T_PASS(crn_model_round_sid(a, job, 2, p, 3));
	CAIRN_T_PASS(crn_model_round_sid(b, job, 2, p, 3));
	CAIRN_T_EQ(memcmp(a, b, 16), 0);
	CAIRN_T_PASS(crn_model_round_sid(b, job, 2, q, 3));
	CAIRN_T_EQ(memcmp(a, b, 16) != 0, 1);
	CAIRN_T_PASS(crn_model_round_sid(b, job, 3, p, 3));
	CAIRN_T_EQ(memcmp(a, b, 16) != 0, 1);
	CAIRN_T_PASS(crn_model_session_id(c, job, 2));
	CAIRN_T_EQ(memcmp(a, c, 16) != 0, 1);
	CAIRN_T_PASS(crn_model_round_sid(a, job, 1, p, 3));
	CAIRN_T_PASS(crn_model_session_id(c, job, 1));
	CAIRN_T_EQ(memcmp(a, c, 16), 0);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_expressions),
    cmocka_unit_test(test_refusals),
    cmocka_unit_test(test_split_equals_pooled),
    cmocka_unit_test(test_linear_solve),
    cmocka_unit_test(test_singular),
    cmocka_unit_test(test_k_beyond_rows),
    cmocka_unit_test(test_logistic_converges),
    cmocka_unit_test(test_codec),
    cmocka_unit_test(test_isolation_refused),
    cmocka_unit_test(test_out_of_memory),
    cmocka_unit_test(test_dp_calibration),
    cmocka_unit_test(test_dp_noise),
    cmocka_unit_test(test_decode_negative),
    cmocka_unit_test(test_round_sid),
};

CAIRN_TEST_MAIN(tests)
