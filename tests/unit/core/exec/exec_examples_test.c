/*
 * exec_examples_test.c — the example federation's data files
 * (examples/data) are valid for the cps schema as the CSV executor reads
 * them, with agency 2's column names mapped, and the three shares add up
 * to the whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "exec/exec.h"

enum { C_AGE, C_EDU, C_WAGE, C_HOURS, C_REGION, C_SEX, NCOLS };

static char *regions[] = {"north", "south", "east", "west"};
static char *sexes[] = {"female", "male"};

/* examples/schema/cps.ini, by hand (the schema parser is tested apart). */
static crn_column cols[NCOLS] = {
    [C_AGE] = {.name = "age", .type = CRN_COL_INT, .lo = 16, .hi = 99},
    [C_EDU] = {.name = "education", .type = CRN_COL_INT, .lo = 0, .hi = 20},
    [C_WAGE] = {.name = "wage",
        .type = CRN_COL_DECIMAL,
        .scale = 2,
        .lo = 0,
        .hi = 50000000,
        .nullable = true},
    [C_HOURS] = {.name = "hours",
        .type = CRN_COL_DECIMAL,
        .scale = 1,
        .lo = 0,
        .hi = 999},
    [C_REGION] = {.name = "region",
        .type = CRN_COL_CATEGORY,
        .domain = regions,
        .ndomain = 4},
    [C_SEX] = {.name = "sex",
        .type = CRN_COL_CATEGORY,
        .domain = sexes,
        .ndomain = 2},
};
static crn_dataset ds = {
    .name = "cps", .cols = cols, .ncols = NCOLS, .max_rows = 1000000};

static void
test_examples(void **state)
{
	static const crn_colmap map2[] = {
	    {"wage", "hourly_wage"}, {"education", "years_schooling"}};
	static const unsigned want_rows[] = {300, 250, 350};
	crn_groupkey key = {.col = C_REGION, .card = 4};
	crn_measure ms[] = {
	    {.col = C_WAGE, .need_sumsq = true}, {.col = C_HOURS, .offset = 4}};
	crn_plan p = {.keys = &key,
	    .nkeys = 1,
	    .measures = ms,
	    .nmeasures = 2,
	    .ngroups = 4,
	    .per_group = 8,
	    .dim = 32,
	    .ring_bits = 64,
	    .limit = -1};
	const char *srcdir = getenv("CAIRN_SRC");
	uint64_t total[32] = {0};

	(void)state;
	if (srcdir == NULL)
		skip();
	for (int a = 0; a < 3; a++) {
		crn_source src = {.kind = CRN_SRC_CSV};
		crn_exec_stats st;
		char path[512], err[256];
		uint64_t *v = NULL, rows = 0;

		snprintf(path, sizeof(path), "%s/examples/data/agency%d.csv",
		    srcdir, a + 1);
		src.path = path;
		if (a == 1) {
			src.map = map2;
			src.nmap = 2;
		}
		if (crn_exec_run(&p, &ds, &src, (void **)&v, &st, err,
		        sizeof(err)) != CAIRN_OK)
			fail_msg("%s", err);
		assert_int_equal(st.rows_scanned, want_rows[a]);
		assert_int_equal(st.clipped, 0);
		for (int g = 0; g < 4; g++) {
			rows += v[g * 8];
			/* Some wages are NULL: fewer values than rows. */
			assert_true(v[g * 8 + 1] <= v[g * 8]);
			assert_true(v[g * 8 + 5] == v[g * 8]);
		}
		assert_int_equal(rows, want_rows[a]);
		for (int i = 0; i < 32; i++)
			total[i] += v[i];
		crn_free(v, 32 * sizeof(uint64_t));
	}
	/* Every region has a group big enough to be released. */
	for (int g = 0; g < 4; g++)
		assert_true(total[g * 8] >= 20);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_examples),
};

CAIRN_TEST_MAIN(tests)
