#!/usr/bin/env bash
# fed_code_dp.sh — distributed DP noise on approved-code outputs, on a real
# federation (3 nodes, require_dp).  One person's row (value 777777) is in
# node1's data.
#  1. The attack with DP off (a node without require_dp would run it): a
#     program that outputs 1 if the person is in a node's rows answers
#     exactly 1, every time: membership revealed.
#  2. require_dp nodes refuse the program without --epsilon.
#  3. With --epsilon 1 the same program's answers vary run to run and are
#     never all 1; each is within 8 standard deviations of the truth, the
#     standard deviation computed here from the declared bounds (zCDP,
#     rho split between the values and the clip count), independently of
#     the program.  A sum over every row, with wide bounds, is noisy too.
#     A program that fails where the person is answers like the others
#     (node1 sends zeros with its noise and logs the failure): a refusal
#     would answer the question exactly.
#  4. Each run is charged to the nodes' ledgers ('cairn node budget'); a
#     run above what is left is refused.
# CAIRN_TEST_TIMEOUT: 200
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
echo "99,777777,north,1.00" >>"$FED/data/node1.csv"
cat >"$FED/member.lua" <<'EOF'
-- 1 if the person (value 777777) is among this node's rows, else 0.
function node(data, params)
  for i = 1, data.rows do
    if data.cols.value[i] == 777777 then return {1} end
  end
  return {0}
end
EOF
cat >"$FED/sum.lua" <<'EOF'
function node(data, params)
  local s = 0
  for i = 1, data.rows do s = s + data.cols.value[i] end
  return {s, data.rows}
end
EOF
# Fails where the person is: whether a job fails reaches the researcher
# without noise, so a failing job must cost budget like any other.
cat >"$FED/fails.lua" <<'EOF'
function node(data, params)
  for i = 1, data.rows do
    if data.cols.value[i] == 777777 then error("found") end
  end
  return {0}
end
EOF
for i in 1 2 3; do
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/fails.lua" >/dev/null
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/member.lua" >/dev/null
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/sum.lua" >/dev/null
done
# 1. Without DP (require_dp still off): the oracle is exact.
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
run() { timeout 120 "$CAIRN_BIN" run --config "$FED/alice.conf" --dataset t \
    "$@"; }
agg() { sed -n 's/.*"aggregate": \[\([^]]*\)\].*/\1/p'; }
member=(--code "$FED/member.lua" --output-len 1 --lo 0 --hi 1 --scale 0)
for k in 1 2; do
	out=$(run "${member[@]}") || fed_fail "member without DP: $out"
	[ "$(echo "$out" | agg)" = 1 ] || fed_fail "the oracle is not exact without DP: $out"
done
echo "without DP the membership oracle answers exactly 1, twice"
fed_finish

# 2.-4. The nodes now require DP; budget epsilon 100 each.
for i in 1 2 3; do
	sed -i 's/^min_participants = 3$/min_participants = 3\nrequire_dp = true\nbudget_epsilon = 100\nbudget_delta = 1e-6/' \
	    "$FED/node$i.conf"
done
FED_PIDS=()
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
if out=$(run "${member[@]}" 2>&1); then
	fed_fail "a require_dp node ran a program without noise: $out"
fi
echo "$out"
echo "$out" | grep -q "requires differential privacy" ||
    fed_fail "the refusal does not name require_dp: $out"

