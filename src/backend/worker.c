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
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "storage/large_object.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"

#include "spi_owner.h"
#include "dataexport.h"
#include "exports.h"
#include "settings.h"
#include "jsonb_dom.h"
#include "lo_guard.h"
#include "progress.h"
#include "runquery.h"
#include "de_shmem.h"
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

/* Reads the export into job (and job->cxt); false when it is no longer ours
 * to run.  de_export_load_job copies what it reads into job->cxt, where the
 * JSON texts are parsed too. */
static bool
load_job(const DeWorkerArgs *args, ExportJob *job)
{
	DeExportJobRow row;
	bool		found;

	job->cxt = AllocSetContextCreate(TopMemoryContext, "dataexport export job",
									 ALLOCSET_DEFAULT_SIZES);
	begin_transaction("dataexport: loading export");
	found = de_export_load_job(args->export_id, args->roleoid, args->claim, job->cxt,
							   &row);
	if (found)
	{
		job->id = args->export_id;
		job->claim = args->claim;
		job->owner = args->roleoid;
		job->query_type = row.query_type;
		job->environments = row.environments;
		job->nenvironments = row.nenvironments;
		job->row_limit = row.row_limit;
		job->format = strcmp(row.format, "jsonl") == 0 ? DE_FORMAT_JSONL :
			strcmp(row.format, "parquet") == 0 ? DE_FORMAT_PARQUET : DE_FORMAT_CSV;
		job->compression = strcmp(row.compression, "gzip") == 0 ?
			DE_COMPRESSION_GZIP :
			strcmp(row.compression, "zstd") == 0 ?
			DE_COMPRESSION_ZSTD : DE_COMPRESSION_NONE;
		job->created = row.date_created;
		job->attempts = row.attempts;
		job->info = row.query_info;
		job->settings = row.owner_settings;
	}
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
	return de_effective_row_limit(job->row_limit);
}

/*
 * The builders bind every value as a text parameter and cast it in the SQL
 * ("$2::timestamptz").  A cast from text is an I/O coercion, which is
 * stable, so the planner cannot fold it: the executor parsed the export's
 * date range and project list again for every row (a Discover export took
 * twice as long as the same query written with literals).  A parameter
 * whose every occurrence in the text is "$n::T", for T one of the types
 * below, is therefore bound as a T, converted by T's input function once;
 * the cast is then a no-op and the value a constant of the plan.  The value
 * and its type are the ones the cast gave.  Any other occurrence (bare, or
 * another cast) keeps it text, so a misreading can only cost speed.
 */
static const struct
{
	const char *name;
	Oid			type;
}			typed_param_casts[] = {
	{"timestamptz", TIMESTAMPTZOID},
	{"bigint[]", INT8ARRAYOID},
	{"bigint", INT8OID},
	{"numeric", NUMERICOID},
	{"float8", FLOAT8OID},
	{"boolean", BOOLOID},
};

static bool
is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '$' || (unsigned char) c >= 0x80;
}

/* The type every occurrence of $n in sql is cast to, or TEXTOID. */
static Oid
param_cast_type(const char *sql, int n)
{
	char		ref[16];
	size_t		reflen;
	Oid			found = InvalidOid;
	const char *p = sql;

	reflen = snprintf(ref, sizeof(ref), "$%d", n);
	while ((p = strstr(p, ref)) != NULL)
	{
		const char *after = p + reflen;
		Oid			this_type = InvalidOid;

		if ((p > sql && is_ident_char(p[-1])) || (*after >= '0' && *after <= '9'))
		{
			p = after;			/* part of a longer token: $12 for $1 */
			continue;
		}
		if (after[0] == ':' && after[1] == ':')
		{
			for (size_t i = 0; i < lengthof(typed_param_casts); i++)
			{
				size_t		len = strlen(typed_param_casts[i].name);

				if (strncmp(after + 2, typed_param_casts[i].name, len) == 0 &&
					!is_ident_char(after[2 + len]) && after[2 + len] != '[')
				{
					this_type = typed_param_casts[i].type;
					break;
				}
			}
		}
		if (!OidIsValid(this_type) || (OidIsValid(found) && found != this_type))
			return TEXTOID;
		found = this_type;
		p = after;
	}
	return OidIsValid(found) ? found : TEXTOID;
}

