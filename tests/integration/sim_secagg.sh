#!/usr/bin/env bash
# sim_secagg.sh — `cairn sim secagg` end to end: 1,000 nodes on the sparse
# graph with a small vector, dropouts at several rounds (a reveal-round
# loss ends the session), the complete graph, and an abort below threshold (exit 1 with an error line naming how many
# were needed and how many answered).
# CAIRN_TEST_TIMEOUT: 600
set -u
: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
fail() { echo "FAIL: $*" >&2; exit 1; }

last_json() { tail -n 1 "$1"; }
field() { # field FILE NAME -> the raw JSON value
	last_json "$1" | sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p"
}

out=$(mktemp) err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

# 1,000 nodes, sparse graph, 5% drop at masked input.
"$CAIRN_BIN" sim secagg --nodes 1000 --dim 16 --dropout 0.05 \
	--drop-at masked-input --graph sparse --seed 7 >"$out" 2>"$err" ||
	fail "1000-node sparse run exited $? ($(cat "$err"))"
[ "$(field "$out" correct)" = true ] || fail "1000-node sum not exact"
[ "$(field "$out" nodes)" = 1000 ] || fail "nodes"
[ "$(field "$out" survivors)" = 950 ] || fail "survivors $(field "$out" survivors)"
[ "$(field "$out" graph)" = '"sparse"' ] || fail "graph"
last_json "$out" | grep -q '^{.*}$' || fail "last line is not one JSON object"

# Drop at the unmask round: inputs are all in, 10% never reveal.
"$CAIRN_BIN" sim secagg --nodes 300 --dim 16 --dropout 0.1 \
	--drop-at unmask --graph sparse --seed 8 --bits 128 >"$out" 2>"$err" ||
	fail "unmask-drop run exited $? ($(cat "$err"))"
[ "$(field "$out" correct)" = true ] || fail "unmask-drop sum not exact"
[ "$(field "$out" survivors)" = 300 ] || fail "unmask-drop survivors"

# Complete graph, 32-bit ring, drop at share keys.
"$CAIRN_BIN" sim secagg --nodes 60 --dim 100 --dropout 0.2 \
	--drop-at share-keys --graph full --seed 9 --bits 32 >"$out" 2>"$err" ||
	fail "complete-graph run exited $?"
[ "$(field "$out" correct)" = true ] || fail "complete-graph sum"
[ "$(field "$out" survivors)" = 48 ] || fail "complete-graph survivors"

# The default policy holds against a lying coordinator: t > 2n/3 on the
# complete graph; --semi-honest gives floor(n/2) + 1.
"$CAIRN_BIN" sim secagg --nodes 30 --dim 10 --dropout 0.1 --graph full \
	--seed 11 >"$out" 2>"$err" || fail "malicious run exited $?"
[ "$(field "$out" correct)" = true ] || fail "malicious-parameter sum"
[ "$(field "$out" threshold)" = 21 ] || fail "malicious threshold"
[ "$(field "$out" threat)" = '"malicious"' ] || fail "threat field"

# A node lost in the reveal round ends the session: the graph seed needs
# every committed contribution.
rc=0
"$CAIRN_BIN" sim secagg --nodes 30 --dim 8 --dropout 0.1 \
	--drop-at reveal --graph full --seed 13 >"$out" 2>"$err" || rc=$?
[ "$rc" = 1 ] || fail "reveal-drop run exited $rc, want 1"
grep -q "did not reveal its graph-seed share" "$err" ||
	fail "reveal abort line: $(cat "$err")"

# Below threshold: a clean abort, exit status 1, a clear error line.
rc=0
"$CAIRN_BIN" sim secagg --nodes 30 --dim 8 --dropout 0.6 --semi-honest \
	--drop-at consistency --graph full --seed 10 >"$out" 2>"$err" || rc=$?
[ "$rc" = 1 ] || fail "below-threshold run exited $rc, want 1"
grep -q "needed 16, answered 12" "$err" || fail "abort line: $(cat "$err")"
[ "$(field "$out" correct)" = false ] || fail "abort reported correct"
[ "$(field "$out" abort_needed)" = 16 ] || fail "abort_needed"

# A threshold below the nodes' own policy: every node refuses the roster.
rc=0
"$CAIRN_BIN" sim secagg --nodes 200 --dim 8 --graph sparse --threshold 3 \
	--seed 12 >"$out" 2>"$err" || rc=$?
[ "$rc" = 1 ] || fail "low-threshold run exited $rc, want 1"
[ "$(field "$out" finished)" = false ] || fail "low threshold finished"

# Usage errors exit 2; --help documents the exit status.
rc=0; "$CAIRN_BIN" sim secagg --nodes 2 --dim 8 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "bad usage exited $rc"
"$CAIRN_BIN" sim secagg --help | grep -q "aborted" || fail "--help"
"$CAIRN_BIN" sim secagg --help | grep -q "sim authority" || fail "--help certs"
echo "sim_secagg: ok"
