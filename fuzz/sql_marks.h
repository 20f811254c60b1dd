/*
 * sql_marks.h
 *	  What the SQL-builder fuzzers (fuzz_discover, fuzz_issues) share: the
 *	  check that every $n of the built SQL names a parameter and every
 *	  parameter is used.
 */
#ifndef DATAEXPORT_FUZZ_SQL_MARKS_H
#define DATAEXPORT_FUZZ_SQL_MARKS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "discover_sql.h"

/* Every $n names a parameter, and every parameter is used.  With
 * skip_regex_anchor, a "$'" (the end anchor of a regex literal that the
 * builder writes itself) is not a reference. */
static void
check_param_refs(const BuiltQuery *bq, bool skip_regex_anchor)
{
	bool	   *used = calloc(bq->nparams + 1, sizeof(bool));

	if (used == NULL)
		abort();
	for (const char *p = strchr(bq->sql, '$'); p != NULL; p = strchr(p + 1, '$'))
	{
		long		n;

		if (skip_regex_anchor && p[1] == '\'')
			continue;
		n = strtol(p + 1, NULL, 10);
		if (n < 1 || n > bq->nparams)
			abort();
		used[n - 1] = true;
	}
	for (int i = 0; i < bq->nparams; i++)
		if (!used[i])
			abort();
	free(used);
}

#endif
