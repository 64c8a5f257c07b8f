#!/usr/bin/env bash
# fit_bench.sh — logistic regression with 10 features on 3 nodes x ROWS
# rows (default 1,000,000 each, CSV), end to end with `cairn fit` over a
# real federation on tcp://127.0.0.1, beside the same IRLS run in one
# process on the pooled rows (`cairn bench fit`: the same statistic code
# and solver, no nodes, no secure aggregation), in the same run.  Checks
# that both give the same coefficients (1e-8 relative) and prints the
# times and their ratio.  Timing never fails the script.
#
#   CAIRN_BIN=build/bin/cairn CAIRN_SRC=. bash tests/bench/fit_bench.sh [ROWS]
set -euo pipefail
: "${CAIRN_SRC:=$(cd "$(dirname "$0")/../.." && pwd)}"
. "$CAIRN_SRC/tests/integration/lib_fed.sh"
ROWS=${1:-1000000}
FED_TCP=1
FED_DEADLINE_MS=120000
FED_QUERY_MS=1800000
FED_T=3600
fed_init 3

{
	printf '[federation]\nmin_cell = 1\nmax_nodes = 100\n\n'
	printf '[dataset b]\nmax_rows = %s\n\n' "$ROWS"
	for j in 1 2 3 4 5 6 7 8 9 10; do
		printf '[column b.x%d]\ntype = decimal\nscale = 2\nmin = -5\nmax = 5\n\n' "$j"
	done
	printf '[column b.y]\ntype = integer\nmin = 0\nmax = 1\n'
} >"$FED/schema.ini"
gen() {	# rows of node $1: x1..x10 uniform on [-5, 5], y from a logistic law
	awk -v n="$ROWS" -v seed="$1" 'BEGIN {
		srand(seed)
		printf "x1"; for (j = 2; j <= 10; j++) printf ",x%d", j; print ",y"
		for (i = 0; i < n; i++) {
			eta = 0.3
			for (j = 1; j <= 10; j++) {
				x[j] = int(rand() * 1001) / 100 - 5
				eta += ((j % 3) - 1) * 0.25 * x[j]
			}
			for (j = 1; j <= 10; j++) printf "%.2f,", x[j]
			print (rand() < 1 / (1 + exp(-eta)) ? 1 : 0)
		}
	}' >"$FED/data/node$1.csv"
}
t0=$(date +%s.%N)
gen 1 & gen 2 & gen 3 & wait
echo "data: 3 x $ROWS rows in $(echo "$(date +%s.%N) - $t0" | bc) s"
for i in 1 2 3; do
	sed -i -e 's/^\[dataset t\]$/[dataset b]/' \
	    -e 's/^expose = .*/expose = x1, x2, x3, x4, x5, x6, x7, x8, x9, x10, y/' \
	    "$FED/node$i.conf"
done
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

X=()
for j in 1 2 3 4 5 6 7 8 9 10; do X+=(--x "x$j"); done
t0=$(date +%s.%N)
fed=$("$CAIRN_BIN" fit --config "$FED/alice.conf" --schema "$FED/schema.ini" \
    --dataset b --model logistic --y y "${X[@]}" --format json) ||
    fed_fail "federated fit: $fed"
tf=$(echo "$(date +%s.%N) - $t0" | bc)
base=$("$CAIRN_BIN" bench fit --schema "$FED/schema.ini" --dataset b \
    --model logistic --y y "${X[@]}" --csv "$FED/data/node1.csv" \
    --csv "$FED/data/node2.csv" --csv "$FED/data/node3.csv") ||
    fed_fail "in-process fit: $base"
python3 - "$fed" "$base" "$tf" <<'EOP'
import json, sys
fed, base, tf = json.loads(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
for a, b in zip(fed["coef"], base["coef"]):
    assert abs(a - b) <= 1e-8 * abs(b), (a, b)
assert fed["iterations"] == base["iterations"] and fed["n"] == base["n"]
tb = base["seconds"]
print(f"logistic, 10 features, {fed['n']} rows on {len(fed['nodes']['contributed'])} nodes, "
      f"{fed['iterations']} rounds: coefficients equal")
print(f"federated (cairn fit, end to end): {tf:.2f} s")
print(f"one process (cairn bench fit):     {tb:.2f} s")
print(f"ratio federated / one process:     {tf / tb:.2f}")
EOP
fed_finish
