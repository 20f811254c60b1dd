/*
 * launcher.c
 *	  The launcher (a static background worker, connected to no database) and
 *	  the scanner (a short-lived dynamic worker per database).
 *
 * Backends mark their database dirty at the commit of dataexport_create and
 * set the launcher's latch.  The launcher starts a scanner for a dirty
 * database; the scanner, in one transaction, fails exports whose role can no
 * longer run them, re-queues exports left "running" by a worker that died,
 * and claims queued exports (FIFO) for the free slots.  The launcher then
 * starts one export worker per claimed slot, connected as the export's role,
 * and frees the slot when that worker exits (bgw_notify_pid).  At start, and
 * every dataexport.naptime, every database is scanned, which is how work
 * queued before a restart or crash is found again.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "catalog.h"
#include "dataexport.h"
#include "guc.h"
#include "shmem.h"
#include "worker.h"

static BackgroundWorkerHandle **worker_handles;
static BackgroundWorkerHandle *scanner_handle = NULL;

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->launcher_latch = NULL;
	LWLockRelease(de_shared->lock);
}

/* Every database that accepts connections, marked dirty; entries of
 * databases that no longer exist are dropped. */
static void
mark_all_databases_dirty(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	Oid			live[DE_MAX_DATABASES];
	int			nlive = 0;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL &&
		   nlive < DE_MAX_DATABASES)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		if (db->datallowconn && !db->datistemplate)
			live[nlive++] = db->oid;
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < DE_MAX_DATABASES; i++)
	{
		DeDatabase *db = &de_shared->databases[i];
		bool		exists = false;

		for (int j = 0; j < nlive; j++)
			exists |= (live[j] == db->dboid);
		if (!exists)
			memset(db, 0, sizeof(*db));
	}
	for (int j = 0; j < nlive; j++)
	{
		DeDatabase *free_entry = NULL;
		bool		known = false;

		for (int i = 0; i < DE_MAX_DATABASES && !known; i++)
		{
			DeDatabase *db = &de_shared->databases[i];

			if (db->dboid == live[j])
			{
				db->dirty = true;
				known = true;
			}
			else if (db->dboid == InvalidOid && free_entry == NULL)
				free_entry = db;
		}
		if (!known && free_entry)
		{
			free_entry->dboid = live[j];
			free_entry->dirty = true;
		}
	}
	LWLockRelease(de_shared->lock);
}

static void
mark_dirty_locked(Oid dboid)
{
	for (int i = 0; i < DE_MAX_DATABASES; i++)
		if (de_shared->databases[i].dboid == dboid)
			de_shared->databases[i].dirty = true;
}

/* Frees the slots of workers that have exited; their database is scanned
 * again, which re-queues an export whose worker died mid-way. */
static void
reap_workers(void)
{
	bool		any = false;

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];
		pid_t		pid;
		bool		stopped;

		if (slot->state != DE_SLOT_LAUNCHED)
			continue;
		if (worker_handles[i] != NULL)
			stopped = GetBackgroundWorkerPid(worker_handles[i], &pid) == BGWH_STOPPED;
		else					/* started by a previous launcher */
			stopped = slot->pid == 0 || kill(slot->pid, 0) != 0;
		if (!stopped)
			continue;
		if (worker_handles[i] != NULL)
			pfree(worker_handles[i]);
		worker_handles[i] = NULL;
		mark_dirty_locked(slot->dboid);
		slot->state = DE_SLOT_FREE;
		slot->pid = 0;
		slot->export_id = 0;
		slot->cancel_requested = false;
		any = true;
	}
	LWLockRelease(de_shared->lock);
	if (any)
		ConditionVariableBroadcast(&de_shared->finished);
}

static BackgroundWorkerHandle *
start_worker(const char *function, const char *name, Datum main_arg,
			 const void *extra, size_t extra_len)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataexport");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s", name);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s",
			 strstr(function, "scanner") ? "dataexport scanner" : "dataexport worker");
	worker.bgw_main_arg = main_arg;
	worker.bgw_notify_pid = MyProcPid;
	if (extra_len > 0)
		memcpy(worker.bgw_extra, extra, extra_len);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

/* Starts a worker for every slot a scanner claimed. */
static void
launch_assigned(void)
{
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];
		DeWorkerArgs args;
		char		name[BGW_MAXLEN];

		LWLockAcquire(de_shared->lock, LW_SHARED);
		if (slot->state != DE_SLOT_ASSIGNED)
		{
			LWLockRelease(de_shared->lock);
			continue;
		}
		args.dboid = slot->dboid;
		args.roleoid = slot->roleoid;
		args.export_id = slot->export_id;
		args.claim = slot->claim;
		args.slot = i;
		LWLockRelease(de_shared->lock);

		snprintf(name, sizeof(name), "dataexport worker for export " INT64_FORMAT,
				 args.export_id);
		worker_handles[i] = start_worker("dataexport_worker_main", name, (Datum) 0,
										 &args, sizeof(args));

		LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
		if (worker_handles[i] != NULL)
			slot->state = DE_SLOT_LAUNCHED;
		else
		{
			/* no background worker slot: the scanner re-queues it later */
			ereport(WARNING,
					(errmsg("dataexport could not start a worker for export " INT64_FORMAT,
							args.export_id),
					 errhint("Raise max_worker_processes.")));
			slot->state = DE_SLOT_FREE;
			for (int d = 0; d < DE_MAX_DATABASES; d++)
				if (de_shared->databases[d].dboid == args.dboid)
					de_shared->databases[d].wake_at =
						TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1000);
		}
		LWLockRelease(de_shared->lock);
	}
}

