#!/usr/bin/env bash
# pkg_deb.sh — the Debian package: build it from the existing build tree
# (scripts/pkg_deb.sh), then
#   - it holds exactly the expected files: the release program (no test
#     hook, never cairn-hooked), man pages, units, docs;
#   - lintian reports no error or warning (overrides: pkg/debian/
#     lintian-overrides, each justified there);
#   - Depends names the package of every shared library the program needs;
#   - systemd-analyze verify accepts both units in a root holding the
#     extracted package (ExecStart's binary and the man pages of
#     Documentation= are looked up there) and prints nothing, and
#     'systemd-analyze security' rates their sandbox at most 2.0;
#   - cairn from the extracted root makes a CA, a node key and certificate
#     and a configuration there, and 'cairn node check' accepts it;
#   - 'cairn demo' from the root answers over the packaged sample
#     federation (/usr/share/cairn/examples), not the source tree's;
#   - the maintainer scripts make the cairn system user and its
#     directories, and purge removes them (in a private mount namespace
#     over copies of /etc and /var/lib; skipped where unshare is refused).
# Controls: a unit with a misspelt directive, and one whose program is
# missing, fail verify; node check refuses a key readable by others.
# Exits 77 when lintian, dpkg-deb, dpkg-shlibdeps, systemd-analyze or
# cpack is missing (CPack builds the package without fakeroot).
# CAIRN_TEST_TIMEOUT: 180
set -euo pipefail
: "${CAIRN_SRC:?CAIRN_SRC must name the source tree}"
: "${CAIRN_BUILD:?CAIRN_BUILD must name the build tree}"
for t in lintian dpkg-deb dpkg-shlibdeps systemd-analyze cpack; do
	command -v "$t" >/dev/null || {
		echo "skip: $t is not installed (scripts/setup.sh)"
		exit 77
	}
done
if [ -n "${CAIRN_SANITIZER:-}" ]; then
	echo "skip: a sanitizer build is not a release package"
	exit 77
fi
tmp=$(mktemp -d)
lintian_pid=
trap '[ -z "$lintian_pid" ] || kill "$lintian_pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

deb=$("$CAIRN_SRC/scripts/pkg_deb.sh" "$CAIRN_BUILD" "$tmp/out" 2>"$tmp/build.log") ||
	{ cat "$tmp/build.log" >&2; fail "scripts/pkg_deb.sh failed"; }
ver=$(sed -n 's/^project(cairn VERSION \([0-9.]*\).*/\1/p' "$CAIRN_SRC/CMakeLists.txt")
[ "$(basename "$deb")" = "cairn_${ver}_amd64.deb" ] ||
	fail "package named $(basename "$deb"), want cairn_${ver}_amd64.deb"

# ---- contents -------------------------------------------------------------
dpkg-deb -c "$deb" | awk '$1 !~ /^d/ {print $6}' | sed 's|^\./||' | sort \
	>"$tmp/files"
cat >"$tmp/want" <<'EOF'
usr/bin/cairn
usr/lib/systemd/system/cairn-coordinator.service
usr/lib/systemd/system/cairn-node@.service
usr/share/cairn/examples/code/fedavg_logreg.lua
usr/share/cairn/examples/code/gini.lua
usr/share/cairn/examples/code/quantiles.lua
usr/share/cairn/examples/coordinator.conf
usr/share/cairn/examples/data/README.md
usr/share/cairn/examples/data/agency1.csv
usr/share/cairn/examples/data/agency2.csv
usr/share/cairn/examples/data/agency3.csv
usr/share/cairn/examples/node1.conf
usr/share/cairn/examples/node2.conf
usr/share/cairn/examples/node3.conf
usr/share/cairn/examples/researcher.conf
usr/share/cairn/examples/schema/cps.ini
usr/share/doc/cairn/changelog.gz
usr/share/doc/cairn/copyright
usr/share/doc/cairn/examples/coordinator.conf.example
usr/share/doc/cairn/examples/node.conf.example
usr/share/lintian/overrides/cairn
usr/share/man/man1/cairn.1.gz
usr/share/man/man5/cairn.conf.5.gz
EOF
diff -u "$tmp/want" "$tmp/files" >&2 || fail "the package's files differ from the list"
root=$tmp/root
dpkg -x "$deb" "$root"
cairn=$root/usr/bin/cairn
if strings -a "$cairn" | grep -q CAIRN_TEST_; then
	fail "the packaged program holds test hooks (CAIRN_TEST_ names)"
