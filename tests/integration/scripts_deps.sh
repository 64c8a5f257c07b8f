#!/usr/bin/env bash
# scripts_deps.sh — scripts/demo.sh installs and builds only what the demo
# needs (issue 12): its package list has no PostgreSQL server, clang or
# cmocka; a configuration with its flags (-DCAIRN_TESTS=OFF) never looks
# for cmocka and has no test targets; scripts/test.sh still installs
# every package, including those.
# CAIRN_TEST_TIMEOUT: 60
set -euo pipefail
: "${CAIRN_SRC:?}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# setup.sh's lists, as the scripts see them.
CAIRN_ROOT=$CAIRN_SRC
. "$CAIRN_SRC/scripts/setup.sh"
demo=" ${CAIRN_BUILD_PACKAGES[*]} "
all=" ${CAIRN_PACKAGES[*]} "
for p in postgresql clang libcmocka-dev sqlite3 lintian; do
	case $demo in *" $p "*) fail "demo installs $p" ;; esac
	case $all in *" $p "*) ;; *) fail "test.sh no longer installs $p" ;; esac
done
# demo.sh asks for the build list only; test.sh for everything.
grep -q '^cairn_install_deps "${CAIRN_BUILD_PACKAGES\[@\]}"$' \
    "$CAIRN_SRC/scripts/demo.sh" || fail "demo.sh installs another list"
grep -q '^cairn_install_deps$' "$CAIRN_SRC/scripts/test.sh" ||
    fail "test.sh does not install every package"
grep -q -- '-DCAIRN_TESTS=OFF' "$CAIRN_SRC/scripts/demo.sh" ||
    fail "demo.sh builds the tests"

# The demo's configuration never looks for cmocka and has no test.
cmake -S "$CAIRN_SRC" -B "$tmp/b" -DCAIRN_TESTS=OFF -DCAIRN_EXAMPLES=OFF \
    >"$tmp/log" 2>&1 || fail "configure: $(tail -5 "$tmp/log")"
! grep -qi cmocka "$tmp/b/CMakeCache.txt" || fail "the demo build looked for cmocka"
! grep -rqs "add_test" "$tmp/b/CTestTestfile.cmake" || fail "the demo build has tests"
# The control: the test build does look for cmocka.
cmake -S "$CAIRN_SRC" -B "$tmp/t" -DCAIRN_TESTS=ON >"$tmp/log" 2>&1 ||
    fail "test configure: $(tail -5 "$tmp/log")"
grep -qi cmocka "$tmp/t/CMakeCache.txt" || fail "control: no cmocka in the test build"
echo "scripts_deps: ok"
