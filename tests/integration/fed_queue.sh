#!/usr/bin/env bash
# fed_queue.sh — a job that finds every max_jobs slot busy waits in the
# coordinator's queue (bounded) instead of being refused with "(permission
# denied)" (issue 12).  max_jobs 1, max_queue 1, queue_wait_ms 3000.  A
# job held up by a stopped node keeps the one slot: a second job is
# queued and its researcher is told how many jobs are ahead; a third is
# refused at once, saying the queue is full; once the node continues the
# first job ends, the queued one runs and answers over every node.  Then
# a queued job whose wait outlasts queue_wait_ms is refused saying so.
# CAIRN_TEST_TIMEOUT: 90
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_DEADLINE_MS=8000
fed_init 3
sed -i 's/^max_jobs = 4/max_jobs = 1\nmax_queue = 1\nqueue_wait_ms = 3000/' \
    "$FED/coord.conf"
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
node3=$(pgrep -P "$FED_NODE_PID_3")
q() { fed_query --format json --dataset t --sum value; }

kill -STOP "$node3"
q >"$FED/a.out" 2>"$FED/a.err" &
a=$!
fed_wait_log "$FED/coord.log" "job from 'alice' (sum t.value) for 3 nodes" 1
q >"$FED/b.out" 2>"$FED/b.err" &
b=$!
fed_wait_log "$FED/coord.log" "job from 'alice' queued" 1
t0=$(date +%s%N)
if out=$(q 2>&1); then
	fed_fail "a job beyond max_jobs + max_queue ran: $out"
fi
echo "third job: $out ($((($(date +%s%N) - t0) / 1000000)) ms)"
echo "$out" | grep -q "the coordinator is busy: max_jobs 1 running and max_queue 1 waiting; try again later (busy)$" ||
    fed_fail "queue-full refusal: $out"
echo "$out" | grep -q "permission denied" && fed_fail "still 'permission denied': $out"
kill -CONT "$node3"
wait "$a" || fed_fail "first job: $(cat "$FED/a.err")"
wait "$b" || fed_fail "queued job: $(cat "$FED/b.err")"
echo "queued job, stderr: $(cat "$FED/b.err")"
grep -q "^cairn: query: queued at the coordinator, 1 job ahead (every max_jobs slot is busy); waiting up to 3 s$" \
    "$FED/b.err" || fed_fail "no queue line: $(cat "$FED/b.err")"
want="$(fed_rows 1 2 3), $(fed_rows 1 2 3), $(fed_sum 1 2 3)"
[ "$(fed_json_rows <"$FED/b.out")" = "$want" ] ||
    fed_fail "queued job's answer: $(cat "$FED/b.out")"

# A queued job waits at most queue_wait_ms.
kill -STOP "$node3"
q >"$FED/a.out" 2>"$FED/a.err" &
a=$!
fed_wait_log "$FED/coord.log" "job from 'alice' (sum t.value) for 3 nodes" 3
t0=$(date +%s%N)
if out=$(q 2>&1); then
	fed_fail "a job outlasting queue_wait_ms ran: $out"
fi
echo "expired in the queue after $((($(date +%s%N) - t0) / 1000000)) ms: $out"
echo "$out" | grep -q "waited 3000 ms in the coordinator's queue (queue_wait_ms) with 1 ahead of it" ||
    fed_fail "queue expiry: $out"
kill -CONT "$node3"
wait "$a" || fed_fail "first job: $(cat "$FED/a.err")"
fed_finish
echo "fed_queue: ok"
