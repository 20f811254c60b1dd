/*
 * exports.c
 *	  The export state machine: every read and write of dataexport.export,
 *	  the export record (SPEC §5) and the NOTIFY of its outcomes.  No other
 *	  module runs SQL on that table (drop_hook.c and restore.c only scan its
 *	  heap at DROP EXTENSION and at a restore).
 *
 * States and who moves an export between them:
 *
 *	 (new) -> queued		 api: dataexport_create (de_export_insert_or_find)
 *	 queued -> running		 scanner: claims it for a free worker slot, with a
 *							 claim token that every later write matches
 *							 (de_exports_claim)
 *	 queued -> failed		 scanner: its role was dropped, lost LOGIN or CONNECT
 *							 (de_exports_fail_unrunnable)
 *	 running -> queued		 scanner: the launcher could not start its worker,
 *							 attempt refunded (de_exports_return_unstarted);
 *							 scanner: its worker died, the first time
 *							 (de_exports_requeue_orphans);
 *							 worker: a transient error, retried after a back-off
 *							 (de_export_record_retry)
 *	 running -> failed		 scanner: a second lost worker or the last attempt
 *							 (de_exports_requeue_orphans);
 *							 worker: a final error (de_export_record_failure)
 *	 running -> succeeded	 worker: the file and the state commit together
 *							 (de_export_record_success)
 *	 running -> cancelled	 worker: it was interrupted by a cancel
 *							 (de_export_record_failure)
 *	 queued/running -> cancelled
 *							 api: dataexport_cancel (de_export_cancel)
 *	 succeeded -> expired	 cleanup: past dateExpired, or its file is gone
 *							 (de_exports_cleanup)
 *
 * failed, cancelled and expired are final.  A queued export may carry a
 * not_before (a back-off); the scanner claims it only once that has passed.
 * The scanner and the worker's writes never wait for a row another session
 * has locked: the scanner skips such rows (SKIP LOCKED), the worker's writes
 * run under its bounded lock_timeout.  Every end (succeeded, failed,
 * cancelled) is NOTIFYed on channel "dataexport" at commit; a re-queue is not.
 *
 * Ordinary roles cannot read or write the dataexport schema: every function
 * here switches to the extension owner with a pinned search_path
 * (de_become_owner) around its SQL and back, and is called inside SPI.
 * Results a caller keeps are copied out of SPI's memory into the context the
 * caller names (or, for the record, by SPI_datumTransfer).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/table.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_largeobject.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "commands/async.h"
#include "miscadmin.h"
#include "storage/large_object.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "spi_owner.h"
#include "exports.h"
#include "settings.h"
#include "jsonb_dom.h"
#include "de_shmem.h"

/*
 * NOTIFY dataexport (sent at commit) with what a listener needs to tell the
 * requester, and nothing of the data:
 *	 {"id": n, "state": "...", "fileName": "..."|null, "rows": n|null,
 *	  "truncated": bool, "error": "..."|null}
 * error is the user-facing message (a fixed text), never error_detail, which
 * may quote values of the rows.  Any session of the database may LISTEN, so
 * the export's id is the only reference to its owner.
 */
static void
notify_export(int64 id, const char *state, const char *file_name, int64 rows,
			  bool truncated, const char *error)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "{\"id\": " INT64_FORMAT ", \"state\": ", id);
	escape_json(&buf, state);
	appendStringInfoString(&buf, ", \"fileName\": ");
	if (file_name != NULL)
		escape_json(&buf, file_name);
	else
		appendStringInfoString(&buf, "null");
	if (rows >= 0)
		appendStringInfo(&buf, ", \"rows\": " INT64_FORMAT, rows);
	else
		appendStringInfoString(&buf, ", \"rows\": null");
	appendStringInfo(&buf, ", \"truncated\": %s, \"error\": ",
					 truncated ? "true" : "false");
	if (error != NULL)
		escape_json(&buf, error);
	else
		appendStringInfoString(&buf, "null");
	appendStringInfoChar(&buf, '}');
	Async_Notify("dataexport", buf.data);
	pfree(buf.data);
}

/* NOTIFYs every export in SPI_tuptable (columns: id, state, error) whose
 * state is 'failed'. */
static void
notify_failed_rows(void)
{
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		char	   *state = de_spi_text((int) i, 2);

		if (state != NULL && strcmp(state, "failed") == 0)
			notify_export(de_spi_int8((int) i, 1, &isnull), "failed", NULL, -1,
						  false, de_spi_text((int) i, 3));
	}
}

/* '{n,n,...}' */
static char *
int8_array_text(const int64 *values, int n)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s" INT64_FORMAT, i > 0 ? "," : "", values[i]);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

/* ---------------- create ---------------- */

static AttrNumber
attnum_of(Relation rel, const char *name)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0)
			return att->attnum;
	}
	elog(ERROR, "dataexport.export has no column \"%s\"", name);
	return InvalidAttrNumber;	/* keep the compiler quiet */
}

/* The unique index decides, so concurrent identical requests cannot both
 * insert. */
