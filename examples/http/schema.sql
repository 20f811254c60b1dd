-- The reference HTTP service's own schema (examples/http/server.py), loaded
-- by a superuser after demo/sample.sql, demo/roles.sql and demo/register.sql.
--
-- Shared-role model (SPEC 4.1): the service logs in as ONE database role,
-- dataexport_http.  The end user is an application user, not a database
-- role: the service looks the bearer token up in http_example.api_tokens and
-- sets app.user_id for the request's transaction.  dataexport forwards that
-- setting (dataexport.forward_settings) to the worker, reports it as the
-- record's user.id (dataexport.user_id_setting), and treats it as part of the
-- export's owner: one user never sees, dedupes against or downloads another
-- user's export, although both are the same role.  Row-level security reads
-- the same setting, so the worker's query sees only that user's projects.
CREATE ROLE dataexport_http LOGIN;
ALTER ROLE dataexport_http SET dataexport.forward_settings = 'app.user_id';
ALTER ROLE dataexport_http SET dataexport.user_id_setting = 'app.user_id';

CREATE SCHEMA http_example;

-- The application's users (Sentry's user: id, username, email).
CREATE TABLE http_example.users (
    id       text PRIMARY KEY,
    username text NOT NULL,
    email    text
);

-- API tokens: only their SHA-256 (hex) is stored, never the token itself.
CREATE TABLE http_example.api_tokens (
    token_sha256 text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES http_example.users
);

-- Which projects each user is a member of (what app.project_members is for
-- the demo's database roles).
CREATE TABLE http_example.project_members (
    project_id bigint NOT NULL REFERENCES app.projects,
    user_id    text NOT NULL REFERENCES http_example.users,
    PRIMARY KEY (project_id, user_id)
);

-- For the service's role, a project (and its events) is visible iff the
-- user named by app.user_id is a member.  Without the setting nothing is.
CREATE POLICY http_user_projects ON app.projects TO dataexport_http
    USING (EXISTS (SELECT 1 FROM http_example.project_members m
                   WHERE m.project_id = projects.id
                     AND m.user_id = current_setting('app.user_id', true)));
CREATE POLICY http_user_events ON app.events TO dataexport_http
    USING (EXISTS (SELECT 1 FROM http_example.project_members m
                   WHERE m.project_id = events.project_id
                     AND m.user_id = current_setting('app.user_id', true)));

GRANT USAGE ON SCHEMA app, http_example TO dataexport_http;
-- (app.project_members because the demo's own policies read it.)
GRANT SELECT ON app.organizations, app.projects, app.events, app.project_members
    TO dataexport_http;
GRANT SELECT ON http_example.users, http_example.api_tokens,
    http_example.project_members TO dataexport_http;
-- The two endpoints need exactly these two functions (Sentry's
-- OrganizationDataExportPermission).
GRANT EXECUTE ON FUNCTION dataexport_create(jsonb), dataexport_details(bigint)
    TO dataexport_http;

-- Seed: alice and carol are members of acme's projects 1 and 2 (the same
-- organization, so carol shows that one user cannot open another's export
-- although both are the same database role); bob is a member of globex's 3.
-- The tokens are for trying the example; a real application issues random ones.
INSERT INTO http_example.users VALUES
    ('1001', 'alice', 'alice@example.com'),
    ('1002', 'bob', 'bob@example.com'),
    ('1003', 'carol', 'carol@example.com');
INSERT INTO http_example.api_tokens VALUES
    (encode(sha256('alice-token'), 'hex'), '1001'),
    (encode(sha256('bob-token'), 'hex'), '1002'),
    (encode(sha256('carol-token'), 'hex'), '1003');
INSERT INTO http_example.project_members VALUES
    (1, '1001'), (2, '1001'), (3, '1002'), (1, '1003'), (2, '1003');
