/*
 * cert_test.c — the federation PKI end to end in a temporary directory:
 * CA creation, requests, issuing, revocation, verification with every
 * refusal reason, encodings, name rules, key-file permissions and OOM.
 *
 * CAIRN_TEST_TIMEOUT: 300
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cairn_test.h"
#include "crypto/cert.h"

#define DAY 86400

/* A file read into memory (NUL-terminated). */
struct blob {
	uint8_t *b;
	size_t n;
};

static struct blob
slurp(const char *dir, const char *file)
{
	char path[1024];
	struct blob x = {NULL, 0};

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	CAIRN_T_PASS(crn_file_read(path, 1 << 20, &x.b, &x.n));
	return x;
}

static void
blob_free(struct blob *x)
{
	if (x->b != NULL)
		crn_free(x->b, x->n + 1);
	x->b = NULL;
	x->n = 0;
}

/* A CA with one issued certificate, shared by the verification cases. */
struct fixture {
	char tmp[256];
	char ca[300];
	struct blob ca_pem, crl_pem;
	crn_identity *id;
	uint8_t pk[CAIRN_SIGN_PK_LEN];
};

static void
fixture_reload_crl(struct fixture *f)
{
	blob_free(&f->crl_pem);
	f->crl_pem = slurp(f->ca, "crl.pem");
}

static int
fixture_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->tmp, sizeof(f->tmp), "%s", crn_t_tmpdir());
	snprintf(f->ca, sizeof(f->ca), "%s/ca", f->tmp);
	CAIRN_T_PASS(crn_ca_init(f->ca, "cairn-test-ca", 3650));
	f->ca_pem = slurp(f->ca, "ca.crt");
	f->crl_pem = slurp(f->ca, "crl.pem");
	CAIRN_T_PASS(crn_identity_generate(&f->id));
	crn_identity_public(f->id, f->pk);
	*state = f;
	return 0;
}

static int
fixture_teardown(void **state)
{
	struct fixture *f = *state;

	blob_free(&f->ca_pem);
	blob_free(&f->crl_pem);
	crn_identity_free(f->id);
	crn_t_rmtree(f->tmp);
	free(f);
	return 0;
}

/* Request and issue a certificate for (role, name) with f->id's key. */
static char *
issue(struct fixture *f, const char *ca, crn_role role, const char *name,
    int64_t nb, int64_t na)
{
	char *csr = NULL, *cert = NULL;

	CAIRN_T_PASS(crn_csr_new(f->id, role, name, &csr));
	if (nb == 0 && na == 0)
		CAIRN_T_PASS(crn_ca_sign(ca, csr, role, 365, &cert));
	else
		CAIRN_T_PASS(
		    crn_ca_sign_validity(ca, csr, role, nb, na, &cert));
	crn_strfree(csr);
	return cert;
}

static cairn_err
verify(struct fixture *f, const char *cert, unsigned mask, int64_t now,
    crn_cert_info *info)
{
	return crn_cert_verify((const char *)f->ca_pem.b,
	    (const char *)f->crl_pem.b, (const uint8_t *)cert, strlen(cert),
	    mask, now, info);
}

/* ---- minimal base64 so the tests can edit DER inside PEM ----------------- */

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t
pem_body_decode(const char *pem, uint8_t *out, size_t cap)
{
	const char *p = strchr(pem, '\n') + 1;
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (; *p != '\0' && *p != '-'; p++) {
		const char *c = strchr(b64, *p);
		if (*p == '\n' || *p == '=')
			continue;
		assert_non_null(c);
		acc = acc << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			assert_true(n < cap);
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return n;
}

static char *
pem_encode(const char *label, const uint8_t *der, size_t len)
{
	size_t cap = len * 2 + 200, o = 0, col = 0;
	char *s = malloc(cap);

	assert_non_null(s);
	o += (size_t)snprintf(s, cap, "-----BEGIN %s-----\n", label);
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)der[i] << 16;
		size_t k = len - i < 3 ? len - i : 3;

		if (k > 1)
			v |= (uint32_t)der[i + 1] << 8;
		if (k > 2)
			v |= der[i + 2];
		for (size_t j = 0; j < 4; j++)
			s[o++] = j <= k ? b64[(v >> (18 - 6 * j)) & 63] : '=';
		if (++col == 16) {
			s[o++] = '\n';
			col = 0;
		}
	}
	if (col != 0)
		s[o++] = '\n';
	o += (size_t)snprintf(s + o, cap - o, "-----END %s-----\n", label);
	return s;
}

/* Change the first occurrence of from (bytes) to to (same length). */
static void
patch(uint8_t *buf, size_t len, const char *from, const char *to)
{
	size_t n = strlen(from);

	assert_int_equal(n, strlen(to));
	for (size_t i = 0; i + n <= len; i++) {
		if (memcmp(buf + i, from, n) == 0) {
			memcpy(buf + i, to, n);
			return;
		}
	}
	fail_msg("%s not found", from);
}

/* ---- tests --------------------------------------------------------------- */

