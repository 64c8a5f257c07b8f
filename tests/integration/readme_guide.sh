#!/usr/bin/env bash
# readme_guide.sh — the README's operator guide, run as written (issue 12):
# the shell blocks marked <!-- guide --> are extracted from README.md and
# run verbatim, in order, in an empty directory holding a copy of
# examples/ and build/bin (the program under test), with the coordinator's
# port 127.0.0.1:7700 replaced by a free one.  They must build a
# three-node federation over TCP whose answer to the guide's query equals
# sqlite3's over the same CSV files; further queries and `node check`
# then run against the federation the guide started, and the block
# marked <!-- guide: stop --> must stop every daemon it started.
#
# The block marked <!-- guide: build --> (apt-get and cmake) is not run
# here (the build is the one under test); it is checked instead: its
# packages are exactly scripts/setup.sh's CAIRN_BUILD_PACKAGES, its cmake
# options and target exist, and the program lands in build/bin.  The
# guide, build included, must be at most 12 commands.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
: "${CAIRN_SRC:?}" "${CAIRN_BIN:?}"
command -v sqlite3 >/dev/null || {
	echo "SKIP: sqlite3 is needed for the reference answers"
	exit 77
}
tmp=$(mktemp -d)
pids_file=$tmp/guide.pids
cleanup() {
	local p
	if [ -s "$pids_file" ]; then
		for p in $(cat "$pids_file"); do
			kill -TERM "$p" 2>/dev/null || true
		done
		for p in $(cat "$pids_file"); do
			timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || true
			kill -KILL "$p" 2>/dev/null || true
		done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	local f
	echo "FAIL: $*" >&2
	for f in "$tmp"/run/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 10 lines)" >&2
		tail -n 10 "$f" >&2
	done
	exit 1
}

# --- extract the marked blocks ------------------------------------------
# A marker line is followed by a ```sh fence; the block runs to the next
# fence.  Each kind goes to its own file, blocks in README order.
awk -v dir="$tmp" '
	/^<!-- guide(: (build|stop))? -->$/ {
		kind = "run"
		if ($0 ~ /build/) kind = "build"
		if ($0 ~ /stop/) kind = "stop"
		want = 1
		next
	}
	want == 1 {
		if ($0 != "```sh") { print "marker not followed by ```sh: " $0 > "/dev/stderr"; exit 1 }
		want = 2
		nblocks[kind]++
		next
	}
	want == 2 && $0 == "```" { want = 0; next }
	want == 2 { print > (dir "/" kind ".sh") }
	END {
		if (want != 0) { print "unterminated guide block" > "/dev/stderr"; exit 1 }
		printf "%d %d %d\n", nblocks["build"], nblocks["run"], nblocks["stop"] > (dir "/counts")
	}' "$CAIRN_SRC/README.md" || fail "README guide blocks are malformed"
read -r nbuild nrun nstop <"$tmp/counts"
[ "$nbuild" = 1 ] && [ "$nstop" = 1 ] && [ "$nrun" -ge 3 ] ||
	fail "want one build block, one stop block and the guide's blocks: $nbuild, $nstop, $nrun"
# Commands a user types: every non-empty line of the build and run
# blocks (the stop block comes after the federation has answered).
ncmd=$(cat "$tmp/build.sh" "$tmp/run.sh" | grep -cv '^[[:space:]]*$')
[ "$ncmd" -le 12 ] || fail "the guide takes $ncmd commands, more than 12"

# --- the build block, checked -------------------------------------------
CAIRN_ROOT=$CAIRN_SRC
. "$CAIRN_SRC/scripts/setup.sh"
apt=$(grep -m1 'apt-get install' "$tmp/build.sh") || fail "no apt-get install in the build block"
# shellcheck disable=SC2001
listed=$(sed 's/.*apt-get install\( -y\)*//' <<<"$apt" | tr ' ' '\n' | grep -v '^$' | sort)
want=$(printf '%s\n' "${CAIRN_BUILD_PACKAGES[@]}" | sort)
[ "$listed" = "$want" ] ||
	fail "README apt-get line differs from CAIRN_BUILD_PACKAGES: $(diff <(echo "$want") <(echo "$listed") | grep '^[<>]' | tr '\n' ' ')"
