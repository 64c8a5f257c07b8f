#!/usr/bin/env bash
# cli_opts.sh — the one option parser (nodes/cli/opts.c) gives every
# subcommand the same rules: --help exits 0 with the usage on stdout; an
# unknown option, a missing or repeated value, a missing required option
# and a stray argument each exit 2 with one line naming the command and
# its --help; --name=VALUE equals --name VALUE.
# CAIRN_TEST_LABELS: unit
set -euo pipefail
: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# usage_err WANT-TEXT CMD...: exit 2, exactly one line on stderr holding
# WANT-TEXT and the command's --help, nothing on stdout.
usage_err() {
	local want=$1 rc=0 name
	shift
	"$CAIRN_BIN" "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	[ "$rc" = 2 ] || fail "'$*' exited $rc, want 2: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" = 1 ] ||
		fail "'$*' printed $(wc -l <"$tmp/err") error lines: $(cat "$tmp/err")"
	grep -qF -- "$want" "$tmp/err" || fail "'$*': want '$want', got: $(cat "$tmp/err")"
	name=$1
	case $1 in ca | schema | bench | sim | audit | config | code) name="$1 $2" ;; esac
	case $1/${2:-} in node/pending | node/approve | node/reject) name="$1 $2" ;; esac
	grep -qF -- "(see 'cairn $name --help')" "$tmp/err" ||
		fail "'$*' does not point at 'cairn $name --help': $(cat "$tmp/err")"
	[ ! -s "$tmp/out" ] || fail "'$*' printed on stdout: $(cat "$tmp/out")"
}

for c in "query" "fit" "status" "node" "coordinator" "keygen" "demo" \
    "ca init" "ca sign" "schema infer" "bench prg" "bench fit" "sim secagg" \
    "audit verify" "audit cross" "node pending" "node approve" "node reject" \
    "config coordinator" "config node" "config researcher" \
    "run" "code hash" "code run-local" "code approvals"; do
	# shellcheck disable=SC2086
	"$CAIRN_BIN" $c --help >"$tmp/out" || fail "'$c --help' did not exit 0"
	grep -q "usage: cairn" "$tmp/out" || fail "'$c --help' printed no usage"
	# shellcheck disable=SC2086
	usage_err "unknown option '--frob'" $c --frob
done

usage_err "--config needs a value" query --config
usage_err "--config needs a value" status --config=
usage_err "--config is required" coordinator
usage_err "--config given twice" node --config a --config=b
usage_err "unexpected argument 'extra'" node --config a check extra
usage_err "unexpected argument 'x'" status --config a x
usage_err "--keep takes no value" demo --keep=yes
usage_err "--format is table, json or csv" query --config a --format=xml "SELECT 1"
usage_err "which CSV file?" schema infer --dataset d
usage_err "--dim wants an integer" bench prg --dim=0
usage_err "which job number?" node approve --config a
usage_err "want the job's number from 'cairn node pending', not 'x'" node reject x --config a
usage_err "unknown option '--all'" node approve 1 --all --config a
usage_err "unknown option '--reason'" node approve 1 --reason no --config a
usage_err "unexpected argument '3'" node pending 3 --config a
usage_err "which FILE?" audit verify
usage_err "unknown option '--since'" audit verify --since 2026-01-01 f
usage_err "which NODE_LOG and COORD_LOG?" audit cross one.log
# cairn run and cairn code: the shared parser, named parameters.
runargs=(--config a --dataset d --code f.lua --output-len 1 --lo 0 --hi 1)
usage_err "--param takes NAME=NUMBER" run "${runargs[@]}" --param x
usage_err "--param 9x=1: a NAME is letters, digits and _" run "${runargs[@]}" --param 9x=1
usage_err "--param k=abc: want a number after '='" run "${runargs[@]}" --param k=abc
usage_err "--param k given twice" run "${runargs[@]}" --param k=1 --param k=2
usage_err "--output-len wants a whole number" run "${runargs[@]/--output-len/--scale}" --output-len 1.5
usage_err "--code is required" run --config a --dataset d --output-len 1 --lo 0 --hi 1
usage_err "--epsilon and --delta are for 'cairn run'" code run-local --schema s \
    --data x.csv --dataset d --code f.lua --output-len 1 --lo 0 --hi 1 --epsilon 1
usage_err "which FILE.lua?" code hash
usage_err "--param goes with --code" demo --param a=1
usage_err "give --model or --code, not both" demo --model linear --code f.lua
usage_err "unexpected argument 'b'" code hash a b
usage_err "--wait-nodes needs a number" status --config a --wait-nodes=0
usage_err "--name is required" config researcher --coordinator tcp://h:1 --schema s
usage_err "unknown option '--researchers'" config researcher --researchers r
# The model options of fit, bench fit and demo --model.
usage_err "--dataset, --model and at least one --x are required" \
    fit --config a --dataset t --model linear
usage_err "--model is linear, logistic, poisson or kmeans, not 'tree'" \
    fit --config a --dataset t --model tree --x a
usage_err "kmeans needs --k K and --init" fit --config a --dataset t \
    --model kmeans --x a --x b
usage_err "--init needs 2 centres of 2 comma-separated coordinates" \
    fit --config a --dataset t --model kmeans --x a --x b --k 2 --init "1,2;3"
usage_err "--max-iter needs a whole number from 1 to 100, not '1.5'" \
    fit --config a --dataset t --model linear --x a --max-iter=1.5
usage_err "--y given twice" fit --config a --dataset t --model linear --y a --y b --x c
usage_err "--config is required" fit --dataset t --model linear --x a
usage_err "--csv is required" bench fit --schema s --dataset t --model linear --x a
usage_err "fit options need --model" demo --x age
usage_err "--epsilon '200': want a number from 0 (no noise) to 100" \
    fit --config a --dataset t --model linear --x a --epsilon 200
usage_err "--delta '0.5': want a number above 0 and below 0.5" \
    fit --config a --dataset t --model linear --x a --epsilon 1 --delta 0.5

# --name=VALUE and --name VALUE are the same; "--" ends the options.
printf 'a,b\n1,x\n' >"$tmp/-d.csv"
"$CAIRN_BIN" schema infer --dataset=one -- "$tmp/-d.csv" >"$tmp/a" ||
	fail "schema infer --dataset=one -- FILE"
(cd "$tmp" && "$CAIRN_BIN" schema infer --dataset one -- -d.csv) >"$tmp/b" ||
	fail "schema infer --dataset one -- -d.csv"
grep -q "dataset one" "$tmp/a" || fail "--dataset=one not taken: $(head -3 "$tmp/a")"
sed 1,3d "$tmp/a" >"$tmp/a2"
sed 1,3d "$tmp/b" >"$tmp/b2"
cmp -s "$tmp/a2" "$tmp/b2" || fail "--dataset=one and --dataset one differ"
echo "ok: one parser, the same rules for every subcommand"
