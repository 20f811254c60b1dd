/*
 * progress.c
 *	  Live progress of a running export: the planner's estimate of the rows
 *	  of the worker's query, and the percent, rate and time left derived
 *	  from it for dataexport_progress() and dataexport_wait(progress => true).
 *
 * The estimate is taken by an ExecutorStart hook, installed in the worker
 * only, when the query whose tuples go to the export's sink starts: the
 * top plan node's rows, capped at the export's row limit (the worker stops
 * there).  Queries nested in functions that the export calls have other
 * receivers and are not taken.  The hook runs planning-free: the plan is the
 * one the executor is about to run.
 *
 * Locking (the protocol is in de_shmem.h): the worker writes estimated_rows
 * and query_started of its own slot under de_shared->lock LW_EXCLUSIVE; the
 * scanner resets them when it assigns the slot; readers hold it LW_SHARED
 * (de_progress_read_slot's caller).  rows and bytes are the sink's lock-free
 * atomics.
 */
#include "postgres.h"

#include <math.h>

#include "executor/executor.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"

#include "progress.h"

static ExecutorStart_hook_type prev_executor_start = NULL;
static bool hook_installed = false;
static DestReceiver *watched_dest = NULL;
static DeSlot *watched_slot = NULL;
static int64 watched_limit = 0;

static void
progress_executor_start(QueryDesc *queryDesc, int eflags)
{
	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);

	if (watched_dest != NULL && queryDesc->dest == watched_dest &&
		!(eflags & EXEC_FLAG_EXPLAIN_ONLY) &&
		queryDesc->plannedstmt != NULL && queryDesc->plannedstmt->planTree != NULL)
	{
		double		plan_rows = queryDesc->plannedstmt->planTree->plan_rows;
		int64		estimate;

		estimate = plan_rows >= (double) PG_INT64_MAX ? PG_INT64_MAX :
			(int64) rint(Max(plan_rows, 0.0));
		if (watched_limit > 0 && estimate > watched_limit)
			estimate = watched_limit;
		LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
		watched_slot->estimated_rows = estimate;
		watched_slot->query_started = GetCurrentTimestamp();
		LWLockRelease(de_shared->lock);
		/* once: the sink's query starts once */
		watched_dest = NULL;
	}
}

void
de_progress_watch(DestReceiver *dest, DeSlot *slot, int64 row_limit)
{
	if (slot == NULL)
		return;
	if (!hook_installed)
	{
		prev_executor_start = ExecutorStart_hook;
		ExecutorStart_hook = progress_executor_start;
		hook_installed = true;
	}
	watched_dest = dest;
	watched_slot = slot;
	watched_limit = row_limit;
}

void
de_progress_unwatch(void)
{
	watched_dest = NULL;
	watched_slot = NULL;
}

void
de_progress_read_slot(const DeSlot *slot, DeProgress *p)
{
	memset(p, 0, sizeof(*p));
	p->query_started = slot->query_started;
	p->running = slot->pid != 0 && slot->query_started != 0;
	p->estimated_rows = p->running ? slot->estimated_rows : -1;
	p->rows = pg_atomic_read_u64((pg_atomic_uint64 *) &slot->rows);
	p->bytes = pg_atomic_read_u64((pg_atomic_uint64 *) &slot->bytes);
}

void
de_progress_derive(DeProgress *p, TimestampTz now)
{
	double		elapsed;
	bool		sane;

	p->percent = -1;
	p->rows_per_second = -1;
	p->eta_seconds = -1;
	if (!p->running)
		return;
	sane = p->estimated_rows > 0 && p->rows <= (uint64) p->estimated_rows;
	if (sane)
		p->percent = (int) Min((double) p->rows * 100.0 / (double) p->estimated_rows, 99.0);
	elapsed = (double) (now - p->query_started) / USECS_PER_SEC;
	if (elapsed > 0)
		p->rows_per_second = (double) p->rows / elapsed;
	if (sane && p->rows_per_second > 0)
		p->eta_seconds = (double) ((uint64) p->estimated_rows - p->rows) / p->rows_per_second;
}

