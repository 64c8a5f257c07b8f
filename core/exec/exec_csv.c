/*
 * exec_csv.c — the CSV executor: a streaming RFC 4180 scanner.
 *
 * The file is read in large blocks and parsed in place with a hand-written
 * scanner; only a record that straddles the end of the buffer is moved.
 * Numbers are parsed by hand into scaled int64 (no strtod: it is slow and
 * inexact for decimals), category values are found through a small hash
 * table per column.
 *
 * Conventions, as PostgreSQL's COPY ... CSV: the first record is the
 * header; an unquoted empty field is NULL, a quoted empty field ("") is the
 * empty string; fields may be quoted with '"' and a quote inside a quoted
 * field is doubled; records end with LF or CRLF, the last one may have no
 * line end.  Every schema column present in the header is checked on every
 * row, whether or not the plan reads it, so that whether a query succeeds
 * never depends on which columns it happens to touch.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "exec/exec.h"

#define CSV_BUF_INIT  (1u << 20)
#define CSV_BUF_MAX   (256u << 20) /* longest record we accept */
#define CSV_MAX_SCALE 18

enum { NEED_MORE = 1, DONE = 2 };

/* Outcome of parsing one number. */
enum { NUM_OK = 0, NUM_BAD, NUM_FINE, NUM_RANGE };

typedef struct csv_dom {
	uint32_t *slot; /* index + 1, 0 = empty */
	size_t *len;    /* strlen of each domain value */
	uint32_t mask;
} csv_dom;

typedef struct csv {
	crn_acc *acc;
	const crn_source *src;
	const char *path;
	int fd;
	char *buf;
	size_t cap; /* allocated; one byte kept for a sentinel */
	size_t len; /* bytes of data in buf */
	size_t pos; /* start of the next record */
	bool eof;
	bool header_done;
	bool checked;  /* header columns checked */
	uint64_t line; /* physical line of buf[pos], from 1 */
	int32_t *fmap; /* field -> schema column, -1 if unused */
	size_t nfields, fmapcap;
	bool *seen; /* schema column found in the header */
	crn_cell *cells;
	char *scratch; /* unescaped quoted field */
	size_t scratchcap;
	csv_dom *doms; /* per schema column (categories only) */
} csv;

/* Bytes that end an unquoted field or need a closer look; NUL is also the
 * sentinel after the data in the buffer. */
static const unsigned char csv_special[256] = {
    [0] = 1,
    [','] = 1,
    ['\n'] = 1,
    ['\r'] = 1,
    ['"'] = 1,
};

static uint32_t
csv_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 16777619u;
	}
	return h;
}

static cairn_err
dom_build(csv_dom *d, const crn_column *c)
{
	size_t size = 4;

	while (size < 2 * c->ndomain)
		size *= 2;
	if ((d->slot = crn_zalloc(size * sizeof(*d->slot))) == NULL ||
	    (d->len = crn_zalloc((c->ndomain + 1) * sizeof(*d->len))) == NULL)
		return CAIRN_ENOMEM;
	d->mask = (uint32_t)(size - 1);
	for (size_t i = 0; i < c->ndomain; i++) {
		uint32_t h;

		d->len[i] = strlen(c->domain[i]);
		h = csv_hash(c->domain[i], d->len[i]) & d->mask;
		while (d->slot[h] != 0)
			h = (h + 1) & d->mask;
		d->slot[h] = (uint32_t)i + 1;
	}
	return CAIRN_OK;
}

static long
dom_find(const csv_dom *d, const crn_column *c, const char *s, size_t n)
{
	uint32_t h = csv_hash(s, n) & d->mask;

	for (;;) {
		uint32_t k = d->slot[h];

		if (k == 0)
			return -1;
		if (d->len[k - 1] == n && memcmp(c->domain[k - 1], s, n) == 0)
			return (long)k - 1;
		h = (h + 1) & d->mask;
	}
}

/*
 * Parse a decimal number into units of 10^-scale.  Accepts an optional
 * sign, digits, and an optional fraction; digits beyond the scale must be
 * zeros (anything else would be silently rounded).
 */
static int
parse_num(const char *s, size_t n, uint32_t scale, int64_t *out)
{
	const uint64_t lim = UINT64_C(1) << 63;
	uint64_t v = 0;
	size_t i = 0, ndig = 0;
	uint32_t fd = 0;
	bool neg = false, fine = false;

	if (n > 0 && (s[0] == '-' || s[0] == '+')) {
		neg = s[0] == '-';
		i = 1;
	}
	for (; i < n; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9)
			break;
		if (v > lim / 10)
			return NUM_RANGE;
		v = v * 10 + d;
		ndig++;
	}
	if (i < n && s[i] == '.') {
		for (i++; i < n; i++) {
			unsigned d = (unsigned)(unsigned char)s[i] - '0';

			if (d > 9)
				break;
			ndig++;
			if (fd < scale) {
				if (v > lim / 10)
					return NUM_RANGE;
				v = v * 10 + d;
				fd++;
			} else if (d != 0) {
				fine = true;
			}
		}
	}
	if (i != n || ndig == 0)
		return NUM_BAD;
	if (fine)
		return NUM_FINE;
	for (; fd < scale; fd++) {
		if (v > lim / 10)
			return NUM_RANGE;
		v *= 10;
	}
	if (v > lim || (!neg && v == lim))
		return NUM_RANGE;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return NUM_OK;
}

