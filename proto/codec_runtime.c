/*
 * codec_runtime.c — runtime messages (offers, progress, results, status,
 * errors) to and from the wire.  Every length and count is checked before
 * anything leaves proto/; strings must be printable so that they can be
 * logged and printed as they are.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "base/crn.h"
#include "proto/cairn.pb-c.h"
#include "proto/codec_runtime.h"
#include "proto/codec_util.h"

/* A string from the wire: at most max bytes of printable ASCII. */
/* A rendered result table from the wire: NULL when empty; any text but
 * control characters other than newline, carriage return and tab (the
 * table may hold UTF-8 category values).  The message size bounds it. */
static cairn_err
rt_table(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL || src[0] == '\0')
		return CAIRN_OK;
	for (const char *p = src; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if ((ch < 0x20 && ch != '\n' && ch != '\r' && ch != '\t') ||
		    ch == 0x7f)
			return CAIRN_EINVAL;
	}
	if ((*dst = crn_strdup(src)) == NULL)
		return CAIRN_ENOMEM;
	return CAIRN_OK;
}

static cairn_err
rt_str(char **dst, const char *src, size_t max)
{
	size_t n;

	*dst = NULL;
	if (src == NULL)
		src = "";
	n = strnlen(src, max + 1);
	if (n > max)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		if (ch < 0x20 || ch > 0x7e)
			return CAIRN_EINVAL;
	}
	if ((*dst = crn_strdup(src)) == NULL)
		return CAIRN_ENOMEM;
	return CAIRN_OK;
}

static cairn_err
rt_fixed(uint8_t *dst, size_t want, const ProtobufCBinaryData *b)
{
	if (b->len == 0) {
		memset(dst, 0, want);
		return CAIRN_OK;
	}
	if (b->len != want)
		return CAIRN_EINVAL;
	memcpy(dst, b->data, want);
	return CAIRN_OK;
}

static cairn_err
rt_names(char ***dst, size_t *ndst, char *const *src, size_t n)
{
	cairn_err rv;

	*dst = NULL;
	*ndst = 0;
	if (n > CRN_RT_LIST_MAX)
		return CAIRN_EINVAL;
	for (size_t i = 0; i < n; i++) {
		char *s = NULL;

		if ((rv = rt_str(&s, src[i], CRN_RT_NAME_MAX)) != CAIRN_OK)
			goto fail;
		rv = crn_rt_names_add(dst, ndst, s);
		crn_strfree(s);
		if (rv != CAIRN_OK)
			goto fail;
	}
	return CAIRN_OK;
fail:
	crn_rt_names_free(*dst, *ndst);
	*dst = NULL;
	*ndst = 0;
	return rv;
}

cairn_err
crn_rt_names_add(char ***list, size_t *n, const char *name)
{
	char **nl;
	char *s;

	if ((s = crn_strdup(name)) == NULL)
		return CAIRN_ENOMEM;
	nl = crn_realloc(*list, *n * sizeof(*nl), (*n + 1) * sizeof(*nl));
	if (nl == NULL) {
		crn_strfree(s);
		return CAIRN_ENOMEM;
	}
	nl[(*n)++] = s;
	*list = nl;
	return CAIRN_OK;
}

