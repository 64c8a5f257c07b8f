#!/usr/bin/env bash
# fed_code.sh — approved code (issue 11) on a real federation: a
# coordinator, 3 nodes holding the example CPS extract split three ways,
# researcher alice.  Each program in examples/code/ gives on the split data
# the same answer as `cairn code run-local` on the pooled rows; a program
# approved with `cairn node approve-code` runs for the researcher and
# dataset it names, not for another researcher; an
# unapproved program, and an approved one changed by one byte, are refused
# before any data is read (the nodes' data file is unreadable then, and the
# refusal still names the hash, not the file); a WHERE on a column the
# nodes do not expose is refused; a program failing in the sandbox reaches
# the researcher as a generic reason while the node's log keeps the Lua
# message.  The audit logs name every program by its hash.
# CAIRN_TEST_TIMEOUT: 170
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

SRC=${CAIRN_SRC:?}
EX=$SRC/examples/code

# A program runs before its node advertises: on a loaded machine (or under
# ASan) the memory bomb took 8 s to meet its cap, past lib_fed's 4 s deadlines.
FED_DEADLINE_MS=${FED_DEADLINE_MS:-15000}
fed_init 3
cp "$SRC/examples/schema/cps.ini" "$FED/schema.ini"
head -1 "$SRC/examples/data/agency1.csv" >"$FED/all.csv"
for i in 1 2 3; do
	cp "$SRC/examples/data/agency$i.csv" "$FED/data/node$i.csv"
	tail -n +2 "$SRC/examples/data/agency$i.csv" >>"$FED/all.csv"
done

# Approved: by hash in the configuration (gini, quantiles) and as a file
# in approved_code_dir (fedavg); the coordinator's schema is the same.
mkdir -p "$FED/approved"
cp "$EX/fedavg_logreg.lua" "$FED/approved/"
cat >"$FED/approved/sum.lua" <<'EOF'
-- No coordinator part: the answer is the clipped sum itself (the -5 is
-- clipped to 0 at every node and counted).
function node(data, params)
  local s, n = 0, 0
  for i = 1, data.rows do
    local w = data.cols.wage[i]
    if w then s = s + w; n = n + 1 end
  end
  return {s, n, -5}
end
EOF
cat >"$FED/approved/bomb.lua" <<'EOF'
-- Approved by mistake: allocates until the node's code_memory_mb stops it.
function node(data, params)
  local t = {}
  for i = 1, 1e12 do t[i] = {i} end
end
EOF
gini_hash=$("$CAIRN_BIN" code hash "$EX/gini.lua" | cut -d' ' -f1)
q_hash=$("$CAIRN_BIN" code hash "$EX/quantiles.lua" | cut -d' ' -f1)
fail_src=$FED/fails.lua
cat >"$fail_src" <<'EOF'
-- Raises with a row value in its message: that must stay in the node log.
function node(data, params)
  error("secret wage " .. tostring(data.cols.wage[1]))
end
EOF
fail_hash=$("$CAIRN_BIN" code hash "$fail_src" | cut -d' ' -f1)
for i in 1 2 3; do
	cat >"$FED/node$i.conf" <<EOC
[node]
name = node$i
coordinator = $FED_URL
key = pki/node$i.key
cert = pki/node$i.crt
ca_cert = pki/ca.crt
crl = pki/crl.pem
state_dir = state/node$i
schema = schema.ini
reconnect_min_ms = 50
reconnect_max_ms = 1000
heartbeat_ms = 1000

[policy]
researchers = alice
min_cell = 1
min_participants = 3
approved_code = $gini_hash
    $q_hash
    $fail_hash
approved_code_dir = approved
code_memory_mb = 64
code_steps_m = 500
code_timeout_ms = 20000

[dataset cps]
kind = csv
path = data/node$i.csv
expose = age, education, wage, hours, region
EOC
done
# Agency 2 names two columns its own way (as examples/node2.conf maps).
printf 'column.wage = hourly_wage\ncolumn.education = years_schooling\n' \
    >>"$FED/node2.conf"

