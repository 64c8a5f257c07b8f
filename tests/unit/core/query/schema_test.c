/* schema_test.c — federation schema files and exact decimals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "query/schema.h"

static const char good[] = "; a comment\n"
                           "[federation]\n"
                           "min_cell = 7\n"
                           "max_nodes = 20\n"
                           "\n"
                           "[dataset cps]\n"
                           "max_rows = 1000\n"
                           "[column cps.wage]\n"
                           "min = -12.5\n" /* before the scale on purpose */
                           "type = decimal\n"
                           "scale = 2\n"
                           "max = 500000.00\n"
                           "nullable = true\n"
                           "[column cps.age]\n"
                           "type = integer\n"
                           "min = 16\n"
                           "max = 99\n"
                           "[column cps.region]\n"
                           "type = category\n"
                           "domain = north, south,east , west\n"
                           "  , central\n"
                           "[dataset tax]\n"
                           "max_rows = 5\n"
                           "[column tax.amount]\n"
                           "type = int\n"
                           "min = -9223372036854775808\n"
                           "max = 9223372036854775807\n";

static void
test_good(void **state)
{
	crn_schema *s = NULL;
	const crn_dataset *d;
	const crn_column *c;
	char err[256];

	(void)state;
	CAIRN_T_PASS(crn_schema_parse(good, "good.ini", &s, err, sizeof(err)));
	assert_non_null(s);
	CAIRN_T_EQ(s->min_cell, 7);
	CAIRN_T_EQ(s->max_nodes, 20);
	CAIRN_T_EQ(s->ndatasets, 2);
	d = crn_schema_dataset(s, "cps");
	assert_non_null(d);
	CAIRN_T_EQ(d->max_rows, 1000);
	CAIRN_T_EQ(d->ncols, 3);
	CAIRN_T_EQ(crn_dataset_column(d, "wage"), 0);
	CAIRN_T_EQ(crn_dataset_column(d, "region"), 2);
	CAIRN_T_EQ(crn_dataset_column(d, "nope"), -1);
	c = &d->cols[0];
	CAIRN_T_EQ(c->type, CRN_COL_DECIMAL);
	CAIRN_T_EQ(c->scale, 2);
	CAIRN_T_EQ(c->lo, -1250);
	CAIRN_T_EQ(c->hi, 50000000);
	assert_true(c->nullable);
	c = &d->cols[1];
	CAIRN_T_EQ(c->type, CRN_COL_INT);
	CAIRN_T_EQ(c->lo, 16);
	CAIRN_T_EQ(c->hi, 99);
	assert_false(c->nullable);
	c = &d->cols[2];
	CAIRN_T_EQ(c->type, CRN_COL_CATEGORY);
	CAIRN_T_EQ(c->ndomain, 5);
	assert_string_equal(c->domain[2], "east");
	assert_string_equal(c->domain[4], "central");
	CAIRN_T_EQ(crn_column_category(c, "west"), 3);
	CAIRN_T_EQ(crn_column_category(c, "West"), -1);
	d = crn_schema_dataset(s, "tax");
	assert_non_null(d);
	CAIRN_T_EQ(d->cols[0].lo, INT64_MIN);
	CAIRN_T_EQ(d->cols[0].hi, INT64_MAX);
	assert_null(crn_schema_dataset(s, "nope"));
	crn_schema_free(s);
	crn_schema_free(NULL);
}

static void
test_defaults(void **state)
{
	crn_schema *s = NULL;

	(void)state;
	CAIRN_T_PASS(
	    crn_schema_parse("[dataset a]\nmax_rows=1\n"
	                     "[column a.x]\ntype=integer\nmin=0\nmax=1\n",
	        NULL, &s, NULL, 0));
	CAIRN_T_EQ(s->min_cell, CRN_SCHEMA_DEFAULT_MIN_CELL);
	CAIRN_T_EQ(s->max_nodes, CRN_SCHEMA_DEFAULT_MAX_NODES);
	crn_schema_free(s);
}

