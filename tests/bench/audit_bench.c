/*
 * audit_bench.c — what an audit entry costs a daemon: appending N entries
 * of a typical job receipt (hash, sign, write, fsync each), beside the
 * baseline of writing and fsyncing the same bytes with no hash or
 * signature, measured in the same run on the same disk; and verifying the
 * log afterwards (entries per second).
 *
 *   bench_audit_bench [entries] [dir]
 */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "base/crn.h"
#include "crypto/init.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[512], base[512], err[512];
	uint8_t seed[CAIRN_SIGN_SEED_LEN] = {1};
	crn_identity *id = NULL;
	crn_audit *a = NULL;
	crn_audit_report rep;
	const crn_audit_field f[] = {
	    {"job", "0a1b2c3d4e5f60718293a4b5c6d7e8f9"},
	    {"researcher", "alice"},
	    {"kind", "query"},
	    {"dataset", "cps"},
	    {"sql",
	        "SELECT region, count(*), avg(wage) FROM cps WHERE education >= 12 GROUP BY region"},
	    {"plan_hash",
	        "65c137a4f273d4bc410cb7caed0bb9bd4d84dab6158f2e850272604621b5cff0"},
	};
	double t0, t_audit, t_base, t_verify;
	size_t line = 0;
	int fd;

	if (n <= 0 || cairn_init() != CAIRN_OK ||
	    crn_identity_from_seed(&id, seed) != CAIRN_OK)
		return 1;
	snprintf(
	    path, sizeof(path), "%s/audit_bench.%d.log", dir, (int)getpid());
	snprintf(
	    base, sizeof(base), "%s/audit_bench.%d.raw", dir, (int)getpid());
	if (crn_audit_open(&a, path, id, 1796000000, err, sizeof(err)) !=
	    CAIRN_OK) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	t0 = now_s();
	for (long i = 0; i < n; i++)
		if (crn_audit_append(a, 1796000000, "received", f, 6) !=
		    CAIRN_OK)
			return 1;
	t_audit = now_s() - t0;
	crn_audit_close(a);
	/* The baseline: lines of the same length, written and fsynced. */
	{
		FILE *fp = fopen(path, "r");
		char *buf = NULL;
		size_t cap = 0;

		if (fp == NULL || getline(&buf, &cap, fp) < 0 ||
		    getline(&buf, &cap, fp) < 0)
			return 1;
		line = strlen(buf);
		fd = open(base, O_WRONLY | O_CREAT | O_APPEND | O_TRUNC, 0600);
		t0 = now_s();
		for (long i = 0; i < n; i++)
			if (write(fd, buf, line) != (ssize_t)line ||
			    fsync(fd) != 0)
				return 1;
		t_base = now_s() - t0;
		close(fd);
		free(buf);
		fclose(fp);
	}
	t0 = now_s();
	if (crn_audit_verify_file(path, NULL, NULL, NULL, &rep) != CAIRN_OK)
		return 1;
	t_verify = now_s() - t0;
	printf("entries %ld, %zu bytes each, on %s\n", n, line, dir);
	printf("append (hash, sign, write, fsync): %.1f us/entry\n",
	    t_audit / (double)n * 1e6);
	printf("baseline (write, fsync only):      %.1f us/entry\n",
	    t_base / (double)n * 1e6);
	printf("verify: %.0f entries/s\n", (double)rep.entries / t_verify);
	unlink(path);
	unlink(base);
	crn_identity_free(id);
	return 0;
}
