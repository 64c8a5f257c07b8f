#!/usr/bin/env bash
# fed_accounting.sh — every answer accounts for every node the federation
# expects (issue 12, silent partial answers).  4 nodes, node4 stopped
# (SIGSTOP: its connection stays open, it never answers): three queries in
# a row each name node4 (dropped in a round, or absent), and contributed +
# dropped + refused + absent is exactly node1..node4 every time, with the
# sum over the contributors.  Then node4 is killed: the coordinator still
# expects it (it was seen, and the configuration names it), so the next
# answer lists it as absent.  A node whose policy refuses the researcher is
# reported under "refused" with its reason category, not as dropped.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_DEADLINE_MS=1500
fed_init 5
# node5 is named in the coordinator's configuration but never started.
echo "nodes = node1, node2, node3, node4, node5" >>"$FED/coord.conf.nodes"
sed -i '/^threshold/r '"$FED/coord.conf.nodes" "$FED/coord.conf"
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4

names() { echo "$1" | fed_json_list "$2" | tr ',' ' '; }

# account OUT: the four lists together are node1..node5, each once; the
# sum is the plain sum over the contributors.
account() {
	local out=$1 all c want rows got
	all=$(for k in contributed dropped refused absent; do names "$out" $k; done |
	    tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ')
	[ "$all" = "node1 node2 node3 node4 node5 " ] ||
	    fed_fail "answer does not account for every node ($all): $out"
	c=$(names "$out" contributed | sed 's/node//g')
	# shellcheck disable=SC2086
	want=$(fed_sum $c)
	# shellcheck disable=SC2086
	rows=$(fed_rows $c)
	got=$(echo "$out" | fed_json_rows)
	[ "$got" = "$rows, $rows, $want" ] ||
	    fed_fail "sum over {$c}: got '$got', want '$rows, $rows, $want'"
}

out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
account "$out"
[ "$(names "$out" contributed)" = "node1 node2 node3 node4" ] ||
    fed_fail "all four running: $out"
echo "$out" | grep -q '"absent": \["node5"\]' || fed_fail "node5 absent: $out"

node4=$(pgrep -P "$FED_NODE_PID_4")
kill -STOP "$node4"
for q in 1 2 3; do
	out=$(fed_query --format json --dataset t --sum value) ||
	    fed_fail "query $q: $out"
	echo "query $q: $out"
	account "$out"
	echo "$out" | grep -q '"node4"' || fed_fail "query $q: node4 unnamed"
	[ "$(names "$out" contributed)" = "node1 node2 node3" ] ||
	    fed_fail "query $q: contributors: $out"
done
# Staleness follows the nodes' heartbeat (heartbeat_ms 1000 here): a
# silent node leaves `cairn status` within a few seconds, not 45.
for ((k = 0; k < 60; k++)); do
	[ "$(fed_status | sed -n 's/^nodes connected: //p')" = 3 ] && break
	sleep 0.2
done
[ "$k" -lt 60 ] || fed_fail "status still lists the stopped node4: $(fed_status)"
# The table format says the same in words.
txt=$(fed_query --dataset t --sum value) || fed_fail "$txt"
echo "$txt"
echo "$txt" | grep -Eq "^(dropped \(1\): node4|absent \(2\): node4, node5)" ||
    fed_fail "table format: node4 not named: $txt"
echo "$txt" | grep -q "^absent (.): .*node5" || fed_fail "table: node5: $txt"
kill -CONT "$node4"
kill -KILL "$node4"
fed_wait_exit "$FED_NODE_PID_4"
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
account "$out"
echo "$out" | grep -q '"absent": \["node4", "node5"\]' ||
    fed_fail "killed node4 not absent: $out"

# node3 refuses alice by policy, node4 is back: node3 is refused with
# its reason category, not dropped; the sum is node1, node2 and node4's.
sed -i 's/^researchers = .*/researchers = bob/' "$FED/node3.conf"
kill -TERM "$(pgrep -P "$FED_NODE_PID_3")"
fed_wait_exit "$FED_NODE_PID_3"
fed_start_node 3
fed_start_node 4
fed_wait_nodes 4
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
echo "$out"
account "$out"
echo "$out" | grep -q '"refused": \["node3"\], "refused_why": {"node3": "policy"}' ||
    fed_fail "node3's refusal not reported with its category: $out"
echo "$out" | grep -q '"dropped": \[\]' || fed_fail "dropped: $out"
# CSV: the table on stdout, who is missing on stderr; --strict fails.
set +e
csv=$(fed_query --format csv --strict --dataset t --sum value 2>"$FED/csv.err")
rc=$?
set -e
cat "$FED/csv.err"
[ "$rc" = 3 ] || fed_fail "--strict on a partial answer exited $rc"
echo "$csv" | grep -q "^$(fed_rows 1 2 4),$(fed_rows 1 2 4),$(fed_sum 1 2 4)" ||
    fed_fail "csv: $csv"
grep -q "^cairn: partial answer: 3 of 5 expected nodes contributed" "$FED/csv.err" ||
    fed_fail "csv stderr: $(cat "$FED/csv.err")"
grep -q "^cairn: refused (1): node3 (policy)" "$FED/csv.err" ||
    fed_fail "csv stderr: $(cat "$FED/csv.err")"
grep -q "^cairn: absent (1): node5" "$FED/csv.err" ||
    fed_fail "csv stderr: $(cat "$FED/csv.err")"
fed_finish
echo "fed_accounting: ok"
