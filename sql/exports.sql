-- Real exports, byte for byte (SPEC §8).
SET ROLE alice;

-- CSV: commas, quotes, CR/LF, NULLs, empty strings, non-ASCII, numbers,
-- timestamps with and without time zone, booleans, json.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "local_ts", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'fileOid' AS csv_oid \gset
SELECT :'r'::jsonb ->> 'state' AS state, :'r'::jsonb -> 'rows' AS rows,
       :'r'::jsonb -> 'bytes' AS bytes, :'r'::jsonb ->> 'status' AS status,
       :'r'::jsonb ->> 'fileName' ~ '^Discover_\d{4}-[A-Z][a-z]+-\d{2}_\d+\.csv$' AS file_name_ok,
       :'r'::jsonb -> 'truncated' AS truncated, :'r'::jsonb -> 'error' AS error;
SELECT show_file(:csv_oid);
-- checksum: SHA-1 of the stored bytes; bytes: their length
SELECT encode(digest(lo_get(:csv_oid), 'sha1'), 'hex') = :'r'::jsonb ->> 'checksum' AS checksum_matches,
       length(lo_get(:csv_oid)) = (:'r'::jsonb ->> 'bytes')::int AS size_matches;

-- COPY reads the file back to the same rows.
CREATE TEMP TABLE roundtrip (id int, label text, amount numeric, ratio float8, ok boolean,
                             ts timestamptz, local_ts timestamp, doc jsonb);
\lo_export :csv_oid 'results/roundtrip.csv'
\copy roundtrip FROM 'results/roundtrip.csv' (FORMAT csv, HEADER)
SELECT count(*) AS rows_back,
       count(*) FILTER (WHERE (r.id, r.label, r.amount, r.ratio, r.ok, r.ts, r.local_ts, r.doc)
                        IS NOT DISTINCT FROM (s.id, s.label, s.amount, s.ratio, s.ok, s."timestamp", s.local_ts, s.doc)) AS identical
FROM roundtrip r JOIN app.samples s USING (id);

-- The same as JSON Lines: numbers bare (NaN/Infinity as strings), booleans,
-- null, json nested.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}, "format": "jsonl"}') \gset
\set j :r
SELECT :'j'::jsonb ->> 'fileName' ~ '\.jsonl$' AS jsonl_name, :'j'::jsonb -> 'rows' AS rows;
SELECT show_file((:'j'::jsonb ->> 'fileOid')::oid);
-- every line is a JSON object
SELECT count(*) AS lines, count(*) FILTER (WHERE jsonb_typeof(line::jsonb) = 'object') AS objects
FROM regexp_split_to_table(rtrim(convert_from(lo_get((:'j'::jsonb ->> 'fileOid')::oid), 'UTF8'), E'\n'), E'\n') AS line;

-- gzip: a valid stream of the same CSV bytes.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "local_ts", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}, "compression": "gzip"}') \gset
\set g :r
SELECT :'g'::jsonb ->> 'fileOid' AS gz_oid \gset
SELECT :'g'::jsonb ->> 'fileName' ~ '\.csv\.gz$' AS gz_name,
       substr(lo_get(:gz_oid), 1, 2) = '\x1f8b'::bytea AS gzip_magic,
       encode(digest(lo_get(:gz_oid), 'sha1'), 'hex') = :'g'::jsonb ->> 'checksum' AS checksum_of_compressed;
\lo_export :gz_oid 'results/export.csv.gz'
\! gzip -t results/export.csv.gz && echo gzip-test-passed
\! gzip -dc results/export.csv.gz | cmp - results/roundtrip.csv && echo same-bytes-as-csv

-- An empty result still has its header.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label"], "query": "label:nothing-matches", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
\set e :r
SELECT :'e'::jsonb -> 'rows' AS rows, :'e'::jsonb -> 'bytes' AS bytes;
SELECT show_file((:'e'::jsonb ->> 'fileOid')::oid);

-- Search, functions, sort over the sample events.
CALL run_export('{"query_type": "Discover", "query_info": {
    "field": ["id", "environment", "tags[browser]", "message"],
    "query": "browser:Chrome !environment:staging", "start": "2026-11-01", "end": "2026-12-01",
    "sort": "-id"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {
    "field": ["project_id", "count()", "count_unique(tags[browser])", "max(duration)", "last_seen()"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "project_id"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {
    "field": ["id", "message"], "query": "\"division by zero\" environment:prod",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);

-- Issues-by-Tag: one row per tag value, newest first_seen first.
CALL run_export('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}}') \gset
SELECT r ->> 'fileName' ~ '^Issues-by-Tag_' AS ibt_name, show_file((r ->> 'fileOid')::oid)
FROM (SELECT :'r'::jsonb AS r) AS s;
CALL run_export('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}, "environment": "prod"}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "user"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);

-- Limits truncate at a row boundary and say so.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples", "field": ["id"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}, "limit": 3}') \gset
SELECT r -> 'rows' AS rows, r -> 'truncated' AS truncated, r ->> 'truncatedReason' AS reason
FROM (SELECT :'r'::jsonb AS r) AS s;
RESET ROLE;
-- The file size limit is the worker's setting: the export's role's.
ALTER ROLE CURRENT_USER SET dataexport.max_file_size = '1kB';
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT g, repeat(''x'', 100) AS pad FROM generate_series(1, 50) g"}}') \gset
SELECT r -> 'rows' AS rows, r -> 'bytes' AS bytes, r -> 'truncated' AS truncated, r ->> 'truncatedReason' AS reason
FROM (SELECT :'r'::jsonb AS r) AS s;
ALTER ROLE CURRENT_USER RESET dataexport.max_file_size;

-- A raw SQL export by a member of dataexport.sql_role runs as that member,
-- read-only: row-level security applies and writes are refused.
CREATE ROLE exporters;
GRANT exporters TO alice;
ALTER SYSTEM SET dataexport.sql_role = 'exporters';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SET ROLE alice;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT project_id, count(*) AS events FROM app.events GROUP BY 1 ORDER BY 1"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
CREATE FUNCTION public.sneaky_delete() RETURNS int LANGUAGE plpgsql AS $$ BEGIN DELETE FROM app.project_members; RETURN 1; END $$;
GRANT DELETE ON app.project_members TO alice;
SET ROLE alice;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT public.sneaky_delete()"}}') \gset
SELECT r ->> 'state' AS state, r ->> 'error' AS error, r ->> 'errorDetail' AS detail
FROM (SELECT :'r'::jsonb AS r) AS s;
SELECT count(*) AS members_left FROM app.project_members;
RESET ROLE;
REVOKE DELETE ON app.project_members FROM alice;
ALTER SYSTEM RESET dataexport.sql_role;
SELECT pg_reload_conf();
