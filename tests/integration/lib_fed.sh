# lib_fed.sh — shared helpers for the federation integration tests
# (tests/integration/fed_*.sh).  Source it after `set -euo pipefail`.
#
# fed_init N      provision, in a fresh temp dir $FED, a CA, a coordinator,
#                 nodes node1..nodeN and researcher alice with the real
#                 `cairn ca` / `cairn keygen` commands; per-node CSV data
#                 (dataset t: id,value) with known sums; configs with short
#                 round deadlines.  The coordinator listens on ipc:// in $FED
#                 ($FED_URL), or with FED_TCP=1 on tcp://127.0.0.1:<free>.
# fed_start_coord [VAR=VAL...] / fed_start_node I [VAR=VAL...]
#                 start a daemon in the background under timeout(1), log to
#                 $FED/<name>.log; pids go to FED_PIDS.
# fed_wait_nodes K   wait (bounded) until `cairn status` lists K nodes.
# fed_query ARGS...  run `cairn query` as alice, bounded by timeout(1).
# fed_bin [VAR=VAL...] the program to run: the test build cairn-hooked
#                 (tests/harness/hooks.c) when a CAIRN_TEST_ variable is
#                 among the arguments or in the environment, else the
#                 release program, which has no test hooks.
# fed_sum I...       the plain sum of the values of the listed nodes.
# Every process is bounded by timeout(1) and killed by the EXIT trap.

: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
: "${CAIRN_HOOKED_BIN:=$(dirname "$CAIRN_BIN")/../tests/cairn-hooked}"
FED_PIDS=()
FED_T=${FED_T:-170}		# hard bound on any daemon, seconds

