#!/usr/bin/env bash
# fed_cells.sh — no small cell is released, on a real federation (issue 8,
# findings 4 and 5; coordinator and four node daemons, CSV data).
#
# The federation's minimum cell size is 3.  The data holds 40 rows without
# a wage and one person (west, female, 47) with a wage of 4321.00.
#  1. NULL padding: "count(*), sum(wage) WHERE wage IS NULL OR <that
#     person>" releases the 41 rows' count, never the person's wage; the
#     column-sum job follows the same rule.
#  2. An empty cell and a cell of 1 row look the same, byte for byte, in
#     the table, JSON and CSV answers (CSV's stderr note included), with
#     GROUP BY and without.
#  3. node3's policy min_cell is 8: it takes part instead of refusing,
#     and its rows are left out of exactly the cells whose counts are
#     below 8 (the answer is checked against the pooled rows with that
#     rule applied).
#  4. max_nodes: a coordinator whose schema allows 3 nodes refuses to run
#     a job over 4 with a clear error; nodes whose schema allows 3 refuse
#     an offer to 4 nodes (column sum) and a plan sized for 100 (query).
#  5. node4 drops out between the passes: the figures come from the other
#     nodes, and the answer says node4 was counted but is not in them.
# CAIRN_TEST_TIMEOUT: 240
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_T=230
fed_init 4

# ---------------------------------------------------------------------
# Schema, data and configuration.
write_schema() {	# write_schema FILE MAX_NODES
	cat >"$1" <<EOS
[federation]
min_cell = 3
max_nodes = $2

[dataset cps]
max_rows = 100000

[column cps.region]
type = category
domain = north, south, east, west

[column cps.sex]
type = category
domain = female, male

[column cps.age]
type = integer
min = 16
max = 99

[column cps.wage]
type = decimal
scale = 2
min = 0
max = 9999.99
nullable = true
EOS
}
write_schema "$FED/schema.ini" 100
write_schema "$FED/schema3.ini" 3
write_schema "$FED/schema4.ini" 4

# node_conf I MIN_CELL SCHEMA
node_conf() {
	cat >"$FED/node$1.conf" <<EOC
[node]
name = node$1
coordinator = $FED_URL
key = pki/node$1.key
cert = pki/node$1.crt
ca_cert = pki/ca.crt
crl = pki/crl.pem
state_dir = state/node$1
schema = $3
reconnect_min_ms = 50
reconnect_max_ms = 1000
heartbeat_ms = 1000

[policy]
researchers = alice
min_cell = $2
min_participants = 3

[dataset cps]
kind = csv
path = data/cps$1.csv
expose = region, sex, age, wage

[dataset tiny]
kind = csv
path = data/tiny$1.csv
expose = v
EOC
}

# Rows: node,region,sex,age,wage_cents (empty: NULL) in pool.csv.
{
	# 40 rows without a wage, ages 21..29 and 31 (never 30, 47, 60+)
	for k in 1 2 3 4; do
		for i in 0 1 2 3 4 5 6 7 8 9; do
			r=$([ $((i % 2)) = 0 ] && echo north || echo south)
			s=$([ $(((i + k) % 2)) = 0 ] && echo female || echo male)
			a=$((i < 9 ? 21 + i : 31))
			echo "$k,$r,$s,$a,"
		done
	done
	# the one person aged 47
	echo "2,west,female,47,432100"
	# aged 30, with wages: 4 north (nodes 1, 2), 4 south (nodes 3, 4)
	for k in 1 2; do for j in 1 2; do
		echo "$k,north,male,30,$((100000 + 1000 * k + j))"; done; done
	for k in 3 4; do for j in 1 2; do
		echo "$k,south,female,30,$((200000 + 1000 * k + j))"; done; done
	# aged 60 and over, with wages, per node and region:
	#   north 4 4 3 2, south 2 2 2 0, east 1 1 2 0, west 0 0 0 3
	per() {	# per NODE REGION COUNT
		local j
		for ((j = 1; j <= $3; j++)); do
			echo "$1,$2,male,$((60 + j)),$((300000 + 10000 * $1 + 100 * j + ${#2}))"
		done
	}
	per 1 north 4; per 2 north 4; per 3 north 3; per 4 north 2
	per 1 south 2; per 2 south 2; per 3 south 2
	per 1 east 1; per 2 east 1; per 3 east 2
	per 4 west 3
} >"$FED/pool.csv"
for k in 1 2 3 4; do
	awk -F, -v k="$k" 'BEGIN { print "region,sex,age,wage" }
	    $1 == k { w = $5 == "" ? "" : sprintf("%d.%02d", $5 / 100, $5 % 100)
	              printf "%s,%s,%s,%s\n", $2, $3, $4, w }' \
	    "$FED/pool.csv" >"$FED/data/cps$k.csv"
	# tiny: one row in the whole federation, at node1
	{ echo "v"; [ "$k" = 1 ] && echo "77"; } >"$FED/data/tiny$k.csv"
	node_conf "$k" 1 schema.ini
