/*
 * restore.c
 *	  Export records restored from a dump are bound to their roles by name.
 *
 * pg_dump keeps the records of succeeded exports (pg_extension_config_dump)
 * along with their large objects, whose owners it restores by role name.
 * A record names its requester by OID, which means another role, or none,
 * in another cluster.  A BEFORE INSERT trigger on dataexport.export sets
 * owner to the role now called owner_name, or to InvalidOid (nobody's) when
 * there is no such role, so that a restored record is never attached to an
 * unrelated role that happens to have the old OID.  For the records that
 * dataexport_create inserts, owner already is that role: nothing changes.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/acl.h"
#include "utils/rel.h"

PG_FUNCTION_INFO_V1(dataexport_rebind_owner);

Datum
dataexport_rebind_owner(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	TupleDesc	desc;
	HeapTuple	tuple;
	int			att_owner;
	int			att_name;
	bool		isnull;
	Datum		owner;
	Datum		name;
	Oid			role = InvalidOid;
	int			cols[1];
	Datum		values[1];
	bool		nulls[1] = {false};

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "dataexport_rebind_owner must be a BEFORE INSERT row trigger");

	tuple = trigdata->tg_trigtuple;
	desc = RelationGetDescr(trigdata->tg_relation);
	att_owner = SPI_fnumber(desc, "owner");
	att_name = SPI_fnumber(desc, "owner_name");
	if (att_owner <= 0 || att_name <= 0)
		elog(ERROR, "dataexport_rebind_owner: table lacks owner or owner_name");

	name = heap_getattr(tuple, att_name, desc, &isnull);
	if (!isnull)
		role = get_role_oid(NameStr(*DatumGetName(name)), true);
	owner = heap_getattr(tuple, att_owner, desc, &isnull);
	if (!isnull && DatumGetObjectId(owner) == role)
		return PointerGetDatum(tuple);

	cols[0] = att_owner;
	values[0] = ObjectIdGetDatum(role);
	return PointerGetDatum(heap_modify_tuple_by_cols(tuple, desc, 1, cols, values, nulls));
}