fed_log() { echo "fed: $*" >&2; }
fed_fail() {
	echo "FAIL: $*" >&2
	for f in "$FED"/*.log; do
		[ -f "$f" ] || continue
		echo "---- $(basename "$f") (last 15 lines)" >&2
		tail -n 15 "$f" >&2
	done
	exit 1
}

fed_cleanup() {
	local p
	for p in "${FED_PIDS[@]:-}"; do
		[ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${FED_PIDS[@]:-}"; do
		[ -n "$p" ] && timeout 5 tail --pid="$p" -f /dev/null 2>/dev/null || true
		[ -n "$p" ] && kill -KILL "$p" 2>/dev/null || true
	done
	[ -n "${FED:-}" ] && rm -rf "$FED"
}

# Issue a key and certificate for NAME with ROLE from CA dir $1.
fed_issue() {
	local ca=$1 role=$2 name=$3 out=$4
	"$CAIRN_BIN" keygen --role "$role" --name "$name" --out "$out" >/dev/null
	"$CAIRN_BIN" ca sign --dir "$ca" --role "$role" --out "$out/$name.crt" \
	    "$out/$name.csr" >/dev/null
}

fed_node_conf() {
	local i=$1 name=node$1
	cat >"$FED/$name.conf" <<EOC
[node]
name = $name
coordinator = $FED_URL
key = pki/$name.key
cert = pki/$name.crt
ca_cert = pki/ca.crt
crl = ${FED_NODE_CRL:-pki/crl.pem}
state_dir = state/$name
schema = ${FED_NODE_SCHEMA:-schema.ini}
reconnect_min_ms = 50
reconnect_max_ms = 1000
heartbeat_ms = 1000

[policy]
researchers = ${FED_POLICY:-alice}
min_cell = 1
min_participants = 3

[dataset t]
kind = csv
path = data/$name.csv
expose = value, region, amount
EOC
}

# A TCP port nobody listens on (bash /dev/tcp probe; racy but bounded).
fed_free_port() {
	local p k
	for ((k = 0; k < 50; k++)); do
		p=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	fed_fail "no free TCP port"
}

fed_init() {
	local n=$1 i r
	FED=$(mktemp -d "${TMPDIR:-/tmp}/cairn-fed.XXXXXX")
	trap fed_cleanup EXIT
	# FED_TCP=1: tcp://127.0.0.1 on a port that is free right now.
	if [ "${FED_TCP:-0}" = 1 ]; then
		FED_URL=tcp://127.0.0.1:$(fed_free_port)
	else
		FED_URL=ipc://$FED/coord.sock
	fi
	mkdir -p "$FED/data" "$FED/state"
	"$CAIRN_BIN" ca init --dir "$FED/ca" --name fed-ca >/dev/null
	mkdir -m 700 "$FED/pki"
	cp "$FED/ca/ca.crt" "$FED/pki/ca.crt"
	cp "$FED/ca/crl.pem" "$FED/pki/crl.pem"
	fed_issue "$FED/ca" coordinator coord "$FED/pki"
	fed_issue "$FED/ca" researcher alice "$FED/pki"
	for ((i = 1; i <= n; i++)); do
		fed_issue "$FED/ca" node "node$i" "$FED/pki"
	done
	cat >"$FED/schema.ini" <<EOS
[federation]
min_cell = 1
max_nodes = 100

[dataset t]
max_rows = 100000

[column t.value]
type = integer
min = -1000000
max = 1000000

[column t.region]
type = category
domain = north, south
EOS
	cat >"$FED/coord.conf" <<EOC
[coordinator]
listen = $FED_URL
key = pki/coord.key
cert = pki/coord.crt
ca_cert = pki/ca.crt
crl = ${FED_COORD_CRL:-pki/crl.pem}
schema = schema.ini
max_jobs = 4
min_participants = 3
threshold = 0.5

[deadlines]
advertise_ms = ${FED_DEADLINE_MS:-4000}
reveal_ms = ${FED_DEADLINE_MS:-4000}
share_ms = ${FED_DEADLINE_MS:-4000}
input_ms = ${FED_DEADLINE_MS:-4000}
consistency_ms = ${FED_DEADLINE_MS:-4000}
unmask_ms = ${FED_DEADLINE_MS:-4000}
EOC
	cat >"$FED/alice.conf" <<EOC
[researcher]
coordinator = $FED_URL
key = pki/alice.key
cert = pki/alice.crt
ca_cert = pki/ca.crt
crl = pki/crl.pem
timeout_ms = ${FED_QUERY_MS:-60000}
EOC
	# Data: node i has 20 + i rows; values are known, some negative;
	# amount is money (two decimals, cents = value * 7 + r).
	for ((i = 1; i <= n; i++)); do
		fed_node_conf "$i"
		{
			echo "id,value,region,amount"
			for ((r = 1; r <= 20 + i; r++)); do
				v=$(( (r * 37 + i * 101) % 1000 - 200 ))
				echo "$r,$v,$([ $((r % 2)) = 0 ] && echo north || echo south),$(fed_cents $((v * 7 + r)))"
			done
		} >"$FED/data/node$i.csv"
	done
}

# Cents as a decimal: -1234 -> -12.34, 5 -> 0.05.
fed_cents() {
	local c=$1 sign=""
	if [ "$c" -lt 0 ]; then sign=-; c=$((-c)); fi
	printf '%s%d.%02d' "$sign" $((c / 100)) $((c % 100))
}

# The plain sum of column `value` over nodes $@.
fed_sum() {
	local s=0 i v
	for i in "$@"; do
		while IFS=, read -r _ v _; do
			[ "$v" = value ] && continue
			s=$((s + v))
		done <"$FED/data/node$i.csv"
	done
	echo "$s"
}

# The plain sum of column `amount`, in cents, over nodes $@.
fed_sum_cents() {
	local s=0 i v r
	for i in "$@"; do
		while IFS=, read -r r v _; do
			[ "$v" = value ] && continue
			s=$((s + v * 7 + r))
		done <"$FED/data/node$i.csv"
	done
	echo "$s"
}

fed_rows() {
	local s=0 i
	for i in "$@"; do
		s=$((s + $(wc -l <"$FED/data/node$i.csv") - 1))
	done
	echo "$s"
}

fed_bin() {
	local a
	for a in "$@" $(env | sed -n 's/^\(CAIRN_TEST_[A-Z_]*=\).*/\1/p'); do
		case $a in
		CAIRN_TEST_*=*)
			echo "$CAIRN_HOOKED_BIN"
			return
			;;
		esac
	done
	echo "$CAIRN_BIN"
}

