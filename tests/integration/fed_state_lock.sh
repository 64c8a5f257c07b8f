#!/usr/bin/env bash
# fed_state_lock.sh — one daemon per state_dir.  node1 started a second
# time on the same configuration (by mistake) exits at once with one line
# naming the directory and the PID that holds it; it never reaches the
# coordinator, so the original is neither replaced nor locked out and
# queries still count it.  The same for a second coordinator (which on
# ipc:// would otherwise take over the socket).  A node killed with -9
# leaves no stale lock: it starts again at once.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

# The cairn process itself (timeout(1) is its parent).
child_of() {
	local k c
	for ((k = 0; k < 50; k++)); do
		c=$(pgrep -P "$1" | head -n 1 || true)
		[ -n "$c" ] && { echo "$c"; return 0; }
		sleep 0.1
	done
	fed_fail "no child of $1"
}

# dup ROLE CONF LOG: run a second daemon; it must exit 1 within 5 s.
dup() {
	local t0 t1
	t0=$(date +%s%N)
	set +e
	timeout 10 "$CAIRN_BIN" "$1" --config "$2" 2>"$3"
	rc=$?
	set -e
	t1=$(date +%s%N)
	[ "$rc" = 1 ] || fed_fail "a second $1 on $2 exited $rc: $(cat "$3")"
	[ $(((t1 - t0) / 1000000)) -lt 5000 ] ||
	    fed_fail "a second $1 took $(((t1 - t0) / 1000000)) ms to give up"
	[ "$(wc -l <"$3")" = 1 ] ||
	    fed_fail "a second $1 printed more than one line: $(cat "$3")"
}

node1=$(child_of "$FED_NODE_PID_1")
dup node "$FED/node1.conf" "$FED/dup-node1.log"
grep -q "error: state_dir $FED/state/node1 is in use by another daemon (PID $node1); stop that one, or give this one its own state_dir" \
    "$FED/dup-node1.log" || fed_fail "duplicate node: $(cat "$FED/dup-node1.log")"
[ "$(cat "$FED/state/node1/lock")" = "$node1" ] ||
    fed_fail "lock file: $(cat "$FED/state/node1/lock")"

coord=$(child_of "$FED_COORD_PID")
dup coordinator "$FED/coord.conf" "$FED/dup-coord.log"
grep -q "error: state_dir $FED/coordinator-state is in use by another daemon (PID $coord)" \
    "$FED/dup-coord.log" || fed_fail "duplicate coordinator: $(cat "$FED/dup-coord.log")"

# The originals are untouched: node1 is neither refused nor replaced.
sleep 1.5
grep -q "from 'node1': replayed" "$FED/coord.log" &&
    fed_fail "the coordinator refused node1 after the duplicate"
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
echo "$out"
[ "$(echo "$out" | fed_json_list contributed)" = "node1,node2,node3" ] ||
    fed_fail "contributors: $out"
[ "$(echo "$out" | fed_json_rows)" = \
    "$(fed_rows 1 2 3), $(fed_rows 1 2 3), $(fed_sum 1 2 3)" ] ||
    fed_fail "sum: $out"

# kill -9 releases the lock with the process: a restart is not blocked.
kill -KILL "$node1"
fed_wait_exit "$FED_NODE_PID_1"
fed_start_node 1
fed_wait_log "$FED/node1.log" "connected to coordinator" 2
grep -q "is in use" "$FED/node1.log" && fed_fail "stale lock after kill -9"
fed_finish
echo "fed_state_lock: ok"
