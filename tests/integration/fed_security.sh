#!/usr/bin/env bash
# fed_security.sh — channel security and node-side job checks with real
# processes.  Parties of another CA, expired and revoked certificates are
# refused in the TLS handshake (by whichever side checks first; the
# refused client says why at once); the coordinator refuses, and logs a
# line for, each of: a node certificate used as a researcher, an envelope
# altered after signing, an unsigned one, one without certificate, one
# signed by a key that is not the certificate's, and a replayed one.  A
# party from another CA is never counted.  A researcher revoked after the
# coordinator last read its CRL is refused by every node itself.  (The
# coordinator logs refusals at debug level too, so that every line
# appears although warnings are rate-limited.)
# CAIRN_TEST_TIMEOUT: 150
set -euo pipefail
. "$(dirname "$0")/lib_fed.sh"

# The coordinator reads its own copy of the CRL, which we leave stale, so
# that only the nodes know about the revocation below.
FED_COORD_CRL=pki/coord-crl.pem
FED_POLICY="alice, bob"
FED_QUERY_MS=3000
fed_init 4
cp "$FED/pki/crl.pem" "$FED/pki/coord-crl.pem"
# node4's own policy does not authorise bob.
sed -i 's/^researchers = .*/researchers = alice/' "$FED/node4.conf"

# Researcher configs: name key-dir ca crl [cert]
rconf() {
	cat >"$FED/$1.conf" <<EOC
[researcher]
coordinator = $FED_URL
key = $2/$1.key
cert = ${5:-$2/$1.crt}
ca_cert = $3
crl = $4
timeout_ms = 3000
EOC
}
fed_issue "$FED/ca" researcher bob "$FED/pki"
fed_issue "$FED/ca" researcher carol "$FED/pki"
# carol's certificate expired long ago.
rm "$FED/pki/carol.crt"
"$CAIRN_BIN" ca revoke --dir "$FED/ca" carol >/dev/null
"$CAIRN_BIN" ca sign --dir "$FED/ca" --role researcher \
    --valid-from 2020-01-01 --days 1 \
    --out "$FED/pki/carol.crt" "$FED/pki/carol.csr" >/dev/null 2>&1 ||
    fed_fail "cannot issue an expired certificate"
cp "$FED/ca/crl.pem" "$FED/pki/crl.pem"
cp "$FED/ca/crl.pem" "$FED/pki/coord-crl.pem"
rconf bob "$FED/pki" "$FED/pki/ca.crt" "$FED/pki/coord-crl.pem"
rconf carol "$FED/pki" "$FED/pki/ca.crt" "$FED/pki/crl.pem"
# node4's key and certificate presented as a researcher's.
cp "$FED/pki/node4.key" "$FED/pki/n4.key"
rconf n4 "$FED/pki" "$FED/pki/ca.crt" "$FED/pki/crl.pem" \
    "$FED/pki/node4.crt"

# Another CA, with a node and a researcher of its own.
"$CAIRN_BIN" ca init --dir "$FED/ca2" --name other-ca >/dev/null
mkdir -m 700 "$FED/pki2"
fed_issue "$FED/ca2" node node9 "$FED/pki2"
fed_issue "$FED/ca2" researcher mallory "$FED/pki2"
rconf mallory "$FED/pki2" "$FED/ca2/ca.crt" "$FED/ca2/crl.pem"
sed -e 's/node1/node9/g' -e "s|pki/node9|$FED/pki2/node9|" \
    -e "s|ca_cert = pki/ca.crt|ca_cert = $FED/ca2/ca.crt|" \
    -e "s|crl = pki/crl.pem|crl = $FED/ca2/crl.pem|" \
    "$FED/node1.conf" >"$FED/node9.conf"
cp "$FED/data/node1.csv" "$FED/data/node9.csv"

CAIRN_LOG=debug fed_start_coord
for i in 1 2 3 4 9; do fed_start_node "$i"; done
fed_wait_nodes 4
# node9 checks the coordinator's certificate first, and refuses it.
fed_wait_log "$FED/node9.log" \
    "certificate of 'coord' refused: certificate not issued by the federation CA" 1
fed_wait_log "$FED/coord.log" "refused a connection from .*TLS alert: unknown CA" 1
sleep 1

coord_refused() {	# pattern: the coordinator logged a refusal
	fed_wait_log "$FED/coord.log" "refused a .*$1" 1
}
rq() {	# researcher-config [env...]: a query that must fail
	local c=$1 out
	shift
	if out=$(env "$@" timeout 30 "$(fed_bin "$@")" query --config \
	    "$FED/$c.conf" --format json --dataset t --sum value 2>&1); then
		fed_fail "query as $c ($*) succeeded: $out"
	fi
	echo "$c $*: $out"
	RQ_OUT=$out
}

