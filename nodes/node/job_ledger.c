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
#include "base/file.h"
#include "node/job_ledger.h"

#define JL_FILE "jobs.ledger"
/* One line: the job id in hex, a space, the job's not_after (unix
 * seconds, decimal) and a newline.  Ledgers written before ids expired
 * have the id alone; such a line is kept for ever. */
#define JL_ID_HEX  (2 * CRN_JOB_ID_LEN)
#define JL_LINE    (JL_ID_HEX + 1 + 20 + 1)
#define JL_FOREVER UINT64_MAX

typedef struct jl_entry {
	uint8_t id[CRN_JOB_ID_LEN];
	uint64_t not_after; /* JL_FOREVER: an old line without one */
} jl_entry;

struct crn_job_ledger {
	int fd;
	char *path;
	jl_entry *ids;
	size_t n, cap;
	size_t lines; /* in the file: n plus the lines of forgotten ids */
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

/* Whether an entry may be forgotten at unix time now: its job expired
 * more than CRN_JOB_LEDGER_MARGIN_S ago, so the node refuses the job as
 * expired anyway (with room for its clock to step back that far). */
static bool
jl_expired(const jl_entry *e, uint64_t now)
{
	return e->not_after != JL_FOREVER &&
	    now > e->not_after + CRN_JOB_LEDGER_MARGIN_S;
}

/* Drop the expired entries from memory, keeping the order. */
static void
jl_prune(crn_job_ledger *l, uint64_t now)
{
	size_t k = 0;

	for (size_t i = 0; i < l->n; i++)
		if (!jl_expired(&l->ids[i], now))
			l->ids[k++] = l->ids[i];
	l->n = k;
}

static cairn_err
jl_push(crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN],
    uint64_t not_after)
{
	if (l->n == l->cap) {
		size_t cap = l->cap == 0 ? 64 : l->cap * 2;
		jl_entry *v = crn_alloc(cap * sizeof(*v));

		if (v == NULL)
			return CAIRN_ENOMEM;
		if (l->n > 0)
			memcpy(v, l->ids, l->n * sizeof(*v));
		crn_free(l->ids, l->cap * sizeof(*l->ids));
		l->ids = v;
		l->cap = cap;
	}
	memcpy(l->ids[l->n].id, id, CRN_JOB_ID_LEN);
	l->ids[l->n].not_after = not_after;
	l->n++;
	return CAIRN_OK;
}

/* Format entry e as one ledger line into line; returns its length. */
static size_t
jl_format(const jl_entry *e, char line[JL_LINE + 1])
{
	size_t k;

	for (k = 0; k < CRN_JOB_ID_LEN; k++) {
		line[2 * k] = "0123456789abcdef"[e->id[k] >> 4];
		line[2 * k + 1] = "0123456789abcdef"[e->id[k] & 15];
	}
	if (e->not_after == JL_FOREVER) {
		line[JL_ID_HEX] = '\n';
		return JL_ID_HEX + 1;
	}
	return JL_ID_HEX + (size_t)snprintf(line + JL_ID_HEX,
	                       JL_LINE + 1 - JL_ID_HEX, " %llu\n",
	                       (unsigned long long)e->not_after);
}

/* Parse one line (without its newline) into e. */
static bool
jl_parse(const char *line, size_t len, jl_entry *e)
{
	uint64_t v = 0;

	if (len < JL_ID_HEX)
		return false;
	for (size_t k = 0; k < CRN_JOB_ID_LEN; k++) {
		int hi = jl_hexval(line[2 * k]);
		int lo = jl_hexval(line[2 * k + 1]);

		if (hi < 0 || lo < 0)
			return false;
		e->id[k] = (uint8_t)(hi << 4 | lo);
	}
	e->not_after = JL_FOREVER;
	if (len == JL_ID_HEX)
		return true;
	if (line[JL_ID_HEX] != ' ' || len == JL_ID_HEX + 1 ||
	    len > JL_ID_HEX + 1 + 19)
		return false;
	for (size_t i = JL_ID_HEX + 1; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	e->not_after = v;
	return true;
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
			jl_entry e;

			if (buf[i] != '\n') {
				if (have == JL_LINE - 1)
					goto bad;
				line[have++] = buf[i];
				continue;
			}
			if (!jl_parse(line, have, &e))
				goto bad;
			if ((rv = jl_push(l, e.id, e.not_after)) != CAIRN_OK)
				return rv;
			have = 0;
			lineno++;
		}
	}
	l->lines = lineno - 1;
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

/* Replace the file with the entries still in memory (crn_file_write_
 * atomic: a crash leaves the old file or the new one) and append to the
 * new file from now on. */
static cairn_err
jl_rewrite(crn_job_ledger *l)
{
	size_t cap = l->n * JL_LINE + 1, off = 0;
	char *text = crn_alloc(cap);
	cairn_err rv;
	int fd;

	if (text == NULL)
		return CAIRN_ENOMEM;
	for (size_t i = 0; i < l->n; i++)
		off += jl_format(&l->ids[i], text + off);
	rv = crn_file_write_atomic(l->path, text, off, 0600);
	crn_free(text, cap);
	if (rv != CAIRN_OK)
		return rv;
	if ((fd = open(l->path, O_WRONLY | O_APPEND | O_CLOEXEC)) < 0) {
		crn_log_err("job ledger: %s: %s", l->path, strerror(errno));
		return CAIRN_ESYS;
	}
	(void)close(l->fd);
	l->fd = fd;
	l->lines = l->n;
	return CAIRN_OK;
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
	if ((l->path = crn_strdup(path)) == NULL) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
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
	crn_strfree(l->path);
	crn_free(l, sizeof(*l));
}

bool
crn_job_ledger_has(const crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN])
{
	/* Job ids are public (they travel in clear in signed jobs), so a
	 * plain comparison is fine. */
	for (size_t i = 0; i < l->n; i++) {
		if (memcmp(l->ids[i].id, id, CRN_JOB_ID_LEN) == 0)
			return true;
	}
	return false;
}

cairn_err
crn_job_ledger_add(crn_job_ledger *l, const uint8_t id[CRN_JOB_ID_LEN],
    uint64_t not_after, uint64_t now)
{
	char line[JL_LINE + 1];
	size_t off = 0, len;
	jl_entry e;
	cairn_err rv;

	if (crn_job_ledger_has(l, id))
		return CAIRN_EREPLAY;
	/* Forget the ids of jobs that expired long ago (a pass as long as
	 * the lookup above), and rewrite the file when most of its lines
	 * are such ids. */
	jl_prune(l, now);
	if (l->lines >= 64 && l->lines > 2 * l->n &&
	    (rv = jl_rewrite(l)) != CAIRN_OK)
		return rv;
	memcpy(e.id, id, CRN_JOB_ID_LEN);
	e.not_after = not_after;
	len = jl_format(&e, line);
	while (off < len) {
		ssize_t w = write(l->fd, line + off, len - off);

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
	l->lines++;
	return jl_push(l, id, not_after);
}

size_t
crn_job_ledger_count(const crn_job_ledger *l)
{
	return l->n;
}
