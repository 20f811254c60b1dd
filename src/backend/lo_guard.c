/*
 * lo_guard.c
 *	  The large-object write functions are refused while an export's query
 *	  runs in the worker.
 *
 * PostgreSQL lets lo_unlink, lo_put, lo_from_bytea, lo_create, lowrite and
 * friends run in a read-only transaction, so an SQL export (or a function,
 * view or policy it reaches) could otherwise delete or change the
 * requester's other export files, or its own file while it is written.
 *
 * The guard is an object_access_hook on OAT_FUNCTION_EXECUTE, which the
 * executor raises with its EXECUTE privilege check whenever it sets up a
 * call of a function or operator: in the query itself, in views and
 * row-level security policies, in SQL-language functions (inlined or not),
 * in PL/pgSQL and in aggregates.  A needs_fmgr_hook would not do: fmgr takes
 * a fast path for built-in functions that never consults it.  While the flag
 * "user query running" is set, the hook raises 25006 for the large-object
 * write functions, and for internal-language aliases of them.  The worker's
 * own file is written through inv_api directly, which no hook sees.
 *
 * Cursors that the query declares are dropped, unrun, before the guard is
 * lifted: a WITH HOLD cursor would otherwise run its query at the worker's
 * commit, outside the guard and outside read-only.
 *
 * lo_open itself is allowed whatever its mode (its mode is not known when
 * the call is set up): every write through a descriptor (lowrite,
 * lo_truncate, lo_truncate64) is refused.
 *
 * The hook is installed on first use: in the worker, and in a backend that
 * plans an export's query for dataexport_explain (de_plan_user_query, which
 * raises the flag while the planner and an EXPLAIN-only ExecutorStart run,
 * and drops no cursors since nothing is run); a previous hook is chained.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/portal.h"
#include "utils/syscache.h"

#include "lo_guard.h"
#include "sqlcheck.h"

static object_access_hook_type prev_object_access_hook = NULL;
static bool installed = false;
static bool user_query_running = false;

static const Oid lo_write_functions[] = {
	F_LO_UNLINK,
	F_LO_PUT,
	F_LO_FROM_BYTEA,
	F_LO_CREATE,
	F_LO_CREAT,
	F_LO_IMPORT_TEXT,
	F_LO_IMPORT_TEXT_OID,
	F_LO_EXPORT,
	F_LOWRITE,
	F_LO_TRUNCATE,
	F_LO_TRUNCATE64,
};

static bool
is_lo_write_builtin(Oid fn_oid)
{
	for (size_t i = 0; i < lengthof(lo_write_functions); i++)
		if (lo_write_functions[i] == fn_oid)
			return true;
	return false;
}

/* A write function, or an internal-language alias of one. */
static bool
is_lo_write_function(Oid fn_oid)
{
	HeapTuple	tup;
	bool		result = false;

	if (is_lo_write_builtin(fn_oid))
		return true;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		return false;
	if (((Form_pg_proc) GETSTRUCT(tup))->prolang == INTERNALlanguageId)
	{
		bool		isnull;
		Datum		src = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);

		if (!isnull)
			result = is_lo_write_builtin(fmgr_internal_function(TextDatumGetCString(src)));
	}
	ReleaseSysCache(tup);
	return result;
}

static void
lo_guard_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					   int subId, void *arg)
{
	if (prev_object_access_hook)
		(*prev_object_access_hook) (access, classId, objectId, subId, arg);
	if (access == OAT_FUNCTION_EXECUTE && user_query_running &&
		is_lo_write_function(objectId))
	{
		char	   *name = get_func_name(objectId);

		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot execute %s() in a data export query",
						name ? name : "large-object function"),
				 errdetail("Large objects cannot be created, changed or removed while an export runs.")));
	}
}

static void
install(void)
{
	if (installed)
		return;
	prev_object_access_hook = object_access_hook;
	object_access_hook = lo_guard_object_access;
	installed = true;
}

void
de_plan_user_query(void (*fn) (void *arg), void *arg, bool pin_search_path)
{
	int			level;

	install();
	level = de_settings_push(pin_search_path);
	user_query_running = true;
	PG_TRY();
	{
		fn(arg);
	}
	PG_FINALLY();
	{
		user_query_running = false;
	}
	PG_END_TRY();
	de_settings_pop(level);
}

void
de_require_export_file(Oid loid)
{
	if (!LargeObjectExists(loid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the export's file (large object %u) no longer exists", loid),
				 errdetail("Something removed the file while the export ran.")));
}

int
de_run_user_query(const char *sql, const SPIExecuteOptions *options,
				  bool pin_search_path)
{
	int			level;
	int			rc;

	install();
	level = de_settings_push(pin_search_path);
	user_query_running = true;
	PG_TRY();
	{
		rc = SPI_execute_extended(sql, options);

		/*
		 * Cursors the query declared (a function can EXECUTE a DECLARE):
		 * a holdable one would otherwise be run to its end at the worker's
		 * commit, after this guard and read-only are lifted and after the
		 * file was checked.  Drop them all, unrun, while still guarded.
		 */
		PortalHashTableDeleteAll();
	}
	PG_FINALLY();
	{
		user_query_running = false;
	}
	PG_END_TRY();
	de_settings_pop(level);
	return rc;
}
