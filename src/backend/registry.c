/*
 * registry.c
 *	  dataexport_register_projects / dataexport_register_dataset, and the
 *	  reading of what they stored.  Registration is the DBA's: superusers or
 *	  members of the extension owner.  Every named column is checked against
 *	  the catalog when it is registered and looked up again when used, so a
 *	  renamed or dropped column fails cleanly instead of reaching SQL.
 *	  Also the create-time checks that a dataset has the rows a request
 *	  names (environments, an issue, a tag key), run as the caller with
 *	  search_path pinned.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "extversion.h"
#include "spi_owner.h"
#include "jsonb_dom.h"
#include "registry.h"
#include "de_shmem.h"
#include "sqlcheck.h"

PG_FUNCTION_INFO_V1(dataexport_register_projects);
PG_FUNCTION_INFO_V1(dataexport_register_dataset);

static const char *const dataset_roles[] = {
	"project", "timestamp", "environment", "group", "tags", "message", "user",
	"issue", "short_id"
};

const char *
de_quote_ident(const char *ident)
{
	return quote_identifier(ident);
}

static void
de_require_registrar(const char *what)
{
	Oid			owner = de_extension_owner();

	if (!superuser() && !has_privs_of_role(GetUserId(), owner))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to register %s", what),
				 errdetail("Only superusers and members of the extension owner \"%s\" may register the application's schema.",
						   GetUserNameFromId(owner, false))));
}

static char *
relation_quoted_name(Oid relid)
{
	char	   *relname = get_rel_name(relid);

	if (relname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("A registered relation was dropped; register it again.")));
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  relname);
}

/* The column's type, raising a clear error when it does not exist. */
static Oid
column_type(Oid relid, const char *column)
{
	AttrNumber	attnum = get_attnum(relid, column);

	if (attnum == InvalidAttrNumber || attnum < 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("column \"%s\" of relation \"%s\" does not exist",
						column, get_rel_name(relid))));
	return get_atttype(relid, attnum);
}

static void
require_relation_kind(Oid relid)
{
	char		kind = get_rel_relkind(relid);

	if (kind != RELKIND_RELATION && kind != RELKIND_VIEW &&
		kind != RELKIND_MATVIEW && kind != RELKIND_PARTITIONED_TABLE &&
		kind != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table or view", get_rel_name(relid))));
}

/* Runs a registration upsert (nparams text parameters) as the owner. */
static void
store_registration(const char *sql, int nparams, const char *const *params)
{
	DeUserSwitch sw;

	SPI_connect();
	de_become_owner(&sw);
	de_spi_exec(sql, nparams, params, false);
	de_restore_user(&sw);
	SPI_finish();
}

/*
 * relation, id_column, organization_column and, from 0.2 on, slug_column
 * (Sentry's project slug, what Discover's "project" field gives).  Called
 * through the 0.1 definition (three arguments) it stores what 0.1 stored.
 */
Datum
dataexport_register_projects(PG_FUNCTION_ARGS)
{
	Oid			relid;
	char	   *id_column;
	char	   *org_column = NULL;
	char	   *slug_column = NULL;
	char		relid_text[16];
	const char *params[4];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("relation and id_column must not be null")));
	de_require_registrar("the projects relation");

	relid = PG_GETARG_OID(0);
	id_column = NameStr(*PG_GETARG_NAME(1));
	if (!PG_ARGISNULL(2))
		org_column = NameStr(*PG_GETARG_NAME(2));
	if (PG_NARGS() > 3 && !PG_ARGISNULL(3))
		slug_column = NameStr(*PG_GETARG_NAME(3));

	require_relation_kind(relid);
	(void) column_type(relid, id_column);
	if (org_column)
		(void) column_type(relid, org_column);
	if (slug_column)
		(void) column_type(relid, slug_column);

	snprintf(relid_text, sizeof(relid_text), "%u", relid);
	params[0] = relid_text;
	params[1] = id_column;
	params[2] = org_column;
	params[3] = slug_column;

	if (PG_NARGS() <= 3 || de_schema_minor() < 2)
	{
		/* the 0.1 definition: a 0.2 schema keeps its slug column NULL */
		store_registration("INSERT INTO dataexport.projects (relation, id_column, organization_column) "
						   "VALUES ($1::oid::regclass, $2::name, $3::name) "
						   "ON CONFLICT (singleton) DO UPDATE SET relation = excluded.relation, "
						   "id_column = excluded.id_column, "
						   "organization_column = excluded.organization_column",
						   3, params);
		PG_RETURN_VOID();
	}
	store_registration("INSERT INTO dataexport.projects (relation, id_column, organization_column, slug_column) "
					   "VALUES ($1::oid::regclass, $2::name, $3::name, $4::name) "
					   "ON CONFLICT (singleton) DO UPDATE SET relation = excluded.relation, "
					   "id_column = excluded.id_column, "
					   "organization_column = excluded.organization_column, "
					   "slug_column = excluded.slug_column",
					   4, params);
	PG_RETURN_VOID();
}

