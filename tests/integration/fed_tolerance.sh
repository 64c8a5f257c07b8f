#!/usr/bin/env bash
# fed_tolerance.sh — `cairn status` and `cairn node check` say how many
# nodes may drop out with the current settings (issue 12: with the
# example settings a 3-node federation tolerates no dropout, and nothing
# said so).  5 nodes, the default malicious threat policy, threshold 0.5,
# min_participants 3: status states K; then the claim is checked against
# the federation itself: K nodes dying at masked-input (the
# CAIRN_TEST_DIE_AT hook, like kill -9 there) still give an answer, K + 1
# do not.  With node5 stopped status also gives the figure for the 4
# connected and for all 5 expected.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_DEADLINE_MS=3000
fed_init 5
fed_start_coord
for i in 1 2 3 4 5; do fed_start_node "$i"; done
fed_wait_nodes 5

st=$(fed_status) || fed_fail "status"
echo "$st"
line=$(echo "$st" | grep "^dropout tolerance (connected): ") ||
    fed_fail "status gives no dropout tolerance: $st"
k=$(echo "$line" | sed -n 's/^dropout tolerance (connected): \([0-9]*\) of 5 nodes may drop out (a session needs \([0-9]*\) to the end: threshold [0-9]*, min_participants 3)$/\1/p')
[ -n "$k" ] || fed_fail "tolerance line: $line"

out=$("$CAIRN_BIN" node check --config "$FED/node1.conf") ||
    fed_fail "node check: $out"
echo "$out" | grep -q "^note dropout tolerance: this node goes on while at least min_participants = 3 nodes remain, so in a session of n nodes up to n - 3 may drop out (e.g. 3 nodes: 0; 5 nodes: 2)" ||
    fed_fail "node check gives no dropout tolerance: $out"

# restart nodes $2.. so that they die at round $1 of the next job.
die_at() {
	local round=$1 i n
	shift
	for i in "$@"; do
		eval "p=\$FED_NODE_PID_$i"
		kill -TERM "$p"
		fed_wait_exit "$p"
		n=$(grep -c "connected to coordinator" "$FED/node$i.log" || true)
		fed_start_node "$i" CAIRN_TEST_DIE_AT="$round"
		fed_wait_log "$FED/node$i.log" "connected to coordinator" $((n + 1))
	done
	fed_wait_nodes 5
}
restart() {
	local i n
	for i in "$@"; do
		eval "p=\$FED_NODE_PID_$i"
		fed_wait_exit "$p"
		n=$(grep -c "connected to coordinator" "$FED/node$i.log" || true)
		fed_start_node "$i"
		fed_wait_log "$FED/node$i.log" "connected to coordinator" $((n + 1))
	done
	fed_wait_nodes 5
}

# K nodes lost mid-session: still an answer.
dying=$(seq 1 "$k" | tr '\n' ' ')
if [ "$k" -gt 0 ]; then
	# shellcheck disable=SC2086
	die_at masked-input $dying
	out=$(fed_query --format json --dataset t --sum value) ||
	    fed_fail "$k nodes lost (the tolerance status gave) and no answer: $out"
	echo "$k lost: $out"
	# shellcheck disable=SC2086
	restart $dying
fi
# K + 1: no answer, and the reason says why.
dying=$(seq 1 $((k + 1)) | tr '\n' ' ')
# shellcheck disable=SC2086
die_at masked-input $dying
if out=$(fed_query --dataset t --sum value 2>&1); then
	fed_fail "$((k + 1)) nodes lost, beyond the tolerance $k, yet an answer: $out"
fi
echo "$((k + 1)) lost: $out"
# shellcheck disable=SC2086
restart $dying

# One node stopped: the figure for the connected four and for all five.
kill -STOP "$(pgrep -P "$FED_NODE_PID_5")"
for ((j = 0; j < 100; j++)); do
	st=$(fed_status)
	echo "$st" | grep -q "^nodes connected: 4" && break
	sleep 0.2
done
kill -CONT "$(pgrep -P "$FED_NODE_PID_5")"
echo "$st"
echo "$st" | grep -q "^dropout tolerance (connected): [0-9]* of 4 nodes may drop out" ||
    fed_fail "no figure for the 4 connected: $st"
echo "$st" | grep -q "^dropout tolerance (expected): $k of 5 nodes may drop out" ||
    fed_fail "no figure for the 5 expected: $st"
fed_finish
echo "fed_tolerance: ok"
