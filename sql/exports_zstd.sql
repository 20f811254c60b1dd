-- zstd: a valid .zst stream (zstd -t) of exactly the bytes of the same
-- export uncompressed (SPEC §8), checksum and size of the stored bytes.
SET ROLE alice;

CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "local_ts", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'fileOid' AS plain_oid \gset
\lo_export :plain_oid 'results/zstd_plain.csv'

CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "local_ts", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}, "compression": "zstd"}') \gset
\set z :r
SELECT :'z'::jsonb ->> 'fileOid' AS zst_oid \gset
SELECT :'z'::jsonb ->> 'state' AS state, :'z'::jsonb ->> 'compression' AS compression,
       :'z'::jsonb -> 'rows' AS rows,
       :'z'::jsonb ->> 'fileName' ~ '^Discover_\d{4}-[A-Z][a-z]+-\d{2}_\d+\.csv\.zst$' AS zst_name,
       substr(lo_get(:zst_oid), 1, 4) = '\x28b52ffd'::bytea AS zstd_magic,
       encode(digest(lo_get(:zst_oid), 'sha1'), 'hex') = :'z'::jsonb ->> 'checksum' AS checksum_of_compressed,
       length(lo_get(:zst_oid)) = (:'z'::jsonb ->> 'bytes')::int AS bytes_of_compressed;
\lo_export :zst_oid 'results/export.csv.zst'
\! zstd -q -t results/export.csv.zst && echo zstd-test-passed
\! zstd -q -dc results/export.csv.zst | cmp - results/zstd_plain.csv && echo same-bytes-as-csv

-- JSON Lines too.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}, "format": "jsonl"}') \gset
SELECT :'r'::jsonb ->> 'fileOid' AS plain_oid \gset
\lo_export :plain_oid 'results/zstd_plain.jsonl'
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label", "amount", "ratio", "ok", "timestamp", "doc"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"},
    "format": "jsonl", "compression": "zstd"}') \gset
SELECT :'r'::jsonb ->> 'fileOid' AS zst_oid \gset
SELECT :'r'::jsonb ->> 'fileName' ~ '\.jsonl\.zst$' AS zst_name,
       encode(digest(lo_get(:zst_oid), 'sha1'), 'hex') = :'r'::jsonb ->> 'checksum' AS checksum_of_compressed;
\lo_export :zst_oid 'results/export.jsonl.zst'
\! zstd -q -dc results/export.jsonl.zst | cmp - results/zstd_plain.jsonl && echo same-bytes-as-jsonl

-- An empty result: a valid stream of the header alone.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id", "label"], "query": "label:nothing-matches", "start": "2026-11-01", "end": "2026-12-01"},
    "compression": "zstd"}') \gset
SELECT :'r'::jsonb ->> 'fileOid' AS zst_oid \gset
SELECT :'r'::jsonb -> 'rows' AS rows;
\lo_export :zst_oid 'results/empty.csv.zst'
\! zstd -q -dc results/empty.csv.zst | od -c | head -2

-- Several MB (stored in many chunks of whole large-object pages, the last
-- one partial), uncompressed, gzip and zstd: the same bytes; checksum and
-- size are those of the stored bytes.
RESET ROLE;
CREATE ROLE zstd_exporters;
GRANT zstd_exporters TO alice;
ALTER ROLE alice SET dataexport.sql_role = 'zstd_exporters';
SET dataexport.sql_role = 'zstd_exporters';
SET ROLE alice;
CREATE TEMP TABLE big_exports (compression text, r jsonb);
CREATE PROCEDURE pg_temp.big_export(compression text)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    CALL run_export(jsonb_build_object('query_type', 'SQL', 'compression', compression,
        'query_info', jsonb_build_object('sql',
        'SELECT g, md5(g::text) AS h, repeat(md5((g * 7)::text), g % 3) AS pad, g % 5 = 0 AS flag FROM generate_series(1, 150000) g')), r);
    INSERT INTO big_exports VALUES (compression, r);
END
$$;
CALL pg_temp.big_export('none');
CALL pg_temp.big_export('gzip');
CALL pg_temp.big_export('zstd');
SELECT compression, r ->> 'state' AS state, r -> 'rows' AS rows,
       (r ->> 'bytes')::bigint > 2 * 1024 * 1024 AS over_two_chunks,
       encode(digest(lo_get((r ->> 'fileOid')::oid), 'sha1'), 'hex') = r ->> 'checksum' AS checksum_of_stored,
       length(lo_get((r ->> 'fileOid')::oid)) = (r ->> 'bytes')::bigint AS bytes_of_stored
FROM big_exports ORDER BY compression;
SELECT r ->> 'fileOid' AS big_none FROM big_exports WHERE compression = 'none' \gset
SELECT r ->> 'fileOid' AS big_gzip FROM big_exports WHERE compression = 'gzip' \gset
SELECT r ->> 'fileOid' AS big_zstd FROM big_exports WHERE compression = 'zstd' \gset
\lo_export :big_none 'results/big.csv'
\lo_export :big_gzip 'results/big.csv.gz'
\lo_export :big_zstd 'results/big.csv.zst'
\! zstd -q -t results/big.csv.zst && gzip -t results/big.csv.gz && echo streams-valid
\! zstd -q -dc results/big.csv.zst | cmp - results/big.csv && echo zstd-same-bytes-as-csv
\! gzip -dc results/big.csv.gz | cmp - results/big.csv && echo gzip-same-bytes-as-csv
\! head -c 120 results/big.csv | od -c | head -3
RESET ROLE;
ALTER ROLE alice RESET dataexport.sql_role;
RESET dataexport.sql_role;
DROP ROLE zstd_exporters;
SET ROLE alice;

-- Other compressions are still refused with Sentry-style validation.
SELECT try_create('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}, "compression": "xz"}');
RESET ROLE;

-- The library on a database whose SQL objects are still 0.1 (between a
-- package upgrade and ALTER EXTENSION UPDATE): 0.1's CHECK constraint does
-- not admit zstd, so create refuses it (55000, with the hint); gzip and none
-- are still accepted.  The catalog's version is changed only inside this
-- transaction.
BEGIN;
UPDATE pg_extension SET extversion = '0.1' WHERE extname = 'dataexport';
SET LOCAL ROLE alice;
SELECT try_create('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}, "compression": "gzip"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}, "compression": "zstd"}');
SAVEPOINT s;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"dataset": "samples",
    "field": ["id"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}, "compression": "zstd"}');
ROLLBACK TO s;
ROLLBACK;
