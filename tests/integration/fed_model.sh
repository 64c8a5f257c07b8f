#!/usr/bin/env bash
# fed_model.sh — `cairn fit` end to end on a federation of a CSV node, a
# SQLite node and a PostgreSQL node (a second CSV node when PostgreSQL is
# not installed): linear (with a filter), logistic, Poisson and k-means
# fits equal the same fits computed here on the pooled rows, in double
# precision, by fed_model_ref.py (its own normal equations, IRLS and Lloyd
# rounds, standard library only), to 1e-8 relative.  A feature whose bounds
# cannot be derived is refused by the researcher's client; a column the
# nodes do not expose is refused by the nodes.
# CAIRN_TEST_TIMEOUT: 150
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
. "$CAIRN_SRC/tests/harness/pg_server.sh"
REF="$CAIRN_SRC/tests/integration/fed_model_ref.py"

PG=1
rc=0
pg_server_start || rc=$?
if [ "$rc" = 2 ]; then
	echo "note: no PostgreSQL ($PG_SERVER_SKIP): node3 reads CSV"
	PG=0
elif [ "$rc" != 0 ]; then
	echo "FAIL: could not start PostgreSQL" >&2
	exit 1
fi
fed_init 3
trap 'fed_cleanup; [ "$PG" = 0 ] || pg_server_stop' EXIT

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

[column t.yl]
type = decimal
scale = 3
min = -100
max = 100

[column t.secret]
type = integer
min = 0
max = 9
EOS
python3 "$REF" gen "$FED" 300 400 500
sed -i 's/^expose = .*/expose = x1, x2, region, yb, cnt, yl/' "$FED"/node*.conf

# node2: the same rows in SQLite.
python3 - "$FED" <<'EOP'
import csv, sqlite3, sys
d = sys.argv[1]
db = sqlite3.connect(f"{d}/data/node2.db")
db.execute("CREATE TABLE t (x1 REAL, x2 REAL, region TEXT, yb INTEGER, cnt INTEGER, yl REAL, secret INTEGER)")
with open(f"{d}/data/node2.csv") as f:
    r = csv.reader(f)
    next(r)
    db.executemany("INSERT INTO t VALUES (?,?,?,?,?,?,?)", list(r))
db.commit()
EOP
sed -i -e 's|^kind = csv$|kind = sqlite|' -e 's|^path = data/node2.csv$|path = data/node2.db\ntable = t|' "$FED/node2.conf"
if [ "$PG" = 1 ]; then
	timeout 60 psql -q -v ON_ERROR_STOP=1 "$CAIRN_PG_CONNINFO" \
	    -c "CREATE TABLE t_model (x1 numeric(8,3), x2 numeric(6,2), region text, yb int, cnt int, yl numeric(10,3), secret int);" \
	    -c "\\copy t_model FROM '$FED/data/node3.csv' WITH (FORMAT csv, HEADER true)" ||
	    fed_fail "loading PostgreSQL"
	sed -i -e '/^kind = csv$/d' -e '/^path = data\/node3.csv$/d' "$FED/node3.conf"
	sed -i "/^\[dataset t\]\$/a kind = postgres\\
conninfo = $CAIRN_PG_CONNINFO\\
table = t_model" "$FED/node3.conf"
fi
echo "schema = schema.ini" >>"$FED/alice.conf"

fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

CSVS=("$FED/data/node1.csv" "$FED/data/node2.csv" "$FED/data/node3.csv")
fit() {
	timeout 120 "$CAIRN_BIN" fit --config "$FED/alice.conf" --dataset t "$@"
}
check() {
	local kind=$1
	shift
	out=$(fit --model "$kind" --format json "$@" 2>&1) ||
	    fed_fail "$kind fit: $out"
	echo "$out"
	echo "$out" >"$FED/$kind.json"
	echo "$out" | grep -q '"contributed": \["node1", "node2", "node3"\], "dropped": \[\]' ||
	    fed_fail "$kind nodes: $out"
}

check linear --y yl --x x1 --x "ln(x2)" --x "region = 'west'" \
    --where "x2 >= 0.5"
python3 "$REF" fit linear "${CSVS[@]}" -- "$FED/linear.json" ||
    fed_fail "linear differs from the pooled fit"
out=$(fit --model linear --format json --y yl --x x1 --x "ln(x2)" \
    --x "region = 'west'" --where "x2 >= 0.5" --no-intercept) ||
    fed_fail "no-intercept fit: $out"
