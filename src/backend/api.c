/*
 * api.c
 *	  The SQL-callable functions of SPEC §2: create, details, cancel, wait,
 *	  cleanup, list and progress.
 *
 * Checks that concern the user's data (projects, datasets, environments,
 * Issues-by-Tag lookups, a SQL export's statement) run as the caller, so
 * their grants and row-level security decide; bookkeeping is read and
 * written as the extension owner (exports.c).
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_largeobject.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "spi_owner.h"
#include "dataexport.h"
#include "exports.h"
#include "settings.h"
#include "jsonb_dom.h"
#include "payload.h"
#include "queue.h"
#include "registry.h"
#include "runquery.h"
#include "de_shmem.h"
#include "sqlcheck.h"

PG_FUNCTION_INFO_V1(dataexport_check_preloaded);
PG_FUNCTION_INFO_V1(dataexport_create);
PG_FUNCTION_INFO_V1(dataexport_details);
PG_FUNCTION_INFO_V1(dataexport_cancel);
PG_FUNCTION_INFO_V1(dataexport_wait);
PG_FUNCTION_INFO_V1(dataexport_cleanup);
PG_FUNCTION_INFO_V1(dataexport_list);
PG_FUNCTION_INFO_V1(dataexport_progress);

/*
 * Sentry's own texts (SPEC §2) are fixed English that the application matches
 * and shows: they go through errmsg_internal, so they are never translated.
 */
#define NO_PERMISSION_MSG "You do not have permission to perform this action."

Datum
dataexport_check_preloaded(PG_FUNCTION_ARGS)
{
	de_require_preloaded();
	PG_RETURN_VOID();
}

static void
require_enabled(void)
{
	de_require_preloaded();
	if (!de_enabled)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("data export is disabled"),
				 errhint("A superuser can enable it with dataexport.enabled = on.")));
}

static void
raise_invalid(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg_internal("%s", message)));
}

/* The worker connects as the caller, which a role without LOGIN cannot. */
static void
require_login_role(void)
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

static char *
int8_text(int64 v)
{
	return psprintf(INT64_FORMAT, v);
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y;
}

