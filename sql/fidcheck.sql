-- Issue 9 (Sentry fidelity: checks and records), items 4, 5, 6 and 8.

-- Item 4: Issues-by-Tag checks every listed project as Discover does
-- (alice sees projects 1 and 2; 3 is bob's; 99999 does not exist).
SET ROLE alice;
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1, 3], "group": 100, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1, 99999], "group": 100, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [3, 1], "group": 100, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": 99999, "group": 100, "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "key": "browser"}}');
SELECT try_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1], "group": null, "key": "browser"}}');
BEGIN;
-- every project visible: accepted, the list kept in its order (the first is exported)
SELECT r ->> 'state' AS state, r #> '{query,info,project}' AS projects
FROM dataexport_create('{"query_type": "Issues-by-Tag", "query_info": {"project": [1, 2], "group": 100, "key": "browser"}}') AS r;
ROLLBACK;
RESET ROLE;

-- Item 5: a parse error quotes 5 characters either side of the column,
-- as Sentry's parse_search_query.
SET ROLE alice;
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "user.email:foo@example.com OR user.email:bar@example.com)"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "(user.email:foo@example.com OR user.email:bar@example.com"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "level:error (message:foo"}}');
RESET ROLE;

-- Item 8: timeframe aliases and Unix timestamps.
SET ROLE alice;
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "timeframeStart": "7d"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "timeframeEnd": "1d"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "timeframe": "shrug"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "statsPeriodStart": "x", "statsPeriodEnd": "1d"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": 1589896800, "end": "1589900400"}}');
SELECT try_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "1589900400", "end": "1589896800"}}');
BEGIN;
SELECT r #>> '{query,info,start}' AS start, r #>> '{query,info,end}' AS "end"
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "start": "1589896800", "end": "1589900400.5"}}') AS r;
-- timeframe replaces statsPeriod; both give way to a concrete range
SELECT (r #>> '{query,info,end}')::timestamptz - (r #>> '{query,info,start}')::timestamptz AS span,
       r -> 'query' -> 'info' ?| ARRAY['timeframe', 'statsPeriod'] AS relative_keys_kept
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "timeframe": "2h", "statsPeriod": "7d"}}') AS r;
SELECT (r #>> '{query,info,end}')::timestamptz - (r #>> '{query,info,start}')::timestamptz AS span,
       r -> 'query' -> 'info' ?| ARRAY['timeframeStart', 'timeframeEnd'] AS relative_keys_kept
FROM dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "", "timeframeStart": "3d", "timeframeEnd": "1d"}}') AS r;
ROLLBACK;
RESET ROLE;

-- Item 6: once the file is gone, checksum and fileName are null and the
-- status is EXPIRED: after cleanup, and when the file went another way.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id", "fidcheck": 1}}') \gset
\set a :r
SELECT :'a'::jsonb ->> 'id' AS a_id, :'a'::jsonb ->> 'fileOid' AS a_oid \gset
SELECT r ->> 'status' AS status, r ->> 'checksum' IS NOT NULL AS has_checksum,
       r ->> 'fileName' IS NOT NULL AS has_file_name
FROM dataexport_details(:a_id) AS r;
RESET ROLE;
UPDATE dataexport.export SET date_expired = now() - interval '1 second' WHERE id = :a_id;
SELECT dataexport_cleanup() > 0 AS cleaned;
SET ROLE alice;
SELECT r ->> 'status' AS status, r ->> 'state' AS state, r -> 'checksum' AS checksum,
       r -> 'fileName' AS file_name, r -> 'fileOid' AS file_oid
FROM dataexport_details(:a_id) AS r;
SELECT status, state, file_name, file_oid, record -> 'checksum' AS checksum
FROM dataexport_my_exports WHERE id = :a_id;
RESET ROLE;
-- the table keeps them for the DBA
SELECT checksum IS NOT NULL AS checksum_stored, file_name IS NOT NULL AS file_name_stored
FROM dataexport.export WHERE id = :a_id;

SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id", "fidcheck": 2}}') \gset
\set b :r
SELECT :'b'::jsonb ->> 'id' AS b_id, :'b'::jsonb ->> 'fileOid' AS b_oid \gset
SELECT lo_unlink(:b_oid);
SELECT r ->> 'status' AS status, r ->> 'state' AS state, r -> 'checksum' AS checksum,
       r -> 'fileName' AS file_name, r -> 'fileOid' AS file_oid
FROM dataexport_details(:b_id) AS r;
SELECT status, state, file_name, file_oid FROM dataexport_my_exports WHERE id = :b_id;
RESET ROLE;
