-- An alert on failed exports, in SQL only (README "Statistics and alerts"):
-- pg_cron runs dataexport_alert_failed(threshold) every few minutes; when
-- more exports failed in the last hour than the threshold, it records an
-- alert row (and NOTIFYs channel dataexport_alert).  It returns the number
-- of alerts raised (0 or 1).  The role that schedules the job needs EXECUTE
-- on dataexport_stats(interval) and to see every export (a superuser or a
-- member of the extension owner); others would count only their own.
CREATE TABLE dataexport_alerts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    raised_at  timestamptz NOT NULL DEFAULT now(),
    database   name NOT NULL,
    failed     bigint NOT NULL,
    threshold  bigint NOT NULL,
    period     interval NOT NULL
);

CREATE FUNCTION dataexport_alert_failed(threshold bigint, period interval DEFAULT '1 hour')
RETURNS bigint
LANGUAGE sql VOLATILE
AS $$
    WITH s AS (
        SELECT current_database() AS database,
               COALESCE(sum(failed_recent), 0)::bigint AS failed
        FROM dataexport_stats(period)),
    alert AS (
        INSERT INTO dataexport_alerts (database, failed, threshold, period)
        SELECT database, failed, threshold, period FROM s WHERE failed > threshold
        RETURNING database, failed)
    SELECT count(*) FROM alert,
        LATERAL (SELECT pg_notify('dataexport_alert',
                     format('%s: %s exports failed in the last %s (threshold %s)',
                            database, failed, period, threshold))) AS n
$$;

-- With pg_cron (the job runs as the role that schedules it):
--   SELECT cron.schedule('dataexport-failed-alert', '*/5 * * * *',
--                        'SELECT dataexport_alert_failed(10)');
