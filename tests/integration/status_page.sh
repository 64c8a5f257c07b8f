#!/usr/bin/env bash
# status_page.sh — the coordinator's status page in a real browser: a
# federation of three nodes with metrics_listen on the coordinator; headless
# Chromium loads http://IP:PORT/ while a job is held in its first round
# (node3 stopped with SIGSTOP) and again after it finished.  The DOM
# must list the three nodes with their certificate expiry and last contact,
# the running session with its round, then the finished job with outcome
# "done"; the page has no script.  The screenshot is kept as an artifact in
# <build>/artifacts/status_page.png.  Skips (77) without chromium.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "SKIP: chromium is not installed"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing"; exit 77; }

FED_DEADLINE_MS=20000
fed_init 3
port=$(fed_free_port)
sed -i "s/^threshold = .*/&\nmetrics_listen = 127.0.0.1:$port/" \
    "$FED/coord.conf"
fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3
url=http://127.0.0.1:$port/

# chromium as root needs --no-sandbox; its profile stays in $FED.
browse() {
	timeout 60 "$chrome" --headless --no-sandbox --disable-gpu \
	    --no-first-run --user-data-dir="$FED/chromium" "$@" 2>/dev/null
}

# Hold a job in its first round: node3 answers nothing until SIGCONT.
n3=$(pgrep -P "$FED_NODE_PID_3")
kill -STOP "$n3"
fed_query --format json --dataset t --sum value >"$FED/q.json" 2>&1 &
qpid=$!
fed_wait_log "$FED/coord.log" "pass 1 of 2: session" 1
sleep 0.3 # published within CRN_OPS_PUBLISH_MS
browse --dump-dom "$url" >"$FED/running.html" ||
    fed_fail "chromium could not load $url"
kill -CONT "$n3"
wait "$qpid" || fed_fail "query failed: $(cat "$FED/q.json")"
grep -q '"contributed": \["node1", "node2", "node3"\]' "$FED/q.json" ||
    fed_fail "query: $(cat "$FED/q.json")"
sleep 1.2 # the loop publishes at least every second
browse --dump-dom "$url" >"$FED/done.html" ||
    fed_fail "chromium could not load $url"
art=${CAIRN_BUILD:-$PWD}/artifacts
mkdir -p "$art"
rm -f "$art/status_page.png"
browse --window-size=1280,900 --screenshot="$art/status_page.png" "$url" \
    >/dev/null || fed_fail "no screenshot"

python3 - "$FED" "$art/status_page.png" <<'PY' || fed_fail "DOM check"
import html.parser, re, sys

fed, png = sys.argv[1], sys.argv[2]
bad = []

class Tables(html.parser.HTMLParser):
    """Rows of the tables by id, as lists of cell texts."""
    def __init__(self):
        super().__init__()
        self.tables, self.cur, self.row, self.cell = {}, None, None, None
        self.scripts = 0
        self.text = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "table":
            self.cur = a.get("id")
            self.tables[self.cur] = []
        elif tag == "tr" and self.cur is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = ""
    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(self.cell.strip())
            self.cell = None
        elif tag == "tr" and self.row is not None:
            if self.cur is not None:
                self.tables[self.cur].append(self.row)
            self.row = None
        elif tag == "table":
            self.cur = None
    def handle_data(self, data):
        self.text.append(data)
        if self.cell is not None:
            self.cell += data

def load(name):
    p = Tables()
    p.feed(open(f"{fed}/{name}").read())
    if p.scripts:
        bad.append(f"{name}: has a script")
    for t in ("nodes", "sessions", "jobs"):
        if t not in p.tables:
            bad.append(f"{name}: no table {t}")
            p.tables[t] = [[]]
    return p

stamp = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")
for name in ("running.html", "done.html"):
    p = load(name)
    head, *rows = p.tables["nodes"]
    names = sorted(r[0] for r in rows)
    if names != ["node1", "node2", "node3"]:
        bad.append(f"{name}: nodes {names}")
    for r in rows:
        # node, state, certificate expires, expires in, last contact
        if len(r) != 5 or not stamp.match(r[2]) or \
           not re.match(r"^36[45] d \d+ h$", r[3]) or \
           not stamp.match(r[4]) or not r[4].endswith("s ago)"):
            bad.append(f"{name}: node row {r}")

p = load("running.html")
head, *rows = p.tables["sessions"]
if len(rows) != 1:
    bad.append(f"running.html: sessions {rows}")
else:
    job, who, asked, pas, rnd, nodes, _ = rows[0]
    if (who, asked, pas, nodes) != ("alice", "sum t.value", "1 of 2", "3") \
       or rnd != "advertise":
        bad.append(f"running.html: session row {rows[0]}")
head, *rows = p.tables["jobs"]
if rows:
    bad.append(f"running.html: a job finished already: {rows}")

p = load("done.html")
head, *rows = p.tables["sessions"]
if rows:
    bad.append(f"done.html: sessions still running: {rows}")
head, *rows = p.tables["jobs"]
# finished, job, researcher, asked, outcome, nodes, took, detail
if len(rows) != 1 or rows[0][2:6] != ["alice", "sum t.value", "done", "3"] \
   or not stamp.match(rows[0][0]) or not rows[0][6].endswith(" ms"):
    bad.append(f"done.html: jobs {rows}")
if "3 connected, 3 known" not in "".join(p.text):
    bad.append("done.html: no '3 connected, 3 known'")

b = open(png, "rb").read()
if not b.startswith(b"\x89PNG\r\n\x1a\n") or len(b) < 5000:
    bad.append(f"screenshot {png}: not a PNG of a page ({len(b)} bytes)")
for x in bad:
    print("FAIL:", x)
sys.exit(1 if bad else 0)
PY
fed_finish
echo "PASS (screenshot: $art/status_page.png)"
