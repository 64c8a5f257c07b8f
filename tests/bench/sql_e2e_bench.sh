#!/usr/bin/env bash
# sql_e2e_bench.sh — end-to-end latency of a federated SQL query over
# large local tables: a real coordinator and 3 node daemons (separate
# processes, tcp://127.0.0.1; FED_TCP=0 for ipc://), each scanning its own
# generated CSV file of 1,000,000 rows, and a researcher running
#
#   SELECT grp, count(*), sum(wage), var_pop(wage), avg(age) FROM bench
#   GROUP BY grp                                   (10 groups, 4 aggregates)
#
# timed from `cairn query` start to its printed result (process start,
# signing, planning, offer, local scans, two passes of five
# secure-aggregation rounds each — the counts, then the releasable cells —
# decoding and printing); the coordinator's log gives the counts pass
# alone, so the second pass's cost is the difference.  Next to it, the local scan of one node's rows
# alone (bench_scan_bench, the same GROUP BY over 1,000,000 CSV rows, run
# in-process).  With CAIRN_BENCH_PG=1 two more nodes join: one on a SQLite
# file and one on a table of a throwaway PostgreSQL server, 1,000,000 rows
# each.  The answer's total count is checked.  Prints a summary and a JSON
# object as the last line.  The goal (issue): end to end under 1 s.
# DP: then the same query with --epsilon 1 (every node adds discrete
# Gaussian noise in both passes and charges its budget ledger), alternated
# run by run with the query without DP so that both see the same load;
# the DP overhead is the ratio of the medians (goal issue 9: <= +10%).
#
#   CAIRN_BIN=build/bin/cairn bash tests/bench/sql_e2e_bench.sh [RUNS]
#   env: ROWS (1000000 per node), CAIRN_BENCH_PG=1, FED_TCP=0|1,
#        SCAN_BENCH (path of bench_scan_bench; default next to CAIRN_BIN)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../integration/lib_fed.sh"
. "$here/lib_bench.sh"

RUNS=${1:-5}
ROWS=${ROWS:-1000000}
FED_TCP=${FED_TCP:-1}
FED_DEADLINE_MS=60000
FED_T=${FED_T:-1800}
PGB=${CAIRN_BENCH_PG:-0}
NODES=3
[ "$PGB" = 1 ] && NODES=5
SCAN_BENCH=${SCAN_BENCH:-$(dirname "$CAIRN_BIN")/bench_scan_bench}

fed_init "$NODES"
if [ "$PGB" = 1 ]; then
	. "$here/../harness/pg_server.sh"
	pg_server_start || fed_fail "CAIRN_BENCH_PG=1 but PostgreSQL did not start"
	trap 'fed_cleanup; pg_server_stop' EXIT
fi

bench_schema "$FED/schema.ini" "$ROWS"

