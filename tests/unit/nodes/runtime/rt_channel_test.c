/*
 * rt_channel_test.c — the runtime over the real TLS transport: a
 * coordinator's party and a researcher's, each with its key, certificate,
 * CA and CRL files, connected by crn_rt_tr_auth.  An envelope must be
 * signed by the channel's own peer: a valid envelope of another
 * researcher (a real certificate of the federation, a good signature)
 * sent on alice's connection is refused.  A researcher's messages are
 * capped at CRN_RT_RESEARCHER_MSG_MAX; a pinned coordinator name is held
 * to in the handshake.  A peer sending malformed messages gets one
 * warning line per address and kind a minute, not one per message.
 * CAIRN_TEST_TIMEOUT: 60
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cairn_test.h"
#include "proto/codec_runtime.h"
#include "runtime/rt.h"

static char dir[256], ca[300], crl[320], cacrt[320];

/* Key and certificate files for name, issued by the test CA. */
static void
issue(crn_role role, const char *name)
{
	crn_identity *id = NULL;
	char *csr = NULL, *pem = NULL, path[400];
	FILE *f;

	CAIRN_T_PASS(crn_identity_generate(&id));
	snprintf(path, sizeof(path), "%s/%s.key", dir, name);
	CAIRN_T_PASS(crn_identity_save(id, path));
	CAIRN_T_PASS(crn_csr_new(id, role, name, &csr));
	CAIRN_T_PASS(crn_ca_sign(ca, csr, role, 30, &pem));
	snprintf(path, sizeof(path), "%s/%s.crt", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(pem, f) >= 0);
	assert_int_equal(fclose(f), 0);
	crn_strfree(csr);
	crn_strfree(pem);
	crn_identity_free(id);
}

static void
party(crn_rt_party *p, crn_role role, const char *name)
{
	char key[400], crt[400], err[256];

	snprintf(key, sizeof(key), "%s/%s.key", dir, name);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, name);
	CAIRN_T_PASS(
	    crn_rt_party_open(p, key, crt, cacrt, crl, role, err, sizeof(err)));
}

/* The coordinator side, on its own thread: unwrap n messages. */
typedef struct coord {
	crn_rt_party party;
	crn_rt_peers peers;
	crn_tr *tr;
	pthread_t th;
	int n;
	int ms; /* give up after this long without an event */
	cairn_err rv[8];
	char who[8][CRN_CERT_NAME_MAX + 1];
} coord;

static void *
coord_main(void *arg)
{
	coord *c = arg;
	crn_tr_event ev;
	crn_envelope env;
	crn_cert_info who;
	int got = 0;

	while (got < c->n) {
		if (crn_tr_next(c->tr, &ev, c->ms) != CAIRN_OK)
			break;
		if (ev.kind == CRN_TR_EV_MSG) {
			c->rv[got] = crn_rt_unwrap(&c->party, &ev,
			    CRN_ROLE_NODE | CRN_ROLE_RESEARCHER, &env, &who);
			snprintf(c->who[got], sizeof(c->who[got]), "%s",
			    c->rv[got] == CAIRN_OK ? who.name : "-");
			if (c->rv[got] == CAIRN_OK)
				crn_envelope_fini(&env);
			got++;
		}
		crn_tr_event_fini(&ev);
	}
	return NULL;
}

static void
send_env(crn_tr *tr, crn_rt_party *signer, const uint8_t *cid)
{
	uint8_t *env = NULL;
	size_t len = 0;

	CAIRN_T_PASS(crn_rt_wrap(
	    signer, CRN_RT_MSG_STATUS_REQ, cid, 0, NULL, 0, &env, &len));
	CAIRN_T_PASS(crn_tr_send_owned(tr, CRN_TR_CONN_DIALER, env, len, 5000));
}

