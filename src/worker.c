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
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
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

/* The stored request, copied out of the first transaction. */
typedef struct ExportJob
{
	int64		id;
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

static void
begin_transaction(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
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

/* Reads the export; false when it is no longer ours to run. */
static bool
load_job(const DeWorkerArgs *args, ExportJob *job)
{
	DeUserSwitch sw;
	char		idtext[32];
	char		roletext[16];
	const char *params[2] = {idtext, roletext};
	MemoryContext top = TopMemoryContext;
	bool		found = false;

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, args->export_id);
	snprintf(roletext, sizeof(roletext), "%u", args->roleoid);
	begin_transaction("dataexport: loading export");
	de_become_owner(&sw);
	if (de_spi_exec("SELECT query_type, query_info::text, environments, row_limit, "
					"format, compression, owner_settings::text, date_created, attempts "
					"FROM dataexport.export WHERE id = $1::bigint "
					"AND state = 'running' AND owner = $2::oid",
					2, params, false) == 1)
	{
		MemoryContext old = MemoryContextSwitchTo(top);
		bool		isnull;
		char	   *envs;

		job->id = args->export_id;
		job->query_type = pstrdup(de_spi_text(0, 1));
		job->info = parse_json_text(de_spi_text(0, 2));
		envs = de_spi_text(0, 3);
		job->environments = NULL;
		job->nenvironments = 0;
		if (envs != NULL)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull);
			Datum	   *elems;
			bool	   *nulls;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(d), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &n);
			job->environments = palloc(sizeof(char *) * Max(n, 1));
			for (int i = 0; i < n; i++)
				if (!nulls[i])
					job->environments[job->nenvironments++] = TextDatumGetCString(elems[i]);
		}
		job->row_limit = de_spi_int8(0, 4, &isnull);
		job->format = strcmp(de_spi_text(0, 5), "jsonl") == 0 ? DE_FORMAT_JSONL : DE_FORMAT_CSV;
		job->compression = strcmp(de_spi_text(0, 6), "gzip") == 0 ?
			DE_COMPRESSION_GZIP : DE_COMPRESSION_NONE;
		job->settings = parse_json_text(de_spi_text(0, 7));
		job->created = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
														 SPI_tuptable->tupdesc, 8, &isnull));
		job->attempts = (int) de_spi_int8(0, 9, &isnull);
		MemoryContextSwitchTo(old);
		found = true;
	}
	de_restore_user(&sw);
	commit_transaction();
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
		enable_timeout_after(STATEMENT_TIMEOUT, de_statement_timeout_ms);
	/* whatever the query calls cannot write; our own large-object writes go
	 * below the executor's read-only check */
	XactReadOnly = true;
	/* large-object writes refused; our own SQL under a pinned search_path */
	rc = de_run_user_query(bq->sql, &options, !is_sql);
	XactReadOnly = saved_read_only;
	if (de_statement_timeout_ms > 0)
		disable_timeout(STATEMENT_TIMEOUT, false);
	if (rc < 0)
		elog(ERROR, "SPI_execute_extended failed: %s", SPI_result_code_string(rc));
}

static void
record_success(const ExportJob *job, const ExportSinkResult *res, const char *file_name)
{
	DeUserSwitch sw;
	char		id[32],
				oid[16],
				rows[32],
				bytes[32],
				expiry[32];
	const char *params[9];

	snprintf(id, sizeof(id), INT64_FORMAT, job->id);
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

	de_become_owner(&sw);
	if (de_spi_exec("UPDATE dataexport.export SET state = 'succeeded', "
					"file_oid = $2::oid, file_name = $3, checksum = $4, rows = $5::bigint, "
					"bytes = $6::bigint, truncated = $7::boolean, truncated_reason = $8, "
					"date_finished = clock_timestamp(), "
					"date_expired = clock_timestamp() + make_interval(secs => $9::integer), "
					"error = NULL, error_detail = NULL, not_before = NULL "
					"WHERE id = $1::bigint AND state = 'running'",
					9, params, false) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("data export " INT64_FORMAT " was cancelled", job->id)));
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

