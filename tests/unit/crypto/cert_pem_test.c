/* cert_pem_test.c — PEM certificates are held to the same rule as DER:
 * exactly one certificate, no bytes riding along. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

static char *
issue(const char *dir)
{
	crn_identity *id = NULL;
	char *csr = NULL, *cert = NULL;

	CAIRN_T_PASS(crn_identity_generate(&id));
	CAIRN_T_PASS(crn_csr_new(id, CRN_ROLE_NODE, "agency1", &csr));
	CAIRN_T_PASS(crn_ca_sign(dir, csr, CRN_ROLE_NODE, 30, &cert));
	crn_strfree(csr);
	crn_identity_free(id);
	return cert;
}

static void
test_pem_exactly_one(void **state)
{
	const char *tmp = crn_t_tmpdir();
	char dir[512], buf[8192];
	crn_cert_info info;
	uint8_t *der = NULL, *der2 = NULL;
	size_t der_len = 0, der2_len = 0;
	char *cert, *pem = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/ca", tmp);
	CAIRN_T_PASS(crn_ca_init(dir, "test-ca", 30));
	cert = issue(dir);

	/* The plain certificate, with trailing whitespace, is fine. */
	CAIRN_T_PASS(
	    crn_cert_inspect((const uint8_t *)cert, strlen(cert), &info));
	snprintf(buf, sizeof(buf), "%s\n\n  \n", cert);
	CAIRN_T_PASS(
	    crn_cert_inspect((const uint8_t *)buf, strlen(buf), &info));
	CAIRN_T_PASS(crn_cert_pem_to_der(cert, &der, &der_len));

	/* Two certificates: refused, and info stays zeroed. */
	snprintf(buf, sizeof(buf), "%s%s", cert, cert);
	memset(&info, 0xff, sizeof(info));
	CAIRN_T_FAIL(crn_cert_inspect((const uint8_t *)buf, strlen(buf), &info),
	    CAIRN_EINVAL);
	assert_int_equal(info.role, 0);
	CAIRN_T_FAIL(crn_cert_pem_to_der(buf, &der2, &der2_len), CAIRN_EINVAL);
	assert_null(der2);

	/* Text after the block. */
	snprintf(buf, sizeof(buf), "%sjunk\n", cert);
	CAIRN_T_FAIL(crn_cert_inspect((const uint8_t *)buf, strlen(buf), &info),
	    CAIRN_EINVAL);

	/* DER with a byte appended is refused as before; the DER -> PEM
	 * round trip of the real one is accepted. */
	{
		uint8_t *longer = crn_alloc(der_len + 1);

		assert_non_null(longer);
		memcpy(longer, der, der_len);
		longer[der_len] = 0;
		CAIRN_T_FAIL(
		    crn_cert_inspect(longer, der_len + 1, &info), CAIRN_EINVAL);
		crn_free(longer, der_len + 1);
	}
	CAIRN_T_PASS(crn_cert_der_to_pem(der, der_len, &pem));
	CAIRN_T_PASS(
	    crn_cert_inspect((const uint8_t *)pem, strlen(pem), &info));

	crn_strfree(pem);
	crn_free(der, der_len);
	crn_strfree(cert);
	crn_t_rmtree(tmp);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_pem_exactly_one),
};

CAIRN_TEST_MAIN(tests)
