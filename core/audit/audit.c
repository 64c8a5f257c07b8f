/*
 * audit.c — the hash-chained audit log.  See audit.h.
 *
 * The line layout is fixed (keys in one order, lowercase hex, no spaces)
 * so that the parser can be strict: any byte changed in a line either
 * breaks its syntax or its signature, and the verifier names that line.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "crypto/cert.h"

/* The file holds 64 MiB at most before verification refuses to read it
 * whole; a party rotating logs past that is future work. */
#define AU_FILE_MAX ((size_t)64 * 1024 * 1024)

static const uint8_t au_hash_key[CAIRN_SESSION_ID_LEN] = "cairn-audit-log";
static const char au_sig_ctx[] = "cairn-audit-v1";
static const char au_head_ctx[] = "cairn-audit-head-v1";

struct crn_audit {
	int fd;
	const crn_identity *id;
	uint64_t seq;
	uint8_t head[CRN_AUDIT_HASH_LEN];
};

/* A growing text buffer. */
typedef struct au_buf {
	char *p;
	size_t len, cap;
	bool oom;
} au_buf;

static void
au_put(au_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap > 0 ? b->cap : 256;
		char *q;

		while (cap < b->len + n + 1)
			cap *= 2;
		if ((q = crn_realloc(b->p, b->cap, cap)) == NULL) {
			b->oom = true;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
au_puts(au_buf *b, const char *s)
{
	au_put(b, s, strlen(s));
}

static void
au_hex(au_buf *b, const uint8_t *v, size_t n)
{
	static const char d[] = "0123456789abcdef";
	char two[2];

	for (size_t i = 0; i < n; i++) {
		two[0] = d[v[i] >> 4];
		two[1] = d[v[i] & 15];
		au_put(b, two, 2);
	}
}

/* A JSON string body: quote, backslash and control characters escaped. */
static void
au_escaped(au_buf *b, const char *s)
{
	char esc[8];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			au_put(b, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			au_put(b, esc, 6);
		} else {
			au_put(b, (const char *)s, 1);
		}
	}
}

static bool
au_word_ok(const char *w, size_t max)
{
	size_t n = 0;

	if (w == NULL || *w == '\0')
		return false;
	for (; *w != '\0'; w++, n++)
		if (!((*w >= 'a' && *w <= 'z') || *w == '_') || n >= max)
			return false;
	return true;
}

static cairn_err
au_line_hash(const char *line, size_t len, uint8_t out[CRN_AUDIT_HASH_LEN])
{
	return crn_hash_commit(
	    out, au_hash_key, "audit-entry", (const uint8_t *)line, len);
}

/* Signature over the context and the signed part of a line. */
static cairn_err
au_sig_msg(const char *part, size_t len, uint8_t **msg, size_t *mlen)
{
	*mlen = sizeof(au_sig_ctx) + len;
	if ((*msg = crn_alloc(*mlen)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(*msg, au_sig_ctx, sizeof(au_sig_ctx));
	memcpy(*msg + sizeof(au_sig_ctx), part, len);
	return CAIRN_OK;
}

void
crn_audit_time(uint64_t t, char out[CRN_AUDIT_TIME_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, CRN_AUDIT_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, CRN_AUDIT_TIME_LEN, "1970-01-01T00:00:00Z");
}

/* Build the line for the next entry (without its newline). */
static cairn_err
au_build(const crn_audit *a, uint64_t now, const char *type,
    const crn_audit_field *f, size_t nf, au_buf *b)
{
	char num[32], tm[CRN_AUDIT_TIME_LEN];
	uint8_t sig[CAIRN_SIG_LEN], *msg = NULL;
	size_t mlen = 0;
	cairn_err rv;

	if (!au_word_ok(type, CRN_AUDIT_TYPE_MAX))
		return CAIRN_EINVAL;
	for (size_t i = 0; i < nf; i++)
		if (!au_word_ok(f[i].key, 64))
			return CAIRN_EINVAL;
	crn_audit_time(now, tm);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)(a->seq + 1));
	au_puts(b, "{\"seq\":");
	au_puts(b, num);
	au_puts(b, ",\"time\":\"");
	au_puts(b, tm);
	au_puts(b, "\",\"prev\":\"");
	au_hex(b, a->head, CRN_AUDIT_HASH_LEN);
	au_puts(b, "\",\"type\":\"");
	au_puts(b, type);
	au_puts(b, "\",\"fields\":{");
	for (size_t i = 0; i < nf; i++) {
		au_puts(b, i > 0 ? ",\"" : "\"");
		au_puts(b, f[i].key);
		au_puts(b, "\":\"");
		au_escaped(b, f[i].value != NULL ? f[i].value : "");
		au_puts(b, "\"");
	}
	au_puts(b, "}");
	if (b->oom)
		return CAIRN_ENOMEM;
	if (b->len + 200 > CRN_AUDIT_LINE_MAX)
		return CAIRN_EINVAL;
	if ((rv = au_sig_msg(b->p, b->len, &msg, &mlen)) != CAIRN_OK)
		return rv;
	rv = crn_identity_sign(a->id, msg, mlen, sig);
	crn_free(msg, mlen);
	if (rv != CAIRN_OK)
		return rv;
	au_puts(b, ",\"sig\":\"");
	au_hex(b, sig, sizeof(sig));
	au_puts(b, "\"}");
	return b->oom ? CAIRN_ENOMEM : CAIRN_OK;
}

static cairn_err
au_write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return CAIRN_ESYS;
		p += w;
		n -= (size_t)w;
	}
	return CAIRN_OK;
}

