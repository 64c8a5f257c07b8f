/*
 * exec_csv_test.c — the CSV scanner: RFC 4180 details, number parsing,
 * every kind of malformed row (CAIRN_EDATA naming file, line and column),
 * records across buffer refills, and allocation failures.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "exec/exec.h"

enum { C_CAT, C_N, C_D, C_K, NCOLS };

static char *cat_dom[] = {"a", "b", "A, \"B\""};
static char *k_dom[] = {"x", "y"};

static crn_column cols[NCOLS] = {
    [C_CAT] = {.name = "cat",
        .type = CRN_COL_CATEGORY,
        .domain = cat_dom,
        .ndomain = 3,
        .nullable = true},
    [C_N] = {.name = "n",
        .type = CRN_COL_INT,
        .lo = -1000,
        .hi = 1000,
        .nullable = true},
    [C_D] = {.name = "d",
        .type = CRN_COL_DECIMAL,
        .scale = 2,
        .lo = -100000000,
        .hi = 100000000,
        .nullable = true},
    [C_K] = {.name = "k",
        .type = CRN_COL_CATEGORY,
        .domain = k_dom,
        .ndomain = 2,
        .nullable = false},
};

static crn_dataset ds = {.name = "t", .cols = cols, .ncols = NCOLS};

/* GROUP BY cat; n: count, sum, clipped; d: count, sum, sumsq, clipped. */
static crn_groupkey key = {.col = C_CAT, .card = 4};
static crn_measure ms[] = {
    {.col = C_N, .offset = 0},
    {.col = C_D, .need_sumsq = true, .offset = 3},
};
#define PG 8
static crn_plan plan = {.dataset = "t",
    .keys = &key,
    .nkeys = 1,
    .measures = ms,
    .nmeasures = 2,
    .ngroups = 4,
    .per_group = PG,
    .dim = 4 * PG,
    .ring_bits = 128,
    .limit = -1};

static char dir[256], path[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	crn_t_rmtree(dir);
	return 0;
}

static void
put(const char *content)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(
	    fwrite(content, 1, strlen(content), f), strlen(content));
	assert_int_equal(fclose(f), 0);
}

static cairn_err
run(const crn_plan *p, unsigned __int128 **vec, crn_exec_stats *st, char *err,
    size_t errlen)
{
	crn_source src = {.kind = CRN_SRC_CSV, .path = path};

	return crn_exec_run(p, &ds, &src, (void **)vec, st, err, errlen);
}

static void
test_good_file(void **state)
{
	unsigned __int128 *v = NULL;
	crn_exec_stats st;
	char err[256];

	(void)state;
	/* Signs, bare points, trailing zeros, quoted numbers, a category
	 * with a comma and doubled quotes, a multi-line field, CRLF, NULLs,
	 * a value to clip, and no newline at the end. */
	put("\xef\xbb\xbf"
	    "cat,n,d,k,note\n"
	    "a,+5,5.,x,plain\n"
	    "b,-3,.5,y,\"multi\nline\"\r\n"
	    "\"A, \"\"B\"\"\",7,-0.50,x,\"he said \"\"hi\"\"\"\n"
	    ",,,y,\n"
	    "a,\"12\",5.100,x,\n"
	    "b,2000,-1000000.00,y,clipped n\n"
	    "a,-0,0.00,\"x\",last");
	CAIRN_T_PASS(run(&plan, &v, &st, err, sizeof(err)));
	assert_int_equal(st.rows_scanned, 7);
	assert_int_equal(st.rows_matched, 7);
	assert_int_equal(st.clipped, 1);
	/* group a: n 5, 12, 0; d 500, 510, 0 */
	assert_true(v[0 * PG + 0] == 3);
	assert_true(v[0 * PG + 1] == 3 && v[0 * PG + 2] == 17);
	assert_true(v[0 * PG + 4] == 3 && v[0 * PG + 5] == 1010);
	assert_true(v[0 * PG + 6] == 500 * 500 + 510 * 510);
	/* group b: n -3, 2000 -> clipped to 1000; d 50, -100000000 */
	assert_true(v[1 * PG + 0] == 2);
	assert_true((__int128)v[1 * PG + 2] == 997);
	assert_true(v[1 * PG + 3] == 1);
	assert_true((__int128)v[1 * PG + 5] == 50 - 100000000);
	assert_true(v[1 * PG + 7] == 0);
	/* group 'A, "B"': n 7, d -50 */
	assert_true(v[2 * PG + 0] == 1 && v[2 * PG + 2] == 7);
	assert_true((__int128)v[2 * PG + 5] == -50);
	assert_true(v[2 * PG + 6] == 2500);
	/* the NULL group: one row, no values */
	assert_true(
	    v[3 * PG + 0] == 1 && v[3 * PG + 1] == 0 && v[3 * PG + 4] == 0);
	crn_free(v, plan.dim * 16);
}

