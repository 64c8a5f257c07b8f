/*
 * signed_job_fuzz.c — a SignedJob as a node receives it:
 * crn_signed_job_decode on arbitrary bytes, then what a node does next:
 * verify the researcher certificate it carries against the federation CA
 * and, with the key that certificate holds, crn_job_verify.
 *
 * The CA and CRL are the fixed ones of cert_fuzz.c (embedded again, one
 * store per process), so the committed corpus holds jobs that a real node
 * would accept; their mutations reach the signature check and the job
 * decoder behind it.  Every input is also checked against the corpus
 * researcher's key directly, so that a job whose certificate was mutated
 * still reaches the signature check.
 *
 * Checks: a decoded SignedJob re-encodes and decodes to the same bytes;
 * crn_job_verify succeeds only when the signature is good, and then gives
 * exactly what crn_job_decode gives for the same bytes; refusals leave the
 * output zeroed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"
#include "query/job.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBPjCB8aADAgECAhBgC6UsTZKdhT6fQ/255F+TMAUGAytlcDAdMRswGQYDVQQD\n"
    "DBJGdXp6IEZlZGVyYXRpb24gQ0EwIBcNMjYxMTI3MjMxNDUyWhgPMjEyNjExMDMy\n"
    "MzE5NTJaMB0xGzAZBgNVBAMMEkZ1enogRmVkZXJhdGlvbiBDQTAqMAUGAytlcAMh\n"
    "AOXqJyHQzSs8QVgwCB4qHV7gaUimbcPooL/Zp7Xp/1Gno0UwQzASBgNVHRMBAf8E\n"
    "CDAGAQH/AgEAMA4GA1UdDwEB/wQEAwIBBjAdBgNVHQ4EFgQUgynm2esl0dQ/NLjj\n"
    "/qD08UNrEZUwBQYDK2VwA0EARom51WLBPaanYiDYsYCxw2Ek0s+SOCJABQrG9fiu\n"
    "inwrRxfeA1qA7+PppawvT3vjG4Zccf1A1hZMMUYikk9dBg==\n"
    "-----END CERTIFICATE-----\n";

/* Revokes the certificate of "revoked_node"; nextUpdate in 2126. */
static const char crl_pem[] =
    "-----BEGIN X509 CRL-----\n"
    "MIHsMIGfAgEBMAUGAytlcDAdMRswGQYDVQQDDBJGdXp6IEZlZGVyYXRpb24gQ0EX\n"
    "DTI2MTEyNzIzMTQ1MloYDzIxMjYxMTAzMjMxOTUyWjAjMCECEFk3cpUKF7WjZnU1\n"
    "EkKMIb8XDTI2MTEyNzIzMTk1MlqgLzAtMB8GA1UdIwQYMBaAFIMp5tnrJdHUPzS4\n"
    "4/6g9PFDaxGVMAoGA1UdFAQDAgEDMAUGAytlcANBANZwjyKLQia/a8CGNLBh5aDb\n"
    "PsvpKXgO0dV7dhwrdIebn4rKdDYoNZNiXHxBqwkDfKPKytRA4qBO09UzOzoZIgA=\n"
    "-----END X509 CRL-----\n";

/* A day after the CA and the corpus certificates were issued. */
#define FZ_NOW ((int64_t)1795821592 + 86400)

/* The Ed25519 key of the corpus researcher, "alice". */
static const uint8_t alice_pk[CAIRN_SIGN_PK_LEN] = {
    0x8a,
    0x88,
    0xe3,
    0xdd,
    0x74,
    0x09,
    0xf1,
    0x95,
    0xfd,
    0x52,
    0xdb,
    0x2d,
    0x3c,
    0xba,
    0x5d,
    0x72,
    0xca,
    0x67,
    0x09,
    0xbf,
    0x1d,
    0x94,
    0x12,
    0x1b,
    0xf3,
    0x74,
    0x88,
    0x01,
    0xb4,
    0x0f,
    0x6f,
    0x5c,
};

static crn_cert_store *store;

static void
fz_init(void)
{
	if (store != NULL)
		return;
	if (crn_crypto_init() != CAIRN_OK)
		abort();
	if (crn_cert_store_new(&store, (const uint8_t *)ca_pem, strlen(ca_pem),
	        (const uint8_t *)crl_pem, strlen(crl_pem)) != CAIRN_OK)
		abort();
}

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
check_same_job(const crn_job *a, const crn_job *b)
{
	if (memcmp(a->job_id, b->job_id, CRN_JOB_ID_LEN) != 0 ||
	    a->kind != b->kind || strcmp(a->dataset, b->dataset) != 0 ||
	    strcmp(a->column, b->column) != 0 || strcmp(a->sql, b->sql) != 0 ||
	    a->plan_len != b->plan_len ||
	    (a->plan_len > 0 && memcmp(a->plan, b->plan, a->plan_len) != 0) ||
	    a->issued_at != b->issued_at || a->not_after != b->not_after ||
	    a->ring_bits != b->ring_bits || a->dim != b->dim)
		abort();
}

/* crn_job_verify with pk; on success it must agree with the decoder. */
static void
check_job_verify(const crn_signed_job *sj, const uint8_t *pk)
{
	crn_job job, plain;
	cairn_err rv, rv2;

	rv = crn_job_verify(sj, pk, &job);
	if (rv != CAIRN_OK) {
		if (!all_zero(&job, sizeof(job)))
			abort();
		return;
	}
	rv2 = crn_job_decode(&plain, sj->job, sj->job_len);
	if (rv2 != CAIRN_OK)
		abort();
	check_same_job(&job, &plain);
	crn_job_fini(&plain);
	crn_job_fini(&job);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_signed_job sj, again;
	crn_cert_info info;
	uint8_t *wire = NULL;
	size_t wlen = 0;
	cairn_err rv;

	fz_init();
	rv = crn_signed_job_decode(&sj, data, size);
	if (rv != CAIRN_OK) {
		if (!all_zero(&sj, sizeof(sj)))
			abort();
		return 0;
	}
	if (sj.job == NULL || sj.job_len == 0 || sj.cert == NULL ||
	    sj.cert_len == 0)
		abort();
	if (crn_signed_job_encode(&sj, &wire, &wlen) != CAIRN_OK)
		abort();
	if (crn_signed_job_decode(&again, wire, wlen) != CAIRN_OK ||
	    again.job_len != sj.job_len || again.cert_len != sj.cert_len ||
	    memcmp(again.job, sj.job, sj.job_len) != 0 ||
	    memcmp(again.cert, sj.cert, sj.cert_len) != 0 ||
	    memcmp(again.sig, sj.sig, sizeof(sj.sig)) != 0)
		abort();
	crn_signed_job_fini(&again);
	crn_free(wire, wlen);

	/* What a node does: the certificate first, then the signature with
	 * the key it carries. */
	rv = crn_cert_store_verify(
	    store, sj.cert, sj.cert_len, CRN_ROLE_RESEARCHER, FZ_NOW, &info);
	if (rv == CAIRN_OK)
		check_job_verify(&sj, info.pk);
	check_job_verify(&sj, alice_pk);
	crn_signed_job_fini(&sj);
	if (!all_zero(&sj, sizeof(sj)))
		abort();
	return 0;
}
