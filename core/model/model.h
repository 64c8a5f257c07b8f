/*
 * model.h — federated models whose answer equals the pooled fit: linear
 * (and ridge) regression, logistic and Poisson regression by IRLS/Newton,
 * and k-means by Lloyd rounds.  Each round every node sums a statistic
 * vector over its rows; secure aggregation adds the vectors; the
 * coordinator decodes the sum and takes the next step (core/model/solve.c).
 *
 * Features and the response are SQL scalar expressions over the dataset's
 * columns, parsed with PostgreSQL's grammar (crn_sql_parse): + - * /,
 * unary minus, ln, exp, sqrt, abs, power(a, constant), least and
 * greatest (to clip a term to a narrower range), comparisons and
 * AND/OR/NOT (1 or 0), CASE WHEN.  Every expression's range follows from
 * the declared column bounds by interval arithmetic; an operation whose
 * range cannot be bounded (ln or sqrt of a range reaching 0 or below,
 * division by a range holding 0, exp past 700) is refused with the reason.
 * Column values outside their declared bounds are clipped to them, as the
 * query executors clip measures, so the ranges hold for every row.  A row
 * where any used column is NULL is left out (complete cases).
 *
 * Statistic vectors (crn_model_dim elements, 128-bit ring, each element a
 * signed fixed-point number with m->frac_bits fractional bits, summed per
 * row so that the sum over any split of the rows is the same integer):
 *   linear:   n, sum y, X'X (upper triangle, row-major), X'y, y'y
 *   glm:      n, X'WX (upper), X'(y - mu), deviance   at the round's beta
 *   kmeans:   per centre: count, then the d feature sums
 * frac_bits is the largest that keeps every summed element below 2^125
 * for max_rows rows on each of max_nodes nodes (per-row bounds from the
 * feature ranges); each row's element is rounded to the nearest multiple
 * of 2^-frac_bits, so an element of the sum is within n * 2^-(frac_bits+1)
 * of the exact real sum.
 */
#ifndef CRN_MODEL_MODEL_H
#define CRN_MODEL_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "exec/exec.h"
#include "query/plan.h"

typedef enum crn_model_kind {
	CRN_MODEL_LINEAR = 1,
	CRN_MODEL_LOGISTIC = 2,
	CRN_MODEL_POISSON = 3,
	CRN_MODEL_KMEANS = 4,
} crn_model_kind;

#define CRN_MODEL_MAX_X        64
#define CRN_MODEL_MAX_K        64
#define CRN_MODEL_MAX_ITER     100
#define CRN_MODEL_DEFAULT_ITER 25
#define CRN_MODEL_EXPR_MAX     1024
/* The smallest fixed-point precision a model accepts. */
#define CRN_MODEL_MIN_FRAC 24

/* What the researcher asks for (signed, inside the job). */
typedef struct crn_model_spec {
	crn_model_kind kind;
	char *dataset;
	char *y;  /* response expression (not for kmeans) */
	char **x; /* feature expressions */
	size_t nx;
	char *where; /* filter, SQL WHERE syntax; NULL or "" for none */
	bool no_intercept;
	double l2;    /* ridge penalty (not on the intercept) */
	uint32_t k;   /* kmeans: centres */
	double *init; /* kmeans: k * nx initial coordinates */
	uint32_t max_iter;
	double tol;
} crn_model_spec;

void crn_model_spec_fini(crn_model_spec *s);

