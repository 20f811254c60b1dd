/*
 * progress.h
 *	  Live progress of a running export (progress.c): the planner's estimate
 *	  of its rows, taken by the worker when its query starts, and what
 *	  dataexport_progress and dataexport_wait(progress => true) derive from
 *	  it (percent, rate, time left).
 */
#ifndef DATAEXPORT_PROGRESS_H
#define DATAEXPORT_PROGRESS_H

#include "tcop/dest.h"
#include "utils/timestamp.h"

#include "de_shmem.h"

/*
 * In the worker, around its query: the first ExecutorStart whose tuples go
 * to dest (the export's sink, not a query nested in a function) stores its
 * plan's estimated rows, capped at row_limit, and the time into slot.
 */
extern void de_progress_watch(DestReceiver *dest, DeSlot *slot, int64 row_limit);
extern void de_progress_unwatch(void);

/* A snapshot of one slot, with what is derived from it. */
typedef struct DeProgress
{
	bool		running;		/* the worker's query has started */
	uint64		rows;
	uint64		bytes;
	int64		estimated_rows; /* -1: not known (yet) */
	TimestampTz query_started;	/* 0: not started */
	int			percent;		/* -1: no sane estimate */
	double		rows_per_second;	/* < 0: not known */
	double		eta_seconds;	/* < 0: not known */
} DeProgress;

/*
 * percent, rows_per_second and eta_seconds of p (the other fields set) at
 * time now.  The estimate is sane when it is > 0 and rows <= estimate;
 * then percent = 100 * rows / estimate, at most 99 (the export is still
 * running).  The rate is rows / seconds since the query started; the time
 * left (estimate - rows) / rate, when the estimate is sane and rate > 0.
 */
extern void de_progress_derive(DeProgress *p, TimestampTz now);

/* Reads the slot (lock held by the caller, shared or exclusive). */
extern void de_progress_read_slot(const DeSlot *slot, DeProgress *p);

/* The NOTICE text of dataexport_wait(progress => true) for export id, e.g.
 * "export 7: 45% (450,000 of ~1,000,000 rows, 52 MB, 3 s left)"; p NULL
 * means it has no running worker (queued). */
extern char *de_progress_message(int64 id, const DeProgress *p);

#endif
