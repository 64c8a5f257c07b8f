/*
 * job_ledger.c — append-only file of the job ids a node has run.  See
 * job_ledger.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/crn.h"
#include "node/job_ledger.h"

#define JL_FILE "jobs.ledger"
/* One line: the job id in hex and a newline. */
#define JL_LINE (2 * CRN_JOB_ID_LEN + 1)

struct crn_job_ledger {
	int fd;
	uint8_t (*ids)[CRN_JOB_ID_LEN];
	size_t n, cap;
};

/* mkdir -p with mode 0700 for the directories we create. */
static cairn_err
jl_mkdirs(const char *dir, char *err, size_t errlen)
{
	char path[4096];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(path)) {
		snprintf(err, errlen, "state_dir: path too long");
		return CAIRN_EINVAL;
	}
	memcpy(path, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return CAIRN_ESYS;
		}
		path[i] = i == n ? '\0' : '/';
	}
	return CAIRN_OK;
}

static int
jl_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static cairn_err
jl_push(crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN])
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		uint8_t(*v)[CRN_JOB_ID_LEN] = crn_alloc(cap * sizeof(*v));

		if (v == NULL)
			return CAIRN_ENOMEM;
		if (l->n > 0)
			memcpy(v, l->ids, l->n * sizeof(*v));
		crn_free(l->ids, l->cap * sizeof(*l->ids));
		l->ids = v;
		l->cap = cap;
	}
	memcpy(l->ids[l->n++], id, CRN_JOB_ID_LEN);
	return CAIRN_OK;
}

/* Read every line of the file; a damaged line is an error. */
static cairn_err
jl_read(crn_job_ledger *l, const char *path, char *err, size_t errlen)
{
	char buf[JL_LINE * 256];
	char line[JL_LINE];
	size_t have = 0, lineno = 1;
	ssize_t got;
	cairn_err rv;

	while ((got = read(l->fd, buf, sizeof(buf))) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return CAIRN_ESYS;
		}
		for (ssize_t i = 0; i < got; i++) {
			uint8_t id[CRN_JOB_ID_LEN];

			if (buf[i] != '\n') {
				if (have == JL_LINE - 1)
					goto bad;
				line[have++] = buf[i];
				continue;
			}
			if (have != JL_LINE - 1)
				goto bad;
			for (size_t k = 0; k < CRN_JOB_ID_LEN; k++) {
				int hi = jl_hexval(line[2 * k]);
				int lo = jl_hexval(line[2 * k + 1]);

				if (hi < 0 || lo < 0)
					goto bad;
				id[k] = (uint8_t)(hi << 4 | lo);
			}
			if ((rv = jl_push(l, id)) != CAIRN_OK)
				return rv;
			have = 0;
			lineno++;
		}
	}
	/* A torn last line (a crash while appending) is damage too: the
	 * node cannot tell which job it was. */
	if (have != 0)
		goto bad;
	return CAIRN_OK;
bad:
	snprintf(err, errlen,
	    "%s:%zu: not a job id (damaged ledger; the node will not start without knowing which jobs it ran)",
	    path, lineno);
	return CAIRN_EDATA;
}

cairn_err
crn_job_ledger_open(
    crn_job_ledger **out, const char *state_dir, char *err, size_t errlen)
{
	crn_job_ledger *l = NULL;
	char path[4096 + sizeof(JL_FILE) + 1];
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((rv = jl_mkdirs(state_dir, err, errlen)) != CAIRN_OK)
		goto out;
	if ((l = crn_zalloc(sizeof(*l))) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	l->fd = -1;
	snprintf(path, sizeof(path), "%s/%s", state_dir, JL_FILE);
	if ((l->fd = open(
	         path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	if ((rv = jl_read(l, path, err, errlen)) != CAIRN_OK)
		goto out;
	*out = l;
	l = NULL;
	rv = CAIRN_OK;
out:
	crn_job_ledger_close(l);
	return rv;
}

void
crn_job_ledger_close(crn_job_ledger *l)
{
	if (l == NULL)
		return;
	if (l->fd >= 0)
		(void)close(l->fd);
	crn_free(l->ids, l->cap * sizeof(*l->ids));
	crn_free(l, sizeof(*l));
}

bool
crn_job_ledger_has(const crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN])
{
	/* Job ids are public (they travel in clear in signed jobs), so a
	 * plain comparison is fine. */
	for (size_t i = 0; i < l->n; i++) {
		if (memcmp(l->ids[i], id, CRN_JOB_ID_LEN) == 0)
			return true;
	}
	return false;
}

cairn_err
crn_job_ledger_add(crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN])
{
	char line[JL_LINE + 1];
	size_t off = 0;
	cairn_err rv;

	if (crn_job_ledger_has(l, id))
		return CAIRN_EREPLAY;
	for (size_t k = 0; k < CRN_JOB_ID_LEN; k++) {
		line[2 * k] = "0123456789abcdef"[id[k] >> 4];
		line[2 * k + 1] = "0123456789abcdef"[id[k] & 15];
	}
	line[JL_LINE - 1] = '\n';
	while (off < JL_LINE) {
		ssize_t w = write(l->fd, line + off, JL_LINE - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			crn_log_err("job ledger: %s", strerror(errno));
			return CAIRN_ESYS;
		}
		off += (size_t)w;
	}
	if (fsync(l->fd) != 0) {
		crn_log_err("job ledger: fsync: %s", strerror(errno));
		return CAIRN_ESYS;
	}
	if ((rv = jl_push(l, id)) != CAIRN_OK)
		return rv;
	return CAIRN_OK;
}

size_t
crn_job_ledger_count(const crn_job_ledger *l)
{
	return l->n;
}
