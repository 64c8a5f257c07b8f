/*
 * query_fix.c — the query tests' shared fixture (query_fix.h).
 */
#include <stdio.h>

#include "cairn_test.h"
#include "query_fix.h"

int
crn_t_schema_parse(const char *text, const char *name, crn_schema **out)
{
	char err[256];

	if (crn_schema_parse(text, name, out, err, sizeof(err)) != CAIRN_OK) {
		fprintf(stderr, "schema: %s\n", err);
		return -1;
	}
	return 0;
}

crn_plan *
crn_t_plan(const crn_schema *s, const char *sql)
{
	crn_plan *p = NULL;
	char err[256];

	if (crn_sql_plan(s, sql, &p, err, sizeof(err)) != CAIRN_OK)
		fail_msg("%s: %s", sql, err);
	return p;
}