int64
de_export_insert_or_find(const DeNewExport *e, bool *created)
{
	DeUserSwitch sw;
	const char *text[11];
	Oid			types[11];
	Datum		values[11];
	char		nulls[12];
	int64		id = 0;

	text[0] = psprintf("%u", e->owner);
	text[1] = e->owner_name;
	text[2] = e->owner_settings;
	text[3] = e->organization;
	text[4] = e->query_type;
	text[5] = NULL;				/* query_info: a jsonb datum, no text hop */
	text[6] = e->environments;
	text[7] = e->row_limit;
	text[8] = e->format;
	text[9] = e->compression;
	text[10] = e->dedupe_key;
	for (int i = 0; i < 11; i++)
	{
		types[i] = i == 5 ? JSONBOID : TEXTOID;
		values[i] = i == 5 ? JsonbPGetDatum(e->query_info) :
			text[i] ? CStringGetTextDatum(text[i]) : (Datum) 0;
		nulls[i] = (i == 5 || text[i] != NULL) ? ' ' : 'n';
	}
	nulls[11] = '\0';

	de_become_owner(&sw);
	for (int attempt = 0; attempt < 10 && id == 0; attempt++)
	{
		bool		isnull;
		uint64		n;

		n = de_spi_exec_kept_args("INSERT INTO dataexport.export (owner, owner_name, owner_settings, "
								   "organization, query_type, query_info, environments, row_limit, "
								   "format, compression, dedupe_key) "
								   "VALUES ($1::oid, $2::name, $3::jsonb, $4::bigint, $5, $6, "
								   "ARRAY(SELECT pg_catalog.jsonb_array_elements_text($7::jsonb)), "
								   "$8::bigint, $9, $10, $11) "
								   "ON CONFLICT (dedupe_key) WHERE state IN ('queued', 'running') "
								   "DO NOTHING RETURNING id",
								   11, types, values, nulls, false);
		if (n == 1)
		{
			*created = true;
			id = de_spi_int8(0, 1, &isnull);
		}
		/* the conflicting export is committed now; it may also have just
		 * finished, in which case we insert again */
		else if (de_spi_exec_kept("SELECT id FROM dataexport.export WHERE dedupe_key = $1 "
							 "AND state IN ('queued', 'running')",
							 1, &text[10], false) == 1)
		{
			*created = false;
			id = de_spi_int8(0, 1, &isnull);
		}
	}
	de_restore_user(&sw);
	if (id == 0)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg("could not create the data export under concurrent identical requests"),
				 errhint("Try again.")));
	return id;
}

/* Two varlena datums, neither compressed nor external, are the same bytes. */
static bool
same_bytes(Datum a, Datum b)
{
	struct varlena *va = (struct varlena *) DatumGetPointer(a);
	struct varlena *vb = (struct varlena *) DatumGetPointer(b);

	if (VARATT_IS_EXTENDED(va) && !VARATT_IS_SHORT(va))
		return false;
	if (VARATT_IS_EXTENDED(vb) && !VARATT_IS_SHORT(vb))
		return false;
	return VARSIZE_ANY_EXHDR(va) == VARSIZE_ANY_EXHDR(vb) &&
		memcmp(VARDATA_ANY(va), VARDATA_ANY(vb), VARSIZE_ANY_EXHDR(va)) == 0;
}

/*
 * Counted with a dirty snapshot: rows that other transactions have inserted
 * but not yet committed count too, so that the caller (queue.c) needs its
 * lock only while it counts and inserts, not until its commit.  A row whose
 * inserting transaction later rolls back was counted for nothing; that errs
 * on the side of the cap.  Read at the C level, through the index of the
 * requester's unfinished exports (export_unfinished_owner, 0.2; on a 0.1
 * schema export_queue, all unfinished exports), as the extension does for
 * its own bookkeeping: no privilege check, no user SQL.
 */
