/*
 * record.c
 *	  dataexport.record(e, progress, user_id_setting) in C: the export record
 *	  of SPEC §5 built straight from the row, the same jsonb as the SQL
 *	  function of version 0.1 (dataexport--0.1.sql) gives.
 *
 * The 0.1 definition is a SQL function calling two more SQL functions
 * (iso_ms, file_present): PostgreSQL parses and plans their bodies again at
 * every call, which made the record most of the cost of dataexport_create
 * and dataexport_details.  Version 0.2 points dataexport.record at this
 * function (the performance section of dataexport--0.1--0.2.sql); on a 0.1
 * schema the SQL definition stays in use, and the callers do not change:
 * they call dataexport.record in SQL either way.  test/sql/record_c.sql
 * compares the two definitions row by row.
 *
 * Runs as whoever calls it (the doors call it as the extension owner);
 * reads pg_authid (role name) and pg_largeobject_metadata (is the file
 * still there and the requester's) directly, like the SQL definition does
 * through pg_roles and file_present.  Takes no lock beyond the catalog
 * scan's.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_largeobject_metadata.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

PG_FUNCTION_INFO_V1(dataexport_record);

typedef struct RecordBuilder
{
	JsonbParseState *state;
} RecordBuilder;

static void
put_key(RecordBuilder *b, const char *key)
{
	JsonbValue	k;

	k.type = jbvString;
	k.val.string.val = (char *) key;
	k.val.string.len = strlen(key);
	(void) pushJsonbValue(&b->state, WJB_KEY, &k);
}

static void
put_value(RecordBuilder *b, JsonbValue *v)
{
	(void) pushJsonbValue(&b->state, WJB_VALUE, v);
}

static void
put_null(RecordBuilder *b, const char *key)
{
	JsonbValue	v;

	put_key(b, key);
	v.type = jbvNull;
	put_value(b, &v);
}

static void
put_text(RecordBuilder *b, const char *key, const char *text)
{
	JsonbValue	v;

	if (text == NULL)
	{
		put_null(b, key);
		return;
	}
	put_key(b, key);
	v.type = jbvString;
	v.val.string.val = (char *) text;
	v.val.string.len = strlen(text);
	put_value(b, &v);
}

static void
put_int8(RecordBuilder *b, const char *key, int64 n)
{
	JsonbValue	v;

	put_key(b, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	put_value(b, &v);
}

static void
put_bool(RecordBuilder *b, const char *key, bool value)
{
	JsonbValue	v;

	put_key(b, key);
	v.type = jbvBool;
	v.val.boolean = value;
	put_value(b, &v);
}

/* A jsonb value as it is (NULL: null). */
static void
put_jsonb(RecordBuilder *b, const char *key, Jsonb *jb)
{
	JsonbValue	v;

	if (jb == NULL)
	{
		put_null(b, key);
		return;
	}
	put_key(b, key);
	if (JB_ROOT_IS_SCALAR(jb))
	{
		JsonbValue	scalar;

		if (!JsonbExtractScalar(&jb->root, &scalar))
			elog(ERROR, "could not extract a jsonb scalar");
		put_value(b, &scalar);
		return;
	}
	v.type = jbvBinary;
	v.val.binary.data = &jb->root;
	v.val.binary.len = VARSIZE(jb) - VARHDRSZ;
	put_value(b, &v);
}

/*
 * dataexport.iso_ms: ISO 8601 UTC, milliseconds, the fraction dropped when
 * it is under a millisecond; formatted by to_char itself, as in SQL.
 */
static char *
iso_ms(TimestampTz t)
{
	struct pg_tm tm;
	fsec_t		fsec;
	const char *format;

	/* date_trunc and to_char of infinity: the record says null */
	if (TIMESTAMP_NOT_FINITE(t))
		return NULL;
	if (timestamp2tm(t, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	format = fsec < 1000 ? "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"" :
		"YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"";
	{
		/* t AT TIME ZONE 'UTC' is the same count of microseconds */
		Datum		d = DirectFunctionCall2(timestamp_to_char, TimestampGetDatum(t),
											CStringGetTextDatum(format));

		return TextDatumGetCString(d);
	}
}

static void
put_date(RecordBuilder *b, const char *key, HeapTupleHeader row, const char *column)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, column, &isnull);

	put_text(b, key, isnull ? NULL : iso_ms(DatumGetTimestampTz(d)));
}

/* dataexport.file_present: the large object exists and is the owner's. */
static bool
file_present(Oid loid, Oid owner)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tuple;
	bool		present = false;

	rel = table_open(LargeObjectMetadataRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_largeobject_metadata_oid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(loid));
	scan = systable_beginscan(rel, LargeObjectMetadataOidIndexId, true, NULL, 1, &key);
	tuple = systable_getnext(scan);
	if (HeapTupleIsValid(tuple))
		present = ((Form_pg_largeobject_metadata) GETSTRUCT(tuple))->lomowner == owner;
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return present;
}

/* owner_settings ->> name, as text (NULL: no such key, or JSON null). */
static char *
setting_text(Jsonb *settings, const char *name)
{
	JsonbValue *v;

	if (settings == NULL || name == NULL || !JB_ROOT_IS_OBJECT(settings))
		return NULL;
	v = getKeyJsonValueFromContainer(&settings->root, name, strlen(name), NULL);
	if (v == NULL || v->type == jbvNull)
		return NULL;
	if (v->type == jbvString)
		return pnstrdup(v->val.string.val, v->val.string.len);
	if (v->type == jbvBinary)
		return JsonbToCString(NULL, v->val.binary.data, v->val.binary.len);
	return JsonbToCString(NULL, &JsonbValueToJsonb(v)->root, 0);
}