# What node1 approves, as its operator would list it.
appr=$("$CAIRN_BIN" code approvals --config "$FED/node1.conf")
echo "$appr"
for h in "$gini_hash" "$q_hash" "$fail_hash" \
    "$("$CAIRN_BIN" code hash "$EX/fedavg_logreg.lua" | cut -d' ' -f1)"; do
	echo "$appr" | grep -q "^$h " || fed_fail "approvals do not list $h"
done

fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

run_fed() { timeout 120 "$CAIRN_BIN" run --config "$FED/alice.conf" \
    --dataset cps "$@"; }
run_local() { "$CAIRN_BIN" code run-local --schema "$FED/schema.ini" \
    --dataset cps --data "$FED/all.csv" "$@"; }

# The result object of a run, without the node list (run-local has none)
# and the clip count (each node clips its own output: one node pooled
# clips once where three clip three times).
result_of() { sed -e 's/, "contributed": \[[^]]*\]//' \
    -e 's/, "clipped": [0-9]*//'; }

# check NAME ARGS...: federated and pooled answers are the same JSON.
check() {
	local name=$1
	shift
	fed=$(run_fed "$@") || fed_fail "$name: cairn run failed: $fed"
	# (fed stays set for the caller's own checks)
	echo "$name fed:   $fed"
	loc=$(run_local "$@") || fed_fail "$name: run-local failed: $loc"
	echo "$name local: $loc"
	echo "$fed" | grep -q '"contributed": \["node1", "node2", "node3"\]' ||
	    fed_fail "$name: not every node contributed: $fed"
	[ "$(echo "$fed" | result_of)" = "$(echo "$loc" | result_of)" ] ||
	    fed_fail "$name: split and pooled answers differ"
}

check gini --code "$EX/gini.lua" --output-len 400 --lo 0 --hi 1e9 \
    --scale 2
check gini-north --code "$EX/gini.lua" --output-len 400 --lo 0 --hi 1e9 \
    --scale 2 --where "region = 'north' AND age >= 30"
grep -q "code $gini_hash round 1: " "$FED/node1.log" ||
    fed_fail "node1 did not log the program's hash"

check sum --code "$FED/approved/sum.lua" --output-len 3 --lo 0 --hi 1e6 \
    --scale 2
echo "$fed" | grep -q '"aggregate": \[30379.39, 860, 0\], "rounds": 1, "clipped": 3' ||
    fed_fail "sum: want 30379.39 over 860 wages, 3 values clipped"

# Approved with 'cairn node approve-code' (kept in the node's state; the
# running nodes see it at the next job), for dataset cps and alice only.
cat >"$FED/hours.lua" <<'EOF'
function node(data, params)
  local s = 0
  for i = 1, data.rows do s = s + data.cols.hours[i] end
  return {s, data.rows}
end
EOF
h_hash=$("$CAIRN_BIN" code hash "$FED/hours.lua" | cut -d' ' -f1)
for i in 1 2 3; do
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/hours.lua" --datasets cps --researchers alice ||
	    fed_fail "node$i: approve-code failed"
done
"$CAIRN_BIN" node approvals --config "$FED/node2.conf" |
    grep -q "^$h_hash  hours.lua (state: datasets cps, researchers alice)\$" ||
    fed_fail "node approvals does not list hours.lua with its scope"
check hours --code "$FED/hours.lua" --output-len 2 --lo 0 --hi 1e6 --scale 1
# Named parameters (--param NAME=NUMBER): params.NAME on every node, and
# the same answer as the pooled rows computed here with awk.
cat >"$FED/capped.lua" <<'EOF'
function node(data, params)
  local s, n = 0, 0
  for i = 1, data.rows do
    local h = data.cols.hours[i]
    if h ~= nil and h >= params.min then
      s = s + math.min(h, params.cap)
      n = n + 1
    end
  end
  return {s, n}
