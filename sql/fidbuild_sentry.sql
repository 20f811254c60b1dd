-- Sentry fidelity of what Discover and Issues-by-Tag exports write (issue 9):
-- project slugs, issue short ids, numbers as Python writes them, NULLs
-- sorted last, the user tag's value.  Its own dataset (fid.events); the
-- projects registration gets a slug column here and loses it at the end.
CREATE SCHEMA fid;
GRANT USAGE ON SCHEMA fid TO alice, bob;
CREATE TABLE fid.events (
    id          bigint PRIMARY KEY,
    project_id  bigint NOT NULL,
    group_id    bigint,
    short_id    bigint,
    "timestamp" timestamptz NOT NULL,
    n           integer,
    x           double precision,
    tags        jsonb NOT NULL DEFAULT '{}',
    "user"      jsonb
);
INSERT INTO fid.events VALUES
 (1, 1, 100, 26, '2026-11-20 10:00+00', 1, 0.5, '{"k": "a"}',
  '{"id": "u1", "username": "ann", "email": "ann@example.com", "ip_address": "10.0.0.1"}'),
 (2, 1, 100, 26, '2026-11-20 11:00+00', 2, NULL, '{"k": "b"}',
  '{"username": "ben", "email": "ben@example.com", "ip_address": "10.0.0.2"}'),
 (3, 2, 200, 1, '2026-11-21 10:00+00', NULL, 1e16, '{"k": "a"}',
  '{"email": "cat@example.com", "ip_address": "10.0.0.3"}'),
 (4, 2, 201, 1099511640121, '2026-11-21 11:00+00', 3, '-0', '{}',
  '{"ip_address": "10.0.0.4"}'),
 (5, 1, NULL, NULL, '2026-11-22 10:00+00', 500, 1e-5, '{}', NULL),
 (6, 1, 100, 26, '2026-11-22 11:00+00', 994, 'NaN', '{}', NULL),
 (7, 2, 200, 1, '2026-11-22 12:00+00', 7, '-Infinity', '{}', NULL),
 (8, 3, 300, 5, '2026-11-22 12:00+00', 7, 1, '{}', NULL);
GRANT SELECT ON fid.events TO alice, bob;
SELECT dataexport_register_dataset('fid', 'fid.events',
    '{"project": "project_id", "timestamp": "timestamp", "group": "group_id",
      "tags": "tags", "user": "user", "short_id": "short_id"}');
-- Registration checks the short-id roles: one of the two, of the right type.
SELECT dataexport_register_dataset('bad', 'fid.events',
    '{"project": "project_id", "timestamp": "timestamp", "short_id": "tags"}');
SELECT dataexport_register_dataset('bad', 'fid.events',
    '{"project": "project_id", "timestamp": "timestamp", "issue": "n"}');
SELECT dataexport_register_projects('app.projects', 'id', 'organization_id', 'nope');

-- 1. Without a slug column, "project" is the project id (as documented)
-- and project.name is refused.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "project", "project.id"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
SELECT try_create('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["project.name"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}}');
RESET ROLE;

-- With one: project and project.name are the slug, project.id the id; the
-- search and the sort read the slug too.
SELECT dataexport_register_projects('app.projects', 'id', 'organization_id', 'slug');
SELECT slug_column FROM dataexport.projects;
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "project", "project.name", "project.id"], "query": "", "sort": ["-project", "id"], "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["project", "count()"], "query": "project:frontend", "sort": "project", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
-- The slug is read as the requester: without SELECT on the slug column the
-- export fails with the requester's permission error.
REVOKE SELECT ON app.projects FROM alice;
GRANT SELECT (id, organization_id) ON app.projects TO alice;
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "project"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT :'r'::jsonb ->> 'state' AS state, :'r'::jsonb ->> 'errorDetail' AS detail;
RESET ROLE;
REVOKE SELECT (id, organization_id) ON app.projects FROM alice;
GRANT SELECT ON app.projects TO alice;

-- 2. issue is the short id (slug upper-cased, "-", Sentry's base 32 of the
-- number), "unknown" without one; issue.id the group.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "issue", "issue.id"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["issue", "count()"], "query": "issue:BACKEND-T OR issue:unknown", "sort": "-count()", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;
-- Or a column holding the short id itself.
CREATE VIEW fid.events_v AS
    SELECT e.*, CASE WHEN group_id IS NOT NULL THEN 'APP-' || group_id END AS short
    FROM fid.events e;
GRANT SELECT ON fid.events_v TO alice;
SELECT dataexport_register_dataset('fid_v', 'fid.events_v',
    '{"project": "project_id", "timestamp": "timestamp", "group": "group_id", "issue": "short"}');
-- One or the other.
SELECT dataexport_register_dataset('bad', 'fid.events_v',
    '{"project": "project_id", "timestamp": "timestamp", "issue": "short", "short_id": "short_id"}');
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid_v", "field": ["id", "issue", "issue.id"], "query": "has:issue", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- Without either, issue is refused at create.
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["issue"], "query": "", "start": "2026-11-01", "end": "2026-12-01"}}');

-- 3. Numbers: averages, percentiles, equations and double precision
-- columns as Python writes a float; counts, and + - * over integers, stay
-- integers; a number in an equation is a float; x / 0 is empty.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["project.id", "count()", "avg(n)", "sum(n)", "p50(n)", "equation|count() * 2", "equation|sum(n) / count()", "equation|count() + count()", "equation|count() / 0"], "query": "", "sort": "project.id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "x", "equation|x * 1", "equation|n / 3"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "x", "equation|n / 3"], "query": "", "sort": "id", "start": "2026-11-01", "end": "2026-12-01"}, "format": "jsonl"}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
-- The same values through PostgreSQL's own float8out, for comparison.
SELECT x::text FROM fid.events ORDER BY id;

-- 7. NULLs last in both directions.
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["id", "n"], "query": "", "sort": ["-n", "id"], "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Discover", "query_info": {"dataset": "fid", "field": ["group_id", "count()"], "query": "", "sort": "group_id", "start": "2026-11-01", "end": "2026-12-01"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);

-- 9. The user tag's value: the first of id, username, email, ip present.
CALL run_export('{"query_type": "Issues-by-Tag", "query_info": {"dataset": "fid", "project": [1], "group": 100, "key": "user"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
CALL run_export('{"query_type": "Issues-by-Tag", "query_info": {"dataset": "fid", "project": [2], "group": 200, "key": "user"}}') \gset
SELECT show_file((:'r'::jsonb ->> 'fileOid')::oid);
RESET ROLE;

-- Back to the registration the other tests use.
SELECT dataexport_register_projects('app.projects', 'id', 'organization_id');
SELECT slug_column FROM dataexport.projects;
