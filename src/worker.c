/*
 * worker.c
 *	  The export worker: a dynamic background worker connected to the
 *	  export's database AS THE REQUESTING ROLE, so that grants and row-level
 *	  security apply to every row.  One transaction streams the query into a
 *	  new large object (sink.c) and records the result, so the file and the
 *	  final state commit together; on failure the transaction, and with it
 *	  the large object, rolls back and the outcome is recorded in a second one.
 */
#include "postgres.h"

#include "access/xact.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/large_object.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "catalog.h"
#include "dataexport.h"
#include "guc.h"
#include "json.h"
#include "lo_guard.h"
#include "runquery.h"
#include "shmem.h"
#include "sink.h"
#include "sqlcheck.h"
#include "worker.h"

/*
 * The stored request, copied out of the first transaction into its own
 * context ("dataexport export job", a child of TopMemoryContext), where it
 * outlives that transaction, the export's transaction and its abort.  The
 * catch block copies the error data there too.
 */
typedef struct ExportJob
{
	MemoryContext cxt;
	int64		id;
	int64		claim;			/* our claim token: every write matches it */
	Oid			owner;			/* the requesting role */
	char	   *query_type;
	DjValue    *info;
	char	  **environments;
	int			nenvironments;
	int64		row_limit;		/* 0: not given */
	DeFormat	format;
	DeCompression compression;
	DjValue    *settings;
	TimestampTz created;
	int			attempts;
} ExportJob;

static DeSlot *my_slot = NULL;

/*
 * Armed together with STATEMENT_TIMEOUT, with the same deadline.  PostgreSQL
 * consumes STATEMENT_TIMEOUT's indicator when it raises the cancel error, so
 * this one's indicator is what tells a timeout from a cancel afterwards.
 */
static TimeoutId export_timeout_id = MAX_TIMEOUTS;

/* Sentry's message for a query that timed out (data_export/tasks.py). */
#define DE_TIMEOUT_MESSAGE \
	"Query timeout. Please try again. If the problem persists try a smaller date range or fewer projects."

static void
export_timeout_handler(void)
{
	/* nothing: the timeout's indicator is all we need */
}

/*
 * Every transaction of the worker does bookkeeping, which must run read-write
 * at READ COMMITTED whatever the requesting role's defaults
 * (default_transaction_read_only, _isolation, _deferrable) say; the user's
 * query is made read-only separately (stream_query).  Set before the first
 * snapshot is taken.
 */