/* 1234567 -> "1,234,567" */
static void
append_grouped(StringInfo buf, uint64 n)
{
	char		digits[32];
	int			len = snprintf(digits, sizeof(digits), UINT64_FORMAT, n);

	for (int i = 0; i < len; i++)
	{
		if (i > 0 && (len - i) % 3 == 0)
			appendStringInfoChar(buf, ',');
		appendStringInfoChar(buf, digits[i]);
	}
}

static void
append_size(StringInfo buf, uint64 bytes)
{
	Datum		pretty = DirectFunctionCall1(pg_size_pretty,
											 Int64GetDatum((int64) Min(bytes, (uint64) PG_INT64_MAX)));

	appendStringInfoString(buf, text_to_cstring(DatumGetTextPP(pretty)));
}

/* "3 s", "2 min 5 s", "1 h 3 min" (rounded up to the second) */
static void
append_duration(StringInfo buf, double seconds)
{
	uint64		s = seconds >= 1e15 ? (uint64) 1e15 : (uint64) ceil(seconds);

	if (s < 60)
		appendStringInfo(buf, UINT64_FORMAT " s", s);
	else if (s < 3600)
		appendStringInfo(buf, UINT64_FORMAT " min " UINT64_FORMAT " s", s / 60, s % 60);
	else
		appendStringInfo(buf, UINT64_FORMAT " h " UINT64_FORMAT " min", s / 3600, (s % 3600) / 60);
}

/*
 * The formats:
 *	 export 7: queued                  (no worker yet)
 *	 export 7: starting                (a worker, its query not started yet)
 *	 export 7: 45% (450,000 of ~1,000,000 rows, 52 MB, 3 s left)
 *	 export 7: 0% (0 of ~1,000,000 rows, 0 bytes, time left unknown)
 *	 export 7: 450,000 rows (no estimate), 52 MB, 150,000 rows/s
 *	 export 7: 1,200,000 rows (~1,000,000 estimated), 120 MB, 150,000 rows/s
 * The last two when the estimate is not sane (0, or exceeded); the rate is
 * left out while it is not known.
 */
char *
de_progress_message(int64 id, const DeProgress *p)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "export " INT64_FORMAT ": ", id);
	if (p == NULL)
	{
		appendStringInfoString(&buf, "queued");
		return buf.data;
	}
	if (!p->running)
	{
		appendStringInfoString(&buf, "starting");
		return buf.data;
	}
	if (p->percent >= 0)
	{
		appendStringInfo(&buf, "%d%% (", p->percent);
		append_grouped(&buf, p->rows);
		appendStringInfoString(&buf, " of ~");
		append_grouped(&buf, (uint64) p->estimated_rows);
		appendStringInfoString(&buf, " rows, ");
		append_size(&buf, p->bytes);
		appendStringInfoString(&buf, ", ");
		if (p->eta_seconds >= 0)
		{
			append_duration(&buf, p->eta_seconds);
			appendStringInfoString(&buf, " left)");
		}
		else
			appendStringInfoString(&buf, "time left unknown)");
		return buf.data;
	}
	append_grouped(&buf, p->rows);
	if (p->estimated_rows > 0)
	{
		appendStringInfoString(&buf, " rows (~");
		append_grouped(&buf, (uint64) p->estimated_rows);
		appendStringInfoString(&buf, " estimated), ");
	}
	else
		appendStringInfoString(&buf, " rows (no estimate), ");
	append_size(&buf, p->bytes);
	if (p->rows_per_second >= 0)
	{
		appendStringInfoString(&buf, ", ");
		append_grouped(&buf, (uint64) rint(p->rows_per_second));
		appendStringInfoString(&buf, " rows/s");
	}
	return buf.data;
}
