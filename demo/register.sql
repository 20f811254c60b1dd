-- Tell dataexport where the projects and the events are, and who may export.
SELECT dataexport_register_projects('app.projects', 'id', 'organization_id');
SELECT dataexport_register_dataset('discover', 'app.events',
    '{"project": "project_id", "timestamp": "timestamp", "environment": "environment",
      "group": "group_id", "tags": "tags", "message": "message", "user": "user"}');
-- (dataexport_wait without its argument types: its signature grew in 0.2)
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint),
    dataexport_cancel(bigint), dataexport_wait, dataexport_list(),
    dataexport_progress()
    TO alice, bob;
-- The dry run (0.2) goes with create.
DO $$
BEGIN
    IF to_regprocedure('dataexport_explain(jsonb)') IS NOT NULL THEN
        GRANT EXECUTE ON FUNCTION dataexport_explain(jsonb) TO alice, bob;
    END IF;
END
$$;
