/*
 * csr_fuzz.c — certificate requests as a CA operator receives them:
 * crn_csr_inspect on arbitrary text.  The input is made a C string (the
 * API takes NUL-terminated PEM); bytes after an inner NUL are not seen.
 *
 * A request that passes must name a valid participant and role and carry
 * no serial or validity (a request has none); one that fails must leave
 * *info zeroed.  The same text must give the same answer twice.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "crypto/cert.h"
#include "crypto/crypto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero_serial[CRN_CERT_SERIAL_LEN];
	static int inited;
	crn_cert_info info, again;
	cairn_err rv;
	char *text;

	if (!inited) {
		if (crn_crypto_init() != CAIRN_OK)
			abort();
		if (crn_csr_inspect(NULL, &info) != CAIRN_EINVAL)
			abort();
		inited = 1;
	}
	if ((text = malloc(size + 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(text, data, size);
	text[size] = '\0';
	rv = crn_csr_inspect(text, &info);
	if (rv == CAIRN_OK) {
		if (!crn_cert_name_valid(info.name) ||
		    strcmp(crn_role_name(info.role), "?") == 0 ||
		    memcmp(info.serial, zero_serial, sizeof(zero_serial)) !=
		        0 ||
		    info.not_before != 0 || info.not_after != 0)
			abort();
	} else if (!all_zero(&info, sizeof(info))) {
		abort();
	}
	if (crn_csr_inspect(text, &again) != rv ||
	    memcmp(&info, &again, sizeof(info)) != 0)
		abort();
	free(text);
	return 0;
}
