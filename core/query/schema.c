/*
 * schema.c — the federation schema file (INI, parsed by inih) and exact
 * decimal arithmetic for bounds and constants.
 *
 * inih hands us (section, name, value) triples but not line numbers, so the
 * text is fed through our own reader, which counts lines; the handler then
 * knows the line it is looking at.  Bounds may appear before the scale that
 * gives them meaning, so min/max are kept as text (with their line) and
 * converted once the whole file has been read.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ini.h>

#include "base/crn.h"
#include "query/schema.h"

/* A schema file larger than this is not a schema file. */
#define SCHEMA_MAX_FILE   (4u << 20)
#define SCHEMA_MAX_DOMAIN 65536u
/* The plan codec refuses more (CRN_PLAN_MAX_COLS in query/codec_plan.h). */
#define SCHEMA_MAX_COLS 4096u

typedef struct colaux {
	char *min, *max; /* bound text until the scale is known */
	int minline, maxline, line;
	int have_type, have_scale, have_nullable;
} colaux;

typedef struct dsaux {
	colaux *cols; /* parallel to dataset->cols */
	size_t cap;   /* capacity of cols / dataset->cols */
	int line;
	int have_max_rows;
} dsaux;

typedef struct builder {
	const char *name; /* file name for messages */
	const char *text; /* reader position */
	int line;         /* current line, 1-based */
	int secline;      /* line of the last [section] header */
	int at_bol;       /* next read starts a new line */
	crn_schema *s;
	dsaux *ds; /* parallel to s->datasets */
	size_t dscap;
	int have_min_cell, have_max_nodes;
	cairn_err rv; /* first error */
	char *err;
	size_t errlen;
} builder;

static void fail(builder *b, int line, cairn_err rv, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail(builder *b, int line, cairn_err rv, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (b->rv != CAIRN_OK)
		return; /* keep the first error only */
	b->rv = rv;
	if (b->err == NULL || b->errlen == 0)
		return;
	if (line > 0)
		n = snprintf(b->err, b->errlen, "%s:%d: ", b->name, line);
	else
		n = snprintf(b->err, b->errlen, "%s: ", b->name);
	if (n < 0 || (size_t)n >= b->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(b->err + n, b->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

/* fgets-like reader over an in-memory string that counts lines. */
static char *
reader(char *str, int num, void *stream)
{
	builder *b = stream;
	int i = 0;

	if (num < 2 || *b->text == '\0')
		return NULL;
	if (b->at_bol) {
		const char *p = b->text;

		b->line++;
		b->at_bol = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '[')
			b->secline = b->line;
	}
	while (i < num - 1 && b->text[0] != '\0') {
		char c = *b->text++;

		str[i++] = c;
		if (c == '\n') {
			b->at_bol = 1;
			break;
		}
	}
	str[i] = '\0';
	if (i == num - 1 && str[i - 1] != '\n' && b->text[0] != '\0' &&
	    !(b->text[0] == '\n' ||
	        (b->text[0] == '\r' && b->text[1] == '\n'))) {
		/* inih would cut the line in two and read the rest as a line
		 * of its own; refuse instead of guessing. */
		fail(b, b->line, CAIRN_ECONFIG,
		    "line longer than %d characters; continue long domains on indented lines",
		    num - 3);
		return NULL;
	}
	return str;
}

static int
is_ident(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		        c == '_'))
			return 0;
	}
	return 1;
}