static void
test_ca_init_layout(void **state)
{
	struct fixture *f = *state;
	char path[512];
	struct stat st;

	assert_int_equal(stat(f->ca, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(path, sizeof(path), "%s/ca.key", f->ca);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_non_null(strstr((const char *)f->ca_pem.b, "BEGIN CERTIFICATE"));
	assert_non_null(strstr((const char *)f->crl_pem.b, "BEGIN X509 CRL"));
	/* An existing CA is never overwritten. */
	CAIRN_T_FAIL(crn_ca_init(f->ca, "cairn-test-ca", 3650), CAIRN_EPERM);
	CAIRN_T_FAIL(crn_ca_init(f->tmp, "x", 10), CAIRN_EPERM);
	/* Bad arguments leave nothing behind. */
	snprintf(path, sizeof(path), "%s/ca2", f->tmp);
	CAIRN_T_FAIL(crn_ca_init(path, "bad\nname", 10), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_ca_init(path, "  ", 10), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_ca_init(path, "", 10), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_ca_init(path, "ok", 0), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_ca_init(path, "ok", CRN_CERT_MAX_DAYS + 1), CAIRN_EINVAL);
	assert_int_not_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/no/such/ca", f->tmp);
	CAIRN_T_FAIL(crn_ca_init(path, "ok", 10), CAIRN_ENOENT);
}

static void
test_life_cycle(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	crn_cert_info info;
	char *csr = NULL, *cert, *cert2, *again = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	crn_identity *other = NULL;

	/* The request says who and what; the CA can read it first. */
	CAIRN_T_PASS(crn_csr_new(f->id, CRN_ROLE_NODE, "county-a", &csr));
	assert_non_null(strstr(csr, "BEGIN CERTIFICATE REQUEST"));
	CAIRN_T_PASS(crn_csr_inspect(csr, &info));
	assert_string_equal(info.name, "county-a");
	assert_int_equal(info.role, CRN_ROLE_NODE);
	assert_memory_equal(info.pk, f->pk, sizeof(f->pk));
	crn_strfree(csr);

	cert = issue(f, f->ca, CRN_ROLE_NODE, "county-a", 0, 0);
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_NODE, now, &info));
	assert_string_equal(info.name, "county-a");
	assert_int_equal(info.role, CRN_ROLE_NODE);
	assert_memory_equal(info.pk, f->pk, sizeof(f->pk));
	assert_true(info.not_after >= now + 365 * DAY - 5 &&
	    info.not_after <= now + 365 * DAY + 5);
	assert_true(info.not_before <= now && info.not_before >= now - 400);
	assert_true((info.serial[0] & 0xc0) == 0x40);
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_ANY, now, &info));

	/* The same certificate as DER, as it travels in envelopes. */
	CAIRN_T_PASS(crn_cert_pem_to_der(cert, &der, &der_len));
	CAIRN_T_PASS(crn_cert_verify((const char *)f->ca_pem.b,
	    (const char *)f->crl_pem.b, der, der_len, CRN_ROLE_NODE, now,
	    &info));
	assert_string_equal(info.name, "county-a");
	CAIRN_T_PASS(crn_cert_der_to_pem(der, der_len, &again));
	assert_string_equal(again, cert);
	crn_strfree(again);
	/* DER with a trailing byte is refused, and so is the wrong form. */
	{
		uint8_t *longer = malloc(der_len + 1);
		assert_non_null(longer);
		memcpy(longer, der, der_len);
		longer[der_len] = 0;
		CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
		                 (const char *)f->crl_pem.b, longer,
		                 der_len + 1, CRN_ROLE_NODE, now, &info),
		    CAIRN_EINVAL);
		free(longer);
	}
	CAIRN_T_FAIL(
	    crn_cert_der_to_pem((const uint8_t *)cert, strlen(cert), &again),
	    CAIRN_EINVAL);
	crn_free(der, der_len);
	CAIRN_T_FAIL(
	    crn_cert_pem_to_der("garbage", &der, &der_len), CAIRN_EINVAL);

	/* One live certificate per name, whatever the key. */
	CAIRN_T_PASS(crn_identity_generate(&other));
	CAIRN_T_PASS(crn_csr_new(other, CRN_ROLE_RESEARCHER, "county-a", &csr));
	CAIRN_T_FAIL(crn_ca_sign(f->ca, csr, CRN_ROLE_RESEARCHER, 30, &again),
	    CAIRN_EPERM);
	assert_null(again);

	/* Revocation: the old CRL still passes it, the new one does not. */
	CAIRN_T_FAIL(crn_ca_revoke(f->ca, "nobody"), CAIRN_ENOENT);
	CAIRN_T_FAIL(crn_ca_revoke(f->ca, "bad/name"), CAIRN_EINVAL);
	CAIRN_T_PASS(crn_ca_revoke(f->ca, "county-a"));
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_NODE, now, &info));
	fixture_reload_crl(f);
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_NODE, now, &info), CAIRN_EREVOKED);
	CAIRN_T_FAIL(crn_ca_revoke(f->ca, "county-a"), CAIRN_ESTATE);

	/* After revocation the name can be issued again. */
	CAIRN_T_PASS(crn_ca_sign(f->ca, csr, CRN_ROLE_RESEARCHER, 30, &cert2));
	CAIRN_T_PASS(verify(f, cert2, CRN_ROLE_RESEARCHER, now, &info));
	assert_int_equal(info.role, CRN_ROLE_RESEARCHER);
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_NODE, now, &info), CAIRN_EREVOKED);

	crn_strfree(csr);
	crn_strfree(cert);
	crn_strfree(cert2);
	crn_identity_free(other);
}

