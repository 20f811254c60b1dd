-- dataexport_list reads every record of the caller in one query on
-- dataexport.export (exports.c), not one query per export: the table is
-- scanned once per call, however many exports the caller has.
SET ROLE alice;
SELECT dataexport_create(format('{"query_type": "Discover", "query_info": {"field": ["id"],
    "query": "", "start": "2026-11-01", "end": "2026-12-01"}, "limit": %s}', n)::jsonb)
    IS NOT NULL AS created
FROM generate_series(1, 3) AS n;
BEGIN;
SELECT seq_scan + COALESCE(idx_scan, 0) AS scans_before
FROM pg_stat_xact_user_tables WHERE schemaname = 'dataexport' AND relname = 'export' \gset
SELECT count(*) >= 3 AS listed FROM dataexport_list();
SELECT seq_scan + COALESCE(idx_scan, 0) - :scans_before AS scans_of_export
FROM pg_stat_xact_user_tables WHERE schemaname = 'dataexport' AND relname = 'export';
COMMIT;
RESET ROLE;
