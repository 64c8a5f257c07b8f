/*
 * ed25519_kat_test.c — identity keys against the RFC 8032 section 7.1
 * Ed25519 test vectors (TEST 1, 2, 3, 1024 and SHA(abc)), read from
 * tests/vectors/ed25519_rfc8032.txt.  Each vector also checks the key's
 * fingerprint and the PKCS#8 file crn_identity_save writes against values
 * computed independently (see the vector file's header).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn_test.h"
#include "crypto/crypto.h"

#define KAT_LINE_MAX 4096
#define KAT_MSG_MAX  2048

struct kat_vec {
	char name[64];
	uint8_t sk[CAIRN_SIGN_SEED_LEN];
	uint8_t pk[CAIRN_SIGN_PK_LEN];
	uint8_t msg[KAT_MSG_MAX];
	size_t msglen;
	uint8_t sig[CAIRN_SIG_LEN];
	char fp[CAIRN_FINGERPRINT_LEN];
	char pkcs8[128];
	unsigned have; /* bit set of fields seen */
};

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode hex into out (capacity cap); returns the length or fails. */
static size_t
unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = strlen(s);

	assert_int_equal(n % 2, 0);
	assert_true(n / 2 <= cap);
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
		assert_true(hi >= 0 && lo >= 0);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return n / 2;
}

static void
unhex_exact(const char *s, uint8_t *out, size_t len)
{
	assert_int_equal(unhex(s, out, len), len);
}

/* Read the next record; returns 0 at end of file. */
static int
kat_next(FILE *f, struct kat_vec *v)
{
	static char line[KAT_LINE_MAX];

	memset(v, 0, sizeof(*v));
	while (fgets(line, sizeof(line), f) != NULL) {
		size_t n = strlen(line);
		char *eq, *val;

		assert_true(n < sizeof(line) - 1); /* line fit */
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == ' '))
			line[--n] = '\0';
		if (line[0] == '#')
			continue;
		if (n == 0) {
			if (v->have != 0)
				break;
			continue;
		}
		eq = strstr(line, " =");
		assert_non_null(eq);
		*eq = '\0';
		val = eq + 2;
		while (*val == ' ')
			val++;
		if (strcmp(line, "name") == 0) {
			snprintf(v->name, sizeof(v->name), "%s", val);
			v->have |= 1;
		} else if (strcmp(line, "sk") == 0) {
			unhex_exact(val, v->sk, sizeof(v->sk));
			v->have |= 2;
		} else if (strcmp(line, "pk") == 0) {
			unhex_exact(val, v->pk, sizeof(v->pk));
			v->have |= 4;
		} else if (strcmp(line, "msg") == 0) {
			v->msglen = unhex(val, v->msg, sizeof(v->msg));
			v->have |= 8;
		} else if (strcmp(line, "sig") == 0) {
			unhex_exact(val, v->sig, sizeof(v->sig));
			v->have |= 16;
		} else if (strcmp(line, "fp") == 0) {
			assert_true(strlen(val) < sizeof(v->fp));
			snprintf(v->fp, sizeof(v->fp), "%s", val);
			v->have |= 32;
		} else if (strcmp(line, "pkcs8") == 0) {
			assert_true(strlen(val) < sizeof(v->pkcs8));
			snprintf(v->pkcs8, sizeof(v->pkcs8), "%s", val);
			v->have |= 64;
		} else {
			fail_msg("unknown field %s", line);
		}
	}
	if (v->have == 0)
		return 0;
	assert_int_equal(v->have, 127);
	return 1;
}

static FILE *
kat_open(void)
{
	const char *src = getenv("CAIRN_SRC");
	char path[1024];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/vectors/ed25519_rfc8032.txt",
	    src != NULL ? src : "..");
	f = fopen(path, "r");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	return f;
}

/* Read a whole small text file into buf (NUL-terminated). */
static void
slurp(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static void
check_vector(const struct kat_vec *v, const char *dir, int idx)
{
	crn_identity *id = NULL, *id2 = NULL;
	uint8_t pk[CAIRN_SIGN_PK_LEN], seed[CAIRN_SIGN_SEED_LEN];
	uint8_t sig[CAIRN_SIG_LEN], bad[CAIRN_SIG_LEN];
	uint8_t msg[KAT_MSG_MAX];
	char fp[CAIRN_FINGERPRINT_LEN];
	char path[512], pem[1024], want[256];

	CAIRN_T_PASS(crn_identity_from_seed(&id, v->sk));
	crn_identity_public(id, pk);
	assert_memory_equal(pk, v->pk, sizeof(pk));
	crn_identity_seed(id, seed);
	assert_memory_equal(seed, v->sk, sizeof(seed));

	CAIRN_T_PASS(crn_identity_sign(id, v->msg, v->msglen, sig));
	if (memcmp(sig, v->sig, sizeof(sig)) != 0)
		fail_msg("%s: signature differs from RFC 8032", v->name);
	CAIRN_T_PASS(crn_sign_verify(v->pk, v->msg, v->msglen, v->sig));

	/* Any flipped bit in the signature or message must be refused. */
	for (size_t bit = 0; bit < 8 * sizeof(bad); bit += 37) {
		memcpy(bad, v->sig, sizeof(bad));
		bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		CAIRN_T_FAIL(crn_sign_verify(v->pk, v->msg, v->msglen, bad),
		    CAIRN_EAUTH);
	}
	if (v->msglen > 0) {
		memcpy(msg, v->msg, v->msglen);
		msg[v->msglen - 1] ^= 1;
		CAIRN_T_FAIL(crn_sign_verify(v->pk, msg, v->msglen, v->sig),
		    CAIRN_EAUTH);
	}

	crn_fingerprint(v->pk, fp);
	assert_string_equal(fp, v->fp);

	/* The key file is RFC 8410 PKCS#8 PEM, byte for byte. */
	snprintf(path, sizeof(path), "%s/kat%d.key", dir, idx);
	CAIRN_T_PASS(crn_identity_save(id, path));
	slurp(path, pem, sizeof(pem));
	snprintf(want, sizeof(want),
	    "-----BEGIN PRIVATE KEY-----\n%s\n-----END PRIVATE KEY-----\n",
	    v->pkcs8);
	assert_string_equal(pem, want);
	CAIRN_T_PASS(crn_identity_load(&id2, path));
	CAIRN_T_PASS(crn_identity_sign(id2, v->msg, v->msglen, sig));
	assert_memory_equal(sig, v->sig, sizeof(sig));

	cairn_memzero(seed, sizeof(seed));
	cairn_memzero(pem, sizeof(pem));
	crn_identity_free(id);
	crn_identity_free(id2);
}

static void
test_rfc8032_vectors(void **state)
{
	struct kat_vec *v = malloc(sizeof(*v));
	const char *dir = crn_t_tmpdir();
	char dirbuf[256];
	FILE *f = kat_open();
	int count = 0, long_seen = 0;

	(void)state;
	assert_non_null(v);
	snprintf(dirbuf, sizeof(dirbuf), "%s", dir);
	while (kat_next(f, v)) {
		check_vector(v, dirbuf, count);
		if (v->msglen == 1023)
			long_seen = 1;
		count++;
	}
	fclose(f);
	free(v);
	crn_t_rmtree(dirbuf);
	assert_int_equal(count, 5);
	assert_true(long_seen);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_rfc8032_vectors),
};

CAIRN_TEST_MAIN(tests)
