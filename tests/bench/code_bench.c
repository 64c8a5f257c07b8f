/*
 * code_bench.c — approved code against the native executor, in one run:
 * the sums of two columns over a generated CSV file (default 1,000,000
 * rows), once by the CSV executor (SELECT sum(a), sum(b)) and once by a
 * Lua program (rows read into columns by the same scanner after the WHERE
 * push-down, then node() in the sandbox).  Prints rows per second of each,
 * the ratio, and the part of the program's time spent in Lua; the last
 * line is JSON.  Both answers are checked equal.  Medians of `runs` runs.
 *
 *   bench_code_bench [rows] [runs]
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/crn.h"
#include "crypto/init.h"
#include "exec/exec.h"
#include "lua/code.h"
#include "query/schema.h"
#include "query/sql_plan.h"

static const char schema_text[] = "[federation]\n"
                                  "max_nodes = 10\n"
                                  "[dataset t]\n"
                                  "max_rows = 100000000\n"
                                  "[column t.a]\n"
                                  "type = integer\n"
                                  "min = 0\n"
                                  "max = 1000\n"
                                  "[column t.b]\n"
                                  "type = decimal\n"
                                  "scale = 2\n"
                                  "min = 0\n"
                                  "max = 1000\n";

static const char program[] = "function node(data, params)\n"
                              "  local a, b = data.cols.a, data.cols.b\n"
                              "  local sa, sb = 0, 0\n"
                              "  for i = 1, data.rows do\n"
                              "    sa = sa + a[i]\n"
                              "    sb = sb + b[i]\n"
                              "  end\n"
                              "  return {sa, sb}\n"
                              "end\n";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
cmp_d(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_d);
	return v[n / 2];
}

int
main(int argc, char **argv)
{
	long rows = argc > 1 ? atol(argv[1]) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	char dir[] = "/tmp/cairn-code-bench.XXXXXX", path[64], err[256];
	crn_schema *schema = NULL;
	crn_plan *native = NULL, *count = NULL;
	const crn_dataset *ds;
	crn_source src;
	double tn[16], tc[16], tl[16], native_b = 0, code_b = 0;
	FILE *f;

	if (rows < 1 || runs < 1 || runs > 16 || cairn_init() != CAIRN_OK ||
	    mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/t.csv", dir);
	if ((f = fopen(path, "w")) == NULL)
		return 1;
	fputs("a,b\n", f);
	for (long i = 0; i < rows; i++)
		fprintf(
		    f, "%ld,%ld.%02ld\n", i % 1000, (i * 7) % 1000, i % 100);
	fclose(f);
	if (crn_schema_parse(schema_text, "bench", &schema, err, sizeof(err)) !=
	        CAIRN_OK ||
	    crn_sql_plan(schema, "SELECT sum(a), sum(b) FROM t", &native, err,
	        sizeof(err)) != CAIRN_OK ||
	    crn_sql_plan(schema, "SELECT count(*) FROM t", &count, err,
	        sizeof(err)) != CAIRN_OK) {
		fprintf(stderr, "code_bench: %s\n", err);
		return 1;
	}
	ds = crn_schema_dataset(schema, "t");
	memset(&src, 0, sizeof(src));
	src.kind = CRN_SRC_CSV;
	src.path = path;
	for (int r = 0; r < runs; r++) {
		crn_code_decl d = {.len = 2, .lo = 0, .hi = 1e12, .scale = 2};
		crn_code_data data;
		crn_code_stats st;
		crn_lua_verdict v;
		crn_exec_stats es;
		uint64_t vec[3];
		double agg[2], t0, t1, t2;
		uint64_t clipped;
		void *nv = NULL;

		t0 = now_s();
		if (crn_exec_run(native, ds, &src, &nv, &es, err,
		        sizeof(err)) != CAIRN_OK) {
			fprintf(stderr, "code_bench: native: %s\n", err);
			return 1;
		}
		tn[r] = now_s() - t0;
		/* The sum(b) slot of the native vector (plan.h layout:
		 * count(*), then per measure count, sum, ...), in cents. */
		native_b = (double)(int64_t)((
		    uint64_t *)nv)[1 + native->measures[1].offset + 1];
		crn_free(
		    nv, native->dim * crn_exec_elem_size(native->ring_bits));
		t0 = now_s();
		if (crn_code_scan(count, ds, &src, NULL, 0, &data, err,
		        sizeof(err)) != CAIRN_OK) {
			fprintf(stderr, "code_bench: scan: %s\n", err);
			return 1;
		}
		t1 = now_s();
		if (crn_code_node_run(program, strlen(program), NULL, 1, &data,
		        NULL, 0, NULL, &d, vec, NULL, &st, &v, err,
		        sizeof(err)) != CAIRN_OK) {
			fprintf(stderr, "code_bench: lua: %s: %s\n",
			    crn_lua_reason(v), err);
			return 1;
		}
		t2 = now_s();
		crn_code_data_fini(&data);
		tc[r] = t2 - t0;
		tl[r] = t2 - t1;
		crn_code_decode(&d, vec, agg, &clipped);
		code_b = agg[1] * 100;
	}
	if (native_b != code_b) {
		fprintf(stderr,
		    "code_bench: sums differ: %.0f native, %.0f code\n",
		    native_b, code_b);
		return 1;
	}
	{
		double n = median(tn, runs), c = median(tc, runs),
		       l = median(tl, runs);

		printf("rows %ld, median of %d runs\n", rows, runs);
		printf(
		    "native CSV executor (sum a, sum b): %.3f s, %.0f rows/s\n",
		    n, (double)rows / n);
		printf(
		    "Lua program (scan + node()):        %.3f s, %.0f rows/s (%.2fx native; Lua alone %.3f s)\n",
		    c, (double)rows / c, c / n, l);
		printf(
		    "{\"rows\": %ld, \"native_s\": %.4f, \"code_s\": %.4f, \"lua_s\": %.4f, \"ratio\": %.3f, \"sum_b_cents\": %.0f}\n",
		    rows, n, c, l, c / n, code_b);
	}
	unlink(path);
	rmdir(dir);
	crn_plan_free(native);
	crn_plan_free(count);
	crn_schema_free(schema);
	return 0;
}