static int
cmp_cstring(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Sorts ids and drops duplicates; returns the new count.  Sorting, not
 * pairwise comparison: n is the user's to choose. */
static int
sort_distinct(int64 *ids, int n)
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
static bool
ids_all_in(const int64 *need, int nneed, const int64 *have, int nhave)
{
	for (int i = 0; i < nneed; i++)
	{
		CHECK_FOR_INTERRUPTS();
		if (bsearch(&need[i], have, nhave, sizeof(int64), cmp_int64) == NULL)
			return false;
	}
	return true;
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

/* Every named environment occurs in the dataset (as the caller sees it). */
static void
check_environments(const Dataset *ds, char **envs, int n)
{
	StringInfoData sql;
	uint64		found;
	bool		isnull;

	if (n == 0)
		return;
	if (ds->environment == NULL)
		raise_invalid("Requested environment does not exist");
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
	if (found != (uint64) count_distinct_strings(envs, n))
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

static void
validate_discover(ExportRequest *req)
{
	DeProjects	pr;
	int			nvisible;
	int64	   *visible;
	Dataset		ds;
	DeQuerySpec spec;
	BuiltQuery	bq;

	de_load_projects(&pr);
	visible = de_visible_projects(&pr, req->projects, req->nprojects,
								  req->has_organization, req->organization, &nvisible);
	nvisible = sort_distinct(visible, nvisible);
	if ((req->nprojects > 0 &&
		 !ids_all_in(req->projects, req->nprojects, visible, nvisible)) ||
		nvisible == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg_internal(NO_PERMISSION_MSG)));
	payload_set_projects(req, visible, nvisible);

	de_export_dataset(req->info, &ds);
	spec = spec_for(req);
	spec.ds = &ds;
	de_build_export_query(&spec, &bq);	/* fields, search and sort */
	check_environments(&ds, req->info_environments, req->ninfo_environments);
	check_environments(&ds, req->environments, req->nenvironments);
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

static void
validate_issues_by_tag(ExportRequest *req)
{
	DeProjects	pr;
	int			nvisible;
	Dataset		ds;
	const char *params[3];
	DeQuerySpec spec;
	BuiltQuery	bq;

	de_load_projects(&pr);
	(void) de_visible_projects(&pr, req->projects, 1, req->has_organization,
							   req->organization, &nvisible);
	if (nvisible == 0)
		raise_invalid("Requested project does not exist");

	de_export_dataset(req->info, &ds);
	spec = spec_for(req);
	spec.ds = &ds;
	de_build_export_query(&spec, &bq);	/* dataset columns it needs */

	params[0] = int8_text(req->projects[0]);
	params[1] = int8_text(req->group);
	params[2] = req->key;
	if (!dataset_has_row(&ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
									   "d.%s OPERATOR(pg_catalog.=) $2::bigint",
									   quote_identifier(ds.project),
									   quote_identifier(ds.group)), 2, params))
		raise_invalid("Requested issue does not exist");
	if (strcmp(req->key, "user") == 0 && ds.user != NULL)
	{
		if (!dataset_has_row(&ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
										   "d.%s OPERATOR(pg_catalog.=) $2::bigint AND d.%s IS NOT NULL",
										   quote_identifier(ds.project),
										   quote_identifier(ds.group),
										   quote_identifier(ds.user)), 2, params))
			raise_invalid("Requested key does not exist");
	}
	else if (!dataset_has_row(&ds, psprintf("d.%s OPERATOR(pg_catalog.=) $1::bigint AND "
											"d.%s OPERATOR(pg_catalog.=) $2::bigint AND "
											"d.%s OPERATOR(pg_catalog.?) $3",
											quote_identifier(ds.project),
											quote_identifier(ds.group),
											quote_identifier(ds.tags)), 3, params))
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

static char *
canonical_json(DjValue *v)
{
	return de_jsonb_to_cstring(de_jsonb_from_dom(v));
}

static char *
environments_json(const ExportRequest *req)
{
	StrBuf		buf;

	if (req->nenvironments == 0)
		return NULL;
	sb_init(&buf);
	sb_append_char(&buf, '[');
	for (int i = 0; i < req->nenvironments; i++)
	{
		if (i)
			sb_append_char(&buf, ',');
		dj_append_quoted(&buf, req->environments[i], strlen(req->environments[i]));
	}
	sb_append_char(&buf, ']');
	return buf.data;
}

static const char *
format_name(DeFormat f)
{
	return f == DE_FORMAT_JSONL ? "jsonl" : "csv";
}

static const char *
compression_name(DeCompression c)
{
	return c == DE_COMPRESSION_GZIP ? "gzip" : "none";
}

/* The same owner (role and forwarded settings) asking the same thing: the
 * hex SHA-256 of those (not MD5, which FIPS builds refuse). */
static char *
dedupe_key(const ExportRequest *req, const char *settings)
{
	StringInfoData buf;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_STRING_LENGTH);
	pg_cryptohash_ctx *ctx;
	char	   *envs = environments_json(req);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%u\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s",
					 GetUserId(), settings,
					 req->has_organization ? int8_text(req->organization) : "",
					 export_query_type_name(req->type),
					 canonical_json(req->dedupe_info),
					 envs ? envs : "",
					 req->has_limit ? int8_text(req->limit) : "",
					 format_name(req->format), compression_name(req->compression));
	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (uint8 *) buf.data, buf.len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute dedupe key: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex[hex_encode((const char *) digest, sizeof(digest), hex)] = '\0';
	return hex;
}