static void
test_wrong_role(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	crn_cert_info info;
	char *cert = issue(f, f->ca, CRN_ROLE_RESEARCHER, "alice", 0, 0);

	CAIRN_T_FAIL(verify(f, cert, CRN_ROLE_NODE, now, &info), CAIRN_EROLE);
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_NODE | CRN_ROLE_COORDINATOR, now, &info),
	    CAIRN_EROLE);
	assert_string_equal(info.name, ""); /* nothing on failure */
	CAIRN_T_FAIL(verify(f, cert, 0, now, &info), CAIRN_EROLE);
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_RESEARCHER, now, &info));
	/* The CA certificate is no participant's certificate. */
	CAIRN_T_FAIL(
	    verify(f, (const char *)f->ca_pem.b, CRN_ROLE_ANY, now, &info),
	    CAIRN_EROLE);
	crn_strfree(cert);
}

static void
test_expired_and_not_yet(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	crn_cert_info info;
	char *old, *future, *cert;

	old = issue(
	    f, f->ca, CRN_ROLE_NODE, "old-node", now - 30 * DAY, now - DAY);
	CAIRN_T_FAIL(verify(f, old, CRN_ROLE_NODE, now, &info), CAIRN_EEXPIRED);
	future = issue(
	    f, f->ca, CRN_ROLE_NODE, "new-node", now + DAY, now + 30 * DAY);
	CAIRN_T_FAIL(
	    verify(f, future, CRN_ROLE_NODE, now, &info), CAIRN_ENOTYET);
	/* An expired certificate does not block its name. */
	crn_strfree(issue(f, f->ca, CRN_ROLE_NODE, "old-node", 0, 0));
	/* Moving time around the end of the window (OpenSSL, unlike RFC
	 * 5280, counts the notAfter second itself as expired).  Before
	 * notBefore the CA and CRL are not valid either: ENOTYET still. */
	cert = issue(
	    f, f->ca, CRN_ROLE_COORDINATOR, "coord", now - DAY, now + 10 * DAY);
	CAIRN_T_PASS(
	    verify(f, cert, CRN_ROLE_COORDINATOR, now + 10 * DAY - 1, &info));
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_COORDINATOR, now, &info));
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_COORDINATOR, now + 10 * DAY + 1, &info),
	    CAIRN_EEXPIRED);
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_COORDINATOR, now - DAY - 1, &info),
	    CAIRN_ENOTYET);
	crn_strfree(cert);
	/* Invalid windows. */
	CAIRN_T_FAIL(
	    crn_ca_sign_validity(f->ca, "x", CRN_ROLE_NODE, now, now, &cert),
	    CAIRN_EINVAL);
	assert_null(cert);
	crn_strfree(old);
	crn_strfree(future);
}

static void
test_stale_crl(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	int64_t later = now + (CRN_CERT_CRL_DAYS + 1) * (int64_t)DAY;
	crn_cert_info info;
	char *cert = issue(f, f->ca, CRN_ROLE_NODE, "stale-check", 0, 0);

	/* A CRL past its nextUpdate proves nothing about revocation. */
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_NODE, later, &info), CAIRN_EEXPIRED);
	CAIRN_T_FAIL(crn_ca_crl_renew(f->ca, 0), CAIRN_EINVAL);
	CAIRN_T_PASS(crn_ca_crl_renew(f->ca, 90));
	fixture_reload_crl(f);
	CAIRN_T_PASS(verify(f, cert, CRN_ROLE_NODE, later, &info));
	crn_strfree(cert);
}

static void
test_other_ca(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	char other[512], twin[512];
	crn_cert_info info;
	char *c1, *c2, *c3;
	struct blob other_crl;

	snprintf(other, sizeof(other), "%s/other", f->tmp);
	snprintf(twin, sizeof(twin), "%s/twin", f->tmp);
	CAIRN_T_PASS(crn_ca_init(other, "Other Federation CA", 100));
	/* Same CA name as ours, different key. */
	CAIRN_T_PASS(crn_ca_init(twin, "cairn-test-ca", 100));
	c1 = issue(f, other, CRN_ROLE_NODE, "mallory", 0, 0);
	c2 = issue(f, twin, CRN_ROLE_NODE, "mallory", 0, 0);
	CAIRN_T_FAIL(
	    verify(f, c1, CRN_ROLE_NODE, now, &info), CAIRN_EUNKNOWNCA);
	CAIRN_T_FAIL(
	    verify(f, c2, CRN_ROLE_NODE, now, &info), CAIRN_EUNKNOWNCA);

	/* Our certificate with a CRL from another CA: misconfiguration. */
	c3 = issue(f, f->ca, CRN_ROLE_NODE, "honest", 0, 0);
	other_crl = slurp(twin, "crl.pem");
	CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
	                 (const char *)other_crl.b, (const uint8_t *)c3,
	                 strlen(c3), CRN_ROLE_NODE, now, &info),
	    CAIRN_ECONFIG);
	blob_free(&other_crl);
	other_crl = slurp(other, "crl.pem");
	CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
	                 (const char *)other_crl.b, (const uint8_t *)c3,
	                 strlen(c3), CRN_ROLE_NODE, now, &info),
	    CAIRN_ECONFIG);
	blob_free(&other_crl);
	/* A leaf is not a trust anchor. */
	CAIRN_T_FAIL(
	    crn_cert_verify(c3, (const char *)f->crl_pem.b, (const uint8_t *)c3,
	        strlen(c3), CRN_ROLE_NODE, now, &info),
	    CAIRN_EINVAL);
	crn_strfree(c1);
	crn_strfree(c2);
	crn_strfree(c3);
}

