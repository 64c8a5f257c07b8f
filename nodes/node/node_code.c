/*
 * node_code.c — a node's side of approved-code jobs (node_code.h).
 *
 * Like node_exec.c this file sees core/exec/exec.h but not
 * nodes/runtime/config.h (both name the source kinds): the daemon hands
 * its policy in as crn_node_code_policy.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "base/file.h"
#include "crypto/crypto.h"
#include "crypto/dp.h"
#include "exec/exec.h"
#include "lua/code.h"
#include "node/node_code.h"
#include "proto/job.h"
#include "query/dp_account.h"
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

/* ---- approvals kept in the node's state ('cairn node approve-code') ---- */

/* Is name in list: "*" for any, else comma-separated names. */
static bool
nc_in_list(const char *list, const char *name)
{
	size_t n;

	if (strcmp(list, "*") == 0)
		return true;
	if (name == NULL)
		return false;
	n = strlen(name);
	for (const char *p = list; *p != '\0';) {
		size_t k = strcspn(p, ",");

		if (k == n && strncmp(p, name, n) == 0)
			return true;
		p += k;
		if (*p == ',')
			p++;
	}
	return false;
}

/* A list as the operator gave it into out: "*" (or NULL) for any, else
 * names of A-Z a-z 0-9 . _ - separated by commas (spaces dropped). */
static cairn_err
nc_list_norm(const char *in, char *out, size_t outlen, const char *what,
    char *err, size_t errlen)
{
	size_t o = 0;
	bool empty = true;

	if (in == NULL || strcmp(in, "*") == 0) {
		snprintf(out, outlen, "*");
		return CAIRN_OK;
	}
	for (const char *p = in; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == ' ')
			continue;
		if (c == ','
		        ? empty
		        : !(isalnum(c) || c == '.' || c == '_' || c == '-'))
			goto bad;
		empty = c == ',';
		if (o + 1 >= outlen)
			goto bad;
		out[o++] = (char)c;
	}
	if (empty)
		goto bad;
	out[o] = '\0';
	return CAIRN_OK;
bad:
	snprintf(err, errlen,
	    "--%s takes names (A-Z a-z 0-9 . _ -) separated by commas, or '*', at most %zu bytes; got '%s'",
	    what, outlen - 1, in);
	return CAIRN_EINVAL;
}

/* One line "HASH DATASETS RESEARCHERS FILE" into e; false if malformed. */
static bool
nc_parse_line(char *line, crn_node_code_entry *e)
{
	char *save = NULL, *h, *ds, *rs, *f;

	h = strtok_r(line, " ", &save);
	ds = strtok_r(NULL, " ", &save);
	rs = strtok_r(NULL, " ", &save);
	f = strtok_r(NULL, "", &save);
	if (h == NULL || ds == NULL || rs == NULL || strlen(h) != 64 ||
	    strspn(h, "0123456789abcdef") != 64 ||
	    strlen(ds) >= sizeof(e->datasets) ||
	    strlen(rs) >= sizeof(e->researchers))
		return false;
	memset(e, 0, sizeof(*e));
	memcpy(e->hash, h, 65);
	memcpy(e->datasets, ds, strlen(ds) + 1);
	memcpy(e->researchers, rs, strlen(rs) + 1);
	snprintf(e->file, sizeof(e->file), "%s", f != NULL ? f : "");
	return true;
}

cairn_err
crn_node_code_entries(const char *state_dir, crn_node_code_entry **out,
    size_t *n, char *err, size_t errlen)
{
	char path[4096], *line;
	uint8_t *buf = NULL;
	size_t len = 0, lines = 1, k = 0, lineno = 0;
	cairn_err rv;

	*out = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/%s", state_dir, CRN_NODE_CODE_FILE);
	rv = crn_file_read(path, 4u << 20, &buf, &len);
	if (rv == CAIRN_ENOENT)
		return (*out = crn_zalloc(sizeof(**out))) != NULL
		    ? CAIRN_OK
		    : CAIRN_ENOMEM;
	if (rv != CAIRN_OK) {
		snprintf(err, errlen, "%s: %s", path, cairn_strerror(rv));
		return rv;
	}
	for (size_t i = 0; i < len; i++)
		lines += buf[i] == '\n';
	if ((*out = crn_zalloc((lines + 1) * sizeof(**out))) == NULL) {
		crn_free(buf, len + 1);
		return CAIRN_ENOMEM;
	}
	rv = CAIRN_OK;
	/* Line by line (strtok_r would skip empty lines and miscount). */
	for (char *p = (char *)buf; rv == CAIRN_OK && p != NULL;) {
		char *eol = strchr(p, '\n');

		if (eol != NULL)
			*eol = '\0';
		lineno++;
		line = p;
		p = eol != NULL ? eol + 1 : NULL;
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (!nc_parse_line(line, &(*out)[k])) {
			snprintf(err, errlen,
			    "%s:%zu: not 'SHA256 DATASETS RESEARCHERS FILE'",
			    path, lineno);
			rv = CAIRN_EDATA;
		}
		k++;
	}
	crn_free(buf, len + 1);
	if (rv != CAIRN_OK) {
		crn_free(*out, (lines + 1) * sizeof(**out));
		*out = NULL;
		return rv;
	}
	/* Shrinking would only save memory; the size to free is n + 1. */
	{
		crn_node_code_entry *t = crn_zalloc((k + 1) * sizeof(*t));

		if (t == NULL) {
			crn_free(*out, (lines + 1) * sizeof(**out));
			*out = NULL;
			return CAIRN_ENOMEM;
		}
		memcpy(t, *out, k * sizeof(*t));
		crn_free(*out, (lines + 1) * sizeof(**out));
		*out = t;
	}
	*n = k;
	return CAIRN_OK;
}