/* Inserts the export, or finds the identical unfinished one. */
static int64
insert_or_find(const ExportRequest *req, bool *created)
{
	DeNewExport e;

	e.owner = GetUserId();
	e.owner_name = GetUserNameFromId(GetUserId(), false);
	e.owner_settings = de_jsonb_to_cstring(de_jsonb_from_cstring(de_current_owner_settings()));
	e.organization = req->has_organization ? int8_text(req->organization) : NULL;
	e.query_type = export_query_type_name(req->type);
	e.query_info = dj_serialize(req->info);
	e.environments = environments_json(req);
	e.row_limit = req->has_limit ? int8_text(req->limit) : NULL;
	e.format = format_name(req->format);
	e.compression = compression_name(req->compression);
	e.dedupe_key = dedupe_key(req, e.owner_settings);
	return de_export_insert_or_find(&e, created);
}

static Jsonb *
record_with_created(Jsonb *record, bool created)
{
	return de_jsonb_set_key(record, "created",
							de_jsonb_from_cstring(created ? "true" : "false"));
}

/*
 * Create and cancel write bookkeeping.  On a standby that is impossible; on
 * a primary a read-only transaction is usually a role's or database's
 * default_transaction_read_only, which the plain 25006 does not name.
 */
static void
require_read_write(const char *action)
{
	if (!XactReadOnly)
		return;
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot %s during recovery", action),
				 errhint("Connect to the primary server.")));
	ereport(ERROR,
			(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
			 errmsg("cannot %s in a read-only transaction", action),
			 errhint("Run it in a read-write transaction: SET transaction_read_only = off, "
					 "or change default_transaction_read_only for the role or database "
					 "(ALTER ROLE ... SET default_transaction_read_only = off).")));
}

Datum
dataexport_create(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	ExportRequest req;
	DeError		err = {0};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		created = false;
	int64		id;
	Jsonb	   *record;
	Jsonb	   *result;

	require_enabled();
	require_read_write("create a data export");
	if (!payload_normalize(de_dom_from_jsonb(payload), de_time_from_timestamptz(now),
						   &req, &err))
		de_raise(&err);
	require_login_role();

	SPI_connect();
	switch (req.type)
	{
		case EQT_DISCOVER:
			validate_discover(&req);
			break;
		case EQT_ISSUES_BY_TAG:
			validate_issues_by_tag(&req);
			break;
		case EQT_SQL:
			validate_sql(&req);
			break;
	}
	de_check_queue_cap();
	id = insert_or_find(&req, &created);
	/* copied into the caller's context by SPI_datumTransfer */
	record = de_export_record(id);
	SPI_finish();

	/* built after SPI_finish, in the function's own context: anything made
	 * inside the SPI procedure context is freed by SPI_finish */
	result = record_with_created(record, created);

	if (created)
		de_wake_launcher_at_commit();
	PG_RETURN_JSONB_P(result);
}

/* ---- details, cancel, wait ---- */

/*
 * One access rule, every door (SPEC §4.6).  Details, cancel, wait, list,
 * the views over them and progress all apply it: the export is the caller's
 * (same role and same forwarded settings; a superuser's single-export doors
 * accept any id), and the caller still sees every project it covers.
 */
typedef struct ExportAccess
{
	int64		id;
	char	   *state;
	DjValue    *info;
	bool		has_organization;
	int64		organization;
	Jsonb	   *record;			/* only if loaded with_records */
	bool		sees_projects;	/* set by check_projects_visible */
} ExportAccess;

static void
raise_no_such_export(int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data export " INT64_FORMAT " does not exist", id)));
}

static void
raise_projects_hidden(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg_internal("You don't have permissions to view some of the data this export contains.")));
}

/*
 * The project ids an export covers (query_info.project), or false when the
 * list is there but not a list of integers: such an export is hidden rather
 * than shown unchecked.  SQL exports cover no registered project.
 */
