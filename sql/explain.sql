-- dataexport_explain (issue 10): a dry run that validates exactly as create,
-- plans the worker's query as the caller (never executing it) and writes
-- nothing.
CREATE FUNCTION try_explain(payload jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN CASE WHEN dataexport_explain(payload) IS NOT NULL THEN 'ok' END;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || COALESCE(' (' || NULLIF(detail, '') || ')', '');
END
$$;
GRANT EXECUTE ON FUNCTION try_explain(jsonb) TO PUBLIC;

-- Nothing that follows may create an export, draw an id or notify.
SELECT count(*) AS exports_before FROM dataexport.export \gset
SELECT last_value AS seq_before, is_called AS seq_called_before FROM dataexport.export_id_seq \gset
LISTEN dataexport;

-- The same access as create: revoked from PUBLIC, granted with create.
SELECT has_function_privilege('carol', 'dataexport_explain(jsonb)', 'EXECUTE') AS carol_explains,
       has_function_privilege('alice', 'dataexport_explain(jsonb)', 'EXECUTE') AS alice_explains;
SET ROLE carol;
SELECT dataexport_explain('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}');
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}');
RESET ROLE;

-- The shape of the result, as alice (volatile numbers checked, not shown).
SET ROLE alice;
SELECT dataexport_explain('{"query_type": "Discover",
    "query_info": {"field": ["id", "message"], "query": "", "project": [1],
                   "start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00", "sort": "id"}}') AS e \gset
RESET ROLE;
SELECT k FROM jsonb_object_keys(:'e'::jsonb) AS k ORDER BY k;
SELECT e -> 'query' ->> 'sql' AS sql, e -> 'query' -> 'params' AS params,
       regexp_replace(e ->> 'fileName', '_\d{4}-[A-Za-z]+-\d{2}_', '_YYYY-Month-DD_') AS file_name,
       e -> 'rowLimit' AS row_limit, e -> 'maxBytes' AS max_bytes,
       e -> 'wouldTruncate' AS would_truncate, e -> 'truncatedReason' AS reason
FROM (SELECT :'e'::jsonb AS e) AS x;
-- EXPLAIN (FORMAT JSON) without ANALYZE: one plan, the worker's LIMIT on
-- top, planner fields only; the row-level security policy of app.events
-- (a subplan over app.project_members) is in alice's plan.
SELECT jsonb_typeof(e -> 'plan') AS plan_type, jsonb_array_length(e -> 'plan') AS plans,
       e -> 'plan' -> 0 -> 'Plan' ->> 'Node Type' AS top_node,
       e -> 'plan' -> 0 ? 'Execution Time' AS analyzed,
       e -> 'plan' -> 0 -> 'Plan' ? 'Actual Rows' AS actual_rows,
       (e -> 'plan')::text LIKE '%project_members%' AS rls_applied,
       (e ->> 'plannedRows')::bigint = (e -> 'plan' -> 0 -> 'Plan' ->> 'Plan Rows')::bigint AS planned_rows_from_plan,
       (e ->> 'estimatedRows')::bigint BETWEEN 1 AND 10000000 AS estimated_rows_sane,
       (e ->> 'estimatedWidth')::int = (e -> 'plan' -> 0 -> 'Plan' ->> 'Plan Width')::int AS width_from_plan,
       -- header "id,message" CRLF (12 bytes), then per row: width + one comma + CRLF
       (e ->> 'estimatedBytes')::bigint
         = 12 + (e ->> 'estimatedRows')::bigint * ((e ->> 'estimatedWidth')::bigint + 3) AS bytes_formula
FROM (SELECT :'e'::jsonb AS e) AS x;
-- As the superuser (who bypasses row-level security) the policy is not in the plan.
SELECT (dataexport_explain('{"query_type": "Discover",
    "query_info": {"field": ["id", "message"], "query": "", "project": [1],
                   "start": "2026-11-01T00:00:00", "end": "2026-12-01T00:00:00", "sort": "id"}}')
        -> 'plan')::text LIKE '%project_members%' AS rls_applied_for_superuser;