cairn_err
crn_audit_append(crn_audit *a, uint64_t now, const char *type,
    const crn_audit_field *f, size_t nf)
{
	au_buf b = {0};
	uint8_t h[CRN_AUDIT_HASH_LEN];
	cairn_err rv;

	if (a == NULL || (f == NULL && nf > 0))
		return CAIRN_EINVAL;
	if ((rv = au_build(a, now, type, f, nf, &b)) != CAIRN_OK ||
	    (rv = au_line_hash(b.p, b.len, h)) != CAIRN_OK)
		goto out;
	au_put(&b, "\n", 1);
	if (b.oom) {
		rv = CAIRN_ENOMEM;
		goto out;
	}
	/* One write of the whole line, then fsync: the entry is on disk
	 * before whatever it records is acted on. */
	if (au_write_all(a->fd, b.p, b.len) != CAIRN_OK || fsync(a->fd) != 0) {
		crn_log_err("audit log write: %s", strerror(errno));
		rv = CAIRN_ESYS;
		goto out;
	}
	a->seq++;
	memcpy(a->head, h, sizeof(h));
	rv = CAIRN_OK;
out:
	crn_free(b.p, b.cap);
	return rv;
}

cairn_err
crn_audit_budget(crn_audit *a, uint64_t now, const char *job,
    const char *researcher, const char *dataset, const char *charge,
    const char *remaining)
{
	const crn_audit_field f[] = {
	    {"job", job},
	    {"researcher", researcher},
	    {"dataset", dataset},
	    {"charge", charge},
	    {"remaining", remaining},
	};

	return crn_audit_append(a, now, CRN_AUDIT_BUDGET, f, CRN_NELEM(f));
}

void
crn_audit_head(
    const crn_audit *a, uint64_t *seq, uint8_t hash[CRN_AUDIT_HASH_LEN])
{
	*seq = a->seq;
	memcpy(hash, a->head, CRN_AUDIT_HASH_LEN);
}

static void
au_head_msg(uint8_t *m, const uint8_t job_id[16], const uint8_t *seqhash)
{
	memcpy(m, au_head_ctx, sizeof(au_head_ctx));
	memcpy(m + sizeof(au_head_ctx), job_id, 16);
	memcpy(m + sizeof(au_head_ctx) + 16, seqhash, 8 + CRN_AUDIT_HASH_LEN);
}

cairn_err
crn_audit_head_sign(const crn_audit *a, const uint8_t job_id[16],
    uint8_t out[CRN_AUDIT_HEAD_LEN])
{
	uint8_t m[sizeof(au_head_ctx) + 16 + 8 + CRN_AUDIT_HASH_LEN];

	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(a->seq >> (56 - 8 * i));
	memcpy(out + 8, a->head, CRN_AUDIT_HASH_LEN);
	au_head_msg(m, job_id, out);
	return crn_identity_sign(
	    a->id, m, sizeof(m), out + 8 + CRN_AUDIT_HASH_LEN);
}