static void
begin_transaction(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	XactReadOnly = false;
	XactIsoLevel = XACT_READ_COMMITTED;
	XactDeferrable = false;
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/*
 * A bookkeeping write waits at most this long for the export's row lock.
 * The lock can be held by a session that cancels the export and then leaves
 * its transaction open; waiting for it without a bound would hold a worker
 * slot for as long as that session likes.  On a timeout the failure path
 * gives up in turn, and the scanner (which skips locked rows) re-queues or
 * finds the export cancelled once the lock is gone.
 */
#define DE_BOOKKEEPING_LOCK_TIMEOUT "5s"

static void
bound_bookkeeping_lock_waits(void)
{
	(void) set_config_option("lock_timeout", DE_BOOKKEEPING_LOCK_TIMEOUT,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
}

static void
commit_transaction(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

static DjValue *
parse_json_text(const char *text)
{
	DeError		err = {0};
	DjValue    *v = dj_parse(text, strlen(text), &err);

	if (v == NULL)
		elog(ERROR, "corrupt JSON in export record: %s", err.message);
	return v;
}

/* Reads the export into job (and job->cxt); false when it is no longer ours
 * to run.  SPI results are read in the SPI context and copied to job->cxt,
 * like pg_cron's LoadCronJobList. */
static bool
load_job(const DeWorkerArgs *args, ExportJob *job)
{
	DeUserSwitch sw;
	char		idtext[32];
	char		roletext[16];
	char		claimtext[32];
	const char *params[3] = {idtext, roletext, claimtext};
	bool		found = false;

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, args->export_id);
	snprintf(roletext, sizeof(roletext), "%u", args->roleoid);
	snprintf(claimtext, sizeof(claimtext), INT64_FORMAT, args->claim);
	job->cxt = AllocSetContextCreate(TopMemoryContext, "dataexport export job",
									 ALLOCSET_DEFAULT_SIZES);
	begin_transaction("dataexport: loading export");
	de_become_owner(&sw);
	if (de_spi_exec("SELECT query_type, query_info::text, environments, row_limit, "
					"format, compression, owner_settings::text, date_created, attempts "
					"FROM dataexport.export WHERE id = $1::bigint "
					"AND claim = $3::bigint AND state = 'running' AND owner = $2::oid",
					3, params, false) == 1)
	{
		/* read in the SPI context, which SPI_finish frees ... */
		char	   *query_type = de_spi_text(0, 1);
		char	   *info = de_spi_text(0, 2);
		char	   *settings = de_spi_text(0, 7);
		Datum	   *elems = NULL;
		bool	   *nulls = NULL;
		int			nelems = 0;
		bool		isnull;
		Datum		envs = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3,
										 &isnull);
		MemoryContext old;

		if (!isnull)
			deconstruct_array(DatumGetArrayTypeP(envs), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &nelems);

		job->id = args->export_id;
		job->claim = args->claim;
		job->owner = args->roleoid;
		job->row_limit = de_spi_int8(0, 4, &isnull);
		job->format = strcmp(de_spi_text(0, 5), "jsonl") == 0 ? DE_FORMAT_JSONL : DE_FORMAT_CSV;
		job->compression = strcmp(de_spi_text(0, 6), "gzip") == 0 ?
			DE_COMPRESSION_GZIP : DE_COMPRESSION_NONE;
		job->created = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 8, &isnull));
		job->attempts = (int) de_spi_int8(0, 9, &isnull);

		/* ... and copied into the job's context */
		old = MemoryContextSwitchTo(job->cxt);
		job->query_type = pstrdup(query_type);
		job->info = parse_json_text(info);
		job->settings = parse_json_text(settings);
		job->environments = NULL;
		job->nenvironments = 0;
		if (elems != NULL)
		{
			job->environments = palloc(sizeof(char *) * Max(nelems, 1));
			for (int i = 0; i < nelems; i++)
				if (!nulls[i])
					job->environments[job->nenvironments++] = TextDatumGetCString(elems[i]);
		}
		MemoryContextSwitchTo(old);
		found = true;
	}
	de_restore_user(&sw);
	commit_transaction();
	if (!found)
	{
		MemoryContextDelete(job->cxt);
		job->cxt = NULL;
	}
	return found;
}

/* Forwarded settings (SPEC §4.1), set as the user: what they could not set
 * themselves fails here too. */
static void
apply_forwarded_settings(const ExportJob *job)
{
	for (size_t i = 0; i < job->settings->count; i++)
	{
		DjValue    *value = job->settings->items[i];

		if (value->type != DJ_STRING)
			continue;
		(void) set_config_option(job->settings->keys[i], value->str,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SET,
								 true, 0, false);
	}
}

static int64
effective_row_limit(const ExportJob *job)
{
	if (job->row_limit > 0 && job->row_limit < de_max_rows)
		return job->row_limit;
	return de_max_rows;
}

static ParamListInfo
text_params(const BuiltQuery *bq)
{
	ParamListInfo params = makeParamList(bq->nparams);

	for (int i = 0; i < bq->nparams; i++)
	{
		ParamExternData *p = &params->params[i];

		p->ptype = TEXTOID;
		p->pflags = PARAM_FLAG_CONST;
		p->isnull = bq->params[i] == NULL;
		p->value = p->isnull ? (Datum) 0 : CStringGetTextDatum(bq->params[i]);
	}
	return params;
}

