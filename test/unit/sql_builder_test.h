/*
 * sql_builder_test.h
 *	  What the unit tests of the SQL builders (discover_sql.c, issues_sql.c)
 *	  share: an always-quoting quote function, the NULL-ended string arrays
 *	  of their case tables, and the checks of a built or refused query.
 *
 * The quoting function always double-quotes (PostgreSQL's quote_identifier
 * does so only when needed), so every identifier is visible in the expected
 * SQL; it writes into one static buffer, as quote_identifier may return its
 * argument: a builder must use each result before the next call.
 */
#ifndef DATAEXPORT_SQL_BUILDER_TEST_H
#define DATAEXPORT_SQL_BUILDER_TEST_H

#include "case_runner.h"

#include "discover_sql.h"

/* Size of a case table's string arrays; shorter ones end with NULL. */
#define MAXN 16

static char quote_buf[1 << 16];

static inline const char *
quote_always(const char *ident)
{
	char	   *o = quote_buf;

	*o++ = '"';
	for (const char *p = ident; *p && o < quote_buf + sizeof(quote_buf) - 3; p++)
	{
		if (*p == '"')
			*o++ = '"';
		*o++ = *p;
	}
	*o++ = '"';
	*o = '\0';
	return quote_buf;
}

/* The strings of a MAXN array before its first NULL. */
static inline int
count_strings(const char *const *a)
{
	int			n = 0;

	while (n < MAXN && a[n] != NULL)
		n++;
	return n;
}

/*
 * The build (its result is built) gave exactly sql, the nlead parameters
 * every query of the builder starts with, then params, and headers; clears
 * bq.
 */
static inline void
assert_built(bool built, BuiltQuery *bq, const DeError *err, const char *sql,
			 const char *const *lead, int nlead,
			 const char *const *params, const char *const *headers)
{
	int			nparams = count_strings(params);
	int			nheaders = count_strings(headers);

	if (!built)
		fail_msg("unexpected error: %s", err->message);
	assert_string_equal(bq->sql, sql);
	assert_int_equal(bq->nparams, nlead + nparams);
	for (int i = 0; i < nlead; i++)
		assert_string_equal(bq->params[i], lead[i]);
	for (int i = 0; i < nparams; i++)
		assert_string_equal(bq->params[nlead + i], params[i]);
	assert_int_equal(bq->ncolumns, nheaders);
	for (int i = 0; i < nheaders; i++)
		assert_string_equal(bq->headers[i], headers[i]);
	built_query_clear(bq);
	assert_null(bq->sql);
}

/* The build was refused as invalid with message, and left bq empty. */
static inline void
assert_refused(bool built, const BuiltQuery *bq, const DeError *err,
			   const char *message)
{
	if (built)
		fail_msg("built \"%s\", expected \"%s\"", bq->sql, message);
	assert_int_equal(err->code, DE_ERR_INVALID);
	assert_string_equal(err->message, message);
	assert_null(bq->sql);
	assert_null(bq->params);
	assert_null(bq->headers);
}

/* The payload is nowhere in the SQL text, which has no ';' and no "--". */
static inline void
assert_sql_clean(const BuiltQuery *bq, const char *payload)
{
	if (strstr(bq->sql, payload) != NULL)
		fail_msg("payload \"%s\" in SQL: %s", payload, bq->sql);
	assert_null(strchr(bq->sql, ';'));
	assert_null(strstr(bq->sql, "--"));
}

#endif
