-- Discover at Sentry's level (SPEC §6): functions, equations, search, sort.
-- Every export runs as alice over app.events (she sees projects 1 and 2).
SET ROLE alice;
-- functions
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["level", "count()", "count(message)", "count_unique(tags[browser])", "min(duration)", "max(duration)", "avg(duration)", "sum(duration)"], "query": "", "sort": "level", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- percentiles
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["project_id", "p50(duration)", "p75(duration)", "p95(duration)", "p99(duration)", "percentile(duration, 0.9)"], "query": "", "sort": "project_id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- seen and aliases
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["tags[browser]", "last_seen()", "first_seen()", "count() as events"], "query": "", "sort": ["-events", "tags[browser]"], "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- aggregate equations
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["project_id", "count()", "sum(duration)", "equation|sum(duration) / count()", "equation|count() * 2 + 1", "equation|count() / 0"], "query": "", "sort": "project_id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- row equations
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "duration", "equation|duration * 2", "equation|(duration + 1) / 2"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- equality
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "level"], "query": "level:warning", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- negation
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "level"], "query": "!level:error", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- list
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "environment"], "query": "environment:[prod, staging]", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- negated list
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "environment"], "query": "!environment:[prod]", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- wildcard prefix
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "message:Zero*", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- wildcard suffix
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "message:*zero", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- LIKE characters are literal
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "message:*_*", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- numeric comparison
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "duration"], "query": "duration:>10", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- numeric comparison 2
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "duration"], "query": "duration:<=3.25", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- date comparison
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "timestamp"], "query": "timestamp:>=2026-11-22", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- date comparison 2
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "timestamp"], "query": "timestamp:<2026-11-21T00:00:00", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- relative date
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "timestamp:>-30d", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- has
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "environment"], "query": "has:environment", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- not has
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "environment"], "query": "!has:environment", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- has tag
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "tags[os]"], "query": "!has:os", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- OR
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "tags[os]", "tags[browser]"], "query": "os:Linux OR browser:Edge", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- parentheses
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "level", "tags[os]"], "query": "(os:Linux OR os:macOS) AND level:error", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- quoted value and explicit tag
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "tags[release]"], "query": "tags[release]:\"1.1\" browser:\"Safari\"", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- free text
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "DIVISION", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- quoted phrase
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"], "query": "\"is not a function\"", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- sort descending
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "duration"], "query": "has:duration", "sort": "-duration", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- sort by two keys
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["environment", "id"], "query": "", "sort": ["environment", "-id"], "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- environment filter
CALL run_export('{"query_type": "Discover", "query_info": {"environment": ["staging"], "field": ["id", "environment"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- role names reach the registered columns, whatever they are called
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "samples", "field": ["project", "id", "timestamp"], "query": "project:2", "sort": "-timestamp", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["group", "count()"], "query": "group:>100", "sort": "group", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- errors name the problem
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["count(nosuch)"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["frobnicate(id)"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["count(id, message)"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["percentile(duration, 2)"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["avg(message)"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id", "equation|id +"], "query": ""}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "(level:error"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "message:\"unterminated"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "OR level:error"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "duration:>abc"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "duration:abc"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "environment:[]"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "sort": "count()"}}');
RESET ROLE;