# A party from another CA is never counted.
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
echo "$out"
[ "$(echo "$out" | fed_json_list contributed)" = "node1,node2,node3,node4" ] ||
    fed_fail "contributors: $out"
[ "$(echo "$out" | fed_json_rows)" = \
    "$(fed_rows 1 2 3 4), $(fed_rows 1 2 3 4), $(fed_sum 1 2 3 4)" ] ||
    fed_fail "sum: $out"
fed_status | grep -q "node9" && fed_fail "status lists node9"
grep -q "connected to coordinator" "$FED/node9.log" &&
    fed_fail "node9 accepted the coordinator of another CA"
grep -q "connected to coordinator" "$FED/node9.log" &&
    fed_fail "node9 connected"

rq mallory
echo "$RQ_OUT" | grep -q "certificate of 'coord' refused: certificate not issued by the federation CA" ||
    fed_fail "mallory was not told why: $RQ_OUT"
rq n4 CAIRN_TEST_UNCHECKED_SELF=1
coord_refused "from 'node4': role node, need researcher"
rq carol CAIRN_TEST_UNCHECKED_SELF=1
coord_refused "connection from .*certificate of 'carol' refused: certificate expired"
echo "$RQ_OUT" | grep -q "TLS alert: certificate expired" ||
    fed_fail "carol was not told why: $RQ_OUT"
rq alice CAIRN_TEST_TAMPER=forge
coord_refused "from 'alice': bad signature"
n=$(grep -c "from 'alice': bad signature" "$FED/coord.log")
rq alice CAIRN_TEST_TAMPER=unsigned
fed_wait_log "$FED/coord.log" "from 'alice': bad signature" $((n + 1))
rq alice CAIRN_TEST_TAMPER=nocert
coord_refused ": no certificate"
rq alice CAIRN_TEST_TAMPER=wrongkey
coord_refused "signer is not the key of certificate 'alice'"
# A replay: the first copy runs, the second is refused.
out=$(CAIRN_TEST_TAMPER=replay fed_query --format json --dataset t \
    --sum value) || fed_fail "replay: first copy did not run: $out"
coord_refused "from 'alice': replayed"
[ "$(grep -c "job from 'alice'" "$FED/coord.log")" = 2 ] ||
    fed_fail "a replayed job ran twice"

# Revocation: bob is fine at first, except at node4 whose policy does not
# name him: node4 refuses by itself and is not counted.
out=$(timeout 30 "$CAIRN_BIN" query --config "$FED/bob.conf" --format json \
    --dataset t --sum value) || fed_fail "bob before revocation: $out"
echo "bob: $out"
[ "$(echo "$out" | fed_json_list contributed)" = "node1,node2,node3" ] ||
    fed_fail "bob's job at node4: $out"
[ "$(echo "$out" | fed_json_rows)" = \
    "$(fed_rows 1 2 3), $(fed_rows 1 2 3), $(fed_sum 1 2 3)" ] ||
    fed_fail "bob's sum: $out"
grep -q "researcher bob dataset t: refused: researcher 'bob' not in policy" \
    "$FED/node4.log" || fed_fail "node4 did not log its policy refusal"
# ...then revoked; only the nodes get the new CRL.  Each refuses bob's job
# itself, whatever the coordinator thinks.
"$CAIRN_BIN" ca revoke --dir "$FED/ca" bob >/dev/null
cp "$FED/ca/crl.pem" "$FED/pki/crl.pem.new"
mv "$FED/pki/crl.pem.new" "$FED/pki/crl.pem"
sleep 1.2
rq bob
for i in 1 2 3 4; do
	fed_wait_log "$FED/node$i.log" \
	    "researcher bob dataset .*refused: researcher certificate: certificate revoked" 1
done
# Once the coordinator has the new CRL too, it refuses bob's envelopes.
cp "$FED/pki/crl.pem" "$FED/pki/coord-crl.pem.new"
mv "$FED/pki/coord-crl.pem.new" "$FED/pki/coord-crl.pem"
sleep 1.2
rq bob CAIRN_TEST_UNCHECKED_SELF=1
coord_refused "connection from .*certificate of 'bob' refused: certificate revoked"
echo "$RQ_OUT" | grep -q "TLS alert: certificate revoked" ||
    fed_fail "bob was not told why: $RQ_OUT"
# alice still works.
out=$(fed_query --format json --dataset t --sum value) || fed_fail "$out"
fed_finish
echo "fed_security: ok"
