-- An export whose query has a parallel plan (Gather): the executor stays in
-- parallel mode until the query ends, where PostgreSQL refuses the
-- large-object writes (a heap insert and a new command).  The sink holds
-- the stored bytes in a temporary file meanwhile: the export succeeds, and
-- its bytes are those of the same query run without parallelism.
CREATE TABLE app.par_rows (id int, label text, amount numeric, seen timestamptz);
INSERT INTO app.par_rows
SELECT g, 'row ' || g || ', "quoted" ' || repeat('x', g % 40), g / 7.0,
       '2026-11-01'::timestamptz + g * interval '1 minute'
FROM generate_series(1, 40000) g;
ANALYZE app.par_rows;
GRANT SELECT ON app.par_rows TO alice;
CREATE ROLE parallel_exporters;
GRANT parallel_exporters TO alice;
ALTER ROLE alice SET dataexport.sql_role = 'parallel_exporters';
SET dataexport.sql_role = 'parallel_exporters';

CREATE TEMP TABLE par_exports (label text, r jsonb);
GRANT ALL ON par_exports TO alice;
CREATE PROCEDURE pg_temp.par_export(label text, payload jsonb)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    CALL run_export(payload, r);
    INSERT INTO par_exports VALUES (label, r);
END
$$;

-- the plan the worker gets with these settings (alice's, as it connects)
ALTER ROLE alice SET parallel_setup_cost = 0;
ALTER ROLE alice SET parallel_tuple_cost = 0;
ALTER ROLE alice SET min_parallel_table_scan_size = 0;
ALTER ROLE alice SET max_parallel_workers_per_gather = 2;
SET ROLE alice;
BEGIN;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT id, label, amount, seen FROM app.par_rows WHERE amount >= 0 ORDER BY id;
EXPLAIN (COSTS OFF) SELECT id % 3 AS k, count(*) AS n, sum(amount) AS total FROM app.par_rows GROUP BY 1 ORDER BY 1;
COMMIT;

CALL pg_temp.par_export('parallel csv', '{"query_type": "SQL", "query_info": {"sql":
    "SELECT id, label, amount, seen FROM app.par_rows WHERE amount >= 0 ORDER BY id"}}');
CALL pg_temp.par_export('parallel zstd', '{"query_type": "SQL", "compression": "zstd", "query_info": {"sql":
    "SELECT id, label, amount, seen FROM app.par_rows WHERE amount >= 0 ORDER BY id"}}');
-- a parallel aggregate: its few rows never leave the buffers
CALL pg_temp.par_export('parallel aggregate', '{"query_type": "SQL", "query_info": {"sql":
    "SELECT id % 3 AS k, count(*) AS n, sum(amount) AS total FROM app.par_rows GROUP BY 1 ORDER BY 1"}}');
RESET ROLE;
ALTER ROLE alice RESET parallel_setup_cost;
ALTER ROLE alice RESET parallel_tuple_cost;
ALTER ROLE alice RESET min_parallel_table_scan_size;
ALTER ROLE alice RESET max_parallel_workers_per_gather;
SET ROLE alice;
CALL pg_temp.par_export('serial csv', '{"query_type": "SQL", "query_info": {"sql":
    "SELECT id, label, amount, seen FROM app.par_rows WHERE amount >= 0 ORDER BY id"}}');
CALL pg_temp.par_export('serial zstd', '{"query_type": "SQL", "compression": "zstd", "query_info": {"sql":
    "SELECT id, label, amount, seen FROM app.par_rows WHERE amount >= 0 ORDER BY id"}}');
CALL pg_temp.par_export('serial aggregate', '{"query_type": "SQL", "query_info": {"sql":
    "SELECT id % 3 AS k, count(*) AS n, sum(amount) AS total FROM app.par_rows GROUP BY 1 ORDER BY 1"}}');

-- (a zstd file's size depends on the libzstd release: not shown)
SELECT label, r ->> 'state' AS state, r -> 'rows' AS rows,
       CASE WHEN label LIKE '%zstd' THEN NULL ELSE r -> 'bytes' END AS bytes,
       r ->> 'error' AS error, r ->> 'errorDetail' AS detail,
       encode(digest(lo_get((r ->> 'fileOid')::oid), 'sha1'), 'hex') = r ->> 'checksum' AS checksum_of_stored
FROM par_exports ORDER BY label;
-- the same bytes with and without parallelism
SELECT p.label, p.r ->> 'checksum' = s.r ->> 'checksum' AS same_bytes_as_serial
FROM par_exports p JOIN par_exports s ON s.label = replace(p.label, 'parallel', 'serial')
WHERE p.label LIKE 'parallel%' ORDER BY p.label;
SELECT r ->> 'fileOid' AS par_zst FROM par_exports WHERE label = 'parallel zstd' \gset
SELECT r ->> 'fileOid' AS ser_csv FROM par_exports WHERE label = 'serial csv' \gset
\lo_export :par_zst 'results/parallel.csv.zst'
\lo_export :ser_csv 'results/serial.csv'
\! zstd -q -dc results/parallel.csv.zst | cmp - results/serial.csv && echo zstd-same-bytes-as-serial-csv
SELECT show_file((r ->> 'fileOid')::oid) FROM par_exports WHERE label = 'parallel aggregate';
RESET ROLE;

ALTER ROLE alice RESET dataexport.sql_role;
RESET dataexport.sql_role;
DROP ROLE parallel_exporters;
DROP TABLE app.par_rows;