void
crn_rt_names_free(char **list, size_t n)
{
	if (list == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		crn_strfree(list[i]);
	crn_free(list, n * sizeof(*list));
}

void
crn_rt_offer_fini(crn_rt_offer *m)
{
	if (m == NULL)
		return;
	crn_free(m->signed_job, m->signed_job_len);
	memset(m, 0, sizeof(*m));
}

void
crn_rt_result_fini(crn_rt_result *m)
{
	if (m == NULL)
		return;
	crn_rt_names_free(m->contributed, m->ncontributed);
	crn_rt_names_free(m->dropped, m->ndropped);
	crn_rt_names_free(m->dropped_between, m->ndropped_between);
	crn_rt_names_free(m->dropped_round, m->ndropped_round);
	crn_rt_names_free(m->refused, m->nrefused);
	crn_rt_names_free(m->refused_reason, m->nrefused_reason);
	crn_rt_names_free(m->absent, m->nabsent);
	crn_free(m->sum, m->sum_len);
	crn_strfree(m->error);
	crn_strfree(m->table_text);
	crn_strfree(m->table_json);
	crn_strfree(m->table_csv);
	memset(m, 0, sizeof(*m));
}

void
crn_rt_status_fini(crn_rt_status *m)
{
	if (m == NULL)
		return;
	crn_rt_names_free(m->nodes, m->nnodes);
	for (size_t i = 0; i < m->nsessions; i++)
		crn_strfree(m->sessions[i].researcher);
	crn_free(m->sessions, m->nsessions * sizeof(*m->sessions));
	memset(m, 0, sizeof(*m));
}

void
crn_rt_error_fini(crn_rt_error *m)
{
	if (m == NULL)
		return;
	crn_strfree(m->message);
	memset(m, 0, sizeof(*m));
}

/* ---- hello ------------------------------------------------------------- */

cairn_err
crn_rt_hello_encode(const char *version, uint8_t **out, size_t *outlen)
{
	Cairn__Hello h = CAIRN__HELLO__INIT;

	h.version = (char *)(uintptr_t)(version ? version : "");
	return crn_pb_pack(&h.base, CRN_RT_MSG_MAX, out, outlen);
}

/* ---- offer ------------------------------------------------------------- */

cairn_err
crn_rt_offer_encode(const crn_rt_offer *m, uint8_t **out, size_t *outlen)
{
	Cairn__JobOffer o = CAIRN__JOB_OFFER__INIT;

	o.signed_job.data = m->signed_job;
	o.signed_job.len = m->signed_job_len;
	o.threshold = m->threshold;
	o.nodes = m->nodes;
	o.audit_head.data = (uint8_t *)(uintptr_t)m->audit_head;
	o.audit_head.len = m->audit_head_len;
	return crn_pb_pack(&o.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_offer_decode(crn_rt_offer *m, const uint8_t *buf, size_t len)
{
	Cairn__JobOffer *o = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((o = cairn__job_offer__unpack(NULL, len, buf)) == NULL)
		goto out;
	if (o->signed_job.len == 0)
		goto out;
	if ((m->signed_job = crn_alloc(o->signed_job.len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	memcpy(m->signed_job, o->signed_job.data, o->signed_job.len);
	m->signed_job_len = o->signed_job.len;
	m->threshold = o->threshold;
	m->nodes = o->nodes;
	if (o->audit_head.len != 0) {
		if (o->audit_head.len != CRN_RT_AUDIT_HEAD_LEN)
			goto out;
		memcpy(m->audit_head, o->audit_head.data, o->audit_head.len);
		m->audit_head_len = o->audit_head.len;
	}
	rv = CAIRN_OK;
out:
	if (o != NULL)
		cairn__job_offer__free_unpacked(o, NULL);
	if (rv != CAIRN_OK)
		crn_rt_offer_fini(m);
	return rv;
}

/* ---- job pending ------------------------------------------------------- */

cairn_err
crn_rt_pending_encode(const crn_rt_pending *m, uint8_t **out, size_t *outlen)
{
	Cairn__JobPending p = CAIRN__JOB_PENDING__INIT;

	p.job_id.data = (uint8_t *)(uintptr_t)m->job_id;
	p.job_id.len = CRN_RT_JOB_ID_LEN;
	p.until = m->until;
	return crn_pb_pack(&p.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_pending_decode(crn_rt_pending *m, const uint8_t *buf, size_t len)
{
	Cairn__JobPending *p = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((p = cairn__job_pending__unpack(NULL, len, buf)) == NULL)
		goto out;
	if ((rv = rt_fixed(m->job_id, CRN_RT_JOB_ID_LEN, &p->job_id)) !=
	    CAIRN_OK)
		goto out;
	m->until = p->until;
out:
	if (p != NULL)
		cairn__job_pending__free_unpacked(p, NULL);
	if (rv != CAIRN_OK)
		memset(m, 0, sizeof(*m));
	return rv;
}

/* ---- job status -------------------------------------------------------- */

cairn_err
crn_rt_jobstatus_encode(
    const crn_rt_jobstatus *m, uint8_t **out, size_t *outlen)
{
	Cairn__JobStatus s = CAIRN__JOB_STATUS__INIT;

	s.job_id.data = (uint8_t *)(uintptr_t)m->job_id;
	s.job_id.len = CRN_RT_JOB_ID_LEN;
	s.round = m->round;
	s.nodes = m->nodes;
	s.answered = m->answered;
	s.dropped = m->dropped;
	s.pass = m->pass;
	s.passes = m->passes;
	s.waiting = (char *)(uintptr_t)m->waiting;
	s.queued = m->queued;
	s.queued_ahead = m->ahead;
	s.queue_wait_ms = m->wait_ms;
	return crn_pb_pack(&s.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_jobstatus_decode(crn_rt_jobstatus *m, const uint8_t *buf, size_t len)
{
	Cairn__JobStatus *s = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((s = cairn__job_status__unpack(NULL, len, buf)) == NULL)
		goto out;
	if ((rv = rt_fixed(m->job_id, CRN_RT_JOB_ID_LEN, &s->job_id)) !=
	    CAIRN_OK)
		goto out;
	m->round = s->round;
	m->nodes = s->nodes;
	m->answered = s->answered;
	m->dropped = s->dropped;
	m->pass = s->pass;
	m->passes = s->passes;
	if (s->waiting != NULL)
		snprintf(m->waiting, sizeof(m->waiting), "%s", s->waiting);
	m->queued = s->queued;
	m->ahead = s->queued_ahead;
	m->wait_ms = s->queue_wait_ms;
	rv = CAIRN_OK;
out:
	if (s != NULL)
		cairn__job_status__free_unpacked(s, NULL);
	if (rv != CAIRN_OK)
		memset(m, 0, sizeof(*m));
	return rv;
}

/* ---- job result -------------------------------------------------------- */

cairn_err
crn_rt_result_encode(const crn_rt_result *m, uint8_t **out, size_t *outlen)
{
	Cairn__JobResult r = CAIRN__JOB_RESULT__INIT;

	r.job_id.data = (uint8_t *)(uintptr_t)m->job_id;
	r.job_id.len = CRN_RT_JOB_ID_LEN;
	r.n_contributed = m->ncontributed;
	r.contributed = m->contributed;
	r.n_dropped = m->ndropped;
	r.dropped = m->dropped;
	r.ring_bits = m->ring_bits;
	r.sum.data = m->sum;
	r.sum.len = m->sum_len;
	r.code = m->code;
	r.error = (char *)(uintptr_t)(m->error ? m->error : "");
	r.needed = m->needed;
	r.answered = m->answered;
	r.table_text = (char *)(uintptr_t)(m->table_text ? m->table_text : "");
	r.table_json = (char *)(uintptr_t)(m->table_json ? m->table_json : "");
	r.table_csv = (char *)(uintptr_t)(m->table_csv ? m->table_csv : "");
	r.suppressed_cells = m->suppressed_cells;
	r.suppressed_groups = m->suppressed_groups;
	r.n_dropped_between_passes = m->ndropped_between;
	r.dropped_between_passes = m->dropped_between;
	r.n_dropped_round = m->ndropped_round;
	r.dropped_round = m->dropped_round;
	r.n_refused = m->nrefused;
	r.refused = m->refused;
	r.n_refused_reason = m->nrefused_reason;
	r.refused_reason = m->refused_reason;
	r.n_absent = m->nabsent;
	r.absent = m->absent;
	r.clipped = m->clipped;
	return crn_pb_pack(&r.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_result_decode(crn_rt_result *m, const uint8_t *buf, size_t len)
{
	Cairn__JobResult *r = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((r = cairn__job_result__unpack(NULL, len, buf)) == NULL)
		goto out;
	if ((rv = rt_fixed(m->job_id, CRN_RT_JOB_ID_LEN, &r->job_id)) !=
	    CAIRN_OK)
		goto out;
	if ((rv = rt_names(&m->contributed, &m->ncontributed, r->contributed,
	         r->n_contributed)) != CAIRN_OK)
		goto out;
	if ((rv = rt_names(&m->dropped, &m->ndropped, r->dropped,
	         r->n_dropped)) != CAIRN_OK)
		goto out;
	if (r->ring_bits != 0 && r->ring_bits != 32 && r->ring_bits != 64 &&
	    r->ring_bits != 128) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	m->ring_bits = r->ring_bits;
	if (r->sum.len > 0) {
		if (r->ring_bits == 0 || r->sum.len % (r->ring_bits / 8) != 0) {
			rv = CAIRN_EINVAL;
			goto out;
		}
		if ((m->sum = crn_alloc(r->sum.len)) == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		memcpy(m->sum, r->sum.data, r->sum.len);
		m->sum_len = r->sum.len;
	}
	m->code = r->code;
	if ((rv = rt_str(&m->error, r->error, CRN_RT_TEXT_MAX)) != CAIRN_OK)
		goto out;
	m->needed = r->needed;
	m->answered = r->answered;
	if ((rv = rt_table(&m->table_text, r->table_text)) != CAIRN_OK ||
	    (rv = rt_table(&m->table_json, r->table_json)) != CAIRN_OK ||
	    (rv = rt_table(&m->table_csv, r->table_csv)) != CAIRN_OK)
		goto out;
	m->suppressed_cells = r->suppressed_cells;
	m->suppressed_groups = r->suppressed_groups;
	if ((rv = rt_names(&m->dropped_between, &m->ndropped_between,
	         r->dropped_between_passes, r->n_dropped_between_passes)) !=
	    CAIRN_OK)
		goto out;
	if ((rv = rt_names(&m->dropped_round, &m->ndropped_round,
	         r->dropped_round, r->n_dropped_round)) != CAIRN_OK ||
	    (rv = rt_names(&m->refused, &m->nrefused, r->refused,
	         r->n_refused)) != CAIRN_OK ||
	    (rv = rt_names(&m->refused_reason, &m->nrefused_reason,
	         r->refused_reason, r->n_refused_reason)) != CAIRN_OK ||
	    (rv = rt_names(&m->absent, &m->nabsent, r->absent, r->n_absent)) !=
	        CAIRN_OK)
		goto out;
	m->clipped = r->clipped;
	/* A parallel list is as long as its names, or empty. */
	if ((m->ndropped_round != 0 && m->ndropped_round != m->ndropped) ||
	    (m->nrefused_reason != 0 && m->nrefused_reason != m->nrefused)) {
		rv = CAIRN_EINVAL;
		goto out;
	}
	rv = CAIRN_OK;
out:
	if (r != NULL)
		cairn__job_result__free_unpacked(r, NULL);
	if (rv != CAIRN_OK)
		crn_rt_result_fini(m);
	return rv;
}

/* ---- status report ----------------------------------------------------- */

cairn_err
crn_rt_status_encode(const crn_rt_status *m, uint8_t **out, size_t *outlen)
{
	Cairn__StatusReport s = CAIRN__STATUS_REPORT__INIT;
	Cairn__SessionInfo *infos = NULL, **ptrs = NULL;
	size_t n = m->nsessions;
	cairn_err rv = CAIRN_ENOMEM;

	if (n > 0) {
		infos = crn_zalloc(n * sizeof(*infos));
		ptrs = crn_zalloc(n * sizeof(*ptrs));
		if (infos == NULL || ptrs == NULL)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const crn_rt_session_info *si = &m->sessions[i];

		cairn__session_info__init(&infos[i]);
		infos[i].session_id.data = (uint8_t *)(uintptr_t)si->session_id;
		infos[i].session_id.len = CAIRN_SESSION_ID_LEN;
		infos[i].job_id.data = (uint8_t *)(uintptr_t)si->job_id;
		infos[i].job_id.len = CRN_RT_JOB_ID_LEN;
		infos[i].researcher =
		    (char *)(uintptr_t)(si->researcher ? si->researcher : "");
		infos[i].round = si->round;
		infos[i].nodes = si->nodes;
		ptrs[i] = &infos[i];
	}
	s.n_nodes = m->nnodes;
	s.nodes = m->nodes;
	s.threshold = m->threshold;
	s.min_participants = m->min_participants;
	s.expected = m->expected;
	s.expected_threshold = m->expected_threshold;
	s.n_sessions = n;
	s.sessions = ptrs;
	rv = crn_pb_pack(&s.base, CRN_RT_MSG_MAX, out, outlen);
out:
	crn_free(infos, n * sizeof(*infos));
	crn_free(ptrs, n * sizeof(*ptrs));
	return rv;
}

cairn_err
crn_rt_status_decode(crn_rt_status *m, const uint8_t *buf, size_t len)
{
	Cairn__StatusReport *s = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((s = cairn__status_report__unpack(NULL, len, buf)) == NULL)
		goto out;
	if ((rv = rt_names(&m->nodes, &m->nnodes, s->nodes, s->n_nodes)) !=
	    CAIRN_OK)
		goto out;
	rv = CAIRN_EINVAL;
	if (s->n_sessions > CRN_RT_LIST_MAX)
		goto out;
	if (s->n_sessions > 0) {
		m->sessions = crn_zalloc(s->n_sessions * sizeof(*m->sessions));
		if (m->sessions == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		m->nsessions = s->n_sessions;
	}
	for (size_t i = 0; i < s->n_sessions; i++) {
		const Cairn__SessionInfo *si = s->sessions[i];
		crn_rt_session_info *d = &m->sessions[i];

		if ((rv = rt_fixed(d->session_id, CAIRN_SESSION_ID_LEN,
		         &si->session_id)) != CAIRN_OK)
			goto out;
		if ((rv = rt_fixed(d->job_id, CRN_RT_JOB_ID_LEN,
		         &si->job_id)) != CAIRN_OK)
			goto out;
		if ((rv = rt_str(&d->researcher, si->researcher,
		         CRN_RT_NAME_MAX)) != CAIRN_OK)
			goto out;
		d->round = si->round;
		d->nodes = si->nodes;
	}
	m->threshold = s->threshold;
	m->min_participants = s->min_participants;
	m->expected = s->expected;
	m->expected_threshold = s->expected_threshold;
	rv = CAIRN_OK;
out:
	if (s != NULL)
		cairn__status_report__free_unpacked(s, NULL);
	if (rv != CAIRN_OK)
		crn_rt_status_fini(m);
	return rv;
}

/* ---- error report ------------------------------------------------------ */

cairn_err
crn_rt_error_encode(const crn_rt_error *m, uint8_t **out, size_t *outlen)
{
	Cairn__ErrorReport e = CAIRN__ERROR_REPORT__INIT;

	e.code = m->code;
	e.message = (char *)(uintptr_t)(m->message ? m->message : "");
	return crn_pb_pack(&e.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_error_decode(crn_rt_error *m, const uint8_t *buf, size_t len)
{
	Cairn__ErrorReport *e = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((e = cairn__error_report__unpack(NULL, len, buf)) == NULL)
		goto out;
	m->code = e->code;
	rv = rt_str(&m->message, e->message, CRN_RT_TEXT_MAX);
out:
	if (e != NULL)
		cairn__error_report__free_unpacked(e, NULL);
	if (rv != CAIRN_OK)
		crn_rt_error_fini(m);
	return rv;
}

/* ---- budget (cairn budget) ---------------------------------------------- */

void
crn_rt_budget_fini(crn_rt_budget *m)
{
	if (m == NULL)
		return;
	crn_strfree(m->researcher);
	crn_strfree(m->node);
	crn_rt_names_free(m->datasets, m->n);
	crn_free(m->rho_spent, m->n * sizeof(double));
	crn_free(m->jobs, m->n * sizeof(uint64_t));
	memset(m, 0, sizeof(*m));
}

cairn_err
crn_rt_budget_req_encode(const char *researcher, uint8_t **out, size_t *outlen)
{
	Cairn__BudgetRequest m = CAIRN__BUDGET_REQUEST__INIT;

	m.researcher = (char *)(uintptr_t)(researcher ? researcher : "");
	return crn_pb_pack(&m.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_budget_req_decode(char **researcher, const uint8_t *buf, size_t len)
{
	Cairn__BudgetRequest *m;
	cairn_err rv;

	*researcher = NULL;
	if (len > CRN_RT_TEXT_MAX)
		return CAIRN_ETOOBIG;
	if ((m = cairn__budget_request__unpack(NULL, len, buf)) == NULL)
		return CAIRN_EINVAL;
	rv = rt_str(researcher, m->researcher, CRN_RT_NAME_MAX);
	cairn__budget_request__free_unpacked(m, NULL);
	return rv;
}

cairn_err
crn_rt_budget_encode(const crn_rt_budget *m, uint8_t **out, size_t *outlen)
{
	Cairn__BudgetReport r = CAIRN__BUDGET_REPORT__INIT;

	r.researcher = (char *)(uintptr_t)(m->researcher ? m->researcher : "");
	r.node = (char *)(uintptr_t)(m->node ? m->node : "");
	r.nodes = m->nodes;
	r.n_datasets = m->n;
	r.datasets = m->datasets;
	r.n_rho_spent = m->n;
	r.rho_spent = m->rho_spent;
	r.n_jobs = m->n;
	r.jobs = m->jobs;
	r.rho_limit = m->rho_limit;
	r.delta = m->delta;
	r.require_dp = m->require_dp;
	return crn_pb_pack(&r.base, CRN_RT_MSG_MAX, out, outlen);
}

cairn_err
crn_rt_budget_decode(crn_rt_budget *m, const uint8_t *buf, size_t len)
{
	Cairn__BudgetReport *r;
	cairn_err rv = CAIRN_EINVAL;

	memset(m, 0, sizeof(*m));
	if (len > CRN_RT_MSG_MAX)
		return CAIRN_ETOOBIG;
	if ((r = cairn__budget_report__unpack(NULL, len, buf)) == NULL)
		return CAIRN_EINVAL;
	if (r->n_rho_spent != r->n_datasets || r->n_jobs != r->n_datasets)
		goto out;
	if ((rv = rt_str(&m->researcher, r->researcher, CRN_RT_NAME_MAX)) !=
	        CAIRN_OK ||
	    (rv = rt_str(&m->node, r->node, CRN_RT_NAME_MAX)) != CAIRN_OK ||
	    (rv = rt_names(&m->datasets, &m->n, r->datasets, r->n_datasets)) !=
	        CAIRN_OK)
		goto out;
	rv = CAIRN_ENOMEM;
	if (m->n > 0 &&
	    ((m->rho_spent = crn_alloc(m->n * sizeof(double))) == NULL ||
	        (m->jobs = crn_alloc(m->n * sizeof(uint64_t))) == NULL))
		goto out;
	for (size_t i = 0; i < m->n; i++) {
		m->rho_spent[i] = r->rho_spent[i];
		m->jobs[i] = r->jobs[i];
	}
	m->nodes = r->nodes;
	m->rho_limit = r->rho_limit;
	m->delta = r->delta;
	m->require_dp = r->require_dp;
	rv = CAIRN_OK;
out:
	if (rv != CAIRN_OK)
		crn_rt_budget_fini(m);
	cairn__budget_report__free_unpacked(r, NULL);
	return rv;
}
