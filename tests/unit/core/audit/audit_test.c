/* audit_test.c — the hash-chained audit log: every altered byte, deleted,
 * reordered or truncated entry is named at the right entry; reopening,
 * key changes, signed heads, RFC 3339 times. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cairn_test.h"
#include "crypto/cert.h"

#define T0 1796000000ULL /* 2026-11-30 */

static crn_identity *
ident(uint8_t b)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN];
	crn_identity *id = NULL;

	memset(seed, b, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&id, seed));
	return id;
}

static char *
path_in(const char *dir, const char *name)
{
	static char p[4][512];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

/* Five entries: open + four events, one with awkward text. */
static void
write_log(const char *path, crn_identity *id)
{
	crn_audit *a = NULL;
	char err[512];
	const crn_audit_field recv[] = {{"job", "0a1b2c3d"},
	    {"researcher", "alice"},
	    {"sql", "SELECT \"x\", count(*)\nFROM t -- \\ \x01 caf\xc3\xa9"}};
	const crn_audit_field dec[] = {
	    {"job", "0a1b2c3d"}, {"decision", "accept"}, {"reason", ""}};
	const crn_audit_field out[] = {
	    {"job", "0a1b2c3d"}, {"outcome", "done"}};

	CAIRN_T_PASS(crn_audit_open(&a, path, id, T0, err, sizeof(err)));
	CAIRN_T_PASS(crn_audit_append(a, T0 + 1, "received", recv, 3));
	CAIRN_T_PASS(crn_audit_append(a, T0 + 2, "decision", dec, 3));
	CAIRN_T_PASS(crn_audit_budget(
	    a, T0 + 3, "0a1b2c3d", "alice", "cps", "rho=0.1", "rho=0.9"));
	CAIRN_T_PASS(crn_audit_append(a, T0 + 4, "outcome", out, 2));
	crn_audit_close(a);
}

static char *
slurp(const char *path, size_t *len)
{
	uint8_t *b = NULL;

	CAIRN_T_PASS(crn_file_read(path, 1 << 20, &b, len));
	return (char *)b;
}

/* Start offset of each line (entry i at starts[i-1]). */
static size_t
line_starts(const char *b, size_t len, size_t *starts, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < len && n < max; i++)
		if (i == 0 || b[i - 1] == '\n')
			starts[n++] = i;
	return n;
}

static uint64_t
entry_of(const size_t *starts, size_t n, size_t off)
{
	uint64_t e = 0;

	for (size_t i = 0; i < n; i++)
		if (starts[i] <= off)
			e = i + 1;
	return e;
}

typedef struct seen {
	int n;
	char sql[256];
	char type[5][32];
} seen;

static cairn_err
visit(void *arg, const crn_audit_entry *e)
{
	seen *s = arg;
	const char *q = crn_audit_field_get(e, "sql");

	if (s->n < 5)
		snprintf(s->type[s->n], sizeof(s->type[0]), "%s", e->type);
	s->n++;
	if (q != NULL)
		snprintf(s->sql, sizeof(s->sql), "%s", q);
	return CAIRN_OK;
}

