#!/usr/bin/env bash
# fed_metrics.sh — the metrics listener on a real federation: the
# coordinator and node1 serve /metrics (metrics_listen); both are scraped
# before and after two queries, one of them losing node5 in the
# masked-input round (the CAIRN_TEST_DIE_AT hook).  Every scrape must be
# valid Prometheus text exposition (HELP/TYPE before samples, well-formed
# sample lines, cumulative histogram buckets ending in +Inf = _count), and
# the counters must have moved by what happened: two jobs done, four
# sessions' worth of rounds, the dropout in its round, bytes both ways,
# node1's two contributions; connected nodes drop from 5 to 4; the
# certificate expiry is about a year.  The listener is read-only (POST
# refused), a node has no status page, and the daemon's address is local.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }

FED_DEADLINE_MS=3000
fed_init 5
cport=$(fed_free_port)
nport=$(fed_free_port)
sed -i "s/^threshold = .*/&\nmetrics_listen = 127.0.0.1:$cport/" \
    "$FED/coord.conf"
sed -i "s/^heartbeat_ms = .*/&\nmetrics_listen = 127.0.0.1:$nport/" \
    "$FED/node1.conf"
fed_start_coord
for i in 1 2 3 4; do fed_start_node "$i"; done
fed_start_node 5 CAIRN_TEST_DIE_AT=masked-input
fed_wait_nodes 5
fed_wait_log "$FED/coord.log" "status page on http://127.0.0.1:$cport/" 1
fed_wait_log "$FED/node1.log" "metrics on http://127.0.0.1:$nport/metrics" 1

scrape() {
	python3 - "$1" "$2" <<'PY'
import sys, urllib.request
r = urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/metrics", timeout=5)
ct = r.headers["Content-Type"]
assert ct.startswith("text/plain; version=0.0.4"), ct
open(sys.argv[2], "wb").write(r.read())
PY
}
# Wait until a scrape shows NAME VALUE (the loop publishes within a
# second).
wait_metric() {
	local port=$1 line=$2 k
	for ((k = 0; k < 50; k++)); do
		scrape "$port" "$FED/wait.txt" || true
		grep -qx "$line" "$FED/wait.txt" && return 0
		sleep 0.1
	done
	fed_fail "port $port: no '$line' in: $(grep -v '^#' "$FED/wait.txt" | grep -v _bucket)"
}
wait_metric "$cport" "cairn_nodes_connected 5"
wait_metric "$nport" "cairn_coordinator_connected 1"
scrape "$cport" "$FED/c0.txt" || fed_fail "coordinator scrape"
scrape "$nport" "$FED/n0.txt" || fed_fail "node1 scrape"

out=$(fed_query --format json --dataset t --sum value) || fed_fail "sum: $out"
echo "$out" | grep -q '"dropped": \["node5"\]' ||
    fed_fail "node5 should have dropped: $out"
sql="SELECT region, count(*) FROM t GROUP BY region"
out=$(fed_query --format json --schema "$FED/schema.ini" "$sql") ||
    fed_fail "SQL: $out"
wait_metric "$cport" 'cairn_jobs_total{outcome="done"} 2'
wait_metric "$cport" "cairn_nodes_connected 4"
scrape "$cport" "$FED/c1.txt" || fed_fail "coordinator scrape"
scrape "$nport" "$FED/n1.txt" || fed_fail "node1 scrape"

python3 - "$FED" "$cport" <<'PY' || fed_fail "metrics check"
import re, sys, urllib.error, urllib.request

fed, cport = sys.argv[1], sys.argv[2]
bad = []
sample = re.compile(r'^([a-z_:][a-z0-9_:]*)(\{(.*)\})? (-?[0-9.e+]+|\+Inf)$')
label = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"(,|$)')

def parse(path):
    """Text exposition -> {(name, labels): value}, checking the format."""
    types, vals = {}, {}
    for n, l in enumerate(open(path).read().split("\n"), 1):
        if l == "":
            continue
        if l.startswith("# HELP ") or l.startswith("# TYPE "):
            f = l.split(" ", 3)
            if l.startswith("# TYPE "):
                assert f[3] in ("counter", "gauge", "histogram"), l
                types[f[2]] = f[3]
            continue
        m = sample.match(l)
        if not m:
            bad.append(f"{path}:{n}: malformed: {l!r}")
            continue
        name, labels = m.group(1), ()
        if m.group(3):
            rest, got = m.group(3), []
            for lm in label.finditer(rest):
                got.append((lm.group(1), lm.group(2)))
            labels = tuple(got)
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        if name not in types and base not in types:
            bad.append(f"{path}:{n}: {name} has no TYPE before it")
        if types.get(name) == "counter" and not name.endswith("_total"):
            bad.append(f"{path}: counter {name} not _total")
        vals[(name, labels)] = float(m.group(4))
    # Histograms: buckets cumulative, +Inf equals _count.
    for h in [t for t, k in types.items() if k == "histogram"]:
        series = {}
        for (name, labels), v in vals.items():
            if name == h + "_bucket":
                key = tuple(x for x in labels if x[0] != "le")
                le = dict(labels)["le"]
                series.setdefault(key, []).append(
                    (float("inf") if le == "+Inf" else float(le), v))
        for key, bs in series.items():
            bs.sort()
            if any(b[1] > c[1] for b, c in zip(bs, bs[1:])):
                bad.append(f"{path}: {h}{key} buckets not cumulative")
            if bs[-1][0] != float("inf") or \
               bs[-1][1] != vals.get((h + "_count", key)):
                bad.append(f"{path}: {h}{key} +Inf is not _count")
    return vals

