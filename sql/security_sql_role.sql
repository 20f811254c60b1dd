-- Run-time authorization: a role that leaves dataexport.sql_role after
-- creating an SQL export gets a failed export, not a run.
CREATE ROLE security_role_exporters;
GRANT security_role_exporters TO alice;
ALTER ROLE alice SET dataexport.sql_role = 'security_role_exporters';
SET dataexport.sql_role = 'security_role_exporters';
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 2 AS two"}}') ->> 'id' AS g_id \gset
RESET ROLE;
REVOKE security_role_exporters FROM alice;
COMMIT;
SELECT r ->> 'state' AS state, r ->> 'error' AS error, r ->> 'errorDetail' AS detail,
       r -> 'fileOid' AS file_oid
FROM dataexport_wait(:g_id, '60 s') AS r;
-- granted again, the same request runs
GRANT security_role_exporters TO alice;
SET ROLE alice;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT 2 AS two"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
ALTER ROLE alice RESET dataexport.sql_role;
RESET dataexport.sql_role;