static void
test_tampered(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	crn_cert_info info;
	char *cert = issue(f, f->ca, CRN_ROLE_NODE, "county-b", 0, 0);
	uint8_t *der = NULL;
	size_t len = 0;

	CAIRN_T_PASS(crn_cert_pem_to_der(cert, &der, &len));
	/* A different name inside the signed part. */
	patch(der, len, "county-b", "county-c");
	CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
	                 (const char *)f->crl_pem.b, der, len, CRN_ROLE_NODE,
	                 now, &info),
	    CAIRN_ETAMPERED);
	/* Altered role bytes (OU "node" -> "nodf"). */
	patch(der, len, "county-c", "county-b");
	patch(der, len, "node", "nodf");
	CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
	                 (const char *)f->crl_pem.b, der, len, CRN_ROLE_NODE,
	                 now, &info),
	    CAIRN_ETAMPERED);
	patch(der, len, "nodf", "node");
	CAIRN_T_PASS(crn_cert_verify((const char *)f->ca_pem.b,
	    (const char *)f->crl_pem.b, der, len, CRN_ROLE_NODE, now, &info));
	/* A flipped bit in the signature itself (the last bytes). */
	der[len - 5] ^= 0x10;
	CAIRN_T_FAIL(crn_cert_verify((const char *)f->ca_pem.b,
	                 (const char *)f->crl_pem.b, der, len, CRN_ROLE_NODE,
	                 now, &info),
	    CAIRN_ETAMPERED);
	crn_free(der, len);
	crn_strfree(cert);
}

static void
test_csr_tampered(void **state)
{
	struct fixture *f = *state;
	char *csr = NULL, *bad, *cert = NULL;
	uint8_t der[4096];
	size_t len;
	crn_cert_info info;

	CAIRN_T_PASS(crn_csr_new(f->id, CRN_ROLE_NODE, "csr-victim", &csr));
	len = pem_body_decode(csr, der, sizeof(der));
	/* Re-encoding untouched bytes gives a CSR that still passes. */
	bad = pem_encode("CERTIFICATE REQUEST", der, len);
	CAIRN_T_PASS(crn_csr_inspect(bad, &info));
	free(bad);
	/* Someone swaps the requested name: the signature no longer fits. */
	patch(der, len, "csr-victim", "csr-attack");
	bad = pem_encode("CERTIFICATE REQUEST", der, len);
	CAIRN_T_FAIL(crn_csr_inspect(bad, &info), CAIRN_ETAMPERED);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, bad, CRN_ROLE_NODE, 30, &cert), CAIRN_ETAMPERED);
	assert_null(cert);
	free(bad);
	/* Or asks for a stronger role. */
	patch(der, len, "csr-attack", "csr-victim");
	patch(der, len, "node", "xode");
	bad = pem_encode("CERTIFICATE REQUEST", der, len);
	CAIRN_T_FAIL(crn_csr_inspect(bad, &info), CAIRN_ETAMPERED);
	free(bad);
	CAIRN_T_FAIL(crn_csr_inspect("not a request", &info), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, "junk", CRN_ROLE_NODE, 30, &cert), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 0, &cert), CAIRN_EINVAL);
	crn_strfree(csr);
}

