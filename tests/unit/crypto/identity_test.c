/*
 * identity_test.c — Ed25519 identity keys: generation, signing, key files
 * (round trip, permissions, overwrite, wrong key types) and OOM.
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cairn_test.h"
#include "crypto/crypto.h"

/* An X25519 PKCS#8 key (openssl genpkey -algorithm X25519): a valid
 * private key file, but not an Ed25519 one. */
static const char x25519_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VuBCIEIJAGGm2tjFANJU05I/gujcQwKeDm7x0DMDVB81mr+ZV6\n"
    "-----END PRIVATE KEY-----\n";

/* An Ed25519 key encrypted with a passphrase: cairn never prompts, so
 * loading it must fail instead of reading the terminal. */
static const char encrypted_pem[] =
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIGbMFcGCSqGSIb3DQEFDTBKMCkGCSqGSIb3DQEFDDAcBAgKN6qRHU2AdQICCAAw\n"
    "DAYIKoZIhvcNAgkFADAdBglghkgBZQMEAQIEENh5IKSO+5MlxETVhvh8TA8EQOCn\n"
    "/Fhag/u36Df0+VrC1211e2sqQp0x5TlBeF2raHXFwHLTC254deBq/3tU0zK28je4\n"
    "lk0GCbggHS0uwnrOTNA=\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n";

static void
write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
test_generate_sign_verify(void **state)
{
	crn_identity *a = NULL, *b = NULL;
	uint8_t pka[CAIRN_SIGN_PK_LEN], pkb[CAIRN_SIGN_PK_LEN];
	uint8_t sig[CAIRN_SIG_LEN];
	const char msg[] = "job 42: SELECT count(*) FROM cps";

	(void)state;
	CAIRN_T_PASS(crn_identity_generate(&a));
	CAIRN_T_PASS(crn_identity_generate(&b));
	crn_identity_public(a, pka);
	crn_identity_public(b, pkb);
	assert_memory_not_equal(pka, pkb, sizeof(pka));

	CAIRN_T_PASS(crn_identity_sign(a, msg, sizeof(msg), sig));
	CAIRN_T_PASS(crn_sign_verify(pka, msg, sizeof(msg), sig));
	/* Another key, or another message, does not verify. */
	CAIRN_T_FAIL(crn_sign_verify(pkb, msg, sizeof(msg), sig), CAIRN_EAUTH);
	CAIRN_T_FAIL(
	    crn_sign_verify(pka, msg, sizeof(msg) - 1, sig), CAIRN_EAUTH);
	sig[10] ^= 0x40;
	CAIRN_T_FAIL(crn_sign_verify(pka, msg, sizeof(msg), sig), CAIRN_EAUTH);

	crn_identity_free(a);
	crn_identity_free(b);
	crn_identity_free(NULL);
}

static void
test_from_seed_deterministic(void **state)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN], out[CAIRN_SIGN_SEED_LEN];
	uint8_t pk1[CAIRN_SIGN_PK_LEN], pk2[CAIRN_SIGN_PK_LEN];
	crn_identity *a = NULL, *b = NULL;

	(void)state;
	crn_random_bytes(seed, sizeof(seed));
	CAIRN_T_PASS(crn_identity_from_seed(&a, seed));
	CAIRN_T_PASS(crn_identity_from_seed(&b, seed));
	crn_identity_public(a, pk1);
	crn_identity_public(b, pk2);
	assert_memory_equal(pk1, pk2, sizeof(pk1));
	crn_identity_seed(a, out);
	assert_memory_equal(out, seed, sizeof(seed));
	crn_identity_free(a);
	crn_identity_free(b);
}

static void
test_fingerprint_format(void **state)
{
	uint8_t pk[CAIRN_SIGN_PK_LEN] = {0};
	char fp[CAIRN_FINGERPRINT_LEN], fp2[CAIRN_FINGERPRINT_LEN];

	(void)state;
	crn_fingerprint(pk, fp);
	assert_int_equal(strlen(fp), CAIRN_FINGERPRINT_LEN - 1);
	assert_memory_equal(fp, "SHA256:", 7);
	assert_null(strchr(fp, '='));
	pk[31] = 1;
	crn_fingerprint(pk, fp2);
	assert_string_not_equal(fp, fp2);
}

