-- Reproductions of attack2's findings that are reported, not fixed (run each
-- block by hand with psql as the superuser in a scratch database of a server
-- with shared_preload_libraries = 'dataexport').  The fixed findings have
-- their own tests: sql/attack_parquet_numeric.sql and
-- test/t/131_attack_schema_cache.pl.

-- 1. A DBA's own view over dataexport_running (the documented live-progress
--    view) makes ALTER EXTENSION dataexport UPDATE fail: the 0.1 -> 0.2
--    script drops and recreates the view and dataexport_progress().
--    The error is clean and nothing is half-updated; the DBA has to drop
--    their view, update, and recreate it.  README does not say so.
CREATE DATABASE attack_upgrade_dep;
\c attack_upgrade_dep
CREATE EXTENSION dataexport VERSION '0.1';
CREATE VIEW my_monitor AS SELECT id, rows FROM dataexport_running;
ALTER EXTENSION dataexport UPDATE;
-- ERROR:  cannot drop view dataexport_running because other objects depend on it
-- DETAIL:  view my_monitor depends on view dataexport_running
\c postgres
DROP DATABASE attack_upgrade_dep;

-- 2. A Parquet SQL export of a zero-column query is accepted by create (and
--    by explain, which estimates 2 bytes), then fails in the worker with the
--    generic "Internal error. Your query failed to run." (the real reason,
--    "a Parquet file needs at least one column", only in errorDetail/log).
--    SPEC: bad input raises a precise error at create.
CALL run_export('{"query_type": "SQL", "format": "parquet", "query_info": {"sql": "SELECT"}}');
-- state failed, error "Internal error. Your query failed to run."

-- 3. (By design, issue 9 item 11, but worth a decision.) The NOTIFY payload
--    carries "rows", "truncated", "fileName" and "error" of every export,
--    and any role that can connect may LISTEN dataexport: bob learns the row
--    count of alice's exports (e.g. how many events matched her search).
--    SPEC 7 has only {"id", "state"}; README says listeners see "the ids and
--    states of everyone's exports" but not the row counts.
--    session 1 (bob):   LISTEN dataexport;
--    session 2 (alice): CALL run_export('{"query_type": "Discover", ...}');
--    session 1 (bob):   SELECT 1;  -- Asynchronous notification ... "rows": 6 ...

-- 4. (Test: test/t/133_attack_upgrade_grants_dump.pl, fails on main; also
--    060_upgrade's catalog and pg_dump comparisons fail on it.)  The grants
--    that dataexport--0.1--0.2.sql re-grants (dataexport_wait,
--    dataexport_progress, dataexport_running, and explain to create's
--    grantees) are recorded in pg_init_privs, because GRANT inside an
--    extension script records initial privileges; pg_dump omits them, and
--    after a dump and restore the DBA's roles lose EXECUTE.  A possible fix
--    (superuser = true, so the script may do it): after upgrade_regrant,
--    set the target's pg_init_privs row back to what it was before the
--    GRANTs (delete it if there was none).
SELECT pg_describe_object(classoid, objoid, objsubid), initprivs
FROM pg_init_privs WHERE initprivs::text LIKE '%alice%';
