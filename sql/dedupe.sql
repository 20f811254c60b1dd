-- Dedupe (SPEC §7): an identical unfinished request of the same owner
-- returns the same export with "created": false.
-- ids in messages below do not depend on what earlier files created
ALTER TABLE dataexport.export ALTER COLUMN id RESTART WITH 100;
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}}') AS first \gset
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}}') AS second \gset
SELECT (:'first'::jsonb ->> 'id') = (:'second'::jsonb ->> 'id') AS same_export,
       :'first'::jsonb -> 'created' AS first_created,
       :'second'::jsonb -> 'created' AS second_created;
-- A different format, limit or query is a different export.
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}, "format": "jsonl"}') -> 'created' AS other_format;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}, "limit": 1}') -> 'created' AS other_limit;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:error", "statsPeriod": "30d"}}') -> 'created' AS other_query;
COMMIT;

-- Once the first one has finished, the same request makes a new export.
SELECT dataexport_wait((:'first'::jsonb ->> 'id')::bigint, '60 s') ->> 'state' AS first_state;
SELECT (r ->> 'id') <> (:'first'::jsonb ->> 'id') AS new_export, r -> 'created' AS created
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}}') AS r;
RESET ROLE;

-- Another owner asking the same thing gets an export of their own.
SET ROLE bob;
SELECT r -> 'created' AS created, r #> '{query,info,project}' AS projects
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:fatal", "statsPeriod": "30d"}}') AS r;
RESET ROLE;

-- A create that rolls back leaves nothing behind and never runs.
SELECT count(*) AS before FROM dataexport.export \gset
SET ROLE alice;
BEGIN;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["message"], "query": "", "statsPeriod": "1d"}}') ->> 'state' AS state;
ROLLBACK;
RESET ROLE;
SELECT count(*) - :before AS added FROM dataexport.export;

-- Forwarded settings are part of the owner's identity (applications that
-- share one role and tell their users apart by a setting).
ALTER SYSTEM SET dataexport.forward_settings = 'app.user_id';
ALTER SYSTEM SET dataexport.user_id_setting = 'app.user_id';
SELECT pg_reload_conf();
SELECT pg_sleep(0.2);
SET ROLE alice;
SET app.user_id = 'u-1';
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "2d"}}') AS u1 \gset
SELECT :'u1'::jsonb -> 'user' AS user_of_u1;
SET app.user_id = 'u-2';
SELECT r -> 'created' AS created_for_u2, (r ->> 'id') <> (:'u1'::jsonb ->> 'id') AS different
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "2d"}}') AS r;
-- u-2 cannot see u-1's export: the same error as a missing id.
SELECT dataexport_details((:'u1'::jsonb ->> 'id')::bigint);
SET app.user_id = 'u-1';
SELECT dataexport_wait((:'u1'::jsonb ->> 'id')::bigint, '60 s') ->> 'state' AS u1_state;
RESET app.user_id;
RESET ROLE;
ALTER SYSTEM RESET dataexport.forward_settings;
ALTER SYSTEM RESET dataexport.user_id_setting;
SELECT pg_reload_conf();
