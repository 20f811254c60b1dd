/*
 * explain.c
 *	  dataexport_explain: a dry run of an export request that create would
 *	  accept.  The caller (api.c) has run create's own validation on it;
 *	  this file builds the query exactly as the worker will (same builder,
 *	  same stored form of the request, same row limit, same creation time),
 *	  plans it as the caller under row-level security and reports:
 *
 *	  - the SQL and its parameters;
 *	  - EXPLAIN (FORMAT JSON) of it, without ANALYZE: the plan is made by
 *		the same parse, rewrite and planner calls as the worker's one-shot
 *		SPI plan (custom plan, parameters as constants, parallel plans
 *		allowed), and ExecutorStart runs in EXPLAIN-only mode, so nothing is
 *		executed; privileges on the relations are checked as the caller;
 *	  - the planner's rows and width, and an estimated byte size;
 *	  - the file name (the id is not known: no export is created);
 *	  - whether the row limit or the file size limit would truncate it.
 *
 * SQL exports have passed create's statement check (sqlcheck.c: one
 * read-only query), and the text is parsed here as the one statement it is,
 * never pasted behind an EXPLAIN keyword.  Planning runs under the worker's
 * guards (lo_guard.c): pinned parser settings (and search_path for the
 * queries the extension builds), large-object writes refused, and a
 * read-only transaction state, since the planner may evaluate immutable
 * and stable functions.
 *
 * Nothing here writes: no row, no sequence value, no queue lock, no
 * notification, no pending action.  No shared memory is touched.
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "nodes/params.h"
#include "parser/parser.h"
#include "tcop/tcopprot.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "dataexport.h"
#include "encode.h"
#include "jsonb_dom.h"
#include "lo_guard.h"
#include "runquery.h"
#include "settings.h"
#include "spi_owner.h"
#include "explain.h"

/* What the guarded planning step gets and gives back. */
typedef struct ExplainRun
{
	const char *sql;
	ParamListInfo params;
	char	   *plan_json;		/* EXPLAIN (FORMAT JSON) output */
	double		plan_rows;
	int			plan_width;
	List	   *column_names;	/* of the result (char *) */
} ExplainRun;

/* The worker's parameters (worker.c's text_params): text, constant. */
static ParamListInfo
text_params(const BuiltQuery *bq)
{
	ParamListInfo params = makeParamList(bq->nparams);

	for (int i = 0; i < bq->nparams; i++)
	{
		ParamExternData *p = &params->params[i];

		p->ptype = TEXTOID;
		p->pflags = PARAM_FLAG_CONST;
		p->isnull = bq->params[i] == NULL;
		p->value = p->isnull ? (Datum) 0 : CStringGetTextDatum(bq->params[i]);
	}
	return params;
}

/* Parse, analyze and rewrite, plan, EXPLAIN: one statement, never run. */
static void
plan_and_explain(void *arg)
{
	ExplainRun *run = (ExplainRun *) arg;
	List	   *raw = pg_parse_query(run->sql);
	List	   *queries;
	Query	   *query;
	PlannedStmt *stmt;
	ExplainState *es;
	ListCell   *lc;

	/* the statement check (SQL exports) or our own builder said so */
	if (list_length(raw) != 1 || !IsA(linitial_node(RawStmt, raw)->stmt, SelectStmt))
		elog(ERROR, "export query is not exactly one SELECT statement");
	queries = pg_analyze_and_rewrite_withcb(linitial_node(RawStmt, raw), run->sql,
											run->params->parserSetup,
											run->params->parserSetupArg, NULL);
	if (list_length(queries) != 1)
		elog(ERROR, "export query rewrote to %d queries", list_length(queries));
	query = linitial_node(Query, queries);
	if (query->commandType != CMD_SELECT || query->utilityStmt != NULL ||
		query->hasModifyingCTE)
		elog(ERROR, "export query is not a read-only query");

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = lfirst_node(TargetEntry, lc);

		if (!tle->resjunk)
			run->column_names = lappend(run->column_names,
										pstrdup(tle->resname ? tle->resname : "?column?"));
	}

	/* as SPI's one-shot plan of SPI_execute_extended in the worker */
	stmt = pg_plan_query(query, run->sql, CURSOR_OPT_PARALLEL_OK, run->params);
	run->plan_rows = stmt->planTree->plan_rows;
	run->plan_width = stmt->planTree->plan_width;

	es = NewExplainState();
	es->format = EXPLAIN_FORMAT_JSON;
	es->analyze = false;
	es->costs = true;
	ExplainBeginOutput(es);
