/*
 * runquery.c
 *	  The SQL of an export, per query type.  Discover goes through the pure
 *	  builder (discover_sql.c), Issues-by-Tag through issues_sql.c; SQL
 *	  exports are the caller's own statement, checked at create time and
 *	  again in the worker (sqlcheck.c).  This file maps the stored request
 *	  onto the builders' structs and raises their errors.
 */
#include "postgres.h"

#include "dataexport.h"
#include "issues_sql.h"
#include "registry.h"
#include "runquery.h"
#include "settings.h"

void
de_raise(const DeError *err)
{
	int			sqlstate;

	switch (err->code)
	{
		case DE_ERR_PERMISSION:
			sqlstate = ERRCODE_INSUFFICIENT_PRIVILEGE;
			break;
		case DE_ERR_UNSUPPORTED:
			sqlstate = ERRCODE_FEATURE_NOT_SUPPORTED;
			break;
		default:
			sqlstate = ERRCODE_INVALID_PARAMETER_VALUE;
			break;
	}
	ereport(ERROR,
			(errcode(sqlstate),
			 errmsg_internal("%s", err->message),
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0,
			 err->hint ? errhint("%s", err->hint) : 0));
	pg_unreachable();
}

/* A string, or a list of strings, as a C array. */
static char **
de_json_string_list(DjValue *v, int *n)
{
	char	  **list;

	*n = 0;
	if (v == NULL || v->type == DJ_NULL)
		return NULL;
	if (v->type == DJ_STRING)
	{
		list = palloc(sizeof(char *));
		list[0] = v->str;
		*n = 1;
		return list;
	}
	if (v->type != DJ_ARRAY)
		return NULL;
	list = palloc(sizeof(char *) * Max(v->count, 1));
	for (size_t i = 0; i < v->count; i++)
		if (v->items[i]->type == DJ_STRING)
			list[(*n)++] = v->items[i]->str;
	return list;
}

static int64 *
json_int_list(DjValue *v, int *n)
{
	int64	   *list;

	*n = 0;
	if (v == NULL || v->type != DJ_ARRAY)
		return NULL;
	list = palloc(sizeof(int64) * Max(v->count, 1));
	for (size_t i = 0; i < v->count; i++)
	{
		int64_t		id;

		if (dj_as_int64(v->items[i], &id))
			list[(*n)++] = id;
	}
	return list;
}

static de_time
info_time(DjValue *info, const char *key)
{
	DjValue    *v = dj_get(info, key);
	de_time		t;

	if (v == NULL || v->type != DJ_STRING || !de_parse_iso8601(v->str, &t))
		elog(ERROR, "normalized export request lacks a valid \"%s\"", key);
	return t;
}

/* The spec's dataset: the one the caller loaded, or loaded now. */
static void
spec_dataset(const DeQuerySpec *spec, Dataset *ds)
{
	if (spec->ds != NULL)
		*ds = *spec->ds;
	else
		de_export_dataset(spec->info, ds);
}

void
de_export_dataset(DjValue *info, Dataset *ds)
{
	DjValue    *name = dj_get(info, "dataset");
	const char *dsname = "discover";

	if (name != NULL && name->type == DJ_STRING)
		dsname = name->str;
	if (!de_load_dataset(dsname, ds))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg_internal("%s is not supported for csv exports", dsname),
				 errhint("Register it with dataexport_register_dataset().")));
}

static void
build_discover(const DeQuerySpec *spec, BuiltQuery *out)
{
	Dataset		ds;
	DiscoverQuery q;
	DjValue    *query;
	DeError		err = {0};

	spec_dataset(spec, &ds);
	memset(&q, 0, sizeof(q));
	q.ds = &ds;
	q.fields = de_json_string_list(dj_get(spec->info, "field"), &q.nfields);
	q.equations = de_json_string_list(dj_get(spec->info, "equations"), &q.nequations);
	query = dj_get(spec->info, "query");
	q.query = (query && query->type == DJ_STRING) ? query->str : "";
	q.sort = de_json_string_list(dj_get(spec->info, "sort"), &q.nsort);
	q.projects = json_int_list(dj_get(spec->info, "project"), &q.nprojects);
	q.start = info_time(spec->info, "start");
	q.end = info_time(spec->info, "end");
	q.environments = de_json_string_list(dj_get(spec->info, "environment"),
										 &q.nenvironments);
	q.row_limit = spec->row_limit;
	q.now = spec->now;
	q.items = spec->items;
	q.search_parsed = spec->search_parsed;
	q.search = spec->search;
	if (!discover_build(&q, de_quote_ident, out, &err))
		de_raise(&err);
}

/* One row per distinct tag value among the issue's events (SPEC §6). */
static void
build_issues_by_tag(const DeQuerySpec *spec, BuiltQuery *out)
{
	Dataset		ds;
	IssuesQuery q;
	int			nprojects;
	int64	   *projects;
	DjValue    *key = dj_get(spec->info, "key");
	DeError		err = {0};

	spec_dataset(spec, &ds);
	memset(&q, 0, sizeof(q));
	q.ds = &ds;
	projects = json_int_list(dj_get(spec->info, "project"), &nprojects);
	if (nprojects < 1 || !dj_as_int64(dj_get(spec->info, "group"), &q.group) ||
		key == NULL || key->type != DJ_STRING)
		elog(ERROR, "normalized Issues-by-Tag request is incomplete");
	q.project = projects[0];
	q.key = key->str;
	q.environments = spec->environments;
	q.nenvironments = spec->nenvironments;
	q.row_limit = spec->row_limit;
	if (!issues_by_tag_build(&q, de_quote_ident, out, &err))
		de_raise(&err);
}

void
de_build_export_query(const DeQuerySpec *spec, BuiltQuery *out)
{
	memset(out, 0, sizeof(*out));
	if (strcmp(spec->query_type, "Discover") == 0)
		build_discover(spec, out);
	else if (strcmp(spec->query_type, "Issues-by-Tag") == 0)
		build_issues_by_tag(spec, out);
	else if (strcmp(spec->query_type, "SQL") == 0)
	{
		DjValue    *sql = dj_get(spec->info, "sql");

		if (sql == NULL || sql->type != DJ_STRING)
			elog(ERROR, "normalized SQL export request lacks \"sql\"");
		out->sql = pstrdup(sql->str);
	}
	else
		elog(ERROR, "unknown export query type \"%s\"", spec->query_type);
}

int64
de_effective_row_limit(int64 requested)
{
	if (requested > 0 && requested < de_max_rows)
		return requested;
	return de_max_rows;
}
