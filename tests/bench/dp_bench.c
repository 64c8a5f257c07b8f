/*
 * dp_bench.c — discrete Gaussian sampling speed: 10^6 draws from the OS
 * daemon's source (ChaCha20 keyed from the OS CSPRNG) for several sigma,
 * beside the baseline of drawing the same number of random bytes the
 * sampler consumed straight from the OS CSPRNG (randombytes), measured in
 * the same run.  Goal: 10^6 draws under
 * 1 s on one core.  The last line is JSON.
 *
 *   bench_dp_bench [draws]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>

#include "base/crn.h"
#include "crypto/dp.h"
#include "crypto/init.h"

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t consumed;

/* The daemon's source (crn_dp_rng_init_os: ChaCha20 keyed from the OS),
 * counting the bytes the sampler takes. */
static void
counting_fill(void *ctx, uint8_t *buf, size_t n)
{
	consumed += n;
	crn_drbg_bytes(ctx, buf, n);
}

int
main(int argc, char **argv)
{
	static const unsigned long long sigma2s[] = {
	    1, 100, 10000, 100000000ull, 10000000000000000ull};
	long draws = argc > 1 ? atol(argv[1]) : 1000000;
	double worst = 0;
	uint8_t *buf;

	if (crn_crypto_init() != CAIRN_OK || draws <= 0)
		return 1;
	printf("%-12s %10s %12s %14s %12s\n", "sigma", "draws", "sample s",
	    "bytes used", "bytes-only s");
	for (size_t k = 0; k < sizeof(sigma2s) / sizeof(sigma2s[0]); k++) {
		crn_dp_rng r;
		double t0, t1, t2;
		__int128 x, acc = 0;

		uint8_t seed[CAIRN_SEED_LEN];
		crn_drbg d;

		consumed = 0;
		crn_random_bytes(seed, sizeof(seed));
		crn_drbg_init(&d, seed);
		crn_dp_rng_init(&r, counting_fill, &d);
		t0 = now();
		for (long i = 0; i < draws; i++) {
			if (crn_dp_gauss(&r, sigma2s[k], &x) != CAIRN_OK)
				return 1;
			acc += x;
		}
		t1 = now();
		crn_dp_rng_fini(&r);
		crn_drbg_fini(&d);
		/* Baseline: the same number of bytes from the OS CSPRNG
		 * (randombytes), nothing else. */
		buf = malloc(CRN_DP_RNG_BUF);
		if (buf == NULL)
			return 1;
		for (uint64_t got = 0; got < consumed; got += CRN_DP_RNG_BUF)
			crn_random_bytes(buf, CRN_DP_RNG_BUF);
		t2 = now();
		free(buf);
		printf("%-12.6g %10ld %12.3f %14llu %12.3f%s\n",
		    sqrt((double)sigma2s[k]), draws, t1 - t0,
		    (unsigned long long)consumed, t2 - t1,
		    acc == 12345 ? " " : "");
		if (t1 - t0 > worst)
			worst = t1 - t0;
	}
	printf("{\"bench\":\"dp\",\"draws\":%ld,\"worst_s\":%.3f}\n", draws,
	    worst);
	return 0;
}
