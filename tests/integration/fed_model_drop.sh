#!/usr/bin/env bash
# fed_model_drop.sh — a node dies in round 2 of a logistic fit over four
# CSV nodes: the round completes with the three others (its mask key is
# revealed, t = 3), it is not offered the next round, and the fit goes on
# with the survivors.  The result lists it as dropped (with the round),
# and the model is the pooled fit of the survivors' rows
# (fed_model_ref.py, to 1e-6: the fit took another path to the same
# answer), never a mixture.  Before that, a node that refuses a fit (a
# column it does not expose) is listed as refused, and --strict exits 3.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
REF="$CAIRN_SRC/tests/integration/fed_model_ref.py"

fed_init 4
cat >"$FED/schema.ini" <<EOS
[federation]
min_cell = 1
max_nodes = 100

[dataset t]
max_rows = 100000

[column t.x1]
type = decimal
scale = 3
min = -5
max = 5

[column t.x2]
type = decimal
scale = 2
min = 0.1
max = 10

[column t.region]
type = category
domain = north, south, west

[column t.yb]
type = integer
min = 0
max = 1

[column t.cnt]
type = integer
min = 0
max = 50
EOS
python3 "$REF" gen "$FED" 300 350 400 450
sed -i 's/^expose = .*/expose = x1, x2, region, yb, cnt/' "$FED"/node*.conf
# node4 does not expose cnt: it refuses a fit that reads it.
sed -i 's/^expose = .*/expose = x1, x2, region, yb/' "$FED"/node4.conf
echo "schema = schema.ini" >>"$FED/alice.conf"
fed_start_coord
fed_start_node 1 CAIRN_TEST_DIE_AT=figures:masked-input
for i in 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4

# A node that refuses is accounted for like a query's: the one-round
# linear fit goes on with the three others and names it, with the
# category of its reason; --strict then exits 3.
rc=0
out=$(timeout 100 "$CAIRN_BIN" fit --config "$FED/alice.conf" --dataset t \
    --model linear --y cnt --x x1 --format json --strict 2>&1) || rc=$?
echo "$out"
[ "$rc" = 3 ] || fed_fail "fit --strict with a refusing node exited $rc: $out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
    fed_fail "the contributing nodes: $out"
echo "$out" | grep -q '"refused": \["node4"\], "refused_why": {"node4": "policy"}' ||
    fed_fail "the refusing node is not listed: $out"
echo "$out" | grep -q '"complete": false' || fed_fail "a partial fit is complete: $out"

out=$(timeout 100 "$CAIRN_BIN" fit --config "$FED/alice.conf" --dataset t \
    --model logistic --y yb --x x1 --x x2 --x "region = 'west'" \
    --format json 2>&1) || fed_fail "fit after a dropout: $out"
echo "$out"
echo "$out" | grep -q '"contributed": \["node2", "node3", "node4"\], "dropped": \["node1"\]' ||
    fed_fail "the dropped node is not listed: $out"
echo "$out" | grep -q '"dropped_in": {"node1": "model round 2 masked-input"}' ||
    fed_fail "the round the node dropped in: $out"
echo "$out" >"$FED/fit.json"
python3 "$REF" fit "logistic~" "$FED/data/node2.csv" "$FED/data/node3.csv" \
    "$FED/data/node4.csv" -- "$FED/fit.json" ||
    fed_fail "the fit is not the survivors' pooled fit"
fed_wait_log "$FED/node2.log" "model round 3 contributed" 1
fed_finish
echo "fed_model_drop: ok"
