/*
 * drop_hook.c
 *	  Dropping the extension takes the export files with it.
 *
 * The files are large objects owned by their requesters, so nothing in the
 * dependency machinery removes them when the bookkeeping goes; left alone
 * they would be orphans that no record points at.  An object access hook
 * sees OAT_DROP for dataexport.export just before the table itself is
 * deleted, whatever dropped it (DROP EXTENSION, with or without CASCADE,
 * DROP SCHEMA ... CASCADE, DROP OWNED BY the extension owner), and while its
 * rows can still be read.  It unlinks the file of every succeeded export
 * that its requester still owns (the rule of cleanup), in the dropping
 * transaction, so a DROP that rolls back keeps them.  DROP DATABASE needs
 * nothing: the database's large objects go with it.
 *
 * The table is read with a plain heap scan rather than SPI: whoever drops
 * the extension (e.g. a schema owner with CASCADE) need not be able to read
 * the bookkeeping, and by the time the table is dropped the functions over
 * its row type are already gone.  Locks: the drop holds AccessExclusiveLock
 * on the table, so no worker writes it meanwhile.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_class.h"
#include "catalog/pg_largeobject_metadata.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "storage/large_object.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "dataexport.h"

static object_access_hook_type prev_object_access_hook = NULL;

/* Whether relid is the bookkeeping table of the installed extension. */
static bool
is_export_table(Oid relid)
{
	char	   *relname = get_rel_name(relid);
	char	   *nspname;
	Oid			ext;

	if (relname == NULL || strcmp(relname, "export") != 0)
		return false;
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (nspname == NULL || strcmp(nspname, "dataexport") != 0)
		return false;
	/* a look-alike table of someone else's must not unlink anything */
	ext = get_extension_oid("dataexport", true);
	return OidIsValid(ext) && getExtensionOfObject(RelationRelationId, relid) == ext;
}

/* The owner of a large object, or InvalidOid if there is none. */
static Oid
large_object_owner(Oid loid)
{
	Relation	rel = table_open(LargeObjectMetadataRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			owner = InvalidOid;

	ScanKeyInit(&key, Anum_pg_largeobject_metadata_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(loid));
	scan = systable_beginscan(rel, LargeObjectMetadataOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		owner = ((Form_pg_largeobject_metadata) GETSTRUCT(tup))->lomowner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return owner;
}

typedef struct ExportFile
{
	Oid			loid;
	Oid			owner;
} ExportFile;

/* Unlinks the files of the succeeded exports in table relid. */
static void
unlink_export_files(Oid relid)
{
	Relation	rel = table_open(relid, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(rel);
	AttrNumber	att_state = InvalidAttrNumber;
	AttrNumber	att_file = InvalidAttrNumber;
	AttrNumber	att_owner = InvalidAttrNumber;
	Snapshot	snapshot;
	TableScanDesc scan;
	HeapTuple	tup;
	ExportFile *files;
	int			nfiles = 0;
	int			maxfiles = 16;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped)
			continue;
		if (strcmp(NameStr(att->attname), "state") == 0)
			att_state = att->attnum;
		else if (strcmp(NameStr(att->attname), "file_oid") == 0)
			att_file = att->attnum;
		else if (strcmp(NameStr(att->attname), "owner") == 0)
			att_owner = att->attnum;
	}
	if (att_state == InvalidAttrNumber || att_file == InvalidAttrNumber ||
		att_owner == InvalidAttrNumber)
	{
		table_close(rel, AccessShareLock);
		return;
	}

	files = palloc(sizeof(ExportFile) * maxfiles);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snapshot, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		bool		isnull;
		Datum		state = heap_getattr(tup, att_state, desc, &isnull);
		Datum		file;
		Datum		owner;

		CHECK_FOR_INTERRUPTS();
		if (isnull)
			continue;
		{
			char	   *s = TextDatumGetCString(state);
			bool		succeeded = strcmp(s, "succeeded") == 0;

			pfree(s);
			if (!succeeded)
				continue;
		}
		file = heap_getattr(tup, att_file, desc, &isnull);
		if (isnull)
			continue;
		owner = heap_getattr(tup, att_owner, desc, &isnull);
		if (isnull)
			continue;
		if (nfiles == maxfiles)
		{
			maxfiles *= 2;
			files = repalloc(files, sizeof(ExportFile) * maxfiles);
		}
		files[nfiles].loid = DatumGetObjectId(file);
		files[nfiles].owner = DatumGetObjectId(owner);
		nfiles++;
	}
	table_endscan(scan);
	UnregisterSnapshot(snapshot);
	table_close(rel, AccessShareLock);

	for (int i = 0; i < nfiles; i++)
	{
		CHECK_FOR_INTERRUPTS();
		/* only a file its requester still owns is the export's */
		if (OidIsValid(files[i].owner) &&
			large_object_owner(files[i].loid) == files[i].owner)
			inv_drop(files[i].loid);
	}
	pfree(files);
}

static void
de_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access == OAT_DROP && classId == RelationRelationId && subId == 0 &&
		IsTransactionState() && is_export_table(objectId))
		unlink_export_files(objectId);
}

void
de_install_drop_hook(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = de_object_access;
}
