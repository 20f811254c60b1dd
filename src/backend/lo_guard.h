/*
 * lo_guard.h
 *	  Runs an export's query in the worker: no large-object writes while it
 *	  runs, and the pinned settings of sqlcheck.h.
 */
#ifndef DATAEXPORT_LO_GUARD_H
#define DATAEXPORT_LO_GUARD_H

#include "executor/spi.h"

/* SPI_execute_extended of the export's query with the large-object write
 * functions refused (25006) for as long as it runs, parsed under the pinned
 * parser settings and, with pin_search_path (the queries the extension
 * builds), search_path = 'pg_catalog, pg_temp'. */
extern int	de_run_user_query(const char *sql, const SPIExecuteOptions *options,
							  bool pin_search_path);

/* fn(arg) under the same guard and pinned settings, for dataexport_explain,
 * which plans the export's query in the caller's own session: the planner
 * may evaluate functions, and ExecutorStart (EXPLAIN without ANALYZE) sets
 * up their calls, so a large-object write fails there as in the worker.
 * The session's cursors are left alone (nothing runs). */
extern void de_plan_user_query(void (*fn) (void *arg), void *arg,
							   bool pin_search_path);

/* Raises an error unless the export's large object still exists: checked
 * before success is recorded, so a record never points at nothing. */
extern void de_require_export_file(Oid loid);

#endif
