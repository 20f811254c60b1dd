-- Expiry and cleanup (SPEC §5, §7).
-- ids in messages below do not depend on what earlier files created
ALTER TABLE dataexport.export ALTER COLUMN id RESTART WITH 2000;
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
\set x :r
SELECT :'x'::jsonb ->> 'fileOid' AS x_oid, :'x'::jsonb ->> 'id' AS x_id \gset
-- 28 days by default
SELECT (:'x'::jsonb ->> 'dateExpired')::timestamptz - (:'x'::jsonb ->> 'dateFinished')::timestamptz AS lifetime;
RESET ROLE;

-- Nothing has expired yet.
SELECT dataexport_cleanup() AS cleaned_before;

-- Once expired: status EXPIRED at once, file removed by cleanup.
UPDATE dataexport.export SET date_expired = now() - interval '1 second' WHERE id = :x_id;
SET ROLE alice;
SELECT r ->> 'status' AS status, r ->> 'state' AS state, r -> 'fileOid' IS NOT NULL AS has_file
FROM dataexport_details(:x_id) AS r;
RESET ROLE;
SELECT dataexport_cleanup() AS cleaned;
SELECT dataexport_cleanup() AS cleaned_again;
SET ROLE alice;
SELECT r ->> 'status' AS status, r ->> 'state' AS state, r -> 'fileOid' AS file_oid,
       r ->> 'checksum' IS NOT NULL AS checksum_kept
FROM dataexport_details(:x_id) AS r;
RESET ROLE;
SELECT count(*) AS large_object_left FROM pg_largeobject_metadata WHERE oid = :x_oid;

-- Cancel: a queued export is cancelled at once.
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["message"], "query": "", "statsPeriod": "3d"}}') AS q \gset
SELECT r ->> 'state' AS state, r -> 'fileOid' AS file_oid FROM dataexport_cancel((:'q'::jsonb ->> 'id')::bigint) AS r;
COMMIT;
SELECT dataexport_wait((:'q'::jsonb ->> 'id')::bigint, '2 s') ->> 'state' AS still;
-- cancelling a finished export changes nothing
SELECT dataexport_cancel(:x_id) ->> 'state' AS finished_stays;
RESET ROLE;

-- Waiting where the export cannot finish is refused rather than timed out.
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["level"], "query": "", "statsPeriod": "4d"}}') ->> 'id' AS w \gset
SELECT dataexport_wait(:w, '10 s');
ROLLBACK;
BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT dataexport_wait(:x_id, '10 s');
ROLLBACK;
RESET ROLE;

-- No export is left queued or running at the end of the suite.
SELECT count(*) FILTER (WHERE state IN ('queued', 'running') AND
       dataexport_wait(id, '60 s') ->> 'state' IN ('queued', 'running')) AS unfinished
FROM dataexport.export;
