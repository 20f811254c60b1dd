/*
 * dataexport.h
 *	  Declarations shared by the server-side modules.
 */
#ifndef DATAEXPORT_DATAEXPORT_H
#define DATAEXPORT_DATAEXPORT_H

#include "datatype/timestamp.h"
#include "dates.h"

/* pending.c: actions at commit that follow subtransactions */
extern void de_wake_launcher_at_commit(void);
extern void de_cancel_at_commit(int64 export_id, int64 claim);
extern void de_after_commit_prepared(void);
extern void de_pending_register_callbacks(void);

/* drop_hook.c: dropping the extension unlinks the export files */
extern void de_install_drop_hook(void);

/* launcher.c / scanner.c / worker.c entry points (bgw_function_name) */
extern PGDLLEXPORT void dataexport_launcher_main(Datum arg);
extern PGDLLEXPORT void dataexport_scanner_main(Datum arg);
extern PGDLLEXPORT void dataexport_worker_main(Datum arg);

/* PostgreSQL timestamps count from 2000-01-01, ours (dates.h) from 1970. */
#define DE_EPOCH_SHIFT_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

static inline de_time
de_time_from_timestamptz(TimestampTz t)
{
	return (de_time) t + DE_EPOCH_SHIFT_USECS;
}

static inline TimestampTz
de_timestamptz_from_time(de_time t)
{
	return (TimestampTz) (t - DE_EPOCH_SHIFT_USECS);
}

#endif
