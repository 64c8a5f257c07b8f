#!/usr/bin/env bash
# fed_model_dp.sh — differential privacy for `cairn fit` on a real
# federation (3 nodes, min_cell 3 everywhere).  One person is the only one
# aged 47 (node2, wage 4321.00).
#  1. The indicator-term attack with DP off: `--y wage --x "age = 47"`
#     fits that row exactly, so intercept + slope is the person's wage, to
#     the cent.  (Before DP for fits, asking with --epsilon was refused, so
#     this was open to every researcher.)
#  2. With --epsilon 1 the same fit never gives the wage back: each fit
#     either fails at the coordinator (the noise left X'X singular, said
#     so) or returns a figure far from it.  Every node logs the noise of
#     each round, whose sd on the row count is the documented
#     sqrt(n / (2 rho)) (n = 8 statistics, rho of epsilon 1, delta 1e-6).
#     Under DP nothing data-dependent refuses: a WHERE that leaves node2
#     one row is refused without DP (min_cell) but answered with noise
#     under DP, and a logistic response that could be 0.5 on a row is
#     refused from the expression, before any data is read.
#  3. Each DP fit is charged once at every node before its first round
#     (budget records in the audit log, one per fit, failed fits too); a
#     logistic fit's charge is the same rho however many rounds it takes.
#  4. A fit above what is left of the budget is refused by every node;
#     a node with require_dp refuses a fit without --epsilon and takes
#     part in one with it.
#  5. A coordinator that gives one node other round parameters than the
#     rest (each node sizes its noise at its own) gets no sum: a round's
#     session is bound to its parameters.
# CAIRN_TEST_TIMEOUT: 240
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
cat >"$FED/schema.ini" <<EOS
[federation]
min_cell = 3
max_nodes = 100

[dataset cps]
max_rows = 100000

[column cps.age]
type = integer
min = 16
max = 99

[column cps.wage]
type = decimal
scale = 2
min = 0
max = 9999.99
EOS
for k in 1 2 3; do
	sed -i -e 's/^min_cell = 1$/min_cell = 3/' -e 's/^\[dataset t\]$/[dataset cps]/' \
	    -e "s|^path = data/node$k.csv|path = data/cps$k.csv|" \
	    -e 's/^expose = .*/expose = age, wage/' \
	    -e 's/^min_participants = 3$/min_participants = 3\nbudget_epsilon = 8\nbudget_delta = 1e-6/' \
	    "$FED/node$k.conf"
	{
		echo "age,wage"
		for ((i = 0; i < 400; i++)); do
			a=$((16 + (i * 7 + k * 13) % 84))
			[ "$a" = 47 ] && a=48
			echo "$a,$((1000 + 13 * i + 11 * k + 20 * a)).00"
		done
		# the person: the only one aged 47, at node2
		[ "$k" = 2 ] && echo "47,4321.00"
	} >"$FED/data/cps$k.csv"
done
echo "schema = schema.ini" >>"$FED/alice.conf"
fed_start_coord
for k in 1 2 3; do fed_start_node "$k"; done
fed_wait_nodes 3

fit() {
	timeout 90 "$CAIRN_BIN" fit --config "$FED/alice.conf" --dataset cps \
	    --format json "$@" 2>&1
}
# intercept + slope of a one-term fit, to the cent
recovered() {
	python3 -c '
import json, sys
c = json.loads(sys.stdin.read())["coef"]
print("%.2f" % (c[0] + c[1]))'
}
charges() { # budget records for alice in node K's audit log
	"$CAIRN_BIN" audit show "$FED/state/node$1/audit.log" |
	    grep -c " budget .*researcher=alice dataset=cps charge=\"rho=" || true
}

# 1. DP off: the attack works.
out=$(fit --model linear --y wage --x "age = 47") || fed_fail "fit: $out"
w=$(echo "$out" | recovered)
echo "DP off: intercept + slope = $w"
[ "$w" = 4321.00 ] || fed_fail "the attack should recover 4321.00 without DP, got $w"

# 2. DP on: never the wage.
noisy=0 failed=0
for ((r = 0; r < 4; r++)); do
	if out=$(fit --model linear --y wage --x "age = 47" --epsilon 1); then
		echo "$out" | grep -q '"epsilon":1,"delta":1e-06' ||
		    fed_fail "the DP fit does not say its epsilon: $out"
		w=$(echo "$out" | recovered)
		echo "DP on: intercept + slope = $w"
		python3 -c "import sys; sys.exit(0 if abs($w - 4321.0) > 1 else 1)" ||
		    fed_fail "DP on, the fit still gives the wage: $w"
		noisy=$((noisy + 1))
	else
		echo "DP on: $out"
		echo "$out" | grep -q "the DP noise left X'X singular" ||
		    fed_fail "a DP fit failed for another reason: $out"
		failed=$((failed + 1))
	fi
done
echo "DP on: $noisy noisy answers, $failed fits the noise made singular"
for k in 1 2 3; do
	fed_wait_log "$FED/node$k.log" "DP noise for model round 1" 4
done
sd=$(grep -h "DP noise for model round 1" "$FED/node1.log" | head -1 |
    sed -n 's/.*: sd \([0-9.e+]*\) on the row count.*/\1/p')
python3 - "$sd" <<'EOF' || fed_fail "noise sd $sd on the row count, want sqrt(8 / (2 rho))"
import math, sys
l = math.log(1e6)
rho = (math.sqrt(l + 1) - math.sqrt(l)) ** 2
want = math.sqrt(8 / (2 * rho))
got = float(sys.argv[1])
print("row count noise sd %.4g, documented %.4g" % (got, want))
sys.exit(0 if abs(got - want) / want < 0.01 else 1)
EOF

