/*
 * runquery.c
 *	  The SQL of an export, per query type.  Discover goes through the pure
 *	  builder (discover_sql.c); Issues-by-Tag is built here; SQL exports are
 *	  the caller's own statement, checked at create time and again in the
 *	  worker (sqlcheck.c).  The SQL built here runs with search_path pinned
 *	  (lo_guard.c) and names pg_catalog's operators explicitly.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"

#include "dataexport.h"
#include "registry.h"
#include "runquery.h"

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
			 err->detail[0] ? errdetail_internal("%s", err->detail) : 0));
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
	if (!discover_build(&q, de_quote_ident, out, &err))
		de_raise(&err);
}

static int
add_param(List **params, const char *value)
{
	*params = lappend(*params, pstrdup(value));
	return list_length(*params);
}

/* One row per distinct tag value among the issue's events (SPEC §6). */
static void
build_issues_by_tag(const DeQuerySpec *spec, BuiltQuery *out)
{
	Dataset		ds;
	StringInfoData sql;
	List	   *params = NIL;
	int			nprojects;
	int64	   *projects;
	DjValue    *key = dj_get(spec->info, "key");
	int64_t		group;
	bool		is_user;
	const char *ts;
	char		buf[32];
	int			p_project,
				p_group,
				p_key = 0;
	static char *plain_headers[] = {"value", "times_seen", "last_seen", "first_seen"};
	static char *user_headers[] = {"value", "id", "email", "username", "ip_address",
	"times_seen", "last_seen", "first_seen"};

	spec_dataset(spec, &ds);
	if (ds.group == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dataset \"%s\" has no \"group\" column", ds.name),
				 errhint("Issues-by-Tag exports need the group (issue id) column registered.")));
	projects = json_int_list(dj_get(spec->info, "project"), &nprojects);
	if (nprojects < 1 || !dj_as_int64(dj_get(spec->info, "group"), &group) ||
		key == NULL || key->type != DJ_STRING)
		elog(ERROR, "normalized Issues-by-Tag request is incomplete");
	is_user = strcmp(key->str, "user") == 0 && ds.user != NULL;
	if (!is_user && ds.tags == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dataset \"%s\" has no \"tags\" column", ds.name)));
	ts = quote_identifier(ds.timestamp);

	snprintf(buf, sizeof(buf), INT64_FORMAT, projects[0]);
	p_project = add_param(&params, buf);
	snprintf(buf, sizeof(buf), INT64_FORMAT, (int64) group);
	p_group = add_param(&params, buf);

	initStringInfo(&sql);
	if (is_user)
	{
		const char *u = quote_identifier(ds.user);

		appendStringInfoString(&sql, "SELECT COALESCE(");
		if (ds.tags)
			appendStringInfo(&sql, "d.%s OPERATOR(pg_catalog.->>) 'user', ", quote_identifier(ds.tags));
		appendStringInfo(&sql,
						 "'id:' || (d.%s OPERATOR(pg_catalog.->>) 'id'), "
						 "'email:' || (d.%s OPERATOR(pg_catalog.->>) 'email'), "
						 "'username:' || (d.%s OPERATOR(pg_catalog.->>) 'username'), "
						 "'ip:' || (d.%s OPERATOR(pg_catalog.->>) 'ip_address')) AS c1, "
						 "max(d.%s OPERATOR(pg_catalog.->>) 'id') AS c2, "
						 "max(d.%s OPERATOR(pg_catalog.->>) 'email') AS c3, "
						 "max(d.%s OPERATOR(pg_catalog.->>) 'username') AS c4, "
						 "max(d.%s OPERATOR(pg_catalog.->>) 'ip_address') AS c5, ",
						 u, u, u, u, u, u, u, u);
	}
	else
	{
		p_key = add_param(&params, key->str);
		appendStringInfo(&sql, "SELECT d.%s OPERATOR(pg_catalog.->>) $%d AS c1, ",
						 quote_identifier(ds.tags), p_key);
	}
	appendStringInfo(&sql,
					 "count(*) AS times_seen, max(d.%s) AS last_seen, min(d.%s) AS first_seen "
					 "FROM %s AS d WHERE d.%s OPERATOR(pg_catalog.=) $%d::bigint "
					 "AND d.%s OPERATOR(pg_catalog.=) $%d::bigint",
					 ts, ts, ds.relation, quote_identifier(ds.project), p_project,
					 quote_identifier(ds.group), p_group);
	if (is_user)
		appendStringInfo(&sql, " AND d.%s IS NOT NULL", quote_identifier(ds.user));
	else
		appendStringInfo(&sql, " AND d.%s OPERATOR(pg_catalog.?) $%d", quote_identifier(ds.tags), p_key);
	if (spec->nenvironments > 0 && ds.environment != NULL)
	{
		appendStringInfo(&sql, " AND d.%s OPERATOR(pg_catalog.=) ANY (ARRAY[",
						 quote_identifier(ds.environment));
		for (int i = 0; i < spec->nenvironments; i++)
			appendStringInfo(&sql, "%s$%d", i ? ", " : "",
							 add_param(&params, spec->environments[i]));
		appendStringInfoString(&sql, "])");
	}
	appendStringInfo(&sql, " GROUP BY 1 ORDER BY min(d.%s) DESC, 1", ts);
	if (spec->row_limit > 0)
	{
		snprintf(buf, sizeof(buf), INT64_FORMAT, spec->row_limit + 1);
		appendStringInfo(&sql, " LIMIT $%d::bigint", add_param(&params, buf));
	}

	out->sql = sql.data;
	out->nparams = list_length(params);
	out->params = palloc(sizeof(char *) * Max(out->nparams, 1));
	for (int i = 0; i < out->nparams; i++)
		out->params[i] = list_nth(params, i);
	out->ncolumns = is_user ? lengthof(user_headers) : lengthof(plain_headers);
	out->headers = is_user ? user_headers : plain_headers;
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
