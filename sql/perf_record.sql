-- Version 0.2 computes dataexport.record in C (src/backend/record.c).  It
-- must give exactly the jsonb that the 0.1 SQL definition gives, for every
-- state an export can be in.  record_sql.record is that 0.1 definition,
-- copied from dataexport--0.1.sql, with issue 9's rule: checksum and
-- fileName null once the file is gone (an expired state included).
SELECT l.lanname AS record_language
FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
WHERE p.oid = 'dataexport.record(dataexport.export, jsonb, text)'::regprocedure;

CREATE SCHEMA record_sql;
CREATE FUNCTION record_sql.record(e dataexport.export, progress jsonb, user_id_setting text)
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

-- Large objects: one of alice's, one of bob's.
SET ROLE alice;
SELECT lo_create(0) AS alice_lo \gset
SET ROLE bob;
SELECT lo_create(0) AS bob_lo \gset
RESET ROLE;
SELECT 'alice'::regrole::oid AS alice_oid \gset

-- Rows in every state and shape, as values of the row type (nothing is
-- inserted): the keys missing from a row are NULL.
CREATE TEMP TABLE record_rows AS
SELECT n, jsonb_populate_record(NULL::dataexport.export, j || jsonb_build_object(
           'owner', COALESCE(j ->> 'owner', :'alice_oid'),
           'owner_name', 'alice', 'query_type', COALESCE(j ->> 'query_type', 'Discover'),
           'query_info', COALESCE(j -> 'query_info', '{"field": ["id"], "project": [1, 2]}'),
           'format', 'csv', 'compression', COALESCE(j ->> 'compression', 'none'),
           'dedupe_key', 'k' || n, 'truncated', COALESCE(j -> 'truncated', 'false'),
           'attempts', COALESCE(j -> 'attempts', '0'),
           'owner_settings', COALESCE(j -> 'owner_settings', '{}'))) AS e
FROM (VALUES
 (1, '{"id": 1, "state": "queued", "date_created": "2026-11-28 01:02:03.123456+00"}'::jsonb),
 (2, '{"id": 2, "state": "running", "date_created": "2026-11-28 01:02:03+00", "date_started": "2026-11-28 01:02:04+00", "attempts": 1}'),
 (3, jsonb_build_object('id', 3, 'state', 'succeeded', 'file_oid', :'alice_lo', 'file_name', 'Discover_2026-November-28_3.csv',
     'checksum', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'rows', 10, 'bytes', 1234,
     'date_created', '2026-11-28 01:02:03.5+00', 'date_finished', '2026-11-28 01:02:04+00',
     'date_expired', '2999-12-26 01:02:04.001+00', 'attempts', 1)),
 (4, jsonb_build_object('id', 4, 'state', 'succeeded', 'file_oid', :'bob_lo', 'date_created', '2026-11-28 01:02:03+00',
     'date_finished', '2026-11-28 01:02:04+00', 'date_expired', '2999-12-26 01:02:04+00')),
 (5, '{"id": 5, "state": "succeeded", "file_oid": 4000000000, "date_created": "2026-11-28 01:02:03+00", "date_finished": "2026-11-28 01:02:04+00", "date_expired": "2999-01-01 00:00:00+00"}'),
 (6, '{"id": 6, "state": "succeeded", "date_created": "2026-11-28 01:02:03+00", "date_finished": "2026-11-28 01:02:04+00"}'),
 (7, jsonb_build_object('id', 7, 'state', 'succeeded', 'file_oid', :'alice_lo', 'date_created', '2020-01-01 00:00:00+00',
     'date_finished', '2020-01-01 00:00:01.999+00', 'date_expired', '2020-01-29 00:00:01.999+00')),
 (8, '{"id": 8, "state": "failed", "error": "Invalid query. Please fix the query and try again.", "error_detail": "ERROR: x", "truncated": true, "truncated_reason": "row limit", "attempts": 3, "date_created": "2026-11-28 01:02:03.000999+00", "date_finished": "2026-11-28 01:02:03.001+00"}'),
 (9, '{"id": 9, "owner": 0, "state": "cancelled", "date_created": "1999-12-31 23:59:59.5+00", "date_finished": "1969-07-20 20:17:40.0005+00"}'),
 (10, '{"id": 10, "state": "queued", "owner_settings": {"app.user_id": "42"}, "date_created": "2026-11-28 01:02:03+00"}'),
 (11, '{"id": 11, "state": "queued", "owner_settings": {"app.user_id": ""}, "date_created": "2026-11-28 01:02:03+00"}'),
 (12, '{"id": 12, "state": "queued", "owner_settings": {"app.user_id": null}, "date_created": "2026-11-28 01:02:03+00"}'),
 (13, '{"id": 13, "state": "queued", "owner_settings": {"app.user_id": 7, "other": "x"}, "date_created": "2026-11-28 01:02:03+00"}'),
 (14, '{"id": 14, "state": "expired", "query_type": "SQL", "query_info": {"sql": "SELECT 1", "nested": {"a": [1, "b", null, true, 1.50]}}, "compression": "gzip", "date_created": "0044-03-15 12:00:00+00", "date_finished": "infinity", "date_expired": "infinity"}'),
 (15, '{"id": 15, "state": "running", "query_info": "scalar", "date_created": "-infinity"}')
) AS v(n, j);

-- Every row, under every progress and user_id_setting, and every export
-- the tests before this one left behind: the same jsonb, to the byte.
SELECT count(*) >= 15 * 8 AS compared,
       count(*) FILTER (WHERE dataexport.record(e, p, s)::text IS DISTINCT FROM record_sql.record(e, p, s)::text) AS different
FROM (SELECT e FROM record_rows UNION ALL SELECT e FROM dataexport.export e) AS r(e),
     (VALUES (NULL::jsonb), ('{"rows": 5, "bytes": 70}')) AS pr(p),
     (VALUES (NULL::text), (''), ('app.user_id'), ('other')) AS us(s);

-- The ones that differ, if any (none expected).
SELECT (r.e).id, p, s, dataexport.record(e, p, s) AS c, record_sql.record(e, p, s) AS sql
FROM record_rows r, (VALUES (NULL::jsonb), ('{"rows": 5}')) AS pr(p),
     (VALUES (NULL::text), ('app.user_id')) AS us(s)
WHERE dataexport.record(e, p, s)::text IS DISTINCT FROM record_sql.record(e, p, s)::text
ORDER BY 1, 2, 3;

-- A few records as the doors show them.
SELECT n, dataexport.record(e, '{"rows": 1}', 'app.user_id') -> 'user' ->> 'username' AS username,
       dataexport.record(e, '{"rows": 1}', 'app.user_id') - 'user' AS record
FROM record_rows WHERE n IN (2, 4, 9, 13, 14) ORDER BY n;

-- The privileges of 0.1 are kept: nobody but the owner may call it.
SET ROLE alice;
SELECT dataexport.record(e, NULL, NULL) FROM record_rows WHERE n = 1;
RESET ROLE;

SELECT lo_unlink(:'alice_lo'), lo_unlink(:'bob_lo');
DROP SCHEMA record_sql CASCADE;