/* Each bad file must fail with the expected line and words. */
static const struct {
	const char *text;
	const char *want; /* substring of the message */
} bad[] = {
    {"[dataset a]\nmax_rows = 0\n", "bad.ini:2: dataset 'a': max_rows"},
    {"[dataset a]\nmax_rows = 10\nmax_rows = 10\n", "bad.ini:3:"},
    {"[dataset A]\nmax_rows = 10\n", "bad.ini:2: dataset name 'A'"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = text\n",
        "bad.ini:4: column 'x': unknown type 'text'"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = decimal\n"
     "scale = 1\nmin = 0.25\nmax = 1\n",
        "bad.ini:6: column 'a.x': min '0.25' is not a number at the column's scale"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "min = 5\nmax = 1\n",
        "bad.ini:6: column 'a.x': min is above max"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "min = 1\nmax = 9223372036854775808\n",
        "bad.ini:6:"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "min = 1\n",
        "bad.ini:3: column 'a.x': min and max are required"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = category\n",
        "bad.ini:3: column 'a.x': domain is required"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = category\n"
     "domain = p, q, p\n",
        "bad.ini:5: column 'x': domain value 'p'"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "min = 0\nmax = 1\ncolour = red\n",
        "bad.ini:7: column 'x': unknown key 'colour'"},
    {"[federation]\nmin_cell = -1\n", "bad.ini:2: min_cell"},
    {"[federation]\nwhat = 1\n", "bad.ini:2: [federation]: unknown key"},
    {"[other]\nx = 1\n", "bad.ini:2: unknown section [other]"},
    {"[dataset a]\nmax_rows = 1\nthis line has no equals\n",
        "bad.ini:3: not a 'key = value' line"},
    {"[dataset a]\nmax_rows = 1\n", "bad.ini:1: dataset 'a' has no"},
    {"[federation]\nmin_cell = 3\n", "bad.ini: no [dataset NAME]"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\nmin = 1\nmax = 2\n",
        "bad.ini:3: column 'a.x': type is required"},
    {"[dataset a]\nmax_rows = 1\n[column a]\ntype = integer\n",
        "bad.ini:4: column section 'a'"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "scale = 2\nmin = 0\nmax = 1\n",
        "an integer has scale 0"},
    {"[dataset a]\nmax_rows = 1\n[column a.x]\ntype = integer\n"
     "min = 0\nmax = 1\nnullable = maybe\n",
        "bad.ini:7:"},
};

static void
test_bad(void **state)
{
	char err[256];

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(bad); i++) {
		crn_schema *s = NULL;
		cairn_err rv;

		rv = crn_schema_parse(
		    bad[i].text, "bad.ini", &s, err, sizeof(err));
		if (rv != CAIRN_ECONFIG || strstr(err, bad[i].want) == NULL)
			fail_msg("case %zu: rv %d, message '%s', want '%s'", i,
			    rv, err, bad[i].want);
		assert_null(s);
	}
}

