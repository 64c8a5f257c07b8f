/*
 * cert_fuzz.c — certificates from another party: crn_cert_inspect and
 * crn_cert_store_verify on arbitrary bytes, PEM or DER.
 *
 * The trust anchor is a fixed federation CA and its CRL, embedded below
 * and parsed into one crn_cert_store per process.  It is fixed (not made
 * afresh by each process) so that the committed corpus holds certificates
 * that really chain to it: a valid researcher, node and coordinator, one
 * revoked, one expired and one not yet valid.  Mutations of those reach
 * every stage of verification, not just the parser.  Verification uses a
 * fixed time inside every window, so a run is reproducible.
 *
 * Checks on each input:
 *   - the caching store gives the answer a fresh, cache-less verification
 *     gives (crn_cert_verify) at the fixed time; once a certificate passed
 *     (and sits in the cache), again at that time, and long after and
 *     long before, where it must be refused as a fresh store refuses it;
 *   - a verified certificate inspects to the same facts, and is refused
 *     with CAIRN_EROLE when its role is left out of the mask;
 *   - whatever inspects survives DER -> PEM -> DER and inspects the same;
 *   - DER input wrapped as PEM (base64, 64-column lines) goes down the PEM
 *     path and must be accepted, with the same facts, whenever the DER path
 *     accepts it.  Not the converse: the PEM reader ignores bytes after
 *     the certificate inside the base64, which the DER path refuses
 *     (corpus file node_trailing.der shows it; reported to crypto/).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

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
#define FZ_NOW     ((int64_t)1795821592 + 86400)
#define FZ_LATER   ((int64_t)7258118400) /* 2200-01-01 */
#define FZ_EARLIER ((int64_t)946684800)  /* 2000-01-01 */

static crn_cert_store *store;

/* Format every log message (peer-chosen names end up in them) and drop
 * it, so that the formatting is exercised without filling the output. */
static void
fz_logger(cairn_log_level level, const char *func, const char *msg, void *arg)
{
	volatile size_t n;

	(void)level;
	(void)arg;
	n = strlen(func) + strlen(msg);
	(void)n;
}

static void
fz_init(void)
{
	if (store != NULL)
		return;
	if (crn_crypto_init() != CAIRN_OK)
		abort();
	cairn_log_set_logger(fz_logger, NULL);
	cairn_log_set_level(CAIRN_LOG_DEBUG);
	if (crn_cert_store_new(&store, (const uint8_t *)ca_pem, strlen(ca_pem),
	        (const uint8_t *)crl_pem, strlen(crl_pem)) != CAIRN_OK)
		abort();
}