static char *
dupn(const char *s, size_t n)
{
	char *d = crn_alloc(n + 1);

	if (d != NULL) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- decimals ------------------------------------------------------------ */

cairn_err
crn_decimal_parse(const char *s, int64_t *mant, uint32_t *scale)
{
	uint64_t acc = 0;
	uint32_t sc = 0, pend = 0; /* pending zeros after the point */
	int neg = 0, digits = 0, point = 0;
	const char *p = s;

	*mant = 0;
	*scale = 0;
	if (s == NULL)
		return CAIRN_EINVAL;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	for (; *p != '\0'; p++) {
		if (*p == '.' && !point) {
			point = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			return CAIRN_EINVAL;
		digits++;
		if (point) {
			/* Trailing zeros after the point add no value; defer
			 * them so "1.500000000000000000000" still fits. */
			if (*p == '0') {
				pend++;
				continue;
			}
			for (; pend > 0; pend--, sc++) {
				if (acc > UINT64_MAX / 10)
					return CAIRN_ERANGE;
				acc *= 10;
			}
			sc++;
		}
		if (acc > (UINT64_MAX - 9) / 10)
			return CAIRN_ERANGE;
		acc = acc * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0)
		return CAIRN_EINVAL;
	if (sc > CRN_SCHEMA_MAX_SCALE)
		return CAIRN_ERANGE;
	if (neg) {
		if (acc > (uint64_t)INT64_MAX + 1)
			return CAIRN_ERANGE;
		*mant =
		    acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	} else {
		if (acc > (uint64_t)INT64_MAX)
			return CAIRN_ERANGE;
		*mant = (int64_t)acc;
	}
	*scale = sc;
	return CAIRN_OK;
}

cairn_err
crn_decimal_rescale(int64_t mant, uint32_t from, uint32_t to, int ceil_round,
    int64_t *out, int *exact)
{
	__int128 v = mant;

	*out = 0;
	*exact = 1;
	if (from > 38 || to > 38)
		return CAIRN_ERANGE;
	if (to >= from) {
		for (uint32_t i = from; i < to; i++) {
			v *= 10;
			if (v > INT64_MAX || v < INT64_MIN)
				return CAIRN_ERANGE;
		}
	} else {
		__int128 d = 1, q, r;

		for (uint32_t i = to; i < from; i++)
			d *= 10;
		q = v / d; /* truncates toward zero */
		r = v % d;
		if (r != 0) {
			*exact = 0;
			if (ceil_round && r > 0)
				q++;
			else if (!ceil_round && r < 0)
				q--;
		}
		v = q;
	}
	*out = (int64_t)v;
	return CAIRN_OK;
}

cairn_err
crn_decimal_to_scale(const char *s, uint32_t scale, int64_t *out)
{
	int64_t m;
	uint32_t sc;
	int exact;
	cairn_err rv;

	*out = 0;
	if ((rv = crn_decimal_parse(s, &m, &sc)) != CAIRN_OK)
		return rv;
	if ((rv = crn_decimal_rescale(m, sc, scale, 0, out, &exact)) !=
	    CAIRN_OK)
		return rv;
	if (!exact) {
		*out = 0;
		return CAIRN_EINVAL;
	}
	return CAIRN_OK;
}

int
crn_decimal_format(__int128 v, uint32_t scale, char *buf, size_t len)
{
	char tmp[64];
	unsigned __int128 u;
	size_t n = 0, o = 0;
	int neg = v < 0;

	u = neg ? (unsigned __int128)0 - (unsigned __int128)v
	        : (unsigned __int128)v;
	do {
		tmp[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u != 0 && n < sizeof(tmp));
	while (n <= scale && n < sizeof(tmp))
		tmp[n++] = '0'; /* at least one digit before the point */
	/* sign + digits + point + NUL */
	if (len < n + 3)
		return -1;
	if (neg)
		buf[o++] = '-';
	while (n > 0) {
		if (n == scale && scale > 0)
			buf[o++] = '.';
		buf[o++] = tmp[--n];
	}
	buf[o] = '\0';
	return (int)o;
}

/* ---- schema objects ------------------------------------------------------ */

void
crn_column_fini(crn_column *c)
{
	size_t i;

	if (c == NULL)
		return;
	crn_strfree(c->name);
	for (i = 0; i < c->ndomain; i++)
		crn_strfree(c->domain[i]);
	crn_free(c->domain, c->ndomain * sizeof(char *));
	memset(c, 0, sizeof(*c));
}

cairn_err
crn_column_copy(crn_column *dst, const crn_column *src)
{
	size_t i;

	memset(dst, 0, sizeof(*dst));
	dst->type = src->type;
	dst->scale = src->scale;
	dst->lo = src->lo;
	dst->hi = src->hi;
	dst->nullable = src->nullable;
	if ((dst->name = crn_strdup(src->name)) == NULL)
		goto nomem;
	if (src->ndomain > 0) {
		dst->domain = crn_zalloc(src->ndomain * sizeof(char *));
		if (dst->domain == NULL)
			goto nomem;
		dst->ndomain = src->ndomain;
		for (i = 0; i < src->ndomain; i++)
			if ((dst->domain[i] = crn_strdup(src->domain[i])) ==
			    NULL)
				goto nomem;
	}
	return CAIRN_OK;
nomem:
	crn_column_fini(dst);
	return CAIRN_ENOMEM;
}

void
crn_schema_free(crn_schema *s)
{
	size_t i, j;

	if (s == NULL)
		return;
	for (i = 0; i < s->ndatasets; i++) {
		crn_dataset *d = &s->datasets[i];

		for (j = 0; j < d->ncols; j++)
			crn_column_fini(&d->cols[j]);
		crn_free(d->cols, d->ncols * sizeof(crn_column));
		crn_strfree(d->name);
	}
	crn_free(s->datasets, s->ndatasets * sizeof(crn_dataset));
	crn_free(s, sizeof(*s));
}

const crn_dataset *
crn_schema_dataset(const crn_schema *s, const char *name)
{
	size_t i;

	if (s == NULL || name == NULL)
		return NULL;
	for (i = 0; i < s->ndatasets; i++)
		if (strcmp(s->datasets[i].name, name) == 0)
			return &s->datasets[i];
	return NULL;
}

long
crn_dataset_column(const crn_dataset *d, const char *name)
{
	size_t i;

	if (d == NULL || name == NULL)
		return -1;
	for (i = 0; i < d->ncols; i++)
		if (strcmp(d->cols[i].name, name) == 0)
			return (long)i;
	return -1;
}

long
crn_column_category(const crn_column *c, const char *value)
{
	size_t i;

	if (c == NULL || value == NULL || c->type != CRN_COL_CATEGORY)
		return -1;
	for (i = 0; i < c->ndomain; i++)
		if (strcmp(c->domain[i], value) == 0)
			return (long)i;
	return -1;
}

/* ---- the INI handler ----------------------------------------------------- */

static dsaux *
find_ds(builder *b, const char *name, size_t n, crn_dataset **dout)
{
	size_t i;

	for (i = 0; i < b->s->ndatasets; i++) {
		crn_dataset *d = &b->s->datasets[i];

		if (strlen(d->name) == n && memcmp(d->name, name, n) == 0) {
			*dout = d;
			return &b->ds[i];
		}
	}
	if (b->s->ndatasets == b->dscap) {
		size_t nc = b->dscap == 0 ? 4 : b->dscap * 2;
		crn_dataset *nd;
		dsaux *na;

		nd = crn_realloc(b->s->datasets, b->dscap * sizeof(crn_dataset),
		    nc * sizeof(crn_dataset));
		if (nd == NULL)
			return NULL;
		b->s->datasets = nd;
		na = crn_realloc(
		    b->ds, b->dscap * sizeof(dsaux), nc * sizeof(dsaux));
		if (na == NULL)
			return NULL;
		b->ds = na;
		b->dscap = nc;
	}
	i = b->s->ndatasets;
	memset(&b->s->datasets[i], 0, sizeof(crn_dataset));
	memset(&b->ds[i], 0, sizeof(dsaux));
	if ((b->s->datasets[i].name = dupn(name, n)) == NULL)
		return NULL;
	b->ds[i].line = b->secline;
	b->s->ndatasets++;
	*dout = &b->s->datasets[i];
	return &b->ds[i];
}

static colaux *
find_col(
    builder *b, crn_dataset *d, dsaux *da, const char *name, crn_column **cout)
{
	size_t i;

	for (i = 0; i < d->ncols; i++) {
		if (strcmp(d->cols[i].name, name) == 0) {
			*cout = &d->cols[i];
			return &da->cols[i];
		}
	}
	if (d->ncols >= SCHEMA_MAX_COLS) {
		fail(b, b->line, CAIRN_ECONFIG,
		    "dataset '%s': more than %u columns",
		    d->name, SCHEMA_MAX_COLS);
		return NULL;
	}
	if (d->ncols == da->cap) {
		size_t nc = da->cap == 0 ? 8 : da->cap * 2;
		crn_column *ncols;
		colaux *na;

		ncols = crn_realloc(d->cols, da->cap * sizeof(crn_column),
		    nc * sizeof(crn_column));
		if (ncols == NULL)
			return NULL;
		d->cols = ncols;
		na = crn_realloc(
		    da->cols, da->cap * sizeof(colaux), nc * sizeof(colaux));
		if (na == NULL)
			return NULL;
		da->cols = na;
		da->cap = nc;
	}
	i = d->ncols;
	memset(&d->cols[i], 0, sizeof(crn_column));
	memset(&da->cols[i], 0, sizeof(colaux));
	if ((d->cols[i].name = crn_strdup(name)) == NULL)
		return NULL;
	da->cols[i].line = b->secline;
	d->ncols++;
	*cout = &d->cols[i];
	return &da->cols[i];
}

static int
parse_u64(const char *v, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long x;

	if (*v < '0' || *v > '9')
		return -1;
	errno = 0;
	x = strtoull(v, &end, 10);
	if (errno != 0 || *end != '\0' || x > max)
		return -1;
	*out = x;
	return 0;
}

static int
parse_bool(const char *v, bool *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0) {
		*out = false;
		return 0;
	}
	return -1;
}

static int
printable(const char *v)
{
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return 0;
	return 1;
}

static int
has_value(const crn_column *c, const char *v)
{
	size_t i;

	for (i = 0; i < c->ndomain; i++)
		if (strcmp(c->domain[i], v) == 0)
			return 1;
	return 0;
}

static int
add_domain(builder *b, crn_column *c, const char *v)
{
	const char *p = v;

	while (*p != '\0') {
		const char *q = p, *e;
		size_t n;
		char **nd;

		while (*q != '\0' && *q != ',')
			q++;
		e = q;
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		n = (size_t)(e - p);
		if (n > 0) {
			char *val;

			if (c->ndomain >= SCHEMA_MAX_DOMAIN) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "column '%s': more than %u domain values",
				    c->name, SCHEMA_MAX_DOMAIN);
				return 0;
			}
			if ((val = dupn(p, n)) == NULL)
				goto nomem;
			if (!printable(val) || n > 255) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "column '%s': domain values must be printable and at most 255 bytes",
				    c->name);
				crn_strfree(val);
				return 0;
			}
			if (has_value(c, val)) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "column '%s': domain value '%s' listed twice",
				    c->name, val);
				crn_strfree(val);
				return 0;
			}
			nd = crn_realloc(c->domain, c->ndomain * sizeof(char *),
			    (c->ndomain + 1) * sizeof(char *));
			if (nd == NULL) {
				crn_strfree(val);
				goto nomem;
			}
			c->domain = nd;
			c->domain[c->ndomain++] = val;
		}
		p = *q == ',' ? q + 1 : q;
	}
	return 1;
