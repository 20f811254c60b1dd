/*
 * stats.c
 *	  dataexport_stats(period): operator statistics of this database's
 *	  exports, one row per query type (the view dataexport_stats is this
 *	  function over the last 24 hours).
 *
 * Who sees what: superusers and roles that have the privileges of the
 * extension's owner (its members) see every export of the database; any
 * other caller sees only their own exports, exactly those dataexport_list
 * returns (same role, same forwarded settings), and the bytes only of those
 * whose projects they still all see (list hides the counts of the others).
 * The bookkeeping is read as the extension owner (exports.c); the table is
 * per database, so the statistics are too.
 *
 * A 0.2 feature: on a database still at schema 0.1 it is refused (55000)
 * even when reached through a hand-made function.
 */
#include "postgres.h"

#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "spi_owner.h"
#include "de_shmem.h"
#include "exports.h"
#include "extversion.h"
#include "stats.h"

PG_FUNCTION_INFO_V1(dataexport_stats);

Datum
dataexport_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *period;
	char	   *own = NULL;
	char	   *visible = NULL;
	uint64		n;
	int			natts;
	Datum	   *values;
	bool	   *nulls;

	de_require_preloaded();
	de_require_schema(2, "dataexport_stats");
	period = DatumGetCString(DirectFunctionCall1(interval_out, PG_GETARG_DATUM(0)));
	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	natts = rsinfo->setDesc->natts;
	values = palloc(sizeof(Datum) * natts);
	nulls = palloc(sizeof(bool) * natts);

	SPI_connect();
	if (!has_privs_of_role(GetUserId(), de_extension_owner()))
		de_caller_export_ids(&own, &visible);
	n = de_exports_stats(period, own, visible);
	if (SPI_tuptable->tupdesc->natts != natts)
		elog(ERROR, "dataexport_stats returns %d columns, its query %d",
			 natts, SPI_tuptable->tupdesc->natts);
	for (int c = 0; c < natts; c++)
		if (TupleDescAttr(SPI_tuptable->tupdesc, c)->atttypid !=
			TupleDescAttr(rsinfo->setDesc, c)->atttypid)
			elog(ERROR, "column %d of dataexport_stats does not match its query", c + 1);
	for (uint64 i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		for (int c = 0; c < natts; c++)
			values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
									  c + 1, &nulls[c]);
		/* the tuplestore copies the row into its own (per-query) context */
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	SPI_finish();
	return (Datum) 0;
}