end
EOF
for i in 1 2 3; do
	"$CAIRN_BIN" node approve-code --config "$FED/node$i.conf" \
	    "$FED/capped.lua" >/dev/null || fed_fail "node$i: approve capped.lua"
done
check capped --code "$FED/capped.lua" --output-len 2 --lo 0 --hi 1e6 \
    --scale 1 --param cap=40 --param min=10
want=$(awk -F, 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == "hours") c = i; next}
    $c != "" && $c >= 10 {s += ($c < 40 ? $c : 40); n++}
    END {printf "[%s, %d]", s, n}' "$FED/all.csv")
echo "$fed" | grep -qF "\"aggregate\": $want" ||
    fed_fail "capped: want aggregate $want, got $fed"
# node3 narrows it to researcher bob: alice's next job is refused there.
"$CAIRN_BIN" node approve-code --config "$FED/node3.conf" "$FED/hours.lua" \
    --researchers bob >/dev/null || fed_fail "node3: approve-code for bob"
if out=$(run_fed --code "$FED/hours.lua" --output-len 2 --lo 0 --hi 1e6 \
    2>&1); then
	fed_fail "a program approved for bob only ran for alice: $out"
fi
echo "$out"
grep -q "refused: program sha256 $h_hash is not approved" "$FED/node3.log" ||
    fed_fail "node3 did not refuse alice's job"
if grep -q "refused: program sha256 $h_hash" "$FED/node1.log"; then
	fed_fail "node1 refused a program it approved for alice"
fi

# Iterative: quartiles by histogram bisection, several rounds.
check quantiles --code "$EX/quantiles.lua" --output-len 96 --lo 0 \
    --hi 1e7 --scale 0 --params "0, 200" --max-rounds 40
# ...and the quartiles are those of the sorted pooled wages (nearest rank).
want=$(cut -d, -f3 "$FED/all.csv" | sed 1d | grep . | sort -n | awk \
    '{a[NR] = $1} END {n = NR; r[1] = int(n * 0.25 + 0.999);
      r[2] = int(n * 0.5 + 0.999); r[3] = int(n * 0.75 + 0.999);
      printf "\"median\":%s,\"q1\":%s,\"q3\":%s", a[r[2]] + 0, a[r[1]] + 0,
      a[r[3]] + 0}')
echo "$fed" | grep -q "$want" || fed_fail "quartiles: want $want"

# Iterative with local training: federated averaging.  Local SGD on split
# data is not SGD on the pooled rows: the weights agree within 0.5, and
# the row counts exactly.
args=(--code "$FED/approved/fedavg_logreg.lua" --output-len 5 --lo -1e9
    --hi 1e9 --scale 6 --params "0,0,0,0" --max-rounds 12)
fed=$(run_fed "${args[@]}") || fed_fail "fedavg: cairn run failed: $fed"
loc=$(run_local "${args[@]}") || fed_fail "fedavg: run-local failed: $loc"
echo "fedavg fed:   $fed"
echo "fedavg local: $loc"
wts() { sed -n 's/.*"weights":\[\([^]]*\)\].*/\1/p' | tr ',' ' '; }
read -r -a wf <<<"$(echo "$fed" | wts)"
read -r -a wl <<<"$(echo "$loc" | wts)"
[ "${#wf[@]}" = 4 ] && [ "${#wl[@]}" = 4 ] || fed_fail "fedavg: no weights"
for j in 0 1 2 3; do
	awk -v a="${wf[$j]}" -v b="${wl[$j]}" 'BEGIN {
	    d = a - b; if (d < 0) d = -d; exit !(d < 0.5 && b != 0) }' ||
	    fed_fail "fedavg: weight $j is ${wf[$j]} federated, ${wl[$j]} pooled"
done
echo "$fed" | grep -q '"n":860' || fed_fail "fedavg: row count"

# ---- refusals ------------------------------------------------------------
# A WHERE on a column the nodes do not expose (sex): refused.
if out=$(run_fed --code "$EX/gini.lua" --output-len 400 --lo 0 --hi 1e9 \
    --where "sex = 'male'" 2>&1); then
	fed_fail "a WHERE on an unexposed column ran: $out"
