/*
 * launcher.c
 *	  The launcher: a static background worker, connected to no database,
 *	  that keeps the list of databases, starts a scanner (scanner.c) for one
 *	  of them at a time, starts an export worker (worker.c) for every slot a
 *	  scanner claimed, and frees the slot when that worker has exited.
 *
 * Backends mark their database dirty at the commit of dataexport_create and
 * set the launcher's latch (de_shmem.c: a small ring of database OIDs, with an
 * "overflow: rescan all" flag).  The launcher keeps every database it knows
 * of in its own memory (autovacuum's get_database_list is the model), so
 * that any number of databases is served, and refreshes that list from
 * pg_database at start and every dataexport.naptime, marking each dirty:
 * that is how work queued before a restart or crash is found again.
 *
 * The launcher starts a scanner for the dirty database served least
 * recently, so that no database starves the others, and lets it claim only
 * its fair share of the free slots when other databases are dirty too.  The
 * launcher then starts one export worker per claimed slot,
 * connected as the export's role, and frees the slot when that worker exits
 * (bgw_notify_pid; a previous launcher's workers are polled every second).
 * Shortage of background-worker slots never makes it spin: a failed start is
 * retried after a second.
 *
 * Locking (the protocol is in de_shmem.h): de_shared->lock is taken only
 * around reads and writes of shared memory, never across a worker
 * registration or a latch wait; the launcher moves slots ASSIGNED ->
 * LAUNCHED or UNSTARTED and LAUNCHED -> FREE, empties the ring of dirtied
 * databases, consumes the scanner's report, and sets launcher_latch.  Its
 * list of databases (db_hash) is its own memory and takes no lock.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dataexport.h"
#include "settings.h"
#include "de_shmem.h"
#include "worker.h"

static BackgroundWorkerHandle **worker_handles;
static BackgroundWorkerHandle *scanner_handle = NULL;

/* A database the launcher knows of (its own memory, not shared). */
typedef struct DeDbEntry
{
	Oid			dboid;			/* hash key */
	bool		dirty;			/* may have queued work: scan it */
	bool		seen;			/* found by the last pg_database refresh */
	TimestampTz wake_at;		/* 0, or when delayed work becomes due */
	uint64		served;			/* round of its last scanner; 0: never */
} DeDbEntry;

static MemoryContext db_context = NULL;
static HTAB *db_hash = NULL;
static uint64 serve_round = 0;
static TimestampTz scanner_retry_at = 0;	/* after a failed scanner start */

static void
launcher_detach(int code, Datum arg)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->launcher_latch = NULL;
	LWLockRelease(de_shared->lock);
}

