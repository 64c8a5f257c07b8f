#!/usr/bin/env bash
# fed_audit_outcome.sh — every job the coordinator accepted has exactly one
# outcome entry in its audit log, also when the job fails (issue 9).  A
# real federation; the coordinator is the test build with
# CAIRN_TEST_OOM_AT=survivors (its allocations fail while it lists the
# nodes in a finished pass's sum).
#  1. Out of memory at the end of pass 1: the researcher is told, and the
#     log holds outcome=failed reason=memory for the job.
#  2. The coordinator stopped (SIGTERM) while a job waits for a node
#     (node4, stopped by CAIRN_TEST_STOP_AT=share-keys): the researcher is
#     told, and the log holds outcome=failed reason=stopped.
#  3. The log verifies, and each accepted job has exactly one outcome.
# Before this test the first two ended without an outcome entry.
# CAIRN_TEST_TIMEOUT: 90
set -euo pipefail
FED_DEADLINE_MS=20000	# the stopped node must not be timed out first
. "$(dirname "$0")/lib_fed.sh"

fed_init 4
fed_start_coord CAIRN_TEST_OOM_AT=survivors
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
CL=$FED/coordinator-state/audit.log

# 1. Out of memory.
if out=$(fed_query --dataset t --sum value 2>&1); then
	fed_fail "the job should fail: $out"
fi
echo "$out"
echo "$out" | grep -q "out of memory" || fed_fail "researcher not told: $out"

# 2. The coordinator stops with a job running.
fed_start_node 4 CAIRN_TEST_STOP_AT=share-keys
fed_wait_nodes 4
fed_query --dataset t --sum value >"$FED/query.log" 2>&1 &
qpid=$!
fed_wait_log "$FED/node4.log" "test hook: stopped at share-keys" 1
kill -TERM "$FED_COORD_PID"
fed_wait_exit "$FED_COORD_PID"
[ "$FED_RC" = 0 ] || fed_fail "coordinator exited $FED_RC after SIGTERM"
wait "$qpid" && fed_fail "the job should fail: $(cat "$FED/query.log")"
grep -q "the coordinator stopped before the job finished" "$FED/query.log" ||
    fed_fail "researcher not told the coordinator stopped"
pid=$(sed -n 's/.*test hook: stopped at share-keys (pid \([0-9]*\)).*/\1/p' \
    "$FED/node4.log")
kill -KILL "$pid"
fed_wait_exit "$FED_NODE_PID_4"

# 3. What the log says.
"$CAIRN_BIN" audit verify "$CL" --key "$FED/pki/coord.crt" ||
    fed_fail "coordinator log does not verify"
show=$("$CAIRN_BIN" audit show "$CL")
echo "$show"
echo "$show" | grep -q 'outcome=failed reason=memory detail="out of memory"' ||
    fed_fail "no outcome for the job that ran out of memory"
echo "$show" | grep -q 'outcome=failed reason=stopped detail="the coordinator stopped' ||
    fed_fail "no outcome for the job the stop ended"
accepted=$(echo "$show" | sed -n 's/.* decision job=\([0-9a-f]*\) decision=accept.*/\1/p')
[ "$(echo "$accepted" | wc -w)" = 2 ] || fed_fail "expected 2 accepted jobs: $accepted"
for j in $accepted; do
	n=$(echo "$show" | grep -c " outcome job=$j ")
	[ "$n" = 1 ] || fed_fail "job $j has $n outcome entries"
done
fed_finish
echo "fed_audit_outcome: ok"
