#!/usr/bin/env bash
# scripts/pkg_deb.sh [BUILD_DIR] — build the Debian package
# cairn_VERSION_amd64.deb in BUILD_DIR (default build/): configure (a
# release build unless BUILD_DIR is already configured), build the
# program and the compressed manual pages, and run 'cpack -G DEB'.
# README "Install as a Debian package".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCAIRN_TESTS=OFF >/dev/null
else
	cmake "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target cairn_cli cairn_pkgdocs
(cd "$build" && cpack -G DEB -C RelWithDebInfo >/dev/null)
deb=$(ls "$build"/cairn_*_*.deb)
echo "$deb"
