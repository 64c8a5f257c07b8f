/*
 * ratelog_test.c — one log line per key per interval, with the count of
 * the lines held back in between; a table that cannot grow however many
 * keys a peer invents.
 */
#include <stdio.h>
#include <string.h>

#include "cairn_test.h"
#include "base/ratelog.h"

static void
test_one_per_interval(void **state)
{
	crn_ratelog rl;
	uint64_t held;

	(void)state;
	crn_ratelog_init(&rl, 1000);
	assert_true(crn_ratelog_allow(&rl, "10.0.0.1#-5", 0, &held));
	CAIRN_T_EQ(held, 0);
	for (int i = 1; i <= 50; i++)
		assert_false(crn_ratelog_allow(&rl, "10.0.0.1#-5", i, &held));
	/* Another key, or another kind from the same address: its own. */
	assert_true(crn_ratelog_allow(&rl, "10.0.0.2#-5", 10, &held));
	assert_true(crn_ratelog_allow(&rl, "10.0.0.1#-15", 10, &held));
	assert_false(crn_ratelog_allow(&rl, "10.0.0.1#-5", 999, &held));
	/* The interval has passed: a line, saying how many were held. */
	assert_true(crn_ratelog_allow(&rl, "10.0.0.1#-5", 1000, &held));
	CAIRN_T_EQ(held, 51);
	assert_false(crn_ratelog_allow(&rl, "10.0.0.1#-5", 1500, &held));
	assert_true(crn_ratelog_allow(&rl, "10.0.0.1#-5", 2100, &held));
	CAIRN_T_EQ(held, 1);
}

/* A flood of new keys (a peer changing addresses) stays in the fixed
 * table: every new key is logged once (each is a new peer) and the table
 * recycles the quietest slot; a known key keeps being held back while
 * it is in the table. */
static void
test_bounded(void **state)
{
	crn_ratelog rl;
	uint64_t held;
	char key[32];
	int allowed = 0;

	(void)state;
	crn_ratelog_init(&rl, 60000);
	assert_true(crn_ratelog_allow(&rl, "busy", 0, &held));
	for (int i = 0; i < 10 * CRN_RATELOG_SLOTS; i++) {
		snprintf(key, sizeof(key), "10.1.%d.%d", i / 256, i % 256);
		allowed += crn_ratelog_allow(&rl, key, 1 + i, &held);
		/* "busy" keeps talking and stays the newest. */
		assert_false(crn_ratelog_allow(&rl, "busy", 1 + i, &held));
	}
	CAIRN_T_EQ(allowed, 10 * CRN_RATELOG_SLOTS);
	assert_true(sizeof(rl) < 32 * 1024);
	/* A key longer than the slot is cut, and still matches itself. */
	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	assert_true(crn_ratelog_allow(&rl, key, 0, &held));
	assert_false(crn_ratelog_allow(&rl, key, 1, &held));
	assert_true(crn_ratelog_allow(&rl, NULL, 0, &held));
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_one_per_interval),
    cmocka_unit_test(test_bounded),
};

CAIRN_TEST_MAIN(tests)
