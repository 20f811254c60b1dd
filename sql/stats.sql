-- Operator statistics (issue 10, point 4): dataexport_stats(period) and the
-- view dataexport_stats (last 24 hours).  Superusers and members of the
-- extension owner see every export of this database; other callers only
-- their own (same role, same forwarded settings), with the bytes only of
-- those whose projects they still see; no EXECUTE, no statistics.
CREATE ROLE stats_sql;
CREATE ROLE stats_ann LOGIN IN ROLE stats_sql;
CREATE ROLE stats_ben LOGIN IN ROLE stats_sql;
CREATE ROLE stats_mon LOGIN;
CREATE ROLE stats_nobody LOGIN;
ALTER ROLE stats_ann SET dataexport.sql_role = 'stats_sql';
ALTER ROLE stats_ben SET dataexport.sql_role = 'stats_sql';
SET dataexport.sql_role = 'stats_sql';
GRANT USAGE ON SCHEMA app TO stats_ann;
GRANT SELECT ON app.organizations, app.projects, app.events, app.project_members TO stats_ann;
INSERT INTO app.project_members VALUES (1, 'stats_ann');
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_cancel(bigint),
    dataexport_wait, dataexport_stats(interval) TO stats_ann, stats_ben;
-- stats_mon: no grant of its own, a member of the extension owner
SELECT extowner::regrole AS ext_owner FROM pg_extension WHERE extname = 'dataexport' \gset
GRANT :"ext_owner" TO stats_mon;

-- ann: two succeeded SQL exports, one failed, one cancelled, one Discover
SET ROLE stats_ann;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT 1 AS one"}}') \gset a1_
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT 1 / (random() * 0)::int AS boom"}}') \gset a2_
BEGIN;
SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 3 AS three"}}') ->> 'id' AS a3_id \gset
SELECT dataexport_cancel(:a3_id) ->> 'state' AS a3_state;
COMMIT;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT 4 AS four"}}') \gset a4_
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "project": [1], "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset a5_
SELECT :'a1_r'::jsonb ->> 'state' AS a1, :'a2_r'::jsonb ->> 'state' AS a2,
       :'a4_r'::jsonb ->> 'state' AS a4, :'a5_r'::jsonb ->> 'state' AS a5,
       :'a1_r'::jsonb -> 'bytes' AS a1_bytes, :'a4_r'::jsonb -> 'bytes' AS a4_bytes;
-- ben: one succeeded
SET ROLE stats_ben;
CALL run_export('{"query_type": "SQL", "query_info": {"sql": "SELECT 22 AS ben"}}') \gset b1_
RESET ROLE;
SELECT :'a1_r'::jsonb ->> 'id' AS a1, :'a2_r'::jsonb ->> 'id' AS a2, :'a4_r'::jsonb ->> 'id' AS a4,
       :'a5_r'::jsonb ->> 'id' AS a5, :'b1_r'::jsonb ->> 'id' AS b1 \gset

-- Every final state is stamped (date_ended), whoever writes it: the worker
-- (succeeded, failed) and cancel; date_finished is the record's, set on
-- success only, as in 0.1.
SELECT id = :a1 AS a1, state, date_ended IS NOT NULL AS ended,
       date_ended = date_finished AS ended_when_finished,
       date_ended >= date_created AS after_creation
FROM dataexport.export WHERE id IN (:a1, :a2, :a3_id) ORDER BY id;

-- Known times: finished a minute ago; queue waits 1, 2, 3 s and run times
-- 10, 20, 30 s for a1, a2, a4; a1 needed three attempts and lost a worker;
-- a4's file has expired (not yet cleaned up); a5 finished two days ago
-- (outside the window).
UPDATE dataexport.export e SET date_ended = now() - interval '1 min',
    date_started = now() - interval '1 min' - t.run,
    date_created = now() - interval '1 min' - t.run - t.wait
FROM (VALUES (:a1, interval '10 s', interval '1 s'), (:a2, '20 s', '2 s'),
             (:a4, '30 s', '3 s')) AS t(id, run, wait)
WHERE e.id = t.id;
UPDATE dataexport.export SET date_ended = now() - interval '1 min'
WHERE id = :a3_id;
UPDATE dataexport.export SET attempts = 3, lost_workers = 1 WHERE id = :a1;
UPDATE dataexport.export SET date_expired = now() - interval '1 s' WHERE id = :a4;
UPDATE dataexport.export SET date_created = now() - interval '2 days 1 min',
    date_started = now() - interval '2 days', date_ended = now() - interval '2 days'
WHERE id = :a5;

-- ann sees her own exports only: not ben's SQL export.  Bytes: a1 8 and a4
-- 9 written, a1's 8 still stored (a4's file has expired).
SET ROLE stats_ann;
SELECT database = current_database() AS this_database, query_type, queued, running,
       succeeded, failed, cancelled, expired, retries, lost_workers, oldest_queued,
       since BETWEEN now() - interval '24 hours 1 min' AND now() - interval '23 hours 59 min' AS since_24h,
       finished_recent, failed_recent, queue_wait_p50, queue_wait_p95,
       run_time_p50, run_time_p95, bytes_written, bytes_written_recent, storage_bytes