static void
test_roundtrip(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(1);
	crn_audit_report rep;
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	seen s;

	(void)state;
	write_log(p, id);
	memset(&s, 0, sizeof(s));
	crn_identity_public(id, pk);
	CAIRN_T_PASS(crn_audit_verify_file(p, pk, visit, &s, &rep));
	CAIRN_T_EQ(rep.entries, 5);
	CAIRN_T_EQ(s.n, 5);
	assert_string_equal(s.type[0], "open");
	assert_string_equal(s.type[3], "budget");
	assert_string_equal(
	    s.sql, "SELECT \"x\", count(*)\nFROM t -- \\ \x01 caf\xc3\xa9");
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

/* Every byte of the file, changed three ways, is caught at its entry. */
static void
test_every_byte(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(2);
	static const uint8_t flips[] = {0x01, 0x20, 0x80};
	size_t len = 0, starts[8], n;
	char *b, *m;
	crn_audit_report rep;

	(void)state;
	write_log(p, id);
	b = slurp(p, &len);
	n = line_starts(b, len, starts, 8);
	CAIRN_T_EQ(n, 5);
	m = malloc(len);
	assert_non_null(m);
	for (size_t off = 0; off < len; off++) {
		for (size_t f = 0; f < CRN_NELEM(flips); f++) {
			memcpy(m, b, len);
			m[off] = (char)(m[off] ^ flips[f]);
			CAIRN_T_FAIL(crn_audit_verify_buf(
			                 m, len, NULL, NULL, NULL, &rep),
			    CAIRN_ETAMPERED);
			if (rep.bad != entry_of(starts, n, off))
				fail_msg("byte %zu ^ 0x%02x: reported entry %llu, expected %llu (%s)",
				    off, flips[f], (unsigned long long)rep.bad,
				    (unsigned long long)entry_of(
				        starts, n, off),
				    rep.why);
		}
	}
	free(m);
	crn_free(b, len + 1);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

/* Build the file from lines in the given order (1-based; 0 ends). */
static size_t
assemble(const char *b, const size_t *starts, size_t n, size_t len,
    const int *order, char *out)
{
	size_t o = 0;

	for (int i = 0; order[i] != 0; i++) {
		size_t s = starts[order[i] - 1];
		size_t e = (size_t)order[i] < n ? starts[order[i]] : len;

		memcpy(out + o, b + s, e - s);
		o += e - s;
	}
	return o;
}

static void
test_delete_reorder_truncate(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(3);
	size_t len = 0, starts[8], n, ml;
	char *b, *m;
	crn_audit_report rep;
	static const struct {
		int order[6];
		uint64_t bad;
	} cases[] = {
	    {{2, 3, 4, 5, 0}, 1}, /* first deleted */
	    {{1, 3, 4, 5, 0}, 2}, {{1, 2, 4, 5, 0}, 3}, {{1, 2, 3, 5, 0}, 4},
	    {{2, 1, 3, 4, 5, 0}, 1}, /* reordered */
	    {{1, 3, 2, 4, 5, 0}, 2}, {{1, 2, 3, 5, 4, 0}, 4},
	    {{1, 2, 3, 4, 4, 0}, 5}, /* duplicated */
	};

	(void)state;
	write_log(p, id);
	b = slurp(p, &len);
	n = line_starts(b, len, starts, 8);
	m = malloc(2 * len);
	assert_non_null(m);
	for (size_t c = 0; c < CRN_NELEM(cases); c++) {
		ml = assemble(b, starts, n, len, cases[c].order, m);
		CAIRN_T_FAIL(
		    crn_audit_verify_buf(m, ml, NULL, NULL, NULL, &rep),
		    CAIRN_ETAMPERED);
		if (rep.bad != cases[c].bad)
			fail_msg(
			    "case %zu: entry %llu reported, expected %llu (%s)",
			    c, (unsigned long long)rep.bad,
			    (unsigned long long)cases[c].bad, rep.why);
	}
	/* Any cut inside the last line: reported as a truncated entry 5. */
	for (size_t cut = starts[4] + 1; cut < len; cut++) {
		CAIRN_T_FAIL(
		    crn_audit_verify_buf(b, cut, NULL, NULL, NULL, &rep),
		    CAIRN_ETAMPERED);
		CAIRN_T_EQ(rep.bad, 5);
		if (cut < len - 1)
			assert_non_null(strstr(rep.why, "truncated"));
	}
	/* The whole last line gone is a shorter valid log: only a head
	 * recorded earlier shows it (test_head). */
	CAIRN_T_PASS(
	    crn_audit_verify_buf(b, starts[4], NULL, NULL, NULL, &rep));
	CAIRN_T_EQ(rep.entries, 4);
	free(m);
	crn_free(b, len + 1);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

static void
test_reopen_and_keys(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(4), *id2 = ident(5);
	uint8_t pk[CAIRN_SIGN_PK_LEN], pk2[CAIRN_SIGN_PK_LEN];
	crn_audit_report rep;
	crn_audit *a = NULL;
	char err[512];
	const crn_audit_field f[] = {{"job", "x"}};
	FILE *fp;

	(void)state;
	crn_identity_public(id, pk);
	crn_identity_public(id2, pk2);
	write_log(p, id);
	/* Same key: continues the chain, no new open entry. */
	CAIRN_T_PASS(crn_audit_open(&a, p, id, T0 + 10, err, sizeof(err)));
	CAIRN_T_PASS(crn_audit_append(a, T0 + 11, "outcome", f, 1));
	crn_audit_close(a);
	CAIRN_T_PASS(crn_audit_verify_file(p, pk, NULL, NULL, &rep));
	CAIRN_T_EQ(rep.entries, 6);
	CAIRN_T_EQ(rep.keys, 1);
	/* A new key: an open entry under it; a verifier holding the first
	 * key refuses from there. */
	CAIRN_T_PASS(crn_audit_open(&a, p, id2, T0 + 20, err, sizeof(err)));
	crn_audit_close(a);
	CAIRN_T_PASS(crn_audit_verify_file(p, NULL, NULL, NULL, &rep));
	CAIRN_T_EQ(rep.entries, 7);
	CAIRN_T_EQ(rep.keys, 2);
	CAIRN_T_FAIL(
	    crn_audit_verify_file(p, pk, NULL, NULL, &rep), CAIRN_ETAMPERED);
	CAIRN_T_EQ(rep.bad, 7);
	CAIRN_T_FAIL(
	    crn_audit_verify_file(p, pk2, NULL, NULL, &rep), CAIRN_ETAMPERED);
	CAIRN_T_EQ(rep.bad, 1);
	/* A damaged log is not extended. */
	fp = fopen(p, "a");
	assert_non_null(fp);
	fputs("{\"seq\":8", fp);
	fclose(fp);
	CAIRN_T_FAIL(crn_audit_open(&a, p, id, T0 + 30, err, sizeof(err)),
	    CAIRN_ETAMPERED);
	assert_non_null(strstr(err, "entry 8: truncated"));
	/* Bad types and keys are refused before anything is written. */
	crn_identity_free(id);
	crn_identity_free(id2);
	crn_t_rmtree(dir);
}

static void
test_bad_input(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(6);
	crn_audit *a = NULL;
	crn_audit_report rep;
	char err[512];
	const crn_audit_field bad[] = {{"Job", "x"}};

	(void)state;
	CAIRN_T_PASS(crn_audit_open(&a, p, id, T0, err, sizeof(err)));
	CAIRN_T_FAIL(crn_audit_append(a, T0, "Outcome", NULL, 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_audit_append(a, T0, "outcome", bad, 1), CAIRN_EINVAL);
	crn_audit_close(a);
	CAIRN_T_PASS(crn_audit_verify_file(p, NULL, NULL, NULL, &rep));
	CAIRN_T_EQ(rep.entries, 1);
	CAIRN_T_FAIL(
	    crn_audit_verify_file(path_in(dir, "none"), NULL, NULL, NULL, &rep),
	    CAIRN_ENOENT);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

/* A signed head pins the log: dropping or rewriting an entry at or
 * before it no longer matches. */
static void
test_head(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *p = path_in(dir, "audit.log");
	crn_identity *id = ident(7);
	uint8_t job[16], head[CRN_AUDIT_HEAD_LEN], h[CRN_AUDIT_HASH_LEN];
	uint8_t pk[CAIRN_SIGN_PK_LEN], h0[CRN_AUDIT_HASH_LEN];
	crn_audit *a = NULL;
	crn_audit_report rep;
	uint64_t seq = 0, s0 = 0;
	char err[512];

	(void)state;
	memset(job, 9, sizeof(job));
	crn_identity_public(id, pk);
	write_log(p, id);
	CAIRN_T_PASS(crn_audit_open(&a, p, id, T0, err, sizeof(err)));
	CAIRN_T_PASS(crn_audit_head_sign(a, job, head));
	crn_audit_head(a, &s0, h0);
	crn_audit_close(a);
	CAIRN_T_PASS(
	    crn_audit_head_check(head, sizeof(head), job, pk, &seq, h));
	CAIRN_T_EQ(seq, 5);
	CAIRN_T_EQ(seq, s0);
	assert_memory_equal(h, h0, sizeof(h));
	CAIRN_T_PASS(crn_audit_verify_file(p, pk, NULL, NULL, &rep));
	assert_memory_equal(rep.head, h, sizeof(h));
	job[0] ^= 1;
	CAIRN_T_FAIL(crn_audit_head_check(head, sizeof(head), job, pk, &seq, h),
	    CAIRN_EAUTH);
	job[0] ^= 1;
	head[3] ^= 1;
	CAIRN_T_FAIL(crn_audit_head_check(head, sizeof(head), job, pk, &seq, h),
	    CAIRN_EAUTH);
	CAIRN_T_FAIL(
	    crn_audit_head_check(head, 10, job, pk, &seq, h), CAIRN_EINVAL);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

static void
test_time(void **state)
{
	char s[CRN_AUDIT_TIME_LEN];
	uint64_t t = 0;

	(void)state;
	crn_audit_time(T0, s);
	assert_string_equal(s, "2026-11-30T00:53:20Z");
	CAIRN_T_PASS(crn_audit_time_parse(s, &t));
	CAIRN_T_EQ(t, T0);
	CAIRN_T_PASS(crn_audit_time_parse("2026-11-30T02:53:20+02:00", &t));
	CAIRN_T_EQ(t, T0);
	CAIRN_T_PASS(crn_audit_time_parse("2026-11-30T00:53:20.5Z", &t));
	CAIRN_T_EQ(t, T0);
	CAIRN_T_PASS(crn_audit_time_parse("2026-11-30", &t));
	CAIRN_T_EQ(t, T0 - (53 * 60 + 20));
	CAIRN_T_FAIL(
	    crn_audit_time_parse("2026-11-30T04:53", &t), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_audit_time_parse("yesterday", &t), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_audit_time_parse("2026-13-01", &t), CAIRN_EINVAL);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip),
    cmocka_unit_test(test_every_byte),
    cmocka_unit_test(test_delete_reorder_truncate),
    cmocka_unit_test(test_reopen_and_keys),
    cmocka_unit_test(test_bad_input),
    cmocka_unit_test(test_head),
    cmocka_unit_test(test_time),
};

CAIRN_TEST_MAIN(tests)