static bool
is_transient(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_QUERY_CANCELED ||	/* statement timeout */
		sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE ||
		sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
		sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE;
}

/* Sentry's user-facing messages (data_export/tasks.py). */
static const char *
user_message(int sqlerrcode)
{
	if (sqlerrcode == ERRCODE_QUERY_CANCELED)
		return "Query timeout. Please try with a smaller date range or fewer conditions.";
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION ||
		ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_INVALID_PARAMETER_VALUE)
		return "Invalid query. Please fix the query and try again.";
	return "Internal error. Your query failed to run.";
}

static void
record_failure(const ExportJob *job, const ErrorData *edata, bool cancelled)
{
	DeUserSwitch sw;
	char		id[32],
				delay[32];
	char	   *detail;
	const char *params[4];
	bool		retry = !cancelled && is_transient(edata->sqlerrcode) &&
		job->attempts < DE_MAX_ATTEMPTS;
	const char *state = cancelled ? "cancelled" : "failed";

	snprintf(id, sizeof(id), INT64_FORMAT, job->id);
	snprintf(delay, sizeof(delay), INT64_FORMAT,
			 (int64) de_retry_delay_ms << Max(job->attempts - 1, 0));
	detail = psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode), edata->message);
	params[0] = id;
	params[1] = cancelled ? NULL : user_message(edata->sqlerrcode);
	params[2] = cancelled ? NULL : detail;
	params[3] = retry ? delay : state;

	begin_transaction("dataexport: recording failure");
	de_become_owner(&sw);
	if (retry)
		de_spi_exec("UPDATE dataexport.export SET state = 'queued', error = $2, "
					"error_detail = $3, "
					"not_before = clock_timestamp() + make_interval(secs => $4::bigint / 1000.0) "
					"WHERE id = $1::bigint AND state = 'running'",
					4, params, false);
	else if (de_spi_exec("UPDATE dataexport.export SET state = $4, error = $2, "
						 "error_detail = $3, not_before = NULL "
						 "WHERE id = $1::bigint AND state = 'running'",
						 4, params, false) == 1)
		de_notify_state(job->id, state);
	de_restore_user(&sw);
	commit_transaction();
	if (retry)
		de_wake_launcher_for(MyDatabaseId);
}

static void
run_export_recording_failure(const ExportJob *job)
{
	MemoryContext cxt = CurrentMemoryContext;

	PG_TRY();
	{
		run_export(job);
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		cancelled;

		HOLD_INTERRUPTS();
		disable_all_timeouts(false);
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		AbortOutOfAnyTransaction();
		QueryCancelPending = false;
		LWLockAcquire(de_shared->lock, LW_SHARED);
		cancelled = my_slot->cancel_requested;
		LWLockRelease(de_shared->lock);
		RESUME_INTERRUPTS();

		record_failure(job, edata, cancelled);
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
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	BackgroundWorkerUnblockSignals();

	if (de_shared == NULL || args.slot < 0 || args.slot >= de_shared->nslots)
		elog(ERROR, "dataexport worker started without a slot");
	my_slot = &de_shared->slots[args.slot];
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	if (my_slot->state == DE_SLOT_FREE || my_slot->dboid != args.dboid ||
		my_slot->export_id != args.export_id)
	{
		/* a restarted launcher gave the slot up before we got here; the
		 * export is re-queued and another worker will run it */
		LWLockRelease(de_shared->lock);
		proc_exit(0);
	}
	my_slot->pid = MyProcPid;
	my_slot->started = GetCurrentTimestamp();
	LWLockRelease(de_shared->lock);

	/* as the requester, never InvalidOid (that is the bootstrap superuser) */
	BackgroundWorkerInitializeConnectionByOid(args.dboid, args.roleoid, 0);
	pgstat_report_appname("dataexport worker");

	if (load_job(&args, &job))
		run_export_recording_failure(&job);

	ConditionVariableBroadcast(&de_shared->finished);
	proc_exit(0);
}