cairn_err
crn_node_code_approve(const char *state_dir, const void *src, size_t len,
    const char *file, const char *datasets, const char *researchers,
    char hex[CRN_CODE_HEX_LEN], char *err, size_t errlen)
{
	crn_node_code_entry *e = NULL;
	char ds[512], rs[512], path[4096], name[256];
	const char *base = strrchr(file, '/');
	char *text = NULL;
	size_t n = 0, cap, off;
	cairn_err rv;

	crn_code_hash_hex(src, len, hex);
	if ((rv = nc_list_norm(datasets, ds, sizeof(ds), "datasets", err,
	         errlen)) != CAIRN_OK ||
	    (rv = nc_list_norm(researchers, rs, sizeof(rs), "researchers", err,
	         errlen)) != CAIRN_OK)
		return rv;
	snprintf(name, sizeof(name), "%s", base != NULL ? base + 1 : file);
	for (char *c = name; *c != '\0'; c++)
		if (*c == '\n' || *c == '\r')
			*c = '_';
	if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", state_dir,
		    strerror(errno));
		return CAIRN_ESYS;
	}
	if ((rv = crn_node_code_entries(state_dir, &e, &n, err, errlen)) !=
	    CAIRN_OK)
		return rv;
	cap = (n + 2) * (sizeof(*e) + 8) + 256;
	if ((text = crn_alloc(cap)) == NULL) {
		crn_free(e, (n + 1) * sizeof(*e));
		return CAIRN_ENOMEM;
	}
	off = (size_t)snprintf(text, cap,
	    "# programs approved with 'cairn node approve-code': SHA256 DATASETS RESEARCHERS FILE\n");
	for (size_t i = 0; i < n; i++)
		if (strcmp(e[i].hash, hex) != 0)
			off += (size_t)snprintf(text + off, cap - off,
			    "%s %s %s %s\n", e[i].hash, e[i].datasets,
			    e[i].researchers, e[i].file);
	off += (size_t)snprintf(
	    text + off, cap - off, "%s %s %s %s\n", hex, ds, rs, name);
	snprintf(path, sizeof(path), "%s/%s", state_dir, CRN_NODE_CODE_FILE);
	if ((rv = crn_file_write_atomic(path, text, off, 0600)) != CAIRN_OK)
		snprintf(err, errlen, "cannot write %s: %s", path,
		    cairn_strerror(rv));
	crn_free(text, cap);
	crn_free(e, (n + 1) * sizeof(*e));
	return rv;
}