static ParamListInfo
text_params(const BuiltQuery *bq)
{
	ParamListInfo params = makeParamList(bq->nparams);

	for (int i = 0; i < bq->nparams; i++)
	{
		ParamExternData *p = &params->params[i];

		p->ptype = param_cast_type(bq->sql, i + 1);
		p->pflags = PARAM_FLAG_CONST;
		p->isnull = bq->params[i] == NULL;
		if (p->isnull)
			p->value = (Datum) 0;
		else if (p->ptype == TEXTOID)
			p->value = CStringGetTextDatum(bq->params[i]);
		else
		{
			Oid			typinput;
			Oid			typioparam;

			getTypeInputInfo(p->ptype, &typinput, &typioparam);
			p->value = OidInputFunctionCall(typinput, bq->params[i], typioparam, -1);
		}
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
	DeExportSuccess s;

	s.file_oid = res->lo_oid;
	s.file_name = file_name;
	s.checksum = res->checksum;
	s.rows = res->rows;
	s.bytes = res->bytes;
	s.truncated = res->truncated;
	s.truncated_reason = res->truncated_reason;
	s.expiration_s = de_expiration_s;
	bound_bookkeeping_lock_waits();
	de_export_record_success(job->id, job->claim, job->owner, &s);
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
	/* the planner's estimate, for progress, when the query starts */
	de_progress_watch(export_sink_receiver(sink), my_slot, effective_row_limit(job));
	if (strcmp(job->query_type, "Discover") == 0)
		export_sink_python_floats(sink);
	stream_query(&bq, sink, strcmp(job->query_type, "SQL") == 0);
	de_progress_unwatch();
	export_sink_finish(sink, &res);
	de_require_export_file(res.lo_oid);

	file_name = de_export_filename(job->query_type, spec.now, job->id,
								   job->format, job->compression);
	record_success(job, &res, file_name);
	commit_transaction();
}

/* timed_out: our statement timeout fired; any other 57014 is a cancel from
 * outside (pg_cancel_backend), which is not retried.  Class 08 is a lost or
 * refused connection (a postgres_fdw or dblink server went away). */
static bool
is_transient(int sqlerrcode, bool timed_out)
{
	return (sqlerrcode == ERRCODE_QUERY_CANCELED && timed_out) ||
		sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_CONNECTION_EXCEPTION;
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
	char	   *detail;
	/* SPEC §7: transient errors are retried up to 3 times, a statement
	 * timeout at most once (a query that timed out twice will again) */
	bool		retry = !cancelled && is_transient(edata->sqlerrcode, timed_out) &&
		job->attempts < (timed_out ? DE_MAX_TIMEOUT_ATTEMPTS : DE_MAX_ATTEMPTS);
	const char *state = cancelled ? "cancelled" : "failed";
	int64		delay_ms = (int64) de_retry_delay_ms << Max(job->attempts - 1, 0);

	detail = psprintf("%s: %s%s", unpack_sql_state(edata->sqlerrcode), edata->message,
					  edata->sqlerrcode == ERRCODE_QUERY_CANCELED && !timed_out ?
					  " (the export worker was cancelled by pg_cancel_backend)" : "");

	begin_transaction("dataexport: recording failure");
	bound_bookkeeping_lock_waits();
	if (retry)
		de_export_record_retry(job->id, job->claim,
							   user_message(edata->sqlerrcode, timed_out), detail,
							   delay_ms);
	else
		de_export_record_failure(job->id, job->claim, state,
								 cancelled ? NULL : user_message(edata->sqlerrcode, timed_out),
								 cancelled ? NULL : detail);
	commit_transaction();
	if (retry)
	{
		/* after the commit: a retry that was not recorded is not logged;
		 * the error itself was logged when it was caught */
		ereport(LOG,
				(errmsg("dataexport: export " INT64_FORMAT " will be retried in " INT64_FORMAT " ms after attempt %d of at most %d failed with SQLSTATE %s",
						job->id, delay_ms, job->attempts,
						timed_out ? DE_MAX_TIMEOUT_ATTEMPTS : DE_MAX_ATTEMPTS,
						unpack_sql_state(edata->sqlerrcode))));
		de_wake_launcher_for(MyDatabaseId);
	}
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
