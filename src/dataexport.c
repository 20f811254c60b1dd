/*
 * dataexport.c
 *	  Module entry: settings, shared memory, the launcher, and the hook that
 *	  wakes the launcher when a transaction that queued an export commits.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include <signal.h>

#include "dataexport.h"
#include "guc.h"
#include "shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* Set by dataexport_create and dataexport_cancel; acted on at commit,
 * dropped at abort, so that a rolled-back request never takes effect. */
static bool wake_at_commit = false;

#define MAX_CANCELS_PER_XACT 64
static int64 cancel_at_commit[MAX_CANCELS_PER_XACT];
static int	ncancel_at_commit = 0;

/* Interrupts the workers of exports whose cancellation just committed. */
static void
signal_cancelled_workers(void)
{
	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < ncancel_at_commit; i++)
	{
		DeSlot	   *slot = de_find_slot(MyDatabaseId, cancel_at_commit[i]);

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
de_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_at_commit && de_shared != NULL)
				de_wake_launcher_for(MyDatabaseId);
			if (ncancel_at_commit > 0 && de_shared != NULL)
				signal_cancelled_workers();
			wake_at_commit = false;
			ncancel_at_commit = 0;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			wake_at_commit = false;
			ncancel_at_commit = 0;
			break;
		default:
			break;
	}
}

void
de_wake_launcher_at_commit(void)
{
	wake_at_commit = true;
}

void
de_cancel_at_commit(int64 export_id)
{
	if (ncancel_at_commit < MAX_CANCELS_PER_XACT)
		cancel_at_commit[ncancel_at_commit++] = export_id;
	else
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("cannot cancel more than %d data exports in one transaction",
						MAX_CANCELS_PER_XACT)));
}

static void
de_register_launcher(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "dataexport");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "dataexport_launcher_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "dataexport launcher");
	snprintf(worker.bgw_type, BGW_MAXLEN, "dataexport launcher");
	RegisterBackgroundWorker(&worker);
}

void
_PG_init(void)
{
	/* Loaded any other way, the library only serves to refuse CREATE
	 * EXTENSION (dataexport_check_preloaded): dataexport.max_workers is a
	 * postmaster setting, which cannot be defined after startup. */
	if (!process_shared_preload_libraries_in_progress)
		return;

	de_define_settings();
	RegisterXactCallback(de_xact_callback, NULL);
	de_shmem_install_hooks();
	de_install_drop_hook();
	de_register_launcher();
}
