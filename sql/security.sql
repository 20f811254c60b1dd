-- SPEC §4: exports run as the requester; files and records are private.
-- ids in messages below do not depend on what earlier files created
ALTER TABLE dataexport.export ALTER COLUMN id RESTART WITH 1000;
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "project_id", "message"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
\set a :r
SELECT :'a'::jsonb ->> 'fileOid' AS a_oid, :'a'::jsonb ->> 'id' AS a_id \gset
-- alice sees her projects only (1 and 2), as row-level security says
SELECT :'a'::jsonb #> '{query,info,project}' AS projects;
SELECT show_file(:a_oid);
RESET ROLE;

SET ROLE bob;
-- bob's export has only project 3: RLS applies inside the worker
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "project_id", "message"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- asking for alice's project explicitly is refused
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [1]}}');
-- alice's export: the same error as an id that does not exist
SELECT dataexport_details(:a_id);
SELECT dataexport_details(999999);
SELECT dataexport_cancel(:a_id);
SELECT dataexport_wait(:a_id, '1 s');
-- and her file is not bob's to read
SELECT try_lo_get(:a_oid);
-- bob's list does not show it
SELECT count(*) FILTER (WHERE id = :a_id) AS alices_in_bobs_list FROM dataexport_my_exports;
RESET ROLE;

-- The file belongs to alice.
SELECT pg_get_userbyid(lomowner) AS file_owner FROM pg_largeobject_metadata WHERE oid = :a_oid;

-- When alice loses access to a project her export covers, details refuses.
DELETE FROM app.project_members WHERE project_id = 2 AND role_name = 'alice';
SET ROLE alice;
SELECT dataexport_details(:a_id);
RESET ROLE;
INSERT INTO app.project_members VALUES (2, 'alice');
SET ROLE alice;
SELECT dataexport_details(:a_id) ->> 'status' AS status_again;

-- alice's own view of her exports.
SELECT count(*) > 0 AS has_exports, bool_and(record -> 'user' ->> 'username' = 'alice') AS all_hers
FROM dataexport_my_exports;

-- Payload text never becomes SQL: each attempt is either a validation error
-- or an export of the literal value.
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id\"; DROP TABLE app.events; --"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "sort": "id; DROP TABLE app.events"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "dataset": "x''; DROP TABLE app.events; --"}}');
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["tags[x''); DROP TABLE app.events; --]"],
    "query": "message:\"''; DROP TABLE app.events; --\"", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT r ->> 'state' AS state, r -> 'rows' AS rows
FROM (SELECT :'r'::jsonb AS r) AS s;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"],
    "query": "browser:\"Chrome'' OR ''1''=''1\"", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
SELECT count(*) AS events_still_there FROM app.events;
