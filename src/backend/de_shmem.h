/*
 * de_shmem.h
 *	  State shared by backends, the launcher, the scanners and the workers:
 *	  the worker slots (one per claimed export, with its progress and cancel
 *	  flag), a bounded "these databases may have queued work" signal, the
 *	  scanner's report, and the wakeup plumbing.
 *
 * The launcher keeps its list of databases in its own memory (launcher.c),
 * refreshed from pg_database every dataexport.naptime, so that any number of
 * databases is served.  Shared memory only carries a small ring of dirtied
 * database OIDs; when it is full, "overflow" asks the launcher to rescan all.
 *
 * Note about locking:
 *
 * de_shared->lock (one LWLock) protects every field below except
 * slots[].rows and slots[].bytes, which are lock-free atomics written only
 * by the slot's worker (sink.c), reset by the scanner that assigns the
 * slot, and read by anyone (dataexport_progress).
 * Readers take it LW_SHARED, writers LW_EXCLUSIVE.  No SQL, SPI, latch wait
 * or worker registration happens under it; the only lock taken while it is
 * held is BackgroundWorkerLock (GetBackgroundWorkerPid in the launcher's
 * reap), and nobody takes those two in the other order.
 *
 * The ring of dirtied databases (ndirty, dirty[], dirty_overflow) is
 * appended to by any backend or worker (de_wake_launcher_for) and emptied
 * by the launcher.  scan_report is written by the scanner as it ends and
 * consumed (dboid reset) by the launcher; the scanner sets scanner_pid as
 * it starts and clears it with its report.  launcher_latch is set and
 * cleared by the launcher only.
 *
 * Who moves a slot between states (DeSlotState), and nobody else:
 *	 FREE -> ASSIGNED		the scanner, after committing the claim of an
 *							export (state 'running', attempts + 1);
 *	 ASSIGNED -> LAUNCHED	the launcher, when RegisterDynamicBackgroundWorker
 *							succeeded;
 *	 ASSIGNED -> UNSTARTED	the launcher, when it failed (no background
 *							worker slot);
 *	 UNSTARTED -> FREE		the next scanner of that database, after it has
 *							committed the export's return to the queue
 *							(attempt refunded, not_before set);
 *	 LAUNCHED -> FREE		the launcher, once the worker has exited (by its
 *							handle, or for a previous launcher's worker by
 *							kill(pid, 0)); the database is scanned again,
 *							which re-queues the export if the worker died
 *							without recording an outcome.
 * The worker writes only pid and started of its own slot, and (when its
 * query starts, progress.c) estimated_rows and query_started; the scanner
 * resets those two when it assigns the slot.  A backend that
 * cancels an export sets cancel_requested and signals pid.  Only one scanner
 * runs at a time (the launcher starts it, and a restarted launcher waits for
 * its predecessor's by scanner_pid), so the scanner's slot writes and its
 * report never race with another scanner's.
 */
#ifndef DATAEXPORT_DE_SHMEM_H
#define DATAEXPORT_DE_SHMEM_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

/* Size of the ring of dirtied databases; beyond it, "rescan all". */
#define DE_DIRTY_RING 32

typedef enum DeSlotState
{
	DE_SLOT_FREE = 0,
	DE_SLOT_ASSIGNED,			/* claimed by a scanner, worker not started */
	DE_SLOT_LAUNCHED,			/* worker registered by the launcher */
	DE_SLOT_UNSTARTED			/* worker could not be registered: the next
								 * scanner returns the export to the queue */
} DeSlotState;

typedef struct DeSlot
{
	DeSlotState state;
	Oid			dboid;
	Oid			roleoid;
	int64		export_id;
	int64		claim;			/* the export's claim token (made by exports.c at claim) */
	int			pid;			/* the worker's, once it runs */
	bool		cancel_requested;
	TimestampTz started;
	int64		estimated_rows; /* the planner's, capped at the row limit;
								 * -1 until the query starts */
	TimestampTz query_started;	/* 0 until the query starts */
	pg_atomic_uint64 rows;
	pg_atomic_uint64 bytes;
} DeSlot;

/* What the last scanner found, for the launcher (dboid 0: nothing new). */
typedef struct DeScanReport
{
	Oid			dboid;
	bool		installed;		/* the extension exists in the database */
	bool		more;			/* it claimed its share; more may be queued */
	TimestampTz next_retry;		/* 0, or when delayed exports become due */
} DeScanReport;

typedef struct DeShared
{
	LWLock	   *lock;
	Latch	   *launcher_latch;
	ConditionVariable finished;	/* broadcast when an export ends */
	int			ndirty;
	bool		dirty_overflow; /* the ring was full: rescan every database */
	Oid			dirty[DE_DIRTY_RING];
	DeScanReport scan_report;
	int			scanner_pid;	/* the running scanner's, 0: none; lets a
								 * restarted launcher wait for it */
	int			nslots;
	DeSlot		slots[FLEXIBLE_ARRAY_MEMBER];
} DeShared;

/* A failed start of a scanner or worker is retried after this long (the
 * launcher); an export whose worker could not start is returned to the queue
 * with this back-off (the scanner). */
#define DE_START_RETRY_MS 1000

/* What the launcher hands a scanner (bgw_extra). */
typedef struct DeScannerArgs
{
	Oid			dboid;
	int			max_claims;		/* its fair share of the free slots */
} DeScannerArgs;

extern DeShared *de_shared;

extern void de_shmem_install_hooks(void);
extern void de_require_preloaded(void);

/* Marks a database as possibly having queued work and wakes the launcher. */
extern void de_wake_launcher_for(Oid dboid);
extern void de_wake_launcher(void);

/* Slot of a running export in this database, or NULL (lock held by caller). */
extern DeSlot *de_find_slot(Oid dboid, int64 export_id);
/* The same, but only the slot of that claim: never a stale worker's slot of
 * a re-created extension's export with the same id (lock held by caller). */
extern DeSlot *de_find_claimed_slot(Oid dboid, int64 export_id, int64 claim);

#endif