# gen SEED: ROWS rows of grp,age,wage (a few NULLs), deterministic.
gen() {
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

node_conf() {	# node_conf I "SOURCE KEYS"
	cat >"$FED/node$1.conf" <<EOC
[node]
name = node$1
coordinator = $FED_URL
key = pki/node$1.key
cert = pki/node$1.crt
ca_cert = pki/ca.crt
crl = pki/crl.pem
state_dir = state/node$1
reconnect_min_ms = 50
reconnect_max_ms = 1000
heartbeat_ms = 1000

[policy]
researchers = alice
min_cell = 1
min_participants = 3

[dataset bench]
$2
expose = grp, age, wage
EOC
	# Nodes may come to need the federation schema in [node].
	if ! out=$("$CAIRN_BIN" node check --config "$FED/node$1.conf" 2>&1); then
		if echo "$out" | grep -q schema; then
			sed -i '/^\[node\]$/a schema = schema.ini' "$FED/node$1.conf"
		else
			fed_fail "node check node$1: $out"
		fi
	fi
}

t0=$(date +%s%N)
for i in 1 2 3; do
	gen $((1000 + i)) >"$FED/data/node$i.csv"
	node_conf "$i" "kind = csv
path = data/node$i.csv"
done
if [ "$PGB" = 1 ]; then
	gen 1004 | tail -n +2 | awk -F, 'BEGIN { print "BEGIN;" }
	    { printf "INSERT INTO bench VALUES (\x27%s\x27, %s, %s);\n", $1,
	      $2 == "" ? "NULL" : $2, $3 == "" ? "NULL" : $3 }
	    END { print "COMMIT;" }' |
	    { echo "CREATE TABLE bench (grp TEXT, age INTEGER, wage NUMERIC);"
	      cat; } | sqlite3 "$FED/data/node4.db"
	node_conf 4 "kind = sqlite
path = data/node4.db
table = bench"
	gen 1005 | tail -n +2 | timeout 600 psql -q -v ON_ERROR_STOP=1 \
	    "$CAIRN_PG_CONNINFO" -c "CREATE TABLE bench (grp text NOT NULL,
	    age int, wage numeric(9,2))" \
	    -c "COPY bench FROM STDIN WITH (FORMAT csv)" -c "ANALYZE bench"
	node_conf 5 "kind = postgres
conninfo = $CAIRN_PG_CONNINFO
table = bench"
fi
t1=$(date +%s%N)
echo "generated $NODES x $ROWS rows in $(( (t1 - t0) / 1000000 )) ms" >&2

fed_start_coord
for ((i = 1; i <= NODES; i++)); do fed_start_node "$i"; done
fed_wait_nodes "$NODES"

q="SELECT grp, count(*), sum(wage), var_pop(wage), avg(age) FROM bench
   GROUP BY grp ORDER BY grp"
run() { fed_query --schema "$FED/schema.ini" --format csv "$@" "$q"; }
run >"$FED/out.csv" || fed_fail "warm-up query failed"	# page cache
ms=()
for ((r = 0; r < RUNS; r++)); do
	t0=$(date +%s%N)
	run >"$FED/out.csv" || fed_fail "query failed"
	t1=$(date +%s%N)
	ms+=($(( (t1 - t0) / 1000 )))
done
total=$(tr -d '\r' <"$FED/out.csv" | awk -F, 'NR > 1 { s += $2 } END { print s }')
groups=$(( $(wc -l <"$FED/out.csv") - 1 ))
[ "$total" = $((NODES * ROWS)) ] && [ "$groups" = 10 ] ||
    fed_fail "answer has $groups groups and $total rows, want 10 and $((NODES * ROWS))"
# The coordinator's own figure for each job (offer to result), the last
# RUNS jobs: what the session costs without the researcher's process.
coord_ms=$(sed -n "s/.*job for 'alice' done: .*, \([0-9]*\) ms$/\1/p" \
    "$FED/coord.log" | tail -n "$RUNS" | sort -n |
    awk '{ v[NR] = $1 } END { print NR ? v[int(NR / 2) + 1] : "null" }')
# The same for the counts pass alone (offer to the counts decoded): the
# rest of the job time is the second pass.
coord_p1_ms=$(sed -n "s/.*job for 'alice': counts pass done, .*, \([0-9]*\) ms$/\1/p" \
    "$FED/coord.log" | tail -n "$RUNS" | sort -n |
    awk '{ v[NR] = $1 } END { print NR ? v[int(NR / 2) + 1] : "null" }')
sorted=($(printf '%s\n' "${ms[@]}" | sort -n))
med_us=${sorted[$((RUNS / 2))]}
min_us=${sorted[0]}
# DP against no DP, alternated.
off=() on=()
for ((r = 0; r < RUNS; r++)); do
	t0=$(date +%s%N)
	run >"$FED/out.csv" || fed_fail "query failed"
	t1=$(date +%s%N)
	run --epsilon 1 >"$FED/out_dp.csv" || fed_fail "DP query failed"
	t2=$(date +%s%N)
	off+=($(( (t1 - t0) / 1000 )))
	on+=($(( (t2 - t1) / 1000 )))
