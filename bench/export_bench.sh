#!/usr/bin/env bash
# The export benchmark of issue 8: every export against PostgreSQL's own
# COPY (query) TO STDOUT of the same query, side by side on one cluster in
# one run.
#
#   bash bench/export_bench.sh [ROWS]       ROWS: 1000000 (default), 1M, 10M, 200k
#
# 1. Builds app.events (the demo schema: row-level security on) with ROWS
#    rows, all in alice's projects; alice, a non-superuser, does everything.
# 2. Interleaves, REPS times (default 3), and keeps the median of each:
#    - COPY (q) TO STDOUT (FORMAT csv) of the 8-column query q, as alice;
#    - SQL exports of q: CSV, gzip, zstd, JSONL, parquet (a format or
#      compression the create call refuses prints "n/a (not supported)");
#    - the Discover export of the same 8 columns, against COPY of the
#      equivalent hand-written query;
#    - the Discover aggregate (environment, level, count(), p95(duration))
#      against COPY of the same aggregate (max_parallel_workers_per_gather at
#      its default);
#    - the by-hand pipeline: \copy q to a file, then \lo_import it.
#    An export's time is the wall clock from the create call to the return
#    of dataexport_wait (queue wait and worker start included); COPY's and
#    the pipeline's are the wall clock of their psql runs.
# 3. Measures dataexport_create latency with pgbench (a custom script of
#    distinct Discover exports that find no rows): 1 client making CREATES
#    calls in a row (default 300), then 8 clients (CREATES8 calls each,
#    default 100) while a CSV export of the whole table runs.  A one-row
#    INSERT by the same clients is the commit floor (the WAL flush), and
#    "server" is the mean time of the create statement inside the server
#    (pg_stat_statements), without the commit.  The queue cap is raised to
#    100000 so that the bursts are not refused; each create still counts its
#    requester's unfinished exports (up to the cap).  Then queued -> running
#    (date_started - date_created) of 10 creates with a free worker slot.
# 4. Prints a table of medians and ratios, and the worker's peak RssAnon
#    (sampled from /proc/<pid>/status while each export runs).
#
# Settings: PG_BIN or PG_CONFIG (the PostgreSQL that dataexport is installed
# for; default Debian's), PORT (first free from 54339), REPS, CREATES,
# CREATES8, KEEP_CLUSTER=1.  The cluster bootstrap is test/lib/cluster.sh's.  Times
# are the machine's: on a shared machine only the ratios of one run count.
set -euo pipefail
cd "$(dirname "$0")/.."

rows_arg=${1:-1000000}
case "$rows_arg" in
*[kK]) ROWS=$((${rows_arg%?} * 1000)) ;;
*[mM]) ROWS=$((${rows_arg%?} * 1000000)) ;;
*) ROWS=$rows_arg ;;
esac
REPS=${REPS:-3}
CREATES=${CREATES:-300}
CREATES8=${CREATES8:-100}

# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh
PG_BIN=${PG_BIN:-${PG_CONFIG:+$("$PG_CONFIG" --bindir)}}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PORT=${PORT:-$(cluster_free_port 54339)}
# benchmark numbers without glibc's free-memory fill
MALLOC_PERTURB_=${MALLOC_PERTURB_:-0}
# pg_stat_statements: the server-side time of a create, apart from its commit
CLUSTER_PRELOAD='dataexport, pg_stat_statements'
cluster_init "$(mktemp -d /tmp/dataexport-bench.XXXXXX)"
WORK=$CLUSTER_DIR/work
mkdir -p "$WORK"
chmod 777 "$WORK"
cluster_conf - <<CONF
shared_buffers = 256MB
max_wal_size = 8GB
checkpoint_timeout = 30min
max_connections = 40
dataexport.max_workers = 2
dataexport.max_rows = 2147483647
dataexport.max_file_size = 2147483647
dataexport.max_queued_per_role = 100000
CONF
cluster_start >/dev/null
psql_as() { local role=$1; shift; cluster_psql "$role" -At "$@"; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.4f", b - a}'; }

echo "==> building app.events: $ROWS rows, row-level security on, alice exporting"
psql_as postgres -c 'CREATE EXTENSION dataexport' -c 'CREATE EXTENSION pg_stat_statements' -f demo/sample.sql -f demo/roles.sql \
	-f demo/register.sql >/dev/null
psql_as postgres >/dev/null <<SQL
CREATE ROLE exporters;
GRANT exporters TO alice;
ALTER SYSTEM SET dataexport.sql_role = 'exporters';
SELECT pg_reload_conf();
TRUNCATE app.events;
INSERT INTO app.events (project_id, group_id, "timestamp", environment, level, message, duration, handled, tags, "user")
SELECT 1 + g % 2, 100 + g % 50, '2026-11-01'::timestamptz + g * interval '100 ms',
       CASE WHEN g % 3 = 0 THEN 'staging' ELSE 'prod' END,
       CASE WHEN g % 7 = 0 THEN 'warning' ELSE 'error' END,
       'Error number ' || g || ', with "quotes" and a comma', g % 1000 / 10.0, g % 2 = 0,
       jsonb_build_object('browser', CASE WHEN g % 2 = 0 THEN 'Chrome' ELSE 'Firefox' END),
       jsonb_build_object('id', (g % 100)::text)
FROM generate_series(1, $ROWS) g;
VACUUM ANALYZE app.events;
CHECKPOINT;
SQL
# The demo's policy (a correlated EXISTS) is parallel-restricted, so neither
# COPY nor an export could use parallel query; the same rule written as a
# semi-join lets the planner choose it for both.
psql_as postgres -c "ALTER POLICY member_events ON app.events USING (project_id IN
	(SELECT m.project_id FROM app.project_members m WHERE m.role_name = current_user))" >/dev/null

COLS='id, "timestamp", environment, level, message, duration, handled, group_id'
Q="SELECT $COLS FROM app.events"
RANGE_START=2026-10-01
RANGE_END=2028-12-01
QD="SELECT $COLS FROM app.events WHERE project_id = ANY ('{1,2}'::bigint[]) AND \"timestamp\" >= '$RANGE_START' AND \"timestamp\" < '$RANGE_END'"
QA="SELECT environment, level, count(*), percentile_cont(0.95) WITHIN GROUP (ORDER BY duration) FROM app.events WHERE project_id = ANY ('{1,2}'::bigint[]) AND \"timestamp\" >= '$RANGE_START' AND \"timestamp\" < '$RANGE_END' GROUP BY 1, 2"
DISCOVER_FIELDS='"id", "timestamp", "environment", "level", "message", "duration", "handled", "group_id"'
AGG_FIELDS='"environment", "level", "count()", "p95(duration)"'

json_str() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }
sql_payload() { printf '{"query_type": "SQL", "query_info": {"sql": "%s"}%s}' "$(json_str "$Q")" "$1"; }
discover_payload() {
	printf '{"query_type": "Discover", "query_info": {"field": [%s], "query": "", "project": [1, 2], "start": "%s", "end": "%s"}%s}' \
		"$1" "$RANGE_START" "$RANGE_END" "${2:-}"
}

declare -A TIMES PEAK NOTE
PEAK_ALL=0

# export <label> <payload>: time from create to the end of dataexport_wait
run_export() {
	local label=$1 payload=$2 id t0 t1 pid rec peak=0 hwm state
	t0=$(now)
	if ! id=$(psql_as alice -c "SELECT dataexport_create(\$p\$$payload\$p\$) ->> 'id'" 2>"$WORK/err"); then
		NOTE[$label]="n/a (not supported)"
		grep -m1 ERROR "$WORK/err" | sed "s/^/    $label: /" >&2 || true
		return 0
	fi
	# sample the worker's private memory while it runs: find its pid once,
	# then read /proc until the process is gone
	(
		p=0 pid=""
		for _ in $(seq 1 600); do
			pid=$(psql_as alice -c "SELECT pid FROM dataexport_progress() WHERE id = $id" 2>/dev/null || true)
			[ -n "$pid" ] && break
			[ "$(psql_as alice -c "SELECT dataexport_details($id) ->> 'state'")" = queued ] || break
			sleep 0.05
		done
		while [ -n "$pid" ] && [ -r "/proc/$pid/status" ]; do
			hwm=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			if [ "${hwm:-0}" -gt "$p" ]; then p=$hwm; echo "$p" >"$WORK/peak.$id"; fi
			sleep 0.1
		done
	) &
	local sampler=$!
	rec=$(psql_as alice -c "SELECT r ->> 'state' FROM dataexport_wait($id, '1 hour') AS r")
	t1=$(now)
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	state=$rec
	if [ "$state" != succeeded ]; then
		NOTE[$label]="$state: $(psql_as alice -c "SELECT dataexport_details($id) ->> 'error'")"
		return 0
	fi
	TIMES[$label]+="$(elapsed "$t0" "$t1") "
	[ -r "$WORK/peak.$id" ] && peak=$(cat "$WORK/peak.$id")
	[ "${PEAK[$label]:-0}" -lt "$peak" ] && PEAK[$label]=$peak
	[ "$PEAK_ALL" -lt "$peak" ] && PEAK_ALL=$peak
	# lo_unlink keeps the database from growing by a file per run
	psql_as alice -c "SELECT lo_unlink((dataexport_details($id) ->> 'fileOid')::oid)" >/dev/null
}