static void
test_names(void **state)
{
	static const char *const good[] = {"a", "Z", "0", "node-01",
	    "county_a.example", "..", "A-Z.a_z-09",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"};
	static const char *const bad[] = {"", "a b", "a/b", "a\nb", "a,b",
	    "a=b", "\xc3\xa4", "OU=node", "a\tb",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345"};
	static const char *const ca_good[] = {"Example federation CA", "ca",
	    "two  spaces", " leading", "trailing ", "a/b, O=x", "Caf\xc3\xa9",
	    "F\xc3\xa9"
	    "d\xc3\xa9ration statistique \xe2\x80\x94 CA",
	    "\xf0\x9f\x8c\x8d", "'quoted' \\ back",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij1234"};
	static const char *const ca_bad[] = {"", "   ", "a\nb", "a\tb",
	    "bell\a", "del\x7f", "c1\xc2\x85", "\xc3", "\xc3(", "\xc0\xaf",
	    "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff",
	    "bidi\xe2\x80\xae", "ls\xe2\x80\xa8",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij12345",
	    "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij123\xc3\xa9"};
	struct fixture *f = *state;
	char *csr = NULL;
	crn_role r;

	(void)f;
	for (size_t i = 0; i < CRN_NELEM(good); i++)
		assert_true(crn_cert_name_valid(good[i]));
	for (size_t i = 0; i < CRN_NELEM(bad); i++) {
		assert_false(crn_cert_name_valid(bad[i]));
		CAIRN_T_FAIL(crn_csr_new(f->id, CRN_ROLE_NODE, bad[i], &csr),
		    CAIRN_EINVAL);
		assert_null(csr);
	}
	assert_false(crn_cert_name_valid(NULL));
	/* A CA's display name is printable UTF-8 of up to 64 bytes;
	 * participants' names stay within the strict rule. */
	assert_false(crn_cert_name_valid("Example Federation CA"));
	for (size_t i = 0; i < CRN_NELEM(ca_good); i++)
		assert_true(crn_ca_name_valid(ca_good[i]));
	for (size_t i = 0; i < CRN_NELEM(ca_bad); i++)
		assert_false(crn_ca_name_valid(ca_bad[i]));
	assert_false(crn_ca_name_valid(NULL));
	CAIRN_T_FAIL(crn_csr_new(f->id, (crn_role)0, "x", &csr), CAIRN_EINVAL);
	CAIRN_T_FAIL(crn_csr_new(f->id, (crn_role)3, "x", &csr), CAIRN_EINVAL);
	CAIRN_T_PASS(crn_role_parse("coordinator", &r));
	assert_int_equal(r, CRN_ROLE_COORDINATOR);
	CAIRN_T_PASS(crn_role_parse("researcher", &r));
	assert_int_equal(r, CRN_ROLE_RESEARCHER);
	CAIRN_T_FAIL(crn_role_parse("Node", &r), CAIRN_EINVAL);
	assert_string_equal(crn_role_name(CRN_ROLE_NODE), "node");
	assert_string_equal(crn_role_name((crn_role)8), "?");
}

/* Logs get names escaped: nothing but printable ASCII reaches them. */
static void
test_name_escape(void **state)
{
	char out[64];

	(void)state;
	crn_name_escape("Example CA", out, sizeof(out));
	assert_string_equal(out, "Example CA");
	crn_name_escape("F\xc3\xa9"
	                "d\n\\",
	    out, sizeof(out));
	assert_string_equal(out,
	    "F\\xc3\\xa9d\\x0a\\\\");
	crn_name_escape(NULL, out, sizeof(out));
	assert_string_equal(out, "");
	/* Truncated whole: never half of an escape. */
	crn_name_escape("ab\x01", out, 5);
	assert_string_equal(out, "ab");
}

/* A CA whose display name has spaces and accents issues certificates
 * that verify like any other. */
static void
test_ca_display_name(void **state)
{
	struct fixture *f = *state;
	char dir[512], *cert;
	struct blob ca, crl;
	crn_cert_info info;

	snprintf(dir, sizeof(dir), "%s/display", f->tmp);
	CAIRN_T_PASS(crn_ca_init(dir,
	    "F\xc3\xa9"
	    "d\xc3\xa9ration statistique CA",
	    30));
	cert = issue(f, dir, CRN_ROLE_NODE, "agency1", 0, 0);
	ca = slurp(dir, "ca.crt");
	crl = slurp(dir, "crl.pem");
	CAIRN_T_PASS(crn_cert_verify((const char *)ca.b, (const char *)crl.b,
	    (const uint8_t *)cert, strlen(cert), CRN_ROLE_NODE,
	    (int64_t)time(NULL), &info));
	assert_string_equal(info.name, "agency1");
	blob_free(&ca);
	blob_free(&crl);
	crn_strfree(cert);
}

/*
 * The CA operator decides the role, not the requester: a request that
 * asks for another role than the one the CA signs for is refused, and
 * the refusal leaves the name free.
 */
static void
test_sign_role(void **state)
{
	struct fixture *f = *state;
	char *csr = NULL, *cert = NULL;
	crn_cert_info info;

	CAIRN_T_PASS(crn_csr_new(f->id, CRN_ROLE_COORDINATOR, "climber", &csr));
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 30, &cert), CAIRN_EROLE);
	assert_null(cert);
	CAIRN_T_FAIL(crn_ca_sign(f->ca, csr, CRN_ROLE_RESEARCHER, 30, &cert),
	    CAIRN_EROLE);
	CAIRN_T_FAIL(
	    crn_ca_sign_validity(f->ca, csr, CRN_ROLE_NODE, 1, 2, &cert),
	    CAIRN_EROLE);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr, (crn_role)0, 30, &cert), CAIRN_EINVAL);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr,
	        (crn_role)(CRN_ROLE_NODE | CRN_ROLE_COORDINATOR), 30, &cert),
	    CAIRN_EINVAL);
	assert_null(cert);
	/* Nothing was recorded: the right role still gets the name. */
	CAIRN_T_PASS(crn_ca_sign(f->ca, csr, CRN_ROLE_COORDINATOR, 30, &cert));
	CAIRN_T_PASS(
	    crn_cert_inspect((const uint8_t *)cert, strlen(cert), &info));
	assert_int_equal(info.role, CRN_ROLE_COORDINATOR);
	crn_strfree(cert);
	crn_strfree(csr);
}

static crn_crl_mark
store_mark_of(struct fixture *f, const struct blob *crl)
{
	crn_cert_store *s = NULL;
	crn_crl_mark m;

	CAIRN_T_PASS(
	    crn_cert_store_new(&s, f->ca_pem.b, f->ca_pem.n, crl->b, crl->n));
	crn_cert_store_crl_mark(s, &m);
	crn_cert_store_free(s);
	return m;
}

/*
 * Rolling the CRL back: revoke a node, take the new CRL, then offer the
 * older CRL again.  Both are genuinely signed by the CA, so only the mark
 * tells them apart: the older one is refused, the store in use keeps
 * refusing the revoked node, and the mark survives a restart on disk.
 */
