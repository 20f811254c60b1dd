/*
 * scanner.c
 *	  The scanner: a short-lived dynamic background worker that the launcher
 *	  (launcher.c) starts for one database at a time.
 *
 * In one transaction, the scanner returns to the queue exports whose worker
 * could not be started (refunding the attempt), fails exports whose role can
 * no longer run them, re-queues exports left "running" by a worker that died
 * (with a back-off; a second loss fails the export), and claims queued
 * exports for the free slots, round-robin across requesters (FIFO within
 * one); all of that SQL is exports.c's.  After the commit it fills the slots
 * it claimed, reports what it found to the launcher and exits.
 *
 * Locking (the protocol is in de_shmem.h): de_shared->lock is taken only
 * around reads and writes of shared memory, never across SQL; the scanner
 * moves slots FREE -> ASSIGNED and UNSTARTED -> FREE (only after the
 * transaction that claimed or returned their exports has committed), resets
 * the progress atomics and the estimate of a slot it assigns, and writes scanner_pid and
 * scan_report.  Only one scanner runs at a time.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "storage/ipc.h"
#include "tcop/tcopprot.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "dataexport.h"
#include "exports.h"
#include "settings.h"
#include "de_shmem.h"
#include "worker.h"

/* The claims of this database's occupied slots: their exports have (or are
 * about to have) a worker.  Allocated in the current memory context. */
static int
live_claims(Oid dboid, int64 **claims)
{
	int			n = 0;

	*claims = palloc(sizeof(int64) * Max(de_shared->nslots, 1));
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_FREE && slot->dboid == dboid)
			(*claims)[n++] = slot->claim;
	}
	LWLockRelease(de_shared->lock);
	return n;
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

/* Tells the launcher what this scan found (de_shmem.h, DeScanReport). */
static void
scanner_report(Oid dboid, bool installed, bool more, TimestampTz next_retry)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->scanner_pid = 0;
	de_shared->scan_report.dboid = dboid;
	de_shared->scan_report.installed = installed;
	de_shared->scan_report.more = more;
	de_shared->scan_report.next_retry = next_retry;
	LWLockRelease(de_shared->lock);
}

/* Frees the UNSTARTED slots whose exports this scan returned to the queue
 * (committed), by claim; a zeroed claim (a locked row) keeps its slot. */
static void
scanner_free_returned(Oid dboid, const int64 *claims, int nclaims)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_UNSTARTED || slot->dboid != dboid)
			continue;
		for (int j = 0; j < nclaims; j++)
			if (claims[j] != 0 && slot->claim == claims[j])
			{
				slot->state = DE_SLOT_FREE;
				slot->export_id = 0;
				slot->pid = 0;
				slot->cancel_requested = false;
				break;
			}
	}
	LWLockRelease(de_shared->lock);
}

static void
scanner_assign(Oid dboid, const DeExportClaim *claims, int nclaims, TimestampTz next_retry)
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
		slot->started = 0;
		slot->estimated_rows = -1;
		slot->query_started = 0;
		slot->cancel_requested = false;
		pg_atomic_write_u64(&slot->rows, 0);
		pg_atomic_write_u64(&slot->bytes, 0);
		c++;
	}
	LWLockRelease(de_shared->lock);
	/* only the scanner fills slots and only the launcher frees them, so
	 * every claim has found a slot */
	if (c < nclaims)
		elog(WARNING, "dataexport scanner found no slot for %d claimed exports",
			 nclaims - c);
}

/*
 * Connected as the bootstrap superuser (InvalidOid): the scanner runs only
 * the fixed bookkeeping SQL of exports.c, which switches to the extension
 * owner for it; it never runs a user's query.
 *
 * In one transaction: exports whose worker the launcher could not start
 * (slots UNSTARTED, named by their claims) go back to the queue, the
 * attempt refunded, after a back-off; a row locked by another session (a
 * cancel in an open transaction) is skipped and its slot kept for the next
 * scan.  Then exports whose role can no longer run them fail, exports
 * "running" without a live slot are re-queued or failed, and queued exports
 * are claimed for the free slots.
 */
void
dataexport_scanner_main(Datum arg)
{
	DeScannerArgs args;
	Oid			dboid;
	DeExportClaim *claims;
	int64	   *live;
	int			nlive;
	int			nclaims = 0;
	int			limit = 0;
	int64	   *returned;
	int			nreturned = 0;
	TimestampTz next_retry = 0;
	bool		installed;

	memcpy(&args, MyBgworkerEntry->bgw_extra, sizeof(args));
	dboid = args.dboid;
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("dataexport scanner");
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	de_shared->scanner_pid = MyProcPid;
	LWLockRelease(de_shared->lock);

	claims = palloc0(sizeof(DeExportClaim) * de_shared->nslots);
	returned = palloc0(sizeof(int64) * de_shared->nslots);
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = 0; i < de_shared->nslots; i++)
		if (de_shared->slots[i].state == DE_SLOT_UNSTARTED &&
			de_shared->slots[i].dboid == dboid)
			returned[nreturned++] = de_shared->slots[i].claim;
	LWLockRelease(de_shared->lock);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, "dataexport: scanning for queued exports");
	installed = OidIsValid(get_extension_oid("dataexport", true));
	if (installed)
	{
		de_exports_return_unstarted(returned, nreturned, DE_START_RETRY_MS);
		de_exports_fail_unrunnable();
		nlive = live_claims(dboid, &live);
		de_exports_requeue_orphans(live, nlive, DE_MAX_ATTEMPTS, de_retry_delay_ms);
		limit = Min(count_free_slots(), args.max_claims);
		nclaims = limit > 0 ? de_exports_claim(limit, claims) : 0;
		next_retry = de_exports_next_retry();
	}
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);

	scanner_free_returned(dboid, returned, nreturned);
	scanner_assign(dboid, claims, nclaims, next_retry);
	/* a full share claimed, or slots given back: there may be more to do */
	scanner_report(dboid, installed, (limit > 0 && nclaims == limit) || nreturned > 0,
				   next_retry);
	de_wake_launcher();
	proc_exit(0);
}