int64
de_exports_count_unfinished(Oid owner, const char *settings, int limit,
							const char *dedupe_key, bool *identical)
{
	Oid			nsp = get_namespace_oid("dataexport", false);
	Oid			relid = get_relname_relid("export", nsp);
	Oid			by_owner = get_relname_relid("export_unfinished_owner", nsp);
	Oid			indexid = OidIsValid(by_owner) ? by_owner :
		get_relname_relid("export_queue", nsp);
	Datum		want_settings = JsonbPGetDatum(de_jsonb_from_cstring(settings));
	SnapshotData dirty;
	ScanKeyData key;
	Relation	rel;
	Relation	index;
	IndexScanDesc scan;
	TupleTableSlot *slot;
	AttrNumber	att_owner;
	AttrNumber	att_settings;
	AttrNumber	att_key;
	int64		n = 0;

	if (identical)
		*identical = false;

	if (!OidIsValid(relid) || !OidIsValid(indexid))
		elog(ERROR, "dataexport.export or its index export_queue is missing");
	rel = table_open(relid, AccessShareLock);
	index = index_open(indexid, AccessShareLock);
	att_owner = attnum_of(rel, "owner");
	att_settings = attnum_of(rel, "owner_settings");
	att_key = attnum_of(rel, "dedupe_key");

	InitDirtySnapshot(dirty);
	slot = table_slot_create(rel, NULL);
	/* export_unfinished_owner (0.2) is on owner; export_queue (0.1) on id */
	ScanKeyInit(&key, 1, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(owner));
	scan = index_beginscan(rel, index, &dirty, OidIsValid(by_owner) ? 1 : 0, 0);
	index_rescan(scan, &key, OidIsValid(by_owner) ? 1 : 0, NULL, 0);
	/*
	 * The index's predicate is the state (queued or running), which an
	 * update can change only by a new, non-HOT tuple version: the version an
	 * entry leads to has that state, so it is not read again.  Only
	 * owner_settings is compared per row: first byte for byte (the stored
	 * value and this one are both built from de_current_owner_settings),
	 * then, if the bytes differ, as jsonb.
	 */
	while (n < limit && index_getnext_slot(scan, ForwardScanDirection, slot))
	{
		bool		isnull;
		Datum		d;

		CHECK_FOR_INTERRUPTS();
		d = slot_getattr(slot, att_owner, &isnull);
		if (isnull || DatumGetObjectId(d) != owner)
			continue;
		d = slot_getattr(slot, att_settings, &isnull);
		if (isnull)
			continue;
		if (!same_bytes(d, want_settings) &&
			!DatumGetBool(DirectFunctionCall2(jsonb_eq, d, want_settings)))
			continue;
		n++;
		if (dedupe_key != NULL && identical != NULL && !*identical)
		{
			char	   *key;

			d = slot_getattr(slot, att_key, &isnull);
			key = isnull ? NULL : TextDatumGetCString(d);
			*identical = key != NULL && strcmp(key, dedupe_key) == 0;
		}
	}
	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	index_close(index, AccessShareLock);
	table_close(rel, AccessShareLock);
	return n;
}

/* ---------------- the doors: records, cancel, wait, cleanup ---------------- */

/* {"rows": n, "bytes": n} of a running export, or NULL. */
static char *
progress_json(int64 id)
{
	DeSlot	   *slot;
	char	   *json = NULL;

	if (de_shared == NULL)
		return NULL;
	LWLockAcquire(de_shared->lock, LW_SHARED);
	slot = de_find_slot(MyDatabaseId, id);
	if (slot != NULL)
		json = psprintf("{\"rows\": " UINT64_FORMAT ", \"bytes\": " UINT64_FORMAT "}",
						pg_atomic_read_u64(&slot->rows),
						pg_atomic_read_u64(&slot->bytes));
	LWLockRelease(de_shared->lock);
	return json;
}

/* {"<id>": {"rows": n, "bytes": n}, ...} of every export of this database
 * that has a slot: progress_json of them all.  Slots are written last to
 * first, so that for a duplicated id the first slot (de_find_slot's) wins,
 * jsonb keeping the last of duplicate keys. */
static char *
progress_map_json(void)
{
	StringInfoData buf;
	bool		first = true;

	if (de_shared == NULL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	LWLockAcquire(de_shared->lock, LW_SHARED);
	for (int i = de_shared->nslots - 1; i >= 0; i--)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state == DE_SLOT_FREE || slot->dboid != MyDatabaseId)
			continue;
		appendStringInfo(&buf, "%s\"" INT64_FORMAT "\": {\"rows\": " UINT64_FORMAT
						 ", \"bytes\": " UINT64_FORMAT "}",
						 first ? "" : ", ", slot->export_id,
						 pg_atomic_read_u64(&slot->rows),
						 pg_atomic_read_u64(&slot->bytes));
		first = false;
	}
	LWLockRelease(de_shared->lock);
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

int
de_exports_load_for_caller(const char *condition, const char *cond_param,
						   bool any_for_superuser, bool with_records,
						   MemoryContext cxt, DeExportRow **out)
{
	DeUserSwitch sw;
	const char *params[6];
	uint64		n;
	DeExportRow *rows;

	params[0] = psprintf("%u", GetUserId());
	params[1] = de_current_owner_settings();
	params[2] = cond_param;
	/* decided before switching: the owner is usually a superuser itself */
	params[3] = any_for_superuser && superuser() ? "true" : "false";
	params[4] = with_records ? progress_map_json() : NULL;
	params[5] = de_user_id_setting;
	de_become_owner(&sw);
	n = de_spi_exec_kept(psprintf("SELECT id, state, query_info, organization%s "
							 "FROM dataexport.export e WHERE (%s) AND ($4::boolean OR "
							 "(owner OPERATOR(pg_catalog.=) $1::oid AND "
							 "owner_settings OPERATOR(pg_catalog.=) $2::jsonb)) "
							 "ORDER BY id DESC",
							 with_records ?
							 ", dataexport.record(e, $5::jsonb OPERATOR(pg_catalog.->) "
							 "e.id::text, $6)" : "",
							 condition),
					with_records ? 6 : 4, params, false);
	de_restore_user(&sw);

	/* read in the SPI context, copied into cxt */
	rows = MemoryContextAllocZero(cxt, sizeof(DeExportRow) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		DeExportRow *r = &rows[i];
		bool		isnull;
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		r->id = de_spi_int8((int) i, 1, &isnull);
		r->state = MemoryContextStrdup(cxt, de_spi_text((int) i, 2));
		old = MemoryContextSwitchTo(cxt);
		r->query_info = de_spi_dom((int) i, 3);
		MemoryContextSwitchTo(old);
		r->organization = de_spi_int8((int) i, 4, &isnull);
		r->has_organization = !isnull;
		if (with_records)
		{
			Datum		d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
										  5, &isnull);

			if (!isnull)
			{
				MemoryContext old = MemoryContextSwitchTo(cxt);

				r->record = DatumGetJsonbPCopy(d);
				MemoryContextSwitchTo(old);
			}
		}
	}
	*out = rows;
	return (int) n;
}

