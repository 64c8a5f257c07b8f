#!/usr/bin/env bash
# scripts/pkg_deb.sh [BUILD_DIR [OUT_DIR]] — build the Debian package
# cairn_VERSION_amd64.deb in OUT_DIR (default BUILD_DIR, default build/):
# configure (a release build unless BUILD_DIR is already configured),
# build the program and the compressed manual pages, and run
# 'cpack -G DEB'.  Prints the package's path.
# README "Install as a Debian package".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
out=${2:-$build}

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DCAIRN_TESTS=OFF >/dev/null
elif [ ! -f "$build/CPackConfig.cmake" ]; then
	# Configured before the packaging rules existed.
	cmake "$build" >/dev/null
fi
cmake --build "$build" -j "$(nproc)" --target cairn_cli cairn_pkgdocs >&2
mkdir -p "$out"
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$out" >/dev/null
ls "$out"/cairn_*_*.deb
