#!/usr/bin/env bash
# fed_audit.sh — the audit logs of a real federation (coordinator, 3 nodes,
# researcher alice): every party writes one, each verifies (also against
# the signer's certificate), `cairn audit show` prints the job's SQL text;
# a copy with one byte changed, an entry deleted, two entries swapped or
# the last line cut fails at that entry; `cairn audit cross` passes on the
# real logs and catches a coordinator log that omits or alters a job a
# node saw (even one rewritten by the coordinator's own key: the head it
# signed into the offer no longer matches).
# CAIRN_TEST_TIMEOUT: 60
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

want=$(fed_sum 1 2 3)
out=$(fed_query --format csv --dataset t --sum value) || fed_fail "sum: $out"
echo "$out" | grep -q ",$want" || fed_fail "sum: $out"
sql="SELECT region, count(*), sum(value) FROM t GROUP BY region"
out=$(fed_query --format csv --schema "$FED/schema.ini" "$sql") || fed_fail "query: $out"
# A refused job is on record too (a dataset no node has).
fed_query --dataset nope --sum value >/dev/null 2>&1 && fed_fail "nope ran"

CL=$FED/coordinator-state/audit.log
for f in "$CL" "$FED"/state/node{1,2,3}/audit.log; do
	[ -s "$f" ] || fed_fail "no audit log $f"
	[ "$(stat -c %a "$f")" = 600 ] || fed_fail "$f mode $(stat -c %a "$f")"
	"$CAIRN_BIN" audit verify "$f" || fed_fail "verify $f"
done
"$CAIRN_BIN" audit verify "$CL" --key "$FED/pki/coord.crt" ||
    fed_fail "coordinator log against its certificate"
"$CAIRN_BIN" audit verify "$FED/state/node1/audit.log" \
    --key "$FED/pki/node1.crt" || fed_fail "node1 log against its certificate"
# Another party's key: refused at the first entry.
out=$("$CAIRN_BIN" audit verify "$CL" --key "$FED/pki/node1.crt" 2>&1) &&
    fed_fail "coordinator log verified under node1's key"
echo "$out" | grep -q "entry 1:" || fed_fail "wrong-key message: $out"

# What the logs say: both jobs received, decided, their outcome.
show=$("$CAIRN_BIN" audit show "$CL")
echo "$show"
echo "$show" | grep -F "researcher=alice kind=query dataset=t" |
    grep -Fq "sql=\"$sql\"" || fed_fail "coordinator log lacks the SQL text"
[ "$(echo "$show" | grep -c "outcome=released")" = 2 ] ||
    fed_fail "coordinator log lacks the two outcomes"
echo "$show" | grep -q "dataset=nope" || fed_fail "no receipt of the nope job"
echo "$show" | grep -q "outcome=aborted .*no dataset 'nope' here" ||
    fed_fail "coordinator log lacks the nope job's outcome"
nshow=$("$CAIRN_BIN" audit show "$FED/state/node2/audit.log")
echo "$nshow" | grep -q "received .*coord_head=" || fed_fail "node2: no head"
echo "$nshow" | grep -q "outcome=contributed" || fed_fail "node2: no outcome"
echo "$nshow" | grep -q "decision=refuse reason=\"no dataset 'nope' here\"" ||
    fed_fail "node2: no refusal with its reason"
[ "$("$CAIRN_BIN" audit show "$CL" --since 2099-01-01 | wc -l)" = 0 ] ||
    fed_fail "--since in the future shows entries"
[ "$("$CAIRN_BIN" audit show "$CL" --since 2000-01-01 | wc -l)" = \
  "$(echo "$show" | wc -l)" ] || fed_fail "--since in the past hides entries"

# Tampered copies fail at the right entry, with one line and exit 1.
n=$(wc -l <"$CL")
T=$FED/t.log
expect_bad() {	# FILE ENTRY WHAT
	local o
	if o=$("$CAIRN_BIN" audit verify "$1" 2>&1); then
		fed_fail "$3: verify passed"
	fi
	[ "$(echo "$o" | wc -l)" = 1 ] || fed_fail "$3: not one line: $o"
	echo "$o" | grep -q "entry $2:" || fed_fail "$3: want entry $2: $o"
	echo "ok: $3 -> $o"
}
# One byte of the SQL text changed (entry k holds it).
k=$(grep -n '"sql":"SELECT' "$CL" | head -1 | cut -d: -f1)
sed "${k}s/sum(value)/sum(valuf)/" "$CL" >"$T"
expect_bad "$T" "$k" "altered SQL"
sed "3d" "$CL" >"$T"
expect_bad "$T" 3 "deleted entry"
{ sed -n 1,2p "$CL"; sed -n 4p "$CL"; sed -n 3p "$CL"; sed -n '5,$p' "$CL"; } >"$T"
expect_bad "$T" 3 "reordered entries"
head -c -20 "$CL" >"$T"
expect_bad "$T" "$n" "truncated last entry"

# Cross-check: the real logs agree.
for i in 1 2 3; do
	"$CAIRN_BIN" audit cross "$FED/state/node$i/audit.log" "$CL" ||
	    fed_fail "cross node$i"
done
# A coordinator that drops its log tail (the last job and after): the
# nodes' records show the omission.
last=$(grep -n '"type":"received"' "$CL" | grep -v nope | tail -1 | cut -d: -f1)
head -n $((last - 1)) "$CL" >"$T"
"$CAIRN_BIN" audit verify "$T" >/dev/null || fed_fail "a cut log is a valid log"
out=$("$CAIRN_BIN" audit cross "$FED/state/node1/audit.log" "$T" 2>&1) &&
    fed_fail "cross passed on a log without the last job"
echo "$out" | grep -q "omits job" || fed_fail "omission message: $out"
echo "ok: omission -> $out"

# A coordinator that rewrites its whole log with its own key, without the
# first job: every entry verifies, but not against the heads it signed.
# (The coordinator's key is in the test's PKI; a real one keeps it.)
first=$(grep -n '"type":"received"' "$CL" | head -1 | cut -d: -f1)
job1=$(sed -n "${first}p" "$CL" | sed 's/.*"fields":{"job":"\([0-9a-f]*\)".*/\1/')
"$CAIRN_BIN" audit show "$CL" >/dev/null
rewrite=$FED/rewrite
mkdir -p "$rewrite"
"$CAIRN_BIN" audit show "$CL" | grep -v "job=$job1" >"$rewrite/entries"
[ -x "$CAIRN_BUILD/tests/audit_rewrite" ] || fed_fail "no audit_rewrite helper"
"$CAIRN_BUILD/tests/audit_rewrite" "$FED/pki/coord.key" "$CL" "$job1" \
    "$rewrite/audit.log" || fed_fail "rewrite helper"
"$CAIRN_BIN" audit verify "$rewrite/audit.log" --key "$FED/pki/coord.crt" ||
    fed_fail "the rewritten log does not verify"
out=$("$CAIRN_BIN" audit cross "$FED/state/node1/audit.log" \
    "$rewrite/audit.log" 2>&1) && fed_fail "cross passed on a rewritten log"
echo "$out" | grep -Eq "altered|omits|not the receipt" ||
    fed_fail "rewrite message: $out"
echo "ok: rewrite -> $out"
echo "fed_audit: ok"
