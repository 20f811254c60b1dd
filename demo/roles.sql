-- Roles of the sample: alice is a member of acme's two projects, bob of
-- globex's one.  Neither is a superuser.
CREATE ROLE alice LOGIN;
CREATE ROLE bob LOGIN;
INSERT INTO app.project_members VALUES (1, 'alice'), (2, 'alice'), (3, 'bob');
GRANT USAGE ON SCHEMA app TO alice, bob;
GRANT SELECT ON app.organizations, app.projects, app.events, app.project_members TO alice, bob;