FROM dataexport_stats WHERE query_type = 'SQL' \gx
-- a5 finished two days ago: counted, outside the window
SELECT succeeded, finished_recent, queue_wait_p50, run_time_p50, bytes_written_recent
FROM dataexport_stats WHERE query_type = 'Discover';
-- a5's bytes are hers while she sees project 1; when she loses it, its
-- bytes are hidden from her (as dataexport_list hides them), not the count
SELECT bytes_written = (:'a5_r'::jsonb ->> 'bytes')::bigint AS a5_bytes,
       storage_bytes = bytes_written AS a5_stored
FROM dataexport_stats WHERE query_type = 'Discover';
RESET ROLE;
DELETE FROM app.project_members WHERE project_id = 1 AND role_name = 'stats_ann';
SET ROLE stats_ann;
SELECT succeeded, bytes_written, storage_bytes FROM dataexport_stats WHERE query_type = 'Discover';
-- a shorter period: nothing finished in the last 30 seconds
SELECT query_type, succeeded, finished_recent, queue_wait_p50, run_time_p50, bytes_written_recent
FROM dataexport_stats('30 s') ORDER BY query_type;
RESET ROLE;
INSERT INTO app.project_members VALUES (1, 'stats_ann');

-- ben sees his one export; a queued one counts (and ages) until it runs
SET ROLE stats_ben;
SELECT query_type, succeeded, failed, retries, queue_wait_p50 IS NOT NULL AS has_wait,
       bytes_written, storage_bytes
FROM dataexport_stats;
BEGIN;
SELECT dataexport_create('{"query_type": "SQL", "query_info": {"sql": "SELECT 23 AS ben"}}') IS NOT NULL AS created;
SELECT queued, oldest_queued >= interval '0 s' AS ages FROM dataexport_stats;
ROLLBACK;
RESET ROLE;

-- Another forwarded identity through the same role is another requester.
SET dataexport.forward_settings = 'app.user_id';
SET app.user_id = 'someone-else';
SET ROLE stats_ann;
SELECT count(*) AS rows_seen FROM dataexport_stats;
RESET ROLE;
RESET app.user_id;
RESET dataexport.forward_settings;

-- Superusers and members of the extension owner see the whole database:
-- the same rows as the bookkeeping table says (one snapshot for both).
BEGIN ISOLATION LEVEL REPEATABLE READ;
CREATE TEMP TABLE stats_expected AS
SELECT query_type, count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
       count(*) FILTER (WHERE state = 'failed') AS failed,
       count(*) AS total, COALESCE(sum(bytes), 0)::bigint AS bytes_written
FROM dataexport.export GROUP BY query_type;
GRANT SELECT ON stats_expected TO stats_mon;
SELECT count(*) AS mismatches FROM (
    (SELECT query_type, succeeded, failed, queued + running + succeeded + failed + cancelled + expired,
            bytes_written FROM dataexport_stats
     EXCEPT SELECT * FROM stats_expected)
    UNION ALL
    (SELECT * FROM stats_expected
     EXCEPT SELECT query_type, succeeded, failed, queued + running + succeeded + failed + cancelled + expired,
            bytes_written FROM dataexport_stats)) AS d;
SELECT count(*) FILTER (WHERE failed > 0) > 0 AS sees_failures,
       sum(succeeded) >= 4 AS sees_ann_and_ben FROM dataexport_stats;
SET ROLE stats_mon;
SELECT count(*) AS mismatches FROM (
    (SELECT query_type, succeeded, failed, queued + running + succeeded + failed + cancelled + expired,
            bytes_written FROM dataexport_stats
     EXCEPT SELECT * FROM stats_expected)
    UNION ALL
    (SELECT * FROM stats_expected
     EXCEPT SELECT query_type, succeeded, failed, queued + running + succeeded + failed + cancelled + expired,
            bytes_written FROM dataexport_stats)) AS d;
RESET ROLE;
COMMIT;

-- Without EXECUTE on the function, the view gives nothing.
SET ROLE stats_nobody;
SELECT * FROM dataexport_stats;
RESET ROLE;
-- The bookkeeping stays private.
SET ROLE stats_ann;
SELECT count(*) FROM dataexport.export;
RESET ROLE;

-- The alert recipe of the README (demo/stats_alert.sql), without pg_cron:
-- more failures in the last hour than the threshold raise one alert row.
\i demo/stats_alert.sql
SELECT count(*) AS failed_last_hour FROM dataexport.export
WHERE state = 'failed' AND date_ended >= now() - interval '1 hour' \gset
SELECT :failed_last_hour >= 1 AS has_failures;
SELECT dataexport_alert_failed(:failed_last_hour) AS raised_at_threshold;
SELECT dataexport_alert_failed(:failed_last_hour - 1) AS raised_below_threshold;
SELECT failed = :failed_last_hour AS counted, threshold = :failed_last_hour - 1 AS threshold,
       period, database = current_database() AS this_database
FROM dataexport_alerts;

REVOKE :"ext_owner" FROM stats_mon;
RESET dataexport.sql_role;
