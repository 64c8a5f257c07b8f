/*
 * release_fuzz.c — crn_release_decode on arbitrary bytes (the cells a
 * coordinator announces between the two passes of a query; every node
 * decodes them).
 *
 * A decoded list must keep the decoder's promises: ids of 16 bytes, at
 * most the planner's groups, groups strictly increasing, groups * (1 +
 * nmeasures) counts.  It must re-encode and decode to the same list.  A
 * refused input must leave the struct zeroed.  Whatever decodes is then
 * checked against a column-sum plan and, when the check passes, turned
 * into a pass-2 vector, as a node would: neither may crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "query/codec_release.h"
#include "base/crn.h"
#include "query/release.h"
#include "query/sql_plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
check_list(const crn_release *r)
{
	if (r->ngroups > CRN_PLAN_MAX_GROUPS ||
	    r->nmeasures > CRN_PLAN_MAX_OUTPUTS)
		abort();
	if ((r->ngroups == 0) != (r->groups == NULL) ||
	    (r->ngroups == 0) != (r->counts == NULL))
		abort();
	for (uint64_t k = 1; k < r->ngroups; k++)
		if (r->groups[k] <= r->groups[k - 1])
			abort();
}

static void
check_same(const crn_release *a, const crn_release *b)
{
	size_t nc = (size_t)(a->ngroups * (1 + (uint64_t)a->nmeasures));

	if (memcmp(a->job_id, b->job_id, sizeof(a->job_id)) != 0 ||
	    memcmp(a->counts_sid, b->counts_sid, sizeof(a->counts_sid)) != 0 ||
	    a->min_cell != b->min_cell || a->threshold != b->threshold ||
	    a->nodes != b->nodes || a->nmeasures != b->nmeasures ||
	    a->ngroups != b->ngroups)
		abort();
	if (a->ngroups > 0 &&
	    (memcmp(a->groups, b->groups, a->ngroups * sizeof(uint64_t)) != 0 ||
	        memcmp(a->counts, b->counts, nc * sizeof(uint64_t)) != 0))
		abort();
}

/* What a node does with a list for a column-sum job. */
static void
as_node(const crn_release *r)
{
	crn_plan *p = NULL;
	uint64_t full[4] = {7, 6, 600, 1}, withheld = 0;
	void *v = NULL;
	size_t vlen = 0;

	if (crn_release_sum_plan(
	        &p, "t", "x", 2, -1000, 1000, 64, 100, 10, 3) != CAIRN_OK)
		return;
	if (crn_release_check(p, r) == CAIRN_OK && r->ngroups > 0) {
		if (crn_release_figures_vector(p, r, full, r->min_cell, &v,
		        &vlen, &withheld) != CAIRN_OK)
			abort(); /* a list that passed the check */
		if (vlen != crn_release_figures_dim(p, r) * sizeof(uint64_t))
			abort();
		crn_freezero(v, vlen);
	}
	crn_plan_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_release r, again;
	uint8_t *buf = NULL;
	size_t len = 0;

	if (crn_release_decode(&r, data, size) != CAIRN_OK) {
		if (!all_zero(&r, sizeof(r)))
			abort();
		return 0;
	}
	check_list(&r);
	if (crn_release_encode(&r, &buf, &len) != CAIRN_OK)
		abort();
	if (crn_release_decode(&again, buf, len) != CAIRN_OK)
		abort();
	check_same(&r, &again);
	as_node(&r);
	crn_release_fini(&again);
	crn_free(buf, len);
	crn_release_fini(&r);
	return 0;
}
