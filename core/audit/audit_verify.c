/*
 * audit_verify.c — reading an audit log back: the strict line parser, the
 * chain and signature checks, RFC 3339 times.  See audit.h.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "crypto/cert.h"

static const uint8_t au_hash_key[CAIRN_SESSION_ID_LEN] = "cairn-audit-log";
static const char au_sig_ctx[] = "cairn-audit-v1";

/* A cursor over one line. */
typedef struct au_cur {
	const char *p, *end;
} au_cur;

static bool
au_lit(au_cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

static int
au_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1; /* uppercase is refused: the writer never makes it */
}

static bool
au_hexbytes(au_cur *c, uint8_t *out, size_t n)
{
	if ((size_t)(c->end - c->p) < 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		int hi = au_hexval(c->p[2 * i]),
		    lo = au_hexval(c->p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	c->p += 2 * n;
	return true;
}

static bool
au_seq(au_cur *c, uint64_t *seq)
{
	uint64_t v = 0;
	int n = 0;

	if (c->p >= c->end || *c->p < '1' || *c->p > '9')
		return false;
	while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && n < 19) {
		v = v * 10 + (uint64_t)(*c->p - '0');
		c->p++;
		n++;
	}
	*seq = v;
	return true;
}

static bool
au_time(au_cur *c, char out[CRN_AUDIT_TIME_LEN])
{
	static const char pat[] = "dddd-dd-ddTdd:dd:ddZ";

	if ((size_t)(c->end - c->p) < sizeof(pat) - 1)
		return false;
	for (size_t i = 0; i < sizeof(pat) - 1; i++) {
		char ch = c->p[i];

		if (pat[i] == 'd' ? !(ch >= '0' && ch <= '9') : ch != pat[i])
			return false;
		out[i] = ch;
	}
	out[sizeof(pat) - 1] = '\0';
	c->p += sizeof(pat) - 1;
	return true;
}

static bool
au_word(au_cur *c, char *out, size_t max)
{
	size_t n = 0;

	while (
	    c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') || *c->p == '_')) {
		if (n >= max)
			return false;
		out[n++] = *c->p++;
	}
	out[n] = '\0';
	return n > 0;
}

/* A JSON string body up to its closing quote (consumed), decoded into a
 * new string. */
static bool
au_string(au_cur *c, char **out)
{
	const char *s = c->p;
	size_t n = 0, k = 0;
	char *v;

	/* First pass: find the end and the decoded length. */
	while (s < c->end && *s != '"') {
		if ((unsigned char)*s < 0x20)
			return false;
		if (*s == '\\') {
			if (s + 1 < c->end && (s[1] == '"' || s[1] == '\\'))
				s += 2;
			else if (s + 5 < c->end && s[1] == 'u' && s[2] == '0' &&
			    s[3] == '0' && au_hexval(s[4]) >= 0 &&
			    au_hexval(s[5]) >= 0)
				s += 6;
			else
				return false;
		} else {
			s++;
		}
		n++;
	}
	if (s >= c->end || (v = crn_alloc(n + 1)) == NULL)
		return false;
	for (const char *q = c->p; q < s; k++) {
		if (*q != '\\') {
			v[k] = *q++;
		} else if (q[1] != 'u') {
			v[k] = q[1];
			q += 2;
		} else {
			v[k] = (char)(au_hexval(q[4]) << 4 | au_hexval(q[5]));
			q += 6;
		}
	}
	v[n] = '\0';
	c->p = s + 1;
	*out = v;
	return true;
}

static void
au_entry_fini(crn_audit_entry *e)
{
	for (size_t i = 0; i < e->nfields; i++) {
		crn_strfree(e->keys[i]);
		crn_strfree(e->values[i]);
	}
	crn_free(e->keys, e->cap * sizeof(char *));
	crn_free(e->values, e->cap * sizeof(char *));
	e->keys = e->values = NULL;
	e->nfields = e->cap = 0;
}

static bool
au_field_add(crn_audit_entry *e, char *k, char *v)
{
	if (e->nfields == e->cap) {
		size_t cap = e->cap > 0 ? 2 * e->cap : 8;
		char **ks = crn_alloc(cap * sizeof(char *));
		char **vs = crn_alloc(cap * sizeof(char *));

		if (ks == NULL || vs == NULL) {
			crn_free(ks, cap * sizeof(char *));
			crn_free(vs, cap * sizeof(char *));
			crn_strfree(k);
			crn_strfree(v);
			return false;
		}
		if (e->nfields > 0) {
			memcpy(ks, e->keys, e->nfields * sizeof(char *));
			memcpy(vs, e->values, e->nfields * sizeof(char *));
		}
		crn_free(e->keys, e->cap * sizeof(char *));
		crn_free(e->values, e->cap * sizeof(char *));
		e->keys = ks;
		e->values = vs;
		e->cap = cap;
	}
	e->keys[e->nfields] = k;
	e->values[e->nfields] = v;
	e->nfields++;
	return true;
}

static bool
au_fields(au_cur *c, crn_audit_entry *e)
{
	if (au_lit(c, "}"))
		return true;
	for (;;) {
		char key[65], *k, *v = NULL;

		if (!au_lit(c, "\"") || !au_word(c, key, 64) ||
		    !au_lit(c, "\":\"") || !au_string(c, &v))
			return false;
		if ((k = crn_strdup(key)) == NULL) {
			crn_strfree(v);
			return false;
		}
		if (!au_field_add(e, k, v))
			return false;
		if (au_lit(c, "}"))
			return true;
		if (!au_lit(c, ","))
			return false;
	}
}

/* Parse one line; *signed_len is the length of the signed part. */
static bool
au_parse(const char *line, size_t len, crn_audit_entry *e,
    uint8_t prev[CRN_AUDIT_HASH_LEN], uint8_t sig[CAIRN_SIG_LEN],
    size_t *signed_len)
{
	au_cur c = {line, line + len};

	if (!au_lit(&c, "{\"seq\":") || !au_seq(&c, &e->seq) ||
	    !au_lit(&c, ",\"time\":\"") || !au_time(&c, e->time) ||
	    !au_lit(&c, "\",\"prev\":\"") ||
	    !au_hexbytes(&c, prev, CRN_AUDIT_HASH_LEN) ||
	    !au_lit(&c, "\",\"type\":\"") ||
	    !au_word(&c, e->type, CRN_AUDIT_TYPE_MAX) ||
	    !au_lit(&c, "\",\"fields\":{") || !au_fields(&c, e))
		return false;
	*signed_len = (size_t)(c.p - line);
	return au_lit(&c, ",\"sig\":\"") &&
	    au_hexbytes(&c, sig, CAIRN_SIG_LEN) && au_lit(&c, "\"}") &&
	    c.p == c.end;
}

const char *
crn_audit_field_get(const crn_audit_entry *e, const char *key)
{
	for (size_t i = 0; i < e->nfields; i++)
		if (strcmp(e->keys[i], key) == 0)
			return e->values[i];
	return NULL;
}

static bool
au_sig_ok(const uint8_t pk[CAIRN_SIGN_PK_LEN], const char *line, size_t n,
    const uint8_t sig[CAIRN_SIG_LEN])
{
	size_t mlen = sizeof(au_sig_ctx) + n;
	uint8_t *m = crn_alloc(mlen);
	bool ok;

	if (m == NULL)
		return false;
	memcpy(m, au_sig_ctx, sizeof(au_sig_ctx));
	memcpy(m + sizeof(au_sig_ctx), line, n);
	ok = crn_sign_verify(pk, m, mlen, sig) == CAIRN_OK;
	crn_free(m, mlen);
	return ok;
}

/* The key an "open" entry announces. */
static bool
au_open_key(const crn_audit_entry *e, uint8_t key[CAIRN_SIGN_PK_LEN])
{
	const char *h = crn_audit_field_get(e, "key");
	au_cur c;

	if (h == NULL || strlen(h) != 2 * CAIRN_SIGN_PK_LEN)
		return false;
	c.p = h;
	c.end = h + strlen(h);
	return au_hexbytes(&c, key, CAIRN_SIGN_PK_LEN);
}

/* Check one line (without its newline) as entry number idx. */
static bool
au_check(const char *line, size_t n, uint64_t idx, const uint8_t *pk,
    crn_audit_report *rep, crn_audit_entry *e, bool *have_key)
{
	uint8_t prev[CRN_AUDIT_HASH_LEN], sig[CAIRN_SIG_LEN];
	uint8_t key[CAIRN_SIGN_PK_LEN];
	size_t slen = 0;

	if (!au_parse(line, n, e, prev, sig, &slen)) {
		snprintf(rep->why, sizeof(rep->why),
		    "entry %llu: malformed line (altered or damaged)",
		    (unsigned long long)idx);
		return false;
	}
	if (e->seq != idx) {
		snprintf(rep->why, sizeof(rep->why),
		    "entry %llu: has sequence number %llu (an entry was deleted, inserted or reordered here)",
		    (unsigned long long)idx, (unsigned long long)e->seq);
		return false;
	}
	if (!crn_ct_eq(prev, rep->head, CRN_AUDIT_HASH_LEN)) {
		snprintf(rep->why, sizeof(rep->why),
		    "entry %llu: previous-entry hash does not match entry %llu (the chain is broken here)",
		    (unsigned long long)idx, (unsigned long long)(idx - 1));
		return false;
	}
	if (strcmp(e->type, CRN_AUDIT_OPEN) == 0) {
		if (!au_open_key(e, key)) {
			snprintf(rep->why, sizeof(rep->why),
			    "entry %llu: an open entry without a valid key",
			    (unsigned long long)idx);
			return false;
		}
		if (pk != NULL && !crn_ct_eq(key, pk, CAIRN_SIGN_PK_LEN)) {
			snprintf(rep->why, sizeof(rep->why),
			    "entry %llu: opens the log under another key than the one given",
			    (unsigned long long)idx);
			return false;
		}
		memcpy(rep->key, key, sizeof(key));
		*have_key = true;
		rep->keys++;
	} else if (!*have_key) {
		if (pk == NULL) {
			snprintf(rep->why, sizeof(rep->why),
			    "entry %llu: no open entry names the signing key (give --key)",
			    (unsigned long long)idx);
			return false;
		}
		memcpy(rep->key, pk, CAIRN_SIGN_PK_LEN);
		*have_key = true;
	}
	if (!au_sig_ok(rep->key, line, slen, sig)) {
		snprintf(rep->why, sizeof(rep->why),
		    "entry %llu: signature does not verify (altered)",
		    (unsigned long long)idx);
		return false;
	}
	if (crn_hash_commit(e->hash, au_hash_key, "audit-entry",
	        (const uint8_t *)line, n) != CAIRN_OK) {
		snprintf(rep->why, sizeof(rep->why), "entry %llu: hash failed",
		    (unsigned long long)idx);
		return false;
	}
	memcpy(e->key, rep->key, CAIRN_SIGN_PK_LEN);
	return true;
}

cairn_err
crn_audit_verify_buf(const char *buf, size_t len, const uint8_t *pk,
    crn_audit_visit visit, void *arg, crn_audit_report *rep)
{
	const char *p = buf, *end = buf + len;
	bool have_key = false;
	uint64_t idx = 0;
	cairn_err rv = CAIRN_OK;

	memset(rep, 0, sizeof(*rep));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		crn_audit_entry e;
		bool ok;

		idx++;
		memset(&e, 0, sizeof(e));
		e.line = idx;
		if (nl == NULL) {
			snprintf(rep->why, sizeof(rep->why),
			    "entry %llu: truncated (the last line is incomplete)",
			    (unsigned long long)idx);
			rep->bad = idx;
			return CAIRN_ETAMPERED;
		}
		ok = (size_t)(nl - p) <= CRN_AUDIT_LINE_MAX &&
		    au_check(p, (size_t)(nl - p), idx, pk, rep, &e, &have_key);
		if (!ok) {
			if (rep->why[0] == '\0')
				snprintf(rep->why, sizeof(rep->why),
				    "entry %llu: line too long",
				    (unsigned long long)idx);
			au_entry_fini(&e);
			rep->bad = idx;
			return CAIRN_ETAMPERED;
		}
		if (visit != NULL)
			rv = visit(arg, &e);
		rep->entries = idx;
		rep->head_seq = idx;
		memcpy(rep->head, e.hash, CRN_AUDIT_HASH_LEN);
		au_entry_fini(&e);
		if (rv != CAIRN_OK)
			return rv;
		p = nl + 1;
	}
	return CAIRN_OK;
}