fi
file "$cairn" | grep -q 'stripped' || fail "the packaged program is not stripped"

# ---- lintian (the slowest step: run beside the others) -------------------
lintian --fail-on error,warning --info "$deb" >"$tmp/lintian" 2>&1 &
lintian_pid=$!

# ---- Depends covers every shared library --------------------------------
depends=$(dpkg-deb -f "$deb" Depends)
ldconfig -p >"$tmp/ldcache"
for lib in $(objdump -p "$cairn" | awk '$1 == "NEEDED" {print $2}'); do
	path=$(awk -v l="$lib" '$1 == l && /x86-64/ && !p {print $NF; p = 1}' \
		"$tmp/ldcache")
	[ -n "$path" ] || fail "cannot find $lib"
	pkg=$(dpkg -S "$(readlink -f "$path")" 2>/dev/null ||
		dpkg -S "$path") || fail "no package owns $path"
	pkg=${pkg%%:*}
	grep -qE "(^|, )$pkg( |,|\$)" <<<"$depends" ||
		fail "Depends lacks $pkg (for $lib): $depends"
done

# ---- systemd units --------------------------------------------------------
# The root gets the host's units (targets, slices) beside the package's.
cp -an /usr/lib/systemd/system/. "$root/usr/lib/systemd/system/"
units=(cairn-coordinator.service cairn-node@agency1.service)
verify() {
	MANPATH=$root/usr/share/man systemd-analyze verify --root="$root" \
		"${units[@]}" >"$tmp/verify" 2>&1 && [ ! -s "$tmp/verify" ]
}
verify || { cat "$tmp/verify" >&2; fail "systemd-analyze verify rejects the units"; }
for u in "${units[@]}"; do
	systemd-analyze security --offline=true --root="$root" "$u" \
		>"$tmp/sec" 2>&1 || true
	score=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' "$tmp/sec")
	[ -n "$score" ] || { cat "$tmp/sec" >&2; fail "no exposure level for $u"; }
	echo "systemd-analyze security: $u exposure $score"
	awk -v s="$score" 'BEGIN {exit !(s <= 2.0)}' ||
		fail "$u: exposure $score above 2.0: the sandbox was loosened"
done
grep -qx 'ReadWritePaths=.*\|StateDirectory=cairn/%i' \
	"$root/usr/lib/systemd/system/cairn-node@.service" ||
	fail "cairn-node@.service: no state directory"
# Controls: a misspelt directive, and a missing program, must fail.
unit=$root/usr/lib/systemd/system/cairn-coordinator.service
cp "$unit" "$tmp/unit"
sed -i 's/^NoNewPrivileges=yes/NoNewPrivilege=yes/' "$unit"
verify && fail "control: verify accepted a misspelt directive"
grep -q "Unknown key 'NoNewPrivilege'" "$tmp/verify" ||
	fail "control: verify said: $(cat "$tmp/verify")"
cp "$tmp/unit" "$unit"
mv "$cairn" "$cairn.moved"
verify && fail "control: verify accepted a unit whose program is missing"
mv "$cairn.moved" "$cairn"
verify || fail "verify after the controls: $(cat "$tmp/verify")"

# ---- cairn node check from the extracted root ---------------------------
etc=$root/etc/cairn
mkdir -p "$root/srv/cairn" "$root/var/lib/cairn/agency1"
mkdir -p -m 0700 "$etc/pki"
"$cairn" ca init --dir "$tmp/ca" --name "Package test CA" >/dev/null
"$cairn" keygen --role node --name agency1 --out "$etc/pki" >/dev/null
"$cairn" ca sign --dir "$tmp/ca" --role node --out "$etc/pki/agency1.crt" \
	"$etc/pki/agency1.csr" >/dev/null