nomem:
	fail(b, b->line, CAIRN_ENOMEM, "out of memory");
	return 0;
}

static int
column_key(
    builder *b, crn_column *c, colaux *a, const char *name, const char *value)
{
	uint64_t u;
	char **slot;

	if (strcmp(name, "type") == 0) {
		if (a->have_type) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column '%s': type given twice", c->name);
			return 0;
		}
		if (strcmp(value, "integer") == 0 || strcmp(value, "int") == 0)
			c->type = CRN_COL_INT;
		else if (strcmp(value, "decimal") == 0)
			c->type = CRN_COL_DECIMAL;
		else if (strcmp(value, "category") == 0)
			c->type = CRN_COL_CATEGORY;
		else {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column '%s': unknown type '%s' (integer, decimal or category)",
			    c->name, value);
			return 0;
		}
		a->have_type = 1;
		return 1;
	}
	if (strcmp(name, "scale") == 0) {
		if (a->have_scale ||
		    parse_u64(value, CRN_SCHEMA_MAX_SCALE, &u) != 0) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column '%s': scale must be given once, 0 to %d",
			    c->name, CRN_SCHEMA_MAX_SCALE);
			return 0;
		}
		c->scale = (uint32_t)u;
		a->have_scale = 1;
		return 1;
	}
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0) {
		int is_min = name[1] == 'i';

		slot = is_min ? &a->min : &a->max;
		if (*slot != NULL) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column '%s': %s given twice", c->name, name);
			return 0;
		}
		if ((*slot = crn_strdup(value)) == NULL) {
			fail(b, b->line, CAIRN_ENOMEM, "out of memory");
			return 0;
		}
		if (is_min)
			a->minline = b->line;
		else
			a->maxline = b->line;
		return 1;
	}
	if (strcmp(name, "nullable") == 0) {
		if (a->have_nullable || parse_bool(value, &c->nullable) != 0) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column '%s': nullable must be given once, true or false",
			    c->name);
			return 0;
		}
		a->have_nullable = 1;
		return 1;
	}
	if (strcmp(name, "domain") == 0)
		return add_domain(b, c, value);
	fail(b, b->line, CAIRN_ECONFIG, "column '%s': unknown key '%s'",
	    c->name, name);
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *value)
{
	builder *b = user;
	const char *sp, *arg, *dot;
	crn_dataset *d = NULL;
	crn_column *c = NULL;
	dsaux *da;
	colaux *ca;
	uint64_t u;

	if (b->rv != CAIRN_OK)
		return 0;
	if (strcmp(section, "federation") == 0) {
		if (strcmp(name, "min_cell") == 0) {
			if (b->have_min_cell ||
			    parse_u64(value, UINT32_MAX, &u) != 0) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "min_cell must be given once, a non-negative integer");
				return 0;
			}
			b->s->min_cell = (uint32_t)u;
			b->have_min_cell = 1;
			return 1;
		}
		if (strcmp(name, "max_nodes") == 0) {
			if (b->have_max_nodes ||
			    parse_u64(value, 1u << 24, &u) != 0 || u == 0) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "max_nodes must be given once, 1 to %u",
				    1u << 24);
				return 0;
			}
			b->s->max_nodes = (uint32_t)u;
			b->have_max_nodes = 1;
			return 1;
		}
		fail(b, b->line, CAIRN_ECONFIG,
		    "[federation]: unknown key '%s'", name);
		return 0;
	}
	sp = strchr(section, ' ');
	if (sp == NULL) {
		fail(b, b->line, CAIRN_ECONFIG,
		    "unknown section [%s] (federation, dataset NAME or column DATASET.COLUMN)",
		    section);
		return 0;
	}
	arg = sp + 1;
	while (*arg == ' ')
		arg++;
	if ((size_t)(sp - section) == 7 && memcmp(section, "dataset", 7) == 0) {
		if (!is_ident(arg, strlen(arg))) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "dataset name '%s' must be a lower-case identifier",
			    arg);
			return 0;
		}
		if ((da = find_ds(b, arg, strlen(arg), &d)) == NULL)
			goto nomem;
		if (strcmp(name, "max_rows") == 0) {
			if (da->have_max_rows ||
			    parse_u64(value, (uint64_t)1 << 62, &u) != 0 ||
			    u == 0) {
				fail(b, b->line, CAIRN_ECONFIG,
				    "dataset '%s': max_rows must be given once, 1 to 2^62",
				    d->name);
				return 0;
			}
			d->max_rows = u;
			da->have_max_rows = 1;
			return 1;
		}
		fail(b, b->line, CAIRN_ECONFIG,
		    "dataset '%s': unknown key '%s'",
		    d->name, name);
		return 0;
	}
	if ((size_t)(sp - section) == 6 && memcmp(section, "column", 6) == 0) {
		dot = strchr(arg, '.');
		if (dot == NULL || !is_ident(arg, (size_t)(dot - arg)) ||
		    !is_ident(dot + 1, strlen(dot + 1))) {
			fail(b, b->line, CAIRN_ECONFIG,
			    "column section '%s' must be [column DATASET.COLUMN] with lower-case identifiers",
			    arg);
			return 0;
		}
		if ((da = find_ds(b, arg, (size_t)(dot - arg), &d)) == NULL)
			goto nomem;
		if ((ca = find_col(b, d, da, dot + 1, &c)) == NULL)
			goto nomem;
		return column_key(b, c, ca, name, value);
	}
	fail(b, b->line, CAIRN_ECONFIG, "unknown section [%s]", section);
	return 0;
