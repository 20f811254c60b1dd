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

-- The export record: once its file is gone (cleaned up, or unlinked, dropped
-- or reassigned away from the requester) checksum and fileName are null, as
-- Sentry's serializer gives None for a deleted file; status is EXPIRED.
-- The table keeps both for the DBA.
CREATE OR REPLACE FUNCTION dataexport.record(e dataexport.export, progress jsonb, user_id_setting text)
RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT jsonb_build_object(
        'id', e.id,
        'user', (SELECT jsonb_build_object(
                    'id', COALESCE(NULLIF(e.owner_settings ->> user_id_setting, ''), e.owner::text),
                    'email', NULL,
                    'username', r.rolname)
                 FROM pg_roles r WHERE r.oid = e.owner),
        'dateCreated', dataexport.iso_ms(e.date_created),
        'dateFinished', dataexport.iso_ms(e.date_finished),
        'dateExpired', dataexport.iso_ms(e.date_expired),
        'query', jsonb_build_object('type', e.query_type, 'info', e.query_info),
        'status', CASE
                    WHEN e.date_finished IS NULL THEN 'EARLY'
                    WHEN f.gone THEN 'EXPIRED'
                    WHEN e.date_expired IS NOT NULL AND e.date_expired <= now() THEN 'EXPIRED'
                    ELSE 'VALID' END,
        'checksum', CASE WHEN NOT f.gone THEN e.checksum END,
        'fileName', CASE WHEN NOT f.gone THEN e.file_name END,
        'state', CASE WHEN f.gone THEN 'expired' ELSE e.state END,
        'format', e.format,
        'compression', e.compression,
        'fileOid', CASE WHEN e.state = 'succeeded' AND NOT f.gone THEN e.file_oid::bigint END,
        'rows', e.rows,
        'bytes', e.bytes,
        'truncated', e.truncated,
        'truncatedReason', e.truncated_reason,
        'error', e.error,
        'errorDetail', e.error_detail,
        'attempts', e.attempts,
        'progress', CASE WHEN e.state = 'running' THEN progress END)
    FROM (SELECT e.state = 'expired' OR
                 (e.state = 'succeeded' AND NOT dataexport.file_present(e)) AS gone) AS f
$$;

-- ---- 0.2: explain, progress (issue 10) ----

-- ---- 0.2: parquet (issue 10) ----

-- ---- 0.2: statistics (issue 10) ----

-- ---- 0.2: comments (issue 10) ----