grep -q 'cmake -S \. -B build' "$tmp/build.sh" || fail "the build block does not configure into build/"
for o in $(grep -o -- '-D[A-Z_]*' "$tmp/build.sh" | sort -u); do
	grep -q "option(${o#-D} " "$CAIRN_SRC/CMakeLists.txt" ||
		fail "the build block sets $o, which CMakeLists.txt does not define"
done
t=$(grep -o -- '--target [a-z_]*' "$tmp/build.sh" | cut -d' ' -f2)
grep -q "install(TARGETS $t " "$CAIRN_SRC/CMakeLists.txt" ||
	fail "the build block builds '$t', not the installed program"
[ "$(basename "$CAIRN_BIN")" = cairn ] && [ "$(basename "$(dirname "$CAIRN_BIN")")" = bin ] ||
	fail "the program is $CAIRN_BIN, not build/bin/cairn"
grep -q 'build/bin' "$tmp/run.sh" || fail "the guide never puts build/bin on PATH"

# --- a free port in place of the documented one -------------------------
port=
for ((k = 0; k < 50; k++)); do
	p=$((20000 + RANDOM % 40000))
	if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
		port=$p
		break
	fi
done
[ -n "$port" ] || fail "no free TCP port"
n=$(grep -o '127\.0\.0\.1:7700' "$tmp/run.sh" | wc -l)
[ "$n" -ge 4 ] || fail "the guide names tcp://127.0.0.1:7700 $n times (coordinator, nodes, researcher)"
sed -i "s/127\.0\.0\.1:7700/127.0.0.1:$port/g" "$tmp/run.sh"
! grep -q 7700 "$tmp/run.sh" || fail "port 7700 left after substitution: $(grep 7700 "$tmp/run.sh")"

# --- run it -------------------------------------------------------------
# The directory a user would be in: the clone's examples/ (copied: the
# guide writes next to it) and build/bin with the program under test.
mkdir -p "$tmp/run/build"
cp -r "$CAIRN_SRC/examples" "$tmp/run/examples"
ln -s "$(cd "$(dirname "$CAIRN_BIN")" && pwd)" "$tmp/run/build/bin"
# The guide's shell: its blocks, then this test's checks (while the
# daemons it started run), then its stop block.  Background jobs are
# recorded as they stand at exit, so the trap above can stop them if
# anything fails.
cat >"$tmp/checks.sh" <<'EOC'
cairn node check --config agency2.conf >check.out
cairn query --config researcher.conf --format csv \
    "SELECT sex, count(*), avg(hours), sum(wage), count(wage) FROM cps WHERE education >= 12 GROUP BY sex ORDER BY sex" \
    >q2.csv 2>q2.err
jobs -p >"$GUIDE_PIDS"
EOC
{
	echo 'set -euo pipefail'
	echo 'trap '\''jobs -p >"$GUIDE_PIDS.exit"'\'' EXIT'
	cat "$tmp/run.sh"
	echo '. "$GUIDE_CHECKS"'
	cat "$tmp/stop.sh"
	# Up to 15 s for the daemons to exit; the checks below say which did not.
	echo 'for i in $(seq 150); do [ -z "$(jobs -pr)" ] && break; sleep 0.1; done'
} >"$tmp/guide.sh"
set +e
(cd "$tmp/run" && env -u CAIRN_LOG GUIDE_PIDS="$pids_file" \
	GUIDE_CHECKS="$tmp/checks.sh" timeout 90 bash "$tmp/guide.sh") \
	>"$tmp/guide.out" 2>"$tmp/guide.err"
rc=$?
set -e
cat "$pids_file.exit" >>"$pids_file" 2>/dev/null || true
[ "$rc" = 0 ] || fail "the guide exited $rc: $(tail -n 5 "$tmp/guide.err")"

