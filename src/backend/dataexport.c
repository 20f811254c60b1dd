/*
 * dataexport.c
 *	  Module entry: settings, shared memory, the launcher, the transaction
 *	  callbacks of pending.c, and the utility hook.
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "postmaster/bgworker.h"
#include "tcop/utility.h"

#include "dataexport.h"
#include "settings.h"
#include "de_shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * COMMIT PREPARED of a transaction that queued exports: the session that
 * prepared it cannot wake the launcher, so the one that commits it does
 * (pending.c).
 */
static void
de_ProcessUtility(PlannedStmt *pstmt, const char *queryString,
				  bool readOnlyTree, ProcessUtilityContext context,
				  ParamListInfo params, QueryEnvironment *queryEnv,
				  DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (prev_ProcessUtility)
		prev_ProcessUtility(pstmt, queryString, readOnlyTree, context,
							params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);

	if (IsA(parsetree, TransactionStmt) &&
		((TransactionStmt *) parsetree)->kind == TRANS_STMT_COMMIT_PREPARED)
		de_after_commit_prepared();
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

/*
 * The launcher, one scanner at a time and up to dataexport.max_workers
 * export workers each take a background-worker slot.  Too few slots is not
 * fatal (a worker that cannot start leaves its export queued), so this only
 * warns, at startup, as pg_cron does for its own workers.
 */
static void
check_worker_slots(void)
{
	if (de_max_workers + 2 > max_worker_processes)
		ereport(WARNING,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("dataexport.max_workers (%d) needs more background worker slots than max_worker_processes (%d) provides",
						de_max_workers, max_worker_processes),
				 errdetail("The launcher and the scanner take one slot each, and each export worker one; other extensions and parallel queries share them."),
				 errhint("Set max_worker_processes to at least %d, or lower dataexport.max_workers.",
						 de_max_workers + 2)));
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
	check_worker_slots();
	de_pending_register_callbacks();
	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = de_ProcessUtility;
	de_shmem_install_hooks();
	de_install_drop_hook();
	de_register_launcher();
}
