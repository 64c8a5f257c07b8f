/*
 * codec_model.c — ModelSpec and ModelRound (proto/model.proto) to and
 * from core structs.
 */
#include <math.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "model/model.h"
#include "proto/model.pb-c.h"

#define MODEL_MAX_MSG (1u << 20)

cairn_err
crn_model_spec_encode(const crn_model_spec *s, uint8_t **out, size_t *len)
{
	Cairn__Model__ModelSpec m = CAIRN__MODEL__MODEL_SPEC__INIT;
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*len = 0;
	m.kind = (uint32_t)s->kind;
	m.dataset = (char *)(uintptr_t)(s->dataset ? s->dataset : "");
	m.y = (char *)(uintptr_t)(s->y ? s->y : "");
	m.n_x = s->nx;
	m.x = s->x;
	m.where = (char *)(uintptr_t)(s->where ? s->where : "");
	m.no_intercept = s->no_intercept;
	m.l2 = s->l2;
	m.k = s->k;
	m.n_init = s->kind == CRN_MODEL_KMEANS ? (size_t)s->k * s->nx : 0;
	m.init = s->init;
	m.max_iter = s->max_iter;
	m.tol = s->tol;
	n = cairn__model__model_spec__get_packed_size(&m);
	if ((buf = crn_alloc(n ? n : 1)) == NULL)
		return CAIRN_ENOMEM;
	cairn__model__model_spec__pack(&m, buf);
	*out = buf;
	*len = n;
	return CAIRN_OK;
}

cairn_err
crn_model_spec_decode(const uint8_t *buf, size_t len, crn_model_spec *out)
{
	Cairn__Model__ModelSpec *m;
	cairn_err rv = CAIRN_ENOMEM;

	memset(out, 0, sizeof(*out));
	if (len > MODEL_MAX_MSG)
		return CAIRN_ETOOBIG;
	if ((m = cairn__model__model_spec__unpack(NULL, len, buf)) == NULL)
		return CAIRN_EINVAL;
	if (m->n_x > CRN_MODEL_MAX_X || m->k > CRN_MODEL_MAX_K ||
	    (m->kind == CRN_MODEL_KMEANS &&
	        m->n_init != (size_t)m->k * m->n_x)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	out->kind = (crn_model_kind)m->kind;
	out->no_intercept = m->no_intercept;
	out->l2 = m->l2;
	out->k = m->kind == CRN_MODEL_KMEANS ? m->k : 0;
	out->max_iter = m->max_iter;
	out->tol = m->tol;
	if ((out->dataset = crn_strdup(m->dataset)) == NULL ||
	    (out->y = crn_strdup(m->y)) == NULL ||
	    (out->where = crn_strdup(m->where)) == NULL ||
	    (out->x = crn_zalloc((m->n_x ? m->n_x : 1) * sizeof(char *))) ==
	        NULL)
		goto out;
	for (; out->nx < m->n_x; out->nx++)
		if ((out->x[out->nx] = crn_strdup(m->x[out->nx])) == NULL)
			goto out;
	if (out->k > 0) {
		if ((out->init = crn_alloc(m->n_init * sizeof(double))) == NULL)
			goto out;
		memcpy(out->init, m->init, m->n_init * sizeof(double));
	}
	rv = CAIRN_OK;
out:
	cairn__model__model_spec__free_unpacked(m, NULL);
	if (rv != CAIRN_OK)
		crn_model_spec_fini(out);
	return rv;
}

void
crn_model_round_fini(crn_model_round *r)
{
	crn_free(r->params, r->nparams * sizeof(double));
	memset(r, 0, sizeof(*r));
}

cairn_err
crn_model_round_encode(const crn_model_round *r, uint8_t **out, size_t *len)
{
	Cairn__Model__ModelRound m = CAIRN__MODEL__MODEL_ROUND__INIT;
	uint8_t *buf;
	size_t n;

	*out = NULL;
	*len = 0;
	m.job_id.data = (uint8_t *)(uintptr_t)r->job_id;
	m.job_id.len = sizeof(r->job_id);
	m.round = r->round;
	m.n_params = r->nparams;
	m.params = r->params;
	m.threshold = r->threshold;
	m.nodes = r->nodes;
	n = cairn__model__model_round__get_packed_size(&m);
	if ((buf = crn_alloc(n ? n : 1)) == NULL)
		return CAIRN_ENOMEM;
	cairn__model__model_round__pack(&m, buf);
	*out = buf;
	*len = n;
	return CAIRN_OK;
}

cairn_err
crn_model_round_decode(const uint8_t *buf, size_t len, crn_model_round *out)
{
	Cairn__Model__ModelRound *m;
	cairn_err rv = CAIRN_EINVAL;

	memset(out, 0, sizeof(*out));
	if (len > MODEL_MAX_MSG)
		return CAIRN_ETOOBIG;
	if ((m = cairn__model__model_round__unpack(NULL, len, buf)) == NULL)
		return CAIRN_EINVAL;
	if (m->job_id.len != sizeof(out->job_id))
		goto out;
	for (size_t i = 0; i < m->n_params; i++)
		if (!isfinite(m->params[i]))
			goto out;
	rv = CAIRN_ENOMEM;
	if ((out->params = crn_alloc(
	         (m->n_params ? m->n_params : 1) * sizeof(double))) == NULL)
		goto out;
	if (m->n_params > 0)
		memcpy(out->params, m->params, m->n_params * sizeof(double));
	out->nparams = m->n_params;
	memcpy(out->job_id, m->job_id.data, sizeof(out->job_id));
	out->round = m->round;
	out->threshold = m->threshold;
	out->nodes = m->nodes;
	rv = CAIRN_OK;
out:
	cairn__model__model_round__free_unpacked(m, NULL);
	return rv;
}

cairn_err
crn_model_session_id(uint8_t sid[16], const uint8_t job_id[16], uint32_t round)
{
	static const uint8_t zero[16];

	return crn_kdf(sid, 16, job_id, 16, zero, "model-round", round);
}

cairn_err
crn_model_round_sid(uint8_t sid[16], const uint8_t job_id[16], uint32_t round,
    const double *params, size_t nparams)
{
	uint8_t base[16], digest[CAIRN_KEY_LEN], *buf;
	size_t len = (nparams ? nparams : 1) * 8;
	cairn_err rv;

	if ((rv = crn_model_session_id(base, job_id, round)) != CAIRN_OK ||
	    round < 2)
		goto out;
	if ((buf = crn_zalloc(len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/* Each parameter as its IEEE 754 bits, little-endian. */
	for (size_t i = 0; i < nparams; i++) {
		uint64_t b;

		memcpy(&b, &params[i], 8);
		for (int k = 0; k < 8; k++)
			buf[i * 8 + k] = (uint8_t)(b >> (8 * k));
	}
	rv = crn_hash_commit(
	    digest, base, "model-round-params", buf, nparams * 8);
	crn_free(buf, len);
	if (rv == CAIRN_OK)
		rv = crn_kdf(sid, 16, digest, sizeof(digest), base,
		    "model-round-params", round);
	cairn_memzero(digest, sizeof(digest));
	return rv;
out:
	if (rv == CAIRN_OK)
		memcpy(sid, base, 16);
	return rv;
}
