-- Payload validation: Sentry's messages verbatim, SQLSTATE 22023 (42501 for
-- projects), nothing written.
SET ROLE alice;
SELECT try_create('[]');
SELECT try_create('{}');
SELECT try_create('{"query_type": 7, "query_info": {}}');
SELECT try_create('{"query_type": "X", "query_info": {}}');
SELECT try_create('{"query_type": "Discover"}');
SELECT try_create('{"query_type": "Discover", "query_info": "x"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": [], "query": ""}}');
SELECT try_create(jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('query', '', 'field', (SELECT jsonb_agg('id'::text) FROM generate_series(1, 21)))));
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"]}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "shrug"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "shrug", "end": "2026-11-01"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "2026-11-01"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriodStart": "7d"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "2026-11-02", "end": "2026-11-01"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "foo:"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["min()"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "dataset": "nosuch"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["no_such_column"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "sort": "-nosuch"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [3]}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [1, 999]}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "environment": "nowhere"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "environment": "nowhere"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "limit": "many"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "limit": 0}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "format": "xml"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "compression": "zip"}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "organization": 2}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": "abc", "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [3], "group": 300, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 999, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "nosuchtag"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 101, "key": "user"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}, "environment": "nowhere"}');
-- SQL exports are gated (dataexport.sql_role is empty: superusers only).
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 1"}}');
RESET ROLE;
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 1; SELECT 2"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "DELETE FROM app.events"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "WITH d AS (DELETE FROM app.events RETURNING *) SELECT * FROM d"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "SELECT * INTO app.copy FROM app.events"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "SELECT * FROM app.events FOR UPDATE"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": "SELECT nosuch FROM app.events"}}');
SELECT try_create('{"query_type": "SQL", "query_info": {"sql": ""}}');

-- None of that wrote anything.
SELECT count(*) AS exports FROM dataexport.export;

-- Normalization: field wrapped, equation split, statsPeriod made concrete,
-- default projects resolved as the caller sees them, unknown keys kept.
SET ROLE alice;
SELECT (r -> 'query' -> 'info') - 'start' - 'end' AS info,
       (r #>> '{query,info,end}')::timestamptz - (r #>> '{query,info,start}')::timestamptz AS span,
       r ->> 'status' AS status, r ->> 'state' AS state, r -> 'created' AS created,
       r ->> 'fileName' AS file_name, r -> 'user' ->> 'username' AS username
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": "id", "query": "", "statsPeriod": "14d", "x-custom": [1]}}') AS r;
SELECT (r #> '{query,info}') - 'start' - 'end' AS info,
       (r #>> '{query,info,end}')::timestamptz - (r #>> '{query,info,start}')::timestamptz AS span
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id", "equation|count() / 2", "count()"], "query": "", "project": ["2"]}, "format": "jsonl"}') AS r;
RESET ROLE;