/* Approved in the state directory for this job's dataset and researcher. */
static bool
nc_state_has(const crn_node_code_policy *p, const char *hex)
{
	crn_node_code_entry *e = NULL;
	size_t n = 0;
	char err[512];
	bool found = false;

	if (crn_node_code_entries(p->state_dir, &e, &n, err, sizeof(err)) !=
	    CAIRN_OK) {
		crn_log_warn("approved programs: %s", err);
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if (crn_ct_eq(e[i].hash, hex, 64) &&
		    nc_in_list(e[i].datasets, p->dataset) &&
		    nc_in_list(e[i].researchers, p->researcher))
			found = true;
	crn_free(e, (n + 1) * sizeof(*e));
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
	if (p->state_dir != NULL && nc_state_has(p, hex))
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

cairn_err
crn_node_code_dp_add(const crn_code_decl *d, uint64_t *vec, double rho,
    uint32_t t, uint32_t max_nodes)
{
	crn_dp_noise nz;
	crn_dp_rng r;
	cairn_err rv;

	if ((rv = crn_dp_noise_code(
	         &nz, d->len, d->lo, d->hi, d->scale, rho, t)) != CAIRN_OK)
		return rv;
	/* Every node's noise must stay far inside the ring beside the
	 * values the declaration allows (below 2^62): 16 sd of max_nodes
	 * draws below 2^62 too. */
	for (int c = CRN_DP_COUNTS; c <= CRN_DP_SUMS; c++)
		if (16 *
		        sqrtl((long double)nz.node_sigma2[c] *
		            (max_nodes > 0 ? max_nodes : 1)) >=
		    ldexpl(1.0L, 62))
			return CAIRN_ETOOBIG;
	crn_dp_rng_init_os(&r);
	for (uint64_t i = 0; i <= d->len && rv == CAIRN_OK; i++) {
		__int128 x = 0;

		rv = crn_dp_gauss(&r,
		    nz.node_sigma2[i < d->len ? CRN_DP_SUMS : CRN_DP_COUNTS],
		    &x);
		/* Two's complement: the low 64 bits add x in the ring. */
		vec[i] += (uint64_t)(unsigned __int128)x;
		x = 0;
	}
	crn_dp_rng_fini(&r);
	return rv;
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

/*
 * The researcher's WHERE left the node a few rows (1 to min_cell - 1): the
 * program's output would be theirs alone; refused, with no count in the
 * message.  Not under DP: the noise covers those rows, and a refusal would
 * be an exact answer about them at any epsilon.
 */
static cairn_err
nc_few_rows(
    const crn_node_code_policy *p, size_t nrows, char *err, size_t errlen)
{
	if (p->dp_rho > 0 || nrows == 0 || nrows >= p->min_cell)
		return CAIRN_OK;
	snprintf(err, errlen,
	    "code job: the WHERE leaves fewer than min_cell %u of this node's rows",
	    p->min_cell);
	return CAIRN_EPERM;
}

/*
 * Under DP a program's failure must not reach the researcher: whether it
 * fails can depend on one row ("error() where the person is"), an exact
 * answer at any epsilon.  The node sends instead the output of a program
 * that returned zeros (clipped to [lo, hi]), with its noise: one row may
 * move every value anywhere in [lo, hi] already (crn_dp_noise_code), so
 * this is inside what the noise was sized for.
 */
static cairn_err
nc_zero_output(const crn_code_decl *d, uint64_t *v, size_t len)
{
	double *zero = crn_zalloc((size_t)d->len * sizeof(double));
	uint64_t clipped = 0;

	if (zero == NULL)
		return CAIRN_ENOMEM;
	memset(v, 0, len);
	crn_code_encode(d, zero, v, &clipped);
	crn_free(zero, (size_t)d->len * sizeof(double));
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
	crn_lua_named named;
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
	if ((rv = nc_few_rows(p, data.nrows, err, errlen)) != CAIRN_OK) {
		snprintf(remote, remotelen, "%s", err);
		goto out;
	}
	len = (size_t)job->dim * sizeof(uint64_t);
	if ((v = crn_zalloc(len)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	named.names = job->pnames;
	named.values = job->pvalues;
	named.n = job->nnamed;
	rv = crn_code_node_run((const char *)job->code, job->code_len, &lim,
	    crn_code_seed(job->job_id, CRN_JOB_ID_LEN, job->round), &data,
	    job->params, job->nparams, &named, &d, v, NULL, &st, &verdict, err,
	    errlen);
	if (rv != CAIRN_OK && p->dp_rho > 0 && verdict != CRN_LUA_OK) {
		crn_log_warn(
		    "code %s round %u: the program failed (%s: %s); under DP this node sends the output of zeros clipped to [%g, %g] instead of a refusal",
		    hex, job->round, crn_lua_reason(verdict), err, d.lo, d.hi);
		memset(&st, 0, sizeof(st));
		rv = nc_zero_output(&d, v, len);
	}
	if (rv != CAIRN_OK) {
		snprintf(remote, remotelen, "code job: %s; see the node's log",
		    crn_lua_reason(verdict));
		goto out;
	}
	if (p->dp_rho > 0 &&
	    (rv = crn_node_code_dp_add(
	         &d, v, p->dp_rho, p->dp_t, p->max_nodes)) != CAIRN_OK) {
		snprintf(err, errlen, "DP noise for the program's output: %s",
		    cairn_strerror(rv));
		snprintf(remote, remotelen, "%s", err);
		goto out;
	}
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