cp "$tmp/ca/ca.crt" "$tmp/ca/crl.pem" "$etc/pki/"
cp "$CAIRN_SRC/examples/schema/cps.ini" "$etc/schema.ini"
cp "$CAIRN_SRC/examples/data/agency1.csv" "$root/srv/cairn/"
# The packaged example, with the root's paths.
sed -e "s|/etc/cairn|$etc|g" -e "s|/var/lib/cairn|$root/var/lib/cairn|g" \
	-e "s|/srv/cairn|$root/srv/cairn|g" \
	"$root/usr/share/doc/cairn/examples/node.conf.example" >"$etc/agency1.conf"
"$cairn" node check --config "$etc/agency1.conf" >"$tmp/check" 2>&1 ||
	{ cat "$tmp/check" >&2; fail "cairn node check refuses the packaged example"; }
chmod 0644 "$etc/pki/agency1.key"
if "$cairn" node check --config "$etc/agency1.conf" >"$tmp/check" 2>&1; then
	fail "control: node check accepted a world-readable key"
fi
chmod 0600 "$etc/pki/agency1.key"

# ---- cairn demo from the root: its sample federation is the package's
# (PREFIX/share/cairn/examples), not the source tree's.
mkdir "$tmp/demo.d"
(cd "$tmp" && env -u CAIRN_EXAMPLES TMPDIR="$tmp/demo.d" timeout 60 \
	"$cairn" demo --keep --query "SELECT COUNT(*) FROM cps" \
	>"$tmp/demo" 2>&1) ||
	{ cat "$tmp/demo" >&2; fail "cairn demo from the package"; }
grep -q '=> identical' "$tmp/demo" || fail "cairn demo: $(cat "$tmp/demo")"
grep -qs "$root/usr/share/cairn/examples/data/agency1.csv" \
	"$tmp"/demo.d/cairn-demo-*/agency1.conf ||
	fail "cairn demo did not use the packaged examples"

# ---- maintainer scripts ---------------------------------------------------
dpkg-deb -e "$deb" "$tmp/control"
if unshare --mount true 2>/dev/null; then
	mkdir -p "$tmp/ns/etc" "$tmp/ns/varlib"
	cp -a /etc/. "$tmp/ns/etc/"
	cat >"$tmp/ns.sh" <<EOF
set -eu
mount --bind "$tmp/ns/etc" /etc
mount --bind "$tmp/ns/varlib" /var/lib
c=$tmp/control
\$c/postinst configure
\$c/postinst configure     # again, as an upgrade does
getent passwd cairn | awk -F: '\$3 < 1000 && \$7 ~ /nologin|false/ {ok=1} END {exit !ok}'
[ "\$(stat -c '%U:%G %a' /var/lib/cairn)" = "cairn:cairn 750" ]
[ "\$(stat -c '%U:%G %a' /etc/cairn)" = "root:cairn 750" ]
\$c/prerm remove
\$c/postrm remove
[ -d /var/lib/cairn ]
\$c/postrm purge
[ ! -e /var/lib/cairn ] && [ ! -e /etc/cairn ]
EOF
	unshare --mount bash "$tmp/ns.sh" >"$tmp/ns.log" 2>&1 ||
		{ cat "$tmp/ns.log" >&2; fail "maintainer scripts (log above)"; }
	echo "maintainer scripts: user cairn, /var/lib/cairn and /etc/cairn made; purge removes them"
else
	echo "maintainer scripts not run: unshare --mount is refused here"
fi
if ! wait "$lintian_pid"; then
	cat "$tmp/lintian" >&2
	fail "lintian reports errors or warnings"
fi
grep -E '^[EW]:' "$tmp/lintian" >&2 && fail "lintian reports errors or warnings"
echo "ok: $(basename "$deb"): lintian clean, units verify, node check passes from the package"