static void
init_database_hash(void)
{
	HASHCTL		ctl;

	db_context = AllocSetContextCreate(TopMemoryContext,
									   "dataexport launcher databases",
									   ALLOCSET_DEFAULT_SIZES);
	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(Oid);
	ctl.entrysize = sizeof(DeDbEntry);
	ctl.hcxt = db_context;
	db_hash = hash_create("dataexport launcher databases", 64, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

static DeDbEntry *
database_entry(Oid dboid)
{
	bool		found;
	DeDbEntry  *e = hash_search(db_hash, &dboid, HASH_ENTER, &found);

	if (!found)
	{
		e->dirty = false;
		e->seen = true;
		e->wake_at = 0;
		e->served = 0;
	}
	return e;
}

static void
wake_database_at(Oid dboid, TimestampTz when)
{
	DeDbEntry  *e = database_entry(dboid);

	if (e->wake_at == 0 || when < e->wake_at)
		e->wake_at = when;
}

/* Every database that accepts connections, marked dirty; entries of
 * databases that no longer exist are dropped. */
static void
refresh_database_list(void)
{
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	HASH_SEQ_STATUS status;
	DeDbEntry  *e;

	hash_seq_init(&status, db_hash);
	while ((e = hash_seq_search(&status)) != NULL)
		e->seen = false;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		CHECK_FOR_INTERRUPTS();
		if (db->datallowconn && !db->datistemplate)
		{
			e = database_entry(db->oid);
			e->seen = true;
			e->dirty = true;
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();

	hash_seq_init(&status, db_hash);
	while ((e = hash_seq_search(&status)) != NULL)
		if (!e->seen)
			(void) hash_search(db_hash, &e->dboid, HASH_REMOVE, NULL);
}

/* Takes the databases dirtied since the last call, and the last scanner's
 * report, out of shared memory. */
static void
drain_dirty_databases(void)
{
	Oid			dirty[DE_DIRTY_RING];
	int			ndirty;
	bool		overflow;
	DeScanReport report;

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	ndirty = de_shared->ndirty;
	memcpy(dirty, de_shared->dirty, sizeof(Oid) * ndirty);
	overflow = de_shared->dirty_overflow;
	de_shared->ndirty = 0;
	de_shared->dirty_overflow = false;
	report = de_shared->scan_report;
	de_shared->scan_report.dboid = InvalidOid;
	LWLockRelease(de_shared->lock);

	for (int i = 0; i < ndirty; i++)
		database_entry(dirty[i])->dirty = true;
	if (OidIsValid(report.dboid) && report.installed)
	{
		if (report.more)
			database_entry(report.dboid)->dirty = true;
		if (report.next_retry != 0)
			wake_database_at(report.dboid, report.next_retry);
	}
	if (overflow)
		refresh_database_list();
}

/* Frees the slots of workers that have exited; their database is scanned
 * again, which re-queues an export whose worker died mid-way.  Returns true
 * when a slot still holds a live worker of a previous launcher: we get no
 * exit notification for those, so the caller polls. */
static bool
reap_workers(void)
{
	bool		any = false;
	bool		foreign = false;
	Oid		   *freed = palloc(sizeof(Oid) * de_shared->nslots);
	int			nfreed = 0;

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
		{
			foreign |= worker_handles[i] == NULL;
			continue;
		}
		if (worker_handles[i] != NULL)
			pfree(worker_handles[i]);
		worker_handles[i] = NULL;
		freed[nfreed++] = slot->dboid;
		slot->state = DE_SLOT_FREE;
		slot->pid = 0;
		slot->export_id = 0;
		slot->cancel_requested = false;
		any = true;
	}
	LWLockRelease(de_shared->lock);
	for (int i = 0; i < nfreed; i++)
		database_entry(freed[i])->dirty = true;
	pfree(freed);
	if (any)
		ConditionVariableBroadcast(&de_shared->finished);
	return foreign;
}

static BackgroundWorkerHandle *
start_worker(const char *function, const char *type, const char *name,
			 Datum main_arg, const void *extra, size_t extra_len)
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
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", type);
	worker.bgw_main_arg = main_arg;
	worker.bgw_notify_pid = MyProcPid;
	if (extra_len > 0)
		memcpy(worker.bgw_extra, extra, extra_len);
	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return NULL;
	return handle;
}

static bool scanner_running(void);

/* Starts a worker for every slot a scanner claimed. */
static void
launch_assigned(void)
{
	/* The scanner's own background-worker slot is released only once the
	 * postmaster has reaped it, and then its exit notification wakes us:
	 * starting workers before that would fail for nothing when slots are
	 * scarce. */
	if (scanner_running())
		return;

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
		worker_handles[i] = start_worker("dataexport_worker_main", "dataexport worker",
										 name, (Datum) 0, &args, sizeof(args));

		LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
		if (worker_handles[i] != NULL)
			slot->state = DE_SLOT_LAUNCHED;
		else
			slot->state = DE_SLOT_UNSTARTED;
		LWLockRelease(de_shared->lock);

		if (worker_handles[i] == NULL)
		{
			/* no background worker slot: the next scanner of the database
			 * puts the export back in the queue, attempt refunded */
			ereport(WARNING,
					(errmsg("dataexport could not start a worker for export " INT64_FORMAT,
							args.export_id),
					 errhint("Raise max_worker_processes.")));
			wake_database_at(args.dboid,
							 TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
														 DE_START_RETRY_MS));
		}
	}
}

static bool
scanner_running(void)
{
	pid_t		pid;

	if (scanner_handle == NULL)
	{
		/* one a previous launcher started may still run */
		LWLockAcquire(de_shared->lock, LW_SHARED);
		pid = de_shared->scanner_pid;
		LWLockRelease(de_shared->lock);
		return pid != 0 && kill(pid, 0) == 0 && BackendPidGetProc(pid) != NULL;
	}
	if (GetBackgroundWorkerPid(scanner_handle, &pid) != BGWH_STOPPED)
		return true;
	pfree(scanner_handle);
	scanner_handle = NULL;
	/* it may have died before clearing its pid */
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->scanner_pid = 0;
	LWLockRelease(de_shared->lock);
	return false;
}

