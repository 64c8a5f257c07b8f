#!/usr/bin/env bash
# pki_cli.sh — the federation PKI's whole life cycle through the real
# program: 'cairn ca init', 'cairn keygen' for every role, 'ca sign',
# 'ca verify' (OK, revoked, expired, tampered, unknown CA, wrong role),
# 'ca revoke', 'ca crl', key file modes and owners, refusals of unsafe key
# files and of overwrites, the CA deciding the role ('ca sign --role', a
# request asking for another role refused), CA display names with spaces
# and accents, and exit status 2 with one line for bad arguments.  Every
# check looks at the exit status and at the message text.
# CAIRN_TEST_TIMEOUT: 120
set -euo pipefail

: "${CAIRN_BIN:?CAIRN_BIN must name the cairn program}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ca="$tmp/ca"
keys="$tmp/keys"

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# run ARGS...: run cairn, keep stdout/stderr in files and the status in rc.
run() {
	set +e
	"$CAIRN_BIN" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	set -e
}
# ok ARGS...: must exit 0.
ok() {
	run "$@"
	[ "$rc" -eq 0 ] || fail "'cairn $*' exited $rc: $(cat "$tmp/err")"
}
# refused WANT ARGS...: must exit WANT with exactly one line on stderr.
refused() {
	local want=$1
	shift
	run "$@"
	[ "$rc" -eq "$want" ] ||
	    fail "'cairn $*' exited $rc, want $want: $(cat "$tmp/err")"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	    fail "'cairn $*' printed $(wc -l <"$tmp/err") lines on stderr"
	grep -q '^cairn: ' "$tmp/err" || fail "'cairn $*': $(cat "$tmp/err")"
}
out_has() {
	grep -qF -- "$1" "$tmp/out" ||
	    fail "stdout lacks '$1': $(cat "$tmp/out")"
}
err_has() {
	grep -qF -- "$1" "$tmp/err" ||
	    fail "stderr lacks '$1': $(cat "$tmp/err")"
}
mode() {
	stat -c %a "$1"
}
# The value of a "field   value" line of the last stdout.
field() {
	sed -n "s/^$1  *//p" "$tmp/out" | head -n 1
}

# ---- ca init ---------------------------------------------------------------
ok ca init --dir "$ca" --name testfed --days 100
out_has "certificate  $ca/ca.crt"
out_has "Keep $ca/ca.key offline"
ca_fp=$(field fingerprint)
case "$ca_fp" in
SHA256:?*) ;;
*) fail "ca init printed no fingerprint" ;;
esac
for f in ca.key ca.crt crl.pem; do
	[ -f "$ca/$f" ] || fail "ca init did not write $f"
done
[ "$(mode "$ca")" = 700 ] || fail "CA dir mode $(mode "$ca")"
[ "$(mode "$ca/ca.key")" = 600 ] || fail "ca.key mode $(mode "$ca/ca.key")"
refused 1 ca init --dir "$ca"
err_has "$ca already exists"
# The README's first command: a display name with spaces (and accents).
ok ca init --dir "$tmp/ca-display" --name "Example federation CA"
out_has "created CA 'Example federation CA'"
ok ca init --dir "$tmp/ca-utf8" --name "Fédération statistique — CA"
out_has "created CA 'Fédération statistique — CA'"
ok keygen --role node --name shown --out "$tmp/keys-display"
ok ca sign --dir "$tmp/ca-display" --role node "$tmp/keys-display/shown.csr"
ok ca verify --dir "$tmp/ca-display" --role node "$tmp/keys-display/shown.crt"
out_has "verification OK"

# ---- keygen for each role, sign, verify ----------------------------------
for role in node coordinator researcher; do
	name="$role-1"
	ok keygen --role "$role" --name "$name" --out "$keys"
	out_has "$keys/$name.key"
	out_has "$keys/$name.csr"
	kfp=$(field fingerprint)
	[ "$(mode "$keys/$name.key")" = 600 ] ||
	    fail "$name.key has mode $(mode "$keys/$name.key")"
	[ "$(mode "$keys")" = 700 ] || fail "key dir mode $(mode "$keys")"
	grep -q 'BEGIN CERTIFICATE REQUEST' "$keys/$name.csr" ||
	    fail "$name.csr is not a PEM request"
	if grep -q 'PRIVATE' "$keys/$name.csr"; then
		fail "$name.csr contains a private key"
	fi

	ok ca show "$keys/$name.csr"
	out_has "role         $role"
	[ "$(field fingerprint)" = "$kfp" ] || fail "request fingerprint"

	ok ca sign --dir "$ca" --role "$role" "$keys/$name.csr"
	out_has "certificate  $keys/$name.crt"
	out_has "name         $name"
	out_has "role         $role"
	field serial | grep -Eq '^[0-9a-f]{32}$' ||
	    fail "serial: $(field serial)"
	[ "$(field fingerprint)" = "$kfp" ] ||
	    fail "certificate of $name carries another key"
	[ -f "$keys/$name.crt" ] || fail "no $name.crt"

	ok ca verify --dir "$ca" --role "$role" "$keys/$name.crt"
	out_has "verification OK"
	out_has "name         $name"
