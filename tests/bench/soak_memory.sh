#!/usr/bin/env bash
# soak_memory.sh — is the memory of the coordinator and of the node daemons
# flat over many queries (issue 12)?  A real federation over
# tcp://127.0.0.1: a coordinator and 3 node daemons; CLIENTS researchers
# (alice, r2, r3, ...) send QUERIES `cairn query`s between them, at most
# one at a time each, alternating a sum (`--dataset t --sum value`, the
# answer checked against the plain sum) and a small GROUP BY (2 groups).
# VmRSS of every daemon (/proc/PID/status) is sampled after a warm-up of
# 100 queries (the baseline, measured in this run), after every 1,000
# queries and at the end; the script prints the table, the growth per
# 1,000 queries of each daemon (end minus baseline, and the least-squares
# slope over the samples) and a JSON object as the last line.  A figure,
# not a test: it exits non-zero only when more than 1% of the queries
# fail or a daemon dies.  10,000 queries take about half an hour on the
# project's 2-core machine.
#
#   CAIRN_BIN=build/bin/cairn bash tests/bench/soak_memory.sh \
#       [--queries N] [--clients C]
# or SOAK_QUERIES=N SOAK_CLIENTS=C in the environment (defaults 10000, 2);
# SOAK_EVERY=K samples every K queries instead of 1,000.
set -euo pipefail
. "$(dirname "$0")/../integration/lib_fed.sh"

QUERIES=${SOAK_QUERIES:-10000}
CLIENTS=${SOAK_CLIENTS:-2}
WARM=100
EVERY=${SOAK_EVERY:-1000}
while [ $# -gt 0 ]; do
	case $1 in
	--queries) QUERIES=${2:?--queries needs a number}; shift 2 ;;
	--clients) CLIENTS=${2:?--clients needs a number}; shift 2 ;;
	*) echo "usage: soak_memory.sh [--queries N] [--clients C]" >&2; exit 2 ;;
	esac
done
case "$QUERIES$CLIENTS" in
*[!0-9]*) echo "soak_memory.sh: --queries and --clients take whole numbers" >&2; exit 2 ;;
esac
[ "$CLIENTS" -ge 1 ] && [ "$QUERIES" -ge 1 ] ||
    { echo "soak_memory.sh: --queries and --clients must be at least 1" >&2; exit 2; }

FED_TCP=1
FED_T=$((600 + QUERIES))	# the daemons' hard bound, seconds
FED_POLICY=alice
for ((c = 2; c <= CLIENTS; c++)); do FED_POLICY="$FED_POLICY, r$c"; done
fed_init 3
for ((c = 2; c <= CLIENTS; c++)); do
	fed_issue "$FED/ca" researcher "r$c" "$FED/pki"
	sed "s/alice/r$c/g" "$FED/alice.conf" >"$FED/r$c.conf"
done
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

NAMES=(coordinator node1 node2 node3)
PIDS=("$(pgrep -P "$FED_COORD_PID")" "$(pgrep -P "$FED_NODE_PID_1")"
    "$(pgrep -P "$FED_NODE_PID_2")" "$(pgrep -P "$FED_NODE_PID_3")")
EXPECT=$(fed_sum 1 2 3)
GB="SELECT region, count(*), sum(value) FROM t GROUP BY region"

rss() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null ||
	    true
}

# One researcher's share: N queries as researcher $1; a failed query
# leaves one line (what failed and the last line of its stderr) in
# $FED/fail.
client() {
	local conf=$1 n=$2 k out
	trap - EXIT
	for ((k = 0; k < n; k++)); do
		if ((k % 2 == 0)); then
			out=$(timeout 90 "$CAIRN_BIN" query --config "$FED/$conf.conf" \
			    --format csv --dataset t --sum value 2>"$FED/$conf.err") ||
			    out=
			grep -q ",$EXPECT[[:space:]]*$" <<<"$out" ||
			    echo "sum by $conf: $(tail -n 1 "$FED/$conf.err")" >>"$FED/fail"
		else
			timeout 90 "$CAIRN_BIN" query --config "$FED/$conf.conf" \
			    --format csv --schema "$FED/schema.ini" "$GB" \
			    >/dev/null 2>"$FED/$conf.err" ||
			    echo "group by by $conf: $(tail -n 1 "$FED/$conf.err")" >>"$FED/fail"
		fi
	done
}

