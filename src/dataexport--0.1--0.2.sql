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

-- ---- 0.2: Sentry fidelity, query builder (issue 9) ----

-- ---- 0.2: Sentry fidelity, checks and records (issue 9) ----

-- ---- 0.2: explain, progress (issue 10) ----

-- ---- 0.2: parquet (issue 10) ----

-- ---- 0.2: statistics (issue 10) ----
-- Operator statistics of this database's exports, one row per query type
-- (stats.c): superusers and members of the extension owner see every
-- export, other callers only their own.  "recent" columns and the
-- percentiles cover the exports started/finished since now() - period.
CREATE FUNCTION @extschema@.dataexport_stats(
    period interval DEFAULT '24 hours',
    OUT database name, OUT query_type text,
    OUT queued bigint, OUT running bigint, OUT succeeded bigint, OUT failed bigint,
    OUT cancelled bigint, OUT expired bigint,
    OUT retries bigint, OUT lost_workers bigint, OUT oldest_queued interval,
    OUT since timestamptz, OUT finished_recent bigint, OUT failed_recent bigint,
    OUT queue_wait_p50 interval, OUT queue_wait_p95 interval,
    OUT run_time_p50 interval, OUT run_time_p95 interval,
    OUT bytes_written bigint, OUT bytes_written_recent bigint, OUT storage_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataexport_stats' LANGUAGE C STRICT VOLATILE ROWS 4;
REVOKE ALL ON FUNCTION @extschema@.dataexport_stats(interval) FROM PUBLIC;

CREATE VIEW @extschema@.dataexport_stats AS
    SELECT * FROM @extschema@.dataexport_stats('24 hours');
-- As for the other views, EXECUTE on the function decides.
GRANT SELECT ON @extschema@.dataexport_stats TO PUBLIC;

-- ---- 0.2: comments (issue 10) ----
