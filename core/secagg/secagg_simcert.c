/*
 * secagg_simcert.c — the simulator's certificates (secagg.h): an identity
 * key signed by a "sim authority" key.  They let the one-process
 * simulation and the unit tests run the same per-entry certificate check
 * the daemons run with X.509, with a real signature that a coordinator
 * without the authority key cannot forge.
 */
#include <string.h>

#include "base/crn.h"
#include "crypto/crypto.h"
#include "secagg/secagg.h"

#define SIMCERT_LABEL   "cairn-sim-cert-v1"
#define SIMCERT_TBS_LEN (sizeof(SIMCERT_LABEL) - 1 + CAIRN_SIGN_PK_LEN)

static void
simcert_tbs(uint8_t tbs[SIMCERT_TBS_LEN], const uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	memcpy(tbs, SIMCERT_LABEL, sizeof(SIMCERT_LABEL) - 1);
	memcpy(tbs + sizeof(SIMCERT_LABEL) - 1, pk, CAIRN_SIGN_PK_LEN);
}

cairn_err
crn_sa_simcert_issue(uint8_t cert[CRN_SA_SIMCERT_LEN],
    const crn_identity *authority, const uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	uint8_t tbs[SIMCERT_TBS_LEN];

	simcert_tbs(tbs, pk);
	memcpy(cert, pk, CAIRN_SIGN_PK_LEN);
	return crn_identity_sign(
	    authority, tbs, sizeof(tbs), cert + CAIRN_SIGN_PK_LEN);
}

cairn_err
crn_sa_simcert_verify(void *arg, const uint8_t *cert, size_t cert_len,
    uint8_t pk[CAIRN_SIGN_PK_LEN])
{
	const uint8_t *authority = arg;
	uint8_t tbs[SIMCERT_TBS_LEN];
	cairn_err rv;

	if (authority == NULL || cert == NULL || cert_len != CRN_SA_SIMCERT_LEN)
		return CAIRN_EAUTH;
	simcert_tbs(tbs, cert);
	if ((rv = crn_sign_verify(authority, tbs, sizeof(tbs),
	         cert + CAIRN_SIGN_PK_LEN)) != CAIRN_OK)
		return rv;
	memcpy(pk, cert, CAIRN_SIGN_PK_LEN);
	return CAIRN_OK;
}