run_copy() {	# run_copy <label> <query>
	local t0 t1
	t0=$(now)
	psql_as alice -c "COPY ($2) TO STDOUT (FORMAT csv, HEADER)" >/dev/null
	t1=$(now)
	TIMES[$1]+="$(elapsed "$t0" "$t1") "
}

run_by_hand() {
	local t0 t1 f=$WORK/byhand.csv
	t0=$(now)
	psql_as alice -c "\\copy ($Q) TO '$f' (FORMAT csv, HEADER)" >/dev/null
	psql_as alice -c "\\lo_import '$f'" -c '\echo :LASTOID' >"$WORK/lo"
	t1=$(now)
	TIMES[by-hand]+="$(elapsed "$t0" "$t1") "
	psql_as alice -c "SELECT lo_unlink($(tail -1 "$WORK/lo"))" >/dev/null
	rm -f "$f"
}

echo "==> $REPS interleaved rounds"
for rep in $(seq 1 "$REPS"); do
	run_copy copy "$Q"
	run_export sql-csv "$(sql_payload '')"
	run_export sql-gzip "$(sql_payload ', "compression": "gzip"')"
	run_export sql-zstd "$(sql_payload ', "compression": "zstd"')"
	run_export sql-jsonl "$(sql_payload ', "format": "jsonl"')"
	run_export sql-parquet "$(sql_payload ', "format": "parquet"')"
	run_copy copy-discover "$QD"
	run_export discover "$(discover_payload "$DISCOVER_FIELDS")"
	run_copy copy-aggregate "$QA"
	run_export aggregate "$(discover_payload "$AGG_FIELDS")"
	run_by_hand
	echo "    round $rep done"
done

median() { tr ' ' '\n' | awk 'NF' | sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}'; }
med() { echo "${TIMES[$1]:-}" | median; }

