# test/lib/cluster.sh
#	The throwaway-cluster bootstrap shared by demo/run.sh,
#	bench/export_bench.sh and test/valgrind/run.sh, and the Debian package
#	check shared by demo/run.sh and test/run_all.sh.  Source it; it defines
#	functions and sets nothing until they are called.
#
#	cluster_packages PKG...   install the missing Debian packages (as root;
#	                          otherwise name them and return 1)
#	cluster_free_port [BASE]  print the first port from BASE (or $PORT, or
#	                          54329) that no socket uses
#	cluster_init [DIR]        CLUSTER_DIR=DIR or a new /tmp/dataexport-cluster.*
#	                          (world-readable, owned by the cluster's user);
#	                          initdb in $CLUSTER_DIR/data as that user
#	cluster_conf [FILE...]    append to postgresql.conf the settings below,
#	                          then the given files ("-": stdin, e.g. <<CONF),
#	                          which may override them
#	cluster_start [CMD...]    start it: with pg_ctl, or as "CMD... postgres -D
#	                          data" in the background (CLUSTER_PID; a wrapper
#	                          such as valgrind), then wait until it is ready
#	cluster_wait_ready        wait until it accepts connections (again after
#	                          a crash made it restart); prints
#	                          "$CLUSTER_NAME: server ready after N s"
#	cluster_stop              stop it (pg_ctl -m fast; a wrapped server that
#	                          will not stop gets SIGQUIT)
#	cluster_cleanup           cluster_stop and remove CLUSTER_DIR, unless
#	                          KEEP_CLUSTER=1; cluster_init sets it as the EXIT
#	                          trap when CLUSTER_TRAP=1 (the default)
#	cluster_psql ROLE ARGS... psql on the cluster as ROLE (ON_ERROR_STOP)
#
# Settings (set them before the calls):
#	PG_BIN            the server's bin directory (default: $PG_CONFIG --bindir,
#	                  else /usr/lib/postgresql/15/bin)
#	PORT              the port (default: cluster_free_port)
#	CLUSTER_PRELOAD   shared_preload_libraries (default 'dataexport'; empty
#	                  writes none, for callers whose conf file sets it)
#	CLUSTER_CRON=1    also preload pg_cron, with cron.database_name = 'postgres'
#	CLUSTER_INITDB_OPTS  extra initdb options (e.g. --no-sync)
#	CLUSTER_TIMEOUT   seconds to wait for start and stop (60)
#	CLUSTER_NAME      prefix of its messages (cluster)
#	MALLOC_PERTURB_   put in the postmaster's environment (default 165): glibc
#	                  fills freed memory, so a use after free shows at once
#
# The server refuses to run as root: as root, everything runs as the
# "postgres" OS user (CLUSTER_RUNAS, runuser), and the directory is its.

cluster_packages() {
	local missing="" p
	for p in "$@"; do
		dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing (install them as root)" >&2
		return 1
	fi
	echo "==> installing:$missing"
	apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
}

_cluster_setup() {
	if [ -z "${PG_BIN:-}" ]; then
		if [ -n "${PG_CONFIG:-}" ]; then PG_BIN=$("$PG_CONFIG" --bindir)
		else PG_BIN=/usr/lib/postgresql/15/bin; fi
	fi
	CLUSTER_RUNAS=()
	[ "$(id -u)" = 0 ] && CLUSTER_RUNAS=(runuser -u postgres --)
	: "${CLUSTER_TIMEOUT:=60}"
}

# A port is taken when a TCP socket listens on it or a Unix socket of that
# number exists in /tmp (servers of other scripts and users).
cluster_free_port() {
	local port=${1:-${PORT:-54329}}
	while ss -Htln "sport = :$port" 2>/dev/null | grep -q . ||
		[ -e "/tmp/.s.PGSQL.$port" ]; do
		port=$((port + 1))
	done
	echo "$port"
}