static bool
is_dataset_role(const char *key)
{
	for (size_t i = 0; i < lengthof(dataset_roles); i++)
		if (strcmp(dataset_roles[i], key) == 0)
			return true;
	return false;
}

static void
check_dataset_role_type(const char *role, const char *column, Oid type)
{
	bool		ok = true;
	const char *expected = NULL;

	if (strcmp(role, "timestamp") == 0)
	{
		ok = (type == TIMESTAMPTZOID || type == TIMESTAMPOID || type == DATEOID);
		expected = "timestamptz, timestamp or date";
	}
	else if (strcmp(role, "tags") == 0 || strcmp(role, "user") == 0)
	{
		ok = (type == JSONBOID);
		expected = "jsonb";
	}
	else if (strcmp(role, "issue") == 0)
	{
		char		category;
		bool		preferred;

		get_type_category_preferred(getBaseType(type), &category, &preferred);
		ok = (category == TYPCATEGORY_STRING);
		expected = "text, varchar or another string type";
	}
	else if (strcmp(role, "short_id") == 0)
	{
		Oid			base = getBaseType(type);

		ok = (base == INT2OID || base == INT4OID || base == INT8OID);
		expected = "smallint, integer or bigint";
	}
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("column \"%s\" for \"%s\" has type %s", column, role,
						format_type_be(type)),
				 errdetail("The \"%s\" column must be of type %s.", role, expected)));
}

Datum
dataexport_register_dataset(PG_FUNCTION_ARGS)
{
	char	   *name;
	Oid			relid;
	Jsonb	   *columns;
	DjValue    *map;
	char	   *json_text;
	char		relid_text[16];
	const char *params[3];

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("name, relation and columns must not be null")));
	de_require_registrar("datasets");
	name = text_to_cstring(PG_GETARG_TEXT_PP(0));
	relid = PG_GETARG_OID(1);
	columns = PG_GETARG_JSONB_P(2);
	require_relation_kind(relid);

	if (name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dataset name must not be empty")));

	map = de_dom_from_jsonb(columns);
	/* stored as given: the parameters of de_spi_exec are text */
	json_text = de_jsonb_to_cstring(columns);
	if (map == NULL || map->type != DJ_OBJECT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("columns must be a JSON object mapping roles to column names"),
				 errhint("For example {\"project\": \"project_id\", \"timestamp\": \"created_at\"}.")));
	for (size_t i = 0; i < map->count; i++)
	{
		const char *role = map->keys[i];
		DjValue    *col = map->items[i];

		if (!is_dataset_role(role))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown dataset column role \"%s\"", role),
					 errhint("Roles are project, timestamp, environment, group, tags, message, user, issue and short_id.")));
		if (col->type != DJ_STRING)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the column for \"%s\" must be given as a string", role)));
		check_dataset_role_type(role, col->str, column_type(relid, col->str));
	}
	if (dj_get(map, "project") == NULL || dj_get(map, "timestamp") == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a dataset needs a \"project\" and a \"timestamp\" column")));
	if (dj_get(map, "issue") != NULL && dj_get(map, "short_id") != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a dataset maps either \"issue\" or \"short_id\", not both"),
				 errdetail("\"issue\" is a column holding the qualified short id (ACME-WEB-1A); \"short_id\" one holding its number, from which the short id is built with the project's slug.")));

	snprintf(relid_text, sizeof(relid_text), "%u", relid);
	params[0] = name;
	params[1] = relid_text;
	params[2] = json_text;

	store_registration("INSERT INTO dataexport.datasets (name, relation, columns) "
					   "VALUES ($1, $2::oid::regclass, $3::jsonb) "
					   "ON CONFLICT (name) DO UPDATE SET relation = excluded.relation, "
					   "columns = excluded.columns",
					   3, params);
	PG_RETURN_VOID();
}

