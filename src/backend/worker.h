/*
 * worker.h
 *	  What the launcher hands an export worker (bgw_extra).
 */
#ifndef DATAEXPORT_WORKER_H
#define DATAEXPORT_WORKER_H

typedef struct DeWorkerArgs
{
	Oid			dboid;
	Oid			roleoid;
	int64		export_id;
	int64		claim;			/* matched by every read and write of the export */
	int			slot;
} DeWorkerArgs;

#define DE_MAX_ATTEMPTS 4		/* the first run and Sentry's 3 retries */
#define DE_MAX_TIMEOUT_ATTEMPTS 2	/* a statement timeout is retried once */

#endif