cluster_init() {
	_cluster_setup
	if [ -n "${1:-}" ]; then
		CLUSTER_DIR=$1
		mkdir -p "$CLUSTER_DIR"
	else
		CLUSTER_DIR=$(mktemp -d /tmp/dataexport-cluster.XXXXXX)
	fi
	chmod 755 "$CLUSTER_DIR"
	[ "$(id -u)" = 0 ] && chown postgres: "$CLUSTER_DIR"
	: "${PORT:=$(cluster_free_port)}"
	CLUSTER_PID=
	[ "${CLUSTER_TRAP:-1}" = 1 ] && trap cluster_cleanup EXIT
	rm -rf "$CLUSTER_DIR/data"
	# shellcheck disable=SC2086
	"${CLUSTER_RUNAS[@]}" "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -A trust -U postgres \
		${CLUSTER_INITDB_OPTS:-} >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log" >&2; return 1; }
}

cluster_conf() {
	local preload=${CLUSTER_PRELOAD-dataexport}
	[ "${CLUSTER_CRON:-0}" = 1 ] && preload="${preload:+$preload, }pg_cron"
	{
		[ -n "$preload" ] && echo "shared_preload_libraries = '$preload'"
		[ "${CLUSTER_CRON:-0}" = 1 ] && echo "cron.database_name = 'postgres'"
		cat <<CONF
listen_addresses = ''
unix_socket_directories = '$CLUSTER_DIR'
port = $PORT
CONF
		[ $# -eq 0 ] || cat "$@"
	} >>"$CLUSTER_DIR/data/postgresql.conf"
}

cluster_start() {
	local perturb=${MALLOC_PERTURB_-165}
	if [ $# -eq 0 ]; then
		"${CLUSTER_RUNAS[@]}" env MALLOC_PERTURB_="$perturb" \
			"$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" \
			-t "$CLUSTER_TIMEOUT" -w start >/dev/null ||
			{ tail -50 "$CLUSTER_DIR/server.log" >&2; return 1; }
		return 0
	fi
	"${CLUSTER_RUNAS[@]}" env MALLOC_PERTURB_="$perturb" \
		"$@" "$PG_BIN/postgres" -D "$CLUSTER_DIR/data" >"$CLUSTER_DIR/server.log" 2>&1 &
	CLUSTER_PID=$!
	cluster_wait_ready
}

cluster_wait_ready() {
	local start
	start=$(date +%s)
	until "$PG_BIN/pg_isready" -q -h "$CLUSTER_DIR" -p "$PORT" -U postgres -d postgres; do
		if { [ -n "$CLUSTER_PID" ] && ! kill -0 "$CLUSTER_PID" 2>/dev/null; } ||
			[ $(($(date +%s) - start)) -gt "$CLUSTER_TIMEOUT" ]; then
			echo "${CLUSTER_NAME:-cluster}: the server is not accepting connections" >&2
			tail -50 "$CLUSTER_DIR/server.log" >&2
			return 1
		fi
		sleep 1
	done
	echo "${CLUSTER_NAME:-cluster}: server ready after $(($(date +%s) - start)) s"
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] && [ -d "$CLUSTER_DIR/data" ] || return 0
	"${CLUSTER_RUNAS[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast \
		-t "$CLUSTER_TIMEOUT" -w stop >/dev/null 2>&1 ||
		{ [ -n "$CLUSTER_PID" ] && kill -QUIT "$CLUSTER_PID" 2>/dev/null; }
	if [ -n "$CLUSTER_PID" ]; then
		wait "$CLUSTER_PID" 2>/dev/null
		CLUSTER_PID=
	fi
	return 0
}

cluster_cleanup() {
	[ "${KEEP_CLUSTER:-0}" = 1 ] && return 0
	cluster_stop
	rm -rf "$CLUSTER_DIR"
}

cluster_psql() {
	local role=$1
	shift
	"${CLUSTER_RUNAS[@]}" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$CLUSTER_DIR" \
		-p "$PORT" -U "$role" -d postgres "$@"
}
