#!/usr/bin/env bash
# fed_logs.sh — the daemons' logs on a real federation: every line of the
# coordinator's text log starts with an RFC 3339 UTC timestamp; every line
# of node1's log (log_format = json) is one JSON object with time, level,
# party, event and message; one line per event (the transport's "listening
# on" / "dialing" lines are not said twice); the node records what it was
# asked (the SQL text, the summed column), that its coordinator went
# silent (SIGSTOP) and came back, and that the connection was lost and
# regained (coordinator restart); an aborted job is logged once by each
# daemon.
# CAIRN_TEST_TIMEOUT: 90
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

FED_DEADLINE_MS=1500
fed_init 3
sed -i 's/^heartbeat_ms = .*/&\nlog_format = json/' "$FED/node1.conf"
sed -i 's/^heartbeat_ms = .*/&\nlog_format = text/' "$FED/node2.conf"
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

fed_query --dataset t --sum value >/dev/null || fed_fail "sum query"
sql="SELECT region, count(*) FROM t WHERE value > 0 GROUP BY region"
fed_query --schema "$FED/schema.ini" "$sql" >/dev/null || fed_fail "SQL query"

# A job that aborts (node3 stopped: too few advertise) is logged once by
# each daemon, not once by the library and again by the daemon.
n3=$(pgrep -P "$FED_NODE_PID_3")
kill -STOP "$n3"
if fed_query --dataset t --sum value >/dev/null 2>&1; then
	fed_fail "a job with node3 stopped succeeded"
fi
kill -CONT "$n3"

# The coordinator stops answering (its connections stay up): heartbeats
# are 1 s, the node says so after three missed ones, then that it is back.
cpid=$(pgrep -P "$FED_COORD_PID")
kill -STOP "$cpid"
fed_wait_log "$FED/node1.log" "has not answered our heartbeats" 1
kill -CONT "$cpid"
fed_wait_log "$FED/node1.log" "answers again after" 1
# A restart: the connection goes, and comes back.
kill -TERM "$FED_COORD_PID"
fed_wait_exit "$FED_COORD_PID"
fed_start_coord
fed_wait_nodes 3
fed_wait_log "$FED/node1.log" "connected to coordinator 'coord'" 2
fed_finish

python3 - "$FED" "$sql" <<'PY' || fed_fail "log check"
import datetime, json, re, sys

fed, sql = sys.argv[1], sys.argv[2]
stamp = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) ")
bad = []

def when(ts):
    # RFC 3339 in UTC with milliseconds; parse it for real.
    t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    now = datetime.datetime.utcnow()
    assert abs((now - t).total_seconds()) < 600, ts
    return t

for name in ("coord", "node2", "node3"):
    lines = open(f"{fed}/{name}.log").read().splitlines()
    assert lines, name
    for l in lines:
        m = stamp.match(l)
        if not m:
            bad.append(f"{name}: no timestamp: {l!r}")
            continue
        when(m.group(1))
    text = "\n".join(lines)
    # One line per event: the daemon says where it listens or dials once.
    if name == "coord":
        n = len(re.findall(r"listening on", text))
        if n != 2:  # two starts
            bad.append(f"coord: 'listening on' {n} times, want 2")
    else:
        n = len(re.findall(r"dialing|dialling", text))
        if n != 1:
            bad.append(f"{name}: dialling said {n} times, want 1")

# The abort, once per daemon.
for name in ("coord", "node2"):
    n = open(f"{fed}/{name}.log").read().count(
        "too few nodes advertised keys in round advertise")
    if n != 1:
        bad.append(f"{name}: the abort said {n} times, want once")

events = []
for l in open(f"{fed}/node1.log").read().splitlines():
    try:
        o = json.loads(l)
    except ValueError:
        bad.append(f"node1: not JSON: {l!r}")
        continue
    if sorted(o) != ["event", "level", "message", "party", "time"]:
        bad.append(f"node1: fields {sorted(o)}")
        continue
    when(o["time"])
    if o["party"] != "cairn-node[node1]":
        bad.append(f"node1: party {o['party']!r}")
    if o["level"] not in ("error", "warning", "notice", "info", "debug"):
        bad.append(f"node1: level {o['level']!r}")
    events.append(o)
msgs = [e["message"] for e in events]
def has(pat, level=None):
    ok = any(re.search(pat, e["message"]) and
             (level is None or e["level"] == level) for e in events)
    if not ok:
        bad.append(f"node1: no {level or ''} line matching {pat!r}")
has(r"asked: sum of column value$", "info")
has(r"asked: SQL: " + re.escape(sql) + "$", "info")
has(r"has not answered our heartbeats for \d+ ms", "warning")
has(r"coordinator 'coord' answers again after \d+ ms", "info")
has(r"lost the connection to coordinator 'coord'", "warning")
if sum(m == "connected to coordinator 'coord'" for m in msgs) != 2:
    bad.append("node1: want two 'connected' lines (start, restart)")
if not all(e["event"] for e in events):
    bad.append("node1: an empty event")
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
echo "PASS"
