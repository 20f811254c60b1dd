-- The dedupe key is a hex SHA-256 (MD5, which it was, fails on FIPS builds).
-- Identical requests still share one key (dedupe.sql checks the outcome).
SET ROLE alice;
SELECT dataexport_create('{"query_type": "Discover", "query_info": {"field": ["id"],
    "query": "", "start": "2026-10-01", "end": "2026-12-01", "sort": "id"}}') ->> 'id' AS k_id \gset
RESET ROLE;
SELECT length(dedupe_key) AS key_length, dedupe_key ~ '^[0-9a-f]{64}$' AS hex_sha256
FROM dataexport.export WHERE id = :k_id;
SELECT dataexport_wait(:k_id, '60 s') ->> 'state' AS state;