# ---- create latency ----
echo "==> dataexport_create latency"
cat >"$WORK/create.sql" <<'EOF'
\set n random(1, 2000000000)
SELECT dataexport_create(('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "", "project": [1, 2], "start": "2020-01-01", "end": "2020-01-02"}, "limit": ' || :n || '}')::jsonb);
EOF
cat >"$WORK/insert.sql" <<'EOF'
\set n random(1, 2000000000)
INSERT INTO public.bench_insert VALUES (:n);
EOF
psql_as postgres -c "CREATE TABLE public.bench_insert (n bigint); GRANT INSERT ON public.bench_insert TO alice" >/dev/null
chmod 644 "$WORK"/*.sql

# latency <clients> <calls each> <script>: p50 p99 in ms
latency() {
	local dir
	dir=$(mktemp -d "$WORK/pgbench.XXXX")
	chmod 777 "$dir"
	(cd "$dir" && "${CLUSTER_RUNAS[@]}" "$PG_BIN/pgbench" -n -h "$CLUSTER_DIR" -p "$PORT" -U alice \
		-c "$1" -j "$1" -t "$2" -f "$3" -l postgres >"$dir/out" 2>&1) ||
		{ cat "$dir/out" >&2; return 1; }
	cat "$dir"/pgbench_log.* | awk '{print $3 / 1000}' | sort -g |
		awk '{a[NR] = $1} END {printf "%.3f %.3f\n", a[int(NR * 0.5) + 1], a[int(NR * 0.99) + 1]}'
}
wait_idle() {
	until [ "$(psql_as postgres -c "SELECT count(*) FROM dataexport.export WHERE state IN ('queued', 'running')")" = 0 ]; do
		sleep 0.2
	done
}
# the server-side mean of the create statement since the last reset
server_ms() {
	psql_as postgres -c "SELECT round(mean_exec_time::numeric, 3) FROM pg_stat_statements
		WHERE query LIKE 'SELECT dataexport_create%' ORDER BY calls DESC LIMIT 1"
}
# what the latency runs queued is dropped, not run (their exports find no rows)
drop_queued() {
	psql_as postgres -c "UPDATE dataexport.export SET state = 'cancelled' WHERE state = 'queued'" >/dev/null
	wait_idle
}
read -r ins50 ins99 < <(latency 1 "$CREATES" "$WORK/insert.sql")
read -r ins8_50 ins8_99 < <(latency 8 "$CREATES8" "$WORK/insert.sql")
psql_as postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
read -r c1_50 c1_99 < <(latency 1 "$CREATES" "$WORK/create.sql")
c1_server=$(server_ms)
drop_queued
# the same, with both worker slots held by exports that wait on a lock: the
# creates' own exports stay queued, so this is the create without the CPU
# that starting a worker for each new export takes
psql_as postgres -c "SELECT pg_advisory_lock(4242), pg_sleep(3600)" >/dev/null 2>&1 &
locker=$!
until [ "$(psql_as postgres -c "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = 4242 AND granted")" = 1 ]; do sleep 0.05; done
for n in 1 2; do
	psql_as postgres -c "SELECT dataexport_create('{\"query_type\": \"SQL\", \"query_info\": {\"sql\": \"SELECT $n, pg_advisory_xact_lock_shared(4242)\"}}')" >/dev/null
done
until [ "$(psql_as postgres -c "SELECT count(*) FROM dataexport_progress() WHERE pid IS NOT NULL")" = 2 ]; do sleep 0.05; done
psql_as postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
read -r cq50 cq99 < <(latency 1 "$CREATES" "$WORK/create.sql")
cq_server=$(server_ms)
psql_as postgres -c "UPDATE dataexport.export SET state = 'cancelled' WHERE state = 'queued'" >/dev/null
psql_as postgres -c "SELECT pg_terminate_backend(pid) FROM pg_locks
	WHERE locktype = 'advisory' AND objid = 4242 AND granted AND mode = 'ExclusiveLock'" >/dev/null
wait "$locker" 2>/dev/null || true
wait_idle
big=$(psql_as alice -c "SELECT dataexport_create(\$p\$$(sql_payload ', "limit": 2000000000')\$p\$) ->> 'id'")
for _ in $(seq 1 400); do
	[ -n "$(psql_as alice -c "SELECT pid FROM dataexport_progress() WHERE id = $big")" ] && break
	sleep 0.05
done
psql_as postgres -c "SELECT pg_stat_statements_reset()" >/dev/null
read -r c8_50 c8_99 < <(latency 8 "$CREATES8" "$WORK/create.sql")
c8_server=$(server_ms)
big_state=$(psql_as alice -c "SELECT dataexport_details($big) ->> 'state'")
psql_as alice -c "SELECT dataexport_cancel($big)" >/dev/null
drop_queued

# ---- queued -> running with a free worker slot ----
qr=""
for i in $(seq 1 10); do
	id=$(psql_as alice -c "SELECT dataexport_create('{\"query_type\": \"Discover\", \"query_info\": {\"field\": [\"id\"], \"query\": \"\", \"project\": [1], \"start\": \"2020-01-01\", \"end\": \"2020-01-02\"}, \"limit\": $i}') ->> 'id'")
	psql_as alice -c "SELECT dataexport_wait($id, '1 min')" >/dev/null
	qr+="$(psql_as postgres -c "SELECT extract(epoch FROM date_started - date_created) * 1000 FROM dataexport.export WHERE id = $id") "
done
qr50=$(echo "$qr" | median)

# ---- the table ----
cores=$(nproc)
echo
echo "dataexport benchmark: $ROWS rows, 8 columns, RLS on, alice; medians of $REPS; $(date -u +%Y-%m-%d), $cores cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %10s %10s  %s\n' "work" "median s" "ratio" "to"
line() {	# line <label> <text> <base label> <base text>
	local m b
	m=$(med "$1")
	if [ -n "${NOTE[$1]:-}" ] && [ -z "$m" ]; then
		printf '%-44s %10s %10s\n' "$2" "${NOTE[$1]}" ""
		return
	fi
	b=""
	[ -n "$3" ] && b=$(med "$3")
	if [ -z "$b" ]; then
		printf '%-44s %10.3f\n' "$2" "$m"
	else
		printf '%-44s %10.3f %9.2fx  %s\n' "$2" "$m" "$(awk -v m="$m" -v b="$b" 'BEGIN {print m / b}')" "$4"
	fi
}
line copy "COPY (q) TO STDOUT csv, as alice" "" ""
line sql-csv "SQL export, CSV" copy "COPY"
line sql-gzip "SQL export, gzip" copy "COPY"
line sql-zstd "SQL export, zstd" copy "COPY"
line sql-jsonl "SQL export, JSONL" copy "COPY"
line sql-parquet "SQL export, parquet" copy "COPY"
line copy-discover "COPY of the hand-written Discover query" "" ""
line discover "Discover export, same 8 columns" copy-discover "COPY of that query"
line copy-aggregate "COPY of the aggregate" "" ""
line aggregate "Discover aggregate (env, level, count, p95)" copy-aggregate "COPY of the aggregate"
line by-hand "by hand: \\copy to a file + \\lo_import" "" ""
line sql-csv "SQL export, CSV" by-hand "by hand"
printf '%-44s %10s MB\n' "worker peak RssAnon (all exports)" "$(awk -v k="$PEAK_ALL" 'BEGIN {printf "%.1f", k / 1024}')"
printf '%-44s p50 %6s ms  p99 %6s ms\n' "one-row INSERT, 1 client ($CREATES)" "$ins50" "$ins99"
printf '%-44s p50 %6s ms  p99 %6s ms  server %s ms\n' "dataexport_create, 1 client ($CREATES)" "$c1_50" "$c1_99" "$c1_server"
printf '%-44s p50 %6s ms  p99 %6s ms  server %s ms\n' "  same, worker slots held (exports wait)" "$cq50" "$cq99" "$cq_server"
printf '%-44s p50 %6s ms  p99 %6s ms\n' "one-row INSERT, 8 clients ($CREATES8 each)" "$ins8_50" "$ins8_99"
printf '%-44s p50 %6s ms  p99 %6s ms  server %s ms  (export %s)\n' "dataexport_create, 8 clients ($CREATES8 each)" "$c8_50" "$c8_99" "$c8_server" "$big_state"
printf '%-44s %6s ms (median of 10)\n' "queued -> running, free worker slot" "$(printf '%.1f' "$qr50")"
# parallel query: the plans, as alice, of COPY's aggregate and of the
# export's (dataexport_explain gives the worker's query and plan)
w_copy=$(psql_as alice -c "EXPLAIN (FORMAT JSON) $QA" | grep -o '"Workers Planned": [0-9]*' | head -1 | grep -o '[0-9]*$' || true)
w_exp=$(psql_as alice -c "SELECT dataexport_explain(\$p\$$(discover_payload "$AGG_FIELDS")\$p\$) -> 'plan'" 2>/dev/null |
	grep -o '"Workers Planned": [0-9]*' | head -1 | grep -o '[0-9]*$' || true)
printf '%-44s COPY %s, export %s (max_parallel_workers_per_gather %s)\n' "aggregate: parallel workers planned" \
	"${w_copy:-0}" "${w_exp:-0}" "$(psql_as alice -c 'SHOW max_parallel_workers_per_gather')"
for l in "${!NOTE[@]}"; do
	[ -n "$(med "$l")" ] && echo "note: $l: ${NOTE[$l]}"
done
exit 0
