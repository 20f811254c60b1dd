#!/usr/bin/env bash
# Export throughput and worker memory on a synthetic events table.
#   bash bench/export_bench.sh [rows]      (default 1000000)
# Starts a throwaway cluster (as "postgres" when run as root), exports the
# table as CSV, CSV+gzip and JSONL as a non-superuser under row-level
# security, and prints rows/s, MB/s and the worker's peak resident memory
# (RssAnon, sampled: shared buffers excluded), which should stay flat whatever the row count.
# PG_BIN or PG_CONFIG: the PostgreSQL to run (dataexport installed for it;
# default Debian's); PORT: the first free one from 54339.  The cluster
# bootstrap is test/lib/cluster.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh
PG_BIN=${PG_BIN:-${PG_CONFIG:+$("$PG_CONFIG" --bindir)}}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-$(cluster_free_port 54339)}
cluster_init "$(mktemp -d /tmp/dataexport-bench.XXXXXX)"
cluster_conf
# glibc fills freed memory in the server, so a use after free shows at once
# (MALLOC_PERTURB_=0 measures without it)
cluster_start
psql_as() { local role=$1; shift; cluster_psql "$role" -At "$@"; }

psql_as postgres -c 'CREATE EXTENSION dataexport' -f demo/sample.sql -f demo/roles.sql -f demo/register.sql
psql_as postgres -c "
  INSERT INTO app.events (project_id, group_id, \"timestamp\", environment, level, message, duration, handled, tags, \"user\")
  SELECT 1 + g % 2, 100 + g % 50, '2026-11-01'::timestamptz + g * interval '1 second',
         CASE WHEN g % 3 = 0 THEN 'staging' ELSE 'prod' END, 'error',
         'Error number ' || g || ', with \"quotes\" and a comma', g % 1000 / 10.0, g % 2 = 0,
         jsonb_build_object('browser', CASE WHEN g % 2 = 0 THEN 'Chrome' ELSE 'Firefox' END),
         jsonb_build_object('id', (g % 100)::text)
  FROM generate_series(1, $ROWS) g;
"
psql_as postgres -c "VACUUM ANALYZE app.events"

run() {	# run <label> <payload extras>
	local label=$1 extra=$2 id start end peak=0 pid rec
	id=$(psql_as alice -c "SELECT dataexport_create('{\"query_type\": \"Discover\", \"query_info\": {\"field\": [\"id\", \"timestamp\", \"environment\", \"tags[browser]\", \"message\", \"duration\", \"handled\"], \"query\": \"\", \"start\": \"2026-10-01\", \"end\": \"2027-12-01\"}$extra}') ->> 'id'")
	start=$(date +%s.%N)
	while :; do
		pid=$(psql_as alice -c "SELECT pid FROM dataexport_progress() WHERE id = $id")
		if [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; then
			hwm=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
		fi
		rec=$(psql_as alice -c "SELECT dataexport_details($id) ->> 'state'")
		[ "$rec" != queued ] && [ "$rec" != running ] && break
		sleep 0.2
	done
	end=$(date +%s.%N)
	read -r rows bytes < <(psql_as alice -F ' ' -c "SELECT dataexport_details($id) ->> 'rows', dataexport_details($id) ->> 'bytes'")
	awk -v l="$label" -v r="$rows" -v b="$bytes" -v s="$start" -v e="$end" -v p="$peak" -v st="$rec" 'BEGIN {
		t = e - s; printf "%-10s %s  %9d rows  %8.1f MB  %6.2f s  %9.0f rows/s  %6.1f MB/s  worker peak RssAnon %d MB\n",
		l, st, r, b / 1048576, t, r / t, b / 1048576 / t, p / 1024 }'
}
echo "rows in table: $ROWS (alice sees all: projects 1 and 2)"
run csv ''
run csv+gzip ', "compression": "gzip"'
run jsonl ', "format": "jsonl"'
