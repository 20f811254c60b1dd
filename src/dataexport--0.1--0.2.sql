/* dataexport 0.1 -> 0.2 */
\echo Use "ALTER EXTENSION dataexport UPDATE TO '0.2'" to load this file. \quit

-- There is no full dataexport--0.2.sql: CREATE EXTENSION dataexport runs
-- dataexport--0.1.sql and then this script, so a fresh install and an
-- updated one are built by the same statements (test/t/060_upgrade.pl
-- compares their catalogs).  dataexport--0.1.sql is frozen: every schema
-- change from 0.2 on goes here, into the section of the issue it belongs to.
--
-- The shared library serves both versions: until this script has run it
-- works on the 0.1 objects and refuses the 0.2 features (extversion.c).

-- ---- 0.2: formats and compressions (zstd, parquet) ----
ALTER TABLE dataexport.export DROP CONSTRAINT export_format_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_format_check
    CHECK (format IN ('csv', 'jsonl', 'parquet'));
ALTER TABLE dataexport.export DROP CONSTRAINT export_compression_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_compression_check
    CHECK (compression IN ('none', 'gzip', 'zstd'));

-- ---- 0.2: performance (issue 8) ----
-- The export record in C (record.c): the same jsonb as the 0.1 SQL
-- definition, without parsing and planning three SQL functions at each call
-- (most of the time of dataexport_create and dataexport_details).  Its
-- privileges are kept (REVOKE ... FROM PUBLIC in 0.1).
CREATE OR REPLACE FUNCTION dataexport.record(e dataexport.export, progress jsonb, user_id_setting text)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataexport_record' LANGUAGE C STABLE;
-- The queue cap counts a requester's unfinished exports at each create
-- (queue.c): this index reads only those, however long the queue or the
-- history.  The library falls back to export_queue on a 0.1 schema.
CREATE INDEX export_unfinished_owner ON dataexport.export (owner)
    WHERE state IN ('queued', 'running');

