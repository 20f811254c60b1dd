-- dataexport_wait's timeout goes through PostgreSQL's interval arithmetic:
-- zero or negative returns at once, more than 100 years is no timeout (it
-- used to overflow a hand-made microsecond count: '1000000 years' did not
-- wait at all, '-1000000 years' waited for ages).
SET statement_timeout = '30 s';
-- an export that runs for about 3 seconds
CREATE FUNCTION app.wait_rows() RETURNS SETOF bigint
    LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..15 LOOP
        PERFORM pg_sleep(0.2);
        RETURN NEXT i;
    END LOOP;
END
$$;
CREATE VIEW app.wait_slow AS
    SELECT 1::bigint AS project_id, '2026-11-20'::timestamptz + n * interval '1 s' AS "timestamp",
           n AS id
    FROM app.wait_rows() AS n;
GRANT SELECT ON app.wait_slow TO alice;
SELECT dataexport_register_dataset('wait_slow', 'app.wait_slow',
    '{"project": "project_id", "timestamp": "timestamp"}');
SET ROLE alice;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "dataset": "wait_slow", "start": "2026-11-01", "end": "2026-12-01", "project": [1]}}') ->> 'id' AS w_id \gset
-- negative timeouts, however large, do not wait
SELECT dataexport_wait(:w_id, '-1000000 years') ->> 'state' IN ('queued', 'running') AS no_wait_huge_negative;
SELECT dataexport_wait(:w_id, '-1 hour') ->> 'state' IN ('queued', 'running') AS no_wait_negative;
SELECT dataexport_wait(:w_id, '0') ->> 'state' IN ('queued', 'running') AS no_wait_zero;
-- a short timeout still passes before the export ends
SELECT dataexport_wait(:w_id, '300 ms') ->> 'state' IN ('queued', 'running') AS timed_out;
SELECT dataexport_wait(:w_id, '60 s') ->> 'state' AS first_state;
-- a timeout past what a timestamp can hold waits until the export ends
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"], "query": "",
    "dataset": "wait_slow", "start": "2026-11-01", "end": "2026-12-01", "project": [1],
    "sort": "-id"}}') ->> 'id' AS v_id \gset
SELECT r ->> 'state' AS state, r -> 'rows' AS rows
FROM dataexport_wait(:v_id, '1000000 years') AS r;
SELECT dataexport_wait(:v_id, '178000000 years') ->> 'state' AS finished_stays;
RESET ROLE;
RESET statement_timeout;
