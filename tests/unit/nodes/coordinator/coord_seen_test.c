/*
 * coord_seen_test.c — the coordinator's list of known nodes survives a
 * restart (nodes/coordinator/coord_seen.h): what is saved loads back in
 * order, a missing file is an empty list, lines that are not node names
 * are skipped and counted.
 */
#include <stdio.h>
#include <string.h>

#include "base/file.h"
#include "cairn_test.h"
#include "coordinator/coord_seen.h"

static void
test_roundtrip(void **state)
{
	const char *dir = crn_t_tmpdir();
	const char *in[] = {"node1", "agency-2", "node3"};
	char **out = NULL;
	size_t n = 9, bad = 9;

	(void)state;
	/* Nothing saved yet: an empty list, not an error. */
	CAIRN_T_PASS(co_seen_load(dir, &out, &n, &bad));
	assert_null(out);
	assert_int_equal(n, 0);
	CAIRN_T_PASS(co_seen_save(dir, in, 3));
	CAIRN_T_PASS(co_seen_load(dir, &out, &n, &bad));
	assert_int_equal(n, 3);
	assert_int_equal(bad, 0);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(out[i], in[i]);
	co_seen_free(out, n);
	/* Saving fewer replaces the file. */
	CAIRN_T_PASS(co_seen_save(dir, in, 1));
	CAIRN_T_PASS(co_seen_load(dir, &out, &n, &bad));
	assert_int_equal(n, 1);
	assert_string_equal(out[0], "node1");
	co_seen_free(out, n);
	crn_t_rmtree(dir);
}

static void
test_bad_lines(void **state)
{
	const char *dir = crn_t_tmpdir();
	static const char text[] = "node1\n\nnot a name\nnode2\n../x\nnode3";
	char path[512];
	char **out = NULL;
	size_t n = 0, bad = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, CO_SEEN_FILE);
	CAIRN_T_PASS(crn_file_write_atomic(path, text, strlen(text), 0600));
	CAIRN_T_PASS(co_seen_load(dir, &out, &n, &bad));
	assert_int_equal(n, 3);
	assert_int_equal(bad, 2);
	assert_string_equal(out[0], "node1");
	assert_string_equal(out[1], "node2");
	assert_string_equal(out[2], "node3");
	co_seen_free(out, n);
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip),
    cmocka_unit_test(test_bad_lines),
};

CAIRN_TEST_MAIN(tests)