cairn_err
crn_audit_head_check(const uint8_t *head, size_t len, const uint8_t job_id[16],
    const uint8_t pk[CAIRN_SIGN_PK_LEN], uint64_t *seq,
    uint8_t hash[CRN_AUDIT_HASH_LEN])
{
	uint8_t m[sizeof(au_head_ctx) + 16 + 8 + CRN_AUDIT_HASH_LEN];
	uint64_t s = 0;

	if (head == NULL || len != CRN_AUDIT_HEAD_LEN)
		return CAIRN_EINVAL;
	au_head_msg(m, job_id, head);
	if (crn_sign_verify(pk, m, sizeof(m), head + 8 + CRN_AUDIT_HASH_LEN) !=
	    CAIRN_OK)
		return CAIRN_EAUTH;
	for (int i = 0; i < 8; i++)
		s = (s << 8) | head[i];
	*seq = s;
	memcpy(hash, head + 8, CRN_AUDIT_HASH_LEN);
	return CAIRN_OK;
}

/* The verifier, run on the existing file, gives us its head and key. */
cairn_err
crn_audit_open(crn_audit **out, const char *path, const crn_identity *id,
    uint64_t now, char *err, size_t errlen)
{
	crn_audit_report rep;
	crn_audit *a = NULL;
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	char hex[2 * CAIRN_SIGN_PK_LEN + 1];
	cairn_err rv;

	*out = NULL;
	rv = crn_audit_verify_file(path, NULL, NULL, NULL, &rep);
	if (rv != CAIRN_OK && rv != CAIRN_ENOENT) {
		snprintf(err, errlen,
		    "audit log %s: %s; run 'cairn audit verify %s' and move the file aside to start a new log",
		    path, rep.why, path);
		return rv == CAIRN_ETAMPERED ? rv : CAIRN_ESYS;
	}
	if ((a = crn_zalloc(sizeof(*a))) == NULL)
		return CAIRN_ENOMEM;
	a->id = id;
	a->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (a->fd < 0) {
		snprintf(err, errlen, "audit log %s: cannot open: %s", path,
		    strerror(errno));
		crn_free(a, sizeof(*a));
		return CAIRN_ESYS;
	}
	if (rv == CAIRN_OK) {
		a->seq = rep.head_seq;
		memcpy(a->head, rep.head, CRN_AUDIT_HASH_LEN);
	}
	crn_identity_public(id, pk);
	if (a->seq == 0 || !crn_ct_eq(pk, rep.key, sizeof(pk))) {
		const crn_audit_field f[] = {{"key", hex}};

		for (size_t i = 0; i < sizeof(pk); i++)
			snprintf(hex + 2 * i, 3, "%02x", pk[i]);
		if ((rv = crn_audit_append(a, now, CRN_AUDIT_OPEN, f, 1)) !=
		    CAIRN_OK) {
			snprintf(err, errlen, "audit log %s: cannot write: %s",
			    path, cairn_strerror(rv));
			crn_audit_close(a);
			return rv;
		}
	}
	*out = a;
	return CAIRN_OK;
}

void
crn_audit_close(crn_audit *a)
{
	if (a == NULL)
		return;
	if (a->fd >= 0)
		(void)close(a->fd);
	crn_free(a, sizeof(*a));
}

cairn_err
crn_audit_verify_file(const char *path, const uint8_t *pk,
    crn_audit_visit visit, void *arg, crn_audit_report *rep)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	cairn_err rv;

	memset(rep, 0, sizeof(*rep));
	if ((rv = crn_file_read(path, AU_FILE_MAX, &buf, &len)) != CAIRN_OK) {
		snprintf(rep->why, sizeof(rep->why), "cannot read %s: %s", path,
		    rv == CAIRN_ENOENT ? "no such file" : cairn_strerror(rv));
		return rv;
	}
	rv = crn_audit_verify_buf((const char *)buf, len, pk, visit, arg, rep);
	crn_free(buf, len + 1);
	return rv;
}
