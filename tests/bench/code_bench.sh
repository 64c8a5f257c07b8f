#!/usr/bin/env bash
# code_bench.sh — approved code against the native CSV executor, in the
# same run: the sums of two columns over 1,000,000 generated rows
# (tests/bench/code_bench.c; the goal is at most 10x the native time).
# Usage: tests/bench/code_bench.sh [BUILD_DIR] [ROWS] [RUNS]
# Prints both times, rows per second and the ratio; never fails on timing.
set -euo pipefail
build=${1:-build}
bin=$build/bin/bench_code_bench
if [ ! -x "$bin" ]; then
	cmake --build "$build" -j2 --target bench_code_bench >/dev/null
fi
"$bin" "${2:-1000000}" "${3:-5}"