/*
 * Starts a scanner for the dirty database served least recently, when it has
 * a slot to fill (or an unstarted export to return).  With other databases
 * dirty too, the scanner may claim only its fair share of the free slots.
 * Returns the time of the next delayed wakeup (0: none).
 */
static TimestampTz
maybe_start_scanner(void)
{
	TimestampTz now = GetCurrentTimestamp();
	TimestampTz next_wake = 0;
	int			nfree = 0;
	int			nunstarted = 0;
	Oid		   *unstarted = palloc(sizeof(Oid) * de_shared->nslots);
	int			ncandidates = 0;
	DeDbEntry  *target = NULL;
	HASH_SEQ_STATUS status;
	DeDbEntry  *e;
	DeScannerArgs args;
	char		name[BGW_MAXLEN];

	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state == DE_SLOT_FREE)
			nfree++;
		else if (slot->state == DE_SLOT_UNSTARTED)
			unstarted[nunstarted++] = slot->dboid;
	}
	LWLockRelease(de_shared->lock);

	hash_seq_init(&status, db_hash);
	while ((e = hash_seq_search(&status)) != NULL)
	{
		bool		has_unstarted = false;

		if (e->wake_at != 0 && e->wake_at <= now)
		{
			e->wake_at = 0;
			e->dirty = true;
		}
		if (e->wake_at != 0 && (next_wake == 0 || e->wake_at < next_wake))
			next_wake = e->wake_at;
		for (int i = 0; i < nunstarted; i++)
			has_unstarted |= unstarted[i] == e->dboid;
		if (!e->dirty || (nfree == 0 && !has_unstarted))
			continue;
		ncandidates++;
		if (target == NULL || e->served < target->served ||
			(e->served == target->served && e->dboid < target->dboid))
			target = e;
	}
	pfree(unstarted);

	/* one scanner at a time, and none while a start is being retried */
	if (target == NULL || scanner_running())
		return next_wake;
	if (now < scanner_retry_at)
		return (next_wake == 0 || scanner_retry_at < next_wake) ? scanner_retry_at : next_wake;

	args.dboid = target->dboid;
	args.max_claims = ncandidates > 1 ? Max(1, nfree / ncandidates) : nfree;
	snprintf(name, sizeof(name), "dataexport scanner for database %u", target->dboid);
	scanner_handle = start_worker("dataexport_scanner_main", "dataexport scanner",
								  name, ObjectIdGetDatum(target->dboid),
								  &args, sizeof(args));
	if (scanner_handle != NULL)
	{
		target->dirty = false;
		target->served = ++serve_round;
	}
	else
	{
		/* no background worker slot: try again in a second, without
		 * spinning (the database stays dirty) */
		scanner_retry_at = TimestampTzPlusMilliseconds(now, DE_START_RETRY_MS);
		if (next_wake == 0 || scanner_retry_at < next_wake)
			next_wake = scanner_retry_at;
	}
	return next_wake;
}

void
dataexport_launcher_main(Datum arg)
{
	TimestampTz next_full_scan = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	/* a query cancel (pg_cancel_backend) must not take down the process
	 * every database's exports depend on; as pg_cron's launcher */
	pqsignal(SIGINT, SIG_IGN);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	pgstat_report_appname("dataexport launcher");

	worker_handles = MemoryContextAllocZero(TopMemoryContext,
											sizeof(BackgroundWorkerHandle *) * de_shared->nslots);
	init_database_hash();
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->launcher_latch = &MyProc->procLatch;
	LWLockRelease(de_shared->lock);
	on_shmem_exit(launcher_detach, (Datum) 0);

	for (;;)
	{
		TimestampTz now;
		TimestampTz next_wake;
		long		timeout_ms;
		bool		foreign;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		now = GetCurrentTimestamp();
		if (now >= next_full_scan)
		{
			refresh_database_list();
			next_full_scan = TimestampTzPlusMilliseconds(now, de_naptime_s * 1000L);
		}
		drain_dirty_databases();
		foreign = reap_workers() || (scanner_handle == NULL && scanner_running());
		launch_assigned();
		next_wake = maybe_start_scanner();

		if (next_wake == 0 || next_wake > next_full_scan)
			next_wake = next_full_scan;
		timeout_ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), next_wake);
		/* a previous launcher's workers and scanner tell us nothing when
		 * they exit */
		if (foreign)
			timeout_ms = Min(timeout_ms, DE_START_RETRY_MS);
		/* a running scanner reports its end through the latch */
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Max(timeout_ms, 10), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