void
de_load_projects(DeProjects *out)
{
	DeUserSwitch sw;
	uint64		n;

	de_become_owner(&sw);
	/* slug_column is 0.2's */
	n = de_spi_exec_kept(de_schema_minor() >= 2 ?
					"SELECT relation::oid, id_column, organization_column, slug_column "
					"FROM dataexport.projects" :
					"SELECT relation::oid, id_column, organization_column, NULL::name "
					"FROM dataexport.projects", 0, NULL, false);
	de_restore_user(&sw);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no projects relation is registered"),
				 errhint("Call dataexport_register_projects('app.projects', 'id', 'organization_id').")));
	out->relid = (Oid) strtoul(de_spi_text(0, 1), NULL, 10);
	out->id_column = pstrdup(de_spi_text(0, 2));
	out->organization_column = de_spi_text(0, 3);
	if (out->organization_column)
		out->organization_column = pstrdup(out->organization_column);
	out->slug_column = de_spi_text(0, 4);
	if (out->slug_column)
		out->slug_column = pstrdup(out->slug_column);
	out->relation = relation_quoted_name(out->relid);
}

static DsColumnType
dataset_column_type(Oid type)
{
	char		category;
	bool		preferred;

	switch (type)
	{
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
		case DATEOID:
			return DS_TIMESTAMP;
		case BOOLOID:
			return DS_BOOL;
		case JSONOID:
		case JSONBOID:
			return DS_JSON;
		default:
			break;
	}
	get_type_category_preferred(getBaseType(type), &category, &preferred);
	if (category == TYPCATEGORY_NUMERIC)
		return DS_NUMBER;
	if (category == TYPCATEGORY_STRING)
		return DS_TEXT;
	return DS_OTHER;
}

static void
load_dataset_columns(Oid relid, Dataset *ds)
{
	Relation	rel = relation_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);

	ds->columns = palloc0(sizeof(DsColumn) * Max(desc->natts, 1));
	ds->ncolumns = 0;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		ds->columns[ds->ncolumns].name = pstrdup(NameStr(att->attname));
		ds->columns[ds->ncolumns].type = dataset_column_type(att->atttypid);
		ds->columns[ds->ncolumns].integer =
			(getBaseType(att->atttypid) == INT2OID ||
			 getBaseType(att->atttypid) == INT4OID ||
			 getBaseType(att->atttypid) == INT8OID);
		ds->ncolumns++;
	}
	relation_close(rel, AccessShareLock);
}

static char *
role_column(DjValue *map, Oid relid, const char *role)
{
	DjValue    *col = dj_get(map, role);

	if (col == NULL || col->type != DJ_STRING)
		return NULL;
	(void) column_type(relid, col->str);
	return pstrdup(col->str);
}

