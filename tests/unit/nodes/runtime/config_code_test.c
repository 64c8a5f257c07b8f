/*
 * config_code_test.c — the node's approved-code keys (issue 11): hashes
 * on one line and on indented continuation lines, the directory, the
 * sandbox limits and their defaults, and the refusals (a hash that is not
 * 64 lower-case hex digits, one listed twice, a limit out of range).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "runtime/config.h"

#define H1 "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define H2 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define H3 "6680051effd3632f955dd7b19bbdc840eb6ded8797c6a8dc03795e9ff0dab296"

#define HEAD                                                                   \
	"[node]\nname = n1\ncoordinator = ipc://c.sock\n"                      \
	"key = k\ncert = c\nca_cert = ca\ncrl = r\n"                           \
	"[dataset d]\nkind = csv\npath = d.csv\nexpose = a\n"                  \
	"[policy]\nresearchers = bob\n"

static char dir[512];

static cairn_err
load(const char *text, crn_config **cfg, char *err, size_t errlen)
{
	char path[1024];
	FILE *f;
	cairn_err rv;

	snprintf(path, sizeof(path), "%s/n.conf", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	rv = crn_config_load(cfg, path, CRN_CFG_NODE, err, errlen);
	return rv;
}

static void
test_code_keys(void **state)
{
	crn_config *cfg = NULL;
	char err[512];

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	CAIRN_T_PASS(load(HEAD, &cfg, err, sizeof(err)));
	assert_int_equal(cfg->node.napproved_code, 0);
	assert_null(cfg->node.approved_code_dir);
	assert_int_equal(cfg->node.code_memory_mb, 256);
	assert_int_equal(cfg->node.code_steps_m, 2000);
	assert_int_equal(cfg->node.code_timeout_ms, 20000);
	crn_config_free(cfg);

	CAIRN_T_PASS(load(HEAD "approved_code = " H1 ", " H2 "\n"
	                       "    " H3 "\n"
	                       "approved_code_dir = ok\n"
	                       "code_memory_mb = 64\ncode_steps_m = 5\n"
	                       "code_timeout_ms = 100\n",
	    &cfg, err, sizeof(err)));
	assert_int_equal(cfg->node.napproved_code, 3);
	assert_string_equal(cfg->node.approved_code[0], H1);
	assert_string_equal(cfg->node.approved_code[2], H3);
	assert_non_null(strstr(cfg->node.approved_code_dir, "/ok"));
	assert_int_equal(cfg->node.code_memory_mb, 64);
	assert_int_equal(cfg->node.code_steps_m, 5);
	assert_int_equal(cfg->node.code_timeout_ms, 100);
	crn_config_free(cfg);
	cfg = NULL;

	CAIRN_T_FAIL(
	    load(HEAD "approved_code = " H1 "0\n", &cfg, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(err, "not a SHA-256"));
	CAIRN_T_FAIL(
	    load(HEAD
	        "approved_code = BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD\n",
	        &cfg, err, sizeof(err)),
	    CAIRN_ECONFIG);
	CAIRN_T_FAIL(load(HEAD "approved_code = " H1 "\n    " H1 "\n", &cfg,
	                 err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_non_null(strstr(err, "twice"));
	CAIRN_T_FAIL(load(HEAD "code_memory_mb = 0\n", &cfg, err, sizeof(err)),
	    CAIRN_ECONFIG);
	assert_null(cfg);
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_code_keys),
};

CAIRN_TEST_MAIN(tests)