# sd of the released sum: values class sigma^2 = len (hi - lo)^2 10^2s /
# rho, in fixed point; t >= 1 survivors each add sigma^2 / t, rounded up,
# so 3 nodes add at most 3 sigma^2 (+3).
sd_of() {  # sd_of EPSILON LEN LO HI SCALE -> sd in output units
	awk -v e="$1" -v n="$2" -v lo="$3" -v hi="$4" -v s="$5" 'BEGIN {
	    L = log(1e6); r = (sqrt(L + e) - sqrt(L)) ^ 2
	    f = 10 ^ s; s2 = n * ((hi - lo) * f) ^ 2 / r
	    printf "%.17g", sqrt(3 * s2 + 3) / f }'
}
sd=$(sd_of 1 1 0 1 0)
seen=""
for k in 1 2 3 4; do
	out=$(run "${member[@]}" --epsilon 1) || fed_fail "member with DP: $out"
	echo "$out"
	echo "$out" | grep -q '"epsilon": 1, "delta": 1e-06' ||
	    fed_fail "the answer does not say its DP parameters: $out"
	v=$(echo "$out" | agg)
	awk -v v="$v" -v sd="$sd" 'BEGIN { d = v - 1; if (d < 0) d = -d;
	    exit !(d < 8 * sd) }' || fed_fail "noise past 8 sd ($sd): $v"
	seen="$seen $v"
done
distinct=$(echo "$seen" | tr ' ' '\n' | grep . | sort -u | wc -l)
[ "$distinct" -ge 2 ] || fed_fail "four noisy answers all equal:$seen"
[ "$seen" != " 1 1 1 1" ] || fed_fail "the oracle is still exact under DP"
echo "with DP (sd $sd) the oracle answered:$seen"
grep -q "DP noise for the program's output sized for" "$FED/node1.log" ||
    fed_fail "node1 did not log the noise"

# A sum with wide bounds: noisy, within 8 sd of the exact sum.
exact=$(fed_sum 1 2 3)
exact=$((exact + 777777))
out=$(run --code "$FED/sum.lua" --output-len 2 --lo -1e6 --hi 1e6 \
    --scale 0 --epsilon 5) || fed_fail "sum with DP: $out"
echo "$out (exact $exact)"
v=$(echo "$out" | agg | cut -d, -f1 | tr -d ' ')
sd=$(sd_of 5 2 -1e6 1e6 0)
awk -v v="$v" -v x="$exact" -v sd="$sd" 'BEGIN { d = v - x; if (d < 0) d = -d;
    exit !(d < 8 * sd && d != 0) }' || fed_fail "sum: $v vs $exact (sd $sd)"

# A program that fails on node1 only (its row).  Under DP the failure
# does not reach the researcher (a refusal from node1 would answer "is the
# person at node1?" exactly, whatever epsilon): node1 sends the output of
# zeros with its noise, logs why, and is charged like any job.
out=$(run --code "$FED/fails.lua" --output-len 1 --lo 0 --hi 1 \
    --scale 0 --epsilon 1 2>&1) ||
	fed_fail "the failing program was refused under DP (an exact signal): $out"
echo "$out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
	fed_fail "node1's failure reached the researcher: $out"
v=$(echo "$out" | agg)
sd=$(sd_of 1 1 0 1 0)
awk -v v="$v" -v sd="$sd" 'BEGIN { d = v < 0 ? -v : v; exit !(d < 8 * sd) }' ||
	fed_fail "the failing program's answer is past 8 sd ($sd) of 0: $v"
fed_wait_log "$FED/node1.log" "the program failed (.*under DP this node sends the output of zeros" 1
b=$("$CAIRN_BIN" node budget --config "$FED/node1.conf")
echo "$b"
echo "$b" | grep -Eq "^alice +t +6 " ||
    fed_fail "node1 did not charge the job its program failed in"

# 4. The ledgers hold the charges; a run above what is left is refused.
b=$("$CAIRN_BIN" node budget --config "$FED/node2.conf")
echo "$b"
echo "$b" | grep -Eq "^alice +t +[56] " || fed_fail "node2's ledger does not hold 5 or 6 jobs"
for k in 1 2 3 4 5 6 7 8 9 10 11 12; do
	if ! out=$(run "${member[@]}" --epsilon 100 2>&1); then
		break
	fi
done
echo "$out"
echo "$out" | grep -qi "budget" || fed_fail "no budget refusal: $out"
fed_finish
echo "fed_code_dp: ok"
