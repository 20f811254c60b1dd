/*
 * validate.c
 *	  The checks dataexport_create runs on a normalized request (payload.c)
 *	  before it is queued: the caller can log in (the worker connects as it),
 *	  sees every requested project, the dataset and its fields, search and
 *	  sort build a query, the named environments, issue and tag key exist,
 *	  and a SQL export passes its role gate and statement check.
 *
 * Checks that concern the user's data run as the caller, so grants and
 * row-level security decide; their SQL is registry.c's (datasets) and
 * sqlcheck.c's (SQL exports).  Sentry's own texts (SPEC §2) go through
 * errmsg_internal: fixed English the application matches.  No shared
 * memory is touched, so no lock is taken.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "miscadmin.h"
#include "utils/syscache.h"

#include "dataexport.h"
#include "extversion.h"
#include "payload.h"
#include "registry.h"
#include "runquery.h"
#include "sqlcheck.h"
#include "validate.h"

#define NO_PERMISSION_MSG "You do not have permission to perform this action."

static void
raise_invalid(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg_internal("%s", message)));
}

/* The worker connects as the caller, which a role without LOGIN cannot. */
void
de_require_login_role(void)
{
	Oid			role = GetUserId();
	HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(role));
	bool		canlogin;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for role %u", role);
	canlogin = ((Form_pg_authid) GETSTRUCT(tup))->rolcanlogin;
	ReleaseSysCache(tup);
	if (!canlogin)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("role \"%s\" cannot run data exports",
						GetUserNameFromId(role, false)),
				 errdetail("Exports run in a background worker that connects as the requesting role, and this role does not have the LOGIN attribute."),
				 errhint("Create the export as a role that can log in.")));
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

/* Sorts ids and drops duplicates; returns the new count.  Sorting, not
 * pairwise comparison: n is the user's to choose. */
int
de_sort_distinct(int64 *ids, int n)
{
	int			out = 0;

	if (n <= 0)
		return 0;
	qsort(ids, n, sizeof(int64), cmp_int64);
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (out == 0 || ids[out - 1] != ids[i])
			ids[out++] = ids[i];
	}
	return out;
}

/* Every id of need (any order, duplicates allowed) is in have (sorted,
 * distinct): sets are compared, never counts. */
bool
de_ids_all_in(const int64 *need, int nneed, const int64 *have, int nhave)
{
	for (int i = 0; i < nneed; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (bsearch(&need[i], have, nhave, sizeof(int64), cmp_int64) == NULL)
			return false;
	}
	return true;
}

/* Every named environment occurs in the dataset (as the caller sees it). */
static void
check_environments(const Dataset *ds, char **envs, int n)
{
	if (!de_dataset_has_environments(ds, envs, n))
		raise_invalid("Requested environment does not exist");
}

static DeQuerySpec
spec_for(const ExportRequest *req)
{
	DeQuerySpec spec;

	memset(&spec, 0, sizeof(spec));
	spec.query_type = export_query_type_name(req->type);
	spec.info = req->info;
	spec.environments = req->environments;
	spec.nenvironments = req->nenvironments;
	spec.row_limit = req->has_limit ? req->limit : 0;
	spec.now = de_time_from_timestamptz(GetCurrentTransactionStartTimestamp());
	return spec;
}

/*
 * The projects of the request that the caller sees (its default projects
 * when it lists none), sorted and distinct.  42501 unless every listed
 * project is visible and there is at least one, as Sentry's create endpoint
 * (_get_projects_by_id: PermissionDenied) for Discover and Issues-by-Tag.
 */
static int64 *
visible_requested_projects(ExportRequest *req, int *nvisible)
{
	DeProjects	pr;
	int64	   *visible;

	de_load_projects(&pr);
	visible = de_visible_projects(&pr, req->projects, req->nprojects,
								  req->has_organization, req->organization, nvisible);
	*nvisible = de_sort_distinct(visible, *nvisible);
	if ((req->nprojects > 0 &&
		 !de_ids_all_in(req->projects, req->nprojects, visible, *nvisible)) ||
		*nvisible == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_internal(NO_PERMISSION_MSG)));
	return visible;
}

static void
validate_discover(ExportRequest *req)
{
	int			nvisible;
	int64	   *visible;
	Dataset		ds;
	DeQuerySpec spec;
	BuiltQuery	bq;

	visible = visible_requested_projects(req, &nvisible);
	payload_set_projects(req, visible, nvisible);

	de_export_dataset(req->info, &ds);
	spec = spec_for(req);
	spec.ds = &ds;
	/* fields and search as payload_normalize parsed them: not again */
	spec.items = req->items;
	spec.search_parsed = true;
	spec.search = req->search;
	de_build_export_query(&spec, &bq);	/* fields, search and sort */
	check_environments(&ds, req->info_environments, req->ninfo_environments);
	check_environments(&ds, req->environments, req->nenvironments);
}

static void
validate_issues_by_tag(ExportRequest *req)
{
	int			nvisible;
	Dataset		ds;
	DeQuerySpec spec;
	BuiltQuery	bq;

	/*
	 * Every listed project, as Discover, though only the first is exported:
	 * an export naming a project the caller cannot see would be one that
	 * details then refuses.  The list (never empty here) keeps its order.
	 */
	(void) visible_requested_projects(req, &nvisible);

	de_export_dataset(req->info, &ds);
	spec = spec_for(req);
	spec.ds = &ds;
	de_build_export_query(&spec, &bq);	/* dataset columns it needs */

	if (!de_dataset_has_issue(&ds, req->projects[0], req->group))
		raise_invalid("Requested issue does not exist");
	if (!de_dataset_issue_has_key(&ds, req->projects[0], req->group, req->key))
		raise_invalid("Requested key does not exist");
	check_environments(&ds, req->environments, req->nenvironments);
}

/* SPEC §4.4: the role gate, one read-only statement, valid as the caller;
 * the worker checks the same again before it runs the text (sqlcheck.c). */
static void
validate_sql(ExportRequest *req)
{
	de_require_sql_role(false);
	de_check_sql_export(req->sql, true);
}

/* The checks of the request's export type; inside SPI. */
void
de_validate_request(ExportRequest *req)
{
	/* the 0.1 schema's CHECK constraint admits none and gzip only */
	if (req->compression == DE_COMPRESSION_ZSTD)
		de_require_schema(2, "zstd compression");
	/* the 0.1 schema's CHECK constraint knows no parquet */
	if (req->format == DE_FORMAT_PARQUET)
		de_require_schema(2, "\"format\": \"parquet\"");
	switch (req->type)
	{
		case EQT_DISCOVER:
			validate_discover(req);
			break;
		case EQT_ISSUES_BY_TAG:
			validate_issues_by_tag(req);
			break;
		case EQT_SQL:
			validate_sql(req);
			break;
	}
}