/*
 * The projects relation's slug column, for Discover's "project" field: set
 * on the dataset when one is registered (0.2 schema), read by the query as
 * the user who runs it.
 */
static void
load_project_slugs(Dataset *ds)
{
	DeUserSwitch sw;
	uint64		n;
	Oid			relid;

	if (de_schema_minor() < 2)
		return;
	de_become_owner(&sw);
	n = de_spi_exec("SELECT relation::oid, id_column, slug_column FROM dataexport.projects "
					"WHERE slug_column IS NOT NULL", 0, NULL, false);
	de_restore_user(&sw);
	if (n == 0)
		return;
	relid = (Oid) strtoul(de_spi_text(0, 1), NULL, 10);
	ds->projects_relation = relation_quoted_name(relid);
	ds->projects_id = pstrdup(de_spi_text(0, 2));
	ds->project_slug = pstrdup(de_spi_text(0, 3));
	/* renamed or dropped since registration: a clean error */
	(void) column_type(relid, ds->projects_id);
	(void) column_type(relid, ds->project_slug);
}

bool
de_load_dataset(const char *name, Dataset *out)
{
	DeUserSwitch sw;
	const char *params[1] = {name};
	uint64		n;
	DjValue    *map;

	de_become_owner(&sw);
	n = de_spi_exec_kept("SELECT relation::oid, columns FROM dataexport.datasets "
					"WHERE name = $1", 1, params, false);
	de_restore_user(&sw);
	if (n == 0)
		return false;

	memset(out, 0, sizeof(*out));
	out->name = pstrdup(name);
	{
		Oid			relid = (Oid) strtoul(de_spi_text(0, 1), NULL, 10);

		map = de_spi_dom(0, 2);
		if (map == NULL)
			elog(ERROR, "corrupt dataset registration for \"%s\"", name);
		out->relation = relation_quoted_name(relid);
		load_dataset_columns(relid, out);
		out->project = role_column(map, relid, "project");
		out->timestamp = role_column(map, relid, "timestamp");
		out->environment = role_column(map, relid, "environment");
		out->group = role_column(map, relid, "group");
		out->tags = role_column(map, relid, "tags");
		out->message = role_column(map, relid, "message");
		out->user = role_column(map, relid, "user");
		out->issue = role_column(map, relid, "issue");
		out->short_id = role_column(map, relid, "short_id");
	}
	load_project_slugs(out);
	return true;
}

int64 *
de_visible_projects(const DeProjects *pr, const int64 *ids, int n,
					bool has_org, int64 org, int *nout)
{
	StringInfoData sql;
	StringInfoData arr;
	char		orgtext[32];
	const char *params[2];
	int			nparams = 0;
	uint64		rows;
	int64	   *result;

	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT DISTINCT p.%s::bigint FROM %s AS p WHERE true",
					 quote_identifier(pr->id_column), pr->relation);
	if (n > 0)
	{
		initStringInfo(&arr);
		appendStringInfoChar(&arr, '{');
		for (int i = 0; i < n; i++)
			appendStringInfo(&arr, "%s" INT64_FORMAT, i ? "," : "", ids[i]);
		appendStringInfoChar(&arr, '}');
		params[nparams++] = arr.data;
		appendStringInfo(&sql, " AND p.%s OPERATOR(pg_catalog.=) ANY($%d::bigint[])",
						 quote_identifier(pr->id_column), nparams);
	}
	if (has_org && pr->organization_column)
	{
		snprintf(orgtext, sizeof(orgtext), INT64_FORMAT, org);
		params[nparams++] = orgtext;
		appendStringInfo(&sql, " AND p.%s OPERATOR(pg_catalog.=) $%d::bigint",
						 quote_identifier(pr->organization_column), nparams);
	}
	appendStringInfoString(&sql, " ORDER BY 1");

	/* as the caller: their grants and row-level security decide; their
	 * search_path does not */
	rows = de_spi_exec_pinned(sql.data, nparams, params);
	result = palloc(sizeof(int64) * Max(rows, 1));
	for (uint64 i = 0; i < rows; i++)
	{
		bool		isnull;

		result[i] = de_spi_int8((int) i, 1, &isnull);
	}
	*nout = (int) rows;
	return result;
}