static void
test_save_load_round_trip(void **state)
{
	char dir[256], path[512];
	crn_identity *id = NULL, *back = NULL;
	uint8_t pk[CAIRN_SIGN_PK_LEN], pk2[CAIRN_SIGN_PK_LEN];
	uint8_t s1[CAIRN_SIGN_SEED_LEN], s2[CAIRN_SIGN_SEED_LEN];
	uint8_t sig[CAIRN_SIG_LEN];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/node.key", dir);
	CAIRN_T_PASS(crn_identity_generate(&id));
	CAIRN_T_PASS(crn_identity_save(id, path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	CAIRN_T_PASS(crn_identity_load(&back, path));
	crn_identity_public(id, pk);
	crn_identity_public(back, pk2);
	assert_memory_equal(pk, pk2, sizeof(pk));
	crn_identity_seed(id, s1);
	crn_identity_seed(back, s2);
	assert_memory_equal(s1, s2, sizeof(s1));
	CAIRN_T_PASS(crn_identity_sign(back, "x", 1, sig));
	CAIRN_T_PASS(crn_sign_verify(pk, "x", 1, sig));

	cairn_memzero(s1, sizeof(s1));
	cairn_memzero(s2, sizeof(s2));
	crn_identity_free(id);
	crn_identity_free(back);
	crn_t_rmtree(dir);
}

static void
test_save_refuses_overwrite(void **state)
{
	char dir[256], path[512];
	crn_identity *a = NULL, *b = NULL, *back = NULL;
	uint8_t pka[CAIRN_SIGN_PK_LEN], pkback[CAIRN_SIGN_PK_LEN];

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/ca.key", dir);
	CAIRN_T_PASS(crn_identity_generate(&a));
	CAIRN_T_PASS(crn_identity_generate(&b));
	CAIRN_T_PASS(crn_identity_save(a, path));
	CAIRN_T_FAIL(crn_identity_save(b, path), CAIRN_EPERM);
	/* The first key is still there, untouched. */
	CAIRN_T_PASS(crn_identity_load(&back, path));
	crn_identity_public(a, pka);
	crn_identity_public(back, pkback);
	assert_memory_equal(pka, pkback, sizeof(pka));
	/* A missing directory is ENOENT, not a crash. */
	snprintf(path, sizeof(path), "%s/no/such/dir.key", dir);
	CAIRN_T_FAIL(crn_identity_save(a, path), CAIRN_ENOENT);

	crn_identity_free(a);
	crn_identity_free(b);
	crn_identity_free(back);
	crn_t_rmtree(dir);
}

static void
test_load_refuses_unsafe_modes(void **state)
{
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0602, 0620};
	char dir[256], path[512];
	crn_identity *id = NULL, *back = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/k.key", dir);
	CAIRN_T_PASS(crn_identity_generate(&id));
	CAIRN_T_PASS(crn_identity_save(id, path));
	for (size_t i = 0; i < CRN_NELEM(bad); i++) {
		assert_int_equal(chmod(path, bad[i]), 0);
		CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EPERM);
		assert_null(back);
	}
	/* 0400 (read-only for the owner) is fine. */
	assert_int_equal(chmod(path, 0400), 0);
	CAIRN_T_PASS(crn_identity_load(&back, path));
	crn_identity_free(back);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

/*
 * A key file owned by another user is refused even with mode 0600: that
 * user could read or replace it (OpenSSH refuses such files too).  Making
 * a file someone else's needs root; as anyone else the case is skipped.
 */
static void
test_load_refuses_other_owner(void **state)
{
	char dir[256], path[512], why[1024];
	crn_identity *id = NULL, *back = NULL;

	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: chown to another user needs root\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/k.key", dir);
	CAIRN_T_PASS(crn_identity_generate(&id));
	CAIRN_T_PASS(crn_identity_save(id, path));
	CAIRN_T_PASS(crn_keyfile_check(path, why, sizeof(why)));
	/* 65534 is "nobody" on Debian; any uid but ours will do. */
	assert_int_equal(chown(path, 65534, (gid_t)-1), 0);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EPERM);
	assert_null(back);
	CAIRN_T_FAIL(crn_keyfile_check(path, why, sizeof(why)), CAIRN_EPERM);
	assert_non_null(strstr(why, "belongs to "));
	assert_non_null(strstr(why, " who runs cairn"));
	assert_non_null(strstr(why, "chown "));
	assert_non_null(strstr(why, path));
	/* Given back to us it loads again. */
	assert_int_equal(chown(path, 0, (gid_t)-1), 0);
	CAIRN_T_PASS(crn_identity_load(&back, path));
	/* The mode rule names the mode and chmod. */
	assert_int_equal(chmod(path, 0640), 0);
	CAIRN_T_FAIL(crn_keyfile_check(path, why, sizeof(why)), CAIRN_EPERM);
	assert_non_null(strstr(why, "has mode 640"));
	assert_non_null(strstr(why, "chmod 600"));
	crn_identity_free(back);
	crn_identity_free(id);
	crn_t_rmtree(dir);
}