done

# A certificate with the wrong role is refused.
refused 1 ca verify --dir "$ca" --role researcher "$keys/node-1.crt"
err_has "wrong role: a node certificate"
out_has "verification FAILED"
# The CA's own certificate is no participant's.
refused 1 ca verify --dir "$ca" "$ca/ca.crt"
err_has "not a participant's certificate"

# ca show without a CA does not pretend to verify.
ok ca show "$keys/node-1.crt"
out_has "verification not checked"

# ---- one valid certificate per name -----------------------------------
refused 1 ca sign --dir "$ca" --role node "$keys/node-1.csr"
err_has "a certificate for 'node-1' was already issued; revoke it first"
err_has "with 'cairn ca revoke --dir $ca node-1'"

# ---- the CA decides the role, not the request ---------------------------
# A request for a coordinator certificate, signed by an operator who meant
# to certify a node: refused, naming both roles, and nothing is issued.
ok keygen --role coordinator --name climber --out "$keys"
refused 2 ca sign --dir "$ca" "$keys/climber.csr"
err_has "--role is required"
refused 1 ca sign --dir "$ca" --role node "$keys/climber.csr"
err_has "asks for role 'coordinator' but --role is 'node'; refusing to sign"
[ -e "$keys/climber.crt" ] && fail "a certificate was issued for a role mismatch"
refused 1 ca sign --dir "$ca" --role researcher "$keys/climber.csr"
err_has "asks for role 'coordinator' but --role is 'researcher'"
refused 2 ca sign --dir "$ca" --role king "$keys/climber.csr"
err_has "unknown role 'king'"
ls "$keys" | grep -q 'tmp' && fail "temporary files left in $keys"
# The name is still free for the role the CA means to give.
ok ca sign --dir "$ca" --role coordinator "$keys/climber.csr"
out_has "role         coordinator"
ok ca verify --dir "$ca" --role coordinator "$keys/climber.crt"

# ---- revocation ---------------------------------------------------------
ok ca revoke --dir "$ca" node-1
out_has "$ca/crl.pem"
out_has "Distribute"
refused 1 ca verify --dir "$ca" --role node "$keys/node-1.crt"
err_has "revoked"
refused 1 ca revoke --dir "$ca" node-1
err_has "already revoked"
refused 1 ca revoke --dir "$ca" nobody
err_has "never issued a certificate for 'nobody'"
# Others are untouched, and a renewed CRL keeps the entry.
ok ca verify --dir "$ca" "$keys/coordinator-1.crt"
ok ca crl --dir "$ca"
refused 1 ca verify --dir "$ca" "$keys/node-1.crt"
err_has "revoked"

# ---- overwrite refused; --force replaces and says so -------------------
cp "$keys/node-1.key" "$tmp/old.key"
refused 1 keygen --role node --name node-1 --out "$keys"
err_has "already exists; refusing to overwrite"
cmp -s "$keys/node-1.key" "$tmp/old.key" || fail "key changed after refusal"
ok keygen --role node --name node-1 --out "$keys" --force
err_has "replaced the existing key"
newfp=$(field fingerprint)
cmp -s "$keys/node-1.key" "$tmp/old.key" && fail "--force kept the old key"
[ "$(mode "$keys/node-1.key")" = 600 ] || fail "replaced key mode"
ls -a "$keys" | grep -q 'tmp' && fail "temporary files left in $keys"
# After revocation the name can be issued again, for the new key.
ok ca sign --dir "$ca" --role node "$keys/node-1.csr"
[ "$(field fingerprint)" = "$newfp" ] || fail "re-issued for the wrong key"
ok ca verify --dir "$ca" --role node "$keys/node-1.crt"

# --csr-only keeps the key and makes a new request for it.
ok keygen --role node --name node-1 --out "$keys" --csr-only
[ "$(field fingerprint)" = "$newfp" ] || fail "--csr-only changed the key"

