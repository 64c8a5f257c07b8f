#!/usr/bin/env bash
# scripts/test.sh — install what is missing, build the release and the
# sanitizer (ASan + UBSan) configurations, and run the whole CTest suite in
# both.  Exits non-zero on any failure; the output ends with CTest's summary.
#
#   scripts/test.sh                 everything
#   CAIRN_CTEST_ARGS="-L unit" scripts/test.sh    a subset
set -euo pipefail
CAIRN_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$CAIRN_ROOT"
. scripts/setup.sh

cairn_install_deps
jobs=$(nproc)

echo "== build: sanitizers (address,undefined) -> build-asan/"
cairn_build build-asan -DCMAKE_BUILD_TYPE=Debug -DCAIRN_WERROR=ON \
	-DCAIRN_TESTS=ON -DCAIRN_EXAMPLES=ON \
	-DCAIRN_SANITIZER=address,undefined
echo "== build: release -> build/"
cairn_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_WERROR=ON \
	-DCAIRN_TESTS=ON -DCAIRN_EXAMPLES=ON

status=0
echo "== tests: sanitizer build"
# shellcheck disable=SC2086
ctest --test-dir build-asan --output-on-failure -j "$jobs" \
	-LE bench ${CAIRN_CTEST_ARGS:-} || status=1
echo "== tests: release build"
# shellcheck disable=SC2086
ctest --test-dir build --output-on-failure -j "$jobs" \
	${CAIRN_CTEST_ARGS:-} || status=1
exit $status
