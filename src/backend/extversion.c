/*
 * extversion.c
 *	  The installed version of the extension's SQL objects (see extversion.h).
 *
 * The version is read from pg_extension (no syscache: the scan is what
 * commands/extension.c does) and remembered while the transaction, its
 * subtransaction and its command id stay the same: ALTER EXTENSION ...
 * UPDATE advances the command id (also inside a transaction block), and a
 * savepoint rolled back over it brings the old version back in a new
 * subtransaction, so neither can leave a stale version in use.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/indexing.h"
#include "catalog/pg_extension.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"

#include "extversion.h"

static LocalTransactionId cached_lxid = InvalidLocalTransactionId;
static SubTransactionId cached_subxid = InvalidSubTransactionId;
static CommandId cached_cid = InvalidCommandId;
static Oid	cached_db = InvalidOid;
static int	cached_minor = 0;

static int
read_minor(void)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	int			minor = 0;

	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("dataexport"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
	{
		bool		isnull;
		Datum		d = heap_getattr(tuple, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		if (!isnull)
		{
			char	   *v = TextDatumGetCString(d);

			/* "0.N": anything else is a version this library does not know */
			if (strncmp(v, "0.", 2) == 0)
				minor = atoi(v + 2);
			if (minor <= 0)
				elog(ERROR, "unexpected dataexport extension version \"%s\"", v);
			pfree(v);
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return minor;
}

int
de_schema_minor(void)
{
	LocalTransactionId lxid = MyProc ? MyProc->lxid : InvalidLocalTransactionId;
	SubTransactionId subxid = GetCurrentSubTransactionId();
	CommandId	cid = GetCurrentCommandId(false);

	if (lxid == InvalidLocalTransactionId || lxid != cached_lxid ||
		subxid != cached_subxid || cid != cached_cid ||
		cached_db != MyDatabaseId)
	{
		cached_minor = read_minor();
		cached_lxid = lxid;
		cached_subxid = subxid;
		cached_cid = cid;
		cached_db = MyDatabaseId;
	}
	return cached_minor;
}

void
de_require_schema(int minor, const char *feature)
{
	if (de_schema_minor() < minor)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("%s needs version 0.%d of extension \"dataexport\"",
						feature, minor),
				 errhint("Run ALTER EXTENSION dataexport UPDATE.")));
}
