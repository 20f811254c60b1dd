/*
 * issues_sql.h
 *	  SQL text for Issues-by-Tag exports over a registered dataset: one row
 *	  per distinct value of a tag among one issue's events (SPEC §6).
 *	  Conventions are discover_sql.h's: identifiers go through the caller's
 *	  quoting function, every payload value becomes a text parameter.
 */
#ifndef DATAEXPORT_ISSUES_SQL_H
#define DATAEXPORT_ISSUES_SQL_H

#include "discover_sql.h"
#include "pure.h"

typedef struct IssuesQuery
{
	const Dataset *ds;
	int64_t		project;		/* the export's project */
	int64_t		group;			/* the issue (the dataset's group column) */
	const char *key;			/* tag key; "user" reads the user column
								 * when the dataset maps one */
	char	  **environments;
	int			nenvironments;	/* ignored when the dataset has none */
	int64_t		row_limit;		/* > 0: LIMIT row_limit + 1 (to see truncation) */
} IssuesQuery;

/* Fills out (free it with built_query_clear) or err.  Parameters: $1
 * project, $2 group, then the tag key (unless it reads the user column),
 * the environments and the limit, in that order. */
extern bool issues_by_tag_build(const IssuesQuery *q, QuoteIdentFn quote,
								BuiltQuery *out, DeError *err);

#endif
