/*
 * api.c
 *	  The SQL-callable functions of SPEC §2: create, details, cancel, wait,
 *	  cleanup, list and progress.
 *
 * Checks that concern the user's data (projects, datasets, environments,
 * Issues-by-Tag lookups, a SQL export's statement) run as the caller, so
 * their grants and row-level security decide; bookkeeping is read and
 * written as the extension owner (catalog.c).
 */
#include "postgres.h"

#include "access/transam.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_largeobject.h"
#include "common/md5.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "storage/large_object.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dataexport.h"
#include "guc.h"
#include "payload.h"
#include "queue.h"
#include "registry.h"
#include "runquery.h"
#include "shmem.h"

PG_FUNCTION_INFO_V1(dataexport_check_preloaded);
PG_FUNCTION_INFO_V1(dataexport_create);
PG_FUNCTION_INFO_V1(dataexport_details);
PG_FUNCTION_INFO_V1(dataexport_cancel);
PG_FUNCTION_INFO_V1(dataexport_wait);
PG_FUNCTION_INFO_V1(dataexport_cleanup);
PG_FUNCTION_INFO_V1(dataexport_list);
PG_FUNCTION_INFO_V1(dataexport_progress);

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
count_distinct(const int64 *ids, int n)
{
	int			distinct = 0;

	for (int i = 0; i < n; i++)
	{
		bool		seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = ids[j] == ids[i];
		distinct += !seen;
	}
	return distinct;
}

/* Duplicates in a request must not make a check fail. */
static int
count_distinct_strings(char **values, int n)
{
	int			distinct = 0;

	for (int i = 0; i < n; i++)
	{
		bool		seen = false;

		for (int j = 0; j < i && !seen; j++)
			seen = strcmp(values[i], values[j]) == 0;
		distinct += !seen;
	}
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
	appendStringInfo(&sql, "SELECT count(DISTINCT d.%s) FROM %s AS d WHERE d.%s IN (",
					 quote_identifier(ds->environment), ds->relation,
					 quote_identifier(ds->environment));
	for (int i = 0; i < n; i++)
		appendStringInfo(&sql, "%s$%d", i ? ", " : "", i + 1);
	appendStringInfoChar(&sql, ')');
	de_spi_exec(sql.data, n, (const char *const *) envs, true);
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
	if ((req->nprojects > 0 && nvisible != count_distinct(req->projects, req->nprojects)) ||
		nvisible == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg(NO_PERMISSION_MSG)));
	payload_set_projects(req, visible, nvisible);

	de_export_dataset(req->info, &ds);
	spec = spec_for(req);
	spec.ds = &ds;
	de_build_export_query(&spec, &bq);	/* fields, search and sort */
	check_environments(&ds, req->info_environments, req->ninfo_environments);
	check_environments(&ds, req->environments, req->nenvironments);
}

/* SELECT 1 FROM dataset WHERE <condition> LIMIT 1, as the caller. */
static bool
dataset_has_row(const Dataset *ds, const char *condition, int nparams,
				const char **params)
{
	char	   *sql = psprintf("SELECT 1 FROM %s AS d WHERE %s LIMIT 1",
							   ds->relation, condition);

	return de_spi_exec(sql, nparams, params, true) > 0;
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
	if (!dataset_has_row(&ds, psprintf("d.%s = $1::bigint AND d.%s = $2::bigint",
									   quote_identifier(ds.project),
									   quote_identifier(ds.group)), 2, params))
		raise_invalid("Requested issue does not exist");
	if (strcmp(req->key, "user") == 0 && ds.user != NULL)
	{
		if (!dataset_has_row(&ds, psprintf("d.%s = $1::bigint AND d.%s = $2::bigint AND d.%s IS NOT NULL",
										   quote_identifier(ds.project),
										   quote_identifier(ds.group),
										   quote_identifier(ds.user)), 2, params))
			raise_invalid("Requested key does not exist");
	}
	else if (!dataset_has_row(&ds, psprintf("d.%s = $1::bigint AND d.%s = $2::bigint AND d.%s ? $3",
											quote_identifier(ds.project),
											quote_identifier(ds.group),
											quote_identifier(ds.tags)), 3, params))
		raise_invalid("Requested key does not exist");
	check_environments(&ds, req->environments, req->nenvironments);
}

static void
raise_sql_not_read_only(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("SQL exports must be one read-only query"),
			 errdetail_internal("%s", detail),
			 errhint("Use SELECT, WITH ... SELECT, VALUES or TABLE.")));
}

