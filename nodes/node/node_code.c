/*
 * node_code.c — a node's side of approved-code jobs (node_code.h).
 *
 * Like node_exec.c this file sees core/exec/exec.h but not
 * nodes/runtime/config.h (both name the source kinds): the daemon hands
 * its policy in as crn_node_code_policy.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "exec/exec.h"
#include "lua/code.h"
#include "node/node_code.h"
#include "proto/job.h"
#include "query/schema.h"
#include "query/sql_plan.h"

/* Hex SHA-256 of a regular file (at most CRN_JOB_CODE_MAX bytes: a larger
 * file could never be a job's program). */
static bool
nc_file_hash(int dirfd, const char *name, char hex[CRN_CODE_HEX_LEN])
{
	uint8_t *buf = NULL;
	struct stat st;
	size_t got = 0;
	bool ok = false;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)CRN_JOB_CODE_MAX ||
	    (buf = crn_alloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	crn_code_hash_hex(buf, got, hex);
	ok = true;
out:
	if (buf != NULL)
		crn_free(buf, (size_t)st.st_size + 1);
	close(fd);
	return ok;
}

static bool
nc_dir_has(const char *dir, const char *want)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char hex[CRN_CODE_HEX_LEN];
	bool found = false;

	if (d == NULL) {
		crn_log_warn("approved_code_dir %s: %s", dir, strerror(errno));
		return false;
	}
	while (!found && (e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (nc_file_hash(dirfd(d), e->d_name, hex) &&
		    crn_ct_eq(hex, want, CRN_CODE_HEX_LEN - 1))
			found = true;
	}
	closedir(d);
	return found;
}

cairn_err
crn_node_code_approved(const crn_node_code_policy *p, const uint8_t hash[32],
    char *err, size_t errlen)
{
	static const char digits[] = "0123456789abcdef";
	char hex[CRN_CODE_HEX_LEN];

	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[hash[i] >> 4];
		hex[2 * i + 1] = digits[hash[i] & 15];
	}
	hex[64] = '\0';
	for (size_t i = 0; i < p->napproved; i++)
		if (strlen(p->approved[i]) == 64 &&
		    crn_ct_eq(p->approved[i], hex, 64))
			return CAIRN_OK;
	if (p->approved_dir != NULL && nc_dir_has(p->approved_dir, hex))
		return CAIRN_OK;
	snprintf(err, errlen,
	    "program sha256 %s is not approved here; send it to the node's operators for review",
	    hex);
	return CAIRN_EPERM;
}

/* The first unexposed column the filter reads, or NULL. */
static const char *
nc_where_unexposed(const crn_expr *e, const crn_dataset *ds,
    char *const *expose, size_t nexpose)
{
	switch (e->kind) {
	case CRN_EX_CMP:
	case CRN_EX_IN:
	case CRN_EX_BETWEEN:
	case CRN_EX_ISNULL:
	case CRN_EX_NOTNULL: {
		bool ok = false;

		if (e->col >= ds->ncols)
			return "?";
		for (size_t i = 0; i < nexpose && !ok; i++)
			ok = strcmp(expose[i], ds->cols[e->col].name) == 0;
		return ok ? NULL : ds->cols[e->col].name;
	}
	default: break;
	}
	for (size_t i = 0; i < e->nkids; i++) {
		const char *bad =
		    nc_where_unexposed(&e->kids[i], ds, expose, nexpose);

		if (bad != NULL)
			return bad;
	}
	return NULL;
}

/*
 * DP hook: distributed DP noise for a program's output goes here, added to
 * the encoded vector (fixed point, scale d->scale) before it is masked,
 * with the per-element sensitivity d->hi - d->lo from the declaration.
 * Not built yet (the DP issue): the output leaves without noise.
 */
static cairn_err
nc_dp_hook(const crn_code_decl *d, uint64_t *vec, size_t dim)
{
	(void)d;
	(void)vec;
	(void)dim;
	return CAIRN_OK;
}

/* The job's declaration, checked for this federation. */
static cairn_err
nc_decl(const crn_node_code_policy *p, const crn_job *job, crn_code_decl *d,
    char *err, size_t errlen)
{
	d->len = job->out_len;
	d->lo = job->out_lo;
	d->hi = job->out_hi;
	d->scale = job->out_scale;
	if (job->ring_bits != CRN_CODE_RING_BITS || job->dim != d->len + 1) {
		snprintf(err, errlen, "code job vector is not %llu x 64-bit",
		    (unsigned long long)d->len + 1);
		return CAIRN_EPERM;
	}
	if (crn_code_decl_check(d, p->max_nodes, err, errlen) != CAIRN_OK)
		return CAIRN_EPERM;
	return CAIRN_OK;
}

