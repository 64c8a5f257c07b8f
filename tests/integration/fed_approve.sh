#!/usr/bin/env bash
# fed_approve.sh — manual approvals on a real federation (coordinator, 3
# nodes; node1's policy says approve = manual): a job waits on node1 (the
# researcher is told which node it waits for), `cairn node approve` lets it
# run and the sum is exact; a job `cairn node reject --reason` refuses is
# reported to the researcher with that reason; a job nobody decides
# before its validity ends is refused as expired, and approving it then is
# refused too.  Every decision is in node1's audit log.
# CAIRN_TEST_TIMEOUT: 60
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
sed -i 's/^min_participants = 3$/min_participants = 3\napprove = manual/' \
    "$FED/node1.conf"
grep -q "^approve = manual" "$FED/node1.conf" || fed_fail "config edit"
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
N1="--config $FED/node1.conf"

# wait_pending K: until node1 lists K waiting jobs; prints the last id.
wait_pending() {
	local k out
	for ((k = 0; k < 100; k++)); do
		out=$("$CAIRN_BIN" node pending $N1)
		if [ "$(echo "$out" | grep -c '^[0-9]')" -ge "$1" ]; then
			echo "$out" | grep '^[0-9]' | tail -1 | cut -d' ' -f1
			return 0
		fi
		sleep 0.1
	done
	fed_fail "node1 has no job waiting: $out"
}

[ "$("$CAIRN_BIN" node pending $N1)" = "no job waits for approval" ] ||
    fed_fail "a job waits before any was sent"

# 1. Waits, is approved, runs.
want=$(fed_sum 1 2 3)
fed_query --format csv --dataset t --sum value >"$FED/q1.out" 2>"$FED/q1.err" &
q1=$!
id=$(wait_pending 1)
"$CAIRN_BIN" node pending $N1 | tee "$FED/pending.txt"
grep -q "alice .* t " "$FED/pending.txt" || fed_fail "pending row"
grep -q "^     sum of column value$" "$FED/pending.txt" ||
    fed_fail "pending: what is summed"

fed_wait_log "$FED/q1.err" "waiting for approval: node1" 1 ||
    fed_fail "researcher not told: $(cat "$FED/q1.err")"
"$CAIRN_BIN" node approve "$id" $N1 || fed_fail "approve"
wait "$q1" || fed_fail "approved job failed: $(cat "$FED/q1.err")"
grep -q ",$want" "$FED/q1.out" || fed_fail "sum: $(cat "$FED/q1.out")"
out=$("$CAIRN_BIN" node approve "$id" $N1 2>&1) && fed_fail "approved twice"
echo "$out" | grep -q "is approved already" || fed_fail "twice: $out"

# 2. Rejected, with a reason the researcher sees.
fed_query --dataset t --sum value >"$FED/q2.out" 2>&1 &
q2=$!
id=$(wait_pending 1)
"$CAIRN_BIN" node reject "$id" --reason "not before the board meets" $N1 ||
    fed_fail "reject"
wait "$q2" && fed_fail "a rejected job ran: $(cat "$FED/q2.out")"
grep -q "rejected by the operator of node node1: not before the board meets" \
    "$FED/q2.out" || fed_fail "reason not reported: $(cat "$FED/q2.out")"

# 3. Nobody decides: refused when its validity (5 s) ends.
fed_query --valid 5 --dataset t --sum value >"$FED/q3.out" 2>&1 &
q3=$!
id=$(wait_pending 1)
wait "$q3" && fed_fail "an expired job ran: $(cat "$FED/q3.out")"
grep -q "expired waiting for approval" "$FED/q3.out" ||
    fed_fail "expiry not reported: $(cat "$FED/q3.out")"