static void
check_select_is_read_only(SelectStmt *stmt)
{
	ListCell   *lc;

	if (stmt == NULL)
		return;
	if (stmt->intoClause != NULL)
		raise_sql_not_read_only("SELECT ... INTO creates a table.");
	if (stmt->lockingClause != NIL)
		raise_sql_not_read_only("FOR UPDATE and FOR SHARE lock rows.");
	if (stmt->withClause != NULL)
		foreach(lc, stmt->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				raise_sql_not_read_only("WITH contains a data-modifying statement.");
			check_select_is_read_only((SelectStmt *) cte->ctequery);
		}
	check_select_is_read_only(stmt->larg);
	check_select_is_read_only(stmt->rarg);
}

/* SPEC §4.4: the role gate, one read-only statement, valid as the caller. */
static void
validate_sql(ExportRequest *req)
{
	List	   *stmts;
	RawStmt    *raw;
	SPIPlanPtr	plan;

	if (!superuser())
	{
		Oid			gate = (de_sql_role && de_sql_role[0]) ?
			get_role_oid(de_sql_role, true) : InvalidOid;

		if (!OidIsValid(gate) || !is_member_of_role(GetUserId(), gate))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied to create SQL exports"),
					 errdetail("Only superusers and members of the role named by dataexport.sql_role may create SQL exports."),
					 errhint("A superuser can set dataexport.sql_role and grant that role.")));
	}
	stmts = raw_parser(req->sql, RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1)
		raise_sql_not_read_only(list_length(stmts) == 0 ?
								"The statement is empty." :
								"The text contains more than one statement.");
	raw = linitial_node(RawStmt, stmts);
	if (!IsA(raw->stmt, SelectStmt))
		raise_sql_not_read_only("The statement is not a query.");
	check_select_is_read_only((SelectStmt *) raw->stmt);

	/* names, types and privileges, checked now rather than in the worker */
	plan = SPI_prepare(req->sql, 0, NULL);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	SPI_freeplan(plan);
}

static char *
canonical_json(DjValue *v)
{
	char	   *text = v ? dj_serialize(v) : pstrdup("null");

	return de_jsonb_to_cstring(de_jsonb_from_cstring(text));
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

/* The same owner (role and forwarded settings) asking the same thing. */
static char *
dedupe_key(const ExportRequest *req, const char *settings)
{
	StringInfoData buf;
	char		hex[33];
	const char *errstr = NULL;
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
	if (!pg_md5_hash(buf.data, buf.len, hex, &errstr))
		elog(ERROR, "could not compute dedupe key: %s", errstr);
	return pstrdup(hex);
}

/* Inserts the export, or finds the identical unfinished one.  The unique
 * index decides, so concurrent identical requests cannot both insert. */
static int64
insert_or_find(const ExportRequest *req, bool *created)
{
	DeUserSwitch sw;
	const char *params[11];
	char	   *settings;
	int64		id = 0;

	settings = de_jsonb_to_cstring(de_jsonb_from_cstring(de_current_owner_settings()));
	params[0] = psprintf("%u", GetUserId());
	params[1] = GetUserNameFromId(GetUserId(), false);
	params[2] = settings;
	params[3] = req->has_organization ? int8_text(req->organization) : NULL;
	params[4] = export_query_type_name(req->type);
	params[5] = dj_serialize(req->info);
	params[6] = environments_json(req);
	params[7] = req->has_limit ? int8_text(req->limit) : NULL;
	params[8] = format_name(req->format);
	params[9] = compression_name(req->compression);
	params[10] = dedupe_key(req, settings);

	de_become_owner(&sw);
	for (int attempt = 0; attempt < 10 && id == 0; attempt++)
	{
		bool		isnull;

		if (de_spi_exec("INSERT INTO dataexport.export (owner, owner_name, owner_settings, "
						"organization, query_type, query_info, environments, row_limit, "
						"format, compression, dedupe_key) "
						"VALUES ($1::oid, $2::name, $3::jsonb, $4::bigint, $5, $6::jsonb, "
						"ARRAY(SELECT pg_catalog.jsonb_array_elements_text($7::jsonb)), "
						"$8::bigint, $9, $10, $11) "
						"ON CONFLICT (dedupe_key) WHERE state IN ('queued', 'running') "
						"DO NOTHING RETURNING id", 11, params, false) == 1)
		{
			*created = true;
			id = de_spi_int8(0, 1, &isnull);
		}
		/* the conflicting export is committed now; it may also have just
		 * finished, in which case we insert again */
		else if (de_spi_exec("SELECT id FROM dataexport.export WHERE dedupe_key = $11 "
							 "AND state IN ('queued', 'running')",
							 11, params, false) == 1)
		{
			*created = false;
			id = de_spi_int8(0, 1, &isnull);
		}
	}
	de_restore_user(&sw);
	if (id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not create the data export under concurrent identical requests"),
				 errhint("Try again.")));
	return id;
}

