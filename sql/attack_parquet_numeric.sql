-- Parquet and numeric typmods that are no Parquet DECIMAL (precision above
-- 38, a negative scale, a scale above the precision, the same through a
-- domain): the column is written as text.  pq_decimal_column cleared the
-- column's spec when it refused one, so the worker wrote a column without a
-- name and crashed the server (signal 11, every backend restarted), twice
-- per export with the retry.  Reached by any user through a Discover field.
CREATE DOMAIN app.money40 AS numeric(40,2);
CREATE TABLE app.wide_numbers (
    id          integer PRIMARY KEY,
    project_id  bigint NOT NULL,
    "timestamp" timestamptz NOT NULL,
    big         numeric(39,2),
    neg         numeric(5,-2),
    tiny        numeric(2,4),
    dom         app.money40,
    fits        numeric(38,2)
);
INSERT INTO app.wide_numbers VALUES
 (1, 1, '2026-11-20 10:00:00+00', 1234567890123456789012345678901234567.89,
  12300, 0.0012, 1.50, 12.34),
 (2, 1, '2026-11-20 11:00:00+00', NULL, NULL, NULL, NULL, NULL);
GRANT SELECT ON app.wide_numbers TO alice;
SELECT dataexport_register_dataset('wide_numbers', 'app.wide_numbers',
    '{"project": "project_id", "timestamp": "timestamp"}');

SET ROLE alice;
CALL run_export('{"query_type": "Discover", "format": "parquet",
    "query_info": {"dataset": "wide_numbers", "project": [1],
    "field": ["id", "big", "neg", "tiny", "dom", "fits"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01", "sort": "id"}}') \gset
SELECT :'r'::jsonb ->> 'state' AS state, :'r'::jsonb ->> 'error' AS error,
       :'r'::jsonb -> 'rows' AS rows,
       substr(lo_get((:'r'::jsonb ->> 'fileOid')::oid), 1, 4) AS magic;
-- the text of the values is in the file (PLAIN BYTE_ARRAY pages, zstd:
-- so only the column names are looked for, in the footer)
SELECT position(convert_to(c, 'UTF8') IN lo_get((:'r'::jsonb ->> 'fileOid')::oid)) > 0 AS named
FROM unnest(ARRAY['big', 'neg', 'tiny', 'dom', 'fits']) AS c;
RESET ROLE;