/* Runs the query into the sink, read-only, under the export's time limit. */
static void
stream_query(const BuiltQuery *bq, ExportSink *sink, bool is_sql)
{
	SPIExecuteOptions options;
	bool		saved_read_only = XactReadOnly;
	int			rc;

	memset(&options, 0, sizeof(options));
	options.params = text_params(bq);
	options.read_only = true;
	options.dest = export_sink_receiver(sink);

	if (de_statement_timeout_ms > 0)
	{
		EnableTimeoutParams timeouts[2] = {
			{.id = STATEMENT_TIMEOUT, .type = TMPARAM_AFTER,
			.delay_ms = de_statement_timeout_ms},
			{.id = export_timeout_id, .type = TMPARAM_AFTER,
			.delay_ms = de_statement_timeout_ms},
		};

		/* one call: both get the same deadline */
		enable_timeouts(timeouts, 2);
	}
	/* whatever the query calls cannot write; our own large-object writes go
	 * below the executor's read-only check */
	XactReadOnly = true;
	/* large-object writes refused; our own SQL under a pinned search_path */
	rc = de_run_user_query(bq->sql, &options, !is_sql);
	XactReadOnly = saved_read_only;
	if (de_statement_timeout_ms > 0)
	{
		DisableTimeoutParams timeouts[2] = {
			{.id = STATEMENT_TIMEOUT},
			{.id = export_timeout_id},
		};

		disable_timeouts(timeouts, 2);
	}
	if (rc < 0)
		elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(rc));
}

static void
record_success(const ExportJob *job, const ExportSinkResult *res, const char *file_name)
{
	DeUserSwitch sw;
	char		id[32],
				claim[32],
				oid[16],
				rows[32],
				bytes[32],
				expiry[32];
	const char *params[10];

	snprintf(id, sizeof(id), INT64_FORMAT, job->id);
	snprintf(claim, sizeof(claim), INT64_FORMAT, job->claim);
	snprintf(oid, sizeof(oid), "%u", res->lo_oid);
	snprintf(rows, sizeof(rows), UINT64_FORMAT, res->rows);
	snprintf(bytes, sizeof(bytes), UINT64_FORMAT, res->bytes);
	snprintf(expiry, sizeof(expiry), "%d", de_expiration_s);
	params[0] = id;
	params[1] = oid;
	params[2] = file_name;
	params[3] = res->checksum;
	params[4] = rows;
	params[5] = bytes;
	params[6] = res->truncated ? "true" : "false";
	params[7] = res->truncated_reason;
	params[8] = expiry;
	params[9] = claim;

	bound_bookkeeping_lock_waits();
	de_become_owner(&sw);
	/* the file must still be there, and the requester's: the user's query
	 * might have unlinked it (defence in depth: the large-object write
	 * functions are refused while it runs) */
	if (de_spi_exec("SELECT lomowner FROM pg_catalog.pg_largeobject_metadata "
					"WHERE oid = $2::oid",
					2, params, false) != 1 ||
		strtoul(de_spi_text(0, 1), NULL, 10) != job->owner)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the file of data export " INT64_FORMAT " (large object %u) was removed while the export ran",
						job->id, res->lo_oid),
				 errdetail("The large object no longer exists, or is no longer owned by the requesting role."),
				 errhint("The export query must not modify large objects.")));
	/* the clock is read once: dateExpired - dateFinished is exactly the
	 * expiration */
	if (de_spi_exec("UPDATE dataexport.export SET state = 'succeeded', "
					"file_oid = $2::oid, file_name = $3, checksum = $4, rows = $5::bigint, "
					"bytes = $6::bigint, truncated = $7::boolean, truncated_reason = $8, "
					"date_finished = finished.t, "
					"date_expired = finished.t + make_interval(secs => $9::integer), "
					"error = NULL, error_detail = NULL, not_before = NULL "
					"FROM (SELECT clock_timestamp() AS t) AS finished "
					"WHERE id = $1::bigint AND claim = $10::bigint AND state = 'running'",
					10, params, false) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("data export " INT64_FORMAT " was cancelled", job->id),
				 errdetail("The export is no longer running under this worker's claim.")));
	de_restore_user(&sw);
	de_notify_state(job->id, "succeeded");
}