Jsonb *
de_export_record(int64 id)
{
	DeUserSwitch sw;
	char		idtext[32];
	const char *params[3];
	Jsonb	   *record = NULL;

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	params[0] = idtext;
	params[1] = progress_json(id);
	params[2] = de_user_id_setting;

	de_become_owner(&sw);
	if (de_spi_exec_kept("SELECT dataexport.record(e, $2::jsonb, $3) "
					"FROM dataexport.export e WHERE e.id = $1::bigint",
					3, params, false) == 1)
		record = de_spi_jsonb(0, 1);
	de_restore_user(&sw);
	return record;
}

bool
de_export_cancel(int64 id, int64 *claim, bool *claimed)
{
	DeUserSwitch sw;
	const char *params[1] = {de_int8_text(id)};
	uint64		n;
	bool		noclaim = true;

	*claim = 0;
	de_become_owner(&sw);
	n = de_spi_exec_kept("UPDATE dataexport.export SET state = 'cancelled', not_before = NULL "
					"WHERE id = $1::bigint AND state IN ('queued', 'running') "
					"RETURNING claim",
					1, params, false);
	de_restore_user(&sw);
	if (n == 1)
	{
		*claim = de_spi_int8(0, 1, &noclaim);
		notify_export(id, "cancelled", NULL, -1, false, NULL);
	}
	*claimed = !noclaim;
	return n == 1;
}

bool
de_export_is_unfinished(int64 id)
{
	DeUserSwitch sw;
	const char *params[1] = {de_int8_text(id)};
	bool		unfinished;

	de_become_owner(&sw);
	unfinished = de_spi_exec_kept("SELECT 1 FROM dataexport.export WHERE id = $1::bigint "
							 "AND state IN ('queued', 'running')", 1, params, false) == 1;
	de_restore_user(&sw);
	return unfinished;
}

bool
de_export_created_in_current_transaction(int64 id)
{
	DeUserSwitch sw;
	const char *params[1] = {de_int8_text(id)};
	bool		isnull;
	TransactionId xmin = InvalidTransactionId;

	de_become_owner(&sw);
	if (de_spi_exec_kept("SELECT xmin FROM dataexport.export WHERE id = $1::bigint",
					1, params, false) == 1)
		xmin = DatumGetTransactionId(SPI_getbinval(SPI_tuptable->vals[0],
												   SPI_tuptable->tupdesc, 1, &isnull));
	de_restore_user(&sw);
	return TransactionIdIsValid(xmin) && TransactionIdIsCurrentTransactionId(xmin);
}

/*
 * A large object that now belongs to another role (REASSIGN OWNED, or an
 * OID reused after the file was dropped) is that role's, not the export's:
 * it is left alone, and the record expires all the same, since it no longer
 * has a file of its own.
 */
int64
de_exports_cleanup(void)
{
	DeUserSwitch sw;
	uint64		n;

	de_become_owner(&sw);
	n = de_spi_exec_kept("WITH old AS ("
					"  SELECT e.id, e.file_oid, dataexport.file_present(e) AS owned "
					"  FROM dataexport.export e WHERE e.state = 'succeeded' "
					"  AND (e.date_expired <= now() OR NOT dataexport.file_present(e)) "
					"  FOR UPDATE) "
					"UPDATE dataexport.export e SET state = 'expired', file_oid = NULL "
					"FROM old WHERE e.id = old.id "
					"RETURNING old.file_oid, old.owned", 0, NULL, false);
	for (uint64 i = 0; i < n; i++)
	{
		char	   *oidtext = de_spi_text((int) i, 1);
		char	   *owned = de_spi_text((int) i, 2);
		Oid			loid;

		CHECK_FOR_INTERRUPTS();
		if (oidtext == NULL || owned == NULL || strcmp(owned, "t") != 0)
			continue;
		loid = (Oid) strtoul(oidtext, NULL, 10);
		/* the files belong to their requesters; cleanup is the DBA's
		 * (EXECUTE is granted by them), so no privilege check here */
		if (LargeObjectExists(loid))
			inv_drop(loid);
	}
	de_restore_user(&sw);
	return (int64) n;
}

/* ---------------- the scanner ---------------- */

