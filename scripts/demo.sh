#!/usr/bin/env bash
# scripts/demo.sh — install what is missing, build, and run `cairn demo`:
# a coordinator and three node daemons on this machine answering queries
# over the sample data in examples/ under secure aggregation.
set -euo pipefail
CAIRN_ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$CAIRN_ROOT"
. scripts/setup.sh

cairn_install_deps
cairn_build build -DCMAKE_BUILD_TYPE=RelWithDebInfo
exec build/bin/cairn demo "$@"
