/*
 * hooks.c — the test-only behaviour of cairn-hooked, the test build of the
 * program (tests/CMakeLists.txt: the CLI's sources plus this file).  Before
 * main runs, a constructor reads the CAIRN_TEST_* variables and fills the
 * seams of runtime/testhook.h; the release program has neither this file
 * nor those names.  Integration tests run "$CAIRN_HOOKED_BIN" where they
 * need one (tests/integration/lib_fed.sh picks it whenever a CAIRN_TEST_
 * variable is in the environment):
 *
 *   CAIRN_TEST_DIE_AT=ROUND      node: _exit(137) as it is about to answer
 *                                ROUND (advertise, share, masked-input,
 *                                consistency, unmask) of the first pass, like
 *                                a node killed with SIGKILL there;
 *                                "figures:ROUND" for the second pass
 *                                ("figures:advertise": on receiving the
 *                                cells, between the passes)
 *   CAIRN_TEST_STOP_AT=ROUND     node: stop itself (SIGSTOP) at the same
 *                                points, after logging its pid, so that a
 *                                test can look at it frozen there and
 *                                kill it with SIGKILL
 *   CAIRN_TEST_OOM_AT=survivors  coordinator: every allocation fails while
 *                                it lists the nodes in a finished pass's sum
 *   CAIRN_TEST_TAMPER=forge      researcher: alter the envelope after
 *                                signing it; unsigned: an all-zero
 *                                signature; nocert: no certificate;
 *                                wrongkey: signed by a key that is not the
 *                                certificate's; replay: send it twice
 *   CAIRN_TEST_UNCHECKED_SELF=1  researcher: do not check our own
 *                                certificate at start (to present an
 *                                expired, revoked or wrong-role one)
 *   CAIRN_TEST_JOB_ID=HEX32      query: fix the job id, so a test can offer
 *                                nodes a job they already ran, as a
 *                                coordinator replaying a signed job would
 *   CAIRN_TEST_RESULT_SHAPE=1    query: print what the coordinator sent
 *   CAIRN_TEST_SPLIT_PARAMS=NODE:F
 *                                coordinator: model rounds 2 and later
 *                                go to NODE at F times the parameters
 *                                the others get (on the session those
 *                                parameters name), as a coordinator that
 *                                wants NODE's round at a point of its own
 */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/crn.h"
#include "crypto/envelope.h"
#include "proto/codec_envelope.h"
#include "proto/codec_runtime.h"
#include "proto/job.h"
#include "runtime/client.h"
#include "runtime/testhook.h"
#include "secagg/secagg.h"

static int die_at = -1;  /* (pass - 1) * CRN_SA_R_DONE + round, or -1 */
static int stop_at = -1; /* the same numbering */
static const char *tamper_how;
static uint8_t fixed_job_id[CRN_JOB_ID_LEN];

/* "advertise" .. "unmask" in pass 1, the same prefixed with "figures:" in
 * pass 2. */
static int
parse_round(const char *var, const char *e)
{
	int base = 0;

	if (strncmp(e, "figures:", 8) == 0) {
		e += 8;
		base = CRN_SA_R_DONE;
	}
	for (int i = CRN_SA_R_ADVERTISE; i < CRN_SA_R_DONE; i++) {
		if (strcmp(e, crn_sa_round_name((crn_sa_round)i)) == 0)
			return base + i;
	}
	fprintf(stderr, "cairn-hooked: %s=%s names no round\n", var, e);
	exit(2);
}

static void
node_round(uint32_t pass, int round)
{
	if (pass >= 1 && stop_at == (int)(pass - 1) * CRN_SA_R_DONE + round) {
		fprintf(stderr,
		    "cairn-node: test hook: stopped at %s%s (pid %ld)\n",
		    pass > 1 ? "figures:" : "",
		    crn_sa_round_name((crn_sa_round)round), (long)getpid());
		(void)raise(SIGSTOP);
	}
	if (pass >= 1 && die_at == (int)(pass - 1) * CRN_SA_R_DONE + round) {
		fprintf(stderr, "cairn-node: test hook: dying at %s%s\n",
		    pass > 1 ? "figures:" : "",
		    crn_sa_round_name((crn_sa_round)round));
		_exit(137);
	}
}

static void
coord_survivors(bool before)
{
	crn_alloc_fail_after(before ? 0 : -1);
}

