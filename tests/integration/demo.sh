#!/usr/bin/env bash
# demo.sh — 'cairn demo' end to end: the sample federation (coordinator and
# three node daemons as separate processes, answers compared with the clear
# computation by the demo itself), the JSON output, a federation over the
# test's own CSV files checked against sqlite3 on the pooled rows, and the
# errors a user meets first; --keep leaves the parties' audit logs.
# CAIRN_TEST_TIMEOUT: 300
set -euo pipefail
bin=${CAIRN_BIN:?CAIRN_BIN is not set}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp
fail() { echo "FAIL: $*" >&2; exit 1; }

# 1. The sample federation: every query identical to the clear figure.
timeout 200 "$bin" demo >"$tmp/out" 2>"$tmp/err" ||
	{ cat "$tmp/out" "$tmp/err" >&2; fail "cairn demo exited non-zero"; }
n=$(grep -c '^=> identical$' "$tmp/out" || true)
[ "$n" -ge 4 ] || { cat "$tmp/out" >&2; fail "expected 4 identical answers, got $n"; }
grep -q 'queries answered under secure aggregation' "$tmp/err" ||
	fail "no closing line"
grep -q 'contributed (3): agency1, agency2, agency3' "$tmp/out" ||
	fail "the result does not name the contributing nodes"
[ -z "$(ls -A "$tmp" | grep cairn-demo- || true)" ] ||
	fail "the demo left its directory behind"

# 2. JSON: one object per query with columns, rows and nodes; --keep
# leaves the federation, with every party's audit log, which verifies.
timeout 200 "$bin" demo --keep --format json \
	--query 'SELECT region, count(*) FROM cps GROUP BY region ORDER BY region' \
	>"$tmp/json" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "demo --format json"; }
[ "$(wc -l <"$tmp/json")" -eq 1 ] || fail "expected one JSON line"
grep -q '"columns": *\["region", *"count"\]' "$tmp/json" || { cat "$tmp/json"; fail "columns"; }
grep -q '"contributed": *\["agency1", *"agency2", *"agency3"\]' "$tmp/json" ||
	{ cat "$tmp/json"; fail "nodes"; }
kept=$(ls -d "$tmp"/cairn-demo-* 2>/dev/null | head -1)
[ -n "$kept" ] || fail "demo --keep left no directory"
for log in "$kept"/coordinator-state/audit.log "$kept"/state/agency{1,2,3}/audit.log; do
	[ -s "$log" ] || fail "demo --keep: no audit log $log"
	"$bin" audit verify "$log" >/dev/null || fail "audit verify $log"
done
show=$("$bin" audit show "$kept/state/agency1/audit.log")
echo "$show" | grep -q "outcome=contributed" ||
	fail "agency1's audit log has no contribution"
rm -rf "$kept"

# 2b. --model: the sample fit through 'cairn fit', printed as it prints it,
# every node accounted for; a fit option passes through.
timeout 200 "$bin" demo --format json --model linear --no-intercept \
	>"$tmp/fit" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "demo --model linear"; }
[ "$(wc -l <"$tmp/fit")" -eq 1 ] || { cat "$tmp/fit"; fail "expected one JSON line for the fit"; }
grep -q '"model":"linear","terms":\["education","age","sex = '"'female'"'"\]' "$tmp/fit" ||
	{ cat "$tmp/fit"; fail "the sample fit's terms (without intercept)"; }
grep -q '"contributed": \["agency1", "agency2", "agency3"\], "dropped": \[\]' "$tmp/fit" ||
	{ cat "$tmp/fit"; fail "the fit's nodes"; }
grep -q '"complete": true' "$tmp/fit" || { cat "$tmp/fit"; fail "the fit is not complete"; }

# 2c. DP: nodes require it, every answer carries its noise's sd per
# figure and is shown beside the clear one, not compared.
timeout 200 "$bin" demo --epsilon 1 \
	--query 'SELECT region, count(*), sum(wage) FROM cps GROUP BY region ORDER BY region' \
	>"$tmp/dp" 2>"$tmp/err" || { cat "$tmp/dp" "$tmp/err" >&2; fail "demo --epsilon 1"; }