static Jsonb *
record_with_created(Jsonb *record, bool created)
{
	return de_jsonb_set_key(record, "created",
							de_jsonb_from_cstring(created ? "true" : "false"));
}

Datum
dataexport_create(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	char	   *text;
	ExportRequest req;
	DeError		err = {0};
	TimestampTz now = GetCurrentTransactionStartTimestamp();
	bool		created = false;
	int64		id;
	Jsonb	   *record;
	Jsonb	   *result;

	require_enabled();
	text = de_jsonb_to_cstring(payload);
	if (!payload_normalize(text, strlen(text), de_time_from_timestamptz(now), &req, &err))
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

typedef struct ExportAccess
{
	char	   *state;
	DjValue    *info;
	bool		has_organization;
	int64		organization;
} ExportAccess;

static void
raise_no_such_export(int64 id)
{
	ereport(ERROR,
			(errcode(ERRCODE_UNDEFINED_OBJECT),
			 errmsg("data export " INT64_FORMAT " does not exist", id)));
}

/*
 * The export if it is the caller's (same role, same forwarded settings) or
 * the caller is a superuser; otherwise the same error as a missing id, so
 * that ids cannot be probed.  With check_projects, the caller must also
 * still see every project the export covers.
 */
static ExportAccess
access_export(int64 id, bool check_projects)
{
	DeUserSwitch sw;
	const char *params[3];
	ExportAccess acc;
	DeError		err = {0};
	char	   *info_text;
	bool		isnull;
	/* decided before switching: the owner is usually a superuser itself */
	bool		caller_is_superuser = superuser();

	params[0] = int8_text(id);
	params[1] = psprintf("%u", GetUserId());
	params[2] = de_current_owner_settings();
	de_become_owner(&sw);
	if (de_spi_exec("SELECT state, query_info::text, organization FROM dataexport.export "
					"WHERE id = $1::bigint AND ($4::boolean OR "
					"(owner = $2::oid AND owner_settings = $3::jsonb))",
					4, (const char *[]) {params[0], params[1], params[2],
					caller_is_superuser ? "true" : "false"}, false) != 1)
	{
		de_restore_user(&sw);
		raise_no_such_export(id);
	}
	de_restore_user(&sw);
	acc.state = pstrdup(de_spi_text(0, 1));
	info_text = pstrdup(de_spi_text(0, 2));
	acc.organization = de_spi_int8(0, 3, &isnull);
	acc.has_organization = !isnull;
	acc.info = dj_parse(info_text, strlen(info_text), &err);

	if (check_projects && acc.info != NULL)
	{
		DjValue    *projects = dj_get(acc.info, "project");

		if (projects != NULL && projects->type == DJ_ARRAY && projects->count > 0)
		{
			DeProjects	pr;
			int64	   *ids = palloc(sizeof(int64) * projects->count);
			int			n = 0;
			int			nvisible;

			for (size_t i = 0; i < projects->count; i++)
			{
				int64_t		v;

				if (dj_as_int64(projects->items[i], &v))
					ids[n++] = v;
			}
			de_load_projects(&pr);
			(void) de_visible_projects(&pr, ids, n, false, 0, &nvisible);
			if (nvisible != count_distinct(ids, n))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("You don't have permissions to view some of the data this export contains.")));
		}
	}
	return acc;
}

Datum
dataexport_details(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Jsonb	   *record;

	de_require_preloaded();
	SPI_connect();
	(void) access_export(id, true);
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
	SPI_connect();
	acc = access_export(id, false);
	if (strcmp(acc.state, "queued") == 0 || strcmp(acc.state, "running") == 0)
	{
		DeUserSwitch sw;
		const char *params[1] = {int8_text(id)};
		uint64		n;

		de_become_owner(&sw);
		n = de_spi_exec("UPDATE dataexport.export SET state = 'cancelled', not_before = NULL "
						"WHERE id = $1::bigint AND state IN ('queued', 'running')",
						1, params, false);
		de_restore_user(&sw);
		if (n == 1)
		{
			de_notify_state(id, "cancelled");
			/* a running worker is interrupted once this commits; it then
			 * rolls its large object back */
			de_cancel_at_commit(id);
		}
	}
	record = de_export_record(id);
	SPI_finish();
	PG_RETURN_JSONB_P(record);
}

static bool
export_unfinished(int64 id)
{
	DeUserSwitch sw;
	const char *params[1] = {int8_text(id)};
	bool		unfinished;

	de_become_owner(&sw);
	unfinished = de_spi_exec("SELECT 1 FROM dataexport.export WHERE id = $1::bigint "
							 "AND state IN ('queued', 'running')", 1, params, false) == 1;
	de_restore_user(&sw);
	return unfinished;
}