fi
echo "$out"
echo "$out" | grep -q "column 'sex' is not exposed" ||
    fed_fail "the refusal does not name the column: $out"

# Approval comes before any read: make the data unreadable first (the
# nodes would otherwise fail on the file, not on the program).
for i in 1 2 3; do mv "$FED/data/node$i.csv" "$FED/data/node$i.hidden"; done
cp "$EX/gini.lua" "$FED/changed.lua"
printf ' ' >>"$FED/changed.lua"
ch_hash=$("$CAIRN_BIN" code hash "$FED/changed.lua" | cut -d' ' -f1)
[ "$ch_hash" != "$gini_hash" ] || fed_fail "one byte did not change the hash"
for prog in "$FED/changed.lua" "$SRC/tests/integration/fed_code.sh"; do
	h=$("$CAIRN_BIN" code hash "$prog" | cut -d' ' -f1)
	if out=$(run_fed --code "$prog" --output-len 400 --lo 0 --hi 1e9 2>&1); then
		fed_fail "an unapproved program ran: $out"
	fi
	echo "$out"
	echo "$out" | grep -q "$h is not approved here" ||
	    fed_fail "the refusal does not name the hash: $out"
	for i in 1 2 3; do
		grep -q "refused: program sha256 $h is not approved" \
		    "$FED/node$i.log" || fed_fail "node$i did not refuse $h"
	done
done
if grep -q "node[123].csv" "$FED"/node*.log; then
	fed_fail "a node touched its data for an unapproved program"
fi
for i in 1 2 3; do mv "$FED/data/node$i.hidden" "$FED/data/node$i.csv"; done

# A program that raises: generic reason out, the message in the log only.
if out=$(run_fed --code "$fail_src" --output-len 1 --lo 0 --hi 1 2>&1); then
	fed_fail "a failing program succeeded: $out"
fi
echo "$out"
echo "$out" | grep -q "the program raised an error" ||
    fed_fail "no generic reason: $out"
if echo "$out" | grep -q "secret wage"; then
	fed_fail "the Lua message reached the researcher: $out"
fi
grep -q "secret wage" "$FED/node1.log" || fed_fail "node1 lost the Lua message"
show=$("$CAIRN_BIN" audit show "$FED/state/node1/audit.log")
if echo "$show" | grep -q "secret wage"; then
	fed_fail "the Lua message reached node1's audit log"
fi

# A memory bomb meets the node's code_memory_mb, on a real node; the
# daemons stay up for the next job.
if out=$(run_fed --code "$FED/approved/bomb.lua" --output-len 1 --lo 0 \
    --hi 1 2>&1); then
	fed_fail "a memory bomb succeeded: $out"
fi
echo "$out"
echo "$out" | grep -q "the program exceeded its memory limit" ||
    fed_fail "no memory-limit reason: $out"
check gini-after --code "$EX/gini.lua" --output-len 400 --lo 0 --hi 1e9 \
    --scale 2

# The audit logs record the hash of every program run or refused (issue 9):
# the coordinator's and node1's verify, and name gini and the unapproved
# program by their SHA-256 with kind=code, and node1 its refusal.
for log in "$FED/coordinator-state/audit.log" "$FED/state/node1/audit.log"; do
	"$CAIRN_BIN" audit verify "$log" || fed_fail "verify $log"
	show=$("$CAIRN_BIN" audit show "$log")
	echo "$show" | grep -q "kind=code dataset=cps code_hash=$gini_hash round=1 " ||
	    fed_fail "$log does not record gini's hash"
	echo "$show" | grep -q "kind=code dataset=cps code_hash=$ch_hash " ||
	    fed_fail "$log does not record the unapproved program's hash"
done
# (show is the last loop's: node1's log)
echo "$show" | grep -q "decision=refuse reason=\"program sha256 $ch_hash is not approved" ||
    fed_fail "node1's audit log lacks the refusal of $ch_hash"

fed_finish
echo "fed_code: ok"