static bool
export_projects(DjValue *info, int64 **ids, int *n)
{
	DjValue    *projects = info ? dj_get(info, "project") : NULL;

	*ids = NULL;
	*n = 0;
	if (info == NULL)
		return false;
	if (projects == NULL)
		return true;
	if (projects->type != DJ_ARRAY)
		return false;
	*ids = palloc(sizeof(int64) * Max(projects->count, 1));
	for (size_t i = 0; i < projects->count; i++)
	{
		int64_t		v;

		if (!dj_as_int64(projects->items[i], &v))
			return false;
		(*ids)[(*n)++] = v;
	}
	return true;
}

/*
 * Sets sees_projects of each export: every project id it covers is in the
 * set of projects the caller sees now.  One visibility query (as the
 * caller) for the union of their projects; sets of ids are compared, never
 * counts, so a duplicate or an extra visible id cannot stand in for one
 * that is no longer visible.
 */
static void
check_projects_visible(ExportAccess *acc, int nacc)
{
	int64	  **ids = palloc(sizeof(int64 *) * Max(nacc, 1));
	int		   *nids = palloc(sizeof(int) * Max(nacc, 1));
	int64	   *all;
	int			nall = 0;
	int64	   *visible;
	int			nvisible = 0;

	for (int i = 0; i < nacc; i++)
	{
		acc[i].sees_projects = export_projects(acc[i].info, &ids[i], &nids[i]);
		if (acc[i].sees_projects)
			nall += nids[i];
		else
			nids[i] = 0;
	}
	if (nall == 0)
		return;
	all = palloc(sizeof(int64) * nall);
	nall = 0;
	for (int i = 0; i < nacc; i++)
	{
		CHECK_FOR_INTERRUPTS();
		memcpy(all + nall, ids[i], sizeof(int64) * nids[i]);
		nall += nids[i];
	}
	nall = sort_distinct(all, nall);

	{
		DeProjects	pr;

		de_load_projects(&pr);
		visible = de_visible_projects(&pr, all, nall, false, 0, &nvisible);
	}
	nvisible = sort_distinct(visible, nvisible);
	for (int i = 0; i < nacc; i++)
		if (acc[i].sees_projects &&
			!ids_all_in(ids[i], nids[i], visible, nvisible))
			acc[i].sees_projects = false;
}

/*
 * The caller's exports (same role, same forwarded settings; with
 * any_for_superuser, any export for a superuser) among those "condition"
 * selects, where $3 is cond_param; newest first; with_records, each with
 * its record.  Allocated in the current memory context; the project check
 * is check_projects_visible's.
 */
static int
load_exports(const char *condition, const char *cond_param,
			 bool any_for_superuser, bool with_records, ExportAccess **out)
{
	DeExportRow *rows;
	int			n;
	ExportAccess *acc;

	n = de_exports_load_for_caller(condition, cond_param, any_for_superuser,
								   with_records, CurrentMemoryContext, &rows);
	acc = palloc0(sizeof(ExportAccess) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		acc[i].id = rows[i].id;
		acc[i].state = rows[i].state;
		acc[i].info = rows[i].query_info;
		acc[i].organization = rows[i].organization;
		acc[i].has_organization = rows[i].has_organization;
		acc[i].record = rows[i].record;
	}
	*out = acc;
	return n;
}

/*
 * The single-export doors (details, cancel, wait): the export if the rule
 * lets the caller see it.  Not the caller's: the same error as a missing
 * id, so that ids cannot be probed.  Not every project visible: 42501.
 */
static ExportAccess
access_export(int64 id)
{
	ExportAccess *acc;

	if (load_exports("id OPERATOR(pg_catalog.=) $3::bigint", int8_text(id), true, false,
					 &acc) != 1)
		raise_no_such_export(id);
	check_projects_visible(acc, 1);
	if (!acc->sees_projects)
		raise_projects_hidden();
	return *acc;
}

Datum
dataexport_details(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Jsonb	   *record;

	de_require_preloaded();
	SPI_connect();
	(void) access_export(id);
	record = de_export_record(id);
	SPI_finish();
	PG_RETURN_JSONB_P(record);
}

