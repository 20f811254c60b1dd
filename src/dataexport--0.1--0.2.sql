/* dataexport 0.1 -> 0.2 */
\echo Use "ALTER EXTENSION dataexport UPDATE TO '0.2'" to load this file. \quit

-- There is no full dataexport--0.2.sql: CREATE EXTENSION dataexport runs
-- dataexport--0.1.sql and then this script, so a fresh install and an
-- updated one are built by the same statements (test/t/060_upgrade.pl
-- compares their catalogs).  dataexport--0.1.sql is frozen: every schema
-- change from 0.2 on goes here, into the section of the issue it belongs to.
--
-- The shared library serves both versions: until this script has run it
-- works on the 0.1 objects and refuses the 0.2 features (extversion.c).

-- ---- 0.2: formats and compressions (zstd, parquet) ----
ALTER TABLE dataexport.export DROP CONSTRAINT export_format_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_format_check
    CHECK (format IN ('csv', 'jsonl', 'parquet'));
ALTER TABLE dataexport.export DROP CONSTRAINT export_compression_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_compression_check
    CHECK (compression IN ('none', 'gzip', 'zstd'));

-- ---- 0.2: performance (issue 8) ----
-- The export record in C (record.c): the same jsonb as the 0.1 SQL
-- definition, without parsing and planning three SQL functions at each call
-- (most of the time of dataexport_create and dataexport_details).  Its
-- privileges are kept (REVOKE ... FROM PUBLIC in 0.1).
CREATE OR REPLACE FUNCTION dataexport.record(e dataexport.export, progress jsonb, user_id_setting text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataexport_record' LANGUAGE C STABLE;
-- The queue cap counts a requester's unfinished exports at each create
-- (queue.c): this index reads only those, however long the queue or the
-- history.  The library falls back to export_queue on a 0.1 schema.
CREATE INDEX export_unfinished_owner ON dataexport.export (owner)
    WHERE state IN ('queued', 'running');

-- ---- 0.2: Sentry fidelity, query builder (issue 9) ----

-- ---- 0.2: Sentry fidelity, checks and records (issue 9) ----

-- ---- 0.2: explain, progress (issue 10) ----

-- ---- 0.2: parquet (issue 10) ----

-- ---- 0.2: statistics (issue 10) ----

-- ---- 0.2: comments (issue 10) ----
