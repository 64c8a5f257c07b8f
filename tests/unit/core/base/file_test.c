/*
 * file_test.c — reading a whole file and replacing one atomically
 * (core/base/file.h): contents and mode round-trip, the errors each
 * kind of bad path gives, and no temporary file left behind.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "cairn_test.h"

static char dir[256], path[300];

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/f", dir);
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
test_round_trip(void **state)
{
	static const char a[] = "first version\n", b[] = "second";
	char tmp[320];
	struct stat st;
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	CAIRN_T_PASS(crn_file_write_atomic(path, a, strlen(a), 0600));
	CAIRN_T_PASS(crn_file_write_atomic(path, b, strlen(b), 0640));
	CAIRN_T_PASS(crn_file_read(path, 1024, &buf, &len));
	assert_int_equal(len, strlen(b));
	assert_memory_equal(buf, b, len);
	assert_int_equal(buf[len], '\0');
	crn_free(buf, len + 1);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	assert_int_not_equal(access(tmp, F_OK), 0);
}

static void
test_errors(void **state)
{
	char missing[320];
	uint8_t *buf = NULL;
	size_t len = 0;

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no/such", dir);
	CAIRN_T_FAIL(crn_file_read(missing, 10, &buf, &len), CAIRN_ENOENT);
	assert_null(buf);
	CAIRN_T_FAIL(crn_file_read(dir, 10, &buf, &len), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_file_write_atomic(missing, "x", 1, 0600), CAIRN_ENOENT);
	CAIRN_T_PASS(crn_file_write_atomic(path, "12345", 5, 0600));
	CAIRN_T_FAIL(crn_file_read(path, 4, &buf, &len), CAIRN_ETOOBIG);
	CAIRN_T_PASS(crn_file_read(path, 5, &buf, &len));
	crn_free(buf, len + 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
static const struct CMUnitTest tests[] = {
    T(test_round_trip),
    T(test_errors),
};

CAIRN_TEST_MAIN(tests)
