#!/usr/bin/env bash
# demo_code.sh — 'cairn demo --code': an approved-code program on the
# throwaway local federation.  The demo's nodes approve the program's hash
# by themselves and say so; its answer equals the same program run by
# 'cairn code run-local' in one process on the pooled rows, which this test
# builds itself (the sample federation; the test's own files with NULLs, a
# WHERE, clipped values and several rounds); the errors a user meets.
# CAIRN_TEST_TIMEOUT: 200
set -euo pipefail
bin=${CAIRN_BIN:?CAIRN_BIN is not set}
src=${CAIRN_SRC:?CAIRN_SRC is not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
fail() { echo "FAIL: $*" >&2; exit 1; }

# The answer without the contributing nodes and the clip count (each node
# clips its own output; one process clips once).
result_of() { sed -e 's/, "contributed": \[[^]]*\]//' \
    -e 's/, "clipped": [0-9]*//'; }

# same NAME FED_JSON LOCAL_JSON: the two answers are the same JSON.
same() {
	echo "$1 demo:  $2"
	echo "$1 local: $3"
	[ -n "$2" ] || fail "$1: no answer from the demo"
	[ "$(echo "$2" | result_of)" = "$(echo "$3" | result_of)" ] ||
	    fail "$1: the demo's answer differs from the pooled run"
}

# 1. The sample federation, table output: approval said, then identical.
gini=$src/examples/code/gini.lua
decl=(--output-len 400 --lo 0 --hi 1e9 --scale 2)
timeout 120 "$bin" demo --code "$gini" "${decl[@]}" >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/out" "$tmp/err" >&2; fail "cairn demo --code exited non-zero"; }
cat "$tmp/out"
hash=$("$bin" code hash "$gini" | cut -d' ' -f1)
grep -q "every demo node approves .*gini.lua (sha256 $hash) automatically" \
    "$tmp/err" || { cat "$tmp/err" >&2; fail "the demo does not say it approved the program"; }
grep -q "^-- program .*gini.lua (sha256 $hash), approved automatically" \
    "$tmp/out" || fail "the table output does not name the approval"
grep -q '^=> identical' "$tmp/out" || fail "gini: not identical to the pooled run"
if grep -q '^=> identical$' "$tmp/out"; then
	fail "the sample queries ran although only --code was given"
fi

# ...and against the test's own pooled rows (the agencies' files share a
# column order; agency 2 only names two columns differently).
head -1 "$src/examples/data/agency1.csv" >"$tmp/all.csv"
for i in 1 2 3; do
	tail -n +2 "$src/examples/data/agency$i.csv" >>"$tmp/all.csv"
done
local_cps() { "$bin" code run-local --schema "$src/examples/schema/cps.ini" \
    --dataset cps --data "$tmp/all.csv" "$@"; }
q=$src/examples/code/quantiles.lua
qargs=(--output-len 96 --lo 0 --hi 1e7 --scale 0 --params "0, 200"
    --max-rounds 40 --where "region = 'north' AND age >= 25")
fed=$(timeout 120 "$bin" demo --format json --code "$q" "${qargs[@]}" \
    2>"$tmp/err") || { cat "$tmp/err" >&2; fail "demo quantiles"; }
[ "$(echo "$fed" | wc -l)" = 1 ] || fail "--format json: one line wanted: $fed"
echo "$fed" | grep -q '"contributed": \["agency1", "agency2", "agency3"\]' ||
    fail "quantiles: not every agency contributed: $fed"
echo "$fed" | grep -q '"rounds": [2-9]' || fail "quantiles: one round only: $fed"
same quantiles "$fed" "$(local_cps --code "$q" "${qargs[@]}")"

# 2. The test's own files: NULLs, categories, negative decimals, a value
# clipped at every node, a WHERE and a coordinator part over 3 rounds.
cat >"$tmp/schema.ini" <<'INI'
[federation]
min_cell = 1
max_nodes = 10
[dataset t]
max_rows = 1000
[column t.grp]
type = category
domain = a, b, c
[column t.k]
type = integer
min = 0
max = 1000
[column t.x]
type = decimal
scale = 2
min = -1000
max = 1000
nullable = true
INI
for n in 1 2 3; do printf 'grp,k,x\n' >"$tmp/n$n.csv"; done
for i in $(seq 1 150); do
	f=$tmp/n$((i % 3 + 1)).csv
	g=$(echo "a b c" | cut -d' ' -f$((i * 7 % 3 + 1)))
	if [ $((i % 17)) -eq 0 ]; then x=""; else
		x=$(printf '%d.%02d' $(((i * 37) % 900 - 450)) $((i % 100))); fi
	printf '%s,%d,%s\n' "$g" "$i" "$x" >>"$tmp/n$((i % 3 + 1)).csv"
done
cat >"$tmp/prog.lua" <<'EOF'
-- Round r: per group, the count and sum of x above params[1]; the
-- coordinator raises the threshold to the mean and stops after round 3.
-- The last value, -7, is there to be clipped (each node clips its own:
-- it stays out of the result, which must not depend on the split).
function node(data, params)
  local out = {0, 0, 0, 0, 0, 0, -7}
  local idx = {a = 1, b = 2, c = 3}
  for i = 1, data.rows do
    local x, g = data.cols.x[i], data.cols.grp[i]
    if x and x > params[1] then
      out[idx[g]] = out[idx[g]] + 1
      out[idx[g] + 3] = out[idx[g] + 3] + x
    end
  end
  return out
end
function coordinator(agg, params, round)
  local n = agg[1] + agg[2] + agg[3]
  local s = agg[4] + agg[5] + agg[6]
  if round == 3 then
    return {result = {n = {agg[1], agg[2], agg[3]},
      sum = {agg[4], agg[5], agg[6]}, threshold = params[1]}}
  end
  return {next = {s / n}}
end
EOF
pargs=(--output-len 7 --lo -5 --hi 1e5 --scale 2 --params "-500"
    --max-rounds 5 --where "k >= 10")
fed=$(timeout 120 "$bin" demo --format json --schema "$tmp/schema.ini" \
    --csv one="$tmp/n1.csv" --csv two="$tmp/n2.csv" --csv three="$tmp/n3.csv" \
    --code "$tmp/prog.lua" "${pargs[@]}" 2>"$tmp/err") ||
	{ cat "$tmp/err" >&2; fail "demo on own files"; }
# The -7 is clipped to -5 at each of the 3 nodes in each of the 3 rounds
# (a negative group sum of round 1 may be clipped too).
echo "$fed" | grep -q '"rounds": 3, "clipped": ' ||
    fail "own files: want 3 rounds: $fed"
clipped=$(echo "$fed" | sed -n 's/.*"clipped": \([0-9]*\).*/\1/p')
[ "$clipped" -ge 9 ] || fail "own files: $clipped values clipped, want at least 9"
head -1 "$tmp/n1.csv" >"$tmp/pool.csv"
for n in 1 2 3; do tail -n +2 "$tmp/n$n.csv" >>"$tmp/pool.csv"; done
loc=$("$bin" code run-local --schema "$tmp/schema.ini" --dataset t \
    --data "$tmp/pool.csv" --code "$tmp/prog.lua" "${pargs[@]}")
same own-files "$fed" "$loc"
# The WHERE and the NULLs mattered: without them the answer differs.
nowhere=$("$bin" code run-local --schema "$tmp/schema.ini" --dataset t \
    --data "$tmp/pool.csv" --code "$tmp/prog.lua" --output-len 7 --lo -5 \
    --hi 1e5 --scale 2 --params "-500" --max-rounds 5)
[ "$(echo "$nowhere" | result_of)" != "$(echo "$fed" | result_of)" ] ||
    fail "the WHERE changed nothing: the check cannot tell"

# With --epsilon the nodes require DP and the researcher asks it: the
# code job's answer carries noise and says so; no comparison is claimed.
timeout 120 "$bin" demo --schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" \
    --csv two="$tmp/n2.csv" --code "$tmp/prog.lua" "${pargs[@]}" \
    --epsilon 10 >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/err" >&2; fail "demo --code --epsilon"; }