# 2b. No exact bit through a refusal under DP.  A WHERE that leaves node2
# one row is refused without DP (min_cell), which tells whether anyone
# there matches; under DP node2 answers with its noise like the others.
# A logistic response that is not 0/1 on some row (0.5 where the person
# is) would stop the node that holds the row: it is refused at compile
# time, from the expression, whatever the data.
out=$(fit --model linear --y wage --x age --where "age = 47") &&
    fed_fail "a WHERE leaving one row at node2 ran without DP: $out"
echo "$out" | grep -q "node2: the fit's WHERE leaves fewer than min_cell" ||
    fed_fail "without DP node2 should refuse the WHERE: $out"
if out=$(fit --model linear --y wage --x age --where "age = 47" --epsilon 1); then
	echo "$out" | grep -q '"refused": \[\]' || fed_fail "a DP fit was refused: $out"
else
	# The coordinator may find the noisy statistics unusable (a noisy
	# row count under min_cell, a singular X'X); no node refuses.
	echo "$out" | grep -q "refused" && fed_fail "under DP a node refused the WHERE: $out"
	echo "$out" | grep -q "(needed 3, answered 3)" ||
	    fed_fail "the DP fit with a WHERE did not have every node's answer: $out"
fi
echo "DP on, WHERE age = 47: no refusal"
out=$(fit --model logistic --x age --epsilon 1 \
    --y "CASE WHEN age = 47 AND wage > 4000 THEN 0.5 ELSE 0 END") &&
    fed_fail "a logistic response of 0.5 ran: $out"
echo "$out" | grep -q "can be other than 0 or 1; it must be 0 or 1 on every row" ||
    fed_fail "the 0.5 response is not refused from the expression: $out"

# 3. Charged once per fit, failed fits too; rounds do not multiply it.
for k in 1 2 3; do
	[ "$(charges "$k")" = 5 ] || fed_fail "node$k holds $(charges "$k") charges, want 5"
done
out=$(fit --model logistic --y "wage > 3000" --x "least(age, 60)" --max-iter 4 \
    --epsilon 4) || echo "logistic under DP: $out"
for k in 1 2 3; do
	[ "$(charges "$k")" = 6 ] || fed_fail "node$k holds $(charges "$k") charges, want 6"
done
fed_wait_log "$FED/node1.log" "DP noise for model round [2-4]: .*rho 0.06" 1
"$CAIRN_BIN" audit verify "$FED/state/node1/audit.log" || fed_fail "audit verify"

# 4. Over budget (8 is charged as rho; 5 fits at epsilon 1 and one at 4 took
# about a third):
# a fit at epsilon 8 is refused by every node, the message says what is
# left.
if out=$(fit --model linear --y wage --x age --epsilon 8); then
	fed_fail "a fit over the budget ran: $out"
fi
echo "$out"
echo "$out" | grep -q "budget" || fed_fail "no budget reason: $out"
for k in 1 2 3; do fed_wait_log "$FED/node$k.log" "left" 1; done

# require_dp on node1: no --epsilon, no fit (min_participants 3 of 3).
kill -TERM "$FED_NODE_PID_1"
fed_wait_exit "$FED_NODE_PID_1"
sed -i 's/^budget_epsilon = 8$/budget_epsilon = 8\nrequire_dp = true/' "$FED/node1.conf"
fed_start_node 1
fed_wait_nodes 3
if out=$(fit --model linear --y wage --x age); then
	fed_fail "node1 (require_dp) took part in a fit without DP: $out"
fi
echo "$out"
fed_wait_log "$FED/node1.log" "requires differential privacy" 1
out=$(fit --model linear --y "least(wage, 5000)" --x age --epsilon 2) ||
    fed_fail "DP fit with require_dp: $out"
echo "$out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
    fed_fail "node1 did not take part in the DP fit: $out"
# 5. A coordinator that sends node2 other round parameters than the
# others (the test build's CAIRN_TEST_SPLIT_PARAMS: 50 times the
# coefficients, on the session they name), so that node2's round is
# computed, and noised, at a point of the coordinator's choosing while the
# others' noise is sized for theirs.  The round's session is bound to its
# parameters: node2 is alone in its session, the others' round 2 lacks it,
# and the fit stops instead of releasing a sum.
kill -TERM "$FED_COORD_PID"
fed_wait_exit "$FED_COORD_PID"
fed_start_coord CAIRN_TEST_SPLIT_PARAMS=node2:50
fed_wait_nodes 3
out=$(fit --model logistic --y "wage > 3000" --x "least(age, 60)" --max-iter 3 \
    --epsilon 4) && fed_fail "a fit finished with node2 at other parameters: $out"
echo "$out"
echo "$out" | grep -q "aborted: below threshold in round share-keys: needed 3, answered 2" ||
    fed_fail "the split fit did not stop for want of node2: $out"
sens2() { # the L2 sensitivity node K sized its last round 2 for
	grep "DP noise for model round 2:" "$FED/node$1.log" | tail -1 |
	    sed -n 's/.*(L2 sensitivity \([0-9.e+]*\),.*/\1/p'
}
echo "round 2 sized at node1 for $(sens2 1), at node2 for $(sens2 2)"
[ -n "$(sens2 2)" ] && [ "$(sens2 1)" != "$(sens2 2)" ] ||
    fed_fail "node2 was not sent other parameters (the split did not happen)"
fed_finish
echo "fed_model_dp: ok"