-- ---- 0.2: Sentry fidelity, query builder (issue 9) ----
-- The projects' slug column: Discover's "project" and "project.name" fields
-- give the slug (Sentry's), "project.id" the id.
ALTER TABLE dataexport.projects ADD COLUMN slug_column name;
DROP FUNCTION @extschema@.dataexport_register_projects(regclass, name, name);
CREATE FUNCTION @extschema@.dataexport_register_projects(
    relation regclass, id_column name DEFAULT 'id', organization_column name DEFAULT NULL,
    slug_column name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataexport_register_projects' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.dataexport_register_projects(regclass, name, name, name)
    FROM PUBLIC;

-- ---- 0.2: Sentry fidelity, checks and records (issue 9) ----

-- The export record (record.c, made C in the performance section): once
-- its file is gone (cleaned up, or unlinked, dropped or reassigned away from
-- the requester) checksum and fileName are null, as Sentry's serializer
-- gives None for a deleted file; status is EXPIRED.  The table keeps both
-- for the DBA.

-- ---- 0.2: explain, progress (issue 10) ----
-- dataexport_explain: a dry run of dataexport_create (validates as create,
-- creates nothing).  It needs the same EXECUTE as create: revoked from
-- PUBLIC, and granted here to every role that has EXECUTE on create (an
-- updated database keeps its users' access; a fresh install has none).
CREATE FUNCTION @extschema@.dataexport_explain(payload jsonb) RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataexport_explain' LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.dataexport_explain(jsonb) FROM PUBLIC;

-- Re-grants the privileges "acl" held to other roles than the owner on
-- "target" (a GRANT ... ON <target> statement tail; the object is (classid,
-- objid)), e.g. after a DROP and CREATE: DBAs' grants survive the update.
-- A GRANT run by an extension script is recorded as one of the extension's
-- initial privileges (pg_init_privs), which pg_dump leaves out; these are
-- the DBA's, so the initial privileges are put back as the script itself
-- made them (what a fresh install has) and pg_dump dumps the grants.
-- Dropped at the end.
CREATE FUNCTION dataexport.upgrade_regrant(acl aclitem[], target text, classid oid, objid oid)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    g record;
    init aclitem[];
    had_init boolean;
BEGIN
    SELECT i.initprivs, true INTO init, had_init FROM pg_init_privs i
    WHERE i.classoid = classid AND i.objoid = objid AND i.objsubid = 0;
    FOR g IN
        SELECT a.privilege_type, a.grantee, a.is_grantable
        FROM aclexplode(acl) AS a
        WHERE a.grantee <> a.grantor
    LOOP
        EXECUTE format('GRANT %s ON %s TO %s%s', g.privilege_type, target,
                       CASE WHEN g.grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(g.grantee)) END,
                       CASE WHEN g.is_grantable THEN ' WITH GRANT OPTION' ELSE '' END);
    END LOOP;
    IF had_init THEN
        UPDATE pg_init_privs i SET initprivs = init
        WHERE i.classoid = classid AND i.objoid = objid AND i.objsubid = 0;
    ELSE
        DELETE FROM pg_init_privs i
        WHERE i.classoid = classid AND i.objoid = objid AND i.objsubid = 0;
    END IF;
END
$$;

SELECT dataexport.upgrade_regrant(p.proacl,
                                  'FUNCTION @extschema@.dataexport_explain(jsonb)',
                                  'pg_catalog.pg_proc'::pg_catalog.regclass,
                                  '@extschema@.dataexport_explain(jsonb)'::pg_catalog.regprocedure)
FROM pg_catalog.pg_proc p
WHERE p.oid = '@extschema@.dataexport_create(jsonb)'::pg_catalog.regprocedure;

-- dataexport_progress() gains the planner's estimate, a percent, the rate
-- and the time left; the view over it is recreated; grants as before.
CREATE TABLE dataexport.upgrade_acl (object text PRIMARY KEY, acl aclitem[]);
INSERT INTO dataexport.upgrade_acl
SELECT 'progress', proacl FROM pg_catalog.pg_proc
WHERE oid = '@extschema@.dataexport_progress()'::pg_catalog.regprocedure
UNION ALL
SELECT 'running', relacl FROM pg_catalog.pg_class
WHERE oid = '@extschema@.dataexport_running'::pg_catalog.regclass
UNION ALL
SELECT 'wait', proacl FROM pg_catalog.pg_proc
WHERE oid = '@extschema@.dataexport_wait(bigint, interval)'::pg_catalog.regprocedure;

DROP VIEW @extschema@.dataexport_running;
DROP FUNCTION @extschema@.dataexport_progress();

-- Live progress of the caller's running exports (superusers see all):
-- estimated_rows is the planner's (capped at the row limit), taken when the
-- query starts; percent (0-99) only while the estimate holds (> 0 and
-- rows <= estimated_rows); rows_per_second since the query started; eta
-- from both.
CREATE FUNCTION @extschema@.dataexport_progress(
    OUT id bigint, OUT database oid, OUT pid integer, OUT rows bigint, OUT bytes bigint,
    OUT started timestamptz, OUT estimated_rows bigint, OUT percent integer,
    OUT rows_per_second double precision, OUT eta interval)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataexport_progress' LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.dataexport_progress() FROM PUBLIC;

CREATE VIEW @extschema@.dataexport_running AS
    SELECT * FROM @extschema@.dataexport_progress();
GRANT SELECT ON @extschema@.dataexport_running TO PUBLIC;

-- dataexport_wait gains "progress": a NOTICE a second while it waits.
DROP FUNCTION @extschema@.dataexport_wait(bigint, interval);
CREATE FUNCTION @extschema@.dataexport_wait(id bigint, timeout interval DEFAULT '5 min',
                                            progress boolean DEFAULT false)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'dataexport_wait' LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.dataexport_wait(bigint, interval, boolean) FROM PUBLIC;

SELECT dataexport.upgrade_regrant(acl, CASE object
           WHEN 'progress' THEN 'FUNCTION @extschema@.dataexport_progress()'
           WHEN 'running' THEN '@extschema@.dataexport_running'
           WHEN 'wait' THEN 'FUNCTION @extschema@.dataexport_wait(bigint, interval, boolean)'
       END,
       CASE object WHEN 'running' THEN 'pg_catalog.pg_class'::pg_catalog.regclass
                   ELSE 'pg_catalog.pg_proc'::pg_catalog.regclass END,
       CASE object
           WHEN 'progress' THEN '@extschema@.dataexport_progress()'::pg_catalog.regprocedure::pg_catalog.oid
           WHEN 'running' THEN '@extschema@.dataexport_running'::pg_catalog.regclass::pg_catalog.oid
           WHEN 'wait' THEN '@extschema@.dataexport_wait(bigint, interval, boolean)'::pg_catalog.regprocedure::pg_catalog.oid
       END)
FROM dataexport.upgrade_acl;
DROP TABLE dataexport.upgrade_acl;
DROP FUNCTION dataexport.upgrade_regrant(aclitem[], text, oid, oid);


-- ---- 0.2: parquet (issue 10) ----

-- ---- 0.2: statistics (issue 10) ----
-- When an export reached its final state.  0.1 sets date_finished only on
-- success (the record's dateFinished, Sentry's), so failures and cancels had
-- no time: the trigger stamps every move to succeeded, failed or cancelled,
-- whoever makes it (worker, scanner, cancel).  Records finished before the
-- update get date_finished where they have one (failures and cancels from
-- before the update stay without a time, and out of the "recent" columns).
ALTER TABLE dataexport.export ADD COLUMN date_ended timestamptz;
UPDATE dataexport.export SET date_ended = date_finished WHERE date_finished IS NOT NULL;
CREATE FUNCTION dataexport.stamp_end() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    NEW.date_ended := COALESCE(NEW.date_finished, clock_timestamp());
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dataexport.stamp_end() FROM PUBLIC;
CREATE TRIGGER stamp_end BEFORE UPDATE OF state ON dataexport.export
    FOR EACH ROW
    WHEN (NEW.state IS DISTINCT FROM OLD.state
          AND NEW.state IN ('succeeded', 'failed', 'cancelled'))
    EXECUTE FUNCTION dataexport.stamp_end();
CREATE INDEX export_ended ON dataexport.export (date_ended);

-- Operator statistics of this database's exports, one row per query type
-- (stats.c): superusers and members of the extension owner see every
-- export, other callers only their own.  The "recent" columns and the
-- percentiles cover the exports started/ended since now() - period.
CREATE FUNCTION @extschema@.dataexport_stats(
    period interval DEFAULT '24 hours',
    OUT database name, OUT query_type text,
    OUT queued bigint, OUT running bigint, OUT succeeded bigint, OUT failed bigint,
    OUT cancelled bigint, OUT expired bigint,
    OUT retries bigint, OUT lost_workers bigint, OUT oldest_queued interval,
    OUT since timestamptz, OUT finished_recent bigint, OUT failed_recent bigint,
    OUT queue_wait_p50 interval, OUT queue_wait_p95 interval,
    OUT run_time_p50 interval, OUT run_time_p95 interval,
    OUT bytes_written bigint, OUT bytes_written_recent bigint, OUT storage_bytes bigint)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'dataexport_stats' LANGUAGE C STRICT VOLATILE ROWS 4;
REVOKE ALL ON FUNCTION @extschema@.dataexport_stats(interval) FROM PUBLIC;

CREATE VIEW @extschema@.dataexport_stats AS
    SELECT * FROM @extschema@.dataexport_stats('24 hours');
-- As for the other views, EXECUTE on the function decides.
GRANT SELECT ON @extschema@.dataexport_stats TO PUBLIC;

-- ---- 0.2: comments (issue 10) ----
-- Every object of the extension has a comment (checked by the regression
-- test "comments"), so that \dx+ dataexport, \df+, \dv+ and \dt+ explain
-- themselves.  Functions are named without their argument lists so that a
-- signature changed in an earlier section keeps its comment; keep this
-- section last, after every section that creates or re-creates objects.
COMMENT ON SCHEMA dataexport IS
    'dataexport bookkeeping (exports, registrations): readable and writable only by the extension owner; users go through the dataexport_* functions and views';
COMMENT ON TABLE dataexport.export IS
    'One row per data export: request, requester (role and forwarded settings), state, timings, file (large object) and outcome; pg_dump keeps the succeeded ones';
COMMENT ON SEQUENCE dataexport.export_id_seq IS
    'Export ids; kept by pg_dump so that restored ids do not collide with new ones';
COMMENT ON TABLE dataexport.projects IS
    'Where the application''s projects live (one row, set by dataexport_register_projects)';
COMMENT ON TABLE dataexport.datasets IS
    'Tables or views that Discover and Issues-by-Tag exports read, with the role of each column (set by dataexport_register_dataset)';
COMMENT ON FUNCTION dataexport.iso_ms IS
    'A timestamp as ISO 8601 UTC with milliseconds, without the fraction when it is zero (the dates of the export record)';
COMMENT ON FUNCTION dataexport.file_present IS
    'Whether a succeeded export''s large object still exists and still belongs to its requester';
COMMENT ON FUNCTION dataexport.record IS
    'The export record that create, details, wait, cancel and list return (Sentry''s keys plus this extension''s)';
COMMENT ON FUNCTION dataexport.stamp_end IS
    'Trigger: sets date_ended when an export moves to succeeded, failed or cancelled (for the statistics)';
COMMENT ON COLUMN dataexport.export.date_ended IS
    'When the export reached succeeded, failed or cancelled (0.2; date_finished is set on success only)';
COMMENT ON FUNCTION dataexport.rebind_owner IS
    'Trigger: binds a record restored by pg_dump to the role now named owner_name (role OIDs differ between clusters)';
COMMENT ON FUNCTION @extschema@.dataexport_create IS
    'Validates an export request (payload: query_type, query_info, organization, environment, limit, format, compression), returns the identical unfinished export of the caller ("created": false) or queues a new one ("created": true) that starts at commit';
COMMENT ON FUNCTION @extschema@.dataexport_details IS
    'The export record if the export is the caller''s and the caller still sees every project it covers; "data export N does not exist" (42704) otherwise';
COMMENT ON FUNCTION @extschema@.dataexport_cancel IS
    'Cancels a queued or running export of the caller''s (a running one is interrupted and rolled back); returns the record';
COMMENT ON FUNCTION @extschema@.dataexport_wait IS
    'Waits (without polling) until the caller''s export is no longer queued or running, or the timeout passes; returns the record; progress => true sends a NOTICE with the progress once a second';
COMMENT ON FUNCTION @extschema@.dataexport_explain IS
    'Dry run: validates a request exactly as dataexport_create does and creates nothing; returns the query the worker would run with its parameters, EXPLAIN (FORMAT JSON) of it as the caller, the estimated rows and bytes, the file name and whether the limits would truncate it';
COMMENT ON FUNCTION @extschema@.dataexport_cleanup IS
    'Expires succeeded exports past dateExpired or whose file is gone and unlinks their large objects; returns how many (meant for pg_cron)';
COMMENT ON FUNCTION @extschema@.dataexport_register_projects IS
    'Tells the extension which relation holds the application''s projects (id column, optional organization and slug columns); superuser or extension owner';
COMMENT ON FUNCTION @extschema@.dataexport_register_dataset IS
    'Registers a table or view that Discover and Issues-by-Tag exports read, mapping roles (project, timestamp, environment, group, tags, message, user, issue or short_id) to its columns; superuser or extension owner';
COMMENT ON FUNCTION @extschema@.dataexport_list IS
    'The caller''s exports, newest first, one record each; an export whose projects the caller no longer all sees is listed without its file ("fileHidden": true)';
COMMENT ON FUNCTION @extschema@.dataexport_progress IS
    'Live progress of the caller''s running exports: rows and bytes so far, the planner''s estimate of the rows, percent, rows per second and ETA; superusers see all';
COMMENT ON FUNCTION @extschema@.dataexport_stats IS
    'Operator statistics of this database''s exports per query type: counts by state, retries, lost workers, queue-wait and run-time p50/p95 over the period, bytes written, storage in use; superusers and members of the extension owner see all exports, others their own';
COMMENT ON VIEW @extschema@.dataexport_my_exports IS
    'The caller''s exports as rows (dataexport_list)';
COMMENT ON VIEW @extschema@.dataexport_running IS
    'Live progress of the caller''s running exports (dataexport_progress)';
COMMENT ON VIEW @extschema@.dataexport_stats IS
    'dataexport_stats over the last 24 hours: one row per query type of this database';