# run N: N queries spread over the researchers, all finished on return.
run() {
	local n=$1 c share conf pids=()
	for ((c = 1; c <= CLIENTS; c++)); do
		share=$((n / CLIENTS + (c <= n % CLIENTS ? 1 : 0)))
		conf=alice
		[ "$c" = 1 ] || conf=r$c
		client "$conf" "$share" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

# sample DONE: one table row (queries done, seconds, rate, RSS of each).
SAMPLES=()
sample() {
	local done=$1 t r row p
	t=$(($(date +%s%N) / 1000000 - T0))
	row="$done $t"
	for p in "${PIDS[@]}"; do
		r=$(rss "$p")
		[ -n "$r" ] || fed_fail "a daemon (pid $p) died after $done queries"
		row="$row $r"
	done
	SAMPLES+=("$row")
	set -- $row
	printf '%8d %8.1f %7.1f %12d %9d %9d %9d\n' "$1" \
	    "$(awk -v t="$2" 'BEGIN { print t / 1000 }')" \
	    "$(awk -v d="$1" -v t="$2" 'BEGIN { print (t > 0 ? d * 1000 / t : 0) }')" \
	    "$3" "$4" "$5" "$6"
}

: >"$FED/fail"
load0=$(cut -d' ' -f1-3 /proc/loadavg)
run "$WARM"
T0=$(($(date +%s%N) / 1000000))
echo "soak: $QUERIES queries by $CLIENTS researchers over tcp, 3 nodes; RSS in kB, the warm-up ($WARM queries) is row 0"
printf '%8s %8s %7s %12s %9s %9s %9s\n' queries seconds 'q/s' coordinator \
    node1 node2 node3
sample 0
ndone=0
while ((ndone < QUERIES)); do
	step=$((QUERIES - ndone < EVERY ? QUERIES - ndone : EVERY))
	run "$step"
	ndone=$((ndone + step))
	sample "$ndone"
done
load1=$(cut -d' ' -f1-3 /proc/loadavg)
fails=$(wc -l <"$FED/fail")
[ "$fails" = 0 ] || { echo "failed queries, the first:"; head -n 3 "$FED/fail"; }
fed_finish

first=(${SAMPLES[0]})
last=(${SAMPLES[${#SAMPLES[@]} - 1]})
secs=$(awk -v t="${last[1]}" 'BEGIN { printf "%.1f", t / 1000 }')
qps=$(awk -v d="$QUERIES" -v t="${last[1]}" 'BEGIN { printf "%.2f", d * 1000 / t }')
echo "growth per 1,000 queries (kB): end minus warm-up / least-squares slope"
json="{\"queries\":$QUERIES,\"clients\":$CLIENTS,\"seconds\":$secs,\"queries_per_s\":$qps,\"failed\":$fails"
for ((j = 0; j < 4; j++)); do
	col=$((j + 2))
	end_g=$(awk -v a="${first[$col]}" -v b="${last[$col]}" -v q="$QUERIES" \
	    'BEGIN { printf "%.1f", (b - a) * 1000 / q }')
	slope=$(printf '%s\n' "${SAMPLES[@]}" | awk -v c="$((col + 1))" '
	    { n++; x = $1 / 1000; sx += x; sy += $c; sxx += x * x; sxy += x * $c }
	    END { d = n * sxx - sx * sx; printf "%.1f", (d > 0 ? (n * sxy - sx * sy) / d : 0) }')
	printf '  %-12s %8d -> %8d kB: %+7.1f / %+7.1f\n' "${NAMES[$j]}" \
	    "${first[$col]}" "${last[$col]}" "$end_g" "$slope"
	json="$json,\"${NAMES[$j]}\":{\"rss_start_kb\":${first[$col]},\"rss_end_kb\":${last[$col]},\"kb_per_1000\":$end_g,\"slope_kb_per_1000\":$slope}"
done
echo "$secs s, $qps queries/s, $fails failed; load average $load0 at the start, $load1 at the end"
echo "$json,\"load_start\":\"$load0\",\"load_end\":\"$load1\"}"
[ $((fails * 100)) -le "$QUERIES" ] || {
	echo "soak_memory.sh: $fails of $QUERIES queries failed" >&2
	exit 1
}
