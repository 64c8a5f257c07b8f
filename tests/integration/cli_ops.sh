#!/usr/bin/env bash
# cli_ops.sh — operator commands (issue 12): 'schema infer' over several
# files drafts bounds, domains and max_rows covering every file and
# refuses files whose headers differ; 'node check' refuses a node whose
# dataset has more rows than the schema's max_rows (and passes it when
# max_rows is raised); every option a subcommand's source parses appears
# in its --help text.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
: "${CAIRN_SRC:?}"
. "$CAIRN_SRC/tests/integration/lib_fed.sh"

fed_init 3
cd "$FED"

# --- schema infer over three files -------------------------------------
"$CAIRN_BIN" schema infer data/node1.csv data/node2.csv data/node3.csv \
    --dataset t >draft.ini || fed_fail "schema infer over three files failed"
lo=$(tail -q -n +2 data/node*.csv | cut -d, -f2 | sort -n | head -n 1)
hi=$(tail -q -n +2 data/node*.csv | cut -d, -f2 | sort -n | tail -n 1)
lo1=$(tail -n +2 data/node1.csv | cut -d, -f2 | sort -n | head -n 1)
hi1=$(tail -n +2 data/node1.csv | cut -d, -f2 | sort -n | tail -n 1)
sect=$(sed -n '/^\[column t.value\]/,/^nullable/p' draft.ini)
grep -qx "min = $lo" <<<"$sect" || fed_fail "draft min is not $lo: $sect"
grep -qx "max = $hi" <<<"$sect" || fed_fail "draft max is not $hi: $sect"
# The control: one file alone gives its own, narrower bounds (the test
# would not notice a draft made from the first file only otherwise).
[ "$lo1 $hi1" != "$lo $hi" ] || fed_fail "node1 alone already spans all"
"$CAIRN_BIN" schema infer data/node1.csv --dataset t >one.ini
grep -qx "min = $lo1" one.ini || fed_fail "one-file draft min is not $lo1"
grep -qx "max = $hi1" one.ini || fed_fail "one-file draft max is not $hi1"
# max_rows from the largest file (node3: 23 rows -> 100).
grep -qx "max_rows = 100" draft.ini || fed_fail "max_rows: $(grep max_rows draft.ini)"
grep -q "23 rows in the largest" draft.ini || fed_fail "row count: $(head -3 draft.ini)"
"$CAIRN_BIN" schema check draft.ini >/dev/null || fed_fail "draft does not load"
# A file with another header is refused, naming both files.
{ echo "id,amount,value,region"; echo "1,2.00,3,north"; } >data/other.csv
set +e
"$CAIRN_BIN" schema infer data/node1.csv data/other.csv >/dev/null 2>err
rc=$?
set -e
[ "$rc" = 1 ] || fed_fail "different headers: exit $rc"
grep -q "data/other.csv:1: column 2 is 'amount' but 'value' in data/node1.csv" err ||
    fed_fail "different headers: $(cat err)"

# --- node check and max_rows ---------------------------------------------
"$CAIRN_BIN" node check --config node1.conf >out || fed_fail "node check: $(cat out)"
grep -q "^ok   dataset t: 21 rows (max_rows 100000)" out || fed_fail "$(cat out)"
sed 's/^max_rows = .*/max_rows = 20/' schema.ini >small.ini
sed 's/^schema = .*/schema = small.ini/' node1.conf >small.conf
set +e
"$CAIRN_BIN" node check --config small.conf >out 2>&1
rc=$?
set -e
[ "$rc" = 1 ] || fed_fail "node check passed 21 rows over max_rows 20: $(cat out)"
grep -q "^FAIL dataset t: 21 rows, more than max_rows = 20 in the schema $FED/small.ini" out ||
    fed_fail "node check message: $(cat out)"
sed 's/^max_rows = .*/max_rows = 21/' schema.ini >small.ini
"$CAIRN_BIN" node check --config small.conf >out || fed_fail "21 rows of 21 refused: $(cat out)"

# --- help texts name every option --------------------------------------
# Options are found in each subcommand's source (string literals that
# start with --); its help is the command's --help plus that of each of
# its own subcommands.  --help itself, and the --config demo passes to
# the daemons it starts, are not options to document.
subs="init sign revoke crl show verify secagg prg infer check coordinator node researcher"
n=0
for f in "$CAIRN_SRC"/nodes/cli/cmd_*.c; do
	c=$(basename "$f" .c)
	c=${c#cmd_}
	c=${c//_/ } # cmd_bench_fit.c is 'cairn bench fit'
	# shellcheck disable=SC2086
	h=$("$CAIRN_BIN" $c --help 2>&1 || true)
	for s in $subs; do
		# Only the subcommands this file dispatches on.
		grep -q "\"$s\"" "$f" || continue
		# shellcheck disable=SC2086
		h+=$("$CAIRN_BIN" $c "$s" --help 2>/dev/null || true)
	done
	for o in $(grep -o '"--[a-z][a-z-]*' "$f" | tr -d '"' | sort -u); do
		[ "$o" = --help ] && continue
		[ "$c/$o" = demo/--config ] && continue
		grep -q -- "$o" <<<"$h" || fed_fail "'cairn $c --help' does not mention $o"
		n=$((n + 1))
	done
	"$CAIRN_BIN" --help | grep -q "^  ${c%% *} " || fed_fail "'cairn --help' does not list ${c%% *}"
done
[ "$n" -gt 25 ] || fed_fail "only $n options found: is the source layout still cmd_*.c?"
echo "cli_ops: ok ($n options documented)"
