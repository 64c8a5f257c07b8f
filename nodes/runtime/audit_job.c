/*
 * audit_job.c — job events for the daemons' audit logs.  See audit_job.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "model/model.h"
#include "runtime/audit_job.h"
#include "runtime/rt.h"

#define AJ_MAX_FIELDS 24

static const uint8_t aj_key[CAIRN_SESSION_ID_LEN] = {0};

static cairn_err
aj_hash_hex(const char *purpose, const uint8_t *b, size_t n, char *out)
{
	uint8_t h[CAIRN_KEY_LEN];
	cairn_err rv;

	if ((rv = crn_hash_commit(h, aj_key, purpose, b, n)) != CAIRN_OK)
		return rv;
	crn_rt_hex(h, sizeof(h), out);
	return CAIRN_OK;
}

/* Append to buf at *o; sets *o past len when cut. */
static void aj_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
aj_add(char *buf, size_t len, size_t *o, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*o >= len)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *o, len - *o, fmt, ap);
	va_end(ap);
	*o = w < 0 ? len : *o + (size_t)w;
}

static void
aj_describe_model(const crn_job *job, char *buf, size_t len, size_t *o)
{
	crn_model_spec sp;

	memset(&sp, 0, sizeof(sp));
	if (job->model == NULL ||
	    crn_model_spec_decode(job->model, job->model_len, &sp) !=
	        CAIRN_OK) {
		aj_add(buf, len, o, "fit: a model spec that does not decode");
		return;
	}
	aj_add(buf, len, o, "fit %s:", crn_model_kind_name(sp.kind));
	if (sp.kind != CRN_MODEL_KMEANS)
		aj_add(buf, len, o, " %s ~", sp.y != NULL ? sp.y : "");
	if (!sp.no_intercept && sp.kind != CRN_MODEL_KMEANS)
		aj_add(buf, len, o, " 1 +");
	for (size_t i = 0; i < sp.nx; i++)
		aj_add(buf, len, o, "%s (%s)", i > 0 ? " +" : "", sp.x[i]);
	if (sp.where != NULL && sp.where[0] != '\0')
		aj_add(buf, len, o, " WHERE %s", sp.where);
	if (sp.l2 > 0)
		aj_add(buf, len, o, " l2 %g", sp.l2);
	if (sp.kind == CRN_MODEL_KMEANS) {
		aj_add(buf, len, o, " k %u init", sp.k);
		for (size_t i = 0; sp.init != NULL && i < (size_t)sp.k * sp.nx;
		     i++)
			aj_add(buf, len, o, "%s%g",
			    i == 0               ? " "
			        : i % sp.nx == 0 ? ";"
			                         : ",",
			    sp.init[i]);
	}
	if (sp.max_iter > 0)
		aj_add(buf, len, o, " max_iter %u", sp.max_iter);
	crn_model_spec_fini(&sp);
}

static void
aj_describe_code(const crn_job *job, char *buf, size_t len, size_t *o)
{
	char hex[2 * sizeof(job->code_hash) + 1];

	crn_rt_hex(job->code_hash, sizeof(job->code_hash), hex);
	aj_add(buf, len, o, "code %s round %u", hex, job->round);
	if (job->where != NULL && job->where[0] != '\0')
		aj_add(buf, len, o, " WHERE %s", job->where);
	for (size_t i = 0; i < job->nparams; i++)
		aj_add(buf, len, o, "%s%.17g", i == 0 ? " params " : ", ",
		    job->params[i]);
	for (size_t i = 0; i < job->nnamed; i++)
		aj_add(
		    buf, len, o, " %s=%.17g", job->pnames[i], job->pvalues[i]);
	aj_add(buf, len, o, " output %llu in [%g, %g] scale %u",
	    (unsigned long long)job->out_len, job->out_lo, job->out_hi,
	    job->out_scale);
}

/* One line: a tab or line break in the researcher's text becomes a
 * space, any other control byte '?', so it cannot fake another line (a
 * row of `cairn node pending`) or drive the operator's terminal. */
static void
aj_one_line(char *buf)
{
	for (unsigned char *p = (unsigned char *)buf; *p != '\0'; p++)
		if (*p == '\t' || *p == '\n' || *p == '\r')
			*p = ' ';
		else if (*p < 0x20 || *p == 0x7f)
			*p = '?';
}

