#!/usr/bin/env bash
# fed_gone.sh — failures are noticed at once and said as they are
# (issue 12).  A coordinator killed during a query: the researcher's
# client sees the connection close and exits within a few seconds with
# one line saying so, instead of waiting timeout_ms.  A revoked
# researcher: the coordinator answers with a signed refusal that says the
# certificate is revoked, at once (no wait for timeout_ms).
# CAIRN_TEST_TIMEOUT: 90
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_DEADLINE_MS=20000
fed_init 3
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

# ms since $1 (date +%s%N)
since() { echo $((($(date +%s%N) - $1) / 1000000)); }

# node3 silent: the query waits in round advertise (20 s deadline).
kill -STOP "$(pgrep -P "$FED_NODE_PID_3")"
set +e
fed_query --dataset t --sum value >"$FED/q.out" 2>"$FED/q.err" &
qpid=$!
sleep 1
t0=$(date +%s%N)
kill -KILL "$(pgrep -P "$FED_COORD_PID")"
wait "$qpid"
rc=$?
set -e
ms=$(since "$t0")
echo "query after the coordinator died: rc $rc in $ms ms: $(cat "$FED/q.err")"
[ "$rc" != 0 ] || fed_fail "query succeeded without a coordinator"
[ "$ms" -lt 5000 ] || fed_fail "the client took $ms ms to notice"
grep -q "lost the connection to the coordinator" "$FED/q.err" ||
    fed_fail "no clear line: $(cat "$FED/q.err")"
[ "$(grep -vc "^+" "$FED/q.err")" = 1 ] || fed_fail "not one line: $(cat "$FED/q.err")"
kill -CONT "$(pgrep -P "$FED_NODE_PID_3")"
fed_wait_exit "$FED_COORD_PID"

# A coordinator again; then alice is revoked and the CRL distributed.
fed_start_coord
fed_wait_nodes 3
# alice keeps the old CRL (her client would refuse her own certificate).
cp "$FED/pki/crl.pem" "$FED/alice-crl.pem"
sed -i "s|^crl = .*|crl = alice-crl.pem|" "$FED/alice.conf"
"$CAIRN_BIN" ca revoke --dir "$FED/ca" alice >/dev/null
cp "$FED/ca/crl.pem" "$FED/pki/crl.pem.new"
mv "$FED/pki/crl.pem.new" "$FED/pki/crl.pem"
fed_wait_log "$FED/coord.log" "reloaded CA .* (number 2)" 1
t0=$(date +%s%N)
set +e
out=$(fed_query --dataset t --sum value 2>&1)
rc=$?
set -e
ms=$(since "$t0")
echo "revoked researcher: rc $rc in $ms ms: $out"
[ "$rc" != 0 ] || fed_fail "a revoked researcher got an answer: $out"
[ "$ms" -lt 5000 ] || fed_fail "the refusal took $ms ms"
echo "$out" | grep -q "coordinator.*revoked" ||
    fed_fail "the refusal does not say why: $out"
fed_finish
echo "fed_gone: ok"
