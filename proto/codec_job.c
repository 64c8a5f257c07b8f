/*
 * codec_job.c — Job and SignedJob to and from the wire.  Decoders check
 * every length and enum before anything leaves proto/.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/code_hash.h"
#include "proto/cairn.pb-c.h"
#include "proto/codec_util.h"
#include "proto/job.h"

/* Strings from the wire: bounded, and without control characters, so that
 * they can be logged and used as names safely. */
static cairn_err
copy_name(char **dst, const char *src, size_t max)
{
	size_t n = strnlen(src, max + 1);

	*dst = NULL;
	if (n > max)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
			return CAIRN_EINVAL;
	}
	if ((*dst = crn_strdup(src)) == NULL)
		return CAIRN_ENOMEM;
	return CAIRN_OK;
}

bool
crn_job_pname_ok(const char *s)
{
	size_t n = strnlen(s, CRN_JOB_PNAME_MAX + 1);

	if (n == 0 || n > CRN_JOB_PNAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		        (s[i] >= 'A' && s[i] <= 'Z') ||
		        (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* The named parameters: identifiers, each once, finite values. */
static cairn_err
named_decode(crn_job *job, const Cairn__Job *m)
{
	size_t n = m->n_param_names;

	if (n != m->n_param_values || n > CRN_JOB_NAMED_MAX)
		return CAIRN_EINVAL;
	if (n == 0)
		return CAIRN_OK;
	for (size_t i = 0; i < n; i++) {
		if (!crn_job_pname_ok(m->param_names[i]) ||
		    !isfinite(m->param_values[i]))
			return CAIRN_EINVAL;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->param_names[k], m->param_names[i]) == 0)
				return CAIRN_EINVAL;
	}
	job->nnamed = n; /* before the buffers: crn_job_fini frees them */
	if ((job->pnames = crn_zalloc(n * sizeof(char *))) == NULL ||
	    (job->pvalues = crn_alloc(n * sizeof(double))) == NULL)
		return CAIRN_ENOMEM;
	memcpy(job->pvalues, m->param_values, n * sizeof(double));
	for (size_t i = 0; i < n; i++)
		if ((job->pnames[i] = crn_strdup(m->param_names[i])) == NULL)
			return CAIRN_ENOMEM;
	return CAIRN_OK;
}

/* The JOB_CODE fields: program, its hash, parameters, declaration. */
static cairn_err
code_decode(crn_job *job, const Cairn__Job *m)
{
	cairn_err rv;

	if (m->code.len == 0 || m->code.len > CRN_JOB_CODE_MAX ||
	    m->n_params > CRN_JOB_PARAMS_MAX || m->out_len == 0 ||
	    m->out_len + 1 != m->dim)
		return CAIRN_EINVAL;
	if ((rv = crn_pb_copy_bytes(&job->code, &job->code_len, &m->code)) !=
	    CAIRN_OK)
		return rv;
	crn_code_sha256(job->code_hash, job->code, job->code_len);
	if ((job->params = crn_alloc((m->n_params + 1) * sizeof(double))) ==
	    NULL)
		return CAIRN_ENOMEM;
	job->nparams = m->n_params;
	if (m->n_params > 0)
		memcpy(job->params, m->params, m->n_params * sizeof(double));
	if ((job->where = crn_strdup(m->where)) == NULL)
		return CAIRN_ENOMEM;
	job->out_lo = m->out_lo;
	job->out_hi = m->out_hi;
	job->out_scale = m->out_scale;
	job->out_len = m->out_len;
	job->round = m->round;
	return named_decode(job, m);
}

void
crn_job_fini(crn_job *job)
{
	if (job == NULL)
		return;
	crn_strfree(job->dataset);
	crn_strfree(job->column);
	crn_strfree(job->sql);
	crn_free(job->plan, job->plan_len);
	crn_free(job->model, job->model_len);
	crn_free(job->code, job->code_len);
	crn_free(job->params, (job->nparams + 1) * sizeof(double));
	crn_strfree(job->where);
	for (size_t i = 0; job->pnames != NULL && i < job->nnamed; i++)
		crn_strfree(job->pnames[i]);
	if (job->pnames != NULL)
		crn_free(job->pnames, job->nnamed * sizeof(char *));
	if (job->pvalues != NULL)
		crn_free(job->pvalues, job->nnamed * sizeof(double));
	memset(job, 0, sizeof(*job));
}

void
crn_signed_job_fini(crn_signed_job *sj)
{
	if (sj == NULL)
		return;
	crn_free(sj->job, sj->job_len);
	crn_free(sj->cert, sj->cert_len);
	memset(sj, 0, sizeof(*sj));
}

cairn_err
crn_job_encode(const crn_job *job, uint8_t **out, size_t *outlen)
{
	Cairn__Job m = CAIRN__JOB__INIT;

	*out = NULL;
	*outlen = 0;
	if (job->dataset == NULL ||
	    (job->kind != CRN_JOB_SUM_COLUMN && job->kind != CRN_JOB_QUERY &&
	        job->kind != CRN_JOB_MODEL && job->kind != CRN_JOB_CODE))
		return CAIRN_EINVAL;
	m.job_id.data = (uint8_t *)(uintptr_t)job->job_id;
	m.job_id.len = CRN_JOB_ID_LEN;
	m.kind = (Cairn__JobKind)job->kind;
	m.dataset = (char *)(uintptr_t)job->dataset;
	if (job->column != NULL)
		m.column = (char *)(uintptr_t)job->column;
	if (job->sql != NULL)
		m.sql = (char *)(uintptr_t)job->sql;
	m.plan.data = job->plan;
	m.plan.len = job->plan_len;
	m.model.data = job->model;
	m.model.len = job->model_len;
	m.issued_at = job->issued_at;
	m.not_after = job->not_after;
	m.ring_bits = job->ring_bits;
	m.dim = job->dim;
	if (job->kind == CRN_JOB_CODE) {
		m.code.data = job->code;
		m.code.len = job->code_len;
		m.n_params = job->nparams;
		m.params = job->params;
		m.out_lo = job->out_lo;
		m.out_hi = job->out_hi;
		m.out_scale = job->out_scale;
		m.out_len = job->out_len;
		if (job->where != NULL)
			m.where = (char *)(uintptr_t)job->where;
		m.round = job->round;
		m.n_param_names = m.n_param_values = job->nnamed;
		m.param_names = job->pnames;
		m.param_values = job->pvalues;
	}
	m.dp_epsilon = job->dp_epsilon;
	m.dp_delta = job->dp_delta;
	return crn_pb_pack(&m.base, 0, out, outlen);
}

cairn_err
crn_job_decode(crn_job *out, const uint8_t *buf, size_t len)
{
	Cairn__Job *m = NULL;
	crn_job job;
	cairn_err rv = CAIRN_EINVAL;

	memset(&job, 0, sizeof(job));
	memset(out, 0, sizeof(*out));
	if (len > CRN_JOB_MAX)
		return CAIRN_ETOOBIG;
	if ((m = cairn__job__unpack(NULL, len, buf)) == NULL)
		goto out;
	if (m->job_id.len != CRN_JOB_ID_LEN)
		goto out;
	if (m->kind != CAIRN__JOB_KIND__JOB_SUM_COLUMN &&
	    m->kind != CAIRN__JOB_KIND__JOB_QUERY &&
	    m->kind != CAIRN__JOB_KIND__JOB_MODEL &&
	    m->kind != CAIRN__JOB_KIND__JOB_CODE)
		goto out;
	if (m->ring_bits != 32 && m->ring_bits != 64 && m->ring_bits != 128)
		goto out;
	if (m->dim == 0 || m->dim > (uint64_t)1 << 32)
		goto out;
	memcpy(job.job_id, m->job_id.data, CRN_JOB_ID_LEN);
	job.kind = (crn_job_kind)m->kind;
	if ((rv = copy_name(&job.dataset, m->dataset, CRN_NAME_MAX)) !=
	        CAIRN_OK ||
	    (rv = copy_name(&job.column, m->column, CRN_NAME_MAX)) != CAIRN_OK)
		goto out;
	if ((job.sql = crn_strdup(m->sql)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	if ((rv = crn_pb_copy_bytes(&job.plan, &job.plan_len, &m->plan)) !=
	        CAIRN_OK ||
	    (rv = crn_pb_copy_bytes(&job.model, &job.model_len, &m->model)) !=
	        CAIRN_OK)
		goto out;
	rv = CAIRN_EINVAL;
	if (job.dataset[0] == '\0')
		goto out;
	if (job.kind == CRN_JOB_SUM_COLUMN && job.column[0] == '\0')
		goto out;
	if (job.kind == CRN_JOB_QUERY && job.plan_len == 0)
		goto out;
	if (job.kind == CRN_JOB_MODEL && job.model_len == 0)
		goto out;
	if (job.kind == CRN_JOB_CODE &&
	    (rv = code_decode(&job, m)) != CAIRN_OK)
		goto out;
	job.issued_at = m->issued_at;
	job.not_after = m->not_after;
	job.ring_bits = m->ring_bits;
	job.dim = m->dim;
	/* NaN and negative values are refused here; the node's policy
	 * decides whether what is left is acceptable. */
	if (!(m->dp_epsilon >= 0) || !(m->dp_delta >= 0))
		goto out;
	job.dp_epsilon = m->dp_epsilon;
	job.dp_delta = m->dp_delta;
	*out = job;
	memset(&job, 0, sizeof(job));
	rv = CAIRN_OK;
out:
	crn_job_fini(&job);
	if (m != NULL)
		cairn__job__free_unpacked(m, NULL);
	return rv;
}

cairn_err
crn_signed_job_encode(const crn_signed_job *sj, uint8_t **out, size_t *outlen)
{
	Cairn__SignedJob m = CAIRN__SIGNED_JOB__INIT;

	*out = NULL;
	*outlen = 0;
	m.job.data = sj->job;
	m.job.len = sj->job_len;
	m.researcher_cert.data = sj->cert;
	m.researcher_cert.len = sj->cert_len;
	m.signature.data = (uint8_t *)(uintptr_t)sj->sig;
	m.signature.len = CAIRN_SIG_LEN;
	return crn_pb_pack(&m.base, 0, out, outlen);
}

cairn_err
crn_signed_job_decode(crn_signed_job *out, const uint8_t *buf, size_t len)
{
	Cairn__SignedJob *m = NULL;
	crn_signed_job sj;
	cairn_err rv = CAIRN_EINVAL;

	memset(&sj, 0, sizeof(sj));
	memset(out, 0, sizeof(*out));
	if (len > CRN_JOB_MAX)
		return CAIRN_ETOOBIG;
	if ((m = cairn__signed_job__unpack(NULL, len, buf)) == NULL)
		goto out;
	if (m->signature.len != CAIRN_SIG_LEN || m->job.len == 0 ||
	    m->researcher_cert.len == 0)
		goto out;
	if ((rv = crn_pb_copy_bytes(&sj.job, &sj.job_len, &m->job)) !=
	        CAIRN_OK ||
	    (rv = crn_pb_copy_bytes(
	         &sj.cert, &sj.cert_len, &m->researcher_cert)) != CAIRN_OK)
		goto out;
	memcpy(sj.sig, m->signature.data, CAIRN_SIG_LEN);
	*out = sj;
	memset(&sj, 0, sizeof(sj));
	rv = CAIRN_OK;
out:
	crn_signed_job_fini(&sj);
	if (m != NULL)
		cairn__signed_job__free_unpacked(m, NULL);
	return rv;
}