done
[ $(( $(wc -l <"$FED/out_dp.csv") - 1 )) = 10 ] ||
    fed_fail "DP answer: $(cat "$FED/out_dp.csv")"
med_of() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { printf "%.1f", v[int((NR + 1) / 2)] / 1000 }'; }
off_ms=$(med_of "${off[@]}")
on_ms=$(med_of "${on[@]}")
dp_pct=$(awk -v a="$on_ms" -v b="$off_ms" 'BEGIN { printf "%.1f", (a / b - 1) * 100 }')
fed_finish

# The same GROUP BY over one node's ROWS rows, in-process, per source
# (csv and sqlite always; pg when the server of CAIRN_BENCH_PG=1 is up).
scan_ms=null scan_sqlite_ms=null scan_pg_ms=null
scan_of() {	# scan_of JSON SOURCE: ms for ROWS rows, or null
	local rps
	rps=$(echo "$1" | sed -n "s/.*\"$2_group_rows_per_s\":\([0-9]*\).*/\1/p")
	if [ -n "$rps" ] && [ "$rps" != 0 ]; then
		awk -v r="$rps" -v n="$ROWS" 'BEGIN { printf "%.1f", n / r * 1000 }'
	else
		echo null
	fi
}
if [ -x "$SCAN_BENCH" ]; then
	js=$("$SCAN_BENCH" "$ROWS" 5 2>/dev/null | tail -1)
	scan_ms=$(scan_of "$js" csv)
	scan_sqlite_ms=$(scan_of "$js" sqlite)
	scan_pg_ms=$(scan_of "$js" pg)
fi

med_ms=$(awk -v x="$med_us" 'BEGIN { printf "%.1f", x / 1000 }')
min_ms=$(awk -v x="$min_us" 'BEGIN { printf "%.1f", x / 1000 }')
echo "end-to-end: $NODES node daemons x $ROWS rows + coordinator over ${FED_URL%%:*}://"
echo "  query: GROUP BY 10 groups, 4 aggregates ($([ "$PGB" = 1 ] && echo "3 csv + sqlite + postgres" || echo "csv"))"
echo "  cairn query latency ($RUNS runs): median $med_ms ms, min $min_ms ms (goal < 1000 ms)"
echo "  coordinator's job time (offer to result), median: $coord_ms ms; counts pass alone (offer to counts decoded): $coord_p1_ms ms"
echo "  DP (--epsilon 1) alternated with no DP ($RUNS runs each): median $on_ms ms vs $off_ms ms, DP adds $dp_pct% (goal <= 10%)"
echo "local scan of one node's $ROWS rows (bench_scan_bench): csv $scan_ms ms, sqlite $scan_sqlite_ms ms, pg $scan_pg_ms ms"
printf '{"bench":"sql_e2e","transport":"%s","nodes":%d,"rows_per_node":%d,"sources":"%s","groups":10,"aggregates":4,"runs":%d,"e2e_median_ms":%s,"e2e_min_ms":%s,"coord_job_median_ms":%s,"coord_counts_pass_median_ms":%s,"local_scan_ms":%s,"local_scan_sqlite_ms":%s,"local_scan_pg_ms":%s,"dp_median_ms":%s,"nodp_median_ms":%s,"dp_overhead_pct":%s,"goal_ms":1000}\n' \
    "${FED_URL%%:*}" "$NODES" "$ROWS" \
    "$([ "$PGB" = 1 ] && echo csv,sqlite,postgres || echo csv)" "$RUNS" \
    "$med_ms" "$min_ms" "$coord_ms" "$coord_p1_ms" "$scan_ms" "$scan_sqlite_ms" "$scan_pg_ms" \
    "$on_ms" "$off_ms" "$dp_pct"