/*
 * Rows locked by another session (a cancel in an open transaction) are
 * skipped, not waited for; their claims are zeroed in "claims" so that the
 * caller keeps their slots for the next scan.
 */
void
de_exports_return_unstarted(int64 *claims, int nclaims, int retry_ms)
{
	DeUserSwitch sw;
	char		delay[16];
	const char *params[2];
	uint64		nkept;

	if (nclaims == 0)
		return;
	snprintf(delay, sizeof(delay), "%d", retry_ms);
	params[0] = int8_array_text(claims, nclaims);
	params[1] = delay;
	de_become_owner(&sw);
	de_spi_exec_kept("UPDATE dataexport.export e SET state = 'queued', "
				"attempts = greatest(e.attempts - 1, 0), date_started = NULL, "
				"not_before = clock_timestamp() + make_interval(secs => $2::integer / 1000.0) "
				"FROM (SELECT id FROM dataexport.export "
				" WHERE claim OPERATOR(pg_catalog.=) ANY ($1::bigint[]) "
				" AND state = 'running' FOR UPDATE SKIP LOCKED) AS free "
				"WHERE e.id = free.id",
				2, params, false);
	/* what is still running was locked: keep those slots */
	nkept = de_spi_exec_kept("SELECT claim FROM dataexport.export "
						"WHERE claim OPERATOR(pg_catalog.=) ANY ($1::bigint[]) "
						"AND state = 'running'", 1, params, false);
	de_restore_user(&sw);
	for (uint64 k = 0; k < nkept; k++)
	{
		bool		isnull;
		int64		kept = de_spi_int8((int) k, 1, &isnull);

		for (int i = 0; i < nclaims; i++)
			if (claims[i] == kept)
				claims[i] = 0;
	}
}

/* A worker connecting as such a role would die before it could say why. */
void
de_exports_fail_unrunnable(void)
{
	DeUserSwitch sw;

	de_become_owner(&sw);
	/*
	 * The check runs once (a materialized CTE), whatever the planner thinks
	 * of the table's size: as a subquery joined back to the table it could
	 * be run again for every queued row, quadratic in the queue's length
	 * when the statistics lag behind a burst of creates.
	 */
	if (de_spi_exec_kept("WITH x AS MATERIALIZED ("
					" SELECT e2.id, c.detail "
					" FROM dataexport.export e2 "
					" LEFT JOIN pg_catalog.pg_roles r ON r.oid OPERATOR(pg_catalog.=) e2.owner "
					" JOIN pg_catalog.pg_database d "
					"  ON d.datname OPERATOR(pg_catalog.=) pg_catalog.current_database() "
					" CROSS JOIN LATERAL (SELECT CASE "
					" WHEN r.oid IS NULL THEN 'the requesting role no longer exists' "
					" WHEN NOT r.rolcanlogin THEN 'the requesting role cannot log in' "
					" WHEN NOT pg_catalog.has_database_privilege(r.oid, d.oid, 'CONNECT') "
					" THEN 'the requesting role may no longer connect to database ' "
					"  || pg_catalog.quote_ident(d.datname::text) "
					" END AS detail) c "
					" WHERE e2.state = 'queued' AND c.detail IS NOT NULL "
					" FOR UPDATE OF e2 SKIP LOCKED) "
					"UPDATE dataexport.export e SET state = 'failed', "
					"error = 'Internal error. Your query failed to run.', "
					"error_detail = x.detail, not_before = NULL "
					"FROM x WHERE e.id = x.id AND e.state = 'queued' "
					"RETURNING e.id, e.state, e.error",
					0, NULL, false) > 0)
		notify_failed_rows();
	de_restore_user(&sw);
}

/*
 * Exports "running" without a worker: their worker died (crash, restart,
 * SIGTERM) before it could record an outcome.  Re-queued after a back-off;
 * a second lost worker, or max_attempts, fails the export (a query that
 * crashes the server must not crash it again and again).  A slot is matched
 * by its claim, not the id, so the stale slot of a dropped and re-created
 * extension's export cannot shelter a new export of the same id.  Rows
 * locked by another session are skipped, never waited for: one session
 * holding a row lock must not stall the only scanner.
 */