static void
run_export(const ExportJob *job)
{
	DeQuerySpec spec;
	BuiltQuery	bq;
	ExportSink *sink;
	ExportSinkResult res;
	char	   *file_name;
	char		activity[64];

	snprintf(activity, sizeof(activity), "dataexport: export " INT64_FORMAT, job->id);
	begin_transaction(activity);
	apply_forwarded_settings(job);

	memset(&spec, 0, sizeof(spec));
	spec.query_type = job->query_type;
	spec.info = job->info;
	spec.environments = job->environments;
	spec.nenvironments = job->nenvironments;
	spec.row_limit = effective_row_limit(job);
	spec.now = de_time_from_timestamptz(job->created);
	de_build_export_query(&spec, &bq);
	if (strcmp(job->query_type, "SQL") == 0)
	{
		/* as at create: still allowed, and exactly one read-only query */
		de_require_sql_role(true);
		de_check_sql_export(bq.sql, false);
	}

	sink = export_sink_create(job->format, job->compression,
							  bq.ncolumns > 0 ? bq.headers : NULL, bq.ncolumns,
							  effective_row_limit(job),
							  (int64) de_max_file_size_kb * 1024, my_slot);
	stream_query(&bq, sink, strcmp(job->query_type, "SQL") == 0);
	export_sink_finish(sink, &res);
	de_require_export_file(res.lo_oid);

	file_name = de_export_filename(job->query_type, spec.now, job->id,
								   job->format, job->compression);
	record_success(job, &res, file_name);
	commit_transaction();
}

/* timed_out: our statement timeout fired; any other 57014 is a cancel from
 * outside (pg_cancel_backend), which is not retried */
static bool
is_transient(int sqlerrcode, bool timed_out)
{
	return (sqlerrcode == ERRCODE_QUERY_CANCELED && timed_out) ||
		sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/* Sentry's user-facing messages (data_export/tasks.py). */
static const char *
user_message(int sqlerrcode, bool timed_out)
{
	if (sqlerrcode == ERRCODE_QUERY_CANCELED)
		return timed_out ? DE_TIMEOUT_MESSAGE : "Internal error. Your query failed to run.";
	/* class 22 includes 22023, invalid_parameter_value */
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION)
		return "Invalid query. Please fix the query and try again.";
	return "Internal error. Your query failed to run.";
}

static void
record_failure(const ExportJob *job, const ErrorData *edata, bool cancelled,
			   bool timed_out)
{
	DeUserSwitch sw;
	char		id[32],
				delay[32],
				claim[32];
	char	   *detail;
	const char *params[5];
	/* SPEC §7: transient errors are retried up to 3 times, a statement
	 * timeout at most once (a query that timed out twice will again) */
	bool		retry = !cancelled && is_transient(edata->sqlerrcode, timed_out) &&
		job->attempts < (timed_out ? DE_MAX_TIMEOUT_ATTEMPTS : DE_MAX_ATTEMPTS);
	const char *state = cancelled ? "cancelled" : "failed";

	snprintf(id, sizeof(id), INT64_FORMAT, job->id);
	snprintf(claim, sizeof(claim), INT64_FORMAT, job->claim);
	snprintf(delay, sizeof(delay), INT64_FORMAT,
			 (int64) de_retry_delay_ms << Max(job->attempts - 1, 0));
	detail = psprintf("%s: %s%s", unpack_sql_state(edata->sqlerrcode), edata->message,
					  edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !timed_out ?
					  " (the export worker was cancelled by pg_cancel_backend)" : "");
	params[0] = id;
	params[1] = cancelled ? NULL : user_message(edata->sqlerrcode, timed_out);
	params[2] = cancelled ? NULL : detail;
	params[3] = retry ? delay : state;
	params[4] = claim;

	begin_transaction("dataexport: recording failure");
	bound_bookkeeping_lock_waits();
	de_become_owner(&sw);
	if (retry)
		de_spi_exec("UPDATE dataexport.export SET state = 'queued', error = $2, "
					"error_detail = $3, "
					"not_before = clock_timestamp() + make_interval(secs => $4::bigint / 1000.0) "
					"WHERE id = $1::bigint AND claim = $5::bigint AND state = 'running'",
					5, params, false);
	else if (de_spi_exec("UPDATE dataexport.export SET state = $4, error = $2, "
						 "error_detail = $3, not_before = NULL "
						 "WHERE id = $1::bigint AND claim = $5::bigint AND state = 'running'",
						 5, params, false) == 1)
		de_notify_state(job->id, state);
	de_restore_user(&sw);
	commit_transaction();
	if (retry)
		de_wake_launcher_for(MyDatabaseId);
}

