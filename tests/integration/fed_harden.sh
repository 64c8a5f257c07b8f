#!/usr/bin/env bash
# fed_harden.sh — what nodes refuse whatever the coordinator says:
#   - a signed job they already ran (a coordinator replaying it, e.g. to
#     difference results over other node subsets): the job ledger in
#     state_dir survives restarts;
#   - a job signed to stay valid longer than max_job_lifetime_ms;
# and what leaves a node: an executor error quoting a row's value stays
# in the node's log; the researcher and the coordinator get a code and a
# generic reason.  A node serves only the coordinator its coordinator_name
# names.
# CAIRN_TEST_TIMEOUT: 150
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

fed_init 4
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_wait_nodes 4

restart_nodes() {
	local i p
	for i in 1 2 3 4; do
		eval "p=\$FED_NODE_PID_$i"
		kill -TERM "$p"
		fed_wait_exit "$p"
		[ "$FED_RC" = 0 ] || fed_fail "node$i exited $FED_RC"
		fed_start_node "$i"
	done
	fed_wait_nodes 4
}

q="SELECT region, count(*) FROM t GROUP BY region ORDER BY region"
job=00112233445566778899aabbccddeeff

# 1. A job runs once; offered again (same job id, here re-signed by the
# researcher; a coordinator would replay the signed bytes) it is refused,
# even after the nodes restart.
out=$(CAIRN_TEST_JOB_ID=$job fed_query --schema "$FED/schema.ini" \
    --format csv "$q" 2>&1) || fed_fail "first run: $out"
echo "$out"
for i in 1 2 3 4; do
	[ "$(wc -l <"$FED/state/node$i/jobs.ledger")" = 1 ] ||
	    fed_fail "node$i ledger: $(cat "$FED/state/node$i/jobs.ledger")"
	grep -qE "^$job( [0-9]+)?\$" "$FED/state/node$i/jobs.ledger" ||
	    fed_fail "node$i ledger lacks the job"
done
restart_nodes
if out=$(CAIRN_TEST_JOB_ID=$job fed_query --schema "$FED/schema.ini" \
    --format csv "$q" 2>&1); then
	fed_fail "a job ran twice: $out"
fi
echo "$out"
echo "$out" | grep -q "4 nodes refused the job (node.: job already ran here" ||
    fed_fail "replay refusal: $out"
fed_wait_log "$FED/node1.log" "refused: job already ran here" 1
# A new job still runs.
out=$(fed_query --schema "$FED/schema.ini" --format csv "$q" 2>&1) ||
    fed_fail "a fresh job after the replay: $out"

# 2. A value outside the column's domain: the executor's message says
# where the row is (and a message may quote values); only the node's log
# may hold it.
secret=zz_secret_value_42
for i in 1 2 3 4; do
	printf '99,5,%s,1.00\n' "$secret" >>"$FED/data/node$i.csv"
done
if out=$(fed_query --schema "$FED/schema.ini" --format csv "$q" 2>&1); then
	fed_fail "a query over a bad row ran: $out"
fi
echo "$out"
echo "$out" | grep -q "refused the job (node.: data error in dataset t; see the node's log)" ||
    fed_fail "data error text: $out"
if echo "$out" | grep -q "$secret"; then
	fed_fail "a data value reached the researcher: $out"
fi
if grep -q "$secret" "$FED/coord.log"; then
	fed_fail "a data value reached the coordinator's log"
fi
# The node's own log says where the bad row is.
fed_wait_log "$FED/node1.log" "node1.csv:[0-9]*: column 3 (region)" 1
if grep -q "node1.csv:[0-9]" "$FED/coord.log"; then
	fed_fail "the row's location reached the coordinator"
fi
for i in 1 2 3 4; do
	sed -i "/$secret/d" "$FED/data/node$i.csv"
done

# 3. Jobs valid longer than the nodes' max_job_lifetime_ms are refused
# (cairn query signs for timeout_ms + 60 s: 120 s here).
for i in 1 2 3 4; do
	sed -i '/^min_participants = 3$/a max_job_lifetime_ms = 60000' \
	    "$FED/node$i.conf"
done
restart_nodes
if out=$(fed_query --schema "$FED/schema.ini" --format csv "$q" 2>&1); then
	fed_fail "a job valid for 120 s ran under a 60 s cap: $out"
fi
echo "$out"
echo "$out" | grep -q "job valid for 120 s, policy allows 60 s" ||
    fed_fail "lifetime refusal: $out"

# 4. coordinator_name: a node serves only the coordinator it names (any
# coordinator certificate of the federation otherwise).
sed -i '/^max_job_lifetime_ms = 60000$/d' "$FED/node4.conf"
sed -i '/^state_dir = /a coordinator_name = coord-elsewhere' \
    "$FED/node4.conf"
sed -i '/^state_dir = /a coordinator_name = coord' "$FED/node3.conf"
for i in 3 4; do
	eval "p=\$FED_NODE_PID_$i"
	kill -TERM "$p"
	fed_wait_exit "$p"
	fed_start_node "$i"
done
# node4 refuses the coordinator's certificate in the TLS handshake.
fed_wait_log "$FED/node4.log" \
    "certificate of 'coord' refused: not the peer name accepted here" 1
fed_wait_nodes 3
grep -q "certificate of 'coord' refused" "$FED/node3.log" &&
    fed_fail "node3 refused the coordinator it names"
fed_status | grep -q "node4" && fed_fail "status lists node4"
fed_finish
echo "fed_harden: ok"