out=$("$CAIRN_BIN" node approve "$id" $N1 2>&1) && fed_fail "approved an expired job"
echo "$out" | grep -q "expired" || fed_fail "late approval: $out"
"$CAIRN_BIN" node pending $N1 --all | grep -c "expired" | grep -q 1 ||
    fed_fail "pending --all: $("$CAIRN_BIN" node pending $N1 --all)"

# 4. A model job: the operator reads its terms and filter, not an empty
# line (before, `node pending` showed "" and the audit log kind=query
# sql="": an operator approved a fit blind).
timeout 60 "$CAIRN_BIN" fit --config "$FED/alice.conf" --schema "$FED/schema.ini" --dataset t \
    --model linear --y "region = 'north'" --x "value / 1000000" \
    --where "value > 10" --l2 0.5 >"$FED/q4.out" 2>&1 &
q4=$!
for ((k = 0; k < 100; k++)); do
	"$CAIRN_BIN" node pending $N1 | grep -q '^[0-9]' && break
	kill -0 "$q4" 2>/dev/null || fed_fail "the fit ended before it waited: $(cat "$FED/q4.out")"
	sleep 0.1
done
id=$(wait_pending 1)
"$CAIRN_BIN" node pending $N1 | tee "$FED/pending4.txt"
grep -qF "fit linear: region = 'north' ~ 1 + (value / 1000000) WHERE value > 10 l2 0.5" \
    "$FED/pending4.txt" || fed_fail "pending does not show the model's terms and filter"
"$CAIRN_BIN" node reject "$id" --reason "ask for the aggregate instead" $N1 ||
    fed_fail "reject the fit"
wait "$q4" && fed_fail "a rejected fit ran: $(cat "$FED/q4.out")"

# 5. A code job: its program's SHA-256, WHERE and parameters (before, only
# "code HASH round N": the filter and --param values were not shown).
cat >"$FED/sum.lua" <<'EOF'
function node(data, params)
  local s = 0
  for i = 1, data.rows do s = s + math.min(data.cols.value[i], params.cap) end
  return {s, data.rows}
end
EOF
for i in 1 2 3; do
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/sum.lua" >/dev/null || fed_fail "node$i: approve-code"
done
h=$("$CAIRN_BIN" code hash "$FED/sum.lua" | cut -d' ' -f1)
echo "schema = schema.ini" >>"$FED/alice.conf"
timeout 60 "$CAIRN_BIN" run --config "$FED/alice.conf" --dataset t \
    --code "$FED/sum.lua" --output-len 2 --lo 0 --hi 1e6 --scale 0 \
    --where "region = 'north'" --params 3,4 --param cap=40 \
    >"$FED/q5.out" 2>&1 &
q5=$!
id=$(wait_pending 1)
"$CAIRN_BIN" node pending $N1 | tee "$FED/pending5.txt"
grep -qF "code $h round 1 WHERE region = 'north' params 3, 4 cap=40 output 2" \
    "$FED/pending5.txt" ||
    fed_fail "pending does not show the program's hash, WHERE and parameters"
"$CAIRN_BIN" node reject "$id" --reason "no" $N1 || fed_fail "reject the code"
wait "$q5" && fed_fail "a rejected program ran: $(cat "$FED/q5.out")"

# The decisions are in node1's audit log, which verifies.
"$CAIRN_BIN" audit verify "$FED/state/node1/audit.log" || fed_fail "verify"
log=$("$CAIRN_BIN" audit show "$FED/state/node1/audit.log")
for w in "decision=pending" "decision=approved" "outcome=contributed" \
    "decision=refuse reason=\"rejected by the operator" \
    "decision=refuse reason=\"expired waiting" "kind=model" \
    "model=\"fit linear: region = 'north' ~ 1 + (value / 1000000) WHERE value > 10 l2 0.5" \
    "kind=code" "what=\"code $h round 1 WHERE region = 'north' params 3, 4 cap=40"; do
	echo "$log" | grep -q "$w" || fed_fail "audit log lacks $w"
done
echo "fed_approve: ok"
