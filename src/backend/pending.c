/*
 * pending.c
 *	  What dataexport_create and dataexport_cancel ask to happen at commit:
 *	  wake the launcher (a new export is queued) and interrupt the workers of
 *	  exports whose cancellation committed.
 *
 * These are side effects outside the transaction (a latch, a signal), so
 * they must happen only if the change that asked for them commits, exactly
 * as the rest of the transaction does.  The model is PostgreSQL's
 * storage.c (pending deletes): each action is an entry in a list that lives
 * in TopTransactionContext, tagged with the subtransaction nest level that
 * asked for it.
 *	- A subtransaction that commits (RELEASE SAVEPOINT, the end of a PL/pgSQL
 *	  block without exception) hands its entries to its parent.
 *	- A subtransaction that aborts (ROLLBACK TO SAVEPOINT, a PL/pgSQL
 *	  EXCEPTION block that caught an error) drops them.
 *	- The top-level commit acts on what is left; the top-level abort drops
 *	  everything.
 * There is no fixed limit on the number of entries.
 *
 * Two-phase commit: an extension cannot attach state to a prepared
 * transaction (twophase resource managers are PostgreSQL's own), and the
 * COMMIT PREPARED may come from any session.  So:
 *	- a prepared transaction that created exports needs no state of ours:
 *	  whoever runs COMMIT PREPARED in a database where the extension is
 *	  installed wakes the launcher (de_after_commit_prepared), and the
 *	  launcher's periodic scan is the safety net;  ROLLBACK PREPARED leaves
 *	  nothing behind;
 *	- a prepared transaction that cancelled a running export could not
 *	  interrupt its worker at COMMIT PREPARED, so PREPARE TRANSACTION is
 *	  refused while a cancel is pending, with a clear error (PostgreSQL does
 *	  the same for NOTIFY, which a cancel also sends).
 *
 * Nothing here takes de_shared->lock except the commit-time actions, which
 * run after the transaction is durably committed (XACT_EVENT_COMMIT) and
 * therefore must not raise errors.
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"
#include <signal.h>

#include "dataexport.h"
#include "de_shmem.h"

typedef enum DePendingKind
{
	DE_PENDING_WAKE,			/* a new export is queued in MyDatabaseId */
	DE_PENDING_CANCEL			/* interrupt the worker of export_id */
} DePendingKind;

typedef struct DePending
{
	DePendingKind kind;
	int64		export_id;		/* DE_PENDING_CANCEL only */
	int64		claim;			/* DE_PENDING_CANCEL only: the worker's claim */
	int			nest_level;		/* the (sub)transaction that asked */
} DePending;

/* Entries live in TopTransactionContext; NIL outside a transaction. */
static List *pending = NIL;

static void
add_pending(DePendingKind kind, int64 export_id, int64 claim)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);
	DePending  *p = palloc(sizeof(DePending));

	p->kind = kind;
	p->export_id = export_id;
	p->claim = claim;
	p->nest_level = GetCurrentTransactionNestLevel();
	pending = lappend(pending, p);
	MemoryContextSwitchTo(old);
}

void
de_wake_launcher_at_commit(void)
{
	add_pending(DE_PENDING_WAKE, 0, 0);
}

void
de_cancel_at_commit(int64 export_id, int64 claim)
{
	add_pending(DE_PENDING_CANCEL, export_id, claim);
}

static bool
has_pending(DePendingKind kind)
{
	ListCell   *lc;

	foreach(lc, pending)
	{
		if (((DePending *) lfirst(lc))->kind == kind)
			return true;
	}
	return false;
}

/* After the commit: interrupt the workers of the cancelled exports. */
static void
signal_cancelled_workers(void)
{
	ListCell   *lc;

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	foreach(lc, pending)
	{
		DePending  *p = lfirst(lc);
		DeSlot	   *slot;

		if (p->kind != DE_PENDING_CANCEL)
			continue;
		slot = de_find_claimed_slot(MyDatabaseId, p->export_id, p->claim);
		if (slot == NULL)
			continue;
		slot->cancel_requested = true;
		if (slot->pid != 0)
			kill(slot->pid, SIGINT);
	}
	LWLockRelease(de_shared->lock);
	ConditionVariableBroadcast(&de_shared->finished);
}

static void
de_pending_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (pending != NIL && de_shared != NULL)
			{
				if (has_pending(DE_PENDING_WAKE))
					de_wake_launcher_for(MyDatabaseId);
				if (has_pending(DE_PENDING_CANCEL))
					signal_cancelled_workers();
			}
			pending = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (has_pending(DE_PENDING_CANCEL))
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot PREPARE a transaction that has cancelled a data export"),
						 errdetail("The export's worker is interrupted when the cancellation commits, which a prepared transaction cannot do."),
						 errhint("Cancel the export in a transaction that is not prepared.")));
			break;
		case XACT_EVENT_PREPARE:
			/* the wake-up is done by whoever runs COMMIT PREPARED */
			pending = NIL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PARALLEL_COMMIT:
			pending = NIL;
			break;
		default:
			break;
	}
}

static void
de_pending_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();
	ListCell   *lc;

	switch (event)
	{
		case SUBXACT_EVENT_COMMIT_SUB:
			/* the parent now owns what this subtransaction asked for */
			foreach(lc, pending)
			{
				DePending  *p = lfirst(lc);

				if (p->nest_level >= level)
					p->nest_level = level - 1;
			}
			break;
		case SUBXACT_EVENT_ABORT_SUB:
			foreach(lc, pending)
			{
				DePending  *p = lfirst(lc);

				if (p->nest_level >= level)
				{
					pending = foreach_delete_current(pending, lc);
					pfree(p);
				}
			}
			break;
		default:
			break;
	}
}

/*
 * After a successful COMMIT PREPARED (in whatever session runs it): a
 * prepared transaction may have queued exports in this database, so wake
 * the launcher when this statement's own transaction commits.  Databases
 * without the extension are left alone.
 */
void
de_after_commit_prepared(void)
{
	if (de_shared != NULL && IsTransactionState() &&
		OidIsValid(get_extension_oid("dataexport", true)))
		de_wake_launcher_at_commit();
}

void
de_pending_register_callbacks(void)
{
	RegisterXactCallback(de_pending_xact_callback, NULL);
	RegisterSubXactCallback(de_pending_subxact_callback, NULL);
}
