#!/usr/bin/env bash
# e2e_bench.sh — end-to-end job latency over loopback: a real coordinator
# and 10 node daemons (separate processes, tcp://127.0.0.1, or ipc:// with
# FED_TCP=0), a
# researcher submitting a signed SQL job whose vector has 100,000 64-bit
# elements (25,000 width_bucket groups x [count(*), count, sum, clipped]),
# timed from `cairn query` start to its printed result (process start,
# signing, planning, offer, five rounds, decoding and printing included).
# Next to it, the in-process simulator for the same session shape
# (`cairn sim secagg --nodes 10 --dim 100000`): its wall time (every party
# in one process, one after the other) and its critical path (coordinator
# time + slowest node).  Prints both and a JSON object as the last line.
#
#   CAIRN_BIN=build/bin/cairn bash tests/bench/e2e_bench.sh [RUNS]
set -euo pipefail
. "$(dirname "$0")/../integration/lib_fed.sh"

RUNS=${1:-7}
FED_TCP=${FED_TCP:-1}		# tcp://127.0.0.1 (FED_TCP=0: ipc://)
NODES=${NODES:-10}
BUCKETS=24998			# + 2 overflow groups = 25,000 groups
FED_DEADLINE_MS=60000
fed_init "$NODES"
fed_start_coord
for ((i = 1; i <= NODES; i++)); do fed_start_node "$i"; done
fed_wait_nodes "$NODES"

q="SELECT width_bucket(value, -1000000, 1000000, $BUCKETS), count(*),
   sum(value) FROM t GROUP BY width_bucket(value, -1000000, 1000000, $BUCKETS)"
ms=()
for ((r = 0; r < RUNS; r++)); do
	t0=$(date +%s%N)
	fed_query --schema "$FED/schema.ini" --format csv "$q" >"$FED/out.csv" ||
	    fed_fail "query failed"
	t1=$(date +%s%N)
	ms+=($(( (t1 - t0) / 1000 )))
done
rows=$(($(wc -l <"$FED/out.csv") - 1))
grep -q "with $NODES nodes, threshold [0-9]*, 100000 x 64-bit" \
    "$FED/coord.log" || fed_fail "the job is not $NODES x 100000 x 64-bit"
sorted=($(printf '%s\n' "${ms[@]}" | sort -n))
med_us=${sorted[$((RUNS / 2))]}
min_us=${sorted[0]}
fed_finish

sim=$("$CAIRN_BIN" sim secagg --nodes "$NODES" --dim 100000 --graph full \
    --seed 1 | tail -1)
s0=$(date +%s%N)
"$CAIRN_BIN" sim secagg --nodes "$NODES" --dim 100000 --graph full \
    --seed 1 >/dev/null
s1=$(date +%s%N)
sim_wall_us=$(( (s1 - s0) / 1000 ))
coord_s=$(echo "$sim" | sed -n 's/.*"coordinator_s":\([0-9.e-]*\).*/\1/p')
nmax_s=$(echo "$sim" | sed -n 's/.*"node_s_max":\([0-9.e-]*\).*/\1/p')
crit_us=$(awk -v a="$coord_s" -v b="$nmax_s" 'BEGIN { printf "%d", (a + b) * 1e6 }')
ratio=$(awk -v a="$med_us" -v b="$sim_wall_us" 'BEGIN { printf "%.2f", a / b }')

echo "end-to-end: $NODES node daemons + coordinator over ${FED_URL%%:*}://, 100000 x 64-bit"
echo "  job latency (cairn query, $RUNS runs): median $((med_us / 1000)) ms, min $((min_us / 1000)) ms; $rows groups in the result"
echo "simulator (cairn sim secagg --nodes $NODES --dim 100000, one process):"
echo "  wall $((sim_wall_us / 1000)) ms; critical path (coordinator + slowest node) $((crit_us / 1000)) ms"
echo "end-to-end / simulator wall: $ratio"
printf '{"transport":"%s","nodes":%d,"dim":100000,"bits":64,"runs":%d,"e2e_median_ms":%.1f,"e2e_min_ms":%.1f,"sim_wall_ms":%.1f,"sim_critical_path_ms":%.1f,"ratio_e2e_to_sim_wall":%s}\n' \
    "${FED_URL%%:*}" "$NODES" "$RUNS" "$(awk -v x="$med_us" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$min_us" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$sim_wall_us" 'BEGIN{print x/1000}')" \
    "$(awk -v x="$crit_us" 'BEGIN{print x/1000}')" "$ratio"
