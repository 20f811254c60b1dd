#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine:
#   install PostgreSQL 15, pg_cron and the build tools (when run as root),
#   build and install dataexport, start a throwaway cluster with dataexport
#   and pg_cron preloaded, load a small Sentry-like dataset with row-level
#   security, run a Discover export and an Issues-by-Tag export as the
#   non-superuser role "alice", and write the files to demo/out/ with psql's
#   \lo_export; then load 1.2 million transactions (demo/transactions.sql),
#   show alice's dry run of an export of them (dataexport_explain) and
#   watch the export with dataexport_wait(..., progress => true), a NOTICE a
#   second.  The cluster is stopped and removed at the end
#   (KEEP_CLUSTER=1 leaves it running and prints how to connect).
# PG_CONFIG (or PG_BIN, its bin directory) picks the PostgreSQL to build
# for, install into and run (default: Debian's /usr/lib/postgresql/15); PORT
# the port (default: the first free one from 54329).  The cluster bootstrap
# is test/lib/cluster.sh's.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh
OUT="$ROOT/demo/out"

if [ "$(id -u)" = 0 ]; then
	cluster_packages postgresql-15 postgresql-server-dev-15 postgresql-15-cron zlib1g-dev libzstd-dev make gcc
fi
PG_CONFIG=${PG_CONFIG:-${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_config}
PG_BIN=${PG_BIN:-$("$PG_CONFIG" --bindir)}
PORT=${PORT:-$(cluster_free_port 54329)}

echo "==> building and installing dataexport"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
if [ "$(id -u)" = 0 ]; then make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
else sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null; fi

# The server refuses to run as root: the cluster belongs to "postgres".
cluster_init "$(mktemp -d /tmp/dataexport-demo.XXXXXX)"
DIR=$CLUSTER_DIR
echo "==> starting a throwaway cluster in $DIR (port $PORT, Unix socket only)"
CLUSTER_CRON=1 cluster_conf - <<CONF
dataexport.max_workers = 2
CONF
cluster_start

psql_as() {	# psql_as <role> [psql args...]
	cluster_psql "$@"
}

echo "==> loading the sample dataset (organizations, projects, events with tags, RLS)"
psql_as postgres -c 'CREATE EXTENSION dataexport' -f demo/sample.sql -f demo/roles.sql -f demo/register.sql >/dev/null

echo "==> exporting as alice (not a superuser; row-level security shows her projects 1 and 2)"
psql_as alice -At <<'SQL' >"$DIR/ids"
SELECT dataexport_create('{"query_type": "Discover",
    "query_info": {"field": ["id", "project_id", "timestamp", "environment", "tags[browser]", "message"],
                   "query": "", "start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00",
                   "sort": "timestamp"}}') ->> 'id';
SELECT dataexport_create('{"query_type": "Issues-by-Tag",
    "query_info": {"project": [1], "group": 100, "key": "browser"}}') ->> 'id';
SQL
read -r -d '' DISCOVER ISSUES < "$DIR/ids" || true

mkdir -p "$DIR/files"
[ "$(id -u)" = 0 ] && chown postgres: "$DIR/files"
for id in $DISCOVER $ISSUES; do
	record=$(psql_as alice -At -c "SELECT dataexport_wait($id, '2 min')")
	oid=$(psql_as alice -At -c "SELECT dataexport_details($id) ->> 'fileOid'")
	name=$(psql_as alice -At -c "SELECT dataexport_details($id) ->> 'fileName'")
	echo "--- export $id: details"
	psql_as alice -At -c "SELECT jsonb_pretty(dataexport_details($id))"
	psql_as alice -c "\\lo_export $oid '$DIR/files/$name'"
	mkdir -p "$OUT"
	cp "$DIR/files/$name" "$OUT/$name"
	echo "--- $OUT/$name"
	cat "$OUT/$name"
done

echo "==> a bigger dataset: 1.2 million transactions (demo/transactions.sql)"
psql_as postgres -f demo/transactions.sql >/dev/null
TX='{"query_type": "Discover", "format": "jsonl", "compression": "gzip",
     "query_info": {"dataset": "transactions", "field": ["id", "project_id", "timestamp", "transaction", "duration"],
                    "query": "", "start": "2026-11-01T00:00:00", "end": "2026-12-31T00:00:00", "sort": "timestamp"}}'
echo "==> dry run as alice: what would it cost?  dataexport_explain (its \"plan\" key, EXPLAIN (FORMAT JSON), left out here)"
psql_as alice -At -v tx="$TX" <<'SQL'
SELECT jsonb_pretty(dataexport_explain(:'tx') - 'plan');
SELECT 'top plan node: ' || (dataexport_explain(:'tx') #>> '{plan,0,Plan,Node Type}');
SQL
echo "==> the export, watched: dataexport_wait(id, progress => true) sends a NOTICE a second"
id=$(psql_as alice -At -v tx="$TX" <<'SQL'
SELECT dataexport_create(:'tx') ->> 'id';
SQL
)
psql_as alice -At -c "SELECT 'export $id: ' || (dataexport_wait($id, '2 min', progress => true) ->> 'state')"
psql_as alice -At -c "SELECT 'rows ' || (r ->> 'rows') || ', bytes ' || (r ->> 'bytes') || ' (stored, compressed), file ' || (r ->> 'fileName') FROM dataexport_details($id) AS r"
echo "==> done: files in $OUT"
if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
	echo "cluster kept: psql -h $DIR -p $PORT -U alice postgres   (stop: pg_ctl -D $DIR/data stop)"
fi