void
de_exports_requeue_orphans(const int64 *live_claims, int nlive, int max_attempts,
						   int retry_delay_ms)
{
	DeUserSwitch sw;
	char		max_attempts_text[16];
	char		delay[16];
	const char *params[3];

	snprintf(max_attempts_text, sizeof(max_attempts_text), "%d", max_attempts);
	snprintf(delay, sizeof(delay), "%d", retry_delay_ms);
	params[0] = int8_array_text(live_claims, nlive);
	params[1] = max_attempts_text;
	params[2] = delay;

	de_become_owner(&sw);
	if (de_spi_exec_kept("UPDATE dataexport.export SET "
					"lost_workers = lost_workers + 1, "
					"state = CASE WHEN lost_workers >= 1 OR attempts >= $2::integer "
					"THEN 'failed' ELSE 'queued' END, "
					"error = CASE WHEN lost_workers >= 1 OR attempts >= $2::integer "
					"THEN 'Internal error. Your query failed to run.' END, "
					"error_detail = CASE WHEN lost_workers >= 1 OR attempts >= $2::integer "
					"THEN 'the export worker stopped before finishing (server crash or "
					"worker terminated), ' || lost_workers + 1 || ' times in ' "
					"|| attempts || ' attempts' END, "
					"not_before = CASE WHEN lost_workers >= 1 OR attempts >= $2::integer "
					"THEN NULL "
					"ELSE clock_timestamp() + make_interval(secs => $3::integer / 1000.0) END "
					"WHERE id IN (SELECT id FROM dataexport.export "
					" WHERE state = 'running' "
					" AND (claim IS NULL OR claim OPERATOR(pg_catalog.<>) ALL ($1::bigint[])) "
					" FOR UPDATE SKIP LOCKED) "
					"RETURNING id, state, error",
					3, params, false) > 0)
		notify_failed_rows();
	de_restore_user(&sw);
}

/*
 * Round-robin across requesters (a role plus its forwarded identity, as for
 * dedupe), FIFO within one: an export's turn is its rank in its requester's
 * queue plus the number of that requester's exports already running, so
 * that a requester with a long queue cannot hold back one with a short one.
 */
int
de_exports_claim(int nfree, DeExportClaim *claims)
{
	DeUserSwitch sw;
	char		limit[16];
	char		token[32];
	const char *params[2] = {limit, token};
	uint64		n;
	int64		random_base;

	snprintf(limit, sizeof(limit), "%d", nfree);
	/* claim token: random per scan, xor the id so it differs per export */
	if (!pg_strong_random(&random_base, sizeof(random_base)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random claim token")));
	snprintf(token, sizeof(token), INT64_FORMAT, random_base);
	de_become_owner(&sw);
	n = de_spi_exec_kept("WITH running AS ("
					" SELECT owner, owner_settings, count(*) AS n FROM dataexport.export"
					" WHERE state = 'running' GROUP BY owner, owner_settings), "
					"ranked AS ("
					" SELECT q.id, COALESCE(r.n, 0) + row_number() OVER ("
					"  PARTITION BY q.owner, q.owner_settings ORDER BY q.id) AS turn"
					" FROM dataexport.export q LEFT JOIN running r"
					"  ON r.owner OPERATOR(pg_catalog.=) q.owner"
					"  AND r.owner_settings OPERATOR(pg_catalog.=) q.owner_settings"
					" WHERE q.state = 'queued'"
					" AND (q.not_before IS NULL OR q.not_before <= clock_timestamp())), "
					"next AS MATERIALIZED ("
					" SELECT e.id FROM dataexport.export e JOIN ranked ON ranked.id = e.id"
					" WHERE e.state = 'queued'"
					" ORDER BY ranked.turn, e.id LIMIT $1::integer FOR UPDATE OF e SKIP LOCKED) "
					"UPDATE dataexport.export e SET state = 'running', attempts = attempts + 1, "
					"date_started = clock_timestamp(), claim = $2::bigint # e.id "
					"FROM next WHERE e.id = next.id RETURNING e.id, e.owner, e.claim",
					2, params, false);
	de_restore_user(&sw);
	for (uint64 i = 0; i < n; i++)
	{
		bool		isnull;

		claims[i].id = de_spi_int8((int) i, 1, &isnull);
		claims[i].role = (Oid) strtoul(de_spi_text((int) i, 2), NULL, 10);
		claims[i].claim = de_spi_int8((int) i, 3, &isnull);
	}
	return (int) n;
}

TimestampTz
de_exports_next_retry(void)
{
	DeUserSwitch sw;
	bool		isnull;
	Datum		d;

	de_become_owner(&sw);
	de_spi_exec_kept("SELECT min(not_before) FROM dataexport.export "
				"WHERE state = 'queued' AND not_before > clock_timestamp()",
				0, NULL, false);
	de_restore_user(&sw);
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return isnull ? 0 : DatumGetTimestampTz(d);
}

/* ---------------- the worker ---------------- */

/* SPI results are read in the SPI context, which SPI_finish frees, and
 * copied into cxt, like pg_cron's LoadCronJobList. */
bool
de_export_load_job(int64 id, Oid owner, int64 claim, MemoryContext cxt,
				   DeExportJobRow *job)
{
	DeUserSwitch sw;
	char		idtext[32];
	char		roletext[16];
	char		claimtext[32];
	const char *params[3] = {idtext, roletext, claimtext};
	bool		found = false;

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	snprintf(roletext, sizeof(roletext), "%u", owner);
	snprintf(claimtext, sizeof(claimtext), INT64_FORMAT, claim);
	de_become_owner(&sw);
	if (de_spi_exec_kept("SELECT query_type, query_info, environments, row_limit, "
					"format, compression, owner_settings, date_created, attempts "
					"FROM dataexport.export WHERE id = $1::bigint "
					"AND claim = $3::bigint AND state = 'running' AND owner = $2::oid",
					3, params, false) == 1)
	{
		/* read in the SPI context ... */
		char	   *query_type = de_spi_text(0, 1);
		char	   *format = de_spi_text(0, 5);
		char	   *compression = de_spi_text(0, 6);
		Datum	   *elems = NULL;
		bool	   *nulls = NULL;
		int			nelems = 0;
		bool		isnull;
		Datum		envs = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3,
										 &isnull);
		MemoryContext old;

		if (!isnull)
			deconstruct_array(DatumGetArrayTypeP(envs), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &nulls, &nelems);

		job->row_limit = de_spi_int8(0, 4, &isnull);
		job->date_created = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0],
															  SPI_tuptable->tupdesc, 8,
															  &isnull));
		job->attempts = (int) de_spi_int8(0, 9, &isnull);

		/* ... and copied into cxt */
		old = MemoryContextSwitchTo(cxt);
		job->query_type = pstrdup(query_type);
		job->query_info = de_spi_dom(0, 2);
		job->format = pstrdup(format);
		job->compression = pstrdup(compression);
		job->owner_settings = de_spi_dom(0, 7);
		if (job->query_info == NULL || job->owner_settings == NULL)
			elog(ERROR, "export " INT64_FORMAT " has a null query_info or owner_settings", id);
		job->environments = NULL;
		job->nenvironments = 0;
		if (elems != NULL)
		{
			job->environments = palloc(sizeof(char *) * Max(nelems, 1));
			for (int i = 0; i < nelems; i++)
				if (!nulls[i])
					job->environments[job->nenvironments++] = TextDatumGetCString(elems[i]);
		}
		MemoryContextSwitchTo(old);
		found = true;
	}
	de_restore_user(&sw);
	return found;
}

