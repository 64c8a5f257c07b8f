#!/usr/bin/env bash
# fed_crl_rollback.sh — an older CRL cannot be swapped back in.  node4 is
# revoked and the new CRL distributed: every party refuses node4.  Then
# the previous CRL (genuinely signed by the CA, only older) is put back in
# place of the new one, as someone with write access to the CRL file
# could: every party keeps the newer CRL and logs one line saying so,
# node4 stays refused, and a query counts node1..node3 only.  Restarted
# with the old CRL, the coordinator and a node refuse to start: their
# state_dir/crl.mark remembers the newest CRL each accepted.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 4
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4
cp "$FED/pki/crl.pem" "$FED/crl-old.pem"
touch -d '1 minute ago' "$FED/crl-old.pem"

# Revoke node4 and distribute the CRL (rename: readers never see half).
"$CAIRN_BIN" ca revoke --dir "$FED/ca" node4 >/dev/null
cp "$FED/ca/crl.pem" "$FED/pki/crl.pem.new"
mv "$FED/pki/crl.pem.new" "$FED/pki/crl.pem"
fed_wait_log "$FED/coord.log" "reloaded CA .* (number 2)" 1
fed_wait_log "$FED/coord.log" "refused a message from 'node4': .*certificate revoked" 1
for i in 1 2 3; do
	fed_wait_log "$FED/node$i.log" "reloaded CA .* (number 2)" 1
done
[ -f "$FED/coordinator-state/crl.mark" ] ||
    fed_fail "the coordinator did not record the CRL it accepted"
grep -qx "number 2" "$FED/coordinator-state/crl.mark" ||
    fed_fail "crl.mark: $(cat "$FED/coordinator-state/crl.mark")"

# Roll the CRL back.  A new mtime makes every party look at it.
cp "$FED/crl-old.pem" "$FED/pki/crl.pem.new"
mv "$FED/pki/crl.pem.new" "$FED/pki/crl.pem"
touch "$FED/pki/crl.pem"
fed_wait_log "$FED/coord.log" "keeping the previous CRL: CRL .* is number 1 of .*, older than number 2 of .* already accepted" 1
for i in 1 2 3; do
	fed_wait_log "$FED/node$i.log" "keeping the previous CRL: CRL .* is number 1" 1
done
# node4 keeps knocking and keeps being refused (its refusals after the
# first are logged at debug level, one warning a minute per peer and
# kind): the query below counts node1..node3 only.
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
echo "$out"
[ "$(echo "$out" | fed_json_list contributed)" = "node1,node2,node3" ] ||
    fed_fail "contributors after the rollback: $out"
[ "$(echo "$out" | fed_json_rows)" = \
    "$(fed_rows 1 2 3), $(fed_rows 1 2 3), $(fed_sum 1 2 3)" ] ||
    fed_fail "sum after the rollback: $out"
# One line per change, not one per second.
sleep 2.2
n=$(grep -c "keeping the previous CRL" "$FED/coord.log")
[ "$n" = 1 ] || fed_fail "the coordinator logged the rollback $n times"
# (node4, never having seen CRL 2, may read CRL 1 again: nothing is lost.)
grep -q "reloaded CA .* (number 1)" "$FED"/coord.log "$FED"/node[123].log &&
    fed_fail "a party took the older CRL"

# Restarts: the mark in state_dir outlives the process.
kill -TERM "$FED_COORD_PID"
fed_wait_exit "$FED_COORD_PID"
[ "$FED_RC" = 0 ] || fed_fail "coordinator exited $FED_RC"
set +e
timeout 20 "$CAIRN_BIN" coordinator --config "$FED/coord.conf" \
    2>"$FED/coord2.log"
rc=$?
set -e
[ "$rc" = 1 ] || fed_fail "the coordinator started on an older CRL ($rc)"
[ "$(wc -l <"$FED/coord2.log")" = 1 ] ||
    fed_fail "restart refusal is not one line: $(cat "$FED/coord2.log")"
grep -q "error: CRL $FED/pki/crl.pem is number 1 of .*, older than number 2 of .* recorded in $FED/coordinator-state/crl.mark; an older CRL would un-revoke certificates: install the CA's current crl.pem" \
    "$FED/coord2.log" || fed_fail "restart refusal: $(cat "$FED/coord2.log")"
kill -TERM "$FED_NODE_PID_1"
fed_wait_exit "$FED_NODE_PID_1"
set +e
timeout 20 "$CAIRN_BIN" node --config "$FED/node1.conf" 2>"$FED/node1b.log"
rc=$?
set -e
[ "$rc" = 1 ] || fed_fail "node1 started on an older CRL ($rc)"
grep -q "older than number 2 of .* recorded in $FED/state/node1/crl.mark" \
    "$FED/node1b.log" || fed_fail "node1 restart: $(cat "$FED/node1b.log")"
# cairn node check says so too, and writes nothing.
if "$CAIRN_BIN" node check --config "$FED/node1.conf" >"$FED/check.out"; then
	fed_fail "node check accepted an older CRL: $(cat "$FED/check.out")"
fi
grep -q "^FAIL CRL .* older than number 2" "$FED/check.out" ||
    fed_fail "node check: $(cat "$FED/check.out")"

# With the current CRL back, both start again.
cp "$FED/ca/crl.pem" "$FED/pki/crl.pem"
fed_start_coord
fed_start_node 1
fed_wait_nodes 3
"$CAIRN_BIN" node check --config "$FED/node1.conf" >"$FED/check.out" ||
    fed_fail "node check: $(cat "$FED/check.out")"
fed_finish
echo "fed_crl_rollback: ok"