static void
test_load_refuses_other_files(void **state)
{
	char dir[256], path[512];
	crn_identity *back = NULL;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());

	snprintf(path, sizeof(path), "%s/missing.key", dir);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_ENOENT);

	snprintf(path, sizeof(path), "%s/x25519.key", dir);
	write_file(path, x25519_pem, 0600);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EINVAL);

	snprintf(path, sizeof(path), "%s/enc.key", dir);
	write_file(path, encrypted_pem, 0600);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EINVAL);

	snprintf(path, sizeof(path), "%s/junk.key", dir);
	write_file(path, "not a key at all\n", 0600);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EINVAL);

	snprintf(path, sizeof(path), "%s/empty.key", dir);
	write_file(path, "", 0600);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EINVAL);

	/* A directory is not a key file. */
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	CAIRN_T_FAIL(crn_identity_load(&back, path), CAIRN_EINVAL);
	assert_null(back);
	crn_t_rmtree(dir);
}

/* Every allocation failure must give ENOMEM cleanly (ASan checks leaks). */
static void
test_oom_loop(void **state)
{
	uint8_t seed[CAIRN_SIGN_SEED_LEN] = {7};
	char dir[256], path[512];
	crn_identity *id = NULL;
	cairn_err rv;
	long n;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", crn_t_tmpdir());
	snprintf(path, sizeof(path), "%s/oom.key", dir);
	CAIRN_T_PASS(crn_identity_from_seed(&id, seed));
	CAIRN_T_PASS(crn_identity_save(id, path));
	crn_identity_free(id);

	for (n = 0;; n++) {
		id = NULL;
		crn_alloc_fail_after(n);
		rv = crn_identity_from_seed(&id, seed);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(id);
	}
	crn_identity_free(id);
	assert_true(n >= 1);

	for (n = 0;; n++) {
		id = NULL;
		crn_alloc_fail_after(n);
		rv = crn_identity_load(&id, path);
		crn_alloc_fail_after(-1);
		if (rv == CAIRN_OK)
			break;
		CAIRN_T_FAIL(rv, CAIRN_ENOMEM);
		assert_null(id);
	}
	crn_identity_free(id);
	assert_true(n >= 2);
	crn_t_rmtree(dir);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_generate_sign_verify),
    cmocka_unit_test(test_from_seed_deterministic),
    cmocka_unit_test(test_fingerprint_format),
    cmocka_unit_test(test_save_load_round_trip),
    cmocka_unit_test(test_save_refuses_overwrite),
    cmocka_unit_test(test_load_refuses_unsafe_modes),
    cmocka_unit_test(test_load_refuses_other_owner),
    cmocka_unit_test(test_load_refuses_other_files),
    cmocka_unit_test(test_oom_loop),
};

CAIRN_TEST_MAIN(tests)