# ---- key files others can read are refused when loaded ------------------
chmod 0644 "$keys/node-1.key"
refused 1 keygen --role node --name node-1 --out "$keys" --csr-only
err_has "$keys/node-1.key has mode 644"
err_has "chmod 600"
chmod 0600 "$keys/node-1.key"
# ...and so are key files owned by another user, even with mode 0600 (as
# OpenSSH does): that user could read or replace them.
if [ "$(id -u)" = 0 ]; then
	chown nobody "$keys/node-1.key"
	refused 1 keygen --role node --name node-1 --out "$keys" --csr-only
	err_has "$keys/node-1.key belongs to nobody, not to root who runs cairn"
	err_has "chown root $keys/node-1.key"
	chown root "$keys/node-1.key"
	ok keygen --role node --name node-1 --out "$keys" --csr-only
	ok keygen --role researcher --name owned --out "$keys"
	chown nobody "$ca/ca.key"
	refused 1 ca sign --dir "$ca" --role researcher "$keys/owned.csr"
	err_has "$ca/ca.key belongs to nobody"
	[ -e "$keys/owned.crt" ] && fail "signed with another user's CA key"
	chown root "$ca/ca.key"
else
	echo "pki_cli: skipped the key owner checks: chown needs root"
fi

ok keygen --role researcher --name researcher-2 --out "$keys"
chmod 0640 "$ca/ca.key"
refused 1 ca sign --dir "$ca" --role researcher "$keys/researcher-2.csr"
err_has "$ca/ca.key has mode 640"
[ -f "$keys/researcher-2.crt" ] && fail "signed with an exposed CA key"
chmod 0600 "$ca/ca.key"

# An output that is a directory is refused before anything is issued.
mkdir "$tmp/adir"
refused 1 ca sign --dir "$ca" --role researcher --out "$tmp/adir" \
    "$keys/researcher-2.csr"
err_has "is not a regular file"
ok ca verify --dir "$ca" "$keys/coordinator-1.crt"

# ---- expired ----------------------------------------------------------------
ok ca sign --dir "$ca" --role researcher --valid-from 2020-01-01 \
    --valid-until 2021-01-01 \
    "$keys/researcher-2.csr"
out_has "not after    2021-01-01 00:00:00 UTC"
refused 1 ca verify --dir "$ca" "$keys/researcher-2.crt"
err_has "expired on 2021-01-01"

# An expired certificate does not block its name.
ok ca sign --dir "$ca" --role researcher "$keys/researcher-2.csr"
ok ca verify --dir "$ca" --role researcher "$keys/researcher-2.crt"

# Two operators signing the same name at once: the CA's lock lets exactly
# one through, the other is told the name is taken.
ok keygen --role node --name twin --out "$tmp/tw1"
ok keygen --role node --name twin --out "$tmp/tw2"
set +e
"$CAIRN_BIN" ca sign --dir "$ca" --role node "$tmp/tw1/twin.csr" >/dev/null \
    2>"$tmp/tw1.err" &
p1=$!
"$CAIRN_BIN" ca sign --dir "$ca" --role node "$tmp/tw2/twin.csr" >/dev/null \
    2>"$tmp/tw2.err" &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
set -e
[ $((r1 + r2)) -eq 1 ] || fail "concurrent signs exited $r1 and $r2"
cat "$tmp/tw1.err" "$tmp/tw2.err" | grep -q "already issued" ||
    fail "the losing sign did not say why"

# ---- tampered certificate (one byte of the signature flipped) --------------
sed '/-----/d' "$keys/coordinator-1.crt" | base64 -d >"$tmp/c.der"
ok ca verify --dir "$ca" "$tmp/c.der"	# DER is accepted as such
size=$(stat -c %s "$tmp/c.der")
off=$((size - 10))
byte=$(od -An -tu1 -j "$off" -N1 "$tmp/c.der" | tr -d ' ')
printf "\\$(printf %03o $(((byte ^ 1) & 255)))" |
    dd of="$tmp/c.der" bs=1 seek="$off" conv=notrunc status=none
refused 1 ca verify --dir "$ca" "$tmp/c.der"
err_has "tampered"

# A tampered request is refused by the CA.
{
	echo '-----BEGIN CERTIFICATE REQUEST-----'
	sed '/-----/d' "$keys/researcher-2.csr" | base64 -d >"$tmp/r.der"
	size=$(stat -c %s "$tmp/r.der")
	off=$((size - 10))
	byte=$(od -An -tu1 -j "$off" -N1 "$tmp/r.der" | tr -d ' ')
	printf "\\$(printf %03o $(((byte ^ 1) & 255)))" |
	    dd of="$tmp/r.der" bs=1 seek="$off" conv=notrunc status=none
	base64 -w 64 "$tmp/r.der"
	echo '-----END CERTIFICATE REQUEST-----'
} >"$tmp/bad.csr"
refused 1 ca sign --dir "$ca" --role researcher --out "$tmp/bad.crt" \
    "$tmp/bad.csr"
