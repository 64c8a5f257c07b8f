#!/usr/bin/env bash
# fed_code_pg.sh — approved code over a PostgreSQL source, against a real
# throwaway server: node2 serves its rows from a PostgreSQL table (its own
# column names, mapped), node1 and node3 from CSV files, all in the same
# job.  The WHERE runs inside PostgreSQL and the rows reach the program
# through a cursor, 10,000 at a time (node2 has 25,000 matching-or-not
# rows, so several batches); NULLs, negative decimals and categories come
# through as from CSV.  The federated answer equals the same program run
# in one process on the pooled rows, and the row count equals awk's over
# those rows.  Skips without the PostgreSQL server binaries.
# CAIRN_TEST_TIMEOUT: 200
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
. "$CAIRN_SRC/tests/harness/pg_server.sh"

rc=0
pg_server_start || rc=$?
if [ "$rc" = 2 ]; then
	echo "SKIP: $PG_SERVER_SKIP"
	exit 0
elif [ "$rc" != 0 ]; then
	echo "FAIL: could not start PostgreSQL" >&2
	exit 1
fi
fed_init 3
trap 'fed_cleanup; pg_server_stop' EXIT

cat >"$FED/schema.ini" <<'EOS'
[federation]
min_cell = 1
max_nodes = 100

[dataset t]
max_rows = 100000

[column t.id]
type = integer
min = 0
max = 1000000

[column t.x]
type = decimal
scale = 2
min = -100
max = 100
nullable = true

[column t.g]
type = category
domain = a, b, c
nullable = true
EOS
# Row i: x = ((i * 37) mod 2001 - 1000) / 100, NULL when i is a multiple
# of 10; g = a, b, c by i mod 3, NULL for multiples of 13.
rows() {
	awk -v a="$1" -v b="$2" 'BEGIN {
	    for (i = a; i <= b; i++) {
		v = (i * 37) % 2001 - 1000; m = v < 0 ? -v : v
		x = i % 10 == 0 ? "" : sprintf("%s%d.%02d", v < 0 ? "-" : "",
		    int(m / 100), m % 100)
		g = i % 13 == 0 ? "" : substr("abc", i % 3 + 1, 1)
		print i "," x "," g
	    } }'
}
{ echo "id,x,g"; rows 1 3000; } >"$FED/data/node1.csv"
{ echo "id,x,g"; rows 28001 30000; } >"$FED/data/node3.csv"
{ echo "id,x,g"; rows 1 30000; } >"$FED/all.csv"
timeout 60 psql -q -v ON_ERROR_STOP=1 "$CAIRN_PG_CONNINFO" \
    -c "CREATE TABLE survey (id int, amount numeric(8,2), grp text);" \
    -c "INSERT INTO survey SELECT i, CASE WHEN i % 10 = 0 THEN NULL
        ELSE ((i * 37) % 2001 - 1000) / 100.0 END,
        CASE WHEN i % 13 = 0 THEN NULL ELSE substr('abc', i % 3 + 1, 1) END
        FROM generate_series(3001, 28000) i;" ||
    fed_fail "creating the PostgreSQL table"

cat >"$FED/prog.lua" <<'EOF'
-- Rows, the sum and count of x, the sum of ids, the rows per category and
-- the rows without one.
function node(data, params)
  local s, nx, ids, nulg = 0, 0, 0, 0
  local cnt = {a = 0, b = 0, c = 0}
  for i = 1, data.rows do
    local x, g = data.cols.x[i], data.cols.g[i]
    if x then s = s + x; nx = nx + 1 end
    ids = ids + data.cols.id[i]
    if g then cnt[g] = cnt[g] + 1 else nulg = nulg + 1 end
  end
  return {data.rows, s, nx, ids, cnt.a, cnt.b, cnt.c, nulg}
end
EOF
hash=$("$CAIRN_BIN" code hash "$FED/prog.lua" | cut -d' ' -f1)
for i in 1 2 3; do
	sed -i -e 's/^expose = .*/expose = id, x, g/' \
	    -e "/^min_participants = 3\$/a approved_code = $hash" \
	    "$FED/node$i.conf"
done
sed -i -e '/^kind = csv$/d' -e '/^path = /d' "$FED/node2.conf"
sed -i "/^\[dataset t\]\$/a kind = postgres\\
conninfo = $CAIRN_PG_CONNINFO\\
table = survey\\
column.x = amount\\
column.g = grp" "$FED/node2.conf"
"$CAIRN_BIN" node check --config "$FED/node2.conf" ||
    fed_fail "node2's PostgreSQL source does not check"

fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

decl=(--dataset t --code "$FED/prog.lua" --output-len 8 --lo -1e9 --hi 1e9
    --scale 2)
result_of() { sed -e 's/, "contributed": \[[^]]*\]//'; }
check() {  # check NAME WANT_ROWS ARGS...
	local name=$1 want=$2 fed loc
	shift 2
	fed=$(timeout 120 "$CAIRN_BIN" run --config "$FED/alice.conf" \
	    "${decl[@]}" "$@") || fed_fail "$name: cairn run failed: $fed"
	loc=$("$CAIRN_BIN" code run-local --schema "$FED/schema.ini" \
	    --data "$FED/all.csv" "${decl[@]}" "$@") ||
	    fed_fail "$name: run-local failed: $loc"
	echo "$name fed:   $fed"
	echo "$name local: $loc"
	echo "$fed" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
	    fed_fail "$name: not every node contributed"
	[ "$(echo "$fed" | result_of)" = "$(echo "$loc" | result_of)" ] ||
	    fed_fail "$name: the federation and the pooled rows differ"
	echo "$fed" | grep -q "\"aggregate\": \\[$want, " ||
	    fed_fail "$name: want $want rows"
}
check all 30000
# The WHERE runs in the database: ids from 100, categories a and b.
want=$(tail -n +2 "$FED/all.csv" | awk -F, '$1 >= 100 && ($3 == "a" ||
    $3 == "b")' | wc -l)
check where "$want" --where "id >= 100 AND (g = 'a' OR g = 'b')"
# node2's program saw its 25,000 rows (three cursor batches) first.
grep -q "code $hash round 1: 25000 rows, " "$FED/node2.log" ||
    fed_fail "node2 did not run the program over its 25000 rows"
fed_finish
echo "fed_code_pg: ok"
