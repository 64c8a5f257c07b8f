#!/usr/bin/env bash
# fed_wire.sh — what a network observer sees (issue 8, finding 3).  A real
# coordinator and three node daemons over tcp://127.0.0.1; every node and
# the researcher reach the coordinator through a small TCP proxy written
# here, which records every byte in both directions.  After a federated
# SQL query (and `cairn status`) the recording must contain none of: the
# SQL text, a column name, the dataset name, a released value, the
# researcher's or a node's name; and every byte of every connection must
# be TLS 1.3: after the two hellos (at most 2 KiB each, plaintext by the
# protocol's design) nothing but encrypted application-data records, so
# no envelope, share or masked vector travels in clear.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

FED_TCP=1
fed_init 3
# Our own dataset, with names distinctive enough to search for.
cat >"$FED/schema.ini" <<'EOS'
[federation]
min_cell = 1
max_nodes = 100

[dataset earnings_panel]
max_rows = 100000

[column earnings_panel.hourly_wage]
type = integer
min = 0
max = 100000000

[column earnings_panel.county_code]
type = category
domain = Maplewood, Birchfield
EOS
for i in 1 2 3; do
	sed -i -e 's/^\[dataset t\]/[dataset earnings_panel]/' \
	    -e 's/^expose = .*/expose = hourly_wage, county_code/' \
	    "$FED/node$i.conf"
	{
		echo "id,hourly_wage,county_code"
		for ((r = 1; r <= 30; r++)); do
			echo "$r,$((9000000 + i * 100003 + r * 7919)),$([ $((r % 2)) = 0 ] && echo Maplewood || echo Birchfield)"
		done
	} >"$FED/data/node$i.csv"
done

# The proxy: nodes and the researcher dial it, it dials the coordinator.
coord_port=${FED_URL##*:}
proxy_port=$(fed_free_port)
mkdir "$FED/wire"
python3 - "$proxy_port" "$coord_port" "$FED/wire" 2>"$FED/proxy.log" <<'EOF' &
import os, signal, socket, sys, threading

# fed_finish stops us with SIGTERM like the daemons: a clean exit.
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))

lport, cport, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", lport))
srv.listen(64)

def pump(src, dst, path):
    with open(path, "wb") as f:
        while True:
            try:
                b = src.recv(1 << 16)
            except OSError:
                b = b""
            if not b:
                break
            f.write(b)
            f.flush()
            try:
                dst.sendall(b)
            except OSError:
                break
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

n = 0
while True:
    c, _ = srv.accept()
    try:
        u = socket.create_connection(("127.0.0.1", cport))
    except OSError:
        c.close()
        continue
    for s in (c, u):
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    n += 1
    base = os.path.join(out, "%04d" % n)
    threading.Thread(target=pump, args=(c, u, base + ".up"), daemon=True).start()
    threading.Thread(target=pump, args=(u, c, base + ".down"), daemon=True).start()
EOF
FED_PIDS+=($!)
for ((k = 0; k < 50; k++)); do
	(exec 3<>"/dev/tcp/127.0.0.1/$proxy_port") 2>/dev/null && break
	sleep 0.1
done
rm -f "$FED"/wire/*
proxy_url=tcp://127.0.0.1:$proxy_port
sed -i "s|^coordinator = .*|coordinator = $proxy_url|" \
    "$FED"/node?.conf "$FED/alice.conf"

fed_start_coord
for i in 1 2 3; do fed_start_node "$i"; done
fed_wait_nodes 3

q="SELECT county_code, count(*), sum(hourly_wage) FROM earnings_panel GROUP BY county_code ORDER BY county_code"
out=$(fed_query --schema "$FED/schema.ini" --format csv "$q" | tr -d '\r') ||
    fed_fail "query: $out"
echo "$out"
# The released values, as the researcher printed them.
sums=$(echo "$out" | tail -n +2 | cut -d, -f3)
[ "$(echo "$sums" | wc -l)" = 2 ] || fed_fail "expected two groups: $out"
fed_finish
ls -l "$FED/wire" >&2
[ "$(ls "$FED/wire" | wc -l)" -ge 8 ] || fed_fail "the proxy recorded too little"

python3 - "$FED/wire" "$q" $sums <<'EOF' || fed_fail "the wire carries something in clear"
import os, sys

wire, sql, values = sys.argv[1], sys.argv[2], sys.argv[3:]
needles = [sql, "earnings_panel", "hourly_wage", "county_code", "Maplewood",
           "Birchfield", "alice", "node1", "node2", "node3", "coord"] + values
bad = 0
total = 0
for name in sorted(os.listdir(wire)):
    data = open(os.path.join(wire, name), "rb").read()
    total += len(data)
    for nd in needles:
        for form in (nd.encode(), nd.encode("utf-16-le")):
            if form in data:
                print("%s: '%s' in clear" % (name, nd))
                bad += 1
    # TLS records: type(1) version(2) length(2).  Plaintext handshake
    # records only first (the hello), then application data only.
    off, clear, seen_app = 0, 0, False
    while off < len(data):
        if off + 5 > len(data):
            print("%s: %d trailing bytes are not a TLS record" %
                  (name, len(data) - off))
            bad += 1
            break
        typ, ver, ln = data[off], data[off + 1:off + 3], \
            int.from_bytes(data[off + 3:off + 5], "big")
        if ver not in (b"\x03\x01", b"\x03\x03") or ln > 16384 + 256:
            print("%s: offset %d is not a TLS record (%r)" %
                  (name, off, data[off:off + 8]))
            bad += 1
            break
        if typ == 23:
            seen_app = True
        elif typ == 20 and ln == 1:
            pass            # TLS 1.3 middlebox compatibility: no content
        elif typ == 22 and not seen_app:
            clear += ln
        else:
            print("%s: a record of type %d at offset %d travels in clear" %
                  (name, typ, off))
            bad += 1
        off += 5 + ln
    if clear > 2048:
        print("%s: %d bytes of plaintext handshake" % (name, clear))
        bad += 1
print("wire: %d files, %d bytes, %d findings" %
      (len(os.listdir(wire)), total, bad))
sys.exit(1 if bad else 0)
EOF
echo "PASS: nothing in clear on the wire"