static bool
scanner_running(void)
{
	pid_t		pid;

	if (scanner_handle == NULL)
		return false;
	if (GetBackgroundWorkerPid(scanner_handle, &pid) != BGWH_STOPPED)
		return true;
	pfree(scanner_handle);
	scanner_handle = NULL;
	return false;
}

/* Starts a scanner for one dirty database, when a slot is free for it to
 * fill.  Returns the time of the next delayed wakeup (0: none). */
static TimestampTz
maybe_start_scanner(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next_wake = 0;
	Oid			target = InvalidOid;
	bool		free_slot = false;
	bool		busy = scanner_running();	/* one scanner at a time */

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < de_shared->nslots; i++)
		free_slot |= (de_shared->slots[i].state == DE_SLOT_FREE);
	for (int i = 0; i < DE_MAX_DATABASES; i++)
	{
		DeDatabase *db = &de_shared->databases[i];

		if (db->dboid == InvalidOid)
			continue;
		if (db->wake_at != 0 && db->wake_at <= now)
		{
			db->wake_at = 0;
			db->dirty = true;
		}
		if (db->wake_at != 0 && (next_wake == 0 || db->wake_at < next_wake))
			next_wake = db->wake_at;
		if (db->dirty && free_slot && target == InvalidOid && !busy)
		{
			db->dirty = false;
			target = db->dboid;
		}
	}
	LWLockRelease(de_shared->lock);

	if (target != InvalidOid)
	{
		scanner_handle = start_worker("dataexport_scanner_main", "dataexport scanner",
									  ObjectIdGetDatum(target), NULL, 0);
		if (scanner_handle == NULL)
			de_wake_launcher_for(target);	/* try again on the next round */
	}
	return next_wake;
}

void
dataexport_launcher_main(Datum arg)
{
	TimestampTz next_full_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dataexport launcher");

	worker_handles = MemoryContextAllocZero(TopMemoryContext,
											sizeof(BackgroundWorkerHandle *) * de_shared->nslots);
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->launcher_latch = &MyProc->procLatch;
	LWLockRelease(de_shared->lock);
	on_shmem_exit(launcher_detach, (Datum) 0);

	for (;;)
	{
		TimestampTz now;
		TimestampTz next_wake;
		long		timeout_ms;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now = GetCurrentTimestamp();
		if (now >= next_full_scan)
		{
			mark_all_databases_dirty();
			next_full_scan = TimestampTzPlusMilliseconds(now, de_naptime_s * 1000L);
		}
		reap_workers();
		launch_assigned();
		next_wake = maybe_start_scanner();

		if (next_wake == 0 || next_wake > next_full_scan)
			next_wake = next_full_scan;
		timeout_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_wake);
		/* a running scanner reports its end through the latch */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(timeout_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---------------- the scanner ---------------- */

static void
scanner_fail_unrunnable(void)
{
	/* exports whose role was dropped or lost LOGIN fail cleanly: a worker
	 * connecting as them would die before it could say why */
	if (de_spi_exec("UPDATE dataexport.export e SET state = 'failed', "
					"error = 'Internal error. Your query failed to run.', "
					"error_detail = CASE WHEN r.oid IS NULL "
					"THEN 'the requesting role no longer exists' "
					"ELSE 'the requesting role cannot log in' END "
					"FROM dataexport.export e2 LEFT JOIN pg_catalog.pg_roles r ON r.oid = e2.owner "
					"WHERE e.id = e2.id AND e.state = 'queued' "
					"AND (r.oid IS NULL OR NOT r.rolcanlogin) RETURNING e.id",
					0, NULL, false) > 0)
	{
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;

			de_notify_state(de_spi_int8((int) i, 1, &isnull), "failed");
		}
	}
}

/* Exports "running" without a worker: their worker died (crash, restart,
 * SIGTERM).  Re-queue them, or fail them after DE_MAX_ATTEMPTS. */
static void
scanner_requeue_orphans(Oid dboid)
{
	StringInfoData ids;
	char		max_attempts[16];
	const char *params[2];

	initStringInfo(&ids);
	appendStringInfoChar(&ids, '{');
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_FREE && slot->dboid == dboid)
			appendStringInfo(&ids, "%s" INT64_FORMAT, ids.len > 1 ? "," : "",
							 slot->export_id);
	}
	LWLockRelease(de_shared->lock);
	appendStringInfoChar(&ids, '}');
	snprintf(max_attempts, sizeof(max_attempts), "%d", DE_MAX_ATTEMPTS);
	params[0] = ids.data;
	params[1] = max_attempts;

	de_spi_exec("UPDATE dataexport.export SET "
				"state = CASE WHEN attempts >= $2::integer THEN 'failed' ELSE 'queued' END, "
				"error = CASE WHEN attempts >= $2::integer "
				"THEN 'Internal error. Your query failed to run.' END, "
				"error_detail = CASE WHEN attempts >= $2::integer "
				"THEN 'the export worker stopped before finishing, ' || attempts || ' times' END "
				"WHERE state = 'running' AND id <> ALL ($1::bigint[])",
				2, params, false);
}

