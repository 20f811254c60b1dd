#!/usr/bin/python3
"""Reference HTTP service: Sentry's two data-export endpoints over dataexport.

    POST /api/0/organizations/{org}/data-export/
    GET  /api/0/organizations/{org}/data-export/{id}/[?download=true]

It shows application developers how to wire the extension, and Sentry API
clients work against it unchanged: the create endpoint answers 201 with the
export record (200 when an identical unfinished export of the same user is
returned), validation errors are 400 {"detail": "<Sentry's message>"},
permission errors 403, a missing or foreign id 404, and ?download streams the
file.

Why Python with Debian's python3-psycopg (psycopg 3) and the standard
library's http.server: both come from the distribution's package manager
(apt-get install python3-psycopg), like PostgreSQL itself, so nothing is
fetched from npm or PyPI at install or run time, and there is no third-party
web framework to audit.  Run it with /usr/bin/python3 (Debian's interpreter,
which sees the package).

Identity (the shared-role model of SPEC 4.1): the service logs in as ONE
database role (dataexport_http in examples/http/schema.sql).  Each request's
bearer token is hashed (SHA-256) and looked up in http_example.api_tokens;
the user id it maps to is set as app.user_id for that request's transaction
only (set_config(..., true)).  The DBA has set dataexport.forward_settings =
'app.user_id' for the role, so the extension captures the user with the
export, runs the worker's query with it (row-level security reads it), and
treats it as part of the owner: details of another user's export is 404, and
dedupe is per user.  Every large object belongs to the shared role, so the
service never reads a file whose OID did not come from dataexport_details in
the same transaction: that call is the access check.

Downloads: the file is a large object, read with lo_open/loread in chunks of
CHUNK bytes inside one REPEATABLE READ READ ONLY transaction (one snapshot:
a cleanup committing mid-download does not cut the file), and written to
the socket chunk by chunk.  The whole file is never in memory.

Usage:
    /usr/bin/python3 examples/http/server.py [--host 127.0.0.1] [--port 8000]
        [--dsn "host=... dbname=... user=dataexport_http"] [--pool 8]
--dsn defaults to $DATABASE_URL, else libpq's environment (PGHOST, ...).
--port 0 picks a free port.  The first line on stdout is
"listening on http://HOST:PORT/ (pid N)".  SIGTERM or Ctrl-C stops it.

The three queries under "The application's schema" are the only ones that
know the demo schema (organizations by slug, project membership); adapt
them to yours.
"""
import argparse
import contextlib
import hashlib
import json
import os
import queue
import re
import signal
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg

CHUNK = 256 * 1024          # bytes per loread round trip
INV_READ = 0x40000          # lo_open mode (libpq-fs.h)
MAX_BODY = 1024 * 1024      # largest accepted request body

# ---- The application's schema (examples/http/schema.sql, demo/sample.sql) ----
# The user of a token (its SHA-256 in hex): (id, username, email) or no row.
SQL_USER_OF_TOKEN = """
    SELECT u.id, u.username, u.email
    FROM http_example.api_tokens t JOIN http_example.users u ON u.id = t.user_id
    WHERE t.token_sha256 = %s"""
# The organization named in the URL, by slug or by id (Sentry accepts both).
SQL_ORGANIZATION = "SELECT id FROM app.organizations WHERE slug = %(slug)s OR id = %(id)s"
# Is the user (app.user_id, set) a member: do they see a project of it (RLS)?
SQL_MEMBER = "SELECT EXISTS (SELECT 1 FROM app.projects WHERE organization_id = %s)"
# Do all of these projects belong to this organization?  (The record does not
# carry its organization; Sentry looks exports up within the URL's one.)
SQL_PROJECTS_IN_ORG = """
    SELECT NOT EXISTS (SELECT 1 FROM app.projects
                       WHERE id = ANY(%s::bigint[]) AND organization_id <> %s)"""

# Content types by the record's format and compression (Sentry: text/csv).
FORMAT_TYPES = {
    "csv": "text/csv",
    "jsonl": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}
COMPRESSION_TYPES = {"gzip": "application/gzip", "zstd": "application/zstd"}

# DRF's and Sentry's texts.
NOT_AUTHENTICATED = "Authentication credentials were not provided."
INVALID_TOKEN = "Invalid token"
NO_PERMISSION = "You do not have permission to perform this action."
NOT_FOUND = "The requested resource does not exist"