static void
test_crl_rollback(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	char *cert = issue(f, f->ca, CRN_ROLE_NODE, "victim", 0, 0);
	struct blob old = slurp(f->ca, "crl.pem");
	crn_crl_mark m_old, m_new, m_back, disk, zero;
	crn_cert_store *cur = NULL;
	crn_cert_info info;
	char path[512];

	memset(&zero, 0, sizeof(zero));
	CAIRN_T_PASS(crn_ca_revoke(f->ca, "victim"));
	fixture_reload_crl(f);
	CAIRN_T_PASS(crn_cert_store_new(
	    &cur, f->ca_pem.b, f->ca_pem.n, f->crl_pem.b, f->crl_pem.n));
	crn_cert_store_crl_mark(cur, &m_new);
	CAIRN_T_FAIL(crn_cert_store_verify(cur, (const uint8_t *)cert,
	                 strlen(cert), CRN_ROLE_NODE, now, &info),
	    CAIRN_EREVOKED);
	/* The old CRL verifies on its own and would let the node back in. */
	m_old = store_mark_of(f, &old);
	assert_true(m_old.number < m_new.number);
	assert_memory_equal(m_old.ca, m_new.ca, sizeof(m_old.ca));
	CAIRN_T_PASS(crn_cert_verify((const char *)f->ca_pem.b,
	    (const char *)old.b, (const uint8_t *)cert, strlen(cert),
	    CRN_ROLE_NODE, now, &info));
	/* ...so a party that has the new one refuses to go back. */
	CAIRN_T_FAIL(crn_crl_mark_check(&m_new, &m_old), CAIRN_EREPLAY);
	CAIRN_T_PASS(crn_crl_mark_check(&m_new, &m_new));
	CAIRN_T_PASS(crn_crl_mark_check(&m_old, &m_new));
	CAIRN_T_PASS(crn_crl_mark_check(&zero, &m_old));
	CAIRN_T_FAIL(crn_cert_store_verify(cur, (const uint8_t *)cert,
	                 strlen(cert), CRN_ROLE_NODE, now, &info),
	    CAIRN_EREVOKED);
	/* A higher number whose thisUpdate goes back is refused too. */
	m_back = m_new;
	m_back.number++;
	m_back.this_update--;
	CAIRN_T_FAIL(crn_crl_mark_check(&m_new, &m_back), CAIRN_EREPLAY);
	/* A renewed CRL moves forward. */
	CAIRN_T_PASS(crn_ca_crl_renew(f->ca, 30));
	fixture_reload_crl(f);
	m_back = store_mark_of(f, &f->crl_pem);
	assert_int_equal(m_back.number, m_new.number + 1);
	CAIRN_T_PASS(crn_crl_mark_check(&m_new, &m_back));
	/* Another CA starts its own sequence. */
	m_back = m_old;
	m_back.ca[0] ^= 1;
	CAIRN_T_PASS(crn_crl_mark_check(&m_new, &m_back));

	/* Across a restart: the mark on disk. */
	snprintf(path, sizeof(path), "%s/crl.mark", f->tmp);
	CAIRN_T_FAIL(crn_crl_mark_load(path, &disk), CAIRN_ENOENT);
	assert_memory_equal(&disk, &zero, sizeof(disk));
	CAIRN_T_PASS(crn_crl_mark_save(path, &m_new));
	CAIRN_T_PASS(crn_crl_mark_load(path, &disk));
	assert_memory_equal(&disk, &m_new, sizeof(disk));
	CAIRN_T_FAIL(crn_crl_mark_check(&disk, &m_old), CAIRN_EREPLAY);
	{
		struct stat st;
		FILE *fp;

		assert_int_equal(stat(path, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		/* A damaged mark is reported, not taken as "no mark". */
		assert_int_equal(truncate(path, st.st_size - 3), 0);
		CAIRN_T_FAIL(crn_crl_mark_load(path, &disk), CAIRN_EDATA);
		assert_non_null(fp = fopen(path, "a"));
		fputs("x\n", fp);
		fclose(fp);
		CAIRN_T_FAIL(crn_crl_mark_load(path, &disk), CAIRN_EDATA);
	}
	crn_cert_store_free(cur);
	blob_free(&old);
	crn_strfree(cert);
}

static void
test_key_file_permissions(void **state)
{
	struct fixture *f = *state;
	char path[512], *csr = NULL, *cert = NULL;

	snprintf(path, sizeof(path), "%s/ca.key", f->ca);
	CAIRN_T_PASS(crn_csr_new(f->id, CRN_ROLE_NODE, "perm-check", &csr));
	/* A group-readable CA key is refused, and nothing is issued. */
	assert_int_equal(chmod(path, 0640), 0);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 30, &cert), CAIRN_EPERM);
	CAIRN_T_FAIL(crn_ca_revoke(f->ca, "perm-check"), CAIRN_EPERM);
	assert_int_equal(chmod(path, 0604), 0);
	CAIRN_T_FAIL(
	    crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 30, &cert), CAIRN_EPERM);
	assert_int_equal(chmod(path, 0600), 0);
	CAIRN_T_PASS(crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 30, &cert));
	crn_strfree(cert);
	/* Not a CA directory at all. */
	CAIRN_T_FAIL(
	    crn_ca_sign(f->tmp, csr, CRN_ROLE_NODE, 30, &cert), CAIRN_ENOENT);
	crn_strfree(csr);
	snprintf(path, sizeof(path), "%s/nowhere", f->tmp);
	CAIRN_T_FAIL(crn_ca_revoke(path, "x"), CAIRN_ENOENT);
}

static void
test_store_reuse(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	crn_cert_store *s = NULL;
	crn_cert_info info;
	char *a = issue(f, f->ca, CRN_ROLE_NODE, "store-a", 0, 0);
	char *b = issue(f, f->ca, CRN_ROLE_COORDINATOR, "store-b", 0, 0);

	CAIRN_T_PASS(crn_cert_store_new(
	    &s, f->ca_pem.b, f->ca_pem.n, f->crl_pem.b, f->crl_pem.n));
	CAIRN_T_PASS(crn_cert_store_verify(
	    s, (const uint8_t *)a, strlen(a), CRN_ROLE_NODE, now, &info));
	assert_string_equal(info.name, "store-a");
	CAIRN_T_PASS(crn_cert_store_verify(s, (const uint8_t *)b, strlen(b),
	    CRN_ROLE_COORDINATOR, now, &info));
	assert_string_equal(info.name, "store-b");
	CAIRN_T_FAIL(crn_cert_store_verify(
	                 s, (const uint8_t *)"", 0, CRN_ROLE_ANY, now, &info),
	    CAIRN_EINVAL);
	crn_cert_store_free(s);
	crn_cert_store_free(NULL);
	CAIRN_T_FAIL(crn_cert_store_new(&s, f->ca_pem.b, f->ca_pem.n, NULL, 0),
	    CAIRN_EINVAL);
	assert_null(s);
	/* inspect reads without verifying. */
	CAIRN_T_PASS(crn_cert_inspect((const uint8_t *)b, strlen(b), &info));
	assert_int_equal(info.role, CRN_ROLE_COORDINATOR);
	crn_strfree(a);
	crn_strfree(b);
}