nomem:
	fail(b, b->line, CAIRN_ENOMEM, "out of memory");
	return 0;
}

/* Checks that need the whole file: required keys, bounds at their scale. */
static void
finish(builder *b)
{
	size_t i, j;

	if (b->s->ndatasets == 0)
		fail(b, 0, CAIRN_ECONFIG, "no [dataset NAME] section");
	for (i = 0; i < b->s->ndatasets && b->rv == CAIRN_OK; i++) {
		crn_dataset *d = &b->s->datasets[i];
		dsaux *da = &b->ds[i];

		if (!da->have_max_rows)
			fail(b, da->line, CAIRN_ECONFIG,
			    "dataset '%s': max_rows is required", d->name);
		if (d->ncols == 0)
			fail(b, da->line, CAIRN_ECONFIG,
			    "dataset '%s' has no [column %s.NAME] section",
			    d->name, d->name);
		for (j = 0; j < d->ncols && b->rv == CAIRN_OK; j++) {
			crn_column *c = &d->cols[j];
			colaux *a = &da->cols[j];
			cairn_err rv;

			if (!a->have_type) {
				fail(b, a->line, CAIRN_ECONFIG,
				    "column '%s.%s': type is required", d->name,
				    c->name);
				break;
			}
			if (c->type == CRN_COL_CATEGORY) {
				if (a->min != NULL || a->max != NULL ||
				    a->have_scale)
					fail(b, a->line, CAIRN_ECONFIG,
					    "column '%s.%s': a category has no scale, min or max",
					    d->name, c->name);
				else if (c->ndomain == 0)
					fail(b, a->line, CAIRN_ECONFIG,
					    "column '%s.%s': domain is required for a category",
					    d->name, c->name);
				continue;
			}
			if (c->ndomain > 0) {
				fail(b, a->line, CAIRN_ECONFIG,
				    "column '%s.%s': only a category has a domain",
				    d->name, c->name);
				break;
			}
			if (c->type == CRN_COL_INT && a->have_scale &&
			    c->scale != 0) {
				fail(b, a->line, CAIRN_ECONFIG,
				    "column '%s.%s': an integer has scale 0",
				    d->name, c->name);
				break;
			}
			if (a->min == NULL || a->max == NULL) {
				fail(b, a->line, CAIRN_ECONFIG,
				    "column '%s.%s': min and max are required for a numeric column",
				    d->name, c->name);
				break;
			}
			rv = crn_decimal_to_scale(a->min, c->scale, &c->lo);
			if (rv != CAIRN_OK) {
				fail(b, a->minline, CAIRN_ECONFIG,
				    "column '%s.%s': min '%s' is not a number %s",
				    d->name, c->name, a->min,
				    rv == CAIRN_ERANGE
				        ? "in range"
				        : "at the column's scale");
				break;
			}
			rv = crn_decimal_to_scale(a->max, c->scale, &c->hi);
			if (rv != CAIRN_OK) {
				fail(b, a->maxline, CAIRN_ECONFIG,
				    "column '%s.%s': max '%s' is not a number %s",
				    d->name, c->name, a->max,
				    rv == CAIRN_ERANGE
				        ? "in range"
				        : "at the column's scale");
				break;
			}
			if (c->lo > c->hi)
				fail(b, a->maxline, CAIRN_ECONFIG,
				    "column '%s.%s': min is above max", d->name,
				    c->name);
		}
	}
}

