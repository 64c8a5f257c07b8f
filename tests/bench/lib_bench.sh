# lib_bench.sh — shared by the SQL benchmarks (sourced, not run).
# bench_schema FILE ROWS: the benchmark federation's schema, one dataset
# "bench" (grp category of ten, age integer, wage decimal; max_rows ROWS).
bench_schema() {
	cat >"$1" <<EOS
[federation]
min_cell = 1
max_nodes = 100

[dataset bench]
max_rows = $2

[column bench.grp]
type = category
domain = g0, g1, g2, g3, g4, g5, g6, g7, g8, g9

[column bench.age]
type = integer
min = 16
max = 90
nullable = true

[column bench.wage]
type = decimal
scale = 2
min = 0
max = 100000.00
nullable = true
EOS
}
