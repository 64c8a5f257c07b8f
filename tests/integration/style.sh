#!/usr/bin/env bash
# style.sh — the style rules a reader can check by machine (STYLE.md,
# issue 13), over the files git tracks:
#   1. no C function over 120 lines without a /* long: REASON */ comment
#      (scripts/dev/long-functions.py);
#   2. no message split across adjacent string literals
#      (scripts/dev/join-strings.py --check; the same script joins them);
#   3. every executable tests/CMakeLists.txt builds gets the project's
#      warning flags (cairn_target_flags);
#   4. every folder the README's layout table names exists;
#   5. .clang-format does not split string literals again.
# Controls first: each checker is shown a file that breaks its rule.
# CAIRN_TEST_LABELS: unit
set -euo pipefail
: "${CAIRN_SRC:?CAIRN_SRC must name the source tree}"
cd "$CAIRN_SRC"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() {
	echo "FAIL: $*" >&2
	fails=$((fails + 1))
}

# ---- controls: the checkers see what they are for -------------------------
{
	printf 'static int\nf(void)\n{\n'
	for ((i = 0; i < 125; i++)); do printf '\tx();\n'; done
	printf '}\n'
} >"$tmp/long.c"
python3 scripts/dev/long-functions.py "$tmp/long.c" >/dev/null 2>&1 &&
	fail "control: a 128-line function passed"
sed -i '1i /* long: a control */' "$tmp/long.c"
python3 scripts/dev/long-functions.py "$tmp/long.c" >/dev/null 2>&1 ||
	fail "control: a function with a long: comment was refused"
printf 'void f(void) { g("cannot open "\n\t"the file"); }\n' >"$tmp/split.c"
python3 scripts/dev/join-strings.py --check "$tmp/split.c" >/dev/null 2>&1 &&
	fail "control: a split message passed"
python3 scripts/dev/join-strings.py "$tmp/split.c" >/dev/null
grep -q '"cannot open the file"' "$tmp/split.c" ||
	fail "control: the fixer did not join: $(cat "$tmp/split.c")"
cp "$tmp/split.c" "$tmp/again.c"
python3 scripts/dev/join-strings.py "$tmp/again.c" >/dev/null
cmp -s "$tmp/split.c" "$tmp/again.c" || fail "control: the fixer is not idempotent"

# ---- 1. function length ----------------------------------------------------
python3 scripts/dev/long-functions.py || fail "functions over 120 lines (above)"

# ---- 2. split messages -----------------------------------------------------
python3 scripts/dev/join-strings.py --check ||
	fail "messages split across literals (above); run scripts/dev/join-strings.py"

# ---- 3. warning flags on every test executable -----------------------------
while read -r tgt; do
	grep -qF "cairn_target_flags($tgt)" tests/CMakeLists.txt ||
		fail "tests/CMakeLists.txt: $tgt is built without cairn_target_flags"
done < <(sed -n 's/^[[:space:]]*add_executable(\([^ )]*\).*/\1/p' \
	tests/CMakeLists.txt)

# ---- 4. the README's layout table names real folders -----------------------
n=0
while read -r dir; do
	n=$((n + 1))
	[ -d "$dir" ] || fail "README layout table names $dir, which does not exist"
done < <(sed -n '/^## Layout/,/^## /p' README.md | grep '^| `' |
	cut -d'|' -f2 | grep -o '`[^`]*/`' | tr -d '`')
[ "$n" -ge 8 ] || fail "README layout table: found only $n folders"

# ---- 5. clang-format keeps messages whole -----------------------------------
grep -q '^BreakStringLiterals: false' .clang-format ||
	fail ".clang-format must say BreakStringLiterals: false"

[ "$fails" = 0 ] || exit 1
echo "ok: style rules hold"