static void
builder_fini(builder *b)
{
	size_t i, j;

	for (i = 0; b->ds != NULL && i < b->s->ndatasets; i++) {
		for (j = 0; j < b->s->datasets[i].ncols; j++) {
			crn_strfree(b->ds[i].cols[j].min);
			crn_strfree(b->ds[i].cols[j].max);
		}
		crn_free(b->ds[i].cols, b->ds[i].cap * sizeof(colaux));
	}
	crn_free(b->ds, b->dscap * sizeof(dsaux));
	b->ds = NULL;
}

cairn_err
crn_schema_parse(const char *text, const char *name, crn_schema **out,
    char *err, size_t errlen)
{
	builder b;
	int line;
	size_t i;

	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.name = name != NULL ? name : "schema";
	b.text = text;
	b.at_bol = 1;
	b.err = err;
	b.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((b.s = crn_zalloc(sizeof(*b.s))) == NULL)
		return CAIRN_ENOMEM;
	b.s->min_cell = CRN_SCHEMA_DEFAULT_MIN_CELL;
	b.s->max_nodes = CRN_SCHEMA_DEFAULT_MAX_NODES;
	line = ini_parse_stream(reader, &b, handler, &b);
	if (line == -2)
		fail(&b, 0, CAIRN_ENOMEM, "out of memory");
	else if (line != 0)
		/* The handler reports its own errors; this one is inih's
		 * (no '=' or an unterminated section header). */
		fail(&b, line, CAIRN_ECONFIG,
		    "not a 'key = value' line or '[section]' header");
	if (b.rv == CAIRN_OK)
		finish(&b);
	/* Shrink capacities to the sizes crn_schema_free will pass. */
	if (b.rv == CAIRN_OK) {
		for (i = 0; i < b.s->ndatasets; i++) {
			crn_dataset *d = &b.s->datasets[i];
			crn_column *nc;

			nc = crn_realloc(d->cols,
			    b.ds[i].cap * sizeof(crn_column),
			    d->ncols * sizeof(crn_column));
			if (nc == NULL) {
				fail(&b, 0, CAIRN_ENOMEM, "out of memory");
				break;
			}
			d->cols = nc;
		}
	}
	builder_fini(&b);
	if (b.rv != CAIRN_OK) {
		crn_log_debug(
		    "schema %s rejected: %s", b.name, err != NULL ? err : "");
		crn_schema_free(b.s);
		return b.rv;
	}
	*out = b.s;
	return CAIRN_OK;
}

cairn_err
crn_schema_load(const char *path, crn_schema **out, char *err, size_t errlen)
{
	FILE *f = NULL;
	char *text = NULL;
	size_t n = 0, cap = 0;
	cairn_err rv = CAIRN_EINTERNAL;

	*out = NULL;
	if ((f = fopen(path, "rb")) == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: cannot open: %s", path,
			    strerror(errno));
		rv = errno == ENOENT ? CAIRN_ENOENT : CAIRN_ESYS;
		goto out;
	}
	for (;;) {
		size_t got;

		if (n + 1 >= cap) {
			size_t nc = cap == 0 ? 4096 : cap * 2;
			char *t;

			if (nc > SCHEMA_MAX_FILE) {
				if (err != NULL && errlen > 0)
					snprintf(err, errlen,
					    "%s: larger than %u bytes",
					    path, SCHEMA_MAX_FILE);
				rv = CAIRN_ECONFIG;
				goto out;
			}
			if ((t = crn_realloc(text, cap, nc)) == NULL) {
				rv = CAIRN_ENOMEM;
				goto out;
			}
			text = t;
			cap = nc;
		}
		got = fread(text + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: read error", path);
		rv = CAIRN_ESYS;
		goto out;
	}
	text[n] = '\0';
	if (memchr(text, '\0', n) != NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: contains a NUL byte", path);
		rv = CAIRN_ECONFIG;
		goto out;
	}
	rv = crn_schema_parse(text, path, out, err, errlen);
out:
	if (f != NULL)
		fclose(f);
	crn_free(text, cap);
	return rv;
}

/* ---- inferring a draft schema from a CSV file ---------------------------- */

#define INFER_MAX_DOMAIN 32
#define INFER_MAX_COLS   4096
#define INFER_MAX_FIELD  (1u << 20)

typedef struct icol {
	char *name; /* identifier made from the header */
	uint64_t values, nulls;
	int is_int, is_dec, is_cat;
	uint32_t scale;        /* max digits after the point */
	int64_t min_m, max_m;  /* exact min / max as mantissa ... */
	uint32_t min_s, max_s; /* ... and scale */
	char *dom[INFER_MAX_DOMAIN];
	size_t ndom;
	const char *why; /* why a text column is not usable */
} icol;

typedef struct csvr {
	FILE *f;
	const char *name;
	long line;     /* current physical line, 1-based */
	long row_line; /* line where the current row began */
	char *buf;
	size_t len, cap;
	char *err;
	size_t errlen;
} csvr;