void
crn_rt_job_describe(const crn_job *job, char *buf, size_t len)
{
	size_t o = 0;

	if (len == 0)
		return;
	buf[0] = '\0';
	switch (job->kind) {
	case CRN_JOB_SUM_COLUMN:
		aj_add(buf, len, &o, "sum of column %s", job->column);
		break;
	case CRN_JOB_CODE: aj_describe_code(job, buf, len, &o); break;
	case CRN_JOB_MODEL: aj_describe_model(job, buf, len, &o); break;
	default:
		aj_add(buf, len, &o, "%s",
		    job->sql != NULL && job->sql[0] != '\0'
		        ? job->sql
		        : "a query plan without SQL text");
		break;
	}
	if (job->dp_epsilon > 0)
		aj_add(buf, len, &o, " [dp epsilon %g delta %g]",
		    job->dp_epsilon, job->dp_delta);
	if (o >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
	aj_one_line(buf);
}

cairn_err
crn_rt_audit_event(crn_audit *a, const char *type, const uint8_t *job_id,
    const crn_audit_field *f, size_t nf)
{
	crn_audit_field all[AJ_MAX_FIELDS];
	char hex[CRN_RT_JOB_HEX_LEN] = "";

	if (a == NULL)
		return CAIRN_OK;
	if (nf + 1 > AJ_MAX_FIELDS)
		return CAIRN_EINVAL;
	if (job_id != NULL)
		crn_rt_hex(job_id, CRN_JOB_ID_LEN, hex);
	all[0].key = "job";
	all[0].value = hex;
	for (size_t i = 0; i < nf; i++)
		all[i + 1] = f[i];
	return crn_audit_append(a, crn_rt_wall(), type, all, nf + 1);
}

cairn_err
crn_rt_audit_received(crn_audit *a, const crn_job *job,
    const crn_signed_job *sj, const char *researcher,
    const crn_audit_field *extra, size_t nextra)
{
	crn_audit_field f[AJ_MAX_FIELDS];
	char plan_hash[2 * CAIRN_KEY_LEN + 1], job_hash[2 * CAIRN_KEY_LEN + 1];
	char not_after[CRN_AUDIT_TIME_LEN], code_hash[2 * 32 + 1], round[16];
	char what[CRN_RT_JOB_DESC_LEN];
	bool sum = job->kind == CRN_JOB_SUM_COLUMN;
	bool code = job->kind == CRN_JOB_CODE;
	bool model = job->kind == CRN_JOB_MODEL;
	size_t n = 0;
	cairn_err rv;

	if (a == NULL)
		return CAIRN_OK;
	if (nextra + 11 > AJ_MAX_FIELDS - 1)
		return CAIRN_EINVAL;
	/* The plan hash covers what the job computes: the plan, the
	 * model spec, or the column summed. */
	if (model && job->model != NULL)
		rv = aj_hash_hex(
		    "cairn-plan", job->model, job->model_len, plan_hash);
	else if (sum || job->plan_len == 0)
		rv = aj_hash_hex("cairn-plan", (const uint8_t *)job->column,
		    strlen(job->column), plan_hash);
	else
		rv = aj_hash_hex(
		    "cairn-plan", job->plan, job->plan_len, plan_hash);
	if (rv != CAIRN_OK ||
	    (rv = aj_hash_hex("cairn-job", sj->job, sj->job_len, job_hash)) !=
	        CAIRN_OK)
		return rv;
	crn_audit_time(job->not_after, not_after);
	f[n++] = (crn_audit_field){"researcher", researcher};
	f[n++] = (crn_audit_field){"kind",
	    sum         ? "sum"
	        : code  ? "code"
	        : model ? "model"
	                : "query"};
	f[n++] = (crn_audit_field){"dataset", job->dataset};
	if (code) {
		/* The program's identity, as operators approve it (SHA-256,
		 * `cairn code hash`), its round and the rows it reads. */
		crn_rt_hex(job->code_hash, sizeof(job->code_hash), code_hash);
		snprintf(round, sizeof(round), "%u", job->round);
		f[n++] = (crn_audit_field){"code_hash", code_hash};
		f[n++] = (crn_audit_field){"round", round};
		f[n++] = (crn_audit_field){"where", job->where};
		crn_rt_job_describe(job, what, sizeof(what));
		f[n++] = (crn_audit_field){"what", what};
	} else if (model) {
		/* Terms, filter, centres: what the fit computes. */
		crn_rt_job_describe(job, what, sizeof(what));
		f[n++] = (crn_audit_field){"model", what};
	} else {
		f[n++] = sum ? (crn_audit_field){"column", job->column}
		             : (crn_audit_field){"sql", job->sql};
	}
	f[n++] = (crn_audit_field){"plan_hash", plan_hash};
	f[n++] = (crn_audit_field){"job_hash", job_hash};
	f[n++] = (crn_audit_field){"not_after", not_after};
	for (size_t i = 0; i < nextra; i++)
		f[n++] = extra[i];
	return crn_rt_audit_event(a, CRN_AUDIT_RECEIVED, job->job_id, f, n);
}
