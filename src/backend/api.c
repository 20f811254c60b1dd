/*
 * api.c
 *	  The SQL-callable functions of SPEC §2: create, details, cancel, wait,
 *	  cleanup, list and progress, and the access rule of every door.
 *
 * Create-time checks are validate.c's, an export's identity and dedupe key
 * dedupe.c's.  Checks that concern the user's data (projects, datasets,
 * environments, Issues-by-Tag lookups, a SQL export's statement) run as the
 * caller, so their grants and row-level security decide; bookkeeping is
 * read and written as the extension owner (exports.c).
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_largeobject.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "pgstat.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
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
#include "dedupe.h"
#include "validate.h"
#include "explain.h"
#include "extversion.h"
#include "progress.h"
#include "stats.h"

PG_FUNCTION_INFO_V1(dataexport_check_preloaded);
PG_FUNCTION_INFO_V1(dataexport_create);
PG_FUNCTION_INFO_V1(dataexport_details);
PG_FUNCTION_INFO_V1(dataexport_cancel);
PG_FUNCTION_INFO_V1(dataexport_wait);
PG_FUNCTION_INFO_V1(dataexport_cleanup);
PG_FUNCTION_INFO_V1(dataexport_list);
PG_FUNCTION_INFO_V1(dataexport_progress);
PG_FUNCTION_INFO_V1(dataexport_explain);

/*
 * Sentry's own texts (SPEC §2) are fixed English that the application matches
 * and shows: they go through errmsg_internal, so they are never translated.
 */

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

/*
 * The validation that create and explain share, in this order: the feature
 * is on, (create only, write_action set) the transaction can write, the
 * payload normalizes, the caller can log in, and the request passes
 * de_validate_request as the caller.  Returns connected to SPI (the checks
 * run inside it); the caller calls SPI_finish.
 */
static void
validate_payload(Jsonb *payload, const char *write_action, ExportRequest *req)
{
	DeError		err = {0};
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	require_enabled();
	if (write_action != NULL)
		require_read_write(write_action);
	if (!payload_normalize(de_dom_from_jsonb(payload), de_time_from_timestamptz(now),
						   req, &err))
		de_raise(&err);
	de_require_login_role();

	SPI_connect();
	de_validate_request(req);
}

