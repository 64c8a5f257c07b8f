/*
 * node_code_test.c — the approvals a node keeps in its state directory
 * ('cairn node approve-code', nodes/node/node_code.h): a program approved
 * for some datasets and researchers runs for those only; a program changed
 * by one byte is not approved; approving again replaces the line; lists
 * that are not names and a malformed file are refused.  And the DP noise
 * a node adds to a program's output.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/crn.h"
#include "cairn_test.h"
#include "crypto/code_hash.h"
#include "lua/code.h"
#include "node/node_code.h"
#include "query/dp_account.h"

static const char prog[] = "function node(d) return {d.rows} end\n";

/* Is src approved for dataset and researcher under state_dir alone? */
static cairn_err
approved(const char *dir, const char *src, size_t len, const char *dataset,
    const char *researcher)
{
	crn_node_code_policy p = {.state_dir = dir,
	    .dataset = dataset,
	    .researcher = researcher};
	uint8_t h[CRN_CODE_HASH_LEN];
	char err[512];

	crn_code_sha256(h, (const uint8_t *)src, len);
	return crn_node_code_approved(&p, h, err, sizeof(err));
}

static void
test_scope(void **state)
{
	const char *dir = crn_t_tmpdir();
	char st[512], hex[65], hex2[65], err[512], changed[sizeof(prog)];
	crn_node_code_entry *e = NULL;
	size_t n = 0;
	struct stat sb;

	(void)state;
	snprintf(st, sizeof(st), "%s/state", dir);
	/* Nothing approved yet, and no file: refused, not an error. */
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "cps", "alice"),
	    CAIRN_EPERM);
	CAIRN_T_PASS(crn_node_code_approve(st, prog, strlen(prog),
	    "/x/gini.lua", "cps, wages", "alice", hex, err, sizeof(err)));
	assert_int_equal(stat(st, &sb), 0);
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/%s", st, CRN_NODE_CODE_FILE);
		assert_int_equal(stat(path, &sb), 0);
		CAIRN_T_EQ(sb.st_mode & 0777, 0600);
	}
	CAIRN_T_PASS(approved(st, prog, strlen(prog), "cps", "alice"));
	CAIRN_T_PASS(approved(st, prog, strlen(prog), "wages", "alice"));
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "other", "alice"),
	    CAIRN_EPERM);
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "cps", "bob"),
	    CAIRN_EPERM);
	/* A prefix of a listed name is not the name. */
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "cp", "alic"),
	    CAIRN_EPERM);
	/* One byte changed: another hash, refused. */
	memcpy(changed, prog, sizeof(prog));
	changed[9] = 'N';
	CAIRN_T_FAIL(approved(st, changed, strlen(changed), "cps", "alice"),
	    CAIRN_EPERM);
	/* A second program for anyone; the first approved again for bob
	 * only replaces its line. */
	CAIRN_T_PASS(crn_node_code_approve(st, changed, strlen(changed),
	    "changed.lua", NULL, "*", hex2, err, sizeof(err)));
	CAIRN_T_PASS(approved(st, changed, strlen(changed), "any", "anyone"));
	CAIRN_T_PASS(crn_node_code_approve(st, prog, strlen(prog), "gini.lua",
	    "*", "bob", hex, err, sizeof(err)));
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "cps", "alice"),
	    CAIRN_EPERM);
	CAIRN_T_PASS(approved(st, prog, strlen(prog), "other", "bob"));
	CAIRN_T_PASS(crn_node_code_entries(st, &e, &n, err, sizeof(err)));
	CAIRN_T_EQ(n, 2);
	assert_string_equal(e[0].hash, hex2);
	assert_string_equal(e[1].hash, hex);
	assert_string_equal(e[1].datasets, "*");
	assert_string_equal(e[1].researchers, "bob");
	assert_string_equal(e[1].file, "gini.lua");
	crn_free(e, (n + 1) * sizeof(*e));
	crn_t_rmtree(dir);
}