/*
 * record_failure, guarded: if recording the failure fails too, that is
 * logged, and the export is left running for the scanner, which re-queues it
 * (or fails it after DE_MAX_ATTEMPTS) once this worker has exited.  No
 * second attempt here: whatever broke the first would most likely break it.
 */
static void
record_failure_guarded(const ExportJob *job, const ErrorData *edata, bool cancelled,
					   bool timed_out)
{
	PG_TRY();
	{
		record_failure(job, edata, cancelled, timed_out);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		disable_all_timeouts(false);
		MemoryContextSwitchTo(job->cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		MemoryContextSwitchTo(job->cxt);
		QueryCancelPending = false;
		RESUME_INTERRUPTS();
		ereport(LOG,
				(errmsg("dataexport could not record the failure of export " INT64_FORMAT,
						job->id),
				 errdetail("The export stays running until the scanner re-queues it or fails it.")));
	}
	PG_END_TRY();
}

static void
run_export_recording_failure(const ExportJob *job)
{
	PG_TRY();
	{
		run_export(job);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		cancelled;
		bool		timed_out;

		HOLD_INTERRUPTS();
		/* read before disable_all_timeouts, which clears the indicators */
		timed_out = get_timeout_indicator(export_timeout_id, true);
		disable_all_timeouts(false);
		/* the copy must survive the abort below */
		MemoryContextSwitchTo(job->cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		/* inv_api's cached pg_largeobject relations went with the abort
		 * (be-fsstubs' end-of-transaction hook only does this for its own
		 * users) */
		close_lo_relation(false);
		/* the abort left us in TopMemoryContext */
		MemoryContextSwitchTo(job->cxt);
		QueryCancelPending = false;
		LWLockAcquire(de_shared->lock, LW_SHARED);
		cancelled = my_slot->cancel_requested;
		LWLockRelease(de_shared->lock);
		RESUME_INTERRUPTS();

		record_failure_guarded(job, edata, cancelled, timed_out);
	}
	PG_END_TRY();
}

void
dataexport_worker_main(Datum arg)
{
	DeWorkerArgs args;
	ExportJob	job;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	/* No SIGHUP handler (bgworker.c ignores SIGHUP): a worker runs one
	 * export, whose limits and settings are fixed when it starts; a reload
	 * must not change them half way, and the next worker starts with the
	 * reloaded configuration anyway. */
	BackgroundWorkerUnblockSignals();

	if (de_shared == NULL || args.slot < 0 || args.slot >= de_shared->nslots)
		elog(ERROR, "dataexport worker started without a slot");
	my_slot = &de_shared->slots[args.slot];
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	if (my_slot->state == DE_SLOT_FREE || my_slot->dboid != args.dboid ||
		my_slot->export_id != args.export_id || my_slot->claim != args.claim)
	{
		/* a restarted launcher gave the slot up, or it was claimed again,
		 * before we got here; the export is re-queued and another worker
		 * will run it */
		LWLockRelease(de_shared->lock);
		proc_exit(0);
	}
	my_slot->pid = MyProcPid;
	my_slot->started = GetCurrentTimestamp();
	LWLockRelease(de_shared->lock);

	/* as the requester, never InvalidOid (that is the bootstrap superuser) */
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.roleoid, 0);
	pgstat_report_appname("dataexport worker");
	export_timeout_id = RegisterTimeout(USER_TIMEOUT, export_timeout_handler);

	if (load_job(&args, &job))
		run_export_recording_failure(&job);

	ConditionVariableBroadcast(&de_shared->finished);
	proc_exit(0);
}