Datum
dataexport_cancel(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	ExportAccess acc;
	Jsonb	   *record;

	de_require_preloaded();
	require_read_write("cancel a data export");
	SPI_connect();
	acc = access_export(id);
	if (strcmp(acc.state, "queued") == 0 || strcmp(acc.state, "running") == 0)
	{
		int64		claim;
		bool		claimed;

		/* a running worker is interrupted once this commits; it then rolls
		 * its large object back.  The claim picks the worker of this
		 * export, not a stale one of a reinstalled extension's export with
		 * the same id. */
		if (de_export_cancel(id, &claim, &claimed) && claimed)
			de_cancel_at_commit(id, claim);
	}
	record = de_export_record(id);
	SPI_finish();
	PG_RETURN_JSONB_P(record);
}

/* Exports start when the transaction that created them commits, so waiting
 * for one inside that transaction could only time out. */
static void
require_committed(int64 id)
{
	if (de_export_created_in_current_transaction(id))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("data export " INT64_FORMAT " was created in the current transaction", id),
				 errdetail("Exports start when the transaction that created them commits."),
				 errhint("Commit, then call dataexport_wait.")));
}

Datum
dataexport_wait(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Interval   *timeout = PG_GETARG_INTERVAL_P(1);
	TimestampTz deadline;
	bool		no_deadline = false;
	Jsonb	   *record;
	Interval	zero = {0};
	Interval	century = {.month = 100 * MONTHS_PER_YEAR};

	de_require_preloaded();
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("dataexport_wait cannot wait in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("The transaction's snapshot would never show the export finishing."),
				 errhint("Call it in a READ COMMITTED transaction.")));
	/*
	 * PostgreSQL's own interval arithmetic (months and days as the calendar
	 * has them).  Zero or negative: look once, do not wait.  More than 100
	 * years: no deadline, wait until the export finishes (now + '1000000
	 * years' is past the timestamp range; now + 100 years never is).
	 */
	deadline = GetCurrentTimestamp();
	if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(timeout),
										  IntervalPGetDatum(&century))) > 0)
		no_deadline = true;
	else if (DatumGetInt32(DirectFunctionCall2(interval_cmp, IntervalPGetDatum(timeout),
											   IntervalPGetDatum(&zero))) > 0)
		deadline = DatumGetTimestampTz(DirectFunctionCall2(timestamptz_pl_interval,
														   TimestampTzGetDatum(deadline),
														   IntervalPGetDatum(timeout)));

	SPI_connect();
	(void) access_export(id);
	require_committed(id);
	for (;;)
	{
		long		remaining_ms;

		ConditionVariablePrepareToSleep(&de_shared->finished);
		if (!de_export_is_unfinished(id))
			break;
		remaining_ms = no_deadline ? 1000 :
			TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining_ms <= 0)
			break;
		/* the worker broadcasts when it ends; the cap is only a safety net */
		(void) ConditionVariableTimedSleep(&de_shared->finished, Min(remaining_ms, 1000),
										   PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();
	/* access may have been lost while waiting */
	(void) access_export(id);
	record = de_export_record(id);
	SPI_finish();
	PG_RETURN_JSONB_P(record);
}

/* ---- cleanup ---- */

/*
 * Expires the succeeded exports that are past dateExpired or whose file is
 * gone (dropped, or no longer the requester's), and unlinks the files that
 * still belong to their requesters (de_exports_cleanup).
 */
Datum
dataexport_cleanup(PG_FUNCTION_ARGS)
{
	int64		n;

	de_require_preloaded();
	SPI_connect();
	n = de_exports_cleanup();
	SPI_finish();
	PG_RETURN_INT64(n);
}

/* ---- list and progress ---- */

/* What list shows of an export whose projects the caller no longer all
 * sees: the record without its file (and the file's checksum and counts). */
