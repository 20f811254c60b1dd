/*
 * spi_owner.c
 *	  Bookkeeping access and SPI helpers.
 *
 * Ordinary roles cannot read or write the dataexport schema.  Code that must
 * touch it for a user switches to the extension's owner with
 * SECURITY_LOCAL_USERID_CHANGE and a pinned search_path (so that a user's
 * objects cannot capture the operators of our SQL), does the access, and
 * switches back; user-supplied SQL never runs in between.
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/skey.h"
#include "access/table.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/fmgrprotos.h"
#include "utils/json.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/syscache.h"
#include "common/hashfn.h"
#include "storage/proc.h"
#include "utils/varlena.h"

#include "spi_owner.h"
#include "settings.h"

/*
 * The owner is read once per transaction (keyed by the local transaction
 * id, as extversion.c does): pg_extension has no syscache, and a create
 * switches to the owner several times.
 */
static LocalTransactionId owner_lxid = InvalidLocalTransactionId;
static Oid	owner_db = InvalidOid;
static Oid	owner_cached = InvalidOid;

static Oid	read_extension_owner(void);

Oid
de_extension_owner(void)
{
	LocalTransactionId lxid = MyProc ? MyProc->lxid : InvalidLocalTransactionId;

	if (lxid == InvalidLocalTransactionId || lxid != owner_lxid ||
		owner_db != MyDatabaseId || !OidIsValid(owner_cached))
	{
		owner_cached = InvalidOid;
		owner_cached = read_extension_owner();
		owner_lxid = lxid;
		owner_db = MyDatabaseId;
	}
	return owner_cached;
}

static Oid
read_extension_owner(void)
{
	Oid			ext_oid = get_extension_oid("dataexport", true);
	Oid			owner = InvalidOid;
	HeapTuple	tuple;

	if (!OidIsValid(ext_oid))
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("extension \"dataexport\" is not installed in this database"),
				 errhint("Run CREATE EXTENSION dataexport.")));

	/* No syscache on pg_extension; this is what extension.c does too. */
	{
		Relation	rel = table_open(ExtensionRelationId, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;

		ScanKeyInit(&key, Anum_pg_extension_oid, BTEqualStrategyNumber,
					F_OIDEQ, ObjectIdGetDatum(ext_oid));
		scan = systable_beginscan(rel, ExtensionOidIndexId, true, NULL, 1, &key);
		tuple = systable_getnext(scan);
		if (HeapTupleIsValid(tuple))
			owner = ((Form_pg_extension) GETSTRUCT(tuple))->extowner;
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	if (!OidIsValid(owner))
		elog(ERROR, "could not find the owner of extension \"dataexport\"");
	return owner;
}

void
de_become_owner(DeUserSwitch *sw)
{
	Oid			owner = de_extension_owner();

	GetUserIdAndSecContext(&sw->saved_userid, &sw->saved_sec_context);
	SetUserIdAndSecContext(owner,
						   sw->saved_sec_context | SECURITY_LOCAL_USERID_CHANGE);
	sw->guc_nest_level = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
							 true, 0, false);
}

void
de_restore_user(DeUserSwitch *sw)
{
	AtEOXact_GUC(true, sw->guc_nest_level);
	SetUserIdAndSecContext(sw->saved_userid, sw->saved_sec_context);
}

char *
de_int8_text(int64 v)
{
	return psprintf(INT64_FORMAT, v);
}

/* Text-only SPI arguments: every type text, NULL params SQL NULL. */
typedef struct TextArgs
{
	Oid		   *types;
	Datum	   *values;
	char	   *nulls;
} TextArgs;

static TextArgs
text_args(int nparams, const char *const *params)
{
	TextArgs	a;

	a.types = palloc(sizeof(Oid) * Max(nparams, 1));
	a.values = palloc(sizeof(Datum) * Max(nparams, 1));
	a.nulls = palloc(Max(nparams, 1) + 1);
	for (int i = 0; i < nparams; i++)
	{
		a.types[i] = TEXTOID;
		a.values[i] = params[i] ? CStringGetTextDatum(params[i]) : (Datum) 0;
		a.nulls[i] = params[i] ? ' ' : 'n';
	}
	a.nulls[nparams] = '\0';
	return a;
}