static bool
au_num(const char **s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return false;
		v = v * 10 + (**s - '0');
	}
	*out = v;
	return true;
}

cairn_err
crn_audit_time_parse(const char *s, uint64_t *t)
{
	int y, mo, d, h = 0, mi = 0, se = 0, oh = 0, om = 0, sign = 0;
	int64_t v;

	if (s == NULL || !au_num(&s, 4, &y) || *s++ != '-' ||
	    !au_num(&s, 2, &mo) || *s++ != '-' || !au_num(&s, 2, &d))
		return CAIRN_EINVAL;
	if (*s == 'T' || *s == 't' || *s == ' ') {
		s++;
		if (!au_num(&s, 2, &h) || *s++ != ':' || !au_num(&s, 2, &mi) ||
		    *s++ != ':' || !au_num(&s, 2, &se))
			return CAIRN_EINVAL;
		if (*s == '.')
			for (s++; *s >= '0' && *s <= '9'; s++)
				;
		if (*s == 'Z' || *s == 'z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '+' ? 1 : -1;
			if (!au_num(&s, 2, &oh) || *s++ != ':' ||
			    !au_num(&s, 2, &om))
				return CAIRN_EINVAL;
		} else {
			return CAIRN_EINVAL;
		}
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60 || oh > 23 || om > 59 || y < 1970)
		return CAIRN_EINVAL;
	v = crn_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    sign * (oh * 3600 + om * 60);
	if (v < 0)
		return CAIRN_EINVAL;
	*t = (uint64_t)v;
	return CAIRN_OK;
}