static void
test_signer_is_peer(void **state)
{
	crn_rt_party alice, bob;
	crn_rt_peers apeers;
	crn_tr_auth auth;
	crn_tr *cl = NULL;
	uint8_t cid[CAIRN_SESSION_ID_LEN] = {1}, *buf, *big;
	uint32_t conn;
	size_t len;
	char url[400];
	coord c;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(url, sizeof(url), "ipc://%s/coord.sock", dir);
	party(&c.party, CRN_ROLE_COORDINATOR, "coord");
	party(&alice, CRN_ROLE_RESEARCHER, "alice");
	party(&bob, CRN_ROLE_RESEARCHER, "bob");
	c.peers =
	    (crn_rt_peers){&c.party, CRN_ROLE_NODE | CRN_ROLE_RESEARCHER, NULL};
	crn_rt_tr_auth(&c.peers, &auth);
	CAIRN_T_PASS(crn_tr_listen(&c.tr, url, &auth, NULL));
	c.n = 3;
	c.ms = 10000;
	assert_int_equal(pthread_create(&c.th, NULL, coord_main, &c), 0);
	apeers = (crn_rt_peers){&alice, CRN_ROLE_COORDINATOR, "coord"};
	crn_rt_tr_auth(&apeers, &auth);
	CAIRN_T_PASS(crn_tr_dial(&cl, url, &auth, NULL));
	send_env(cl, &alice, cid); /* hers: accepted */
	send_env(cl, &bob, cid);   /* bob's, on alice's link: refused */
	send_env(cl, &alice, cid); /* hers again: the link is fine */
	CAIRN_T_PASS(crn_tr_flush(cl, 10000));
	assert_int_equal(pthread_join(c.th, NULL), 0);
	CAIRN_T_EQ(c.rv[0], CAIRN_OK);
	assert_string_equal(c.who[0], "alice");
	CAIRN_T_EQ(c.rv[1], CAIRN_EAUTH);
	CAIRN_T_EQ(c.rv[2], CAIRN_OK);
	/* A researcher's message over its role's limit ends the link. */
	big = crn_zalloc(CRN_RT_RESEARCHER_MSG_MAX + 1);
	assert_non_null(big);
	CAIRN_T_PASS(
	    crn_tr_send(cl, 0, big, CRN_RT_RESEARCHER_MSG_MAX + 1, 5000));
	c.n = 1;
	assert_int_equal(pthread_create(&c.th, NULL, coord_main, &c), 0);
	CAIRN_T_FAIL(crn_tr_recv(cl, &conn, &buf, &len, 10000), CAIRN_ECLOSED);
	/* It reconnects; one within the limit passes. */
	CAIRN_T_PASS(crn_tr_send(cl, 0, big, CRN_RT_RESEARCHER_MSG_MAX, 5000));
	CAIRN_T_PASS(crn_tr_flush(cl, 10000));
	assert_int_equal(pthread_join(c.th, NULL), 0);
	CAIRN_T_EQ(c.rv[0], CAIRN_EINVAL); /* zeros: not an envelope */
	crn_free(big, CRN_RT_RESEARCHER_MSG_MAX + 1);
	crn_tr_close(cl);
	/* A coordinator that is not the one alice pins. */
	apeers.name = "coord-elsewhere";
	CAIRN_T_PASS(crn_tr_dial(&cl, url, &auth, NULL));
	c.n = 1;
	c.ms = 1500;
	assert_int_equal(pthread_create(&c.th, NULL, coord_main, &c), 0);
	CAIRN_T_FAIL(crn_tr_send(cl, 0, "x", 1, 5000), CAIRN_EPERM);
	assert_int_equal(pthread_join(c.th, NULL), 0);
	crn_tr_close(cl);
	crn_tr_close(c.tr);
	crn_rt_party_close(&c.party);
	crn_rt_party_close(&alice);
	crn_rt_party_close(&bob);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(ca, sizeof(ca), "%s/ca", dir);
	snprintf(cacrt, sizeof(cacrt), "%s/ca.crt", ca);
	snprintf(crl, sizeof(crl), "%s/crl.pem", ca);
	CAIRN_T_PASS(crn_ca_init(ca, "test CA", 30));
	issue(CRN_ROLE_COORDINATOR, "coord");
	issue(CRN_ROLE_RESEARCHER, "alice");
	issue(CRN_ROLE_RESEARCHER, "bob");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	crn_t_rmtree(dir);
	return 0;
}

/* Counts the warnings and debug lines about refused messages. */
static int warns, debugs;

static void
count_logger(
    cairn_log_level level, const char *func, const char *msg, void *arg)
{
	(void)func;
	(void)arg;
	if (strstr(msg, "refused a message from 'alice'") == NULL)
		return;
	if (level == CAIRN_LOG_WARN)
		warns++;
	else if (level == CAIRN_LOG_DEBUG)
		debugs++;
}

static void
test_refusals_rate_limited(void **state)
{
	crn_rt_party alice;
	crn_rt_peers apeers;
	crn_tr_auth auth;
	crn_tr *cl = NULL;
	char url[400];
	coord c;

	(void)state;
	memset(&c, 0, sizeof(c));
	snprintf(url, sizeof(url), "ipc://%s/coord2.sock", dir);
	party(&c.party, CRN_ROLE_COORDINATOR, "coord");
	party(&alice, CRN_ROLE_RESEARCHER, "alice");
	c.peers = (crn_rt_peers){&c.party, CRN_ROLE_RESEARCHER, NULL};
	crn_rt_tr_auth(&c.peers, &auth);
	CAIRN_T_PASS(crn_tr_listen(&c.tr, url, &auth, NULL));
	c.n = 8;
	c.ms = 10000;
	cairn_log_set_logger(count_logger, NULL);
	cairn_log_set_level(CAIRN_LOG_DEBUG);
	assert_int_equal(pthread_create(&c.th, NULL, coord_main, &c), 0);
	apeers = (crn_rt_peers){&alice, CRN_ROLE_COORDINATOR, NULL};
	crn_rt_tr_auth(&apeers, &auth);
	CAIRN_T_PASS(crn_tr_dial(&cl, url, &auth, NULL));
	for (int i = 0; i < 8; i++)
		CAIRN_T_PASS(crn_tr_send(cl, 0, "garbage", 7, 5000));
	CAIRN_T_PASS(crn_tr_flush(cl, 10000));
	assert_int_equal(pthread_join(c.th, NULL), 0);
	cairn_log_set_logger(NULL, NULL);
	for (int i = 0; i < 8; i++)
		CAIRN_T_EQ(c.rv[i], CAIRN_EINVAL);
	CAIRN_T_EQ(warns, 1);
	CAIRN_T_EQ(debugs, 7);
	crn_tr_close(cl);
	crn_tr_close(c.tr);
	crn_rt_party_close(&c.party);
	crn_rt_party_close(&alice);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_signer_is_peer),
    cmocka_unit_test(test_refusals_rate_limited),
};

int
main(void)
{
	crn_t_init();
	return cmocka_run_group_tests(tests, setup, teardown);
}
