/*
 * discover_sql.h
 *	  SQL text for Discover and Issues-by-Tag exports over a registered
 *	  dataset.  Identifiers go through the caller's quoting function, every
 *	  payload value becomes a text parameter ($n, cast in the SQL text).
 */
#ifndef DATAEXPORT_DISCOVER_SQL_H
#define DATAEXPORT_DISCOVER_SQL_H

#include "pure.h"
#include "dates.h"
#include "fields.h"
#include "search.h"

typedef enum DsColumnType
{
	DS_TEXT,
	DS_NUMBER,
	DS_TIMESTAMP,
	DS_BOOL,
	DS_JSON,
	DS_OTHER
} DsColumnType;

typedef struct DsColumn
{
	char	   *name;
	DsColumnType type;
	bool		integer;		/* DS_NUMBER of an integer type (smallint,
								 * integer, bigint) */
} DsColumn;

typedef struct Dataset
{
	char	   *name;
	char	   *relation;		/* already quoted, e.g. "app"."events" */
	int			ncolumns;
	DsColumn   *columns;
	/* the columns playing SPEC roles; NULL when not mapped */
	char	   *project;
	char	   *timestamp;
	char	   *environment;
	char	   *group;
	char	   *tags;
	char	   *message;
	char	   *user;

	/*
	 * Sentry's "issue" field: the column holding the issue's qualified short
	 * id ("ACME-WEB-1A"), or else the column holding its per-project short-id
	 * number, from which the short id is built as Sentry does (the project's
	 * slug upper-cased, "-", the number in Sentry's base 32).  NULL when not
	 * mapped.
	 */
	char	   *issue;
	char	   *short_id;

	/*
	 * The registered projects relation (quoted) and its id column, when it
	 * has a slug column (project_slug): then "project" and "project.name"
	 * are the slug, read through a join with that relation (as the user who
	 * runs the query), and "project.id" the id.  NULL without a slug column.
	 */
	char	   *projects_relation;
	char	   *projects_id;
	char	   *project_slug;
} Dataset;

typedef const char *(*QuoteIdentFn) (const char *ident);

typedef struct BuiltQuery
{
	char	   *sql;
	int			nparams;
	char	  **params;			/* text; NULL = SQL NULL */
	int			ncolumns;
	char	  **headers;		/* output column names (CSV header) */
} BuiltQuery;

typedef struct DiscoverQuery
{
	const Dataset *ds;
	char	  **fields;
	int			nfields;
	char	  **equations;
	int			nequations;
	const char *query;
	char	  **sort;
	int			nsort;
	const int64_t *projects;
	int			nprojects;
	de_time		start;
	de_time		end;
	char	  **environments;
	int			nenvironments;
	int64_t		row_limit;		/* > 0: LIMIT row_limit + 1 (to see truncation) */
	de_time		now;			/* relative search times count from here */

	/*
	 * Optional: what the caller has parsed already (payload_normalize's
	 * ExportRequest.items and .search), so that a request is parsed once.
	 * items, when not NULL, are the nfields fields then the nequations
	 * equations, parsed from those texts; with search_parsed, search is the
	 * tree of query (NULL: empty).  The caller keeps both.
	 */
	const Field *items;
	bool		search_parsed;
	const SearchNode *search;
} DiscoverQuery;

extern bool discover_build(const DiscoverQuery *q, QuoteIdentFn quote,
						   BuiltQuery *out, DeError *err);

extern void built_query_clear(BuiltQuery *bq);

#endif
