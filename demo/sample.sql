-- A small Sentry-like schema: organizations, projects, members, events with
-- tags and users, and row-level security that shows each role only the
-- projects it is a member of.  Used by the README demo and the tests.
CREATE SCHEMA app;

CREATE TABLE app.organizations (
    id   bigint PRIMARY KEY,
    slug text NOT NULL
);

CREATE TABLE app.projects (
    id              bigint PRIMARY KEY,
    organization_id bigint NOT NULL REFERENCES app.organizations,
    slug            text NOT NULL
);

CREATE TABLE app.project_members (
    project_id bigint NOT NULL REFERENCES app.projects,
    role_name  name NOT NULL,
    PRIMARY KEY (project_id, role_name)
);

CREATE TABLE app.events (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id  bigint NOT NULL REFERENCES app.projects,
    group_id    bigint NOT NULL,
    "timestamp" timestamptz NOT NULL,
    environment text,
    level       text NOT NULL DEFAULT 'error',
    message     text,
    duration    numeric,
    handled     boolean,
    tags        jsonb NOT NULL DEFAULT '{}',
    "user"      jsonb
);
CREATE INDEX ON app.events (project_id, "timestamp");

INSERT INTO app.organizations VALUES (1, 'acme'), (2, 'globex');
INSERT INTO app.projects VALUES (1, 1, 'backend'), (2, 1, 'frontend'), (3, 2, 'globex-api');

INSERT INTO app.events (project_id, group_id, "timestamp", environment, level, message, duration, handled, tags, "user") VALUES
 (1, 100, '2026-11-20 10:00:00+00', 'prod',    'error',   'ZeroDivisionError: division by zero', 12.5, false,
  '{"browser": "Chrome", "os": "Linux", "release": "1.0"}', '{"id": "1", "email": "ann@example.com", "username": "ann", "ip_address": "10.0.0.1"}'),
 (1, 100, '2026-11-20 11:30:00.25+00', 'prod', 'error',   'ZeroDivisionError: division by zero', 7, false,
  '{"browser": "Firefox", "os": "Linux", "release": "1.0"}', '{"id": "2", "email": "ben@example.com", "username": "ben", "ip_address": "10.0.0.2"}'),
 (1, 100, '2026-11-21 09:15:00+00', 'staging', 'error',   'ZeroDivisionError: division by zero', 3.25, true,
  '{"browser": "Chrome", "os": "macOS", "release": "1.1"}', '{"id": "1", "email": "ann@example.com", "username": "ann", "ip_address": "10.0.0.1"}'),
 (1, 101, '2026-11-22 08:00:00+00', 'prod',    'warning', 'Slow query, "users" table', 1500, true,
  '{"browser": "Safari", "os": "iOS", "release": "1.1"}', NULL),
 (2, 200, '2026-11-23 12:00:00+00', 'prod',    'error',   E'TypeError: undefined, is not a function\r\nat main.js:1', 0.5, false,
  '{"browser": "Chrome", "os": "Windows", "release": "2.0"}', '{"id": "3", "email": "cat@example.com", "username": "cat", "ip_address": "10.0.0.3"}'),
 (2, 200, '2026-11-24 13:45:00+00', NULL,      'error',   'Ünïcödé – message ✓', NULL, NULL,
  '{"browser": "Edge", "release": "2.0"}', NULL),
 (3, 300, '2026-11-25 07:00:00+00', 'prod',    'fatal',   'globex secret failure', 99, false,
  '{"browser": "Chrome", "os": "Linux"}', '{"id": "9", "email": "boss@globex.example", "username": "boss", "ip_address": "10.9.9.9"}');

-- Row-level security: a role sees the projects, and the events, of the
-- projects it is a member of.
ALTER TABLE app.projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY member_projects ON app.projects
    USING (EXISTS (SELECT 1 FROM app.project_members m
                   WHERE m.project_id = projects.id AND m.role_name = current_user));
CREATE POLICY member_events ON app.events
    USING (EXISTS (SELECT 1 FROM app.project_members m
                   WHERE m.project_id = events.project_id AND m.role_name = current_user));
