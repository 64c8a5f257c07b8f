/*
 * cairn_test.h — the test harness: cmocka plus a few cairn helpers.
 *
 *   CAIRN_T_PASS(expr)        expr returns CAIRN_OK
 *   CAIRN_T_FAIL(expr, code)  expr returns exactly code
 *   CAIRN_T_EQ(a, b)          integer equality
 * Failures report file:line and, for cairn_err, the error's text.
 *
 * A test file defines its cases as cmocka unit tests and ends with
 * CAIRN_TEST_MAIN(tests) where tests is a CMUnitTest array.
 */
#ifndef CRN_HARNESS_CAIRN_TEST_H
#define CRN_HARNESS_CAIRN_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "base/crn.h"

void crn_t_check_err(
    int got, int want, const char *expr, const char *file, int line);

#define CAIRN_T_PASS(expr)                                                     \
	crn_t_check_err((int)(expr), CAIRN_OK, #expr, __FILE__, __LINE__)
#define CAIRN_T_FAIL(expr, code)                                               \
	crn_t_check_err((int)(expr), (int)(code), #expr, __FILE__, __LINE__)
#define CAIRN_T_EQ(a, b) assert_int_equal((a), (b))

/* Make a fresh private temporary directory (0700) and return its path in
 * a static buffer; removed with everything in it by crn_t_rmtree. */
const char *crn_t_tmpdir(void);
void crn_t_rmtree(const char *path);

/* Library start-up for tests; fails the test run if it cannot start. */
void crn_t_init(void);

#define CAIRN_TEST_MAIN(tests)                                                 \
	int main(void)                                                         \
	{                                                                      \
		crn_t_init();                                                  \
		return cmocka_run_group_tests(tests, NULL, NULL);              \
	}

#endif /* CRN_HARNESS_CAIRN_TEST_H */