uint64
de_spi_exec(const char *sql, int nparams, const char *const *params,
			bool read_only)
{
	TextArgs	a = text_args(nparams, params);
	int			rc;

	rc = SPI_execute_with_args(sql, nparams, a.types, a.values, a.nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

/*
 * Kept plans of the bookkeeping statements (SPI_prepare + SPI_keepplan),
 * looked up by their text and parameter types.  Only SQL that runs as the
 * extension owner with the pinned search_path uses them (de_become_owner):
 * the bookkeeping tables have no row-level security, and the plan cache
 * re-analyzes a kept statement after any invalidation (DDL on the tables,
 * DROP and CREATE EXTENSION, a different search_path), so a kept plan never
 * outlives what it was planned for.  SQL that runs as the caller (their
 * grants and row-level security) is never kept here.  The table lives in
 * its own memory context for the life of the process; the plans themselves
 * are the plan cache's (SPI_keepplan).  Statement texts are fixed strings
 * or built from a small fixed set of fragments, so the table stays small; a
 * cap guards it all the same.
 */
#define DE_KEPT_PLANS_MAX 128

typedef struct DeKeptPlan
{
	uint32		hash;
	char	   *sql;
	int			nargs;
	Oid		   *types;
	SPIPlanPtr	plan;
} DeKeptPlan;

static MemoryContext kept_cxt = NULL;
static DeKeptPlan *kept = NULL;
static int	nkept = 0;

static SPIPlanPtr
kept_plan(const char *sql, int nargs, const Oid *types)
{
	uint32		hash = hash_bytes((const unsigned char *) sql, strlen(sql));
	SPIPlanPtr	plan;
	DeKeptPlan *e;

	for (int i = 0; i < nkept; i++)
	{
		e = &kept[i];
		if (e->hash == hash && e->nargs == nargs && strcmp(e->sql, sql) == 0 &&
			(nargs == 0 || memcmp(e->types, types, sizeof(Oid) * nargs) == 0))
			return e->plan;
	}

	plan = SPI_prepare(sql, nargs, (Oid *) types);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
	if (nkept >= DE_KEPT_PLANS_MAX)
		return plan;			/* not kept: freed with the SPI procedure */

	if (kept_cxt == NULL)
	{
		kept_cxt = AllocSetContextCreate(TopMemoryContext, "dataexport kept plans",
										 ALLOCSET_SMALL_SIZES);
		kept = MemoryContextAllocZero(kept_cxt, sizeof(DeKeptPlan) * DE_KEPT_PLANS_MAX);
	}
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "SPI_keepplan failed");
	e = &kept[nkept];
	e->hash = hash;
	e->sql = MemoryContextStrdup(kept_cxt, sql);
	e->nargs = nargs;
	e->types = MemoryContextAlloc(kept_cxt, sizeof(Oid) * Max(nargs, 1));
	if (nargs > 0)
		memcpy(e->types, types, sizeof(Oid) * nargs);
	e->plan = plan;
	nkept++;
	return plan;
}

uint64
de_spi_exec_kept_args(const char *sql, int nargs, const Oid *types, Datum *values,
					  const char *nulls, bool read_only)
{
	int			rc;

	rc = SPI_execute_plan(kept_plan(sql, nargs, types), values, nulls, read_only, 0);
	if (rc < 0)
		elog(ERROR, "SPI_execute_plan failed: %s", SPI_result_code_string(rc));
	return SPI_processed;
}

uint64
de_spi_exec_kept(const char *sql, int nparams, const char *const *params,
				 bool read_only)
{
	TextArgs	a = text_args(nparams, params);

	return de_spi_exec_kept_args(sql, nparams, a.types, a.values, a.nulls, read_only);
}

int
de_kept_plan_count(void)
{
	return nkept;
}

char *
de_spi_text(int row, int col)
{
	return SPI_getvalue(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col);
}

int64
de_spi_int8(int row, int col, bool *isnull)
{
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, isnull);

	return *isnull ? 0 : DatumGetInt64(d);
}

Jsonb *
de_spi_jsonb(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, &isnull);

	if (isnull)
		return NULL;
	/* copy out of the SPI context so it survives SPI_finish */
	return (Jsonb *) SPI_datumTransfer(d, false, -1);
}

char *
de_current_owner_settings(void)
{
	StringInfoData buf;
	char	   *rawnames;
	List	   *names;
	ListCell   *lc;
	bool		first = true;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	rawnames = pstrdup(de_forward_settings ? de_forward_settings : "");
	if (!SplitIdentifierString(rawnames, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid list syntax in \"dataexport.forward_settings\"")));
	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		const char *value = GetConfigOption(name, true, false);

		if (!first)
			appendStringInfoString(&buf, ", ");
		first = false;
		escape_json(&buf, name);
		appendStringInfoString(&buf, ": ");
		if (value == NULL)
			appendStringInfoString(&buf, "null");
		else
			escape_json(&buf, value);
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

Jsonb *
de_jsonb_from_cstring(const char *text)
{
	return DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(text)));
}

char *
de_jsonb_to_cstring(Jsonb *jb)
{
	return JsonbToCString(NULL, &jb->root, VARSIZE(jb));
}

Jsonb *
de_jsonb_set_key(Jsonb *jb, const char *key, Jsonb *value)
{
	StringInfoData obj;

	initStringInfo(&obj);
	appendStringInfoChar(&obj, '{');
	escape_json(&obj, key);
	appendStringInfoChar(&obj, ':');
	appendStringInfoString(&obj, de_jsonb_to_cstring(value));
	appendStringInfoChar(&obj, '}');
	return DatumGetJsonbP(DirectFunctionCall2(jsonb_concat,
											  JsonbPGetDatum(jb),
											  JsonbPGetDatum(de_jsonb_from_cstring(obj.data))));
}