/* Build the envelope by hand and spoil it the way CAIRN_TEST_TAMPER says. */
static cairn_err
client_send_tampered(crn_rt_client *c, const char *how, uint32_t type,
    const uint8_t *payload, size_t len, int timeout_ms)
{
	crn_envelope env;
	crn_identity *other = NULL;
	uint8_t *buf = NULL;
	size_t blen = 0;
	cairn_err rv;

	memset(&env, 0, sizeof(env));
	env.type = type;
	memcpy(env.session_id, c->cid, CAIRN_SESSION_ID_LEN);
	env.seq = c->party.seq++;
	env.payload = (uint8_t *)(uintptr_t)payload;
	env.payload_len = len;
	if (strcmp(how, "nocert") != 0) {
		env.sender_cert = c->party.cert_der;
		env.sender_cert_len = c->party.cert_len;
	}
	if (strcmp(how, "wrongkey") == 0) {
		/* Signed by a key that is not the certificate's. */
		if ((rv = crn_identity_generate(&other)) != CAIRN_OK)
			goto out;
		rv = crn_envelope_sign(&env, other);
	} else {
		rv = crn_envelope_sign(&env, c->party.id);
	}
	if (rv != CAIRN_OK)
		goto out;
	if (strcmp(how, "forge") == 0)
		env.seq++; /* altered after signing */
	else if (strcmp(how, "unsigned") == 0)
		memset(env.sig, 0, sizeof(env.sig));
	if ((rv = crn_envelope_encode(&env, &buf, &blen)) != CAIRN_OK)
		goto out;
	rv = crn_tr_send(c->tr, CRN_TR_CONN_DIALER, buf, blen, timeout_ms);
	/* "replay": the same bytes once more. */
	if (rv == CAIRN_OK && strcmp(how, "replay") == 0)
		rv = crn_tr_send(
		    c->tr, CRN_TR_CONN_DIALER, buf, blen, timeout_ms);
out:
	crn_free(buf, blen);
	crn_identity_free(other);
	cairn_memzero(&env, sizeof(env));
	return rv;
}
static cairn_err
client_send(crn_rt_client *c, uint32_t type, const uint8_t *payload, size_t len,
    int timeout_ms)
{
	return client_send_tampered(
	    c, tamper_how, type, payload, len, timeout_ms);
}

static void
job_id(uint8_t *id)
{
	memcpy(id, fixed_job_id, CRN_JOB_ID_LEN);
}

static bool
parse_job_id(const char *e)
{
	if (strlen(e) != 2 * CRN_JOB_ID_LEN)
		return false;
	for (size_t i = 0; i < CRN_JOB_ID_LEN; i++) {
		unsigned x;

		if (sscanf(e + 2 * i, "%2x", &x) != 1)
			return false;
		fixed_job_id[i] = (uint8_t)x;
	}
	return true;
}

static void
result_shape(const crn_rt_result *r)
{
	fprintf(stderr, "result: sum %zu bytes, table %s\n", r->sum_len,
	    r->table_json != NULL ? "yes" : "no");
}

static char split_node[64];
static double split_factor = 1;

static void
round_params(const char *node, uint32_t round, double *params, size_t n)
{
	(void)round;
	if (strcmp(node, split_node) != 0)
		return;
	for (size_t i = 0; i < n; i++)
		params[i] *= split_factor;
}

static void
parse_split(const char *e)
{
	const char *colon = strchr(e, ':');
	char *end = NULL;

	if (colon == NULL || colon == e ||
	    (size_t)(colon - e) >= sizeof(split_node) ||
	    (split_factor = strtod(colon + 1, &end), end == colon + 1) ||
	    *end != '\0') {
		fprintf(stderr,
		    "cairn-hooked: CAIRN_TEST_SPLIT_PARAMS=%s is not NODE:FACTOR\n",
		    e);
		exit(2);
	}
	memcpy(split_node, e, (size_t)(colon - e));
	crn_hooks.coord_round_params = round_params;
}

__attribute__((constructor)) static void
hooks_init(void)
{
	const char *e;

	if ((e = getenv("CAIRN_TEST_DIE_AT")) != NULL && *e != '\0') {
		die_at = parse_round("CAIRN_TEST_DIE_AT", e);
		crn_hooks.node_round = node_round;
		crn_hooks.note = " (test hook CAIRN_TEST_DIE_AT set)";
	}
	if ((e = getenv("CAIRN_TEST_STOP_AT")) != NULL && *e != '\0') {
		stop_at = parse_round("CAIRN_TEST_STOP_AT", e);
		crn_hooks.node_round = node_round;
		crn_hooks.note = " (test hook CAIRN_TEST_STOP_AT set)";
	}
	if ((e = getenv("CAIRN_TEST_OOM_AT")) != NULL && *e != '\0') {
		if (strcmp(e, "survivors") != 0) {
			fprintf(stderr,
			    "cairn-hooked: CAIRN_TEST_OOM_AT=%s names no point (survivors)\n",
			    e);
			exit(2);
		}
		crn_hooks.coord_survivors = coord_survivors;
	}
	if ((e = getenv("CAIRN_TEST_TAMPER")) != NULL && *e != '\0') {
		tamper_how = e;
		crn_hooks.client_send = client_send;
	}
	if (getenv("CAIRN_TEST_UNCHECKED_SELF") != NULL)
		crn_hooks.unchecked_self = true;
	if ((e = getenv("CAIRN_TEST_JOB_ID")) != NULL && parse_job_id(e))
		crn_hooks.job_id = job_id;
	if (getenv("CAIRN_TEST_RESULT_SHAPE") != NULL)
		crn_hooks.result = result_shape;
	if ((e = getenv("CAIRN_TEST_SPLIT_PARAMS")) != NULL && *e != '\0')
		parse_split(e);
}