static int
count_free_slots(void)
{
	int			n = 0;

	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
		n += (de_shared->slots[i].state == DE_SLOT_FREE);
	LWLockRelease(de_shared->lock);
	return n;
}

typedef struct Claim
{
	int64		id;
	Oid			role;
	int64		claim;
} Claim;

static int
scanner_claim(int nfree, Claim *claims)
{
	char		limit[16];
	char		token[32];
	const char *params[2] = {limit, token};
	uint64		n;
	int64		random_base;

	snprintf(limit, sizeof(limit), "%d", nfree);
	/* claim token: random per scan, xor the id so it differs per export */
	if (!pg_strong_random(&random_base, sizeof(random_base)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random claim token")));
	snprintf(token, sizeof(token), INT64_FORMAT, random_base);
	n = de_spi_exec("WITH next AS ("
					" SELECT id FROM dataexport.export"
					" WHERE state = 'queued' AND (not_before IS NULL OR not_before <= clock_timestamp())"
					" ORDER BY id LIMIT $1::integer FOR UPDATE SKIP LOCKED) "
					"UPDATE dataexport.export e SET state = 'running', attempts = attempts + 1, "
					"date_started = clock_timestamp(), claim = $2::bigint # e.id "
					"FROM next WHERE e.id = next.id RETURNING e.id, e.owner, e.claim",
					2, params, false);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		claims[i].id = de_spi_int8((int) i, 1, &isnull);
		claims[i].role = (Oid) strtoul(de_spi_text((int) i, 2), NULL, 10);
		claims[i].claim = de_spi_int8((int) i, 3, &isnull);
	}
	return (int) n;
}

static TimestampTz
scanner_next_retry(void)
{
	bool		isnull;
	Datum		d;

	de_spi_exec("SELECT min(not_before) FROM dataexport.export "
				"WHERE state = 'queued' AND not_before > clock_timestamp()",
				0, NULL, false);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(d);
}

static void
scanner_forget_database(Oid dboid)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < DE_MAX_DATABASES; i++)
		if (de_shared->databases[i].dboid == dboid)
			memset(&de_shared->databases[i], 0, sizeof(DeDatabase));
	LWLockRelease(de_shared->lock);
}

static void
scanner_assign(Oid dboid, const Claim *claims, int nclaims, TimestampTz next_retry)
{
	int			c = 0;

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < de_shared->nslots && c < nclaims; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_FREE)
			continue;
		slot->state = DE_SLOT_ASSIGNED;
		slot->dboid = dboid;
		slot->roleoid = claims[c].role;
		slot->export_id = claims[c].id;
		slot->claim = claims[c].claim;
		slot->pid = 0;
		slot->cancel_requested = false;
		pg_atomic_write_u64(&slot->rows, 0);
		pg_atomic_write_u64(&slot->bytes, 0);
		c++;
	}
	/* only the scanner fills slots and only the launcher frees them, so
	 * every claim has found a slot */
	for (int i = 0; i < DE_MAX_DATABASES; i++)
		if (de_shared->databases[i].dboid == dboid)
		{
			de_shared->databases[i].wake_at = next_retry;
			if (c < nclaims)
				de_shared->databases[i].dirty = true;
		}
	LWLockRelease(de_shared->lock);
}

/*
 * Connected as the bootstrap superuser (InvalidOid): the scanner runs only
 * the fixed bookkeeping SQL above, and switches to the extension owner for
 * it; it never runs a user's query.
 */
void
dataexport_scanner_main(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	DeUserSwitch sw;
	Claim	   *claims;
	int			nclaims = 0;
	TimestampTz next_retry = 0;
	bool		installed;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dataexport scanner");

	claims = palloc0(sizeof(Claim) * de_shared->nslots);
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dataexport: scanning for queued exports");
	installed = OidIsValid(get_extension_oid("dataexport", true));
	if (installed)
	{
		de_become_owner(&sw);
		scanner_fail_unrunnable();
		scanner_requeue_orphans(dboid);
		nclaims = scanner_claim(count_free_slots(), claims);
		next_retry = scanner_next_retry();
		de_restore_user(&sw);
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	if (!installed)
		scanner_forget_database(dboid);
	else
		scanner_assign(dboid, claims, nclaims, next_retry);
	de_wake_launcher();
	proc_exit(0);
}
