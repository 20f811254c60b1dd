-- A raw SQL export cannot create, change or remove large objects: the
-- large-object write functions are refused (25006) while the export's query
-- runs in the worker, however the query reaches them.
CREATE ROLE security_exporters;
GRANT security_exporters TO alice;
-- the gate as create sees it (this session) and as the worker sees it (alice's)
ALTER ROLE alice SET dataexport.sql_role = 'security_exporters';
SET dataexport.sql_role = 'security_exporters';

-- An SQL export's outcome: its state, and the SQLSTATE and message of a failure.
CREATE PROCEDURE try_sql_export(sql text, INOUT outcome text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
    r jsonb;
BEGIN
    CALL run_export(jsonb_build_object('query_type', 'SQL', 'query_info',
                                       jsonb_build_object('sql', sql)), r);
    outcome := (r ->> 'state') || COALESCE(' (' || (r ->> 'errorDetail') || ')', '');
END
$$;
GRANT EXECUTE ON PROCEDURE try_sql_export(text, text) TO PUBLIC;

-- The ways to reach a large-object function other than calling it.
CREATE FUNCTION public.sec_lo_sql(loid oid) RETURNS integer
LANGUAGE sql AS 'SELECT lo_unlink(loid)';
CREATE FUNCTION public.sec_lo_plpgsql(loid oid) RETURNS integer
LANGUAGE plpgsql AS 'BEGIN RETURN lo_unlink(loid); END';
CREATE VIEW public.sec_lo_view AS SELECT lo_from_bytea(0, '\x76') AS o;
GRANT SELECT ON public.sec_lo_view TO alice;
-- a WITH HOLD cursor declared from a function, and a table it would write
CREATE TABLE public.sec_lo_writes (note text);
GRANT INSERT, SELECT ON public.sec_lo_writes TO alice;
CREATE FUNCTION public.sec_lo_write_row() RETURNS integer
LANGUAGE plpgsql AS $$BEGIN INSERT INTO public.sec_lo_writes VALUES ('written'); RETURN 1; END$$;
CREATE FUNCTION public.sec_lo_hold(stmt text) RETURNS integer
LANGUAGE plpgsql AS $$BEGIN EXECUTE 'DECLARE c CURSOR WITH HOLD FOR ' || stmt; RETURN 1; END$$;

-- alice's large objects that are not export files
CREATE FUNCTION sec_stray_los() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*) FROM pg_largeobject_metadata m WHERE lomowner = 'alice'::regrole
    AND NOT EXISTS (SELECT 1 FROM dataexport.export e WHERE e.file_oid = m.oid)
$$;
SELECT sec_stray_los() AS stray_before \gset

-- alice's other export: its file must come out of all this byte-identical.
SET ROLE alice;
CALL run_export('{"query_type": "Discover", "query_info": {"field": ["id", "message"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT (:'r'::jsonb ->> 'fileOid') AS a_oid, md5(lo_get((:'r'::jsonb ->> 'fileOid')::oid)) AS a_md5 \gset

CALL try_sql_export(format('SELECT lo_unlink(%s)', :a_oid));
CALL try_sql_export(format($q$SELECT lo_put(%s, 0, '\x41')$q$, :a_oid));
CALL try_sql_export($q$SELECT lo_from_bytea(0, '\x41')$q$);
CALL try_sql_export('SELECT lo_create(0)');
CALL try_sql_export('SELECT lo_creat(-1)');
CALL try_sql_export(format($q$SELECT lowrite(lo_open(%s, 131072), '\x41')$q$, :a_oid));
CALL try_sql_export(format('SELECT lo_truncate(lo_open(%s, 131072), 0)', :a_oid));
CALL try_sql_export(format('SELECT lo_truncate64(lo_open(%s, 131072), 0)', :a_oid));
-- the export's own file, found as alice's newest large object
CALL try_sql_export($q$SELECT lo_unlink((SELECT max(oid) FROM pg_largeobject_metadata
    WHERE lomowner = current_user::regrole)) AS gone$q$);
-- through a SQL-language function, PL/pgSQL, a view, a subquery
CALL try_sql_export(format('SELECT public.sec_lo_sql(%s)', :a_oid));
CALL try_sql_export(format('SELECT public.sec_lo_plpgsql(%s)', :a_oid));
CALL try_sql_export('SELECT * FROM public.sec_lo_view');
CALL try_sql_export(format('SELECT (SELECT lo_unlink(%s)) AS x', :a_oid));
-- a WITH HOLD cursor declared by the query would run at the worker's commit,
-- after the guard: it is dropped unrun (no unlink, no table write)
CALL try_sql_export(format($q$SELECT public.sec_lo_hold('SELECT public.sec_lo_plpgsql(%s)') AS held$q$, :a_oid));
CALL try_sql_export($q$SELECT public.sec_lo_hold('SELECT public.sec_lo_write_row()') AS held$q$);
SELECT count(*) AS rows_written_at_commit FROM public.sec_lo_writes;
-- reading stays allowed
CALL try_sql_export(format('SELECT length(lo_get(%s)) > 0 AS readable', :a_oid));
CALL try_sql_export(format('SELECT length(loread(lo_open(%s, 262144), 10)) AS read_10', :a_oid));

SELECT md5(lo_get(:a_oid)) = :'a_md5' AS file_unchanged;
RESET ROLE;
SELECT sec_stray_los() - :stray_before AS new_large_objects;

-- A superuser's SQL export cannot import a server file into a large object.
SELECT count(*) AS all_los FROM pg_largeobject_metadata \gset
CALL try_sql_export($q$SELECT lo_import('/dev/null')$q$);
SELECT count(*) - :all_los AS new_large_objects FROM pg_largeobject_metadata;

-- Outside exports the functions work as before (the guard is the worker's).
SELECT lo_unlink(lo_from_bytea(0, '\x41')) AS plain_session_unaffected;

DROP VIEW public.sec_lo_view;
DROP FUNCTION public.sec_lo_sql(oid), public.sec_lo_plpgsql(oid), sec_stray_los(),
    public.sec_lo_write_row(), public.sec_lo_hold(text);
DROP TABLE public.sec_lo_writes;
ALTER ROLE alice RESET dataexport.sql_role;
RESET dataexport.sql_role;
