/*
 * query_fix.h — the fixture the query tests share: a schema parsed from
 * text and plans made against it, each failing the test with the
 * library's own message.
 */
#ifndef CRN_HARNESS_QUERY_FIX_H
#define CRN_HARNESS_QUERY_FIX_H

#include "query/schema.h"
#include "query/sql_plan.h"

/* Parse text (a schema file's contents, called name in messages) into
 * *out: 0, or -1 after printing the parser's error (a cmocka setup's
 * return value). */
int crn_t_schema_parse(const char *text, const char *name, crn_schema **out);

/* The plan of sql against s; fails the running test when the planner
 * refuses it. */
crn_plan *crn_t_plan(const crn_schema *s, const char *sql);

#endif /* CRN_HARNESS_QUERY_FIX_H */
