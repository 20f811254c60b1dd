#!/usr/bin/env bash
# One command for the reference HTTP service (examples/http/server.py):
#   install what it needs (as root: PostgreSQL 15, the build tools,
#   python3-psycopg), build and install dataexport, start a throwaway cluster
#   (test/lib/cluster.sh, as demo/run.sh does), load the demo schema and
#   examples/http/schema.sql (the service's role, users, tokens and policies),
#   and run the service in the foreground on http://127.0.0.1:$HTTP_PORT/.
#   Ctrl-C stops it and removes the cluster (KEEP_CLUSTER=1 keeps it).
# HTTP_PORT: default 8000 or the next free port.  PG_CONFIG / PG_BIN / PORT:
# as for demo/run.sh.
# Against an existing database instead: load demo/*.sql (or your schema) and
# examples/http/schema.sql as a superuser, then
#   /usr/bin/python3 examples/http/server.py --dsn "host=... dbname=... user=dataexport_http"
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=test/lib/cluster.sh
. test/lib/cluster.sh

if [ "$(id -u)" = 0 ]; then
	cluster_packages postgresql-15 postgresql-server-dev-15 zlib1g-dev make gcc python3-psycopg
fi
PG_CONFIG=${PG_CONFIG:-${PG_BIN:-/usr/lib/postgresql/15/bin}/pg_config}
PG_BIN=${PG_BIN:-$("$PG_CONFIG" --bindir)}
PORT=${PORT:-$(cluster_free_port 54329)}
HTTP_PORT=${HTTP_PORT:-$(cluster_free_port 8000)}

echo "==> building and installing dataexport"
make -s PG_CONFIG="$PG_CONFIG" >/dev/null
if [ "$(id -u)" = 0 ]; then make -s PG_CONFIG="$PG_CONFIG" install >/dev/null
else sudo make -s PG_CONFIG="$PG_CONFIG" install >/dev/null; fi

cluster_init "$(mktemp -d /tmp/dataexport-http.XXXXXX)"
echo "==> starting a throwaway cluster in $CLUSTER_DIR (port $PORT, Unix socket only)"
cluster_conf - <<CONF
dataexport.max_workers = 2
CONF
cluster_start
# Files go through stdin: the server's OS user need not read this checkout.
{
	echo 'CREATE EXTENSION dataexport;'
	cat demo/sample.sql demo/roles.sql demo/register.sql examples/http/schema.sql
} | cluster_psql postgres >/dev/null

URL="http://127.0.0.1:$HTTP_PORT/api/0/organizations/acme/data-export"
cat <<EOF
==> the service runs as database role dataexport_http; tokens: alice-token, carol-token (acme), bob-token (globex)
    curl -i -X POST $URL/ -H 'Authorization: Bearer alice-token' \\
      -d '{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "", "start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00"}}'
    curl -i $URL/1/ -H 'Authorization: Bearer alice-token'
    curl -OJ '$URL/1/?download=true' -H 'Authorization: Bearer alice-token'
    Ctrl-C stops the service and removes the cluster.
EOF
/usr/bin/python3 examples/http/server.py --port "$HTTP_PORT" \
	--dsn "host=$CLUSTER_DIR port=$PORT dbname=postgres user=dataexport_http"