typedef struct bad_case {
	const char *body; /* after the header line */
	unsigned line;    /* where the error is */
	const char *says; /* a piece of the message */
} bad_case;

static const bad_case bad_cases[] = {
    {"a,1,1.00,x,ok\na,1,1.00,x\n", 3, "4 fields"},
    {"a,1,1.00,x,ok,extra\n", 2, "more fields than the header"},
    {"a,1a,1.00,x,\n", 2, "(n): not a number"},
    {"a, 1,1.00,x,\n", 2, "(n): not a number"},
    {"a,1,1e3,x,\n", 2, "(d): not a number"},
    {"a,1,.,x,\n", 2, "(d): not a number"},
    {"a,1,-,x,\n", 2, "(d): not a number"},
    {"a,1,1.234,x,\n", 2, "(d): more decimal digits"},
    {"a,1,\"\",x,\n", 2, "(d): not a number"},
    {"a,99999999999999999999,1,x,\n", 2, "(n): number out of range"},
    {"a,1,92233720368547758.08,x,\n", 2, "(d): number out of range"},
    {"zz,1,1,x,\n", 2, "(cat): value outside the declared domain"},
    {"A,1,1,x,\n", 2, "(cat): value outside"},
    {"a,1,1,,\n", 2, "(k): NULL in a NOT NULL column"},
    {"\"a\"b,1,1,x,\n", 2, "text after a closing quote"},
    {"a\"b,1,1,x,\n", 2, "quote inside an unquoted field"},
    {"a,1,1,x,\"open\n\n", 2, "unterminated quoted field"},
    {"a,1,1\r,x,\n", 2, "carriage return without a line feed"},
    {"a,1,1,x,\"two\nlines\"\nb,2,2,y,\"and\nthree\nlines\"\n"
     "c,1,1,x,\n",
        7, "(cat): value outside"},
    {"a,1,1,x,\n\nb,1,1,x,\n", 3, "empty line"},
};

static void
test_malformed(void **state)
{
	(void)state;
	for (size_t i = 0; i < CRN_NELEM(bad_cases); i++) {
		const bad_case *bc = &bad_cases[i];
		unsigned __int128 *v = NULL;
		crn_exec_stats st;
		char body[512], err[256], where[320];

		snprintf(body, sizeof(body), "cat,n,d,k,note\n%s", bc->body);
		put(body);
		if (run(&plan, &v, &st, err, sizeof(err)) != CAIRN_EDATA)
			fail_msg("case %zu: not CAIRN_EDATA (%s)", i, err);
		assert_null(v);
		snprintf(where, sizeof(where), "%s:%u: ", path, bc->line);
		if (strstr(err, where) == NULL || strstr(err, bc->says) == NULL)
			fail_msg("case %zu: message '%s', wanted '%s' and '%s'",
			    i, err, where, bc->says);
	}
}

static void
test_header(void **state)
{
	unsigned __int128 *v = NULL;
	crn_exec_stats st;
	char err[256];

	(void)state;
	put("");
	CAIRN_T_FAIL(run(&plan, &v, &st, err, sizeof(err)), CAIRN_EDATA);
	put("cat,n,d,n,k\n");
	CAIRN_T_FAIL(run(&plan, &v, &st, err, sizeof(err)), CAIRN_EDATA);
	assert_non_null(strstr(err, "twice"));
	put("cat,d,k\na,1,x\n"); /* n is measured but absent */
	CAIRN_T_FAIL(run(&plan, &v, &st, err, sizeof(err)), CAIRN_ENOENT);
	assert_non_null(strstr(err, "column n not in the header"));
	/* Only a header: a valid, empty contribution. */
	put("k,d,n,cat\n");
	CAIRN_T_PASS(run(&plan, &v, &st, err, sizeof(err)));
	assert_int_equal(st.rows_scanned, 0);
	for (uint64_t i = 0; i < plan.dim; i++)
		assert_true(v[i] == 0);
	crn_free(v, plan.dim * 16);
}

/*
 * Many rows with quoted fields in varying places, plus one record larger
 * than the initial buffer: every refill boundary falls somewhere else in
 * a record, and the totals must still be exact.
 */
