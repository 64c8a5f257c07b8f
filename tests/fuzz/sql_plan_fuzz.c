/*
 * sql_plan_fuzz.c — the SQL planner and the plan decoder on arbitrary
 * input.  The first byte picks the target: even -> the rest is SQL text
 * for crn_sql_plan against a fixed schema; odd -> the rest is an encoded
 * QueryPlan for crn_plan_decode.  Whatever is accepted must survive an
 * encode/decode round trip and decoding an all-zero sum.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/crn.h"
#include "query/codec_plan.h"
#include "query/schema.h"
#include "query/sql_plan.h"
#include "query/sql_result.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char schema_text[] =
    "[federation]\nmin_cell = 0\nmax_nodes = 100\n"
    "[dataset cps]\nmax_rows = 1000000\n"
    "[column cps.age]\ntype = integer\nmin = 16\nmax = 99\n"
    "nullable = true\n"
    "[column cps.wage]\ntype = decimal\nscale = 2\nmin = -10\n"
    "max = 500000.00\nnullable = true\n"
    "[column cps.region]\ntype = category\n"
    "domain = north, south, east, west\n"
    "[column cps.sex]\ntype = category\ndomain = f, m\nnullable = true\n"
    "[dataset big]\nmax_rows = 4611686018427387904\n"
    "[column big.x]\ntype = integer\nmin = -9223372036854775808\n"
    "max = 9223372036854775807\n";

static crn_schema *schema;

static void
exercise(const crn_plan *p)
{
	crn_plan *d = NULL;
	crn_result *r = NULL;
	uint8_t *buf = NULL, *sum;
	size_t len = 0, slen;

	if (crn_plan_encode(p, &buf, &len) != CAIRN_OK)
		abort(); /* a valid plan always encodes */
	if (crn_plan_decode(buf, len, &d) != CAIRN_OK)
		abort(); /* and decodes */
	crn_free(buf, len);
	crn_plan_free(d);
	slen = (size_t)p->dim * (p->ring_bits / 8);
	if (slen > (1u << 20))
		return;
	if ((sum = crn_zalloc(slen)) == NULL)
		return;
	if (crn_sql_result_decode(p, sum, slen, 1, &r) == CAIRN_OK) {
		char *s = NULL;
		size_t n = 0;

		if (crn_result_json(r, &s, &n) == CAIRN_OK)
			crn_free(s, n + 1);
	}
	crn_result_free(r);
	crn_free(sum, slen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	crn_plan *p = NULL;
	char err[256];

	if (schema == NULL &&
	    crn_schema_parse(schema_text, "fuzz", &schema, err, sizeof(err)) !=
	        CAIRN_OK)
		abort();
	if (size < 1)
		return 0;
	if ((data[0] & 1) == 0) {
		char *sql = malloc(size);

		if (sql == NULL)
			return 0;
		memcpy(sql, data + 1, size - 1);
		sql[size - 1] = '\0';
		if (crn_sql_plan(schema, sql, &p, err, sizeof(err)) == CAIRN_OK)
			exercise(p);
		free(sql);
	} else if (crn_plan_decode(data + 1, size - 1, &p) == CAIRN_OK) {
		if (crn_plan_check(p) != CAIRN_OK)
			abort();
		exercise(p);
	}
	crn_plan_free(p);
	return 0;
}
