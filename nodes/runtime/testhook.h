/*
 * testhook.h — seams for test-only behaviour.  The program never sets
 * these, so in it they do nothing: every pointer is NULL and every flag
 * false.  The test build of the program (cairn-hooked, built from the same
 * sources plus tests/harness/hooks.c; see tests/CMakeLists.txt) fills them
 * from its environment before main runs, and holds the test behaviour
 * itself (dying at a round, spoiling an envelope, a fixed job id), so none
 * of it is in the release binary.
 */
#ifndef CRN_RUNTIME_TESTHOOK_H
#define CRN_RUNTIME_TESTHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct crn_rt_client;
struct crn_rt_result;

typedef struct crn_test_hooks {
	/* Node: about to answer round `round` (crn_sa_round) of pass
	 * `pass` (1 or 2; round 0 when a pass starts). */
	void (*node_round)(uint32_t pass, int round);
	/* Researcher client: send this message instead of the normal path
	 * (to spoil it); its return value is the send's. */
	cairn_err (*client_send)(struct crn_rt_client *c, uint32_t type,
	    const uint8_t *payload, size_t len, int timeout_ms);
	/* Researcher client: do not check our own certificate at start. */
	bool unchecked_self;
	/* cairn query: may overwrite the new job's id (16 bytes). */
	void (*job_id)(uint8_t *id);
	/* cairn query: sees each result addressed to its job. */
	void (*result)(const struct crn_rt_result *r);
	/* Coordinator: called with true just before it lists the nodes in
	 * the sum of a pass that ended, with false just after (the test build
	 * fails the allocations in between). */
	void (*coord_survivors)(bool before);
	/* Coordinator: may change the parameters of model round `round`
	 * sent to node `node` (a coordinator that splits the federation's
	 * parameters); the round message is then that node's alone, on
	 * the session its parameters name. */
	void (*coord_round_params)(
	    const char *node, uint32_t round, double *params, size_t n);
	/* A word for the startup log line ("" when unset). */
	const char *note;
} crn_test_hooks;

extern crn_test_hooks crn_hooks;

#endif /* CRN_RUNTIME_TESTHOOK_H */
