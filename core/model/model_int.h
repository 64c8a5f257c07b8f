/*
 * model_int.h — core/model internals shared by its files.
 */
#ifndef CRN_MODEL_MODEL_INT_H
#define CRN_MODEL_MODEL_INT_H

#include "model/model.h"

typedef enum crn_mop {
	CRN_MOP_CONST = 1,
	CRN_MOP_STR, /* text constant, only inside a category comparison */
	CRN_MOP_COL,
	CRN_MOP_NEG,
	CRN_MOP_ADD,
	CRN_MOP_SUB,
	CRN_MOP_MUL,
	CRN_MOP_DIV,
	CRN_MOP_POW,
	CRN_MOP_LN,
	CRN_MOP_EXP,
	CRN_MOP_SQRT,
	CRN_MOP_ABS,
	CRN_MOP_CMP,
	CRN_MOP_EQ,
	CRN_MOP_NE,
	CRN_MOP_LT,
	CRN_MOP_LE,
	CRN_MOP_GT,
	CRN_MOP_GE,
	CRN_MOP_AND,
	CRN_MOP_OR,
	CRN_MOP_NOT,
	CRN_MOP_CASE,
	CRN_MOP_LEAST, /* n-ary */
	CRN_MOP_GREATEST,
} crn_mop;

struct crn_mexpr {
	crn_mop op;
	crn_mop cmp;     /* CRN_MOP_CMP: which comparison */
	double v;        /* CONST */
	const char *str; /* STR, borrowed from the parse tree */
	uint32_t col;    /* COL */
	bool cat;        /* COL: a category (value = domain index) */
	double scale;    /* COL: 10^scale */
	double lo, hi;   /* range */
	crn_mexpr **kids;
	size_t nkids;
};

/* Linear predictors are clamped here so that the per-row weights, hence
 * the fixed point (and the DP sensitivity), stay bounded whatever
 * coefficients a round brings. */
#define CRN_MODEL_ETA_LOGIT   30.0
#define CRN_MODEL_ETA_LOG_MIN (-30.0)

/* Poisson: the largest mean a row's linear predictor is clamped to. */
double crn_model_mu_max(const crn_model *m);

/* Compile one expression over ds; marks the columns it reads in used. */
CAIRN_NODISCARD cairn_err crn_mexpr_compile(const crn_dataset *ds,
    const char *text, bool *used, crn_mexpr **out, char *err, size_t errlen);
void crn_mexpr_free(crn_mexpr *e);
/* Can e only be 0 or 1, whatever the row (comparisons, an integer
 * column within [0, 1], CASE of such, ...)? */
bool crn_mexpr_is01(const crn_mexpr *e);
crn_mop crn_mop_flip(crn_mop op);

#endif /* CRN_MODEL_MODEL_INT_H */
