/*
 * client.h — the researcher's side of the wire, shared by `cairn query`
 * and `cairn status`: load the researcher configuration and identity,
 * dial the coordinator, send signed requests and receive authenticated
 * answers (from a certificate with role coordinator only).
 *
 * The test build (runtime/testhook.h, tests/harness/hooks.c) can spoil
 * what this client sends and skip the check of its own certificate, for
 * the integration tests that show the coordinator refuses bad messages
 * (tests/integration/fed_security.sh).
 */
#ifndef CRN_RUNTIME_CLIENT_H
#define CRN_RUNTIME_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "crypto/envelope.h"
#include "net/transport.h"
#include "runtime/config.h"
#include "runtime/rt.h"

typedef struct crn_rt_client {
	/* Random per process, sent as the envelope session id: the
	 * coordinator's replay guard is per (sender, session), and several
	 * clients of one researcher may run at once. */
	uint8_t cid[CAIRN_SESSION_ID_LEN];
	crn_config *cfg;
	crn_rt_party party;
	crn_rt_peers peers; /* a coordinator (the pinned one, if named) */
	crn_tr *tr;
} crn_rt_client;

/* Load the researcher config at path, the identity and trust store, and
 * dial the coordinator (TLS; only a coordinator certificate of the
 * federation, the one named by coordinator_name if set, is accepted).
 * err receives one line on failure.  c must stay where it is until
 * crn_rt_client_close (the transport points into it). */
CAIRN_NODISCARD cairn_err crn_rt_client_open(
    crn_rt_client *c, const char *path, char *err, size_t errlen);
void crn_rt_client_close(crn_rt_client *c);

/* Send a signed envelope of type carrying payload; waits up to
 * timeout_ms for the connection.  CAIRN_ETIMEDOUT if the coordinator
 * cannot be reached, CAIRN_EAUTH (or a certificate code) if it refused
 * us or we it; crn_rt_client_why says more. */
CAIRN_NODISCARD cairn_err crn_rt_client_send(crn_rt_client *c, uint32_t type,
    const uint8_t *payload, size_t len, int timeout_ms);

/* Receive the next authenticated message from the coordinator before
 * deadline_ms (crn_rt_now_ms clock); refused messages are logged and
 * skipped.  *env is the caller's to crn_envelope_fini.  CAIRN_ECLOSED at
 * once when the connection to the coordinator is lost (what was asked
 * is then lost with it). */
CAIRN_NODISCARD cairn_err crn_rt_client_recv(
    crn_rt_client *c, crn_envelope *env, int64_t deadline_ms);

/* One line on why the connection failed or ended ("" if it did not). */
const char *crn_rt_client_why(const crn_rt_client *c);

#endif /* CRN_RUNTIME_CLIENT_H */
