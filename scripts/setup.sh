# scripts/setup.sh — sourced by demo.sh and test.sh: install what is missing
# (Debian 12 packages), then configure and build.  Not meant to run alone.
#
# Each package and why cairn needs it is listed in the README under
# "Dependencies".
# What building the program needs (scripts/demo.sh installs only these).
CAIRN_BUILD_PACKAGES=(
	build-essential cmake pkg-config
	libsodium-dev libssl-dev
	libprotobuf-c-dev protobuf-c-compiler
	libpg-query-dev libsqlite3-dev libpq-dev libinih-dev
	liblua5.4-dev
	libmicrohttpd-dev
)
# What the test suite needs on top (scripts/test.sh): the fuzzers'
# compiler, the unit-test framework, a PostgreSQL server and the sqlite3
# CLI for reference answers; for the test scripts a free port for the
# throwaway PostgreSQL server and hostile TLS clients (python3), process
# checks (procps), a ClientHello without an X25519 key share (openssl
# s_client), the status page in a headless browser (chromium;
# status_page.sh skips without it); for checking the Debian package the
# packaging tools and systemd-analyze (below).
CAIRN_TEST_PACKAGES=(
	clang libcmocka-dev postgresql sqlite3
	python3 procps openssl chromium
	# the Debian package: dpkg-shlibdeps for its Depends: line (dpkg-dev),
	# and what tests/integration/pkg_deb.sh checks it with (lintian,
	# systemd-analyze from systemd; the test skips without them)
	dpkg-dev lintian systemd
)
CAIRN_PACKAGES=("${CAIRN_BUILD_PACKAGES[@]}" "${CAIRN_TEST_PACKAGES[@]}")

# cairn_install_deps [PACKAGE...]: those given, or every package.
cairn_install_deps() {
	local missing=() p
	local want=("$@")
	[ ${#want[@]} -gt 0 ] || want=("${CAIRN_PACKAGES[@]}")
	for p in "${want[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q "install ok installed"; then
			missing+=("$p")
		fi
	done
	if [ ${#missing[@]} -eq 0 ]; then
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "cairn: missing Debian packages; as root, run:" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	echo "cairn: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# cairn_build DIR [cmake args...]
cairn_build() {
	local dir=$1
	shift
	cmake -S "$CAIRN_ROOT" -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j "$(nproc)"
}