grep -q '^=> with DP noise (epsilon 1, delta 1e-06)' "$tmp/dp" || { cat "$tmp/dp"; fail "no DP line"; }
grep -q '±' "$tmp/dp" || { cat "$tmp/dp"; fail "no noise interval in the table"; }
grep -q 'answered under secure aggregation with DP noise' "$tmp/err" || fail "no DP closing line"
[ -z "$(ls -A "$tmp" | grep cairn-demo- || true)" ] ||
	fail "the DP demo left its directory behind"

# 3. Your own files: counts and sums exact against sqlite3 on the pool.
cat >"$tmp/schema.ini" <<'INI'
[federation]
min_cell = 1
max_nodes = 10
[dataset t]
max_rows = 1000
[column t.grp]
type = category
domain = a, b, c
[column t.x]
type = decimal
scale = 2
min = -1000
max = 1000
nullable = true
INI
printf 'grp,x\n' >"$tmp/n1.csv"
printf 'grp,x\n' >"$tmp/n2.csv"
printf 'grp,x\n' >"$tmp/n3.csv"
for i in $(seq 1 150); do
	f=$tmp/n$((i % 3 + 1)).csv
	g=$(echo "a b c" | cut -d' ' -f$((i % 3 + 1)))
	if [ $((i % 17)) -eq 0 ]; then x=""; else x=$(printf '%d.%02d' $(((i * 37) % 900 - 450)) $((i % 100))); fi
	printf '%s,%s\n' "$g" "$x" >>"$f"
done
q='SELECT grp, count(*), count(x), sum(x) FROM t GROUP BY grp ORDER BY grp'
timeout 200 "$bin" demo --schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" \
	--csv two="$tmp/n2.csv" --csv three="$tmp/n3.csv" --query "$q" \
	--format csv >"$tmp/own" 2>"$tmp/err" || { cat "$tmp/err" >&2; fail "demo on own files"; }
if command -v sqlite3 >/dev/null; then
	{
		echo "CREATE TABLE t(grp TEXT, x NUMERIC);"
		for f in n1 n2 n3; do
			tail -n +2 "$tmp/$f.csv" | while IFS=, read -r g x; do
				[ -z "$x" ] && x=NULL
				echo "INSERT INTO t VALUES('$g', $x);"
			done
		done
		echo "SELECT grp, count(*), count(x), printf('%.2f', sum(x)) FROM t GROUP BY grp ORDER BY grp;"
	} | sqlite3 -csv >"$tmp/want"
	tr -d '\r' <"$tmp/own" | grep -v '^#' | tail -n +2 | grep -v '^$' | sed 's/"//g' >"$tmp/got"
	diff -u "$tmp/want" "$tmp/got" || fail "federation answer differs from sqlite3"
fi

# 4. Errors: one line, non-zero, nothing left running.
expect_err() {  # expect_err PATTERN ARGS...
	local pat=$1; shift
	if timeout 60 "$bin" demo "$@" >"$tmp/o" 2>"$tmp/e"; then
		fail "demo $* succeeded"
	fi
	grep -q -- "$pat" "$tmp/e" || { cat "$tmp/e" >&2; fail "no '$pat' for demo $*"; }
}
expect_err "at least two nodes" --schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" --query "$q"
expect_err "cannot open" --schema "$tmp/schema.ini" --csv one="$tmp/nope.csv" --csv two="$tmp/n2.csv" --query "$q"
expect_err "unknown option" --bogus
expect_err "demo: --epsilon '200': want a number from 0 (no noise) to 100" --epsilon 200
expect_err "must appear in GROUP BY" --schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" \
	--csv two="$tmp/n2.csv" --query "SELECT grp FROM t"
printf 'grp,x\na,1.00\nb,oops\n' >"$tmp/bad.csv"
expect_err "bad.csv:3" --schema "$tmp/schema.ini" --csv one="$tmp/n1.csv" \
	--csv two="$tmp/bad.csv" --query "$q"
sleep 0.5
if pgrep -f "$tmp/cairn-demo-" >/dev/null; then fail "daemons left running"; fi
echo "demo: all checks passed"
