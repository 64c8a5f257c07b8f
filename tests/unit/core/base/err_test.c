/* err_test.c — error strings and the allocator's failure hook. */
#include <string.h>

#include "cairn_test.h"

static void
test_strerror_distinct(void **state)
{
	(void)state;
	for (int a = CAIRN_ENOTSUP; a <= CAIRN_OK; a++) {
		const char *sa = cairn_strerror((cairn_err)a);
		assert_non_null(sa);
		assert_string_not_equal(sa, "unknown error");
		for (int b = a + 1; b <= CAIRN_OK; b++)
			assert_string_not_equal(
			    sa, cairn_strerror((cairn_err)b));
	}
	/* Codes outside the contiguous range have their own text too. */
	assert_string_equal(cairn_strerror(CAIRN_EBUSY), "busy");
	assert_string_equal(cairn_strerror((cairn_err)-9999), "unknown error");
}

static void
test_alloc_fail_after(void **state)
{
	void *a, *b;

	(void)state;
	crn_alloc_fail_after(1);
	a = crn_alloc(16);
	b = crn_alloc(16);
	crn_alloc_fail_after(-1);
	assert_non_null(a);
	assert_null(b);
	crn_free(a, 16);
}

static void
test_mul_size(void **state)
{
	size_t r;

	(void)state;
	assert_int_equal(crn_mul_size(3, 5, &r), 0);
	assert_int_equal(r, 15);
	assert_int_equal(crn_mul_size(SIZE_MAX / 2, 3, &r), -1);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_strerror_distinct),
    cmocka_unit_test(test_alloc_fail_after),
    cmocka_unit_test(test_mul_size),
};

CAIRN_TEST_MAIN(tests)