/* ---- create-time checks on a dataset's rows (run as the caller) ---- */

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Duplicates in a request must not make a check fail. */
static int
count_distinct_strings(char **values, int n)
{
	char	  **sorted;
	int			distinct = 0;

	if (n <= 0)
		return 0;
	sorted = palloc(sizeof(char *) * n);
	memcpy(sorted, values, sizeof(char *) * n);
	qsort(sorted, n, sizeof(char *), cmp_cstring);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		distinct += (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0);
	}
	pfree(sorted);
	return distinct;
}

/* Every named environment occurs in the dataset (as the caller sees it);
 * true when none is named. */
bool
de_dataset_has_environments(const Dataset *ds, char **envs, int n)
{
	StringInfoData sql;
	uint64		found;
	bool		isnull;

	if (n == 0)
		return true;
	if (ds->environment == NULL)
		return false;
	initStringInfo(&sql);
	appendStringInfo(&sql, "SELECT count(DISTINCT d.%s) FROM %s AS d "
					 "WHERE d.%s OPERATOR(pg_catalog.=) ANY (ARRAY[",
					 quote_identifier(ds->environment), ds->relation,
					 quote_identifier(ds->environment));
	for (int i = 0; i < n; i++)
		appendStringInfo(&sql, "%s$%d", i ? ", " : "", i + 1);
	appendStringInfoString(&sql, "])");
	de_spi_exec_pinned(sql.data, n, (const char *const *) envs);
	found = (uint64) de_spi_int8(0, 1, &isnull);
	return found == (uint64) count_distinct_strings(envs, n);
}

/* SELECT 1 FROM dataset WHERE <condition> LIMIT 1, as the caller (with
 * search_path pinned). */
static bool
dataset_has_row(const Dataset *ds, const char *condition, int nparams,
				const char **params)
{
	char	   *sql = psprintf("SELECT 1 FROM %s AS d WHERE %s LIMIT 1",
							   ds->relation, condition);

	return de_spi_exec_pinned(sql, nparams, params) > 0;
}

/* The issue (project and group) has a row in the dataset, as the caller. */
bool
de_dataset_has_issue(const Dataset *ds, int64 project, int64 group)
{
	const char *params[2];

	params[0] = psprintf(INT64_FORMAT, project);
	params[1] = psprintf(INT64_FORMAT, group);
	return dataset_has_row(ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
										"d.%s OPERATOR(pg_catalog.=) $2::bigint",
										quote_identifier(ds->project),
										quote_identifier(ds->group)), 2, params);
}

/* The issue has a row with the tag key, as the caller: "user" is the user
 * column when the dataset has one, any other key one of the tags. */
bool
de_dataset_issue_has_key(const Dataset *ds, int64 project, int64 group,
						 const char *key)
{
	const char *params[3];

	params[0] = psprintf(INT64_FORMAT, project);
	params[1] = psprintf(INT64_FORMAT, group);
	params[2] = key;
	if (strcmp(key, "user") == 0 && ds->user != NULL)
		return dataset_has_row(ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
											"d.%s OPERATOR(pg_catalog.=) $2::bigint AND d.%s IS NOT NULL",
											quote_identifier(ds->project),
											quote_identifier(ds->group),
											quote_identifier(ds->user)), 2, params);
	return dataset_has_row(ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
										"d.%s OPERATOR(pg_catalog.=) $2::bigint AND "
										"d.%s OPERATOR(pg_catalog.?) $3",
										quote_identifier(ds->project),
										quote_identifier(ds->group),
										quote_identifier(ds->tags)), 3, params);
}
