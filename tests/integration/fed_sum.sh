#!/usr/bin/env bash
# fed_sum.sh — a real federation on loopback: CA, coordinator, 5 nodes and
# a researcher provisioned with `cairn ca` / `cairn keygen`; a column sum
# equals the plain sum of every node's CSV; table/csv/json formats;
# `cairn status` lists the nodes; `cairn node check` passes and then names
# a missing column and a group-readable key.
# CAIRN_TEST_TIMEOUT: 150
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 5
fed_start_coord
for i in 1 2 3 4 5; do fed_start_node "$i"; done
fed_wait_nodes 5

want=$(fed_sum 1 2 3 4 5)
rows=$(fed_rows 1 2 3 4 5)
out=$(fed_query --format json --dataset t --sum value) ||
    fed_fail "query failed: $out"
echo "$out"
[ "$(echo "$out" | wc -l)" = 1 ] || fed_fail "json is not one line"
got=$(echo "$out" | fed_json_rows)
[ "$got" = "$rows, $rows, $want" ] ||
    fed_fail "json rows '$got', want '$rows, $rows, $want'"
contrib=$(echo "$out" | fed_json_list contributed)
[ "$contrib" = "node1,node2,node3,node4,node5" ] ||
    fed_fail "contributed '$contrib'"
[ -z "$(echo "$out" | fed_json_list dropped)" ] || fed_fail "dropped nodes"

# Money: a decimal column sums exactly (printed without trailing zeros).
out=$(fed_query --format json --dataset t --sum amount) ||
    fed_fail "amount query: $out"
echo "$out"
cents=$(fed_sum_cents 1 2 3 4 5)
wantamt=$(fed_cents "$cents" | sed -e 's/0$//' -e 's/\.0\{0,1\}$//')
[ "$(echo "$out" | fed_json_rows)" = "$rows, $rows, $wantamt" ] ||
    fed_fail "amount: $(echo "$out" | fed_json_rows), want $wantamt"

out=$(fed_query --format csv --dataset t --sum value | tr -d '\r') ||
    fed_fail "csv query"
[ "$out" = "$(printf 'count(*),count(value),sum(value)\n%s,%s,%s' \
    "$rows" "$rows" "$want")" ] || fed_fail "csv output: $out"

out=$(fed_query --dataset t --sum value) || fed_fail "table query"
echo "$out" | grep -q "sum(value)" || fed_fail "table header: $out"
echo "$out" | grep -q " $want\$" || fed_fail "table value: $out"
echo "$out" | grep -q "^contributed (5): node1, node2" ||
    fed_fail "table nodes: $out"

# On a terminal, live progress goes to stderr (script(1) gives a tty).
if command -v script >/dev/null; then
	out=$(timeout 60 script -qc "'$CAIRN_BIN' query --config \
	    '$FED/alice.conf' --dataset t --sum value" /dev/null | tr -d '\r')
	echo "$out" | grep -q "round 5/6 unmask: 5 of 5 nodes answered, 0 dropped" ||
	    fed_fail "no progress on a terminal: $out"
	echo "$out" | grep -q " $want\$" || fed_fail "tty result: $out"
fi

# Several jobs at once (max_jobs = 4), each its own session.
for k in 1 2 3; do
	fed_query --format json --dataset t --sum value >"$FED/par$k.out" &
	par[$k]=$!
done
for k in 1 2 3; do
	wait "${par[$k]}" || fed_fail "parallel query $k failed"
	[ "$(fed_json_rows <"$FED/par$k.out")" = "$rows, $rows, $want" ] ||
	    fed_fail "parallel query $k: $(cat "$FED/par$k.out")"
done
[ "$(grep -c "job for 'alice' done: 5 nodes" "$FED/coord.log")" -ge 6 ] ||
    fed_fail "parallel jobs did not each complete"

# A column the nodes do not expose: every node refuses; clean error.
if out=$(fed_query --dataset t --sum id 2>&1); then
	fed_fail "a sum of an unexposed column succeeded: $out"
fi
echo "$out"
[ "$(echo "$out" | wc -l)" = 1 ] || fed_fail "error is not one line: $out"
grep -q "column 'id' not exposed" "$FED/node1.log" ||
    fed_fail "node1 did not log the refusal"

st=$(fed_status) || fed_fail "status"
echo "$st"
echo "$st" | grep -q "^nodes connected: 5" || fed_fail "status: $st"
echo "$st" | grep -q "^  node3$" || fed_fail "status lists no node3"

# node check: fine as configured, then exact complaints.
out=$("$CAIRN_BIN" node check --config "$FED/node1.conf") ||
    fed_fail "node check: $out"
echo "$out" | grep -q "^ok   dataset t" || fed_fail "node check: $out"
sed -i 's/^expose = value, region/expose = value, region, missing_col/' \
    "$FED/node2.conf"
if out=$("$CAIRN_BIN" node check --config "$FED/node2.conf"); then
	fed_fail "node check passed with a missing column"
fi
echo "$out" | grep -q "FAIL dataset t: .*no column 'missing_col'" ||
    fed_fail "node check message: $out"
chmod 0640 "$FED/pki/node3.key"
if out=$("$CAIRN_BIN" node check --config "$FED/node3.conf"); then
	fed_fail "node check passed with a group-readable key"
fi
echo "$out" | grep -q "FAIL key .*chmod 600" || fed_fail "key check: $out"
chmod 0600 "$FED/pki/node3.key"
fed_finish
echo "fed_sum: ok"