#if PG_VERSION_NUM >= 170000
	ExplainOnePlan(stmt, NULL, es, run->sql, run->params, NULL, NULL, NULL, NULL);
#else
	ExplainOnePlan(stmt, NULL, es, run->sql, run->params, NULL, NULL, NULL);
#endif
	ExplainEndOutput(es);
	run->plan_json = es->str->data;
}

/* The worker's statement state around planning: read-only. */
static void
explain_as_worker(ExplainRun *run, bool pin_search_path)
{
	bool		saved_read_only = XactReadOnly;

	XactReadOnly = true;
	PG_TRY();
	{
		de_plan_user_query(plan_and_explain, run, pin_search_path);
	}
	PG_FINALLY();
	{
		XactReadOnly = saved_read_only;
	}
	PG_END_TRY();
}

/* The bytes a record of the format adds around its values, and the header:
 * the encoder's own output for a header and for a row of NULLs. */
static void
format_overhead(DeFormat format, List *names, int64 *header, int64 *per_row)
{
	int			n = list_length(names);
	DeCell	   *cells = palloc0(sizeof(DeCell) * Max(n, 1));
	char	  **keys = palloc(sizeof(char *) * Max(n, 1));
	StrBuf		sb;
	int			i = 0;
	ListCell   *lc;

	foreach(lc, names)
	{
		keys[i] = lfirst(lc);
		cells[i].kind = DE_CELL_TEXT;
		cells[i].text = keys[i];
		cells[i].len = strlen(keys[i]);
		i++;
	}
	sb_init(&sb);
	*header = 0;
	if (format == DE_FORMAT_CSV)
	{
		csv_append_record(&sb, cells, n);
		*header = (int64) sb.len;
	}
	for (i = 0; i < n; i++)
		cells[i].kind = DE_CELL_NULL;
	sb_reset(&sb);
	if (format == DE_FORMAT_JSONL)
		jsonl_append_record(&sb, keys, cells, n);
	else
		csv_append_record(&sb, cells, n);
	/* CSV writes NULL as nothing, JSONL as null */
	*per_row = (int64) sb.len - (format == DE_FORMAT_JSONL ? 4 * n : 0);
	sb_free(&sb);
}

static void
append_json_string(StringInfo buf, const char *s)
{
	if (s == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, s);
}

/* The file name create would give it, with "{id}" for the id that no one
 * has drawn. */
static char *
file_name_template(const char *query_type, de_time created, const ExportRequest *req)
{
	const char *sentinel = "9223372036854775807";
	char	   *name = de_export_filename(query_type, created, PG_INT64_MAX,
										  req->format, req->compression);
	char	   *at = strstr(name, sentinel);

	if (at == NULL)
		elog(ERROR, "unexpected export file name \"%s\"", name);
	*at = '\0';
	return psprintf("%s{id}%s", name, at + strlen(sentinel));
}