static void
test_load_file(void **state)
{
	char path[512], err[256];
	const char *dir = crn_t_tmpdir();
	crn_schema *s = NULL;
	FILE *f;

	(void)state;
	CAIRN_T_FAIL(
	    crn_schema_load("/nonexistent/x.ini", &s, err, sizeof(err)),
	    CAIRN_ENOENT);
	assert_non_null(strstr(err, "/nonexistent/x.ini"));
	snprintf(path, sizeof(path), "%s/s.ini", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(good, f);
	fclose(f);
	CAIRN_T_PASS(crn_schema_load(path, &s, err, sizeof(err)));
	CAIRN_T_EQ(s->ndatasets, 2);
	crn_schema_free(s);
	/* The shipped example must load too. */
	{
		const char *src = getenv("CAIRN_SRC");

		if (src != NULL) {
			snprintf(path, sizeof(path),
			    "%s/examples/schema/cps.ini", src);
			CAIRN_T_PASS(
			    crn_schema_load(path, &s, err, sizeof(err)));
			assert_non_null(crn_schema_dataset(s, "cps"));
			crn_schema_free(s);
		}
	}
	crn_t_rmtree(dir);
}

static void
test_oom(void **state)
{
	(void)state;
	for (long n = 0; n < 400; n++) {
		crn_schema *s = NULL;
		cairn_err rv;

		crn_alloc_fail_after(n);
		rv = crn_schema_parse(good, "good.ini", &s, NULL, 0);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK) {
			crn_schema_free(s);
			return;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(s);
	}
	fail_msg("parse never succeeded");
}

static void
test_decimal(void **state)
{
	int64_t m, v;
	uint32_t sc;
	int exact;
	char buf[64];

	(void)state;
	CAIRN_T_PASS(crn_decimal_parse("12.3400", &m, &sc));
	CAIRN_T_EQ(m, 1234);
	CAIRN_T_EQ(sc, 2);
	CAIRN_T_PASS(crn_decimal_parse("-0.05", &m, &sc));
	CAIRN_T_EQ(m, -5);
	CAIRN_T_EQ(sc, 2);
	CAIRN_T_PASS(crn_decimal_parse("7.", &m, &sc));
	CAIRN_T_EQ(m, 7);
	CAIRN_T_EQ(sc, 0);
	CAIRN_T_FAIL(crn_decimal_parse("1e5", &m, &sc), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_decimal_parse("", &m, &sc), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_decimal_parse(".", &m, &sc), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_decimal_parse("1.2.3", &m, &sc), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_decimal_parse("99999999999999999999", &m, &sc), CAIRN_ERANGE);
	CAIRN_T_PASS(crn_decimal_to_scale("3.5", 2, &v));
	CAIRN_T_EQ(v, 350);
	CAIRN_T_FAIL(crn_decimal_to_scale("3.555", 2, &v), CAIRN_EINVAL);
	CAIRN_T_PASS(crn_decimal_rescale(3555, 3, 2, 0, &v, &exact));
	CAIRN_T_EQ(v, 355);
	CAIRN_T_EQ(exact, 0);
	CAIRN_T_PASS(crn_decimal_rescale(3555, 3, 2, 1, &v, &exact));
	CAIRN_T_EQ(v, 356);
	CAIRN_T_PASS(crn_decimal_rescale(-3555, 3, 2, 0, &v, &exact));
	CAIRN_T_EQ(v, -356);
	CAIRN_T_PASS(crn_decimal_rescale(-3555, 3, 2, 1, &v, &exact));
	CAIRN_T_EQ(v, -355);
	CAIRN_T_PASS(crn_decimal_rescale(-3500, 3, 2, 1, &v, &exact));
	CAIRN_T_EQ(v, -350);
	CAIRN_T_EQ(exact, 1);
	CAIRN_T_FAIL(
	    crn_decimal_rescale(INT64_MAX, 0, 1, 0, &v, &exact), CAIRN_ERANGE);
	crn_decimal_format(-1234, 2, buf, sizeof(buf));
	assert_string_equal(buf, "-12.34");
	crn_decimal_format(5, 3, buf, sizeof(buf));
	assert_string_equal(buf, "0.005");
	crn_decimal_format(0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "0");
	crn_decimal_format(-((__int128)1 << 100), 0, buf, sizeof(buf));
	assert_string_equal(buf, "-1267650600228229401496703205376");
	CAIRN_T_EQ(crn_decimal_format(123456, 2, buf, 4), -1);
}

/* Run infer on csv text; returns the draft (free with crn_free). */
static char *
infer(const char *csv, const char *dataset, cairn_err want, char *err,
    size_t errlen, size_t *len)
{
	FILE *f = tmpfile();
	char *out = NULL;

	assert_non_null(f);
	fputs(csv, f);
	rewind(f);
	*len = 0;
	CAIRN_T_FAIL(
	    crn_schema_infer(f, "in.csv", dataset, &out, len, err, errlen),
	    want);
	fclose(f);
	return out;
}

static void
test_infer(void **state)
{
	char err[256], *draft, *csv;
	size_t len, n = 0, cap = 1 << 16;
	crn_schema *s = NULL;
	const crn_dataset *d;
	const crn_column *c;
	int i;

	(void)state;
	/* A generated file: every kind of column, quoting, CRLF. */
	csv = crn_zalloc(cap);
	assert_non_null(csv);
	n += (size_t)snprintf(csv + n, cap - n,
	    "Age,Wage ($),region,\"Comment, free\",code,age\r\n");
	for (i = 0; i < 200; i++)
		n += (size_t)snprintf(csv + n, cap - n,
		    "%d,%s%d.%02d,%s,\"note \"\"%d\"\"\",%s,%d\r\n",
		    16 + i % 80, i == 7 ? "-" : "", 1000 + i * 37, i % 100,
		    i % 4 == 0       ? "north"
		        : i % 4 == 1 ? "south"
		        : i % 4 == 2 ? "east"
		                     : "",
		    i, i % 3 == 0 ? "1.5" : "2", i);
	draft = infer(csv, "cps", CAIRN_OK, err, sizeof(err), &len);
	CAIRN_T_EQ(strlen(draft), len);
	/* The draft is itself a valid schema file. */
	if (crn_schema_parse(draft, "draft", &s, err, sizeof(err)) != CAIRN_OK)
		fail_msg("draft does not parse: %s\n%s", err, draft);
	d = crn_schema_dataset(s, "cps");
	assert_non_null(d);
	CAIRN_T_EQ(d->ncols, 5); /* the comment column is left out */
	CAIRN_T_EQ(d->max_rows, 1000);
	c = &d->cols[crn_dataset_column(d, "age")];
	CAIRN_T_EQ(c->type, CRN_COL_INT);
	CAIRN_T_EQ(c->lo, 16);
	CAIRN_T_EQ(c->hi, 95);
	assert_false(c->nullable);
	c = &d->cols[crn_dataset_column(d, "wage")];
	CAIRN_T_EQ(c->type, CRN_COL_DECIMAL);
	CAIRN_T_EQ(c->scale, 2);
	CAIRN_T_EQ(c->lo, -(1000 + 7 * 37) * 100 - 7);
	CAIRN_T_EQ(c->hi, (1000 + 199 * 37) * 100 + 99);
	c = &d->cols[crn_dataset_column(d, "region")];
	CAIRN_T_EQ(c->type, CRN_COL_CATEGORY);
	CAIRN_T_EQ(c->ndomain, 3);
	assert_string_equal(c->domain[0], "east");
	assert_true(c->nullable);
	c = &d->cols[crn_dataset_column(d, "code")];
	CAIRN_T_EQ(c->type, CRN_COL_DECIMAL);
	CAIRN_T_EQ(c->scale, 1);
	CAIRN_T_EQ(c->lo, 15);
	CAIRN_T_EQ(c->hi, 20);
	assert_true(crn_dataset_column(d, "age_2") >= 0);
	assert_non_null(strstr(draft, "; [column cps.comment_free]"));
	assert_non_null(strstr(draft, "; not usable in queries: free text"));
	if (getenv("SHOW_DRAFT") != NULL)
		fputs(draft, stderr);
	assert_non_null(strstr(draft, "REVIEW"));
	crn_schema_free(s);
	crn_free(draft, len + 1);
	crn_free(csv, cap);
}

static FILE *
file_of(const char *text)
{
	FILE *f = tmpfile();

	assert_non_null(f);
	fputs(text, f);
	rewind(f);
	return f;
}

/* Several nodes' files: bounds and domains cover all of them, max_rows
 * comes from the largest, and a file with another header is refused. */
static void
test_infer_many(void **state)
{
	FILE *f[3];
	const char *names[3] = {"a.csv", "b.csv", "c.csv"};
	char err[256], *out = NULL;
	size_t len = 0;

	(void)state;
	f[0] = file_of("x,g\n5,p\n7,q\n");
	f[1] = file_of("x,g\n-3,q\n1.5,r\n4,p\n");
	f[2] = file_of("x,g\n9,p\n");
	CAIRN_T_PASS(crn_schema_infer_many(
	    f, names, 3, "d", &out, &len, err, sizeof(err)));
	assert_non_null(strstr(out, "min = -3.0\nmax = 9.0\n"));
	assert_non_null(strstr(out, "domain = p, q, r\n"));
	assert_non_null(strstr(out, "(3 rows in the largest)"));
	crn_free(out, len + 1);
	for (int i = 0; i < 3; i++)
		fclose(f[i]);
	/* The first file alone: its own bounds (the control). */
	f[0] = file_of("x,g\n5,p\n7,q\n");
	CAIRN_T_PASS(crn_schema_infer_many(
	    f, names, 1, "d", &out, &len, err, sizeof(err)));
	assert_non_null(strstr(out, "min = 5\nmax = 7\n"));
	crn_free(out, len + 1);
	fclose(f[0]);
	f[0] = file_of("x,g\n5,p\n");
	f[1] = file_of("x,h\n5,p\n");
	CAIRN_T_FAIL(crn_schema_infer_many(
	                 f, names, 2, "d", &out, &len, err, sizeof(err)),
	    CAIRN_EDATA);
	assert_null(out);
	assert_string_equal(err,
	    "b.csv:1: column 2 is 'h' but 'g' in a.csv: every file needs the same header");
	fclose(f[0]);
	fclose(f[1]);
	CAIRN_T_FAIL(crn_schema_infer_many(
	                 f, names, 0, "d", &out, &len, err, sizeof(err)),
	    CAIRN_EINVAL);
}

static void
test_infer_wide_domain(void **state)
{
	char err[256], *draft, csv[4096];
	size_t len, n = 0;
	crn_schema *s = NULL;
	const crn_dataset *d;

	(void)state;
	n += (size_t)snprintf(csv + n, sizeof(csv) - n, "county\n");
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(
		    csv + n, sizeof(csv) - n, "county_number_%02d\n", i);
	draft = infer(csv, "x", CAIRN_OK, err, sizeof(err), &len);
	/* 30 long values need continuation lines; all must come back. */
	CAIRN_T_PASS(crn_schema_parse(draft, "draft", &s, err, sizeof(err)));
	d = crn_schema_dataset(s, "x");
	CAIRN_T_EQ(d->cols[0].ndomain, 30);
	crn_schema_free(s);
	crn_free(draft, len + 1);
}

static void
test_infer_errors(void **state)
{
	static const struct {
		const char *csv;
		cairn_err rv;
		const char *want;
	} cases[] = {
	    {"", CAIRN_EDATA, "in.csv:1: empty file"},
	    {"a,b\n1,2\n3\n", CAIRN_EDATA,
	        "in.csv:3: row has 1 fields, the header has 2"},
	    {"a,b\n1,2\n3,4,5\n", CAIRN_EDATA,
	        "in.csv:3: row has more than the 2 fields"},
	    {"a,b\n1,\"2\n\n3,4\n", CAIRN_EDATA,
	        "in.csv:2: unterminated quoted field"},
	    {"a,b\n\"x\"y,2\n", CAIRN_EDATA,
	        "in.csv:2: text after a closing quote"},
	    {"a,b\n1,2\n\"multi\nline\",3\nx\"y,4\n", CAIRN_EDATA,
	        "in.csv:5: quote inside an unquoted field"},
	};
	char err[256];
	size_t len;

	(void)state;
	for (size_t i = 0; i < CRN_NELEM(cases); i++) {
		char *d =
		    infer(cases[i].csv, "x", cases[i].rv, err, sizeof(err), &len);

		assert_null(d);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg(
			    "case %zu: '%s', want '%s'", i, err, cases[i].want);
	}
	infer("a\n1\n", "Bad Name", CAIRN_EINVAL, err, sizeof(err), &len);
}

static void
test_long_line(void **state)
{
	char text[600], err[256];
	crn_schema *s = NULL;
	int n;

	(void)state;
	n = snprintf(text, sizeof(text),
	    "[dataset a]\nmax_rows = 1\n"
	    "[column a.x]\ntype = category\ndomain = ");
	for (int i = 0; i < 40; i++)
		n += snprintf(
		    text + n, sizeof(text) - (size_t)n, "value%02d, ", i);
	snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	CAIRN_T_FAIL(crn_schema_parse(text, "long.ini", &s, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(err, "long.ini:5: line longer than"));
}

static void
test_infer_oom(void **state)
{
	static const char csv[] = "a,b,c\n1,x,2.5\n2,y,\n3,x,-1.25\n";

	(void)state;
	for (long n = 0; n < 200; n++) {
		FILE *f = tmpfile();
		char *out = NULL;
		size_t len = 0;
		cairn_err rv;

		assert_non_null(f);
		fputs(csv, f);
		rewind(f);
		crn_alloc_fail_after(n);
		rv = crn_schema_infer(f, "in.csv", "d", &out, &len, NULL, 0);
		crn_alloc_fail_after(-1);
		fclose(f);
		if (rv == CAIRN_OK) {
			assert_non_null(strstr(out, "domain = x, y"));
			crn_free(out, len + 1);
			return;
		}
		CAIRN_T_EQ(rv, CAIRN_ENOMEM);
		assert_null(out);
	}
	fail_msg("never succeeded");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good),
    cmocka_unit_test(test_defaults),
    cmocka_unit_test(test_bad),
    cmocka_unit_test(test_load_file),
    cmocka_unit_test(test_oom),
    cmocka_unit_test(test_decimal),
    cmocka_unit_test(test_infer),
    cmocka_unit_test(test_infer_wide_domain),
    cmocka_unit_test(test_infer_many),
    cmocka_unit_test(test_infer_errors),
    cmocka_unit_test(test_long_line),
    cmocka_unit_test(test_infer_oom),
};

CAIRN_TEST_MAIN(tests)
