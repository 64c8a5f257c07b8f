/*
 * cmd_bench.c — 'cairn bench prg': how fast the mask PRG expands and adds
 * a mask into a vector, against the raw AES-128-CTR keystream over the
 * same number of bytes and a plain vector add of the same length.
 *
 * The three are measured in the same run, interleaved repetition by
 * repetition so that frequency changes hit all of them alike, and the
 * medians are reported.  The last line of output is one JSON object so
 * that scripts can read the figures.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/crn.h"
#include "cli/cmds.h"
#include "cli/opts.h"
#include "crypto/crypto.h"
#include "crypto/prg.h"

#define BENCH_MAX_DIM  (UINT64_C(1) << 28)
#define BENCH_MAX_REPS 1000
/* Elements per plain-add block: a constant trip count lets gcc -O2
 * vectorise the loop (its "very cheap" cost model wants one). */
#define BENCH_ADD_BLOCK 1024

__extension__ typedef unsigned __int128 bench_u128;

#define BENCH_STR_(x) #x
#define BENCH_STR(x)  BENCH_STR_(x)

static const char bench_usage[] =
    "usage: cairn bench prg [--dim N] [--bits 32|64|128] [--reps R]\n"
    "\n"
    "Measure the mask PRG (AES-128-CTR): expand-and-add of N ring\n"
    "elements into a vector, the raw keystream over the same bytes,\n"
    "and a plain vector add (y += x) of N elements.  Prints medians\n"
    "over R repetitions and, as the last line, a JSON object.\n"
    "\n"
    "  --dim N     vector length in elements (default 1048576)\n"
    "  --bits B    element width: 32, 64 or 128 (default 64)\n"
    "  --reps R    repetitions, 1.." BENCH_STR(BENCH_MAX_REPS) " (default 9)\n"
    "\n"
    "cairn bench fit --help: a model fitted in this one process over CSV\n"
    "files (the baseline of tests/bench/fit_bench.sh).\n";

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Parse a decimal in [lo, hi]; -1 when it is not one. */
static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* y += x over n elements of the given width. */
static void
add32(uint32_t *restrict y, const uint32_t *restrict x, size_t n)
{
	size_t i = 0;

	for (; i + BENCH_ADD_BLOCK <= n; i += BENCH_ADD_BLOCK) {
		for (size_t j = 0; j < BENCH_ADD_BLOCK; j++)
			y[i + j] += x[i + j];
	}
	for (; i < n; i++)
		y[i] += x[i];
}

static void
add64(uint64_t *restrict y, const uint64_t *restrict x, size_t n)
{
	size_t i = 0;

	for (; i + BENCH_ADD_BLOCK <= n; i += BENCH_ADD_BLOCK) {
		for (size_t j = 0; j < BENCH_ADD_BLOCK; j++)
			y[i + j] += x[i + j];
	}
	for (; i < n; i++)
		y[i] += x[i];
}

static void
add128(bench_u128 *restrict y, const bench_u128 *restrict x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		y[i] += x[i];
}

