#!/usr/bin/env bash
# fed_dropout.sh — nodes die (the CAIRN_TEST_DIE_AT hook: _exit(137) as they
# are about to answer a round, like kill -9 at that point) in each round of
# secure aggregation.  5 nodes under the default malicious threat policy,
# threshold floor(2n/3) + 1 = 4: with one dead the sum is exactly the plain
# sum of the nodes the coordinator reports as contributing; a node lost in
# the reveal round ends the session (the graph seed needs every committed
# contribution) with a one-line reason; with two dead at share-keys the job
# aborts cleanly with needed/answered; never a hang.  A node that dies
# closes its connection, and the coordinator closes the round at once
# instead of waiting for its deadline; a node that is alive but silent
# (SIGSTOP) is waited for until the deadline, and `cairn status` shows the
# session meanwhile.  A node killed with a real SIGKILL and restarted
# rejoins and serves the next job.
# CAIRN_TEST_TIMEOUT: 170
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_DEADLINE_MS=2500
fed_init 5
fed_start_coord
for i in 1 2 3 4 5; do fed_start_node "$i"; done
fed_wait_nodes 5

# json -> "a b c" of contributed / dropped names
names() { echo "$1" | fed_json_list "$2" | tr ',' ' ' | sed 's/node//g'; }

# Run a query; check the sum is the plain sum over the contributors.
check_sum() {
	local out=$1 c want rows got
	c=$(names "$out" contributed)
	[ -n "$c" ] || fed_fail "no contributors: $out"
	# shellcheck disable=SC2086
	want=$(fed_sum $c)
	# shellcheck disable=SC2086
	rows=$(fed_rows $c)
	got=$(echo "$out" | fed_json_rows)
	[ "$got" = "$rows, $rows, $want" ] ||
	    fed_fail "sum over {$c}: got '$got', want '$rows, $rows, $want'"
}

# restart node I after it died; wait until it is connected again.
restart() {
	local i=$1 n
	n=$(grep -c "connected to coordinator" "$FED/node$i.log" || true)
	fed_start_node "$i"
	fed_wait_log "$FED/node$i.log" "connected to coordinator" $((n + 1))
}

# A silent node (stopped, its connection open) is waited for until the
# round's deadline; status shows the session meanwhile.
kill -STOP "$(pgrep -P "$FED_NODE_PID_2")"
fed_query --format json --dataset t --sum value >"$FED/q.out" &
qpid=$!
sleep 0.7
st=$(fed_status) || fed_fail "status during a session"
echo "$st"
echo "$st" | grep -q "^sessions running: 1" ||
    fed_fail "status shows no running session: $st"
echo "$st" | grep -q "researcher alice, 5 nodes, round advertise" ||
    fed_fail "status session line: $st"
wait "$qpid" || fed_fail "query with node2 stopped"
kill -CONT "$(pgrep -P "$FED_NODE_PID_2")"
grep -q "deadline of round advertise" "$FED/coord.log" ||
    fed_fail "the coordinator did not wait for the stopped node"
names "$(cat "$FED/q.out")" dropped | grep -qw 2 ||
    fed_fail "node2 stopped: not listed as dropped: $(cat "$FED/q.out")"

for round in advertise reveal share-keys masked-input consistency unmask; do
	# One node dies at this round.
	fed_log "node2 dies at $round"
	kill -TERM "$FED_NODE_PID_2"
	fed_wait_exit "$FED_NODE_PID_2"
	n=$(grep -c "connected to coordinator" "$FED/node2.log" || true)
	fed_start_node 2 CAIRN_TEST_DIE_AT="$round"
	fed_wait_log "$FED/node2.log" "connected to coordinator" $((n + 1))
	deadlines=$(grep -c "deadline of round" "$FED/coord.log" || true)
	fed_query --format json --dataset t --sum value >"$FED/q.out" \
	    2>"$FED/q.err" &
	qpid=$!
	if [ "$round" = reveal ]; then
		wait "$qpid" &&
		    fed_fail "a session without node2's reveal gave a result"
		out=$(cat "$FED/q.out")
	else
		wait "$qpid" || fed_fail "query with node2 dying at $round"
		out=$(cat "$FED/q.out")
	fi
	echo "$round: $out"
	fed_wait_exit "$FED_NODE_PID_2"
	[ "$FED_RC" = 137 ] || fed_fail "node2 exit status $FED_RC, want 137"
	grep -q "dying at $round" "$FED/node2.log" ||
	    fed_fail "node2 did not die at $round"
	if [ "$round" = reveal ]; then
		grep -q "did not reveal its graph-seed share" "$FED/q.err" ||
		    fed_fail "reveal abort reason: $(cat "$FED/q.err")"
		restart 2
		continue
	fi
	check_sum "$out"
	# Its connection closed: no round waited for its deadline.
	grep -q "node 'node2' disconnected" "$FED/coord.log" ||
	    fed_fail "the coordinator did not see node2 go"
	[ "$(grep -c "deadline of round" "$FED/coord.log")" = "$deadlines" ] ||
	    fed_fail "a round waited for its deadline although node2 was gone"
	case $round in
	advertise|share-keys|masked-input)
		names "$out" contributed | grep -qw 2 &&
		    fed_fail "node2 counted although it died at $round"
		names "$out" dropped | grep -qw 2 ||
		    fed_fail "node2 not listed as dropped" ;;
	esac
	restart 2
done

# Two nodes die at share-keys: 3 survivors < threshold 4 -> clean abort,
# no hang.
fed_log "nodes 1 and 4 die at share-keys"
for i in 1 4; do
	eval "p=\$FED_NODE_PID_$i"
	kill -TERM "$p"
	fed_wait_exit "$p"
	n=$(grep -c "connected to coordinator" "$FED/node$i.log" || true)
	fed_start_node "$i" CAIRN_TEST_DIE_AT=share-keys
	fed_wait_log "$FED/node$i.log" "connected to coordinator" $((n + 1))
done
start=$(date +%s)
if out=$(fed_query --format json --dataset t --sum value 2>&1); then
	fed_fail "a session with 3 of 5 nodes left gave a result: $out"
fi
echo "two dead: $out"
[ $(( $(date +%s) - start )) -lt 30 ] || fed_fail "abort took too long"
echo "$out" | grep -q "needed 4, answered 3" || fed_fail "abort text: $out"
[ "$(echo "$out" | wc -l)" = 1 ] || fed_fail "abort is not one line"
restart 1
restart 4

# A real SIGKILL between jobs; the restarted node serves the next job.
fed_log "kill -9 node3, restart it"
# $FED_NODE_PID_3 is timeout(1); the node is its child.
child=$(pgrep -P "$FED_NODE_PID_3")
[ -n "$child" ] || fed_fail "no node3 process"
kill -KILL "$child"
fed_wait_exit "$FED_NODE_PID_3"
restart 3
out=$(fed_query --format json --dataset t --sum value) ||
    fed_fail "query after restart: $out"
echo "after restart: $out"
check_sum "$out"
[ "$(names "$out" contributed)" = "1 2 3 4 5" ] ||
    fed_fail "restarted node3 did not take part: $out"
grep -q "connected to coordinator" "$FED/node3.log"
fed_finish
echo "fed_dropout: ok"