static void
csv_fail_col(csv *cs, size_t field, const char *what)
{
	int32_t j = field < cs->nfields ? cs->fmap[field] : -1;

	crn_acc_errf(cs->acc, "%s:%llu: column %zu%s%s%s: %s", cs->path,
	    (unsigned long long)cs->line, field + 1, j >= 0 ? " (" : "",
	    j >= 0 ? cs->acc->ds->cols[j].name : "", j >= 0 ? ")" : "", what);
}

static cairn_err
header_field(csv *cs, size_t field, const char *s, size_t n)
{
	const crn_dataset *ds = cs->acc->ds;
	int32_t j = -1;

	if (field >= cs->fmapcap) {
		size_t nc = cs->fmapcap * 2 + 16;
		int32_t *f = crn_realloc(
		    cs->fmap, cs->fmapcap * sizeof(*f), nc * sizeof(*f));

		if (f == NULL)
			return CAIRN_ENOMEM;
		cs->fmap = f;
		cs->fmapcap = nc;
	}
	for (size_t i = 0; i < ds->ncols; i++) {
		const char *name = crn_exec_local_name(cs->src, &ds->cols[i]);

		if (strlen(name) == n && memcmp(name, s, n) == 0) {
			if (cs->seen[i]) {
				crn_acc_errf(cs->acc,
				    "%s:%llu: column %s appears twice in the header",
				    cs->path, (unsigned long long)cs->line,
				    name);
				return CAIRN_EDATA;
			}
			cs->seen[i] = true;
			j = (int32_t)i;
			break;
		}
	}
	cs->fmap[field] = j;
	return CAIRN_OK;
}

/* Convert one complete data field into its schema column's cell. */
static cairn_err
data_field(csv *cs, size_t field, const char *s, size_t n, bool quoted)
{
	const crn_column *c;
	crn_cell *cell;
	int32_t j;
	long k;

	if (field >= cs->nfields) {
		csv_fail_col(cs, field, "more fields than the header");
		return CAIRN_EDATA;
	}
	if ((j = cs->fmap[field]) < 0)
		return CAIRN_OK;
	c = &cs->acc->ds->cols[j];
	cell = &cs->cells[j];
	if (n == 0 && !quoted) {
		if (!c->nullable) {
			csv_fail_col(cs, field, "NULL in a NOT NULL column");
			return CAIRN_EDATA;
		}
		cell->null = true;
		return CAIRN_OK;
	}
	cell->null = false;
	if (c->type == CRN_COL_CATEGORY) {
		k = dom_find(&cs->doms[j], c, s, n);
		if (k < 0) {
			csv_fail_col(cs, field,
			    "value outside the declared domain");
			return CAIRN_EDATA;
		}
		cell->cat = (uint32_t)k;
		return CAIRN_OK;
	}
	switch (parse_num(s, n, c->scale, &cell->num)) {
	case NUM_OK: return CAIRN_OK;
	case NUM_FINE:
		csv_fail_col(cs, field,
		    "more decimal digits than the column's scale");
		return CAIRN_EDATA;
	case NUM_RANGE:
		csv_fail_col(cs, field, "number out of range");
		return CAIRN_EDATA;
	default: csv_fail_col(cs, field, "not a number"); return CAIRN_EDATA;
	}
}

static cairn_err
scratch_reserve(csv *cs, size_t n)
{
	char *p;

	if (n <= cs->scratchcap)
		return CAIRN_OK;
	if ((p = crn_realloc(cs->scratch, cs->scratchcap, n)) == NULL)
		return CAIRN_ENOMEM;
	cs->scratch = p;
	cs->scratchcap = n;
	return CAIRN_OK;
}

/*
 * Parse the record at cs->pos.  Returns CAIRN_OK with *status DONE when a
 * whole record was handled (cs->pos and cs->line advanced), NEED_MORE when
 * the buffer ends inside it (nothing advanced), or an error.
 */
