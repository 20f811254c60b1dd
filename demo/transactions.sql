-- A bigger dataset for the progress demo: 1.2 million transactions (Sentry's
-- "transactions" dataset: one row per request, with its duration), spread
-- over the three projects; alice sees the 800,000 of projects 1 and 2.
CREATE TABLE app.transactions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES app.projects,
    "timestamp" timestamptz NOT NULL,
    transaction text NOT NULL,
    duration    double precision NOT NULL
);
INSERT INTO app.transactions (project_id, "timestamp", transaction, duration)
SELECT 1 + g % 3, timestamptz '2026-11-01' + g * interval '2 s',
       (ARRAY['GET /api/issues', 'POST /api/events', 'GET /api/projects', 'GET /'])[1 + g % 4],
       20 + (g::bigint * 7919) % 4800 / 10.0
FROM generate_series(1, 1200000) AS g;
ANALYZE app.transactions;
GRANT SELECT ON app.transactions TO alice, bob;
SELECT dataexport_register_dataset('transactions', 'app.transactions',
    '{"project": "project_id", "timestamp": "timestamp"}');