/* The store's cache gives the answer a full verification would give. */
static void
test_store_cache(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	int64_t stale = now + (CRN_CERT_CRL_DAYS + 1) * (int64_t)DAY;
	crn_cert_store *s = NULL;
	crn_cert_info info, first;
	char *a =
	    issue(f, f->ca, CRN_ROLE_NODE, "cache-a", now - 100, now + 5 * DAY);
	const uint8_t *ab = (const uint8_t *)a;
	uint8_t *der = NULL;
	size_t der_len = 0;

	CAIRN_T_PASS(crn_cert_store_new(
	    &s, f->ca_pem.b, f->ca_pem.n, f->crl_pem.b, f->crl_pem.n));
	CAIRN_T_PASS(crn_cert_store_verify(
	    s, ab, strlen(a), CRN_ROLE_NODE, now, &first));
	for (int i = 0; i < 3; i++) {
		CAIRN_T_PASS(crn_cert_store_verify(
		    s, ab, strlen(a), CRN_ROLE_NODE, now + i, &info));
		assert_memory_equal(&info, &first, sizeof(info));
	}
	/* Cached or not, the role is checked on every call. */
	CAIRN_T_FAIL(crn_cert_store_verify(
	                 s, ab, strlen(a), CRN_ROLE_RESEARCHER, now, &info),
	    CAIRN_EROLE);
	/* Time outside the certificate's window is not answered from the
	 * cache: expired at notAfter, not yet valid before notBefore. */
	CAIRN_T_PASS(crn_cert_store_verify(
	    s, ab, strlen(a), CRN_ROLE_NODE, now + 5 * DAY - 1, &info));
	CAIRN_T_FAIL(crn_cert_store_verify(
	                 s, ab, strlen(a), CRN_ROLE_NODE, now + 5 * DAY, &info),
	    CAIRN_EEXPIRED);
	CAIRN_T_FAIL(crn_cert_store_verify(
	                 s, ab, strlen(a), CRN_ROLE_NODE, now - 101, &info),
	    CAIRN_ENOTYET);
	CAIRN_T_PASS(
	    crn_cert_store_verify(s, ab, strlen(a), CRN_ROLE_NODE, now, &info));
	crn_strfree(a);
	/* Nor outside the CRL's window, for a long-lived certificate. */
	a = issue(f, f->ca, CRN_ROLE_NODE, "cache-b", 0, 0);
	ab = (const uint8_t *)a;
	CAIRN_T_PASS(
	    crn_cert_store_verify(s, ab, strlen(a), CRN_ROLE_NODE, now, &info));
	CAIRN_T_FAIL(crn_cert_store_verify(
	                 s, ab, strlen(a), CRN_ROLE_NODE, stale, &info),
	    CAIRN_EEXPIRED);
	/* Altered bytes after a cached success are verified afresh. */
	CAIRN_T_PASS(crn_cert_pem_to_der(a, &der, &der_len));
	CAIRN_T_PASS(
	    crn_cert_store_verify(s, der, der_len, CRN_ROLE_NODE, now, &info));
	patch(der, der_len, "cache-b", "cache-c");
	CAIRN_T_FAIL(
	    crn_cert_store_verify(s, der, der_len, CRN_ROLE_NODE, now, &info),
	    CAIRN_ETAMPERED);
	crn_free(der, der_len);
	crn_cert_store_free(s);
	crn_strfree(a);
}

/*
 * Concurrent signing: processes and threads take turns on the CA's index,
 * so every certificate issued is recorded (each one can then be revoked).
 */
#define CONC_PROCS   4
#define CONC_THREADS 4
#define CONC_EACH    5

struct conc_arg {
	struct fixture *f;
	int who;
	int failures;
};

static void *
conc_sign(void *p)
{
	struct conc_arg *a = p;
	char name[32], *csr = NULL, *cert = NULL;

	for (int i = 0; i < CONC_EACH; i++) {
		snprintf(name, sizeof(name), "t%d-%d", a->who, i);
		if (crn_csr_new(a->f->id, CRN_ROLE_NODE, name, &csr) !=
		        CAIRN_OK ||
		    crn_ca_sign(a->f->ca, csr, CRN_ROLE_NODE, 30, &cert) !=
		        CAIRN_OK)
			a->failures++;
		crn_strfree(csr);
		crn_strfree(cert);
		csr = cert = NULL;
	}
	return NULL;
}