/* Exports start when the transaction that created them commits, so waiting
 * for one inside that transaction could only time out. */
static void
require_committed(int64 id)
{
	DeUserSwitch sw;
	const char *params[1] = {int8_text(id)};
	bool		isnull;
	TransactionId xmin = InvalidTransactionId;

	de_become_owner(&sw);
	if (de_spi_exec("SELECT xmin FROM dataexport.export WHERE id = $1::bigint",
					1, params, false) == 1)
		xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 1, &isnull));
	de_restore_user(&sw);
	if (TransactionIdIsValid(xmin) && TransactionIdIsCurrentTransactionId(xmin))
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
	Jsonb	   *record;
	int64		timeout_us;

	de_require_preloaded();
	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_ACTIVE_SQL_TRANSACTION),
				 errmsg("dataexport_wait cannot wait in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("The transaction's snapshot would never show the export finishing."),
				 errhint("Call it in a READ COMMITTED transaction.")));
	timeout_us = timeout->time +
		((int64) timeout->day + (int64) timeout->month * DAYS_PER_MONTH) * USECS_PER_DAY;
	deadline = GetCurrentTimestamp() + Max(timeout_us, 0);

	SPI_connect();
	(void) access_export(id, false);
	require_committed(id);
	for (;;)
	{
		long		remaining_ms;

		ConditionVariablePrepareToSleep(&de_shared->finished);
		if (!export_unfinished(id))
			break;
		remaining_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining_ms <= 0)
			break;
		/* the worker broadcasts when it ends; the cap is only a safety net */
		(void) ConditionVariableTimedSleep(&de_shared->finished, Min(remaining_ms, 1000),
										   PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();
	record = de_export_record(id);
	SPI_finish();
	PG_RETURN_JSONB_P(record);
}

/* ---- cleanup ---- */

Datum
dataexport_cleanup(PG_FUNCTION_ARGS)
{
	DeUserSwitch sw;
	uint64		n;

	de_require_preloaded();
	SPI_connect();
	de_become_owner(&sw);
	n = de_spi_exec("UPDATE dataexport.export SET state = 'expired', file_oid = NULL "
					"WHERE state = 'succeeded' AND date_expired <= now() "
					"RETURNING (SELECT e.file_oid FROM dataexport.export e "
					"WHERE e.id = export.id)", 0, NULL, false);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *oidtext = de_spi_text((int) i, 1);
		Oid			loid;

		if (oidtext == NULL)
			continue;
		loid = (Oid) strtoul(oidtext, NULL, 10);
		/* the files belong to their requesters; cleanup is the DBA's
		 * (EXECUTE is granted by them), so no owner check here */
		if (LargeObjectExists(loid))
			inv_drop(loid);
	}
	de_restore_user(&sw);
	SPI_finish();
	PG_RETURN_INT64((int64) n);
}

/* ---- list and progress ---- */

Datum
dataexport_list(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	DeUserSwitch sw;
	const char *params[4];
	uint64		n;
	int64	   *ids;

	de_require_preloaded();
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	params[0] = psprintf("%u", GetUserId());
	params[1] = de_current_owner_settings();
	SPI_connect();
	de_become_owner(&sw);
	n = de_spi_exec("SELECT id FROM dataexport.export WHERE owner = $1::oid "
					"AND owner_settings = $2::jsonb ORDER BY id DESC", 2, params, false);
	ids = palloc(sizeof(int64) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		ids[i] = de_spi_int8((int) i, 1, &isnull);
	}
	de_restore_user(&sw);
	for (uint64 i = 0; i < n; i++)
	{
		Datum		value = JsonbPGetDatum(de_export_record(ids[i]));
		bool		isnull = false;

		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	SPI_finish();
	return (Datum) 0;
}

Datum
dataexport_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all = superuser();

	de_require_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];
		Datum		values[6];
		bool		nulls[6] = {false};

		if (slot->state == DE_SLOT_FREE || (!all && slot->roleoid != GetUserId()))
			continue;
		values[0] = Int64GetDatum(slot->export_id);
		values[1] = ObjectIdGetDatum(slot->dboid);
		values[2] = Int32GetDatum(slot->pid);
		nulls[2] = slot->pid == 0;
		values[3] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->rows));
		values[4] = Int64GetDatum((int64) pg_atomic_read_u64(&slot->bytes));
		values[5] = TimestampTzGetDatum(slot->started);
		nulls[5] = slot->started == 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	LWLockRelease(de_shared->lock);
	return (Datum) 0;
}
