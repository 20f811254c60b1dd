-- The SQL interface of SPEC §2: names, signatures, privileges, settings.
SELECT p.oid::regprocedure AS function, pg_get_function_result(p.oid) AS returns
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'dataexport\_%'
ORDER BY 1::text;

-- EXECUTE is not granted to PUBLIC on any of them.
SELECT p.proname, has_function_privilege('carol', p.oid, 'EXECUTE') AS carol_can_execute
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.proname LIKE 'dataexport\_%'
ORDER BY 1;

-- The bookkeeping is private.
SELECT has_table_privilege('alice', 'dataexport.export', 'SELECT') AS alice_reads,
       has_table_privilege('alice', 'dataexport.export', 'INSERT') AS alice_writes,
       has_schema_privilege('alice', 'dataexport', 'USAGE') AS alice_uses_schema;

-- Settings and their defaults (the regress config sets max_workers,
-- naptime and retry_delay).
SELECT name, setting, unit, context FROM pg_settings
WHERE name LIKE 'dataexport.%' ORDER BY name;

-- Ordinary roles cannot raise their own limits.
SET ROLE alice;
SET dataexport.max_rows = 5;
SET dataexport.sql_role = 'alice';
RESET ROLE;

-- Feature off: 0A000.
SET dataexport.enabled = off;
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}');
RESET dataexport.enabled;

-- A role without EXECUTE is refused by PostgreSQL itself.
SET ROLE carol;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}');
SELECT dataexport_details(1);
RESET ROLE;

-- A role that cannot log in cannot have a worker connect as it.
SET ROLE nologin;
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}');
RESET ROLE;

-- Registration is the DBA's.
SET ROLE alice;
SELECT dataexport_register_dataset('mine', 'app.events', '{"project": "project_id", "timestamp": "timestamp"}');
RESET ROLE;
SELECT dataexport_register_dataset('bad', 'app.events', '{"project": "no_such_column", "timestamp": "timestamp"}');
SELECT dataexport_register_dataset('bad', 'app.events', '{"project": "project_id"}');
SELECT dataexport_register_dataset('bad', 'app.events', '{"project": "project_id", "timestamp": "message"}');
SELECT dataexport_register_dataset('bad', 'app.events', '{"project": "project_id", "timestamp": "timestamp", "colour": "x"}');
SELECT dataexport_register_projects('app.projects', 'nope');

-- Registrations are extension configuration: pg_dump keeps them.
SELECT c.relname FROM pg_extension e, unnest(e.extconfig) AS cfg(oid)
JOIN pg_class c ON c.oid = cfg.oid WHERE e.extname = 'dataexport' ORDER BY 1;