Jsonb *
de_explain_request(const ExportRequest *req)
{
	DeQuerySpec spec;
	BuiltQuery	bq;
	ExplainRun	run;
	const char *query_type = export_query_type_name(req->type);
	bool		is_sql = req->type == EQT_SQL;
	int64		row_limit = de_effective_row_limit(req->has_limit ? req->limit : 0);
	int64		max_bytes = (int64) de_max_file_size_kb * 1024;
	int64		planned_rows;
	int64		export_rows;
	int64		header_bytes;
	int64		row_overhead;
	double		bytes;
	int64		est_bytes;
	bool		by_rows;
	bool		by_bytes;
	StringInfoData out;

	/*
	 * What the worker builds from: the stored query_info (the request's,
	 * through jsonb as create stores it), parsed again by the builder; the
	 * row limit clamped to dataexport.max_rows; the creation time, which is
	 * this transaction's start (date_created's default).
	 */
	memset(&spec, 0, sizeof(spec));
	spec.query_type = query_type;
	spec.info = de_dom_from_jsonb(de_jsonb_from_dom(req->info));
	spec.environments = req->environments;
	spec.nenvironments = req->nenvironments;
	spec.row_limit = row_limit;
	spec.now = de_time_from_timestamptz(GetCurrentTransactionStartTimestamp());
	de_build_export_query(&spec, &bq);

	memset(&run, 0, sizeof(run));
	run.sql = bq.sql;
	run.params = text_params(&bq);
	explain_as_worker(&run, !is_sql);

	/* the header: the builder's names, or the result's for SQL exports */
	if (bq.ncolumns > 0)
	{
		run.column_names = NIL;
		for (int i = 0; i < bq.ncolumns; i++)
			run.column_names = lappend(run.column_names, bq.headers[i]);
	}
	format_overhead(req->format, run.column_names, &header_bytes, &row_overhead);

	planned_rows = run.plan_rows >= (double) PG_INT64_MAX ? PG_INT64_MAX :
		(int64) rint(Max(run.plan_rows, 0.0));
	/* Discover and Issues-by-Tag ask for one row more than the limit, so
	 * that truncation shows: more rows than the limit means truncated */
	by_rows = planned_rows > row_limit;
	export_rows = Min(planned_rows, row_limit);
	bytes = (double) header_bytes +
		(double) export_rows * (double) (run.plan_width + row_overhead);
	est_bytes = bytes >= (double) PG_INT64_MAX ? PG_INT64_MAX : (int64) bytes;
	by_bytes = est_bytes > max_bytes;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"query\": {\"sql\": ");
	append_json_string(&out, bq.sql);
	appendStringInfoString(&out, ", \"params\": [");
	for (int i = 0; i < bq.nparams; i++)
	{
		if (i > 0)
			appendStringInfoString(&out, ", ");
		append_json_string(&out, bq.params[i]);
	}
	appendStringInfo(&out, "]}, \"plan\": %s", run.plan_json);
	appendStringInfo(&out, ", \"estimatedRows\": " INT64_FORMAT
					 ", \"estimatedWidth\": %d"
					 ", \"estimatedBytes\": " INT64_FORMAT
					 ", \"rowLimit\": " INT64_FORMAT
					 ", \"maxBytes\": " INT64_FORMAT,
					 export_rows, run.plan_width, est_bytes, row_limit, max_bytes);
	appendStringInfo(&out, ", \"plannedRows\": " INT64_FORMAT, planned_rows);
	appendStringInfoString(&out, ", \"fileName\": ");
	append_json_string(&out, file_name_template(query_type, spec.now, req));
	appendStringInfo(&out, ", \"wouldTruncate\": %s, \"truncatedReason\": ",
					 by_rows || by_bytes ? "true" : "false");
	if (by_rows)
		append_json_string(&out, psprintf("The export would reach the row limit of "
										  INT64_FORMAT " rows.", row_limit));
	else if (by_bytes)
		append_json_string(&out, psprintf("The export would reach the file size limit of "
										  INT64_FORMAT " bytes.", max_bytes));
	else
		appendStringInfoString(&out, "null");
	appendStringInfoChar(&out, '}');
	return de_jsonb_from_cstring(out.data);
}