c0, c1 = parse(f"{fed}/c0.txt"), parse(f"{fed}/c1.txt")
n0, n1 = parse(f"{fed}/n0.txt"), parse(f"{fed}/n1.txt")

def d(a, b, name, **lb):
    key = (name, tuple(lb.items()))
    if key not in b:
        bad.append(f"missing {name}{lb}")
        return 0
    return b[key] - a.get(key, 0)

def want(what, got, ok):
    if not ok:
        bad.append(f"{what}: {got}")

want("done jobs", d(c0, c1, "cairn_jobs_total", outcome="done"), 
     d(c0, c1, "cairn_jobs_total", outcome="done") == 2)
for o in ("failed", "aborted", "refused"):
    v = d(c0, c1, "cairn_jobs_total", outcome=o)
    want(f"{o} jobs", v, v == 0)
v = d(c0, c1, "cairn_session_duration_seconds_count")
want("sessions observed", v, v == 2)
# Two jobs, two passes each: four of every round.
for r in ("advertise", "reveal", "share-keys", "masked-input",
          "consistency", "unmask"):
    v = d(c0, c1, "cairn_round_duration_seconds_count", round=r)
    want(f"round {r} observed", v, v == 4)
v = d(c0, c1, "cairn_dropouts_total", round="masked-input")
want("dropouts in masked-input", v, v == 1)
v = sum(d(c0, c1, "cairn_dropouts_total", round=r) for r in
        ("advertise", "reveal", "share-keys", "consistency", "unmask"))
want("dropouts in other rounds", v, v == 0)
for m in ("cairn_message_bytes_received_total",
          "cairn_message_bytes_sent_total", "cairn_messages_received_total",
          "cairn_messages_sent_total"):
    want(f"coordinator {m} grew", d(c0, c1, m), d(c0, c1, m) > 0)
    want(f"node1 {m} grew", d(n0, n1, m), d(n0, n1, m) > 0)
want("nodes connected", c1.get(("cairn_nodes_connected", ())),
     c1.get(("cairn_nodes_connected", ())) == 4)
want("sessions running", c1.get(("cairn_sessions_running", ())),
     c1.get(("cairn_sessions_running", ())) == 0)
for name, v in (("coordinator", c1), ("node1", n1)):
    e = v.get(("cairn_certificate_expiry_seconds", ()), 0)
    want(f"{name} certificate expiry", e, 364 * 86400 < e <= 366 * 86400)
v = d(n0, n1, "cairn_jobs_total", outcome="contributed")
want("node1 contributed", v, v == 2)
v = d(n0, n1, "cairn_session_duration_seconds_count")
want("node1 sessions observed", v, v == 2)
want("node1 sees its coordinator",
     n1.get(("cairn_coordinator_connected", ())),
     n1.get(("cairn_coordinator_connected", ())) == 1)
want("node has no rounds", "", not any(k[0].startswith("cairn_round") for k in n1))
want("coordinator info", "", ("cairn_info", (("role", "coordinator"),
     ("party", "coord"), ("version", next(k[1][2][1] for k in c1 if k[0] == "cairn_info")))) in c1)

# Read-only: anything but GET is refused; unknown paths are 404.
try:
    urllib.request.urlopen(urllib.request.Request(
        f"http://127.0.0.1:{cport}/metrics", data=b"x", method="POST"),
        timeout=5)
    bad.append("POST accepted")
except urllib.error.HTTPError as e:
    want("POST status", e.code, e.code == 405)
try:
    urllib.request.urlopen(f"http://127.0.0.1:{cport}/nosuch", timeout=5)
    bad.append("/nosuch served")
except urllib.error.HTTPError as e:
    want("/nosuch status", e.code, e.code == 404)
for b in bad:
    print("FAIL:", b)
sys.exit(1 if bad else 0)
PY
# A node has no status page.
python3 - "$nport" <<'PY' || fed_fail "node served a page"
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=5)
    sys.exit(1)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 404 else 1)
PY
# The listener is on loopback only: bound to 127.0.0.1, not 0.0.0.0.
if command -v ss >/dev/null; then
	ss -ltn | grep -q "127.0.0.1:$cport " || fed_fail "not on 127.0.0.1:$cport"
	if ss -ltn | grep -q "0.0.0.0:$cport "; then fed_fail "listens on all addresses"; fi
fi
fed_finish
echo PASS
