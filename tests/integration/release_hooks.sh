#!/usr/bin/env bash
# release_hooks.sh — test-only behaviour stays out of the release program:
# no CAIRN_TEST_ name in build/bin/cairn, while the test build cairn-hooked
# (tests/harness/hooks.c) has them all.  A control on the hooked program
# shows the check can see such a string.
# CAIRN_TEST_LABELS: unit
set -euo pipefail
: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
: "${CAIRN_HOOKED_BIN:?CAIRN_HOOKED_BIN must name the test build}"

found=$(strings -a "$CAIRN_BIN" | grep CAIRN_TEST_ || true)
if [ -n "$found" ]; then
	echo "FAIL: the release program holds test-only names:" >&2
	echo "$found" >&2
	exit 1
fi
hooked=$(strings -a "$CAIRN_HOOKED_BIN")
for v in DIE_AT STOP_AT OOM_AT TAMPER UNCHECKED_SELF JOB_ID RESULT_SHAPE; do
	grep -qx "CAIRN_TEST_$v" <<<"$hooked" || {
		echo "FAIL: control: cairn-hooked lacks CAIRN_TEST_$v" >&2
		exit 1
	}
done
echo "ok: no CAIRN_TEST_ string in $(basename "$CAIRN_BIN"); the test build has all seven"
