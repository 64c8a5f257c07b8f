# pg_server.sh — a throwaway PostgreSQL server for tests.  Source it, then:
#
#   pg_server_start || { echo "SKIP: $PG_SERVER_SKIP"; exit 0; }
#   ... use "$CAIRN_PG_CONNINFO" (exported) ...
#
# The server lives in a fresh temporary directory (data directory and unix
# socket), listens on a free port of 127.0.0.1 as well as on the socket, and
# is stopped and removed on exit: pg_server_start sets an EXIT trap that
# calls pg_server_stop (a script with its own EXIT trap should call
# pg_server_stop from it).  Run as root, the server runs as the `postgres`
# user through runuser; otherwise as the current user.
# pg_server_start returns 2 (with PG_SERVER_SKIP set) only when the
# PostgreSQL binaries are missing, 1 if the server failed to start.

PG_SERVER_BIN=${PG_SERVER_BIN:-}
PG_SERVER_DIR=
PG_SERVER_SKIP=

pg_server_find_bin() {
	local d
	for d in "$PG_SERVER_BIN" /usr/lib/postgresql/*/bin \
	    "$(dirname "$(command -v initdb 2>/dev/null || echo /x/x)")"; do
		if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
			PG_SERVER_BIN=$d
			return 0
		fi
	done
	return 1
}

# Run a command as the server's owner.
pg_server_as() {
	if [ "$(id -u)" = 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_server_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

pg_server_stop() {
	if [ -n "$PG_SERVER_DIR" ] && [ -d "$PG_SERVER_DIR" ]; then
		pg_server_as "$PG_SERVER_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" \
		    -m immediate -w stop >/dev/null 2>&1 || true
		rm -rf "$PG_SERVER_DIR"
	fi
	PG_SERVER_DIR=
}

# If the test is killed outright (ctest's timeout sends SIGKILL), no trap
# runs: a detached watchdog stops the server once this shell is gone.
pg_server_watchdog() {
	local parent=$$ dir=$PG_SERVER_DIR
	(
		trap '' HUP INT TERM
		while kill -0 "$parent" 2>/dev/null; do
			sleep 2
		done
		if [ -d "$dir/data" ]; then
			pg_server_as "$PG_SERVER_BIN/pg_ctl" -D "$dir/data" \
			    -m immediate -w stop
			rm -rf "$dir"
		fi
	) </dev/null >/dev/null 2>&1 &
}

pg_server_start() {
	local port try
	if ! pg_server_find_bin; then
		PG_SERVER_SKIP="PostgreSQL server binaries (initdb, pg_ctl) not found"
		return 2
	fi
	if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
		PG_SERVER_SKIP="running as root and there is no postgres user"
		return 2
	fi
	PG_SERVER_DIR=$(mktemp -d "${TMPDIR:-/tmp}/cairn-pg-XXXXXX") || return 1
	trap pg_server_stop EXIT
	mkdir -p "$PG_SERVER_DIR/sock"
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres "$PG_SERVER_DIR"
	fi
	if ! pg_server_as "$PG_SERVER_BIN/initdb" -D "$PG_SERVER_DIR/data" \
	    -U postgres -A trust -E UTF8 --no-sync \
	    >"$PG_SERVER_DIR/initdb.log" 2>&1; then
		cat "$PG_SERVER_DIR/initdb.log" >&2
		return 1
	fi
	# The port can be taken between choosing and binding: retry.
	for try in 1 2 3 4 5; do
		port=$(pg_server_free_port) || return 1
		if pg_server_as "$PG_SERVER_BIN/pg_ctl" -D "$PG_SERVER_DIR/data" \
		    -l "$PG_SERVER_DIR/server.log" -w -t 60 -o \
		    "-p $port -k $PG_SERVER_DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off" \
		    start >/dev/null 2>&1; then
			pg_server_watchdog
			export CAIRN_PG_PORT=$port
			export CAIRN_PG_CONNINFO="host=$PG_SERVER_DIR/sock port=$port user=postgres dbname=postgres"
			return 0
		fi
	done
	cat "$PG_SERVER_DIR/server.log" >&2 2>/dev/null
	return 1
}