done

fed_start_coord
for k in 1 2 3 4; do fed_start_node "$k"; done
fed_wait_nodes 4

q() { fed_query --schema "$FED/schema.ini" "$@"; }

# restart_node I [VAR=VAL]: stop node I and start it again (new config).
restart_node() {
	local i=$1 p n
	shift
	eval "p=\$FED_NODE_PID_$i"
	if kill -0 "$p" 2>/dev/null; then
		kill -TERM "$p"
		fed_wait_exit "$p"
		[ "$FED_RC" = 0 ] || fed_fail "node$i exited $FED_RC on SIGTERM"
	fi
	n=$(grep -c "connected to coordinator" "$FED/node$i.log" || true)
	fed_start_node "$i" "$@"
	fed_wait_log "$FED/node$i.log" "connected to coordinator" $((n + 1))
}
restart_coord() {	# restart_coord SCHEMA
	sed -i "s|^schema = .*|schema = $1|" "$FED/coord.conf"
	kill -TERM "$FED_COORD_PID"
	fed_wait_exit "$FED_COORD_PID"
	[ "$FED_RC" = 0 ] || fed_fail "coordinator exited $FED_RC on SIGTERM"
	fed_start_coord
	fed_wait_nodes 4
}

# ---------------------------------------------------------------------
# 1. NULL padding (finding 4).
PAD="SELECT count(*), sum(wage), avg(wage), count(wage) FROM cps
    WHERE wage IS NULL OR (region = 'west' AND sex = 'female' AND age = 47)"
for fmt in table json csv; do
	out=$(q --format "$fmt" "$PAD" 2>&1) || fed_fail "padding query ($fmt): $out"
	echo "$out"
	! echo "$out" | grep -q "4321" ||
	    fed_fail "the padded group released the person's wage ($fmt): $out"
done
out=$(q --format json "$PAD") || fed_fail "padding query"
echo "$out" | grep -q '"rows": \[\[41, null, null, null\]\], "suppressed": \[\[false, true, true, true\]\]' ||
    fed_fail "the padded group: want 41 rows shown, the wage suppressed: $out"

# The column sum follows the same rule: one value in the federation.
out=$(fed_query --format json --dataset tiny --sum v) ||
    fed_fail "column sum over one row: $out"
echo "$out"
echo "$out" | grep -q '"rows": \[\[null, null, null\]\]' ||
    fed_fail "a column sum over one row is released: $out"
! echo "$out" | grep -q "77" || fed_fail "the one value leaked: $out"
out=$(fed_query --format csv --dataset cps --sum wage | tr -d '\r') ||
    fed_fail "column sum of wage"
[ "$(echo "$out" | tail -n 1 | cut -d, -f1,2)" = "75,35" ] ||
    fed_fail "column sum of wage: want 75 rows, 35 wages: $out"

# ---------------------------------------------------------------------
# 2. An empty cell and a small one look alike (finding 4's oracle).
same() {	# same NAME SQL_EMPTY SQL_SMALL
	local fmt a b
	for fmt in table json csv; do
		a=$(q --format "$fmt" "$2" 2>&1) || fed_fail "$1 ($fmt): $a"
		b=$(q --format "$fmt" "$3" 2>&1) || fed_fail "$1 ($fmt): $b"
		[ "$a" = "$b" ] ||
		    fed_fail "$1: empty and small differ ($fmt):\n$a\n---\n$b"
	done
	echo "$1: identical in table, json, csv:"
	echo "$b"
}
same "no GROUP BY" \
    "SELECT count(*), sum(wage) FROM cps WHERE age = 98" \
    "SELECT count(*), sum(wage) FROM cps WHERE age = 47"
same "GROUP BY" \
    "SELECT region, count(*), sum(wage) FROM cps WHERE age = 30 OR age = 98 GROUP BY region ORDER BY region" \
    "SELECT region, count(*), sum(wage) FROM cps WHERE age = 30 OR age = 47 GROUP BY region ORDER BY region"
out=$(q --format csv "SELECT count(*) FROM cps WHERE age = 47" 2>&1 >/dev/null)
echo "$out" | grep -q "1 cell and 0 groups suppressed" ||
    fed_fail "CSV does not say on stderr what was suppressed: $out"

# ---------------------------------------------------------------------
# 3. node3's own min_cell is 8: it contributes, withholding its rows from
# the cells whose counts are below 8.
node_conf 3 8 schema.ini
restart_node 3
OLD="SELECT region, count(*), count(wage), sum(wage) FROM cps WHERE age >= 60
    GROUP BY region ORDER BY region"
