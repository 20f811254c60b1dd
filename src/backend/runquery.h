/*
 * runquery.h
 *	  From a stored (normalized) export request to the SQL that produces its
 *	  rows.  Used at create time to validate and by the worker to run.
 */
#ifndef DATAEXPORT_RUNQUERY_H
#define DATAEXPORT_RUNQUERY_H

#include "discover_sql.h"
#include "dom.h"
#include "pure.h"

typedef struct DeQuerySpec
{
	const char *query_type;		/* "Discover", "Issues-by-Tag", "SQL" */
	DjValue    *info;			/* normalized query_info */
	char	  **environments;	/* top-level environment (Issues-by-Tag) */
	int			nenvironments;
	int64		row_limit;		/* 0: none */
	de_time		now;			/* the export's creation time */
	const Dataset *ds;			/* the dataset if already loaded, else NULL */
	/* Discover: the fields and equations, and the search query, as parsed
	 * at create time (ExportRequest.items, .search), or NULL and false: the
	 * builder parses them from info (the worker, once per run) */
	const Field *items;
	bool		search_parsed;
	const SearchNode *search;
} DeQuerySpec;

/* Raises the error (with its SQLSTATE) on invalid requests.  For SQL exports
 * out->ncolumns is 0: the header comes from the result's columns. */
extern void de_build_export_query(const DeQuerySpec *spec, BuiltQuery *out);

/* The dataset an export reads ("discover" unless info names another);
 * raises Sentry's "<name> is not supported for csv exports". */
extern void de_export_dataset(DjValue *info, Dataset *ds);

/* The row limit the worker applies: the export's limit (0: none given),
 * clamped to dataexport.max_rows.  Also what dataexport_explain plans. */
extern int64 de_effective_row_limit(int64 requested);

/* ereport(ERROR) of a DeError from a pure module. */
extern void de_raise(const DeError *err) pg_attribute_noreturn();

#endif
