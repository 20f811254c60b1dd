-- One access rule, every door (SPEC §4.6): details, wait, cancel, list, the
-- my_exports view and progress all refuse or hide an export whose projects
-- the caller no longer all sees, and all compare the forwarded identity.
-- ids in messages below do not depend on what earlier files created
ALTER TABLE dataexport.export ALTER COLUMN id RESTART WITH 3000;
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'id' AS a_id, :'r'::jsonb ->> 'fileOid' AS a_oid \gset
SELECT :'r'::jsonb ->> 'state' AS state, :'r'::jsonb #> '{query,info,project}' AS projects;
RESET ROLE;

-- alice loses project 2.
DELETE FROM app.project_members WHERE project_id = 2 AND role_name = 'alice';
SET ROLE alice;
-- the single-export doors refuse exactly as details does
SELECT dataexport_details(:a_id);
SELECT dataexport_wait(:a_id, '1 s');
SELECT dataexport_cancel(:a_id);
-- list and my_exports show the record without its file
SELECT r ->> 'state' AS state, r -> 'fileOid' AS file_oid, r -> 'checksum' AS checksum,
       r -> 'rows' AS rows, r -> 'fileHidden' AS file_hidden
FROM dataexport_list() AS r WHERE (r ->> 'id')::bigint = :a_id;
SELECT state, file_oid, rows, file_hidden FROM dataexport_my_exports WHERE id = :a_id;
RESET ROLE;

-- Sets of projects are compared, not their counts: with an operator of her
-- own that makes every project "match", alice sees {1, 3} where the export
-- covers {1, 2}; two visible for two requested is still not access.
INSERT INTO app.project_members VALUES (3, 'alice');
CREATE SCHEMA doors_evil AUTHORIZATION alice;
SET ROLE alice;
CREATE FUNCTION doors_evil.always(bigint, bigint) RETURNS boolean
    LANGUAGE sql IMMUTABLE AS 'SELECT true';
CREATE OPERATOR doors_evil.= (leftarg = bigint, rightarg = bigint, function = doors_evil.always);
SET search_path = doors_evil, pg_catalog, public;
SELECT dataexport_details(:a_id);
SELECT dataexport_wait(:a_id, '1 s');
SELECT dataexport_cancel(:a_id);
SELECT r -> 'fileOid' AS file_oid, r -> 'fileHidden' AS file_hidden
FROM dataexport_list() AS r WHERE (r ->> 'id')::bigint = :a_id;
RESET search_path;
RESET ROLE;
DROP SCHEMA doors_evil CASCADE;
DELETE FROM app.project_members WHERE project_id = 3 AND role_name = 'alice';

-- Access back: every door shows the file again.
INSERT INTO app.project_members VALUES (2, 'alice');
SET ROLE alice;
SELECT dataexport_details(:a_id) ->> 'fileOid' = :'a_oid' AS details_file;
SELECT dataexport_wait(:a_id, '1 s') ->> 'fileOid' = :'a_oid' AS wait_file;
SELECT dataexport_cancel(:a_id) ->> 'fileOid' = :'a_oid' AS cancel_file;
SELECT file_oid = :a_oid AS view_file, file_hidden FROM dataexport_my_exports WHERE id = :a_id;
RESET ROLE;

-- Forwarded identity: two application users through one role see only
-- their own running export in progress (and list, details).
CREATE FUNCTION app.slow_rows() RETURNS SETOF bigint
    LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..600 LOOP
        PERFORM pg_sleep(0.1);
        RETURN NEXT i;
    END LOOP;
END
$$;
CREATE VIEW app.slow AS
    SELECT 1::bigint AS project_id, '2026-11-20'::timestamptz + n * interval '1 s' AS "timestamp",
           n AS id
    FROM app.slow_rows() AS n;
GRANT SELECT ON app.slow TO alice;
SELECT dataexport_register_dataset('slow', 'app.slow', '{"project": "project_id", "timestamp": "timestamp"}');
-- polls (up to 60 s) until the export is running in a worker
CREATE FUNCTION doors_wait_running(export_id bigint) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..600 LOOP
        IF EXISTS (SELECT 1 FROM dataexport_progress() p
                   WHERE p.id = export_id AND p.pid IS NOT NULL) THEN
            RETURN true;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
    RETURN false;
END
$$;
SET dataexport.forward_settings = 'app.user_id';
SET ROLE alice;
SET app.user_id = 'u1';
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "dataset": "slow", "start": "2026-11-01", "end": "2026-12-01", "project": [1]}}') ->> 'id' AS s_id \gset
RESET ROLE;
SELECT doors_wait_running(:s_id) AS running;
SET ROLE alice;
SET app.user_id = 'u2';
SELECT count(*) AS u2_progress FROM dataexport_progress() WHERE id = :s_id;
SELECT count(*) AS u2_running FROM dataexport_running WHERE id = :s_id;
SELECT count(*) AS u2_list FROM dataexport_my_exports WHERE id = :s_id;
SELECT dataexport_details(:s_id);
SET app.user_id = 'u1';
SELECT count(*) AS u1_progress FROM dataexport_progress() WHERE id = :s_id;
-- and progress, too, leaves out an export whose project u1 no longer sees
RESET ROLE;
DELETE FROM app.project_members WHERE project_id = 1 AND role_name = 'alice';
SET ROLE alice;
SELECT count(*) AS u1_progress_without_project FROM dataexport_progress() WHERE id = :s_id;
RESET ROLE;
INSERT INTO app.project_members VALUES (1, 'alice');
SET ROLE alice;
SELECT dataexport_cancel(:s_id) ->> 'state' AS cancelled;
SELECT dataexport_wait(:s_id, '60 s') ->> 'state' AS finished;
RESET app.user_id;
RESET ROLE;
RESET dataexport.forward_settings;
