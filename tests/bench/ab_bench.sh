#!/usr/bin/env bash
# ab_bench.sh — compare two cairn programs end to end on a shared, busy
# machine: two federations run side by side over tcp://127.0.0.1, one per
# program (each with its own coordinator and node daemons), and the same
# query alternates between them, A then B, RUNS times, so both see the
# same background load.  Prints the median and the minimum of each.
#
#   CAIRN_BIN_A=old/cairn CAIRN_BIN_B=build/bin/cairn \
#       bash tests/bench/ab_bench.sh e2e|sql [RUNS]
#
# e2e: the query of e2e_bench.sh (10 nodes, 100,000 x 64-bit elements);
# sql: the query of sql_e2e_bench.sh (3 nodes x 1,000,000 CSV rows, one
#      copy of the generated data shared by both federations).
set -euo pipefail
: "${CAIRN_BIN_A:?CAIRN_BIN_A must name the first cairn program}"
: "${CAIRN_BIN_B:?CAIRN_BIN_B must name the second cairn program}"
KIND=${1:-e2e}
RUNS=${2:-15}
export CAIRN_BIN=$CAIRN_BIN_A
. "$(dirname "$0")/../integration/lib_fed.sh"
. "$(dirname "$0")/lib_bench.sh"
FED_TCP=1
FED_DEADLINE_MS=60000
FED_T=1800
ROWS=1000000
DATA=""

gen() {	# the rows of sql_e2e_bench.sh
	awk -v n="$ROWS" -v s="$1" 'BEGIN {
		print "grp,age,wage"
		for (i = 0; i < n; i++) {
			s = (s * 16807) % 2147483647
			a = s % 97
			w = s % 10000000
			printf "g%d,%s,%s\n", s % 10, a < 75 ? 16 + a : "",
			    w % 13 == 0 ? "" : sprintf("%d.%02d", w / 100 % 100000, w % 100)
		}
	}'
}

sql_setup() {
	bench_schema "$FED/schema.ini" "$ROWS"
	for i in 1 2 3; do
		if [ -n "$DATA" ]; then
			ln -sf "$DATA/node$i.csv" "$FED/data/node$i.csv"
		else
			gen $((1000 + i)) >"$FED/data/node$i.csv"
		fi
		sed -i -e 's/^\[dataset t\]/[dataset bench]/' \
		    -e 's/^expose = .*/expose = grp, age, wage/' \
		    "$FED/node$i.conf"
	done
	DATA=$FED/data
}

# One federation for $CAIRN_BIN; its directory goes to FED_OUT.
setup() {
	local n=10 i
	[ "$KIND" = sql ] && n=3
	fed_init "$n"
	[ "$KIND" = sql ] && sql_setup
	fed_start_coord
	for ((i = 1; i <= n; i++)); do fed_start_node "$i"; done
	fed_wait_nodes "$n"
	FED_OUT=$FED
}

CAIRN_BIN=$CAIRN_BIN_A setup
FA=$FED_OUT
trap - EXIT
CAIRN_BIN=$CAIRN_BIN_B setup
FB=$FED_OUT
trap 'FED=$FB; fed_cleanup; FED=$FA; fed_cleanup' EXIT

if [ "$KIND" = sql ]; then
	q="SELECT grp, count(*), sum(wage), var_pop(wage), avg(age) FROM bench
   GROUP BY grp ORDER BY grp"
else
	q="SELECT width_bucket(value, -1000000, 1000000, 24998), count(*),
   sum(value) FROM t GROUP BY width_bucket(value, -1000000, 1000000, 24998)"
fi
one() {	# PROGRAM FED: microseconds for one query
	local t0 t1
	t0=$(date +%s%N)
	timeout 90 "$1" query --config "$2/alice.conf" --schema "$2/schema.ini" \
	    --format csv "$q" >/dev/null || fed_fail "query with $1 failed"
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000))
}
one "$CAIRN_BIN_A" "$FA" >/dev/null	# warm-up (page cache)
one "$CAIRN_BIN_B" "$FB" >/dev/null
a=()
b=()
for ((r = 0; r < RUNS; r++)); do
	a+=("$(one "$CAIRN_BIN_A" "$FA")")
	b+=("$(one "$CAIRN_BIN_B" "$FB")")
done
stats() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END {
	    printf "median %.1f ms, min %.1f ms", v[int((NR + 1) / 2)] / 1000,
	    v[1] / 1000 }'
}
echo "$KIND, $RUNS queries each, alternating; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "A $CAIRN_BIN_A: $(stats "${a[@]}")"
echo "B $CAIRN_BIN_B: $(stats "${b[@]}")"