/* Serialized cairn.model.ModelSpec (proto/model.proto). */
CAIRN_NODISCARD cairn_err crn_model_spec_encode(
    const crn_model_spec *s, uint8_t **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_model_spec_decode(
    const uint8_t *buf, size_t len, crn_model_spec *out);

/* One round's parameters, from the coordinator (MSG_PASS_START). */
typedef struct crn_model_round {
	uint8_t job_id[16];
	uint32_t round; /* 2, 3, ...: round 1 starts from the spec */
	double *params;
	size_t nparams;
	uint32_t threshold;
	uint32_t nodes;
} crn_model_round;

void crn_model_round_fini(crn_model_round *r);
CAIRN_NODISCARD cairn_err crn_model_round_encode(
    const crn_model_round *r, uint8_t **out, size_t *len);
CAIRN_NODISCARD cairn_err crn_model_round_decode(
    const uint8_t *buf, size_t len, crn_model_round *out);

/* The session of round `round` (1, 2, ...) of a model job; round 0 names
 * the message that ends the fit.  Derived from the job id, as query
 * passes are, so the coordinator cannot pick it. */
CAIRN_NODISCARD cairn_err crn_model_session_id(
    uint8_t sid[16], const uint8_t job_id[16], uint32_t round);
/*
 * The session of round `round` >= 2 at its parameters: derived from the
 * round's session id and a digest of the parameters, so that nodes sent
 * different parameters are in different sessions, whose masks do not
 * cancel and whose signatures do not verify across them.  A coordinator
 * cannot give one node parameters that make its round release more (a
 * GLM's noise is sized at the round's coefficients) while the others
 * answer at other ones.  For round 0 and 1, crn_model_session_id.
 */
CAIRN_NODISCARD cairn_err crn_model_round_sid(uint8_t sid[16],
    const uint8_t job_id[16], uint32_t round, const double *params,
    size_t nparams);

typedef struct crn_mexpr crn_mexpr;

/* A compiled model: expressions checked against the schema, ranges,
 * vector layout and fixed point. */
typedef struct crn_model {
	crn_model_spec spec;   /* owned copy */
	const crn_dataset *ds; /* borrowed from the schema */
	uint32_t max_nodes;
	crn_mexpr *y;    /* NULL for kmeans */
	crn_mexpr **x;   /* spec.nx */
	crn_plan *where; /* SELECT count(*) ... WHERE: the filter */
	bool *used;      /* ds->ncols: columns the model reads */
	size_t p;        /* coefficients (intercept + nx) */
	double *lo, *hi; /* range of each of the p columns of X */
	double ylo, yhi;
	uint64_t dim;
	uint32_t frac_bits;
} crn_model;

/*
 * Check spec against the schema and compile it.  CAIRN_ESQL with a
 * message naming the expression for a parse error, an unknown column or
 * underivable bounds; CAIRN_EINVAL for an inconsistent spec.  *out is
 * freed with crn_model_free.
 */
CAIRN_NODISCARD cairn_err crn_model_compile(const crn_schema *schema,
    const crn_model_spec *spec, crn_model **out, char *err, size_t errlen);
void crn_model_free(crn_model *m);

/* Parameters a round is computed at: p (glm), k * nx (kmeans), 0
 * (linear).  Round 1's are crn_model_initial. */
size_t crn_model_nparams(const crn_model *m);
CAIRN_NODISCARD cairn_err crn_model_initial(
    const crn_model *m, double **params, size_t *n);

/* Evaluate one expression on one row (cells indexed by schema column):
 * *null when a used column is NULL. */
double crn_mexpr_eval(const crn_mexpr *e, const crn_dataset *ds,
    const crn_cell *cells, bool *null);
void crn_mexpr_range(const crn_mexpr *e, double *lo, double *hi);

/* Accumulates one node's statistic vector over its rows. */
typedef struct crn_model_acc {
	const crn_model *m;
	const double *params;
	unsigned __int128 *vec; /* m->dim */
	double *row;            /* scratch: p + 1 */
	char *err;
	size_t errlen;
	uint64_t rows;
	double sw, sw2; /* glm: sum of weights and of their squares */
} crn_model_acc;

CAIRN_NODISCARD cairn_err crn_model_acc_init(crn_model_acc *a,
    const crn_model *m, const double *params, size_t nparams, char *err,
    size_t errlen);
void crn_model_acc_fini(crn_model_acc *a);
/* One row that passed the filter (a crn_exec_rowfn). */
CAIRN_NODISCARD cairn_err crn_model_acc_row(
    void *arg, const crn_cell *cells, const char *where);

/* Run the model's round over a source: the node's vector (m->dim 128-bit
 * elements, crn_freezero(*vec, m->dim * 16)).  Then the node's own guard
 * against parameters chosen to single out a few of its rows
 * (crn_model_acc_guard with min_cell). */
CAIRN_NODISCARD cairn_err crn_model_run(const crn_model *m,
    const crn_source *src, const double *params, size_t nparams,
    uint32_t min_cell, unsigned __int128 **vec, char *err, size_t errlen);

/*
 * A node's check of its own round vector before it leaves (CAIRN_EPERM
 * with err when it fails): k-means, every cluster holds none or at least
 * min_cell of the node's rows; logistic and Poisson, the rows' weights
 * are not concentrated on fewer than min_cell rows (effective count
 * (sum w)^2 / sum w^2).  Centres or coefficients picked to isolate one
 * row would otherwise release that row's values in a sum.
 */
CAIRN_NODISCARD cairn_err crn_model_acc_guard(
    const crn_model_acc *a, uint32_t min_cell, char *err, size_t errlen);

/*
 * Differential privacy for a fit (zCDP, as core/query/dp_account.h).  The
 * job's rho is split evenly over the rounds the researcher signed
 * (crn_model_rounds: 1 for linear, max_iter otherwise) and charged in full
 * before the first round.  Each round's vector is a sum over rows; one row
 * added or removed moves element i by at most b_i, its largest per-row
 * term from the feature bounds (and, for logistic and Poisson, the
 * round's coefficients, which bound the linear predictor), plus half a
 * fixed-point step.  A row touches n elements: all of them for
 * regressions, one centre's block (d + 1) for k-means.  Each element's
 * noise is proportional to its own bound and takes rho_round / n:
 * element i is rounded to a grid of 2^g_i fixed-point steps (g_i so that
 * sigma_i is about 2^40 steps) and gets a discrete Gaussian on that grid
 * with sigma_i^2 = n e_i^2 / (2 rho_round) steps^2, e_i = b_i / step + 1
 * (the +1 for the rounding to the grid); so sum_i e_i^2 / (2 sigma_i^2) =
 * rho_round.  Each node adds ceil(sigma_i^2 / t).
 */
typedef struct crn_model_dp {
	double rho_round; /* rho of one round */
	double sens2;     /* squared L2 sensitivity, real units */
	uint32_t t;
	uint64_t n;          /* elements one row touches (one block) */
	uint32_t *grid_bits; /* n: g_i */
	unsigned __int128 *node_sigma2; /* n: one node's, grid steps */
	double *sigma2;                 /* n: the sum's, real units */
} crn_model_dp;

/* Rounds a fit may take: its share of rho is rho / rounds. */
uint32_t crn_model_rounds(const crn_model *m);
/* The noise of a round at params, total rho, t survivors.  CAIRN_ERANGE
 * with err when the noise cannot fit the ring, CAIRN_EINVAL for bad
 * arguments. */
CAIRN_NODISCARD cairn_err crn_model_dp_of(crn_model_dp *out, const crn_model *m,
    const double *params, size_t nparams, double rho, uint32_t t, char *err,
    size_t errlen);
struct crn_dp_rng;
void crn_model_dp_fini(crn_model_dp *dp);
/* Round vec (m->dim) to the grids and add one node's noise. */
CAIRN_NODISCARD cairn_err crn_model_dp_add(const crn_model *m,
    const crn_model_dp *dp, unsigned __int128 *vec, struct crn_dp_rng *r);

/* Decode a summed vector into doubles (m->dim). */
void crn_model_decode(
    const crn_model *m, const unsigned __int128 *sum, double *out);

/* The coordinator's state across rounds. */
typedef struct crn_model_fit {
	const crn_model *m;
	uint32_t round; /* rounds done */
	double *params; /* the parameters of the next round */
	double *prev;   /* kmeans: previous centres */
	double *coef, *se;
	double *centers;
	uint64_t *sizes;
	double n, deviance, prev_dev, r2, resid_se;
	bool converged, done;
	uint32_t min_cell;
	double dp_epsilon, dp_delta; /* the job's DP, shown with the model */
} crn_model_fit;

CAIRN_NODISCARD cairn_err crn_model_fit_init(
    crn_model_fit *f, const crn_model *m, uint32_t min_cell);
void crn_model_fit_fini(crn_model_fit *f);
/*
 * Take the decoded sum of a round: update the parameters, decide whether
 * the fit is done (converged, one round for linear, or max_iter).  Errors
 * (singular design naming the collinear term, a cluster under min_cell,
 * fewer rows than coefficients) are CAIRN_EINVAL with err.
 */
CAIRN_NODISCARD cairn_err crn_model_fit_step(
    crn_model_fit *f, const double *stats, char *err, size_t errlen);
/* The result as text (R-like table), one JSON object ("{...}") and CSV;
 * strings are crn_alloc'd (crn_strfree). */
CAIRN_NODISCARD cairn_err crn_model_fit_render(
    const crn_model_fit *f, char **text, char **json, char **csv);

const char *crn_model_kind_name(crn_model_kind k);
int crn_model_kind_parse(const char *s);

#endif /* CRN_MODEL_MODEL_H */