# The pooled answer with the rule applied: per region, node3's rows count
# when the region has at least 8, everyone's when it has at least 3; the
# region shows when what remains has at least 3.  $1 = nodes in pass 2.
expect_old() {
	awk -F, -v in2="$1" '
	    $4 >= 60 { n[$2]++; c[$2 "," $1]++; s[$2 "," $1] += $5 }
	    END {
		split("east north south west", rs, " ")
		for (i = 1; i <= 4; i++) {
			r = rs[i]; cnt = 0; sum = 0
			for (k = 1; k <= 4; k++) {
				if (index(in2, k) == 0) continue
				if (k == 3 && n[r] < 8) continue
				cnt += c[r "," k]; sum += s[r "," k]
			}
			if (cnt >= 3)
				printf "%s,%d,%d,%d.%02d\n", r, cnt, cnt,
				    sum / 100, sum % 100
		}
	    }' "$FED/pool.csv"
}
want=$(expect_old 1234)
got=$(q --format csv "$OLD" | tr -d '\r' | tail -n +2) ||
    fed_fail "query with a stricter node"
echo "$got"
[ "$got" = "$want" ] ||
    fed_fail "stricter node3:\n$got\nwant (node3 out of the cells under 8):\n$want"
echo "$got" | grep -q "^north,13," ||
    fed_fail "node3 did not take part in north (13 rows): $got"
fed_wait_log "$FED/node3.log" "cells withheld below min_cell 8" 1
! grep -q "refused" "$FED/node3.log" || fed_fail "node3 refused a job"

# ---------------------------------------------------------------------
# 4. max_nodes.  The coordinator's schema allows 3 nodes; 4 are connected.
restart_coord schema3.ini
if out=$(fed_query --schema "$FED/schema3.ini" --format csv \
    "SELECT count(*) FROM cps" 2>&1); then
	fed_fail "a session over more nodes than max_nodes ran: $out"
fi
echo "$out"
[ "$(echo "$out" | wc -l)" = 1 ] || fed_fail "error is not one line: $out"
echo "$out" | grep -q "4 nodes are connected, the federation schema allows at most 3 (max_nodes sizes the ring width)" ||
    fed_fail "refusal does not explain max_nodes: $out"
# The nodes' schema allows 3, the coordinator's 100: an offer to 4 nodes
# is refused before anything is computed.
restart_coord schema.ini
for k in 1 2 3 4; do node_conf "$k" 1 schema3.ini; restart_node "$k"; done
if out=$(fed_query --dataset cps --sum wage 2>&1); then
	fed_fail "nodes took part in a roster above their max_nodes: $out"
fi
echo "$out"
echo "$out" | grep -q "4 nodes refused the job (node.: 4 nodes offered, the federation schema allows at most 3 (max_nodes sizes the ring width))" ||
    fed_fail "nodes did not refuse 4 nodes with max_nodes 3: $out"
# The nodes' schema allows 4: a plan sized for 100 has another ring
# width than theirs and is refused.
for k in 1 2 3 4; do node_conf "$k" 1 schema4.ini; restart_node "$k"; done
if out=$(q --format csv "SELECT count(*) FROM cps" 2>&1); then
	fed_fail "nodes ran a plan sized for another max_nodes: $out"
fi
echo "$out"
echo "$out" | grep -q "plan's max_nodes 100 differs from the node's schema (4)" ||
    fed_fail "nodes did not refuse a plan sized for 100 nodes: $out"
for k in 1 2 4; do node_conf "$k" 1 schema.ini; restart_node "$k"; done
node_conf 3 8 schema.ini

# ---------------------------------------------------------------------
# 5. node4 drops out between the passes (it dies on receiving the cells
# of pass 2): the figures are the other nodes' rows only, and say so.
restart_node 3
restart_node 4 CAIRN_TEST_DIE_AT=figures:advertise
out=$(q --format json "$OLD") || fed_fail "query with a drop between passes"
echo "$out"
echo "$out" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
    fed_fail "contributors after node4 dropped: $out"
echo "$out" | grep -q '"dropped_between_passes": \["node4"\]' ||
    fed_fail "node4 is not reported as dropped between the passes: $out"
fed_wait_log "$FED/node4.log" "dying at figures:advertise" 1
restart_node 4 CAIRN_TEST_DIE_AT=figures:advertise
got=$(q --format csv "$OLD" 2>"$FED/q.err" | tr -d '\r' | tail -n +2) ||
    fed_fail "csv query with a drop between passes"
want=$(expect_old 123)
[ "$got" = "$want" ] ||
    fed_fail "figures after node4 dropped:\n$got\nwant (nodes 1-3):\n$want"
grep -q "dropped between the passes (1): node4; the figures come from the second pass's nodes only" \
    "$FED/q.err" || fed_fail "csv: no word of node4: $(cat "$FED/q.err")"

fed_finish
echo "fed_cells: ok"