cairn_err
crn_node_run_code(const crn_node_code_policy *p, const crn_node_src *src,
    const crn_schema *schema, const crn_job *job, char *const *expose,
    size_t nexpose, void **vec, size_t *vlen, char *err, size_t errlen,
    char *remote, size_t remotelen)
{
	const crn_dataset *ds =
	    schema != NULL ? crn_schema_dataset(schema, job->dataset) : NULL;
	crn_lua_limits lim = {.mem_bytes = (size_t)p->memory_mb << 20,
	    .steps = (uint64_t)p->steps_m * 1000000,
	    .timeout_ms = p->timeout_ms};
	crn_code_decl d;
	crn_code_data data;
	crn_code_stats st;
	crn_lua_verdict verdict = CRN_LUA_OK;
	crn_plan *plan = NULL;
	crn_source s;
	crn_colmap *map = NULL;
	char *sql = NULL, hex[CRN_CODE_HEX_LEN];
	size_t sqllen = 0, len = 0;
	uint64_t *v = NULL;
	cairn_err rv;

	*vec = NULL;
	*vlen = 0;
	memset(&data, 0, sizeof(data));
	/* Approval before anything else: an unapproved program never sees
	 * a row, a file or the schema. */
	if ((rv = crn_node_code_approved(p, job->code_hash, err, errlen)) !=
	        CAIRN_OK ||
	    (rv = nc_decl(p, job, &d, err, errlen)) != CAIRN_OK)
		goto policy;
	rv = CAIRN_EPERM;
	if (ds == NULL) {
		snprintf(err, errlen,
		    "no federation schema for dataset '%s' here (schema = in [node])",
		    job->dataset);
		goto policy;
	}
	if ((rv = crn_code_where_sql(
	         job->dataset, job->where, &sql, &sqllen)) != CAIRN_OK) {
		snprintf(err, errlen, "bad dataset name");
		goto policy;
	}
	if ((rv = crn_sql_plan(schema, sql, &plan, err, errlen)) != CAIRN_OK) {
		snprintf(remote, remotelen, "the WHERE does not plan: %s", err);
		goto out;
	}
	/* The WHERE may read only exposed columns: a program could count
	 * the rows a condition on any other column keeps. */
	{
		const char *bad =
		    nc_where_unexposed(&plan->where, ds, expose, nexpose);

		if (bad != NULL) {
			rv = CAIRN_EPERM;
			snprintf(
			    err, errlen, "column '%s' is not exposed", bad);
			goto policy;
		}
	}
	if ((rv = crn_node_exec_source(src, &s, &map)) != CAIRN_OK)
		goto out;
	crn_code_hash_hex(job->code, job->code_len, hex);
	if ((rv = crn_code_scan(plan, ds, &s, expose, nexpose, &data, err,
	         errlen)) != CAIRN_OK)
		goto out;
	len = (size_t)job->dim * sizeof(uint64_t);
	if ((v = crn_zalloc(len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	rv = crn_code_node_run((const char *)job->code, job->code_len, &lim,
	    crn_code_seed(job->job_id, CRN_JOB_ID_LEN, job->round), &data,
	    job->params, job->nparams, &d, v, NULL, &st, &verdict, err, errlen);
	if (rv != CAIRN_OK) {
		snprintf(remote, remotelen, "code job: %s; see the node's log",
		    crn_lua_reason(verdict));
		goto out;
	}
	if ((rv = nc_dp_hook(&d, v, (size_t)job->dim)) != CAIRN_OK)
		goto out;
	crn_log_info(
	    "code %s round %u: %llu rows, %llu values clipped, %llu steps, %zu bytes of Lua memory at most",
	    hex, job->round, (unsigned long long)st.rows,
	    (unsigned long long)st.clipped, (unsigned long long)st.steps,
	    st.peak);
	*vec = v;
	*vlen = len;
	v = NULL;
	goto out;
policy:
	snprintf(remote, remotelen, "%s", err);
out:
	if (v != NULL)
		crn_freezero(v, len);
	crn_code_data_fini(&data);
	crn_free(map, src->nmap * sizeof(*map));
	crn_plan_free(plan);
	crn_free(sql, sqllen);
	return rv;
}