static void csv_err(csvr *r, long line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
csv_err(csvr *r, long line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (r->err == NULL || r->errlen == 0)
		return;
	n = snprintf(r->err, r->errlen, "%s:%ld: ", r->name, line);
	if (n < 0 || (size_t)n >= r->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(r->err + n, r->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static int
csv_put(csvr *r, char c)
{
	if (r->len + 1 >= r->cap) {
		size_t nc = r->cap == 0 ? 256 : r->cap * 2;
		char *nb;

		if (nc > INFER_MAX_FIELD + 2)
			return -2;
		if ((nb = crn_realloc(r->buf, r->cap, nc)) == NULL)
			return -1;
		r->buf = nb;
		r->cap = nc;
	}
	r->buf[r->len++] = c;
	r->buf[r->len] = '\0';
	return 0;
}

/*
 * Read one field (RFC 4180).  Returns 0 with *end set to 0 (more fields
 * in this row), 1 (end of row) or 2 (end of file before any character of
 * a new row); CAIRN_EDATA / CAIRN_ENOMEM / CAIRN_ETOOBIG otherwise.
 */
static cairn_err
csv_field(csvr *r, int *end, int at_row_start)
{
	int c, quoted = 0, rv;

	r->len = 0;
	if (r->buf != NULL)
		r->buf[0] = '\0';
	c = getc(r->f);
	if (c == EOF && at_row_start) {
		*end = 2;
		return CAIRN_OK;
	}
	if (c == '"') {
		quoted = 1;
		for (;;) {
			c = getc(r->f);
			if (c == EOF) {
				csv_err(r, r->row_line,
				    "unterminated quoted field");
				return CAIRN_EDATA;
			}
			if (c == '\n')
				r->line++;
			if (c == '"') {
				c = getc(r->f);
				if (c != '"')
					break;
			}
			if ((rv = csv_put(r, (char)c)) != 0)
				goto put_failed;
		}
	}
	for (;; c = getc(r->f)) {
		if (c == EOF || c == '\n') {
			if (c == '\n')
				r->line++;
			*end = 1;
			break;
		}
		if (c == '\r') {
			int d = getc(r->f);

			if (d == '\n') {
				r->line++;
				*end = 1;
				break;
			}
			if (d != EOF)
				ungetc(d, r->f);
		}
		if (c == ',') {
			*end = 0;
			break;
		}
		if (quoted || c == '"') {
			csv_err(r, r->line, "%s",
			    quoted ? "text after a closing quote"
			           : "quote inside an unquoted field");
			return CAIRN_EDATA;
		}
		if ((rv = csv_put(r, (char)c)) != 0)
			goto put_failed;
	}
	if (r->buf == NULL && csv_put(r, '\0') != 0)
		return CAIRN_ENOMEM;
	if (r->buf != NULL && r->len == 0)
		r->buf[0] = '\0';
	return CAIRN_OK;
put_failed:
	if (rv == -2) {
		csv_err(r, r->row_line, "field longer than %u bytes",
		    INFER_MAX_FIELD);
		return CAIRN_ETOOBIG;
	}
	return CAIRN_ENOMEM;
}

/* A lower-case SQL identifier from a header cell. */
static char *
ident_from(const char *h, size_t idx)
{
	char tmp[64];
	size_t i, n = 0;

	for (i = 0; h[i] != '\0' && n < sizeof(tmp) - 2; i++) {
		char c = h[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
			c = '_';
		if (c == '_' && (n == 0 || tmp[n - 1] == '_'))
			continue; /* no leading or doubled '_' */
		if (n == 0 && c >= '0' && c <= '9')
			tmp[n++] = '_';
		tmp[n++] = c;
	}
	while (n > 0 && tmp[n - 1] == '_')
		n--;
	if (n == 0)
		n = (size_t)snprintf(tmp, sizeof(tmp), "col%zu", idx + 1);
	tmp[n] = '\0';
	return crn_strdup(tmp);
}

/* A value that can be a domain entry in our INI format. */
static const char *
unusable_category(const char *v)
{
	size_t n = strlen(v);

	if (strpbrk(v, ",;#[]=\"") != NULL)
		return "values contain , ; # [ ] = or quotes";
	if (v[0] == ' ' || v[0] == '\t' ||
	    (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t')))
		return "values have leading or trailing blanks";
	for (; *v != '\0'; v++)
		if ((unsigned char)*v < 0x20 || *v == 0x7f)
			return "values contain control characters";
	if (n > 63)
		return "values longer than 63 characters";
	return NULL;
}

/* Exact comparison of two decimals (mantissa, scale): -1, 0, 1. */
static int
dec_cmp_i(int64_t a, uint32_t as, int64_t b, uint32_t bs)
{
	__int128 x = a, y = b;

	for (; as < bs; as++)
		x *= 10;
	for (; bs < as; bs++)
		y *= 10;
	return (x > y) - (x < y);
}

static cairn_err
observe(icol *c, const char *v)
{
	int64_t m;
	uint32_t sc;
	size_t i;

	if (v[0] == '\0') {
		c->nulls++;
		return CAIRN_OK;
	}
	c->values++;
	if (c->is_int || c->is_dec) {
		int num = crn_decimal_parse(v, &m, &sc) == CAIRN_OK;

		if (num && strchr(v, '.') == NULL && c->is_int) {
			/* still an integer */
		} else {
			c->is_int = 0;
		}
		if (!num)
			c->is_dec = 0;
		if (num) {
			if (sc > c->scale)
				c->scale = sc;
			if (c->values == 1 ||
			    dec_cmp_i(m, sc, c->min_m, c->min_s) < 0) {
				c->min_m = m;
				c->min_s = sc;
			}
			if (c->values == 1 ||
			    dec_cmp_i(m, sc, c->max_m, c->max_s) > 0) {
				c->max_m = m;
				c->max_s = sc;
			}
		}
	}
	if (c->is_cat) {
		const char *why = unusable_category(v);

		if (why != NULL) {
			c->is_cat = 0;
			c->why = why;
		} else {
			for (i = 0; i < c->ndom; i++)
				if (strcmp(c->dom[i], v) == 0)
					break;
			if (i == c->ndom) {
				if (c->ndom == INFER_MAX_DOMAIN) {
					c->is_cat = 0;
					c->why = "more than 32 distinct values";
				} else if ((c->dom[c->ndom] = crn_strdup(v)) ==
				    NULL) {
					return CAIRN_ENOMEM;
				} else {
					c->ndom++;
				}
			}
		}
	}
	return CAIRN_OK;
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct obuf {
	char *p;
	size_t len, cap;
	int oom;
} obuf;

static void ob_printf(obuf *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
ob_printf(obuf *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->p != NULL ? o->p + o->len : NULL,
		    o->p != NULL ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = 1;
			return;
		}
		if (o->p != NULL && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		{
			size_t nc = o->cap == 0 ? 1024 : o->cap;
			char *np;

			while (nc <= o->len + (size_t)n)
				nc *= 2;
			if ((np = crn_realloc(o->p, o->cap, nc)) == NULL) {
				o->oom = 1;
				return;
			}
			o->p = np;
			o->cap = nc;
		}
	}
}

static void
print_bound(obuf *o, const char *key, int64_t m, uint32_t from, uint32_t to)
{
	int64_t v;
	int exact;
	char buf[64];

	if (crn_decimal_rescale(m, from, to, 0, &v, &exact) != CAIRN_OK) {
		ob_printf(o, "%s = ?\n", key);
		return;
	}
	crn_decimal_format(v, to, buf, sizeof(buf));
	ob_printf(o, "%s = %s\n", key, buf);
}

static void
render(obuf *o, const char *src, size_t nfiles, const char *dataset, icol *cols,
    size_t ncols, uint64_t rows)
{
	uint64_t max_rows = 10;
	size_t i, j;

	while (max_rows < rows * 2 && max_rows < ((uint64_t)1 << 60))
		max_rows *= 10;
	ob_printf(o,
	    "; Draft federation schema inferred by 'cairn schema infer'\n"
	    "; from %s (%llu rows%s).  REVIEW BEFORE USE:\n"
	    ";  - min/max below are what %s.  Every node's\n"
	    ";    values must lie within them (values outside are clipped\n"
	    ";    and counted), and they are public: widen them to round\n"
	    ";    numbers that reveal nothing about individual records.\n"
	    ";  - max_rows bounds the rows any single node holds; it sizes\n"
	    ";    the arithmetic, so set it from the largest node.\n"
	    ";  - check each category's domain lists every legal value.\n"
	    "\n[federation]\nmin_cell = %d\nmax_nodes = %d\n"
	    "\n[dataset %s]\nmax_rows = %llu\n",
	    src, (unsigned long long)rows,
	    nfiles > 1 ? " in the largest" : "",
	    nfiles > 1 ? "these files hold together" : "this one file holds",
	    CRN_SCHEMA_DEFAULT_MIN_CELL,
	    CRN_SCHEMA_DEFAULT_MAX_NODES, dataset,
	    (unsigned long long)max_rows);
	for (i = 0; i < ncols; i++) {
		icol *c = &cols[i];
		int nullable = c->nulls > 0;

		ob_printf(o, "\n");
		if (c->values == 0) {
			ob_printf(o,
			    "; [column %s.%s]\n; not usable: no values in the file\n",
			    dataset, c->name);
			continue;
		}
		if (c->is_int || c->is_dec) {
			uint32_t sc = c->is_int ? 0 : c->scale;

			ob_printf(o, "[column %s.%s]\ntype = %s\n", dataset,
			    c->name, c->is_int ? "integer" : "decimal");
			if (!c->is_int)
				ob_printf(o, "scale = %u\n", sc);
			ob_printf(o, "; seen in %llu values; review\n",
			    (unsigned long long)c->values);
			print_bound(o, "min", c->min_m, c->min_s, sc);
			print_bound(o, "max", c->max_m, c->max_s, sc);
		} else if (c->is_cat) {
			size_t w;

			qsort(c->dom, c->ndom, sizeof(char *), str_cmp);
			ob_printf(o,
			    "[column %s.%s]\ntype = category\n"
			    "; %zu distinct values seen; add any missing\n"
			    "domain = ",
			    dataset, c->name, c->ndom);
			w = 9;
			for (j = 0; j < c->ndom; j++) {
				size_t n = strlen(c->dom[j]);

				if (j > 0 && w + n + 2 > 76) {
					/* An indented line continues the
					 * domain (inih multi-line value). */
					ob_printf(o, "\n  ");
					w = 2;
				} else if (j > 0) {
					ob_printf(o, " ");
					w++;
				}
				ob_printf(o, "%s%s", c->dom[j],
				    j + 1 < c->ndom ? "," : "");
				w += n + 1;
			}
			ob_printf(o, "\n");
		} else {
			ob_printf(o,
			    "; [column %s.%s]\n; not usable in queries: free text (%s)\n",
			    dataset, c->name,
			    c->why != NULL ? c->why : "not a number");
			continue;
		}
		ob_printf(o, "nullable = %s\n", nullable ? "true" : "false");
	}
}

static void
icols_free(icol *cols, size_t ncols)
{
	size_t i, j;

	for (i = 0; i < ncols; i++) {
		crn_strfree(cols[i].name);
		for (j = 0; j < cols[i].ndom; j++)
			crn_strfree(cols[i].dom[j]);
	}
	crn_free(cols, ncols * sizeof(icol));
}

/* Make names unique: a later duplicate gets _2, _3, ... */
static cairn_err
icols_unique(icol *cols, size_t ncols)
{
	size_t i, j, k;

	for (i = 1; i < ncols; i++) {
		for (k = 2;; k++) {
			char tmp[80];
			char *nn;

			for (j = 0; j < i; j++)
				if (strcmp(cols[j].name, cols[i].name) == 0)
					break;
			if (j == i)
				break;
			snprintf(tmp, sizeof(tmp), "%.60s_%zu", cols[j].name,
			    k);
			if ((nn = crn_strdup(tmp)) == NULL)
				return CAIRN_ENOMEM;
			crn_strfree(cols[i].name);
			cols[i].name = nn;
		}
	}
	return CAIRN_OK;
}

/* The header row names the columns: a new array in *colsp. */
static cairn_err
infer_header(csvr *r, icol **colsp, size_t *ncolsp)
{
	icol *cols = NULL;
	size_t ncols = 0;
	cairn_err rv;
	int end;

	r->row_line = r->line;
	do {
		icol *nc;

		if ((rv = csv_field(r, &end, ncols == 0)) != CAIRN_OK)
			goto out;
		if (end == 2) {
			csv_err(r, 1, "empty file: a header row is required");
			rv = CAIRN_EDATA;
			goto out;
		}
		if (ncols == INFER_MAX_COLS) {
			csv_err(r, r->row_line, "more than %d columns",
			    INFER_MAX_COLS);
			rv = CAIRN_ETOOBIG;
			goto out;
		}
		nc = crn_realloc(
		    cols, ncols * sizeof(icol), (ncols + 1) * sizeof(icol));
		if (nc == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
		cols = nc;
		memset(&cols[ncols], 0, sizeof(icol));
		cols[ncols].is_int = cols[ncols].is_dec = 1;
		cols[ncols].is_cat = 1;
		ncols++;
		cols[ncols - 1].name =
		    ident_from(r->buf != NULL ? r->buf : "", ncols - 1);
		if (cols[ncols - 1].name == NULL) {
			rv = CAIRN_ENOMEM;
			goto out;
		}
	} while (end == 0);
	if ((rv = icols_unique(cols, ncols)) != CAIRN_OK)
		goto out;
	*colsp = cols;
	*ncolsp = ncols;
	cols = NULL;
	ncols = 0;
out:
	icols_free(cols, ncols);
	return rv;
}

/* Observe every data row; *rows gets their number. */
static cairn_err
infer_rows(csvr *r, icol *cols, size_t ncols, uint64_t *rows)
{
	cairn_err rv;
	size_t i;
	int end;

	*rows = 0;
	for (;;) {
		r->row_line = r->line;
		for (i = 0;; i++) {
			if ((rv = csv_field(r, &end, i == 0)) != CAIRN_OK)
				return rv;
			if (end == 2)
				break;
			if (i == 0 && end == 1 && r->len == 0 && ncols > 1)
				break; /* a blank line */
			if (i >= ncols) {
				csv_err(r, r->row_line,
				    "row has more than the %zu fields of the header",
				    ncols);
				return CAIRN_EDATA;
			}
			if ((rv = observe(&cols[i],
			         r->buf != NULL ? r->buf : "")) != CAIRN_OK)
				return rv;
			if (end == 1) {
				if (i + 1 != ncols) {
					csv_err(r, r->row_line,
					    "row has %zu fields, the header has %zu",
					    i + 1, ncols);
					return CAIRN_EDATA;
				}
				(*rows)++;
				break;
			}
		}
		if (end == 2)
			return CAIRN_OK;
	}
}

/* A later file's header must name the first file's columns, in order. */
static cairn_err
infer_same_header(csvr *r, const char *first, const icol *cols, size_t ncols)
{
	icol *other = NULL;
	size_t nother = 0, i;
	cairn_err rv;

	if ((rv = infer_header(r, &other, &nother)) != CAIRN_OK)
		return rv;
	for (i = 0; i < ncols && i < nother; i++)
		if (strcmp(cols[i].name, other[i].name) != 0)
			break;
	if (i < ncols || i < nother) {
		if (i < ncols && i < nother)
			csv_err(r, 1,
			    "column %zu is '%s' but '%s' in %s: every file needs the same header",
			    i + 1, other[i].name, cols[i].name, first);
		else
			csv_err(r, 1,
			    "the header has %zu columns but %zu in %s: every file needs the same header",
			    nother, ncols, first);
		rv = CAIRN_EDATA;
	}
	icols_free(other, nother);
	return rv;
}

/* Take the finished draft out of o as the NUL-terminated *out. */
static cairn_err
infer_finish(obuf *o, char **out, size_t *outlen)
{
	/* Exactly len + 1 bytes, as the header promises. */
	char *np;

	if (o->oom)
		return CAIRN_ENOMEM;
	if ((np = crn_realloc(o->p, o->cap, o->len + 1)) == NULL)
		return CAIRN_ENOMEM;
	*out = np;
	*outlen = o->len;
	o->p = NULL;
	o->cap = 0;
	return CAIRN_OK;
}

cairn_err
crn_schema_infer_many(FILE *const *in, const char *const *names, size_t nin,
    const char *dataset, char **out, size_t *outlen, char *err, size_t errlen)
{
	csvr r;
	icol *cols = NULL;
	size_t ncols = 0, k;
	uint64_t rows, most = 0;
	obuf o = {0};
	char src[256];
	cairn_err rv = CAIRN_EINVAL;

	*out = NULL;
	*outlen = 0;
	memset(&r, 0, sizeof(r));
	r.err = err;
	r.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (nin == 0) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no CSV file to read");
		return CAIRN_EINVAL;
	}
	if (!is_ident(dataset, strlen(dataset))) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen,
			    "dataset name '%s' must be a lower-case identifier",
			    dataset);
		return CAIRN_EINVAL;
	}
	for (k = 0; k < nin; k++) {
		r.f = in[k];
		r.name = names != NULL && names[k] != NULL ? names[k] : "csv";
		r.line = 1;
		if (k == 0)
			rv = infer_header(&r, &cols, &ncols);
		else
			rv = infer_same_header(&r, names[0], cols, ncols);
		if (rv != CAIRN_OK)
			goto out;
		if ((rv = infer_rows(&r, cols, ncols, &rows)) != CAIRN_OK)
			goto out;
		if (ferror(in[k])) {
			csv_err(&r, r.line, "read error");
			rv = CAIRN_ESYS;
			goto out;
		}
		if (rows > most)
			most = rows;
	}
	if (nin == 1)
		snprintf(src, sizeof(src), "%s", r.name);
	else
		snprintf(src, sizeof(src), "%zu files (%s ... %s)", nin,
		    names[0], r.name);
	render(&o, src, nin, dataset, cols, ncols, most);
	rv = infer_finish(&o, out, outlen);
out:
	crn_free(o.p, o.cap);
	crn_free(r.buf, r.cap);
	icols_free(cols, ncols);
	return rv;
}

cairn_err
crn_schema_infer(FILE *in, const char *name, const char *dataset, char **out,
    size_t *outlen, char *err, size_t errlen)
{
	const char *names[1] = {name != NULL ? name : "csv"};

	return crn_schema_infer_many(
	    &in, names, 1, dataset, out, outlen, err, errlen);
}