-- Every validation error of create, from explain, with the same SQLSTATE,
-- message and detail (the cases of validation.sql).
CREATE TABLE explain_cases (n serial, as_superuser boolean NOT NULL DEFAULT false, payload jsonb);
GRANT SELECT ON explain_cases TO alice;
INSERT INTO explain_cases (payload) VALUES
 ('[]'), ('{}'),
 ('{"query_type": 7, "query_info": {}}'),
 ('{"query_type": "X", "query_info": {}}'),
 ('{"query_type": "Discover"}'),
 ('{"query_type": "Discover", "query_info": "x"}'),
 ('{"query_type": "Discover", "query_info": {"field": [], "query": ""}}'),
 (jsonb_build_object('query_type', 'Discover', 'query_info',
    jsonb_build_object('query', '', 'field', (SELECT jsonb_agg('id'::text) FROM generate_series(1, 21))))),
 ('{"query_type": "Discover", "query_info": {"field": ["id"]}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriod": "shrug"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "shrug", "end": "2026-11-01"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "2026-11-01"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriodStart": "7d"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "2026-11-02", "end": "2026-11-01"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "foo:"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["min()"], "query": ""}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "dataset": "nosuch"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["no_such_column"], "query": ""}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "sort": "-nosuch"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [3]}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [1, 999]}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "environment": "nowhere"}}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "environment": "nowhere"}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "limit": "many"}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "limit": 0}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "format": "xml"}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "compression": "zip"}'),
 ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}, "organization": 2}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": "abc", "key": "browser"}}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [3], "group": 300, "key": "browser"}}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 999, "key": "browser"}}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "nosuchtag"}}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 101, "key": "user"}}'),
 ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}, "environment": "nowhere"}'),
 ('{"query_type": "SQL", "query_info": {"sql": "SELECT 1"}}');
INSERT INTO explain_cases (as_superuser, payload) VALUES
 (true, '{"query_type": "SQL", "query_info": {"sql": "SELECT 1; SELECT 2"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": "DELETE FROM app.events"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": "WITH d AS (DELETE FROM app.events RETURNING *) SELECT * FROM d"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": "SELECT * INTO app.copy FROM app.events"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": "SELECT * FROM app.events FOR UPDATE"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": "SELECT nosuch FROM app.events"}}'),
 (true, '{"query_type": "SQL", "query_info": {"sql": ""}}');
SET ROLE alice;
SELECT n, try_explain(payload) AS explain, try_explain(payload) = try_create(payload) AS same_as_create
FROM explain_cases WHERE NOT as_superuser ORDER BY n;
RESET ROLE;
SELECT n, try_explain(payload) AS explain, try_explain(payload) = try_create(payload) AS same_as_create
FROM explain_cases WHERE as_superuser ORDER BY n;

-- Permission checks as another tenant, and as a role that lost access.
SET ROLE bob;
SELECT try_explain(p) AS explain, try_explain(p) = try_create(p) AS same_as_create
FROM (VALUES ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [1]}}'::jsonb),
             ('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}}')) AS v(p);
RESET ROLE;
BEGIN;
DELETE FROM app.project_members WHERE project_id = 2 AND role_name = 'alice';
SET LOCAL ROLE alice;
SELECT try_explain(p) AS explain, try_explain(p) = try_create(p) AS same_as_create
FROM (VALUES ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "project": [2]}}'::jsonb)) AS v(p);
ROLLBACK;
-- A role that cannot log in, granted both: create's error.
GRANT EXECUTE ON FUNCTION dataexport_explain(jsonb) TO nologin;
SET ROLE nologin;
SELECT try_explain(p) AS explain, try_explain(p) = try_create(p) AS same_as_create
FROM (VALUES ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}'::jsonb)) AS v(p);
RESET ROLE;
-- The feature switched off: create's 0A000.
SET dataexport.enabled = off;
SET ROLE alice;
SELECT try_explain(p) AS explain, try_explain(p) = try_create(p) AS same_as_create
FROM (VALUES ('{"query_type": "Discover", "query_info": {"field": ["id"], "query": ""}}'::jsonb)) AS v(p);
RESET ROLE;
RESET dataexport.enabled;

