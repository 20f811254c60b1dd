#!/usr/bin/env bash
# The valgrind suite: the pg_regress suite (the Makefile's REGRESS list) and
# an end-to-end export (test/valgrind/smoke.pl) against one server that runs
# under valgrind's memcheck, children traced, with test/valgrind/postgres.supp
# for PostgreSQL's own reports.  After the server stops, test/valgrind/scan.pl
# reads the logs and fails on invalid reads/writes/frees, uninitialised
# values used in dataexport code and "definitely lost" leaks from dataexport.
#
# Run from the top of the tree, as the OS user that owns the cluster (not
# root), with dataexport built and installed for $PG_CONFIG:
#   bash test/valgrind/run.sh
# test/run_all.sh runs it as SUITES=valgrind.  Settings (environment):
#   PG_CONFIG     pg_config of the PostgreSQL to use (default: from PATH)
#   VG_OUT        directory for the cluster, logs and results (default: a
#                 new /tmp/dataexport-valgrind.XXXXXX, kept afterwards)
#   VG_PORT       port of the server (Unix socket in VG_OUT only; the
#                 first free one from 55490)
#   VG_OPTS       extra valgrind options (e.g. --track-origins=yes)
#   VG_TIMEOUT    seconds to wait for the server to start or stop (900)
# The cluster is test/lib/cluster.sh's, started through valgrind.
# Output: pg_regress's lines, prove's, then scan.pl's (its last line is
# "valgrind-scan: N logs, N failing reports, N other reports").  Exits
# non-zero when any of the three failed.
set -u
cd "$(dirname "$0")/../.."
PG_CONFIG=${PG_CONFIG:-pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
PGXS_DIR=$(dirname "$("$PG_CONFIG" --pgxs)")
PG_REGRESS=$PGXS_DIR/../../src/test/regress/pg_regress
SO=$("$PG_CONFIG" --pkglibdir)/dataexport.so
OUT=${VG_OUT:-$(mktemp -d /tmp/dataexport-valgrind.XXXXXX)}
# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh
PORT=${VG_PORT:-$(cluster_free_port 55490)}
TIMEOUT=${VG_TIMEOUT:-900}
export MALLOC_PERTURB_=${MALLOC_PERTURB_:-165}
status=0

[ "$(id -u)" != 0 ] || { echo "valgrind: run as the cluster's OS user (postgres), not root" >&2; exit 1; }
[ -f "$SO" ] || { echo "valgrind: $SO is not installed" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "valgrind: valgrind is not installed" >&2; exit 1; }
rm -rf "$OUT/data" "$OUT/vg"
mkdir -p "$OUT/vg"

echo "valgrind: cluster, logs and results in $OUT"
PG_BIN=$BINDIR CLUSTER_NAME=valgrind CLUSTER_TIMEOUT=$TIMEOUT CLUSTER_TRAP=0
CLUSTER_INITDB_OPTS=--no-sync CLUSTER_PRELOAD=
cluster_init "$OUT" || exit 1
# test/regress.conf preloads dataexport
cluster_conf test/regress.conf - <<CONF
fsync = off
# valgrind makes everything 20-50 times slower
authentication_timeout = '10min'
log_line_prefix = '%m [%p] %q%a '
CONF

# The postmaster and every process it forks run under memcheck.  Each
# process writes its own log; errors are framed by markers for scan.pl.
# valgrind's malloc ignores MALLOC_PERTURB_: --free-fill does its work.
trap 'cluster_stop' EXIT
# shellcheck disable=SC2086
cluster_start valgrind --quiet --trace-children=yes --num-callers=40 --free-fill=0xa5 \
	--leak-check=full --show-leak-kinds=definite --errors-for-leak-kinds=definite \
	--suppressions=test/valgrind/postgres.supp \
	--error-markers=VGERROR-BEGIN,VGERROR-END \
	--log-file="$OUT/vg/vg.%p.log" ${VG_OPTS:-} || status=1

export PGHOST=$OUT PGPORT=$PORT PGUSER=postgres PATH="$BINDIR:$PATH"

# The smoke test first: it creates and drops its own database and roles.
if [ "$status" = 0 ]; then
	echo "valgrind: end-to-end export (test/valgrind/smoke.pl)"
	prove -v test/valgrind/smoke.pl 2>&1 || status=1
fi

# In the tree, like "make installcheck": the tests read and write relative
# paths (demo/*.sql, results/).  pg_regress appends to an old diffs file.
rm -f regression.diffs regression.out
# After a crash the server restarts: wait for it again.
if cluster_wait_ready; then
	echo "valgrind: pg_regress suite"
	# shellcheck disable=SC2046
	"$PG_REGRESS" --inputdir=. --bindir="$BINDIR" \
		--host="$OUT" --port="$PORT" --user=postgres --dbname=contrib_regression \
		--load-extension=dataexport $(make -s PG_CONFIG="$PG_CONFIG" print-regress) 2>&1 || {
		status=1
		[ -f regression.diffs ] && head -200 regression.diffs
	}
else
	status=1
fi

echo "valgrind: stopping the server (leak checks run as each process exits)"
trap - EXIT
cluster_stop
grep -E 'PANIC|TRAP:|was terminated by signal' "$OUT/server.log" && status=1

perl test/valgrind/scan.pl "$SO" "$OUT/vg" || status=1
exit $status
