#!/bin/bash
# exec_pg.sh — the PostgreSQL executor against a real, throwaway server:
# runs the cross-source executor test (CSV = SQLite = PostgreSQL = the
# reference) with CAIRN_PG_CONNINFO set, and fails if the PostgreSQL case
# did not actually run.
# CAIRN_TEST_TIMEOUT: 300
set -u
. "$CAIRN_SRC/tests/harness/pg_server.sh"

bin="$CAIRN_BUILD/tests/exec_sources_test"
if [ ! -x "$bin" ]; then
	echo "FAIL: $bin not built" >&2
	exit 1
fi
pg_server_start
rc=$?
if [ $rc = 2 ]; then
	echo "SKIP: $PG_SERVER_SKIP"
	exit 0
elif [ $rc != 0 ]; then
	echo "FAIL: could not start PostgreSQL" >&2
	exit 1
fi
out=$("$bin" 2>&1)
rc=$?
echo "$out"
if [ $rc != 0 ]; then
	exit $rc
fi
if echo "$out" | grep -q SKIPPED; then
	echo "FAIL: a test skipped although a server was running" >&2
	exit 1
fi
echo "PostgreSQL executor agrees with CSV, SQLite and the reference"
