#!/usr/bin/env bash
# fed_pg_timeout.sh — a node's query over PostgreSQL runs under a
# statement_timeout (query_timeout_ms): a source that would keep the
# node's only thread busy for long is cancelled, the node refuses the job
# with a generic reason and stays responsive.  Skips without PostgreSQL.
# CAIRN_TEST_TIMEOUT: 150
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
. "$CAIRN_SRC/tests/harness/pg_server.sh"

rc=0
pg_server_start || rc=$?
if [ "$rc" = 2 ]; then
	echo "SKIP: $PG_SERVER_SKIP"
	exit 0
elif [ "$rc" != 0 ]; then
	echo "FAIL: could not start PostgreSQL" >&2
	exit 1
fi
fed_init 3
trap 'fed_cleanup; pg_server_stop' EXIT

# node3 reads a view that takes 20 s to answer.
timeout 60 psql -q -v ON_ERROR_STOP=1 "$CAIRN_PG_CONNINFO" \
    -c "CREATE TABLE t_rows (id int, value int, region text,
        amount numeric(12,2));" \
    -c "INSERT INTO t_rows VALUES (1, 5, 'north', 1.00);" \
    -c "CREATE VIEW t_slow AS SELECT t_rows.* FROM t_rows,
        LATERAL (SELECT pg_sleep(20)) s;" ||
    fed_fail "creating the PostgreSQL view"
sed -i -e '/^kind = csv$/d' -e '/^path = /d' "$FED/node3.conf"
sed -i "/^\[dataset t\]\$/a kind = postgres\\
conninfo = $CAIRN_PG_CONNINFO\\
table = t_slow" "$FED/node3.conf"
sed -i '/^min_participants = 3$/a query_timeout_ms = 1000' "$FED/node3.conf"

fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

start=$(date +%s)
if out=$(fed_query --format csv --dataset t --sum value 2>&1); then
	fed_fail "a query past the statement timeout ran: $out"
fi
took=$(( $(date +%s) - start ))
echo "$out (${took} s)"
echo "$out" | grep -q "1 node refused the job (node3: .* in dataset t; see the node's log)" ||
    fed_fail "refusal: $out"
[ "$took" -lt 15 ] || fed_fail "the query was not cancelled (${took} s)"
fed_wait_log "$FED/node3.log" "statement timeout" 1
# The node still answers: status sees all three.
fed_wait_nodes 3
fed_finish
echo "fed_pg_timeout: ok"