void
de_export_record_success(int64 id, int64 claim, Oid owner, const DeExportSuccess *s)
{
	DeUserSwitch sw;
	char		idtext[32],
				claimtext[32],
				oid[16],
				rows[32],
				bytes[32],
				expiry[32];
	const char *params[10];

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	snprintf(claimtext, sizeof(claimtext), INT64_FORMAT, claim);
	snprintf(oid, sizeof(oid), "%u", s->file_oid);
	snprintf(rows, sizeof(rows), UINT64_FORMAT, s->rows);
	snprintf(bytes, sizeof(bytes), UINT64_FORMAT, s->bytes);
	snprintf(expiry, sizeof(expiry), "%d", s->expiration_s);
	params[0] = idtext;
	params[1] = oid;
	params[2] = s->file_name;
	params[3] = s->checksum;
	params[4] = rows;
	params[5] = bytes;
	params[6] = s->truncated ? "true" : "false";
	params[7] = s->truncated_reason;
	params[8] = expiry;
	params[9] = claimtext;

	de_become_owner(&sw);
	/* the file must still be there, and the requester's: the user's query
	 * might have unlinked it (defence in depth: the large-object write
	 * functions are refused while it runs) */
	if (de_spi_exec_kept("SELECT lomowner FROM pg_catalog.pg_largeobject_metadata "
					"WHERE oid = $2::oid",
					2, params, false) != 1 ||
		strtoul(de_spi_text(0, 1), NULL, 10) != owner)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the file of data export " INT64_FORMAT " (large object %u) was removed while the export ran",
						id, s->file_oid),
				 errdetail("The large object no longer exists, or is no longer owned by the requesting role."),
				 errhint("The export query must not modify large objects.")));
	/* the clock is read once: dateExpired - dateFinished is exactly the
	 * expiration */
	if (de_spi_exec_kept("UPDATE dataexport.export SET state = 'succeeded', "
					"file_oid = $2::oid, file_name = $3, checksum = $4, rows = $5::bigint, "
					"bytes = $6::bigint, truncated = $7::boolean, truncated_reason = $8, "
					"date_finished = finished.t, "
					"date_expired = finished.t + make_interval(secs => $9::integer), "
					"error = NULL, error_detail = NULL, not_before = NULL "
					"FROM (SELECT clock_timestamp() AS t) AS finished "
					"WHERE id = $1::bigint AND claim = $10::bigint AND state = 'running'",
					10, params, false) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_QUERY_CANCELED),
				 errmsg("data export " INT64_FORMAT " was cancelled", id),
				 errdetail("The export is no longer running under this worker's claim.")));
	de_restore_user(&sw);
	notify_export(id, "succeeded", s->file_name, (int64) s->rows, s->truncated, NULL);
}

void
de_export_record_retry(int64 id, int64 claim, const char *error, const char *detail,
					   int64 delay_ms)
{
	DeUserSwitch sw;
	char		idtext[32],
				delay[32],
				claimtext[32];
	const char *params[5];

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	snprintf(claimtext, sizeof(claimtext), INT64_FORMAT, claim);
	snprintf(delay, sizeof(delay), INT64_FORMAT, delay_ms);
	params[0] = idtext;
	params[1] = error;
	params[2] = detail;
	params[3] = delay;
	params[4] = claimtext;

	de_become_owner(&sw);
	de_spi_exec_kept("UPDATE dataexport.export SET state = 'queued', error = $2, "
				"error_detail = $3, "
				"not_before = clock_timestamp() + make_interval(secs => $4::bigint / 1000.0) "
				"WHERE id = $1::bigint AND claim = $5::bigint AND state = 'running'",
				5, params, false);
	de_restore_user(&sw);
}