err_has "signature does not verify"
[ -e "$tmp/bad.crt" ] && fail "a tampered request was signed"

# ---- a second CA (even with the same name) is an unknown CA ----------------
ok ca init --dir "$tmp/ca2" --name testfed
[ "$(field fingerprint)" != "$ca_fp" ] || fail "two CAs, one fingerprint"
ok keygen --role node --name rogue --out "$tmp/keys2"
ok ca sign --dir "$tmp/ca2" --role node "$tmp/keys2/rogue.csr"
ok ca verify --dir "$tmp/ca2" "$tmp/keys2/rogue.crt"
refused 1 ca verify --dir "$ca" --role node "$tmp/keys2/rogue.crt"
err_has "unknown CA"

# ---- keygen warns about a directory others can read ---------------------
mkdir -m 0755 "$tmp/open"
ok keygen --role node --name n9 --out "$tmp/open"
err_has "warning: $tmp/open is accessible by group or others"
[ "$(mode "$tmp/open/n9.key")" = 600 ] || fail "n9.key mode"

# ---- not a CA directory ---------------------------------------------------
refused 1 ca sign --dir "$tmp/nowhere" --role researcher \
    "$keys/researcher-2.csr"
err_has "cairn ca init --dir"
refused 1 ca verify --dir "$keys" "$keys/node-1.crt"
err_has "not a CA directory"
refused 1 ca verify --dir "$ca" "$tmp/missing.crt"
err_has "no such file"

# ---- --help for everything ---------------------------------------------------
for sub in init sign revoke crl show verify; do
	ok ca "$sub" --help
	out_has "usage: cairn ca $sub"
done
ok ca sign --help
out_has "--role ROLE"
out_has "[--valid-from D] [--valid-until D]"
ok schema check --help
out_has "cairn schema check FILE.ini"
out_has "exit status"
ok demo --help
out_has "[--examples DIR]"
out_has "--query SQL"
ok ca --help
ok keygen --help
out_has "usage: cairn keygen"

# ---- usage errors: exit 2, one line -----------------------------------------
refused 2 ca
refused 2 ca frobnicate
err_has "unknown command 'frobnicate'"
refused 2 ca init
err_has "--dir is required"
refused 2 ca init --dir "$tmp/ca3" --days 0
err_has "--days"
[ -e "$tmp/ca3" ] && fail "ca init made a CA despite a usage error"
refused 2 ca init --dir "$tmp/ca3" --name $'bad\tname'
err_has "invalid --name 'bad\\x09name'"
refused 2 ca init --dir "$tmp/ca3" --name "$(printf 'x%.0s' {1..65})"
refused 2 ca init --dir "$tmp/ca3" --name $'\xff'
[ -e "$tmp/ca3" ] && fail "ca init made a CA from a bad name"
refused 2 ca sign --dir "$ca" --role node
err_has "which request?"
refused 2 ca sign --dir "$ca" --role node --days abc "$keys/node-1.csr"
refused 2 ca sign --dir "$ca" --role node --valid-until 2021-02-30 \
    "$keys/node-1.csr"
refused 2 ca sign --dir "$ca" --role node --days 5 --valid-until 2030-01-01 \
    "$keys/node-1.csr"
refused 2 ca sign --dir "$ca" --role node a.csr b.csr
err_has "unexpected argument 'b.csr'"
refused 2 ca revoke --dir "$ca" 'bad/name'
refused 2 ca verify "$keys/node-1.crt"
refused 2 ca verify --dir "$ca" --role king "$keys/node-1.crt"
err_has "unknown role 'king'"
refused 2 ca verify --dir "$ca" --frob "$keys/node-1.crt"
err_has "unknown option '--frob'"
refused 2 keygen
refused 2 keygen --role king --name a --out "$tmp/k3"
refused 2 keygen --role node --name 'a/b' --out "$tmp/k3"
refused 2 keygen --role node --name a --out
refused 2 keygen --role node --name a --out "$tmp/k3" --force --csr-only
refused 2 keygen --role node --name a --out "$tmp/k3" --bogus
[ -e "$tmp/k3" ] && fail "keygen made a directory despite a usage error"

echo "pki_cli: ok"