CREATE_PATH = re.compile(r"^/api/0/organizations/([^/]+)/data-export/?$")
DETAILS_PATH = re.compile(r"^/api/0/organizations/([^/]+)/data-export/([^/]+)/?$")


class HttpError(Exception):
    """An answer other than success: status and JSON body (None: no body)."""

    def __init__(self, status, detail=None):
        super().__init__(detail)
        self.status = status
        self.body = None if detail is None else {"detail": detail}


def error_from_database(err):
    """The HTTP answer for an error the extension raised (by SQLSTATE)."""
    state = err.sqlstate or ""
    message = err.diag.message_primary or str(err)
    if state.startswith("22"):          # 22023 and friends: validation
        return HttpError(400, message)
    if state == "42501":                # no access to a project
        return HttpError(403, message)
    if state == "42704":                # unknown or another user's export
        return HttpError(404)
    if state == "0A000":                # dataexport.enabled = off (Sentry's flag)
        return HttpError(404)
    if state == "53400":                # dataexport.max_queued_per_role
        return HttpError(429, message)
    return None


class Pool:
    """A few open connections, reused; a broken or busy one is closed."""

    def __init__(self, dsn, size):
        self.dsn = dsn
        self.idle = queue.LifoQueue()
        self.slots = threading.BoundedSemaphore(size)

    @contextlib.contextmanager
    def connection(self):
        self.slots.acquire()
        conn = None
        try:
            try:
                conn = self.idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.dsn, autocommit=True)
            yield conn
        finally:
            if conn is not None:
                if (not conn.closed
                        and conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE):
                    self.idle.put(conn)
                else:
                    conn.close()
            self.slots.release()


@contextlib.contextmanager
def transaction(conn, begin="BEGIN"):
    """BEGIN ... COMMIT, ROLLBACK on any exception."""
    conn.execute(begin)
    try:
        yield conn
    except BaseException:
        if not conn.closed:
            try:
                conn.execute("ROLLBACK")
            except psycopg.Error:
                conn.close()
        raise
    conn.execute("COMMIT")