static int
same_info(const crn_cert_info *a, const crn_cert_info *b)
{
	return strcmp(a->name, b->name) == 0 && a->role == b->role &&
	    memcmp(a->pk, b->pk, sizeof(a->pk)) == 0 &&
	    memcmp(a->serial, b->serial, sizeof(a->serial)) == 0 &&
	    a->not_before == b->not_before && a->not_after == b->not_after;
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

/* The caching store and a fresh verification must agree at time now. */
static cairn_err
verify_both(const uint8_t *data, size_t size, int64_t now, crn_cert_info *info)
{
	crn_cert_info fresh;
	cairn_err rv, rv2;

	rv = crn_cert_store_verify(store, data, size, CRN_ROLE_ANY, now, info);
	rv2 = crn_cert_verify(
	    ca_pem, crl_pem, data, size, CRN_ROLE_ANY, now, &fresh);
	if (rv != rv2)
		abort();
	if (rv == CAIRN_OK ? !same_info(info, &fresh)
	                   : !all_zero(info, sizeof(*info)))
		abort();
	return rv;
}

static void
check_verify(const uint8_t *data, size_t size)
{
	crn_cert_info info, again, seen;
	cairn_err rv;

	rv = verify_both(data, size, FZ_NOW, &info);
	if (rv != CAIRN_OK) {
		/* Nothing was cached (only successes are), so the store
		 * would answer as a fresh one; other times reach other
		 * refusals, and none may pass. */
		if (crn_cert_store_verify(store, data, size, CRN_ROLE_ANY,
		        FZ_LATER, &again) == CAIRN_OK ||
		    crn_cert_store_verify(store, data, size, CRN_ROLE_ANY,
		        FZ_EARLIER, &again) == CAIRN_OK)
			abort();
		return;
	}
	if (info.role == 0 || !crn_cert_name_valid(info.name) ||
	    info.not_before > FZ_NOW || info.not_after < FZ_NOW)
		abort();
	/* A second time: answered from the cache. */
	if (crn_cert_store_verify(
	        store, data, size, CRN_ROLE_ANY, FZ_NOW, &again) != CAIRN_OK ||
	    !same_info(&info, &again))
		abort();
	if (crn_cert_inspect(data, size, &seen) != CAIRN_OK ||
	    !same_info(&info, &seen))
		abort();
	if (crn_cert_store_verify(store, data, size,
	        CRN_ROLE_ANY & ~(unsigned)info.role, FZ_NOW,
	        &seen) != CAIRN_EROLE ||
	    !all_zero(&seen, sizeof(seen)))
		abort();
	/* Outside the validity windows the cached success must not leak
	 * out: the store must refuse exactly as a fresh store does. */
	if (verify_both(data, size, FZ_LATER, &again) == CAIRN_OK ||
	    verify_both(data, size, FZ_EARLIER, &again) == CAIRN_OK)
		abort();
}

/* DER -> PEM -> DER of whatever inspects, and the same facts after. */
static void
check_roundtrip(const uint8_t *data, size_t size, const crn_cert_info *info)
{
	crn_cert_info again;
	uint8_t *der = NULL;
	size_t der_len = 0;
	char *pem = NULL;

	if (size > 0 && data[0] == 0x30) {
		if (crn_cert_der_to_pem(data, size, &pem) != CAIRN_OK)
			abort();
	} else {
		/* PEM input: to DER first.  The PEM reader skips text the
		 * DER reader does not, so only the DER is compared. */
		char *text = malloc(size + 1);

		if (text == NULL)
			abort();
		memcpy(text, data, size);
		text[size] = '\0';
		if (strlen(text) != size) {
			/* A NUL inside: the string API sees less. */
			free(text);
			return;
		}
		if (crn_cert_pem_to_der(text, &der, &der_len) != CAIRN_OK)
			abort();
		free(text);
		if (crn_cert_der_to_pem(der, der_len, &pem) != CAIRN_OK)
			abort();
		crn_free(der, der_len);
		der = NULL;
	}
	if (crn_cert_pem_to_der(pem, &der, &der_len) != CAIRN_OK)
		abort();
	if (crn_cert_inspect(der, der_len, &again) != CAIRN_OK ||
	    !same_info(info, &again))
		abort();
	crn_free(der, der_len);
	crn_strfree(pem);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Wrap bytes as a PEM certificate. */
static char *
pem_wrap(const uint8_t *data, size_t size, size_t *outlen)
{
	static const char head[] = "-----BEGIN CERTIFICATE-----\n";
	static const char tail[] = "-----END CERTIFICATE-----\n";
	size_t cap =
	    sizeof(head) + sizeof(tail) + (size + 2) / 3 * 4 + size / 48 + 2;
	size_t n = 0, col = 0;
	char *p = malloc(cap);

	if (p == NULL)
		abort();
	memcpy(p, head, sizeof(head) - 1);
	n = sizeof(head) - 1;
	for (size_t i = 0; i < size; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16;
		size_t left = size - i;

		if (left > 1)
			v |= (uint32_t)data[i + 1] << 8;
		if (left > 2)
			v |= data[i + 2];
		p[n++] = b64[(v >> 18) & 63];
		p[n++] = b64[(v >> 12) & 63];
		p[n++] = left > 1 ? b64[(v >> 6) & 63] : '=';
		p[n++] = left > 2 ? b64[v & 63] : '=';
		if ((col += 4) == 64) {
			p[n++] = '\n';
			col = 0;
		}
	}
	if (col != 0)
		p[n++] = '\n';
	memcpy(p + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	*outlen = n;
	return p;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_cert_info info, wrapped;
	cairn_err rv, rv2;
	size_t plen;
	char *pem;

	fz_init();
	rv = crn_cert_inspect(data, size, &info);
	if (rv == CAIRN_OK) {
		if (info.role == 0 || !crn_cert_name_valid(info.name))
			abort();
		check_roundtrip(data, size, &info);
	}
	check_verify(data, size);

	/* DER input through the PEM path, within the size limit. */
	if (size > 0 && data[0] == 0x30 && size <= CRN_CERT_MAX_LEN / 2) {
		pem = pem_wrap(data, size, &plen);
		rv2 = crn_cert_inspect((const uint8_t *)pem, plen, &wrapped);
		if (rv == CAIRN_OK &&
		    (rv2 != CAIRN_OK || !same_info(&info, &wrapped)))
			abort();
		check_verify((const uint8_t *)pem, plen);
		free(pem);
	}
	return 0;
}
