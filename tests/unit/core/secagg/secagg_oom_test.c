/* secagg_oom_test.c — the whole protocol (both machines, the codec and the
 * simulator) with the Nth allocation failing, for every N until a session
 * completes: every failure is a clean error, never a crash or a leak (the
 * ASan build checks leaks), and a completed session is exact.
 * CAIRN_TEST_TIMEOUT: 300 */
#include <string.h>

#include "cairn_test.h"
#include "secagg/secagg.h"

static void
oom_loop(uint32_t n, uint32_t t, uint32_t ndrop, crn_sa_round at)
{
	crn_sa_sim_cfg cfg;
	crn_sa_sim_result r;
	long k;
	unsigned failures = 0;

	memset(&cfg, 0, sizeof(cfg));
	cfg.nodes = n;
	cfg.dim = 8;
	cfg.ring_bits = 64;
	cfg.threshold = t;
	cfg.ndrop = ndrop;
	cfg.drop_at = at;
	cfg.seed[0] = (uint8_t)(n + at);
	for (k = 0; k < 100000; k++) {
		cairn_err rv;

		crn_alloc_fail_after(k);
		rv = crn_sa_sim_run(&cfg, &r);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK && r.finished) {
			assert_true(r.correct);
			break;
		}
		/* Either the simulator saw the failure, or a machine turned
		 * it into a refusal and the session aborted. */
		assert_true(rv == CAIRN_ENOMEM || rv == CAIRN_OK);
		failures++;
	}
	assert_true(k < 100000);
	assert_true(failures > 10);
}

static void
test_oom_complete(void **state)
{
	(void)state;
	oom_loop(4, 3, 1, CRN_SA_R_MASKED);
}

static void
test_oom_drop_unmask(void **state)
{
	(void)state;
	oom_loop(5, 3, 1, CRN_SA_R_CONSISTENCY);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_oom_complete),
    cmocka_unit_test(test_oom_drop_unmask),
};

CAIRN_TEST_MAIN(tests)
