-- The caller's search_path does not reach the SQL that the extension builds:
-- operators that shadow pg_catalog's (= for bigint and text, ->> and ? for
-- jsonb) change neither the create-time checks nor an export's rows.
CREATE SCHEMA evil AUTHORIZATION alice;
-- Helpers that use none of the shadowed operators themselves (#>> for ->>).
CREATE FUNCTION sp_try_create(payload jsonb) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN dataexport_create(payload) #>> '{state}';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END
$$;
CREATE PROCEDURE sp_run_export(payload jsonb, INOUT r jsonb DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    r := dataexport_create(payload);
    COMMIT;
    r := dataexport_wait((r #>> '{id}')::bigint, '60 s');
END
$$;
GRANT EXECUTE ON FUNCTION sp_try_create(jsonb) TO alice;
GRANT EXECUTE ON PROCEDURE sp_run_export(jsonb, jsonb) TO alice;
SET ROLE alice;
CREATE FUNCTION evil.always(bigint, bigint) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = evil.always);
CREATE FUNCTION evil.always(text, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.always);
CREATE FUNCTION evil.always(jsonb, text) RETURNS boolean LANGUAGE sql AS 'SELECT true';
CREATE OPERATOR evil.? (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.always);
CREATE FUNCTION evil.field(jsonb, text) RETURNS text LANGUAGE sql AS 'SELECT ''evil''::text';
CREATE OPERATOR evil.->> (LEFTARG = jsonb, RIGHTARG = text, FUNCTION = evil.field);
-- evil comes before pg_catalog, in this session and in alice's workers
SET search_path = evil, pg_catalog, public;
ALTER ROLE alice SET search_path = evil, pg_catalog, public;
-- the operators do shadow pg_catalog's here
SELECT 1::bigint = 3::bigint AS bigint_eq, 'a'::text = 'b'::text AS text_eq,
       '{}'::jsonb ? 'k' AS has_key, '{"k": "v"}'::jsonb ->> 'k' AS field;

-- The project check: project 3 is bob's (alice sees 1 and 2).
SELECT sp_try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [1, 3]}}');
-- Environments that do not exist.
SELECT sp_try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "environment": ["nosuch1", "nosuch2"]}}');
-- Issues-by-Tag: an issue and a key that do not exist.
SELECT sp_try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": 1, "group": 999, "key": "browser"}}');
SELECT sp_try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": 1, "group": 100, "key": "nosuchkey"}}');

-- An export's rows: the search compares text with =.
CALL sp_run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"],
    "query": "message:\"no such message\"", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT r #>> '{state}' AS state, r #> '{rows}' AS rows FROM (SELECT :'r'::jsonb AS r) AS s;
-- ... and tag values read with ->>, filtered with ?.
CALL sp_run_export('{"query_type": "Discover", "query_info": {"field": ["id", "tags[browser]"],
    "query": "has:os", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT show_file((:'r'::jsonb #>> '{fileOid}')::oid);
SELECT (:'r'::jsonb #>> '{id}') AS tags_id, (:'r'::jsonb #> '{query,info,project}') AS tags_projects \gset
SELECT :'tags_projects' AS projects;
CALL sp_run_export('{"query_type": "Issues-by-Tag", "query_info": {"project": 1, "group": 100, "key": "browser"}}') \gset
SELECT show_file((:'r'::jsonb #>> '{fileOid}')::oid);
CALL sp_run_export('{"query_type": "Issues-by-Tag", "query_info": {"project": 1, "group": 100, "key": "user"}}') \gset
SELECT show_file((:'r'::jsonb #>> '{fileOid}')::oid);

-- Details re-checks the projects: still allowed, with the operators in place.
SELECT dataexport_details((:'r'::jsonb #>> '{id}')::bigint) #>> '{status}' AS details_status;
-- alice loses project 2 and gains project 3: as many projects as before,
-- but not the same ones, so her export of projects 1 and 2 is refused.
RESET ROLE;
DELETE FROM app.project_members WHERE project_id = 2 AND role_name = 'alice';
INSERT INTO app.project_members VALUES (3, 'alice');
SET ROLE alice;
SET search_path = evil, pg_catalog, public;
SELECT dataexport_details(:tags_id);
RESET ROLE;
DELETE FROM app.project_members WHERE project_id = 3 AND role_name = 'alice';
INSERT INTO app.project_members VALUES (2, 'alice');
RESET search_path;
ALTER ROLE alice RESET search_path;
DROP SCHEMA evil CASCADE;
DROP FUNCTION sp_try_create(jsonb);
DROP PROCEDURE sp_run_export(jsonb, jsonb);