def one(conn, sql, params=None):
    row = conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "dataexport-http-example"
    pool = None                 # set by main()

    # ---- plumbing ----

    def send_json(self, status, body):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        if status == 401:
            self.send_header("WWW-Authenticate", 'Bearer realm="api"')
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def dispatch(self, method):
        self.streaming = False
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        try:
            m = CREATE_PATH.match(url.path)
            if m and method == "POST":
                return self.create(urllib.parse.unquote(m.group(1)), params)
            d = DETAILS_PATH.match(url.path)
            if d and method == "GET":
                return self.details(urllib.parse.unquote(d.group(1)), d.group(2), params)
            if m or d:
                raise HttpError(405, f'Method "{method}" not allowed.')
            raise HttpError(404, NOT_FOUND)
        except Exception as e:  # pylint: disable=broad-except
            if self.streaming or isinstance(e, OSError):
                # The status line went out already, or the client went away:
                # all that is left is to drop the connection.
                self.close_connection = True
                self.log_error("request failed: %r", e)
                return
            if isinstance(e, HttpError):
                return self.send_json(e.status, e.body)
            answer = error_from_database(e) if isinstance(e, psycopg.Error) else None
            if answer is None:
                self.log_error("internal error: %r", e)
                answer = HttpError(500, "Internal Error")
            self.send_json(answer.status, answer.body)

    def do_POST(self):
        self.dispatch("POST")

    def do_GET(self):
        self.dispatch("GET")

    def do_PUT(self):
        self.dispatch("PUT")

    def do_DELETE(self):
        self.dispatch("DELETE")

    # ---- identity ----

    def authenticate(self, conn):
        """The token's user as (id, username, email); 401 without one."""
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise HttpError(401, NOT_AUTHENTICATED)
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        user = conn.execute(SQL_USER_OF_TOKEN, (digest,)).fetchone()
        if user is None:
            raise HttpError(401, INVALID_TOKEN)
        return user

    def enter(self, conn, org):
        """In a transaction: authenticate, become the user, resolve the organization."""
        user = self.authenticate(conn)
        conn.execute("SELECT set_config('app.user_id', %s, true)", (user[0],))
        org_id = one(conn, SQL_ORGANIZATION, {
            "slug": org, "id": int(org) if re.fullmatch(r"[0-9]{1,18}", org) else None})
        if org_id is None:
            raise HttpError(404, NOT_FOUND)
        if not one(conn, SQL_MEMBER, (org_id,)):
            raise HttpError(403, NO_PERMISSION)
        return user, org_id

    @staticmethod
    def serialize(record, user):
        """Sentry's keys, the user as the application knows them, and the
        extension's own keys except the ones meant for the database side:
        "created" (it is the status code), "fileOid" (?download is the
        way to the file) and "errorDetail" (PostgreSQL's error, for the DBA)."""
        record = {k: v for k, v in record.items()
                  if k not in ("created", "fileOid", "errorDetail")}
        record["user"] = {"id": user[0], "email": user[2], "username": user[1]}
        return record

    # ---- POST .../data-export/ ----

    def create(self, org, params):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self.close_connection = True    # the unread body must not become a request
            raise HttpError(413 if length > MAX_BODY else 400,
                            "Request body is too large." if length > MAX_BODY
                            else "Malformed Content-Length.")
        raw = self.rfile.read(length) if length else b""
        with self.pool.connection() as conn, transaction(conn):
            user, org_id = self.enter(conn, org)
            try:
                body = json.loads(raw) if raw.strip() else {}
            except ValueError as e:
                raise HttpError(400, f"JSON parse error - {e}")
            if not isinstance(body, dict):
                raise HttpError(400, "Invalid data. Expected a dictionary, but got "
                                f"{type(body).__name__}.")
            # Sentry takes the organization from the URL and the environment
            # from the query string.
            payload = dict(body, organization=org_id)
            if "environment" in params:
                payload["environment"] = params["environment"][0]
            record = one(conn, "SELECT dataexport_create(%s::jsonb)", (json.dumps(payload),))
        self.send_json(201 if record.get("created") else 200, self.serialize(record, user))

    # ---- GET .../data-export/{id}/ ----

    def details(self, org, export_id, params):
        if not re.fullmatch(r"[0-9]{1,18}", export_id):
            raise HttpError(404)
        with self.pool.connection() as conn, \
                transaction(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"):
            user, org_id = self.enter(conn, org)
            if one(conn, "SELECT current_setting('dataexport.enabled')::bool") is False:
                raise HttpError(404)
            record = one(conn, "SELECT dataexport_details(%s::bigint)", (export_id,))
            projects = (record.get("query") or {}).get("info", {}).get("project") or []
            if not one(conn, SQL_PROJECTS_IN_ORG, (projects, org_id)):
                raise HttpError(404)
            # Sentry streams the file when "download" is present at all.
            if "download" in params and record.get("fileOid") is not None:
                return self.download(conn, record)
        self.send_json(200, self.serialize(record, user))

    def download(self, conn, record):
        fd = one(conn, "SELECT lo_open(%s::oid, %s)", (record["fileOid"], INV_READ))
        size = one(conn, "SELECT lo_lseek64(%s, 0, 2)", (fd,))
        one(conn, "SELECT lo_lseek64(%s, 0, 0)", (fd,))
        # Parquet's compression is its page codec: the file is never wrapped
        ctype = (None if record.get("format") == "parquet"
                 else COMPRESSION_TYPES.get(record.get("compression"))) \
            or FORMAT_TYPES.get(record.get("format"), "application/octet-stream")
        name = (record.get("fileName") or "export").replace("\\", "_").replace('"', "_")
        self.streaming = True
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(size))
        self.send_header("Content-Disposition", f'attachment; filename="{name}"')
        self.end_headers()
        sent = 0
        with conn.cursor(binary=True) as cur:
            while sent < size:
                cur.execute("SELECT loread(%s, %s)", (fd, CHUNK))
                chunk = cur.fetchone()[0]
                if not chunk:
                    break
                self.wfile.write(chunk)
                sent += len(chunk)
                del chunk
        if sent != size:        # cannot happen in one snapshot; never end a short file cleanly
            raise HttpError(500, f"large object {record['fileOid']}: {sent} of {size} bytes read")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--dsn", default=os.environ.get("DATABASE_URL", ""))
    ap.add_argument("--pool", type=int, default=8, help="database connections at most")
    args = ap.parse_args()

    Handler.pool = Pool(args.dsn, args.pool)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    host, port = server.server_address[:2]
    print(f"listening on http://{host}:{port}/ (pid {os.getpid()})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