# --- the answers --------------------------------------------------------
# Reference: the three files pooled by sqlite3 (agency2 names two
# columns its own way; agency3 quotes and ends lines with CRLF).
d=$tmp/run/examples/data
reference() {
	sqlite3 -csv :memory: \
	    ".import --csv $d/agency1.csv a1" \
	    ".import --csv $d/agency2.csv a2" \
	    ".import --csv $d/agency3.csv a3" \
	    "CREATE VIEW raw AS
	     SELECT age, education, wage, hours, region, sex FROM a1
	     UNION ALL SELECT age, years_schooling, hourly_wage, hours, region,
	            sex FROM a2
	     UNION ALL SELECT age, education, wage, hours, region, sex FROM a3;" \
	    "CREATE VIEW cps AS
	     SELECT CAST(age AS INTEGER) AS age,
	            CAST(education AS INTEGER) AS education,
	            CAST(NULLIF(wage, '') AS REAL) AS wage,
	            CAST(hours AS REAL) AS hours, region,
	            trim(sex, char(13)) AS sex FROM raw;" \
	    "$1" | tr -d '\r'
}
# same A B: the same rows; numbers equal to 1e-9 relative.
same() {
	awk -F, -v what="$3" '
		NR == FNR { want[FNR] = $0; n = FNR; next }
		{
			got++
			if (!(got in want)) { print what ": extra row " $0; bad = 1; next }
			k = split(want[got], w, ",")
			if (k != NF) { print what ": row " got " is " $0 ", want " want[got]; bad = 1; next }
			for (i = 1; i <= NF; i++) {
				if ($i == w[i]) continue
				a = $i + 0; b = w[i] + 0
				e = a - b; if (e < 0) e = -e
				m = b < 0 ? -b : b
				if ($i !~ /^-?[0-9.]+$/ || e > 1e-9 * (m > 1 ? m : 1)) {
					print what ": row " got " is " $0 ", want " want[got]; bad = 1; next
				}
			}
		}
		END {
			if (got != n) { print what ": " got " rows, want " n; bad = 1 }
			exit bad
		}' "$1" "$2" >&2
}

# The guide's own query, as the README prints it (the table).
q1="SELECT region, count(*), avg(wage) FROM cps GROUP BY region ORDER BY region"
grep -qF "$q1" "$tmp/run.sh" || fail "the guide no longer asks: $q1"
awk -F'|' '/^ *[a-z]+ +\| +[0-9]+ +\|/ {
		gsub(/ /, ""); print $1 "," $2 "," $3 }' "$tmp/guide.out" >"$tmp/got1"
[ -s "$tmp/got1" ] || fail "no table in the guide's output: $(cat "$tmp/guide.out")"
reference "$q1" >"$tmp/want1"
same "$tmp/want1" "$tmp/got1" "guide query" || fail "the guide's answer differs from sqlite3's"
grep -q "^contributed (3): agency1, agency2, agency3$" "$tmp/guide.out" ||
	fail "the answer does not cover the three nodes: $(cat "$tmp/guide.out")"
grep -q "^nodes connected: 3$" "$tmp/guide.out" ||
	fail "cairn status --wait-nodes did not list three nodes"

# A second query over the same federation: WHERE, a NULL-able column,
# the mapped columns of agency2.
q2="SELECT sex, count(*), avg(hours), sum(wage), count(wage) FROM cps WHERE education >= 12 GROUP BY sex ORDER BY sex"
# (--format csv ends lines with CRLF, as RFC 4180 does.)
tail -n +2 "$tmp/run/q2.csv" | tr -d '\r' >"$tmp/got2"
reference "$q2" >"$tmp/want2"
same "$tmp/want2" "$tmp/got2" "second query" ||
	fail "the second answer differs from sqlite3's: $(cat "$tmp/run/q2.err")"
grep -q "^ok   dataset cps: 250 rows" "$tmp/run/check.out" ||
	fail "node check of agency2: $(cat "$tmp/run/check.out")"

# --- the stop block stopped every daemon --------------------------------
[ "$(wc -w <"$pids_file")" -ge 4 ] || fail "the guide left $(wc -w <"$pids_file") jobs, want 4 daemons"
for p in $(cat "$pids_file"); do
	! kill -0 "$p" 2>/dev/null || fail "daemon $p still runs after the guide's stop block"
done
! grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" "$tmp"/run/*.log >&2 ||
	fail "sanitizer report in a daemon log"
echo "readme_guide: ok ($ncmd commands, port $port)"
