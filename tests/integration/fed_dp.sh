#!/usr/bin/env bash
# fed_dp.sh — distributed differential privacy on a real federation
# (4 nodes).  One person's row (value 777777) is in node1's data.
#  1. The differencing attack with DP off: the sum over everyone minus the
#     sum over everyone but that person is exactly the person's value.
#  2. With DP on (--epsilon 1): over repeated pairs the difference is
#     never the exact value and its standard deviation is not below the
#     documented sigma of one release (the noise_sd the JSON reports, at
#     the 0.1% level of a one-sided chi-square test); the JSON carries
#     noise_sd and ci95 per figure.
#  3. The zero-vs-one-row oracle: without DP "count(*) WHERE value =
#     777777" answers 1 and the same for a value nobody has is suppressed,
#     every time; with DP the answer no longer tells them apart (both
#     outcomes turn up for both queries).
#  4. A job above the remaining budget is refused by every node, with what
#     is left in the message; a node with require_dp refuses a job that
#     asks no noise.  The ledger (budget.db) holds the charges, and
#     `cairn node budget` and `cairn budget` (through the coordinator)
#     show them.
# CAIRN_TEST_TIMEOUT: 300
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 4
echo "99,777777,north,1.00" >>"$FED/data/node1.csv"
for i in 1 2 3 4; do
	sed -i 's/^min_participants = 3$/min_participants = 3\nbudget_epsilon = 100\nbudget_delta = 1e-6/' \
	    "$FED/node$i.conf"
done
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4
echo "schema = schema.ini" >>"$FED/alice.conf"

csv1() { # the one value of a one-row, one-column CSV answer
	fed_query --format csv "$@" | tr -d '\r' | sed -n 2p
}
all="SELECT sum(value) FROM t"
but="SELECT sum(value) FROM t WHERE value < 777777"

# 1. DP off: the attack works.
a=$(csv1 "$all") || fed_fail "query: $a"
b=$(csv1 "$but") || fed_fail "query: $b"
echo "DP off: all=$a all-but-one=$b difference=$((a - b))"
[ $((a - b)) = 777777 ] || fed_fail "the attack should work without DP"

# 2. DP on: the difference is noisy.
json=$(fed_query --epsilon 1 --format json "$all") || fed_fail "dp json: $json"
echo "$json"
echo "$json" | grep -q '"noise_sd": \[\[[0-9]' || fed_fail "no noise_sd: $json"
echo "$json" | grep -q '"ci95": \[\[\[' || fed_fail "no ci95: $json"
echo "$json" | grep -q '"epsilon": 1,' || fed_fail "no epsilon: $json"
sd=$(echo "$json" | sed -n 's/.*"noise_sd": \[\[\([0-9.e+]*\)\]\].*/\1/p')
[ -n "$sd" ] || fed_fail "cannot read noise_sd"
diffs=()
for ((k = 0; k < 12; k++)); do
	a=$(csv1 --epsilon 1 "$all") || fed_fail "dp query: $a"
	b=$(csv1 --epsilon 1 "$but") || fed_fail "dp query: $b"
	diffs+=($((a - b)))
	[ $((a - b)) != 777777 ] || fed_fail "DP on, the difference is exact"
done
echo "DP on (epsilon 1): differences ${diffs[*]}"
# The documented sigma of one release is the noise_sd a result reports
# (at least the target, README "Differential privacy"); a difference of
# two releases has sqrt(2) times it.  The check only asks for sigma, and
# allows the 0.1% lower tail of the sample sd for 11 degrees of freedom
# (chi-square 0.001 quantile 3.053).
printf '%s\n' "${diffs[@]}" | awk -v sd="$sd" '
	{ s += $1; q += $1 * $1; n++ }
	END {
		m = s / n; v = (q - n * m * m) / (n - 1);
		printf "difference: mean %.0f sd %.0f; documented sigma %.0f\n", m, sqrt(v), sd;
		if (sqrt(v) < sd * sqrt(3.053 / 11)) exit 1
	}' || fed_fail "the difference is less noisy than documented"

# 3. The zero-vs-one-row oracle.
one="SELECT count(*) FROM t WHERE value = 777777"
none="SELECT count(*) FROM t WHERE value = 777778"
for ((k = 0; k < 2; k++)); do
	[ "$(csv1 "$one")" = 1 ] || fed_fail "without DP the row should count 1"
	[ "$(csv1 "$none")" = "" ] || fed_fail "without DP nobody is suppressed"
done
wrong=0
for ((k = 0; k < 8; k++)); do
	x=$(csv1 --epsilon 1 "$one") || fed_fail "dp oracle: $x"
	y=$(csv1 --epsilon 1 "$none") || fed_fail "dp oracle: $y"
	echo "DP on: present -> '${x}', absent -> '${y}'"
	[ -z "$x" ] && wrong=$((wrong + 1))
	[ -n "$y" ] && wrong=$((wrong + 1))
done
# Without noise 'wrong' is 0 every time; with it about half of 16.
[ "$wrong" -ge 1 ] || fed_fail "the oracle still answers with DP on"
echo "oracle answers contradicted $wrong of 16 times"

# 4. Over budget: epsilon 100 is the whole budget, some is spent.
if out=$(fed_query --epsilon 100 "$all" 2>&1); then
	fed_fail "a job over the budget ran: $out"
fi
echo "$out"
echo "$out" | grep -q "privacy budget exceeded for researcher alice on dataset t" ||
    fed_fail "refusal does not name the budget: $out"
echo "$out" | grep -q "is left (epsilon" || fed_fail "no remaining budget: $out"
"$CAIRN_BIN" node budget --config "$FED/node1.conf" | tee "$FED/budget.txt"
grep -q "^alice  *t  " "$FED/budget.txt" || fed_fail "node budget: $(cat "$FED/budget.txt")"
# The researcher's view, through the coordinator: every node answers, and
# node1's figure is the one its ledger holds.
timeout 30 "$CAIRN_BIN" budget --config "$FED/alice.conf" | tee "$FED/rbudget.txt"
[ "$(grep -c '^node[1-4]  *t  ' "$FED/rbudget.txt")" = 4 ] ||
    fed_fail "cairn budget: $(cat "$FED/rbudget.txt")"
spent=$(awk '$1 == "alice" { print $4 }' "$FED/budget.txt")
grep -q "^node1  *t  *[0-9]*  *$spent " "$FED/rbudget.txt" ||
    fed_fail "cairn budget disagrees with node1's ledger ($spent)"

# require_dp: node1 refuses a job that asks no noise.
kill -TERM "$FED_NODE_PID_1"
fed_wait_exit "$FED_NODE_PID_1"
sed -i 's/^budget_epsilon = 100$/budget_epsilon = 100\nrequire_dp = true/' "$FED/node1.conf"
fed_start_node 1
fed_wait_nodes 4
# The others still answer (min_participants 3), without node1.
out=$(fed_query --format json "$all" 2>&1) || fed_fail "no-DP job: $out"
echo "$out"
echo "$out" | grep -q '"contributed": \["node2", "node3", "node4"\]' ||
    fed_fail "node1 took part in a job without DP: $out"
fed_wait_log "$FED/node1.log" "requires differential privacy" 1
out=$(fed_query --format json --epsilon 1 "$all") || fed_fail "dp job: $out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3", "node4"\]' ||
    fed_fail "node1 refused a DP job: $out"
fed_finish
echo "fed_dp: ok"
