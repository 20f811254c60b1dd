-- Files that go away outside the worker (DROP OWNED BY, lo_unlink, a large
-- object given to another role) never show as a dangling fileOid, and
-- cleanup unlinks only the files that still belong to their requesters.
-- Read-only transactions are refused with a hint that names the setting.
-- ids in messages below do not depend on what earlier files created
ALTER TABLE dataexport.export ALTER COLUMN id RESTART WITH 4000;

-- dora exports, then DROP OWNED BY dora drops her file.
CREATE ROLE dora LOGIN IN ROLE alice;
INSERT INTO app.project_members VALUES (1, 'dora');
SET ROLE dora;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'id' AS d_id, :'r'::jsonb ->> 'fileOid' AS d_oid \gset
SELECT :'r'::jsonb ->> 'state' AS state, :'r'::jsonb ->> 'status' AS status;
RESET ROLE;
DROP OWNED BY dora;
SELECT count(*) AS dora_file_left FROM pg_largeobject_metadata WHERE oid = :d_oid;
SET ROLE dora;
SELECT r ->> 'state' AS state, r ->> 'status' AS status, r -> 'fileOid' AS file_oid
FROM dataexport_details(:d_id) AS r;
SELECT r ->> 'state' AS state, r -> 'fileOid' AS file_oid FROM dataexport_wait(:d_id, '1 s') AS r;
SELECT r ->> 'state' AS state, r -> 'fileOid' AS file_oid FROM dataexport_list() AS r
WHERE (r ->> 'id')::bigint = :d_id;
SELECT state, status, file_oid FROM dataexport_my_exports WHERE id = :d_id;
RESET ROLE;
-- and once the role itself is gone, a superuser sees the same
DELETE FROM app.project_members WHERE role_name = 'dora';
DROP ROLE dora;
SELECT r ->> 'state' AS state, r -> 'fileOid' AS file_oid, r -> 'user' AS "user"
FROM dataexport_details(:d_id) AS r;

-- alice's file is given to bob: it is bob's now, not the export's.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'id' AS g_id, :'r'::jsonb ->> 'fileOid' AS g_oid \gset
RESET ROLE;
ALTER LARGE OBJECT :g_oid OWNER TO bob;
SET ROLE alice;
SELECT r ->> 'state' AS state, r ->> 'status' AS status, r -> 'fileOid' AS file_oid
FROM dataexport_details(:g_id) AS r;
RESET ROLE;
-- An expired export whose file is still its requester's: unlinked as before.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "level"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'id' AS e_id, :'r'::jsonb ->> 'fileOid' AS e_oid \gset
RESET ROLE;
UPDATE dataexport.export SET date_expired = now() - interval '1 second'
WHERE id IN (:g_id, :e_id);
SELECT dataexport_cleanup() >= 3 AS cleaned;
-- bob's object is left alone; alice's expired file is gone; every record
-- without a file of its own is expired, its file_oid cleared
SELECT pg_get_userbyid(lomowner) AS owner FROM pg_largeobject_metadata WHERE oid = :g_oid;
SELECT count(*) AS expired_file_left FROM pg_largeobject_metadata WHERE oid = :e_oid;
SELECT id - 4000 AS n, state, file_oid FROM dataexport.export
WHERE id IN (:d_id, :g_id, :e_id) ORDER BY id;
SELECT lo_unlink(:g_oid);

-- Read-only transactions: create and cancel say why, and what to change.
SET ROLE alice;
BEGIN READ ONLY;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "2d"}}');
ROLLBACK;
SET default_transaction_read_only = on;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "2d"}}');
SELECT dataexport_cancel(:e_id);
RESET default_transaction_read_only;
-- details and list still work read-only
BEGIN READ ONLY;
SELECT dataexport_details(:e_id) ->> 'state' AS state;
SELECT count(*) > 0 AS listed FROM dataexport_my_exports;
COMMIT;
RESET ROLE;