static void
test_concurrent_signing(void **state)
{
	struct fixture *f = *state;
	struct conc_arg args[CONC_THREADS];
	pthread_t th[CONC_THREADS];
	pid_t pid[CONC_PROCS];
	char name[32];

	for (int p = 0; p < CONC_PROCS; p++) {
		pid[p] = fork();
		assert_true(pid[p] >= 0);
		if (pid[p] == 0) {
			struct conc_arg a = {f, 100 + p, 0};
			conc_sign(&a);
			_exit(a.failures == 0 ? 0 : 1);
		}
	}
	for (int t = 0; t < CONC_THREADS; t++) {
		args[t] = (struct conc_arg){f, t, 0};
		assert_int_equal(
		    pthread_create(&th[t], NULL, conc_sign, &args[t]), 0);
	}
	for (int t = 0; t < CONC_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(args[t].failures, 0);
	}
	for (int p = 0; p < CONC_PROCS; p++) {
		int st = 0;
		assert_int_equal(waitpid(pid[p], &st, 0), pid[p]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* Nothing was lost from the index. */
	for (int w = 0; w < CONC_THREADS + CONC_PROCS; w++) {
		int who = w < CONC_THREADS ? w : 100 + w - CONC_THREADS;
		for (int i = 0; i < CONC_EACH; i++) {
			snprintf(name, sizeof(name), "t%d-%d", who, i);
			CAIRN_T_PASS(crn_ca_revoke(f->ca, name));
		}
	}
}

/* Threads sharing one store (and its cache) agree with each other. */
#define SHARE_CERTS   6
#define SHARE_THREADS 4

struct share_arg {
	const crn_cert_store *s;
	char **certs;
	int64_t now;
	int bad;
};

static void *
share_verify(void *p)
{
	struct share_arg *a = p;
	crn_cert_info info;

	for (int r = 0; r < 200; r++) {
		for (int i = 0; i < SHARE_CERTS; i++) {
			const char *c = a->certs[i];
			char want[16];
			snprintf(want, sizeof(want), "share-%d", i);
			if (crn_cert_store_verify(a->s, (const uint8_t *)c,
			        strlen(c), CRN_ROLE_NODE, a->now,
			        &info) != CAIRN_OK ||
			    strcmp(info.name, want) != 0)
				a->bad++;
		}
	}
	return NULL;
}

static void
test_store_threads(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	char *certs[SHARE_CERTS], name[16];
	struct share_arg args[SHARE_THREADS];
	pthread_t th[SHARE_THREADS];
	crn_cert_store *s = NULL;

	for (int i = 0; i < SHARE_CERTS; i++) {
		snprintf(name, sizeof(name), "share-%d", i);
		certs[i] = issue(f, f->ca, CRN_ROLE_NODE, name, 0, 0);
	}
	CAIRN_T_PASS(crn_cert_store_new(
	    &s, f->ca_pem.b, f->ca_pem.n, f->crl_pem.b, f->crl_pem.n));
	for (int t = 0; t < SHARE_THREADS; t++) {
		args[t] = (struct share_arg){s, certs, now, 0};
		assert_int_equal(
		    pthread_create(&th[t], NULL, share_verify, &args[t]), 0);
	}
	for (int t = 0; t < SHARE_THREADS; t++) {
		assert_int_equal(pthread_join(th[t], NULL), 0);
		assert_int_equal(args[t].bad, 0);
	}
	crn_cert_store_free(s);
	for (int i = 0; i < SHARE_CERTS; i++)
		crn_strfree(certs[i]);
}

/* Every allocation failure gives ENOMEM and leaves no state behind. */
static void
test_oom(void **state)
{
	struct fixture *f = *state;
	int64_t now = (int64_t)time(NULL);
	char *csr = NULL, *cert = NULL;
	crn_cert_store *s = NULL;
	crn_cert_info info;
	cairn_err rv;
	long n;

	for (n = 0;; n++) {
		crn_alloc_fail_after(n);
		rv = crn_csr_new(f->id, CRN_ROLE_NODE, "oom-node", &csr);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(csr);
	}
	assert_true(n >= 1);
	/* Signing: a failed attempt must not record the name as issued,
	 * or the next attempt would be refused with EPERM. */
	for (n = 0;; n++) {
		crn_alloc_fail_after(n);
		rv = crn_ca_sign(f->ca, csr, CRN_ROLE_NODE, 30, &cert);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(cert);
	}
	assert_true(n >= 3);
	for (n = 0;; n++) {
		crn_alloc_fail_after(n);
		rv = crn_cert_store_new(
		    &s, f->ca_pem.b, f->ca_pem.n, f->crl_pem.b, f->crl_pem.n);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(s);
	}
	CAIRN_T_PASS(crn_cert_store_verify(
	    s, (const uint8_t *)cert, strlen(cert), CRN_ROLE_NODE, now, &info));
	crn_cert_store_free(s);
	/* Revocation: failures leave the certificate valid. */
	for (n = 0;; n++) {
		crn_alloc_fail_after(n);
		rv = crn_ca_revoke(f->ca, "oom-node");
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
	}
	fixture_reload_crl(f);
	CAIRN_T_FAIL(
	    verify(f, cert, CRN_ROLE_NODE, now, &info), CAIRN_EREVOKED);
	crn_strfree(csr);
	crn_strfree(cert);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(
        test_ca_init_layout, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_life_cycle, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_wrong_role, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_expired_and_not_yet, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_stale_crl, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_other_ca, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_tampered, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_csr_tampered, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_names, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_key_file_permissions, fixture_setup, fixture_teardown),
    cmocka_unit_test(test_name_escape),
    cmocka_unit_test_setup_teardown(
        test_ca_display_name, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_sign_role, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_crl_rollback, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_store_reuse, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_store_cache, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_concurrent_signing, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(
        test_store_threads, fixture_setup, fixture_teardown),
    cmocka_unit_test_setup_teardown(test_oom, fixture_setup, fixture_teardown),
};

CAIRN_TEST_MAIN(tests)
