#!/usr/bin/env bash
# bench_prg.sh — 'cairn bench prg' runs, prints its JSON summary as the last
# line with every documented key, and refuses bad arguments with exit 2 and
# a one-line error.  Timings are not checked (they depend on the machine).
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail

: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

for bits in 32 64 128; do
	"$CAIRN_BIN" bench prg --dim 5000 --bits "$bits" --reps 3 \
	    >"$tmp/out" 2>"$tmp/err" ||
	    fail "bench prg --bits $bits failed: $(cat "$tmp/err")"
	last=$(tail -n 1 "$tmp/out")
	case "$last" in
	'{'*'}') ;;
	*) fail "last line is not a JSON object: $last" ;;
	esac
	for key in expand_add_ns_per_elem keystream_ns_per_elem \
	    plain_add_ns_per_elem ratio; do
		echo "$last" | grep -Eq "\"$key\":[0-9]+(\.[0-9]+)?([,}])" ||
		    fail "key $key missing or not a number: $last"
	done
	echo "$last" | grep -q '"dim":5000[,}]' || fail "dim: $last"
	echo "$last" | grep -q "\"bits\":$bits[,}]" || fail "bits: $last"
	echo "$last" | grep -q '"reps":3[,}]' || fail "reps: $last"
	if command -v python3 >/dev/null 2>&1; then
		echo "$last" |
		    python3 -c 'import json,sys; json.load(sys.stdin)' ||
		    fail "not valid JSON: $last"
	fi
done

# --dim=N spelling and the defaults for bits and reps.
"$CAIRN_BIN" bench prg --dim=2000 >"$tmp/out"
tail -n 1 "$tmp/out" | grep -q '"bits":64,"reps":9' || fail "defaults"

"$CAIRN_BIN" bench prg --help >"$tmp/out" || fail "--help did not exit 0"
grep -q -- '--dim' "$tmp/out" || fail "--help does not describe --dim"

# Bad arguments: exit status 2 and exactly one line on stderr.
bad() {
	set +e
	"$CAIRN_BIN" bench "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
	[ "$rc" -eq 2 ] || fail "'bench $*' exited $rc, want 2"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	    fail "'bench $*' printed $(wc -l <"$tmp/err") error lines"
}
bad
bad nosuch
bad prg --dim
bad prg --dim 0
bad prg --dim -5
bad prg --dim 12x
bad prg --bits 48
bad prg --reps 0
bad prg --frob 1

echo "bench_prg: ok"