static Jsonb *
record_for_list(Jsonb *record, bool sees_projects)
{
	static const char *const hidden =
		"{\"fileOid\": null, \"checksum\": null, \"rows\": null, "
		"\"bytes\": null, \"progress\": null, \"fileHidden\": true}";

	if (record == NULL)
		return NULL;
	if (sees_projects)
		return de_jsonb_set_key(record, "fileHidden", de_jsonb_from_cstring("false"));
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat, JsonbPGetDatum(record),
											  JsonbPGetDatum(de_jsonb_from_cstring(hidden))));
}

Datum
dataexport_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ExportAccess *acc;
	int			n;

	de_require_preloaded();
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	SPI_connect();
	/* the caller's own, superuser or not, with their records: one query */
	n = load_exports("true", NULL, false, true, &acc);
	check_projects_visible(acc, n);
	for (int i = 0; i < n; i++)
	{
		Jsonb	   *record = record_for_list(acc[i].record, acc[i].sees_projects);
		Datum		value = JsonbPGetDatum(record);
		bool		isnull = false;

		CHECK_FOR_INTERRUPTS();
		if (record != NULL)
			tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	SPI_finish();
	return (Datum) 0;
}

typedef struct ProgressRow
{
	int64		export_id;
	Oid			dboid;
	int			pid;
	uint64		rows;
	uint64		bytes;
	TimestampTz started;
} ProgressRow;

Datum
dataexport_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all = superuser();
	ProgressRow *rows;
	int			nrows = 0;

	de_require_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	/* copied out first: the access rule runs SQL, which cannot hold the lock */
	rows = palloc(sizeof(ProgressRow) * Max(de_shared->nslots, 1));
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];
		ProgressRow *r = &rows[nrows];

		/* other roles' exports, and (for the owner-settings and project
		 * checks, which need this database's bookkeeping) other databases' */
		if (slot->state == DE_SLOT_FREE ||
			(!all && (slot->roleoid != GetUserId() || slot->dboid != MyDatabaseId)))
			continue;
		r->export_id = slot->export_id;
		r->dboid = slot->dboid;
		r->pid = slot->pid;
		r->rows = pg_atomic_read_u64(&slot->rows);
		r->bytes = pg_atomic_read_u64(&slot->bytes);
		r->started = slot->started;
		nrows++;
	}
	LWLockRelease(de_shared->lock);

	if (!all && nrows > 0)
	{
		StringInfoData ids;
		ExportAccess *acc;
		int			nacc;
		int			kept = 0;

		initStringInfo(&ids);
		appendStringInfoChar(&ids, '{');
		for (int i = 0; i < nrows; i++)
			appendStringInfo(&ids, "%s" INT64_FORMAT, i ? "," : "", rows[i].export_id);
		appendStringInfoChar(&ids, '}');
		SPI_connect();
		nacc = load_exports("id OPERATOR(pg_catalog.=) ANY ($3::bigint[])", ids.data,
							false, false, &acc);
		check_projects_visible(acc, nacc);
		for (int i = 0; i < nrows; i++)
		{
			bool		keep = false;

			for (int j = 0; j < nacc && !keep; j++)
				keep = acc[j].id == rows[i].export_id && acc[j].sees_projects;
			if (keep)
				rows[kept++] = rows[i];
		}
		SPI_finish();
		nrows = kept;
	}

	for (int i = 0; i < nrows; i++)
	{
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = Int64GetDatum(rows[i].export_id);
		values[1] = ObjectIdGetDatum(rows[i].dboid);
		values[2] = Int32GetDatum(rows[i].pid);
		nulls[2] = rows[i].pid == 0;
		values[3] = Int64GetDatum((int64) rows[i].rows);
		values[4] = Int64GetDatum((int64) rows[i].bytes);
		values[5] = TimestampTzGetDatum(rows[i].started);
		nulls[5] = rows[i].started == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