static void
test_refills(void **state)
{
	const int nrows = 200000;
	FILE *f = fopen(path, "w");
	unsigned __int128 *v = NULL;
	__int128 sum_n = 0, sum_d = 0, cnt[4] = {0};
	crn_exec_stats st;
	char err[256];
	uint64_t x = 88172645463325252u;

	(void)state;
	assert_non_null(f);
	fprintf(f, "note,cat,n,d,k\n");
	for (int i = 0; i < nrows; i++) {
		int c = (int)(x % 3);
		int64_t n = (int64_t)(x >> 8) % 2001 - 1000;
		int64_t d = (int64_t)(x >> 20) % 2000001 - 1000000;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (i == nrows / 2) {
			/* 3 MiB of quoted text with doubled quotes. */
			fputc('"', f);
			for (int j = 0; j < 1 << 20; j++)
				fputs(j % 1000 == 0 ? "\"\"\n" : "abc", f);
			fputc('"', f);
		} else if (i % 3 == 0) {
			fprintf(f, "\"r,%d\"", i);
		}
		if (c == 2)
			fputs(",\"A, \"\"B\"\"\"", f);
		else
			fprintf(f, i % 5 == 0 ? ",\"%s\"" : ",%s", cat_dom[c]);
		fprintf(f, i % 7 == 0 ? ",\"%lld\"," : ",%lld,", (long long)n);
		fprintf(f, "%s%lld.%02lld,%s\n", d < 0 ? "-" : "",
		    (long long)((d < 0 ? -d : d) / 100),
		    (long long)((d < 0 ? -d : d) % 100), k_dom[i % 2]);
		sum_n += n;
		sum_d += d;
		cnt[c]++;
	}
	assert_int_equal(fclose(f), 0);
	if (run(&plan, &v, &st, err, sizeof(err)) != CAIRN_OK)
		fail_msg("%s", err);
	assert_int_equal(st.rows_scanned, nrows);
	assert_int_equal(st.clipped, 0);
	for (int g = 0; g < 3; g++)
		assert_true(v[g * PG] == (unsigned __int128)cnt[g]);
	assert_true(
	    (__int128)(v[0 * PG + 2] + v[1 * PG + 2] + v[2 * PG + 2]) == sum_n);
	assert_true(
	    (__int128)(v[0 * PG + 5] + v[1 * PG + 5] + v[2 * PG + 5]) == sum_d);
	crn_free(v, plan.dim * 16);
}

/* Every allocation failure gives CAIRN_ENOMEM (and, under ASan, no
 * leak); past the last allocation the run succeeds. */
static void
test_oom(void **state)
{
	crn_exec_stats st;
	char err[256];
	long n;

	(void)state;
	put("cat,n,d,k,note\na,1,1,x,\"q\"\"q\"\n");
	for (n = 0; n < 100; n++) {
		unsigned __int128 *v = NULL;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = run(&plan, &v, &st, err, sizeof(err));
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			assert_true(v[0] == 1);
			crn_free(v, plan.dim * 16);
			break;
		}
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(v);
	}
	assert_true(n > 3 && n < 100);
}

/*
 * Random damage to a valid file: whatever the bytes, the scanner returns
 * success or CAIRN_EDATA / CAIRN_ENOENT with a message, never crashes or
 * reads out of bounds (run under ASan), and a success never counts more
 * rows than the file has lines.
 */
static void
test_random_damage(void **state)
{
	static const char good[] = "cat,n,d,k,note\n"
	                           "a,1,1.25,x,\"q\"\"q\"\n"
	                           "\"A, \"\"B\"\"\",-7,,y,\"multi\nline\"\r\n"
	                           "b,,3,x,\n"
	                           ",1000,-0.5,y,last";
	static const char alphabet[] = ",\"\r\n.-+0123456789abxyAB \t";
	uint64_t x = 0x853c49e6748fea9bu;
	int nok = 0, nbad = 0;

	(void)state;
	for (int iter = 0; iter < 3000; iter++) {
		char buf[sizeof(good) + 8];
		unsigned __int128 *v = NULL;
		crn_exec_stats st;
		char err[256];
		size_t len = sizeof(good) - 1;
		int nmut = 1 + iter % 4, lines = 1;
		cairn_err rv;
		FILE *f;

		memcpy(buf, good, len);
		for (int m = 0; m < nmut; m++) {
			size_t at;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			at = (size_t)(x % len);
			if ((x >> 32) % 5 == 0 && len > 1) {
				/* delete a byte */
				memmove(buf + at, buf + at + 1, len - at - 1);
				len--;
			} else {
				buf[at] = alphabet[(x >> 40) %
				    (sizeof(alphabet) - 1)];
			}
		}
		if (iter % 7 == 0)
			len = (size_t)(x % (len + 1)); /* truncate */
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(buf, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		for (size_t i = 0; i < len; i++)
			lines += buf[i] == '\n';
		err[0] = '\0';
		rv = run(&plan, &v, &st, err, sizeof(err));
		if (rv == CAIRN_OK) {
			assert_true(st.rows_scanned < (uint64_t)lines);
			crn_free(v, plan.dim * 16);
			nok++;
			continue;
		}
		if (rv != CAIRN_EDATA && rv != CAIRN_ENOENT)
			fail_msg("iteration %d: %s", iter, cairn_strerror(rv));
		assert_null(v);
		assert_true(err[0] != '\0');
		nbad++;
	}
	/* Both outcomes must have been exercised. */
	assert_true(nok > 100 && nbad > 100);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good_file),
    cmocka_unit_test(test_malformed),
    cmocka_unit_test(test_header),
    cmocka_unit_test(test_refills),
    cmocka_unit_test(test_oom),
    cmocka_unit_test(test_random_damage),
};

int
main(void)
{
	crn_t_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