static void
test_refused(void **state)
{
	const char *dir = crn_t_tmpdir();
	char st[512], path[600], hex[65], err[512];
	crn_node_code_entry *e = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(st, sizeof(st), "%s/state", dir);
	CAIRN_T_FAIL(crn_node_code_approve(st, prog, strlen(prog), "p.lua",
	                 "cps;drop", NULL, hex, err, sizeof(err)),
	    CAIRN_EINVAL);
	assert_non_null(strstr(err, "--datasets takes names"));
	CAIRN_T_FAIL(crn_node_code_approve(st, prog, strlen(prog), "p.lua",
	                 NULL, "alice,,bob", hex, err, sizeof(err)),
	    CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_node_code_approve(st, prog, strlen(prog), "p.lua",
	                 "", NULL, hex, err, sizeof(err)),
	    CAIRN_EINVAL);
	/* A file an editor broke: its line named, nothing approved. */
	assert_int_equal(mkdir(st, 0700), 0);
	snprintf(path, sizeof(path), "%s/%s", st, CRN_NODE_CODE_FILE);
	assert_non_null(f = fopen(path, "w"));
	fputs("# comment\n\nnot-a-hash * *\n", f);
	fclose(f);
	CAIRN_T_FAIL(crn_node_code_entries(st, &e, &n, err, sizeof(err)),
	    CAIRN_EDATA);
	assert_non_null(strstr(err, ":3: "));
	CAIRN_T_FAIL(approved(st, prog, strlen(prog), "cps", "alice"),
	    CAIRN_EPERM);
	CAIRN_T_FAIL(crn_node_code_approve(st, prog, strlen(prog), "p.lua",
	                 NULL, NULL, hex, err, sizeof(err)),
	    CAIRN_EDATA);
	crn_t_rmtree(dir);
}

/* The noise a node adds to a program's output: centred, with the
 * variance the accounting asks of each of t nodes (values and clip count
 * each), and refused when max_nodes nodes' noise could wrap the ring. */
static void
test_dp_noise(void **state)
{
	enum { LEN = 4000, REPS = 8 };
	crn_code_decl d = {.len = LEN, .lo = -1, .hi = 1, .scale = 0};
	double rho = crn_dp_rho_of(50, 1e-6), mean = 0, var = 0, var_c = 0;
	uint64_t *vec = crn_zalloc((LEN + 1) * sizeof(uint64_t));
	crn_dp_noise nz;

	(void)state;
	assert_non_null(vec);
	CAIRN_T_PASS(crn_dp_noise_code(&nz, LEN, -1, 1, 0, rho, 2));
	for (int r = 0; r < REPS; r++) {
		memset(vec, 0, (LEN + 1) * sizeof(uint64_t));
		CAIRN_T_PASS(crn_node_code_dp_add(&d, vec, rho, 2, 100));
		for (int i = 0; i < LEN; i++) {
			double x = (double)(int64_t)vec[i];

			mean += x;
			var += x * x;
		}
		var_c += (double)(int64_t)vec[LEN] * (double)(int64_t)vec[LEN];
	}
	mean /= (double)LEN * REPS;
	var /= (double)LEN * REPS;
	var_c /= REPS;
	/* 32,000 draws: the sample variance is within 5% of the node's
	 * variance (its sd is under 1%), the mean within 5 sd of 0. */
	assert_true(fabs(var / (double)nz.node_sigma2[CRN_DP_SUMS] - 1) < 0.05);
	assert_true(fabs(mean) <
	    5 * sqrt((double)nz.node_sigma2[CRN_DP_SUMS] / (LEN * REPS)));
	/* The clip count has noise of its own, larger: 8 draws, so only
	 * its order is checked. */
	assert_true(var_c > 0.01 * (double)nz.node_sigma2[CRN_DP_COUNTS] &&
	    var_c < 8 * (double)nz.node_sigma2[CRN_DP_COUNTS]);
	/* Bounds so wide that 1000 nodes' noise could wrap the ring (a
	 * variance the sampler still takes): sigma^2 = 1e32, 16 sd of 1000
	 * nodes above 2^62. */
	d.len = 1;
	d.lo = -5e5;
	d.hi = 5e5;
	d.scale = 9;
	CAIRN_T_FAIL(
	    crn_node_code_dp_add(&d, vec, 1e-2, 1, 1000), CAIRN_ETOOBIG);
	/* ...and past the sampler's largest variance: refused too. */
	d.lo = -1e9;
	d.hi = 1e9;
	CAIRN_T_FAIL(
	    crn_node_code_dp_add(&d, vec, 1e-6, 1, 1000), CAIRN_EINVAL);
	crn_free(vec, (LEN + 1) * sizeof(uint64_t));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scope),
    cmocka_unit_test(test_refused),
    cmocka_unit_test(test_dp_noise),
};

CAIRN_TEST_MAIN(tests)
