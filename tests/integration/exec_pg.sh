#!/bin/bash
# exec_pg.sh — the PostgreSQL executor against a real, throwaway server:
# runs the cross-source executor test (CSV = SQLite = PostgreSQL = the
# reference) and the end-to-end planner/executor/decoder test with
# CAIRN_PG_CONNINFO set, and fails if a PostgreSQL case did not run.
# CAIRN_TEST_TIMEOUT: 300
set -u
. "$CAIRN_SRC/tests/harness/pg_server.sh"

pg_server_start
rc=$?
if [ $rc = 2 ]; then
	echo "SKIP: $PG_SERVER_SKIP"
	exit 0
elif [ $rc != 0 ]; then
	echo "FAIL: could not start PostgreSQL" >&2
	exit 1
fi
for t in exec_sources_test exec_plan_test; do
	bin="$CAIRN_BUILD/tests/$t"
	if [ ! -x "$bin" ]; then
		echo "FAIL: $bin not built" >&2
		exit 1
	fi
	out=$("$bin" 2>&1)
	rc=$?
	echo "$out"
	if [ $rc != 0 ]; then
		exit $rc
	fi
	if echo "$out" | grep -q SKIPPED; then
		echo "FAIL: $t skipped a test although a server was running" >&2
		exit 1
	fi
done
echo "PostgreSQL executor agrees with CSV, SQLite, the reference and the"
echo "planner/decoder pipeline"