Datum
dataexport_create(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	ExportRequest req;
	DeNewExport identity;
	bool		created = false;
	int64		id;
	Jsonb	   *record;
	Jsonb	   *result;

	validate_payload(payload, "create a data export", &req);
	de_export_identity(&req, &identity);
	/* an identical export in flight: the insert may wait for its
	 * transaction, which must not wait for our lock (queue.c) */
	if (de_check_queue_cap_for(identity.dedupe_key))
		de_queue_unlock();
	/* inserts the export, or finds the identical unfinished one */
	id = de_export_insert_or_find(&identity, &created);
	/* the export is in the table: the next create of this requester counts
	 * it even before this transaction commits */
	de_queue_unlock();
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

/*
 * A dry run of create (SPEC §2): the same validation (validate_payload), then
 * explain.c's plan and estimates.  Nothing is written, so it also works in a
 * read-only transaction; no queue cap, dedupe, wakeup or pending action.
 */
Datum
dataexport_explain(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	ExportRequest req;
	Jsonb	   *result;

	de_require_preloaded();
	de_require_schema(2, "dataexport_explain");
	validate_payload(payload, NULL, &req);
	result = de_explain_request(&req);
	/* copied out of the SPI procedure context, which SPI_finish frees */
	result = (Jsonb *) DatumGetPointer(SPI_datumTransfer(JsonbPGetDatum(result), false, -1));
	SPI_finish();
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
	nall = de_sort_distinct(all, nall);

	{
		DeProjects	pr;

		de_load_projects(&pr);
		visible = de_visible_projects(&pr, all, nall, false, 0, &nvisible);
	}
	nvisible = de_sort_distinct(visible, nvisible);
	for (int i = 0; i < nacc; i++)
		if (acc[i].sees_projects &&
			!de_ids_all_in(ids[i], nids[i], visible, nvisible))
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
 * For dataexport_stats (stats.c): the caller's own exports, exactly those
 * dataexport_list returns (same role, same forwarded settings, superuser or
 * not), and among them those whose projects the caller still all sees (the
 * ones list shows with their byte counts), as bigint[] texts.  Inside SPI.
 */
void
de_caller_export_ids(char **own, char **visible)
{
	ExportAccess *acc;
	int			n;
	StringInfoData o;
	StringInfoData v;

	n = load_exports("true", NULL, false, false, &acc);
	check_projects_visible(acc, n);
	initStringInfo(&o);
	initStringInfo(&v);
	appendStringInfoChar(&o, '{');
	appendStringInfoChar(&v, '{');
	for (int i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		appendStringInfo(&o, "%s" INT64_FORMAT, o.len > 1 ? "," : "", acc[i].id);
		if (acc[i].sees_projects)
			appendStringInfo(&v, "%s" INT64_FORMAT, v.len > 1 ? "," : "", acc[i].id);
	}
	appendStringInfoChar(&o, '}');
	appendStringInfoChar(&v, '}');
	*own = o.data;
	*visible = v.data;
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

	if (load_exports("id OPERATOR(pg_catalog.=) $3::bigint", de_int8_text(id), true, false,
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

/*
 * dataexport_wait's reads of the bookkeeping, each in an internal
 * subtransaction that is rolled back once its result is out (the record is
 * copied out of SPI by de_spi_jsonb; the rest are booleans): the locks they
 * took go with it, so the waiting session holds no lock on dataexport.export
 * while it sleeps.  Holding one made ALTER EXTENSION dataexport UPDATE (or
 * DROP EXTENSION, VACUUM FULL) queue behind the waiter, every other session
 * and the awaited export's worker queue behind that, and the waiter wait for
 * a worker that could not finish: a deadlock no detector sees.  An error is
 * raised again after the rollback.
 */
typedef enum WaitRead
{
	WAIT_READ_START,			/* the access rule, committed */
	WAIT_READ_UNFINISHED,		/* still queued or running? */
	WAIT_READ_END				/* the access rule, the record */
} WaitRead;

static bool
wait_read(WaitRead what, int64 id, Jsonb **record)
{
	MemoryContext oldcontext = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile bool result = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcontext);
	PG_TRY();
	{
		switch (what)
		{
			case WAIT_READ_START:
				(void) access_export(id);
				require_committed(id);
				break;
			case WAIT_READ_UNFINISHED:
				result = de_export_is_unfinished(id);
				break;
			case WAIT_READ_END:
				/* access may have been lost while waiting */
				(void) access_export(id);
				*record = de_export_record(id);
				break;
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcontext);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcontext);
		CurrentResourceOwner = oldowner;
		ReThrowError(edata);
	}
	PG_END_TRY();
	RollbackAndReleaseCurrentSubTransaction();
	MemoryContextSwitchTo(oldcontext);
	CurrentResourceOwner = oldowner;
	return result;
}

/* dataexport_wait(progress => true)'s NOTICE: progress.c's text of the
 * export's slot, or "queued" while it has none. */
static void
notice_progress(int64 id)
{
	DeSlot	   *slot;
	DeProgress	p;
	bool		found = false;

	LWLockAcquire(de_shared->lock, LW_SHARED);
	slot = de_find_slot(MyDatabaseId, id);
	if (slot != NULL)
	{
		de_progress_read_slot(slot, &p);
		found = true;
	}
	LWLockRelease(de_shared->lock);
	if (found)
		de_progress_derive(&p, GetCurrentTimestamp());
	ereport(NOTICE,
			(errmsg_internal("%s", de_progress_message(id, found ? &p : NULL))));
}

Datum
dataexport_wait(PG_FUNCTION_ARGS)
{
	int64		id = PG_GETARG_INT64(0);
	Interval   *timeout = PG_GETARG_INTERVAL_P(1);
	/* 0.1 declares (id, timeout); 0.2 adds progress */
	bool		progress = PG_NARGS() >= 3 && PG_GETARG_BOOL(2);
	TimestampTz last_notice = 0;
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
	(void) wait_read(WAIT_READ_START, id, NULL);
	for (;;)
	{
		long		remaining_ms;
		long		sleep_ms;

		/* read before preparing to sleep: the read's subtransaction
		 * abort cancels a prepared sleep (then the sleep would return at
		 * once, a busy loop); a broadcast between the two is caught by the
		 * one-second cap */
		if (!wait_read(WAIT_READ_UNFINISHED, id, NULL))
			break;
		remaining_ms = no_deadline ? 1000 :
			TimestampDifferenceMilliseconds(GetCurrentTimestamp(), deadline);
		if (remaining_ms <= 0)
			break;
		sleep_ms = Min(remaining_ms, 1000);
		if (progress)
		{
			TimestampTz now = GetCurrentTimestamp();

			/* the first at once, then once a second */
			if (last_notice == 0 ||
				TimestampDifferenceMilliseconds(last_notice, now) >= 1000)
			{
				notice_progress(id);
				last_notice = now;
			}
			sleep_ms = Min(sleep_ms,
						   Max(1000 - TimestampDifferenceMilliseconds(last_notice, now), 1));
		}
		/* the worker broadcasts when it ends; the cap is only a safety net */
		ConditionVariablePrepareToSleep(&de_shared->finished);
		(void) ConditionVariableTimedSleep(&de_shared->finished, sleep_ms,
										   PG_WAIT_EXTENSION);
		CHECK_FOR_INTERRUPTS();
	}
	ConditionVariableCancelSleep();
	(void) wait_read(WAIT_READ_END, id, &record);
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
	TimestampTz started;
	DeProgress	progress;
} ProgressRow;

/* OUT columns of dataexport_progress(): 0.1 has the first six, 0.2 adds
 * the estimate, percent, rate and time left.  The C function fills the
 * columns of whichever definition called it. */
#define PROGRESS_COLUMNS_0_1 6
#define PROGRESS_COLUMNS 10

/* Whole seconds (at most ~31,700 years) as an interval. */
static Interval *
seconds_interval(double seconds)
{
	Interval   *iv = palloc0(sizeof(Interval));

	iv->time = (TimeOffset) rint(Min(seconds, 1e12)) * USECS_PER_SEC;
	return iv;
}

Datum
dataexport_progress(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bool		all = superuser();
	ProgressRow *rows;
	int			nrows = 0;
	int			ncolumns;
	TimestampTz now;

	de_require_preloaded();
	InitMaterializedSRF(fcinfo, 0);
	ncolumns = rsinfo->setDesc->natts;
	if (ncolumns != PROGRESS_COLUMNS_0_1 && ncolumns != PROGRESS_COLUMNS)
		elog(ERROR, "dataexport_progress() is declared with %d columns", ncolumns);
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
		r->started = slot->started;
		de_progress_read_slot(slot, &r->progress);
		nrows++;
	}
	LWLockRelease(de_shared->lock);
	now = GetCurrentTimestamp();

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
		Datum		values[PROGRESS_COLUMNS];
		bool		nulls[PROGRESS_COLUMNS] = {false};
		DeProgress *p = &rows[i].progress;

		values[0] = Int64GetDatum(rows[i].export_id);
		values[1] = ObjectIdGetDatum(rows[i].dboid);
		values[2] = Int32GetDatum(rows[i].pid);
		nulls[2] = rows[i].pid == 0;
		values[3] = Int64GetDatum((int64) p->rows);
		values[4] = Int64GetDatum((int64) p->bytes);
		values[5] = TimestampTzGetDatum(rows[i].started);
		nulls[5] = rows[i].started == 0;
		if (ncolumns == PROGRESS_COLUMNS)
		{
			de_progress_derive(p, now);
			/* estimated_rows, percent, rows_per_second, eta */
			values[6] = Int64GetDatum(p->estimated_rows);
			nulls[6] = p->estimated_rows < 0;
			values[7] = Int32GetDatum(p->percent);
			nulls[7] = p->percent < 0;
			values[8] = Float8GetDatum(p->rows_per_second);
			nulls[8] = p->rows_per_second < 0;
			if (p->eta_seconds >= 0)
				values[9] = IntervalPGetDatum(seconds_interval(p->eta_seconds));
			nulls[9] = p->eta_seconds < 0;
		}
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
