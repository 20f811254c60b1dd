-- Tell dataexport where the projects and the events are, and who may export.
SELECT dataexport_register_projects('app.projects', 'id', 'organization_id');
SELECT dataexport_register_dataset('discover', 'app.events',
    '{"project": "project_id", "timestamp": "timestamp", "environment": "environment",
      "group": "group_id", "tags": "tags", "message": "message", "user": "user"}');
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint),
    dataexport_cancel(bigint), dataexport_wait(bigint, interval), dataexport_list(),
    dataexport_progress()
    TO alice, bob;
