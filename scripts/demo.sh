#!/usr/bin/env bash
# scripts/demo.sh — install what is missing, build, and run `cairn demo`:
# a coordinator and three node daemons on this machine answering queries
# over the sample data in examples/ under secure aggregation.
set -euo pipefail
CAIRN_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$CAIRN_ROOT"
. scripts/setup.sh

# Only what the program needs: no test suite (no cmocka, PostgreSQL
# server or clang), no example programs, and only the cairn target.
cairn_install_deps "${CAIRN_BUILD_PACKAGES[@]}"
cmake -S "$CAIRN_ROOT" -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCAIRN_TESTS=OFF -DCAIRN_EXAMPLES=OFF >/dev/null
cmake --build build -j "$(nproc)" --target cairn_cli
exec build/bin/cairn demo "$@"