static char *
column_text(HeapTupleHeader row, const char *column)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static void
put_column_int8(RecordBuilder *b, const char *key, HeapTupleHeader row,
				const char *column, bool is_int4)
{
	bool		isnull;
	Datum		d = GetAttributeByName(row, column, &isnull);

	if (isnull)
		put_null(b, key);
	else
		put_int8(b, key, is_int4 ? (int64) DatumGetInt32(d) : DatumGetInt64(d));
}

Datum
dataexport_record(PG_FUNCTION_ARGS)
{
	HeapTupleHeader row;
	Jsonb	   *progress = PG_ARGISNULL(1) ? NULL : PG_GETARG_JSONB_P(1);
	char	   *user_id_setting = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	RecordBuilder b = {NULL};
	bool		isnull;
	Oid			owner;
	char	   *state;
	bool		gone;
	Oid			file_oid = InvalidOid;
	bool		file_oid_null;
	bool		finished_null;
	bool		expired_null;
	TimestampTz expired = 0;
	Jsonb	   *settings;
	JsonbValue *result;

	/* a NULL row: every column NULL, which the NOT NULL columns exclude */
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	row = PG_GETARG_HEAPTUPLEHEADER(0);

	owner = DatumGetObjectId(GetAttributeByName(row, "owner", &isnull));
	state = column_text(row, "state");
	{
		Datum		d = GetAttributeByName(row, "file_oid", &file_oid_null);

		if (!file_oid_null)
			file_oid = DatumGetObjectId(d);
	}
	/* the file is gone: cleaned up (expired), or a succeeded export's large
	 * object unlinked, dropped or reassigned away from the requester */
	gone = state != NULL &&
		(strcmp(state, "expired") == 0 ||
		 (strcmp(state, "succeeded") == 0 &&
		  (file_oid_null || !file_present(file_oid, owner))));
	(void) GetAttributeByName(row, "date_finished", &finished_null);
	{
		Datum		d = GetAttributeByName(row, "date_expired", &expired_null);

		if (!expired_null)
			expired = DatumGetTimestampTz(d);
	}
	{
		Datum		d = GetAttributeByName(row, "owner_settings", &isnull);

		settings = isnull ? NULL : DatumGetJsonbP(d);
	}

	(void) pushJsonbValue(&b.state, WJB_BEGIN_OBJECT, NULL);

	put_column_int8(&b, "id", row, "id", false);

	/* user: null when the role is gone */
	{
		HeapTuple	tup = SearchSysCache1(AUTHOID, ObjectIdGetDatum(owner));

		if (!HeapTupleIsValid(tup))
			put_null(&b, "user");
		else
		{
			char	   *id = setting_text(settings, user_id_setting);
			char	   *rolname = pstrdup(NameStr(((Form_pg_authid) GETSTRUCT(tup))->rolname));

			ReleaseSysCache(tup);
			if (id == NULL || id[0] == '\0')
				id = psprintf("%u", owner);
			put_key(&b, "user");
			(void) pushJsonbValue(&b.state, WJB_BEGIN_OBJECT, NULL);
			put_text(&b, "id", id);
			put_null(&b, "email");
			put_text(&b, "username", rolname);
			(void) pushJsonbValue(&b.state, WJB_END_OBJECT, NULL);
		}
	}

	put_date(&b, "dateCreated", row, "date_created");
	put_date(&b, "dateFinished", row, "date_finished");
	put_date(&b, "dateExpired", row, "date_expired");

	put_key(&b, "query");
	(void) pushJsonbValue(&b.state, WJB_BEGIN_OBJECT, NULL);
	put_text(&b, "type", column_text(row, "query_type"));
	{
		Datum		d = GetAttributeByName(row, "query_info", &isnull);

		put_jsonb(&b, "info", isnull ? NULL : DatumGetJsonbP(d));
	}
	(void) pushJsonbValue(&b.state, WJB_END_OBJECT, NULL);

	if (finished_null)
		put_text(&b, "status", "EARLY");
	else if (gone ||
			 (!expired_null && expired <= GetCurrentTransactionStartTimestamp()))
		put_text(&b, "status", "EXPIRED");
	else
		put_text(&b, "status", "VALID");

	/* Sentry's serializer gives None for a deleted file; the table keeps
	 * both for the DBA */
	put_text(&b, "checksum", gone ? NULL : column_text(row, "checksum"));
	put_text(&b, "fileName", gone ? NULL : column_text(row, "file_name"));
	put_text(&b, "state", gone ? "expired" : state);
	put_text(&b, "format", column_text(row, "format"));
	put_text(&b, "compression", column_text(row, "compression"));
	if (state != NULL && strcmp(state, "succeeded") == 0 && !gone && !file_oid_null)
		put_int8(&b, "fileOid", (int64) file_oid);
	else
		put_null(&b, "fileOid");
	put_column_int8(&b, "rows", row, "rows", false);
	put_column_int8(&b, "bytes", row, "bytes", false);
	{
		Datum		d = GetAttributeByName(row, "truncated", &isnull);

		if (isnull)
			put_null(&b, "truncated");
		else
			put_bool(&b, "truncated", DatumGetBool(d));
	}
	put_text(&b, "truncatedReason", column_text(row, "truncated_reason"));
	put_text(&b, "error", column_text(row, "error"));
	put_text(&b, "errorDetail", column_text(row, "error_detail"));
	put_column_int8(&b, "attempts", row, "attempts", true);
	if (state != NULL && strcmp(state, "running") == 0)
		put_jsonb(&b, "progress", progress);
	else
		put_null(&b, "progress");

	result = pushJsonbValue(&b.state, WJB_END_OBJECT, NULL);
	PG_RETURN_JSONB_P(JsonbValueToJsonb(result));
}