grep -q '"epsilon": 10, "delta": 1e-06' "$tmp/out" ||
    { cat "$tmp/out"; fail "the DP answer does not carry epsilon"; }
grep -q '^=> with DP noise (epsilon 10' "$tmp/out" ||
    fail "the demo compares a noisy answer"

# 3. Errors: one line, non-zero, nothing left running.
expect_err() {  # expect_err STATUS PATTERN ARGS...
	local want=$1 pat=$2 st=0
	shift 2
	timeout 120 "$bin" demo "$@" >"$tmp/o" 2>"$tmp/e" || st=$?
	[ "$st" = "$want" ] || { cat "$tmp/e" >&2; fail "demo $* exited $st, want $want"; }
	grep -q -- "$pat" "$tmp/e" || { cat "$tmp/e" >&2; fail "no '$pat' for demo $*"; }
}
own=(--schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" --csv two="$tmp/n2.csv")
expect_err 2 "--lo goes with --code" "${own[@]}" --query "SELECT count(*) FROM t" --lo 0
expect_err 2 "--code needs --output-len, --lo and --hi" "${own[@]}" \
    --code "$tmp/prog.lua" --output-len 7
expect_err 2 "a code job's answer is JSON" "${own[@]}" --code "$tmp/prog.lua" \
    "${pargs[@]}" --format csv
expect_err 1 "cannot open .*nope.lua" "${own[@]}" --code "$tmp/nope.lua" \
    "${pargs[@]}"
cat >"$tmp/raise.lua" <<'EOF'
function node(data, params) error("row value " .. tostring(data.cols.x[1])) end
EOF
expect_err 1 "the code job failed: .*the program raised an error" "${own[@]}" \
    --code "$tmp/raise.lua" --output-len 1 --lo 0 --hi 1
grep -q "node one logged: .*row value" "$tmp/e" ||
    { cat "$tmp/e" >&2; fail "the demo, as operator, does not show the node's own message"; }
sleep 0.5
if pgrep -f "$tmp/cairn-demo-" >/dev/null; then fail "daemons left running"; fi
echo "demo_code: all checks passed"
