#!/usr/bin/env bash
# fed_dup_identity.sh — a second daemon with node1's identity (its own
# state_dir, so the state_dir lock does not stop it; as after a copied
# configuration, or a restart whose clock stepped back) connects, then
# stops: the coordinator's replay guard keeps counters per connection, so
# the original node1 is never refused as "replayed" and the next query
# counts it (issue 12: a duplicate daemon locked the original out).
# CAIRN_TEST_TIMEOUT: 90
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 3
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

# The duplicate starts later: its sequence numbers are higher.
sed 's|^state_dir = .*|state_dir = state/node1-dup|' "$FED/node1.conf" \
    >"$FED/node1dup.conf"
timeout -s KILL 60 "$CAIRN_BIN" node --config "$FED/node1dup.conf" \
    2>"$FED/node1dup.log" &
dup=$!
FED_PIDS+=($dup)
fed_wait_log "$FED/node1dup.log" "connected to coordinator" 1
sleep 1.5
kill -TERM "$dup"
fed_wait_exit "$dup"
n=$(grep -c "from 'node1': replayed" "$FED/coord.log" || true)
# Heartbeats (heartbeat_ms 1000) of the original keep coming: none refused.
sleep 3
m=$(grep -c "from 'node1': replayed" "$FED/coord.log" || true)
grep -i "node1" "$FED/coord.log" | tail -n 5
[ "$m" = 0 ] || fed_fail "the coordinator refused node1 as replayed ($n, then $m)"
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
echo "$out"
[ "$(echo "$out" | fed_json_list contributed)" = "node1,node2,node3" ] ||
    fed_fail "node1 not counted after the duplicate stopped: $out"
fed_finish
echo "fed_dup_identity: ok"
