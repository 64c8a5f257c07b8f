/*
 * job_fuzz.c — crn_job_decode on arbitrary bytes (a Job arrives inside a
 * SignedJob from a researcher, through the coordinator).
 *
 * A decoded job must keep the decoder's promises: a known kind, a ring of
 * 32, 64 or 128 bits, 1 <= dim <= 2^32, a non-empty dataset name, a column
 * for a column sum, a plan for a query and a model spec for a model job
 * (JOB_MODEL), names without control
 * characters.  It must re-encode and decode to the same job.  A refused
 * input must leave *out zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "query/job.h"

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
check_name(const char *s, int may_be_empty)
{
	size_t n;

	if (s == NULL)
		abort();
	n = strlen(s);
	if ((n == 0 && !may_be_empty) || n > CRN_NAME_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void
check_job(const crn_job *j)
{
	if (j->kind != CRN_JOB_SUM_COLUMN && j->kind != CRN_JOB_QUERY &&
	    j->kind != CRN_JOB_MODEL)
		abort();
	if (j->ring_bits != 32 && j->ring_bits != 64 && j->ring_bits != 128)
		abort();
	if (j->dim == 0 || j->dim > (uint64_t)1 << 32)
		abort();
	check_name(j->dataset, 0);
	check_name(j->column, j->kind != CRN_JOB_SUM_COLUMN);
	if (j->sql == NULL)
		abort();
	if (j->kind == CRN_JOB_QUERY && (j->plan == NULL || j->plan_len == 0))
		abort();
	if ((j->plan == NULL) != (j->plan_len == 0))
		abort();
	if (j->kind == CRN_JOB_MODEL && (j->model == NULL || j->model_len == 0))
		abort();
	if ((j->model == NULL) != (j->model_len == 0))
		abort();
}

static int
same_str(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void
check_same(const crn_job *a, const crn_job *b)
{
	if (memcmp(a->job_id, b->job_id, CRN_JOB_ID_LEN) != 0 ||
	    a->kind != b->kind || !same_str(a->dataset, b->dataset) ||
	    !same_str(a->column, b->column) || !same_str(a->sql, b->sql) ||
	    a->plan_len != b->plan_len ||
	    (a->plan_len > 0 && memcmp(a->plan, b->plan, a->plan_len) != 0) ||
	    a->model_len != b->model_len ||
	    (a->model_len > 0 && memcmp(a->model, b->model, a->model_len) != 0) ||
	    a->issued_at != b->issued_at || a->not_after != b->not_after ||
	    a->ring_bits != b->ring_bits || a->dim != b->dim)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_job job, again;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	cairn_err rv;

	rv = crn_job_decode(&job, data, size);
	if (rv != CAIRN_OK) {
		if (!all_zero(&job, sizeof(job)))
			abort();
		if (rv != CAIRN_EINVAL && rv != CAIRN_ETOOBIG)
			abort();
		return 0;
	}
	check_job(&job);
	if (crn_job_encode(&job, &wire, &wlen) != CAIRN_OK)
		abort();
	if (crn_job_decode(&again, wire, wlen) != CAIRN_OK)
		abort();
	check_same(&job, &again);
	/* A job is never early at its own issue time or at the end of time,
	 * however large the skew (now + skew must not wrap around). */
	if (crn_job_check_time(&job, job.issued_at, 0) == CAIRN_ENOTYET ||
	    crn_job_check_time(&job, job.issued_at, UINT64_MAX) ==
	        CAIRN_ENOTYET ||
	    crn_job_check_time(&job, UINT64_MAX, 1) == CAIRN_ENOTYET)
		abort();
	crn_free(wire, wlen);
	crn_job_fini(&again);
	crn_job_fini(&job);
	if (!all_zero(&job, sizeof(job)))
		abort();
	return 0;
}
