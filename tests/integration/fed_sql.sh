#!/usr/bin/env bash
# fed_sql.sh — SQL jobs end to end: the researcher plans the query locally
# against the federation schema and signs SQL + plan; the coordinator
# re-plans and compares; nodes check the plan against their policy and run
# it over their CSV files.  The grouped counts and sums equal the plain
# ones; a plan that disagrees with the SQL (signed against another schema)
# is refused by the coordinator; a query on an unexposed column is refused
# by the nodes.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

# This test runs over TCP on loopback (the others over ipc://).
FED_TCP=1
fed_init 4
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4

# Plain per-region count and sum over every node.
plain() {
	local reg=$1 c=0 s=0 i v r
	for i in 1 2 3 4; do
		while IFS=, read -r _ v r _; do
			[ "$r" = "$reg" ] || continue
			c=$((c + 1))
			s=$((s + v))
		done <"$FED/data/node$i.csv"
	done
	echo "$c,$s"
}

q="SELECT region, count(*), sum(value) FROM t GROUP BY region ORDER BY region"
# (CSV is RFC 4180: CRLF line ends.)
out=$(fed_query --schema "$FED/schema.ini" --format csv "$q" | tr -d '\r') ||
    fed_fail "sql query: $out"
echo "$out"
exp=$(printf 'region,count,sum\nnorth,%s\nsouth,%s' "$(plain north)" \
    "$(plain south)")
body=$(echo "$out" | tail -n +2)
[ "$body" = "$(echo "$exp" | tail -n +2)" ] ||
    fed_fail "sql result:\n$out\nwant rows:\n$exp"

out=$(fed_query --schema "$FED/schema.ini" --format json "$q") ||
    fed_fail "sql json: $out"
echo "$out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3", "node4"\]' ||
    fed_fail "json nodes: $out"
echo "$out" | grep -q '"rows": \[\["north", ' || fed_fail "json rows: $out"

# The coordinator decodes the sum and sends only the released table: the
# raw per-group vector (which a modified client could read groups of one
# row from) never reaches the researcher.
shape=$(CAIRN_TEST_RESULT_SHAPE=1 fed_query --schema "$FED/schema.ini" \
    --format csv "$q" 2>&1 >/dev/null) || fed_fail "sql shape: $shape"
echo "$shape"
[ "$shape" = "result: sum 0 bytes, table yes" ] ||
    fed_fail "the researcher got the raw sum: $shape"

# The researcher signs a plan made with a different schema (a wider
# bound): the coordinator's own plan differs, so it refuses.
sed 's/^max = 1000000/max = 2000000/' "$FED/schema.ini" >"$FED/other.ini"
if out=$(fed_query --schema "$FED/other.ini" --format csv \
    "SELECT count(*), sum(value) FROM t" 2>&1); then
	fed_fail "a plan that is not the SQL's was accepted: $out"
fi
echo "$out"
echo "$out" | grep -q "signed plan is not the plan of the signed SQL" ||
    fed_fail "refusal text: $out"

# The coordinator and researcher agree on a wider bound than the nodes'
# own schema: each node checks the plan's columns against its own copy of
# the federation schema and refuses, rather than run the plan's bounds.
restart_coord() {
	kill -TERM "$FED_COORD_PID"
	fed_wait_exit "$FED_COORD_PID"
	fed_start_coord
	fed_wait_nodes 4
}
sed -i 's|^schema = schema.ini$|schema = other.ini|' "$FED/coord.conf"
restart_coord
if out=$(fed_query --schema "$FED/other.ini" --format csv \
    "SELECT count(*), sum(value) FROM t" 2>&1); then
	fed_fail "nodes ran a plan whose bounds are not their schema's: $out"
fi
echo "$out"
echo "$out" | grep -q "4 nodes refused the job (node.: plan's column 'value' differs from the node's schema)" ||
    fed_fail "refusal of a plan off the node's schema: $out"
sed -i 's|^schema = other.ini$|schema = schema.ini|' "$FED/coord.conf"

# An unexposed column (id is in no node's expose list): nodes refuse.  The
# federation schema changes, so every party restarts with it.
cat >>"$FED/schema.ini" <<EOS

[column t.id]
type = integer
min = 0
max = 1000
EOS
for i in 1 2 3 4; do
	eval "p=\$FED_NODE_PID_$i"
	kill -TERM "$p"
	fed_wait_exit "$p"
	fed_start_node "$i"
done
restart_coord
if out=$(fed_query --schema "$FED/schema.ini" \
    "SELECT count(*), sum(id) FROM t" 2>&1); then
	fed_fail "a query over an unexposed column ran: $out"
fi
echo "$out"
echo "$out" | grep -q "4 nodes refused the job (node.: column 'id' is not exposed)" ||
    fed_fail "abort does not say the nodes refused: $out"
fed_wait_log "$FED/node1.log" "refused: column 'id' is not exposed" 1

# The researcher's configuration may name the schema: no --schema needed.
echo "schema = schema.ini" >>"$FED/alice.conf"
out=$(fed_query --format csv "$q" | tr -d '\r') ||
    fed_fail "sql query with the configured schema: $out"
[ "$(echo "$out" | tail -n +2)" = "$(echo "$exp" | tail -n +2)" ] ||
    fed_fail "configured schema result:\n$out"
fed_finish
echo "fed_sql: ok"