static void
plain_add(void *y, const void *x, size_t n, unsigned bits)
{
	if (bits == 32)
		add32(y, x, n);
	else if (bits == 64)
		add64(y, x, n);
	else
		add128(y, x, n);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int
bench_prg(size_t dim, unsigned bits, size_t reps)
{
	size_t len = dim * (bits / 8);
	uint8_t seed[CAIRN_SEED_LEN];
	double *t_add = NULL, *t_ks = NULL, *t_plain = NULL;
	double m_add, m_ks, m_plain;
	void *y = NULL, *x = NULL;
	uint8_t *ks = NULL;
	int ret = 1;

	t_add = crn_zalloc(reps * sizeof(double));
	t_ks = crn_zalloc(reps * sizeof(double));
	t_plain = crn_zalloc(reps * sizeof(double));
	y = crn_alloc(len);
	x = crn_alloc(len);
	ks = crn_alloc(len);
	if (t_add == NULL || t_ks == NULL || t_plain == NULL || y == NULL ||
	    x == NULL || ks == NULL) {
		cli_error("out of memory for --dim %zu", dim);
		goto out;
	}
	/* Touch every page before timing anything. */
	crn_random_bytes(y, len);
	crn_random_bytes(x, len);
	memset(ks, 0, len);
	crn_random_bytes(seed, sizeof(seed));

	/* One untimed round warms caches, the page tables and OpenSSL. */
	for (size_t r = 0; r <= reps; r++) {
		double t0, t1, t2, t3;
		cairn_err rv;

		t0 = now_ns();
		rv = crn_prg_add(y, dim, bits, seed, 0);
		t1 = now_ns();
		if (rv == CAIRN_OK)
			rv = crn_prg_keystream(ks, len, seed);
		t2 = now_ns();
		plain_add(y, x, dim, bits);
		t3 = now_ns();
		if (rv != CAIRN_OK) {
			cli_error("prg: %s", cairn_strerror(rv));
			goto out;
		}
		if (r > 0) {
			t_add[r - 1] = t1 - t0;
			t_ks[r - 1] = t2 - t1;
			t_plain[r - 1] = t3 - t2;
		}
	}
	m_add = median(t_add, reps) / (double)dim;
	m_ks = median(t_ks, reps) / (double)dim;
	m_plain = median(t_plain, reps) / (double)dim;

	printf(
	    "prg bench: dim=%zu bits=%u reps=%zu (medians)\n", dim, bits, reps);
	printf("  expand+add  %8.3f ns/elem  %6.2f GB/s of mask\n", m_add,
	    (double)(bits / 8) / m_add);
	printf("  keystream   %8.3f ns/elem  %6.2f GB/s\n", m_ks,
	    (double)(bits / 8) / m_ks);
	printf("  plain add   %8.3f ns/elem  %6.2f G elem/s\n", m_plain,
	    1.0 / m_plain);
	printf("  expand+add / keystream = %.3f\n", m_add / m_ks);
	printf("{\"bench\":\"prg\",\"dim\":%zu,\"bits\":%u,\"reps\":%zu,\"expand_add_ns_per_elem\":%.4f,\"keystream_ns_per_elem\":%.4f,\"plain_add_ns_per_elem\":%.4f,\"ratio\":%.4f,\"keystream_gbps\":%.3f}\n",
	    dim, bits, reps, m_add, m_ks, m_plain, m_add / m_ks,
	    (double)(bits / 8) / m_ks);
	ret = fflush(stdout) == 0 ? 0 : 1;
out:
	cairn_memzero(seed, sizeof(seed));
	crn_free(t_add, reps * sizeof(double));
	crn_free(t_ks, reps * sizeof(double));
	crn_free(t_plain, reps * sizeof(double));
	crn_free(y, len);
	crn_free(x, len);
	crn_freezero(ks, len);
	return ret;
}

int
cmd_bench(int argc, char **argv)
{
	uint64_t dim = 1048576, bits = 64, reps = 9;
	const char *sdim = NULL, *sbits = NULL, *sreps = NULL;
	const cli_opt opts[] = {
	    {.name = "--dim", .val = &sdim},
	    {.name = "--bits", .val = &sbits},
	    {.name = "--reps", .val = &sreps},
	    {.name = NULL},
	};
	const cli_cmd cmd = {"bench prg", opts, NULL, 0, 0, NULL, bench_usage};
	int st;

	if (argc < 2)
		return cli_usage_error("bench", "which benchmark?");
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(bench_usage, stdout);
		return 0;
	}
	if (strcmp(argv[1], "fit") == 0)
		return cli_bench_fit(argc - 1, argv + 1);
	if (strcmp(argv[1], "prg") != 0)
		return cli_usage_error("bench",
		    "unknown benchmark '%s' (try 'prg' or 'fit')", argv[1]);
	if ((st = cli_parse(&cmd, argc - 1, argv + 1)) >= 0)
		return st;
	if (sdim != NULL && parse_u64(sdim, 1, BENCH_MAX_DIM, &dim) != 0)
		return cli_usage_error("bench prg",
		    "--dim wants an integer in 1..%llu",
		    (unsigned long long)BENCH_MAX_DIM);
	if (sbits != NULL && (parse_u64(sbits, 32, 128, &bits) != 0 ||
	                         (bits != 32 && bits != 64 && bits != 128)))
		return cli_usage_error("bench prg", "--bits wants 32, 64 or 128");
	if (sreps != NULL && parse_u64(sreps, 1, BENCH_MAX_REPS, &reps) != 0)
		return cli_usage_error("bench prg", "--reps wants an integer in 1..%d",
		    BENCH_MAX_REPS);
	return bench_prg((size_t)dim, (unsigned)bits, (size_t)reps);
}
