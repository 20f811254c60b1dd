/* dataexport 0.1 -> 0.2 */
\echo Use "ALTER EXTENSION dataexport UPDATE TO '0.2'" to load this file. \quit

-- There is no full dataexport--0.2.sql: CREATE EXTENSION dataexport runs
-- dataexport--0.1.sql and then this script, so a fresh install and an
-- updated one are built by the same statements (test/t/060_upgrade.pl
-- compares their catalogs).  dataexport--0.1.sql is frozen: every schema
-- change from 0.2 on goes here, into the section of the issue it belongs to.
--
-- The shared library serves both versions: until this script has run it
-- works on the 0.1 objects and refuses the 0.2 features (extversion.c).

-- ---- 0.2: formats and compressions (zstd, parquet) ----
ALTER TABLE dataexport.export DROP CONSTRAINT export_format_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_format_check
    CHECK (format IN ('csv', 'jsonl', 'parquet'));
ALTER TABLE dataexport.export DROP CONSTRAINT export_compression_check;
ALTER TABLE dataexport.export ADD CONSTRAINT export_compression_check
    CHECK (compression IN ('none', 'gzip', 'zstd'));

-- ---- 0.2: performance (issue 8) ----

-- ---- 0.2: Sentry fidelity, query builder (issue 9) ----
-- The projects' slug column: Discover's "project" and "project.name" fields
-- give the slug (Sentry's), "project.id" the id.
ALTER TABLE dataexport.projects ADD COLUMN slug_column name;
DROP FUNCTION @extschema@.dataexport_register_projects(regclass, name, name);
CREATE FUNCTION @extschema@.dataexport_register_projects(
    relation regclass, id_column name DEFAULT 'id', organization_column name DEFAULT NULL,
    slug_column name DEFAULT NULL)
RETURNS void
AS 'MODULE_PATHNAME', 'dataexport_register_projects' LANGUAGE C VOLATILE;
REVOKE ALL ON FUNCTION @extschema@.dataexport_register_projects(regclass, name, name, name)
    FROM PUBLIC;

-- ---- 0.2: Sentry fidelity, checks and records (issue 9) ----

-- ---- 0.2: explain, progress (issue 10) ----

-- ---- 0.2: parquet (issue 10) ----

-- ---- 0.2: statistics (issue 10) ----

-- ---- 0.2: comments (issue 10) ----
