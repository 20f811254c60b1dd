-- The launcher ignores SIGINT, as pg_cron's does: a query cancel
-- (pg_cancel_backend) must not kill the process that every database's
-- exports depend on.
SELECT pid AS launcher_pid FROM pg_stat_activity
WHERE backend_type = 'dataexport launcher' \gset
SELECT pg_cancel_backend(:launcher_pid) AS cancel_sent;
-- Two exports, one after the other: the second one needs the launcher to go
-- round its loop (and its interrupt check) after the cancel arrived.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'state' AS first_state;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "start": "2026-11-01", "end": "2026-12-01", "sort": "-id"}}') \gset
SELECT :'r'::jsonb ->> 'state' AS second_state;
RESET ROLE;
-- still the same launcher process
SELECT count(*) FILTER (WHERE pid = :launcher_pid) AS same_launcher,
       count(*) AS launchers
FROM pg_stat_activity WHERE backend_type = 'dataexport launcher';