-- SQL exports: the statement is planned, never run.  A volatile function
-- is not called (the sequence does not move); a large-object write is
-- refused as the worker refuses it; the data-modifying CTE was refused above.
CREATE SEQUENCE explain_probe;
SELECT (e ->> 'estimatedRows')::bigint AS estimated_rows, e -> 'query' AS query,
       e -> 'plan' -> 0 -> 'Plan' ->> 'Node Type' AS top_node
FROM dataexport_explain('{"query_type": "SQL", "query_info": {"sql": "SELECT nextval(''explain_probe'') AS n FROM generate_series(1, 500)"}}') AS e;
SELECT last_value, is_called FROM explain_probe;
SELECT try_explain('{"query_type": "SQL", "query_info": {"sql": "SELECT lo_unlink(0)"}}') AS lo_write;

-- Limits: the row limit (the planner's rows above it) and the file size
-- limit (rows x (width + record overhead) + header above it).
SELECT e -> 'plannedRows' AS planned, e -> 'estimatedRows' AS estimated, e -> 'rowLimit' AS row_limit,
       e -> 'wouldTruncate' AS would_truncate, e ->> 'truncatedReason' AS reason
FROM dataexport_explain('{"query_type": "SQL", "query_info": {"sql": "SELECT g FROM generate_series(1, 100) AS g"}, "limit": 10}') AS e;
SET dataexport.max_file_size = '1kB';
-- CSV: "g" CRLF, then 1000 x (4 + CRLF); JSONL: 1000 x (4 + {"g":}\n)
SELECT e -> 'estimatedBytes' AS bytes, e -> 'maxBytes' AS max_bytes,
       e -> 'wouldTruncate' AS would_truncate, e ->> 'truncatedReason' AS reason,
       regexp_replace(e ->> 'fileName', '_\d{4}-[A-Za-z]+-\d{2}_', '_YYYY-Month-DD_') AS file_name
FROM dataexport_explain('{"query_type": "SQL", "query_info": {"sql": "SELECT g FROM generate_series(1, 1000) AS g"}}') AS e;
SELECT e -> 'estimatedBytes' AS bytes, e -> 'wouldTruncate' AS would_truncate,
       regexp_replace(e ->> 'fileName', '_\d{4}-[A-Za-z]+-\d{2}_', '_YYYY-Month-DD_') AS file_name
FROM dataexport_explain('{"query_type": "SQL", "query_info": {"sql": "SELECT g FROM generate_series(1, 1000) AS g"}, "format": "jsonl", "compression": "gzip"}') AS e;
RESET dataexport.max_file_size;

-- A read-only transaction is enough (nothing is written), and no advisory
-- lock (the queue cap's) is taken.
BEGIN READ ONLY;
SET LOCAL ROLE alice;
SELECT dataexport_explain('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": 100, "key": "browser"}}')
       -> 'plan' -> 0 -> 'Plan' ->> 'Node Type' AS issues_top_node;
RESET ROLE;
SELECT count(*) AS advisory_locks FROM pg_locks
WHERE locktype = 'advisory' AND pid = pg_backend_pid();
COMMIT;

-- Nothing was created, no id drawn, nothing notified (psql would print an
-- "Asynchronous notification" line after the statements above).
SELECT count(*) = :exports_before AS no_export_created FROM dataexport.export;
SELECT last_value = :seq_before AND is_called = :'seq_called_before'::boolean AS no_id_drawn
FROM dataexport.export_id_seq;
UNLISTEN dataexport;
DROP TABLE explain_cases;
DROP SEQUENCE explain_probe;
