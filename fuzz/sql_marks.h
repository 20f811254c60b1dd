/*
 * sql_marks.h
 *	  What the SQL-builder fuzzers (fuzz_discover, fuzz_issues) share: the
 *	  check that every $n of the built SQL names a parameter and every
 *	  parameter is used, and the SQL's skeleton.
 */
#ifndef DATAEXPORT_FUZZ_SQL_MARKS_H
#define DATAEXPORT_FUZZ_SQL_MARKS_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "discover_sql.h"
#include "pure.h"

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

/*
 * The SQL with every \x01...\x02 span (an identifier the builder quoted)
 * replaced by "I"; a span never holds another \x01, and span_ok, when
 * given, says whether its text is one of ours.  Outside the spans only
 * printable ASCII may appear, never a double quote, ';' or "--": those come
 * from nowhere but a quoting function or the payload.  With literals, a
 * string literal is one of them (kept as it is) or ''; without, a quote is
 * an ordinary character.  Anything else aborts.
 */
static char *
sql_skeleton(const char *sql, bool (*span_ok) (const char *text, size_t len),
			 const char *const *literals, size_t nliterals)
{
	StrBuf		sb;

	sb_init(&sb);
	for (const char *p = sql; *p; p++)
	{
		if (*p == '\x01')
		{
			const char *end = strchr(p, '\x02');

			if (end == NULL || memchr(p + 1, '\x01', end - p - 1) != NULL)
				abort();
			if (span_ok != NULL && !span_ok(p + 1, (size_t) (end - p - 1)))
				abort();
			sb_append_char(&sb, 'I');
			p = end;
			continue;
		}
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == ';' ||
			(p[0] == '-' && p[1] == '-'))
			abort();
		if (*p == '\'' && literals != NULL)
		{
			bool		own = false;

			for (size_t i = 0; i < nliterals && !own; i++)
			{
				size_t		rl = strlen(literals[i]);

				if (strncmp(p, literals[i], rl) == 0)
				{
					sb_append(&sb, literals[i]);
					p += rl - 1;
					own = true;
				}
			}
			if (own)
				continue;
			if (p[1] != '\'')
				abort();
			sb_append(&sb, "''");
			p++;
			continue;
		}
		sb_append_char(&sb, *p);
	}
	return sb_steal(&sb);
}

#endif
