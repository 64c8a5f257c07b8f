/*
 * codec_release.c — release lists to and from cairn.plan.ReleaseList.
 * See codec_release.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "query/codec_release.h"
#include "proto/codec_util.h"
#include "base/crn.h"
#include "proto/plan.pb-c.h"
#include "query/sql_plan.h"

/* The shape every list must have, on both sides of the wire. */
static bool
shape_ok(uint64_t ngroups, uint32_t nmeasures, const uint64_t *groups,
    size_t ncounts)
{
	if (ngroups > CRN_PLAN_MAX_GROUPS || nmeasures > CRN_PLAN_MAX_OUTPUTS)
		return false;
	if (ncounts != ngroups * (1 + (uint64_t)nmeasures) ||
	    ncounts > CRN_PLAN_MAX_DIM)
		return false;
	for (uint64_t k = 1; k < ngroups; k++)
		if (groups[k] <= groups[k - 1])
			return false;
	return true;
}

cairn_err
crn_release_encode(const crn_release *r, uint8_t **out, size_t *outlen)
{
	Cairn__Plan__ReleaseList m = CAIRN__PLAN__RELEASE_LIST__INIT;
	size_t ncounts = (size_t)(r->ngroups * (1 + (uint64_t)r->nmeasures));

	*out = NULL;
	*outlen = 0;
	if (!shape_ok(r->ngroups, r->nmeasures, r->groups, ncounts) ||
	    (r->ngroups > 0 && (r->groups == NULL || r->counts == NULL)))
		return CAIRN_EINVAL;
	m.job_id.data = (uint8_t *)(uintptr_t)r->job_id;
	m.job_id.len = CRN_RELEASE_JOB_ID_LEN;
	m.counts_session_id.data = (uint8_t *)(uintptr_t)r->counts_sid;
	m.counts_session_id.len = CAIRN_SESSION_ID_LEN;
	m.min_cell = r->min_cell;
	m.threshold = r->threshold;
	m.nodes = r->nodes;
	m.nmeasures = r->nmeasures;
	m.n_groups = (size_t)r->ngroups;
	m.groups = r->groups;
	m.n_counts = ncounts;
	m.counts = r->counts;
	return crn_pb_pack(&m.base, CRN_RELEASE_MAX_ENCODED, out, outlen);
}

static cairn_err
release_copy(crn_release *r, const Cairn__Plan__ReleaseList *m)
{
	size_t gsz = m->n_groups * sizeof(uint64_t);
	size_t csz = m->n_counts * sizeof(uint64_t);

	if (m->job_id.len != CRN_RELEASE_JOB_ID_LEN ||
	    m->counts_session_id.len != CAIRN_SESSION_ID_LEN ||
	    !shape_ok(m->n_groups, m->nmeasures, m->groups, m->n_counts))
		return CAIRN_EINVAL;
	memcpy(r->job_id, m->job_id.data, CRN_RELEASE_JOB_ID_LEN);
	memcpy(r->counts_sid, m->counts_session_id.data, CAIRN_SESSION_ID_LEN);
	r->min_cell = m->min_cell;
	r->threshold = m->threshold;
	r->nodes = m->nodes;
	r->nmeasures = m->nmeasures;
	if (m->n_groups == 0)
		return CAIRN_OK;
	r->groups = crn_alloc(gsz);
	r->counts = crn_alloc(csz);
	if (r->groups == NULL || r->counts == NULL) {
		crn_free(r->groups, gsz);
		crn_free(r->counts, csz);
		r->groups = r->counts = NULL;
		return CAIRN_ENOMEM;
	}
	memcpy(r->groups, m->groups, gsz);
	memcpy(r->counts, m->counts, csz);
	r->ngroups = m->n_groups;
	return CAIRN_OK;
}

cairn_err
crn_release_decode(crn_release *r, const uint8_t *buf, size_t len)
{
	Cairn__Plan__ReleaseList *m = NULL;
	cairn_err rv = CAIRN_EINVAL;

	memset(r, 0, sizeof(*r));
	if (len > CRN_RELEASE_MAX_ENCODED)
		return CAIRN_ETOOBIG;
	if ((m = cairn__plan__release_list__unpack(NULL, len, buf)) == NULL)
		goto out;
	rv = release_copy(r, m);
out:
	if (m != NULL)
		cairn__plan__release_list__free_unpacked(m, NULL);
	if (rv != CAIRN_OK)
		crn_release_fini(r);
	return rv;
}