static cairn_err
parse_record(csv *cs, int *status)
{
	char *p = cs->buf + cs->pos, *end = cs->buf + cs->len;
	uint64_t extra_lines = 0;
	size_t field = 0;
	cairn_err rv;

	*status = NEED_MORE;
	if (cs->header_done && cs->nfields > 1 && p < end &&
	    (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n'))) {
		crn_acc_errf(cs->acc,
		    "%s:%llu: empty line, the header has %zu fields",
		    cs->path, (unsigned long long)cs->line, cs->nfields);
		return CAIRN_EDATA;
	}
	for (;;) {
		const char *fs;
		size_t fn;
		bool quoted = false;

		if (p < end && *p == '"') {
			/* Quoted: find the closing quote; doubled quotes
			 * are copied once into the scratch buffer. */
			char *q = p + 1;
			size_t out = 0;

			if ((rv = scratch_reserve(cs, (size_t)(end - p))) !=
			    CAIRN_OK)
				return rv;
			for (;;) {
				char *e = memchr(q, '"', (size_t)(end - q));

				if (e == NULL) {
					if (!cs->eof)
						return CAIRN_OK;
					csv_fail_col(cs, field,
					    "unterminated quoted field");
					return CAIRN_EDATA;
				}
				for (char *t = q; t < e; t++)
					extra_lines += *t == '\n';
				memcpy(cs->scratch + out, q, (size_t)(e - q));
				out += (size_t)(e - q);
				if (e + 1 == end && !cs->eof)
					return CAIRN_OK;
				if (e + 1 < end && e[1] == '"') {
					cs->scratch[out++] = '"';
					q = e + 2;
					continue;
				}
				p = e + 1;
				break;
			}
			fs = cs->scratch;
			fn = out;
			quoted = true;
			if (p < end && *p != ',' && *p != '\n' && *p != '\r') {
				csv_fail_col(cs, field,
				    "text after a closing quote");
				return CAIRN_EDATA;
			}
		} else {
			fs = p;
			while (!csv_special[(unsigned char)*p])
				p++;
			fn = (size_t)(p - fs);
			if (p < end && (*p == '"' || *p == '\0')) {
				csv_fail_col(cs, field,
				    *p == '"' ? "quote inside an unquoted field"
				              : "NUL byte");
				return CAIRN_EDATA;
			}
		}
		if (p == end && !cs->eof)
			return CAIRN_OK;
		if (p < end && *p == '\r') {
			if (p + 1 == end && !cs->eof)
				return CAIRN_OK;
			if (p + 1 < end && p[1] != '\n') {
				csv_fail_col(cs, field,
				    "carriage return without a line feed");
				return CAIRN_EDATA;
			}
		}
		rv = cs->header_done ? data_field(cs, field, fs, fn, quoted)
		                     : header_field(cs, field, fs, fn);
		if (rv != CAIRN_OK)
			return rv;
		field++;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		/* End of record: CR LF, LF, or the end of the file. */
		if (p < end && *p == '\r')
			p++;
		if (p < end)
			p++;
		break;
	}
	if (!cs->header_done) {
		cs->nfields = field;
		cs->header_done = true;
	} else if (field != cs->nfields) {
		crn_acc_errf(cs->acc,
		    "%s:%llu: %zu fields, the header has %zu",
		    cs->path, (unsigned long long)cs->line, field, cs->nfields);
		return CAIRN_EDATA;
	}
	cs->pos = (size_t)(p - cs->buf);
	cs->line += 1 + extra_lines;
	*status = DONE;
	return CAIRN_OK;
}

/* Move the unparsed tail to the front, grow if full, and read more. */
static cairn_err
refill(csv *cs)
{
	ssize_t n;

	if (cs->pos > 0) {
		memmove(cs->buf, cs->buf + cs->pos, cs->len - cs->pos);
		cs->len -= cs->pos;
		cs->pos = 0;
	}
	if (cs->len + 1 >= cs->cap) {
		size_t nc = cs->cap * 2;
		char *b;

		if (nc > CSV_BUF_MAX) {
			crn_acc_errf(cs->acc,
			    "%s:%llu: record longer than %u bytes",
			    cs->path, (unsigned long long)cs->line,
			    CSV_BUF_MAX / 2);
			return CAIRN_EDATA;
		}
		if ((b = crn_realloc(cs->buf, cs->cap, nc)) == NULL)
			return CAIRN_ENOMEM;
		cs->buf = b;
		cs->cap = nc;
	}
	do {
		n = read(cs->fd, cs->buf + cs->len, cs->cap - 1 - cs->len);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		crn_acc_errf(
		    cs->acc, "%s: read: %s", cs->path, strerror(errno));
		return CAIRN_ESYS;
	}
	if (n == 0)
		cs->eof = true;
	cs->len += (size_t)n;
	/* The sentinel stops the unquoted-field loop at the end of data. */
	cs->buf[cs->len] = '\0';
	return CAIRN_OK;
}

static cairn_err
csv_prepare(csv *cs)
{
	const crn_dataset *ds = cs->acc->ds;

	for (size_t i = 0; i < ds->ncols; i++) {
		const crn_column *c = &ds->cols[i];

		if (c->type == CRN_COL_CATEGORY) {
			cairn_err rv = dom_build(&cs->doms[i], c);

			if (rv != CAIRN_OK)
				return rv;
		} else if (c->scale > CSV_MAX_SCALE) {
			crn_acc_errf(cs->acc, "column %s: scale %u too large",
			    c->name, c->scale);
			return CAIRN_EINVAL;
		}
	}
	return CAIRN_OK;
}

static cairn_err
csv_scan(csv *cs)
{
	crn_acc *acc = cs->acc;
	const crn_dataset *ds = acc->ds;
	int st;
	cairn_err rv;

	for (;;) {
		if (cs->pos == cs->len && cs->eof)
			break;
		if ((rv = parse_record(cs, &st)) != CAIRN_OK)
			return rv;
		if (st == NEED_MORE) {
			if ((rv = refill(cs)) != CAIRN_OK)
				return rv;
			/* A UTF-8 byte order mark (spreadsheet exports) is
			 * not part of the first column's name. */
			if (!cs->header_done && cs->pos == 0 && cs->len >= 3 &&
			    memcmp(cs->buf, "\xef\xbb\xbf", 3) == 0)
				cs->pos = 3;
			continue;
		}
		if (!cs->checked) {
			/* The first record is the header: every column the
			 * plan reads must be in it. */
			cs->checked = true;
			for (size_t i = 0; i < ds->ncols; i++)
				if (acc->used[i] && !cs->seen[i]) {
					crn_acc_errf(acc,
					    "%s: column %s not in the header",
					    cs->path,
					    crn_exec_local_name(
					        cs->src, &ds->cols[i]));
					return CAIRN_ENOENT;
				}
			continue;
		}
		acc->stats.rows_scanned++;
		if (crn_exec_filter(&acc->plan->where, ds, cs->cells) !=
		    CRN_TV_TRUE)
			continue;
		if ((rv = crn_acc_row(acc, cs->cells, cs->path)) != CAIRN_OK)
			return rv;
	}
	if (!cs->header_done) {
		crn_acc_errf(acc, "%s: empty file (no header)", cs->path);
		return CAIRN_EDATA;
	}
	return CAIRN_OK;
}

cairn_err
crn_exec_csv(crn_acc *acc, const crn_source *src)
{
	const crn_dataset *ds = acc->ds;
	csv cs;
	cairn_err rv = CAIRN_ENOMEM;

	memset(&cs, 0, sizeof(cs));
	cs.fd = -1;
	cs.acc = acc;
	cs.src = src;
	cs.path = src->path != NULL ? src->path : "";
	cs.line = 1;
	if (src->path == NULL) {
		crn_acc_errf(acc, "CSV source without a path");
		rv = CAIRN_EINVAL;
		goto out;
	}
	cs.cap = CSV_BUF_INIT;
	if ((cs.buf = crn_alloc(cs.cap)) == NULL ||
	    (cs.seen = crn_zalloc(ds->ncols * sizeof(*cs.seen))) == NULL ||
	    (cs.cells = crn_zalloc(ds->ncols * sizeof(*cs.cells))) == NULL ||
	    (cs.doms = crn_zalloc(ds->ncols * sizeof(*cs.doms))) == NULL)
		goto out;
	cs.buf[0] = '\0';
	/* Columns absent from the file read as NULL. */
	for (size_t i = 0; i < ds->ncols; i++)
		cs.cells[i].null = true;
	if ((rv = csv_prepare(&cs)) != CAIRN_OK)
		goto out;
	if ((cs.fd = open(src->path, O_RDONLY | O_CLOEXEC)) < 0) {
		rv = errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		crn_acc_errf(acc, "%s: %s", cs.path, strerror(errno));
		goto out;
	}
	rv = csv_scan(&cs);
out:
	if (cs.fd >= 0)
		close(cs.fd);
	if (cs.doms != NULL) {
		for (size_t i = 0; i < ds->ncols; i++) {
			size_t size = cs.doms[i].slot != NULL
			    ? (size_t)cs.doms[i].mask + 1
			    : 0;

			crn_free(cs.doms[i].slot, size * sizeof(uint32_t));
			crn_free(cs.doms[i].len,
			    (ds->cols[i].ndomain + 1) * sizeof(size_t));
		}
		crn_free(cs.doms, ds->ncols * sizeof(*cs.doms));
	}
	crn_free(cs.cells, ds->ncols * sizeof(*cs.cells));
	crn_free(cs.seen, ds->ncols * sizeof(*cs.seen));
	crn_free(cs.fmap, cs.fmapcap * sizeof(*cs.fmap));
	crn_free(cs.scratch, cs.scratchcap);
	crn_free(cs.buf, cs.cap);
	return rv;
}