# fed_start_coord [VAR=VAL ...]: extra environment for the coordinator.
fed_start_coord() {
	local bin=$CAIRN_BIN
	[ $# = 0 ] || bin=$(fed_bin "$@")
	env "$@" timeout -s KILL "$FED_T" "$bin" coordinator \
	    --config "$FED/coord.conf" 2>>"$FED/coord.log" &
	FED_PIDS+=($!)
	FED_COORD_PID=$!
}

# fed_start_node I [VAR=VAL ...]: extra environment for this node only.
fed_start_node() {
	local i=$1
	shift
	env "$@" timeout -s KILL "$FED_T" "$(fed_bin "$@")" node \
	    --config "$FED/node$i.conf" 2>>"$FED/node$i.log" &
	FED_PIDS+=($!)
	eval "FED_NODE_PID_$i=$!"
}

fed_status() {
	timeout 20 "$CAIRN_BIN" status --config "$FED/alice.conf"
}

fed_wait_nodes() {
	local want=$1 k got
	for ((k = 0; k < 100; k++)); do
		got=$(fed_status 2>/dev/null | sed -n 's/^nodes connected: //p')
		[ "${got:-0}" -ge "$want" ] && return 0
		sleep 0.2
	done
	fed_fail "only ${got:-0} of $want nodes connected"
}

fed_query() {
	timeout 90 "$(fed_bin)" query --config "$FED/alice.conf" "$@"
}

# JSON helpers (the output is one line, one object; no python needed).
fed_json_rows() { sed -n 's/.*"rows": \[\[\([^]]*\)\]\].*/\1/p'; }
fed_json_list() { sed -n "s/.*\"$1\": \[\([^]]*\)\].*/\1/p" | tr -d '" '; }

# fed_wait_log FILE PATTERN COUNT: wait (bounded) until FILE has COUNT lines
# matching PATTERN.
fed_wait_log() {
	local f=$1 pat=$2 want=$3 k got
	for ((k = 0; k < 150; k++)); do
		got=$(grep -c -- "$pat" "$f" 2>/dev/null || true)
		[ "${got:-0}" -ge "$want" ] && return 0
		sleep 0.1
	done
	fed_fail "$f: $got of $want lines matching '$pat'"
}

# fed_wait_exit PID: wait (bounded) for a background daemon of this shell;
# its exit status goes to FED_RC (not a subshell: only this shell can wait).
fed_wait_exit() {
	local pid=$1
	FED_RC=0
	timeout 30 tail --pid="$pid" -f /dev/null 2>/dev/null || true
	wait "$pid" 2>/dev/null || FED_RC=$?
}

# fed_finish: stop every daemon still running with SIGTERM; each must exit
# 0 (a clean stop; under ASan also no leaks), and no log may hold a
# sanitizer report.
fed_finish() {
	local p bad=0
	for p in "${FED_PIDS[@]}"; do
		kill -0 "$p" 2>/dev/null || continue
		kill -TERM "$p" 2>/dev/null || true
		fed_wait_exit "$p"
		if [ "$FED_RC" != 0 ]; then
			echo "daemon $p exited $FED_RC after SIGTERM" >&2
			bad=1
		fi
	done
	if grep -l "AddressSanitizer\|LeakSanitizer\|runtime error:" \
	    "$FED"/*.log >&2; then
		bad=1
	fi
	[ "$bad" = 0 ] || fed_fail "unclean shutdown or sanitizer report"
}
