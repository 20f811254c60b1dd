-- An SQL export runs what was validated, and nothing more: create and the
-- worker parse the text under the same settings, and the worker checks again
-- that it is exactly one read-only query.
CREATE ROLE security_parse_exporters;
GRANT security_parse_exporters TO alice;
ALTER ROLE alice SET dataexport.sql_role = 'security_parse_exporters';
SET dataexport.sql_role = 'security_parse_exporters';
SET ROLE alice;

-- With standard_conforming_strings off, \' does not end the literal, so this
-- text is one statement that selects a string.  Under the worker's settings
-- it would be two, the second one never validated.
SET standard_conforming_strings = off;
SET escape_string_warning = off;
SELECT try_create($q${"query_type": "SQL", "query_info": {"sql": "SELECT 'a\\'; SELECT current_user AS hidden, $$second statement ran$$ AS b; --' AS v"}}$q$);
-- The worker parses under its own role's settings: alice's default does not
-- change how the text reads either.
RESET standard_conforming_strings;
RESET escape_string_warning;
RESET ROLE;
ALTER ROLE alice SET standard_conforming_strings = off;
ALTER ROLE alice SET escape_string_warning = off;
SET ROLE alice;
-- one statement with standard strings, two with backslash escapes
CALL run_export($q${"query_type": "SQL", "query_info": {"sql": "SELECT 'a\\' AS x, $$'; SELECT 'hidden' AS y; --$$ AS z"}}$q$) \gset
SELECT r ->> 'state' AS state, r -> 'rows' AS rows, r ->> 'errorDetail' AS detail
FROM (SELECT :'r'::jsonb AS r) AS s;
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
ALTER ROLE alice RESET standard_conforming_strings;
ALTER ROLE alice RESET escape_string_warning;

-- The worker checks the stored text again: one changed behind create's back
-- (here by a superuser, before the export starts) is not run.
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 1 AS one"}}') ->> 'id' AS t_id \gset
RESET ROLE;
UPDATE dataexport.export SET query_info = jsonb_set(query_info, '{sql}', '"SELECT 1 AS one; SELECT 2 AS two"')
WHERE id = :t_id;
COMMIT;
SELECT r ->> 'state' AS state, r ->> 'errorDetail' AS detail
FROM dataexport_wait(:t_id, '60 s') AS r;

ALTER ROLE alice RESET dataexport.sql_role;
RESET dataexport.sql_role;
