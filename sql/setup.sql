-- The sample application schema, its roles and registration, plus a table
-- of awkward values for byte-exact output tests.
\set ECHO none
\set QUIET on
\i demo/sample.sql
\i demo/roles.sql
\i demo/register.sql
\set QUIET off
\set ECHO all

-- carol may log in but was granted nothing; nologin cannot log in.
CREATE EXTENSION pgcrypto;
CREATE ROLE carol LOGIN;
CREATE ROLE nologin NOLOGIN;
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb) TO nologin;
GRANT alice TO nologin;

CREATE TABLE app.samples (
    id          integer PRIMARY KEY,
    project_id  bigint NOT NULL,
    "timestamp" timestamptz NOT NULL,
    label       text,
    amount      numeric,
    ratio       double precision,
    ok          boolean,
    local_ts    timestamp,
    doc         jsonb
);
INSERT INTO app.samples VALUES
 (1, 1, '2026-11-20 10:00:00.123456+00', 'plain', 1.50, 0.25, true, '2026-11-20 10:00:00', '{"a": 1}'),
 (2, 1, '2026-11-20 11:00:00+00', 'comma, inside', -2, 1e-7, false, NULL, '[1, "x"]'),
 (3, 1, '2026-11-20 12:00:00+00', 'say "hi"', NULL, 'NaN', NULL, '2026-01-02 03:04:05.5', 'null'),
 (4, 1, '2026-11-20 13:00:00+00', E'line1\r\nline2', 0, 'Infinity', true, NULL, NULL),
 (5, 1, '2026-11-20 14:00:00+00', E'lf\nonly', 100000000000000000000, -1.5, false, NULL, '{"s": "t\"q"}'),
 (6, 1, '2026-11-20 15:00:00+00', 'Zürich – 東京 ✓', 3.14159, 2, true, NULL, '{}'),
 (7, 1, '2026-11-20 16:00:00+00', '', 7, 7, true, NULL, '"str"'),
 (8, 2, '2026-11-20 17:00:00+00', NULL, NULL, NULL, NULL, NULL, NULL);
GRANT SELECT ON app.samples TO alice, bob;
SELECT dataexport_register_dataset('samples', 'app.samples',
    '{"project": "project_id", "timestamp": "timestamp"}');

-- Shows a file with its line ends made visible, one CSV/JSONL record a row.
CREATE FUNCTION show_file(loid oid) RETURNS SETOF text
LANGUAGE sql AS $$
    SELECT line FROM regexp_split_to_table(
        replace(replace(replace(replace(convert_from(lo_get(loid), 'UTF8'),
            E'\r\n', '<CRLF>' || chr(1)), E'\r', '<CR>'), E'\n', '<LF>' || chr(1)), chr(1), E'\n'),
        E'\n') AS line
    WHERE line <> ''
$$;
GRANT EXECUTE ON FUNCTION show_file(oid) TO PUBLIC;

-- A create whose error is returned as "SQLSTATE: message" instead of raised.
CREATE FUNCTION try_create(payload jsonb) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    detail text;
BEGIN
    RETURN dataexport_create(payload) ->> 'state';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ': ' || SQLERRM || COALESCE(' (' || NULLIF(detail, '') || ')', '');
END
$$;
GRANT EXECUTE ON FUNCTION try_create(jsonb) TO PUBLIC;

-- Creates an export, commits (the worker starts at commit), waits for it;
-- returns the finished record as "r".
CREATE PROCEDURE run_export(payload jsonb, INOUT r jsonb DEFAULT NULL)
LANGUAGE plpgsql AS $$
BEGIN
    r := dataexport_create(payload);
    COMMIT;
    r := dataexport_wait((r ->> 'id')::bigint, '60 s');
END
$$;
GRANT EXECUTE ON PROCEDURE run_export(jsonb, jsonb) TO PUBLIC;

-- lo_get's outcome, with the (run-dependent) OID taken out of the message.
CREATE FUNCTION try_lo_get(loid oid) RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    RETURN 'read ' || length(lo_get(loid)) || ' bytes';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '\d+', 'N');
END
$$;
GRANT EXECUTE ON FUNCTION try_lo_get(oid) TO PUBLIC;