void
de_export_record_failure(int64 id, int64 claim, const char *state, const char *error,
						 const char *detail)
{
	DeUserSwitch sw;
	char		idtext[32],
				claimtext[32];
	const char *params[5];

	snprintf(idtext, sizeof(idtext), INT64_FORMAT, id);
	snprintf(claimtext, sizeof(claimtext), INT64_FORMAT, claim);
	params[0] = idtext;
	params[1] = error;
	params[2] = detail;
	params[3] = state;
	params[4] = claimtext;

	de_become_owner(&sw);
	if (de_spi_exec_kept("UPDATE dataexport.export SET state = $4, error = $2, "
					"error_detail = $3, not_before = NULL "
					"WHERE id = $1::bigint AND claim = $5::bigint AND state = 'running'",
					5, params, false) == 1)
		notify_export(id, state, NULL, -1, false, error);
	de_restore_user(&sw);
}

/* ---------------- statistics (stats.c) ---------------- */

/*
 * The rows of dataexport_stats, one per query type, left in SPI_tuptable in
 * the order of that function's OUT columns.  own_ids NULL: every export of
 * this database; else only those ids, and bytes only of visible_ids.
 * "Recent" is by date_ended (0.2: stamped at every final state), run time
 * is date_ended - date_started (of the last attempt), queue wait
 * date_started - date_created.
 * Storage in use is the recorded byte count of succeeded, unexpired exports
 * whose file is still there (file_present): pg_largeobject itself is not
 * read, so the owner needs no access to it and the scan stays cheap.
 */
uint64
de_exports_stats(const char *period, const char *own_ids, const char *visible_ids)
{
	DeUserSwitch sw;
	const char *params[3] = {period, own_ids, visible_ids};
	uint64		n;

	de_become_owner(&sw);
	n = de_spi_exec("WITH e AS ("
					" SELECT x.*, ($3::bigint[] IS NULL"
					"  OR x.id OPERATOR(pg_catalog.=) ANY ($3::bigint[])) AS shows_bytes,"
					"  x.date_started >= pg_catalog.now() - $1::interval AS started_recent,"
					"  x.date_ended >= pg_catalog.now() - $1::interval AS finished_recent,"
					"  x.state = 'succeeded' AND dataexport.file_present(x) AS present"
					" FROM dataexport.export x"
					" WHERE $2::bigint[] IS NULL"
					"  OR x.id OPERATOR(pg_catalog.=) ANY ($2::bigint[])) "
					"SELECT pg_catalog.current_database()::name, e.query_type,"
					" count(*) FILTER (WHERE e.state = 'queued'),"
					" count(*) FILTER (WHERE e.state = 'running'),"
					" count(*) FILTER (WHERE e.state = 'succeeded'),"
					" count(*) FILTER (WHERE e.state = 'failed'),"
					" count(*) FILTER (WHERE e.state = 'cancelled'),"
					" count(*) FILTER (WHERE e.state = 'expired'),"
					" sum(GREATEST(e.attempts - 1, 0))::bigint,"
					" sum(e.lost_workers)::bigint,"
					" pg_catalog.now() - min(e.date_created) FILTER (WHERE e.state = 'queued'),"
					" pg_catalog.now() - $1::interval,"
					" count(*) FILTER (WHERE e.finished_recent"
					"  AND e.state IN ('succeeded', 'failed', 'cancelled', 'expired')),"
					" count(*) FILTER (WHERE e.finished_recent AND e.state = 'failed'),"
					" percentile_cont(0.5) WITHIN GROUP (ORDER BY e.date_started - e.date_created)"
					"  FILTER (WHERE e.started_recent),"
					" percentile_cont(0.95) WITHIN GROUP (ORDER BY e.date_started - e.date_created)"
					"  FILTER (WHERE e.started_recent),"
					" percentile_cont(0.5) WITHIN GROUP (ORDER BY e.date_ended - e.date_started)"
					"  FILTER (WHERE e.finished_recent),"
					" percentile_cont(0.95) WITHIN GROUP (ORDER BY e.date_ended - e.date_started)"
					"  FILTER (WHERE e.finished_recent),"
					" COALESCE(sum(e.bytes) FILTER (WHERE e.shows_bytes), 0)::bigint,"
					" COALESCE(sum(e.bytes) FILTER (WHERE e.shows_bytes AND e.finished_recent), 0)::bigint,"
					" COALESCE(sum(e.bytes) FILTER (WHERE e.shows_bytes AND e.present"
					"  AND (e.date_expired IS NULL OR e.date_expired > pg_catalog.now())), 0)::bigint "
					"FROM e GROUP BY e.query_type ORDER BY e.query_type",
					3, params, true);
	de_restore_user(&sw);
	return n;
}