echo "$out" >"$FED/linear0.json"
echo "$out" | grep -q '"terms":\["x1",' || fed_fail "no-intercept terms: $out"
python3 "$REF" fit linear0 "${CSVS[@]}" -- "$FED/linear0.json" ||
    fed_fail "linear without intercept differs from the pooled fit"
out=$(fit --model linear --format json --y yl --x x1 --x "ln(x2)" \
    --x "region = 'west'" --where "x2 >= 0.5" --l2 2.5) ||
    fed_fail "ridge fit: $out"
echo "$out" >"$FED/ridge.json"
python3 "$REF" fit ridge "${CSVS[@]}" -- "$FED/ridge.json" ||
    fed_fail "ridge differs from the pooled fit"
check logistic --y yb --x x1 --x x2 --x "region = 'west'"
python3 "$REF" fit logistic "${CSVS[@]}" -- "$FED/logistic.json" ||
    fed_fail "logistic differs from the pooled fit"
check poisson --y cnt --x x1 --x "x2 * x2 / 10" \
    --x "CASE WHEN x1 > 0 THEN 1 ELSE 0 END"
python3 "$REF" fit poisson "${CSVS[@]}" -- "$FED/poisson.json" ||
    fed_fail "poisson differs from the pooled fit"
init="-3,2;0,5;3,8"
check kmeans --x x1 --x x2 --k 3 --init "$init" --max-iter 100
python3 "$REF" fit kmeans "${CSVS[@]}" -- "$FED/kmeans.json" "$init" ||
    fed_fail "kmeans differs from the pooled fit"

# The table format: a coefficient table and the nodes.
out=$(fit --model logistic --y yb --x x1 --x x2) || fed_fail "table: $out"
echo "$out"
echo "$out" | grep -q "^(Intercept) " || fed_fail "table rows: $out"
echo "$out" | grep -q "^contributed (3): node1, node2, node3" ||
    fed_fail "table nodes: $out"

# A feature whose bounds cannot be derived: x1 reaches 0 and below.
if out=$(fit --model linear --y yl --x "ln(x1)" 2>&1); then
	fed_fail "ln of a range reaching 0 was fitted: $out"
fi
echo "$out"
echo "$out" | grep -q "expression 'ln(x1)': ln of a range \[-5, 5\] that reaches 0 or below" ||
    fed_fail "bad expression message: $out"
# An unknown column, and a singular design (named by its term).
if out=$(fit --model linear --y yl --x nosuch 2>&1); then
	fed_fail "an unknown column was fitted: $out"
fi
echo "$out" | grep -q "expression 'nosuch': no column 'nosuch' in dataset t" ||
    fed_fail "unknown column: $out"
if out=$(fit --model linear --y yl --x x1 --x "2 * x1" 2>&1); then
	fed_fail "a singular design was fitted: $out"
fi
echo "$out"
echo "$out" | grep -q "singular design: term '2 \* x1' is collinear" ||
    fed_fail "singular design: $out"
# A column the nodes do not expose: every node refuses the job.
if out=$(fit --model linear --y yl --x x1 --x secret 2>&1); then
	fed_fail "a fit over an unexposed column ran: $out"
fi
echo "$out"
echo "$out" | grep -q "3 nodes refused the job (node.: column 'secret' not exposed)" ||
    fed_fail "unexposed column message: $out"
# A response that is not 0/1 for a logistic fit.
if out=$(fit --model logistic --y cnt --x x1 2>&1); then
	fed_fail "a logistic fit of a count ran: $out"
fi
echo "$out" | grep -q "must be 0 or 1" || fed_fail "non-binary: $out"
# A centre no row is nearest to (or k beyond the rows): refused, not a
# cluster of nothing.
if out=$(fit --model kmeans --x x1 --x x2 --k 2 --init "0,5;100,100" 2>&1); then
	fed_fail "an empty cluster was released: $out"
fi
echo "$out"
echo "$out" | grep -q "cluster 2 has 0 rows in round 1" || fed_fail "empty cluster: $out"
# A node that dies in round 2 of a fit: with 3 nodes the round cannot
# complete, and the fit stops with the reason instead of a model from
# fewer rows.
eval "p=\$FED_NODE_PID_1"
kill -TERM "$p"
fed_wait_exit "$p"
fed_start_node 1 CAIRN_TEST_DIE_AT=figures:masked-input
fed_wait_nodes 3
if out=$(fit --model logistic --y yb --x x1 --x x2 2>&1); then
	fed_fail "a fit went on without a node: $out"
fi
echo "$out"
echo "$out" | grep -q "needed 3, answered 2" || fed_fail "dropout: $out"
fed_wait_log "$FED/node2.log" "model round 1 contributed" 1
fed_finish
echo "fed_model: ok"
