/*
 * search.h
 *	  The Discover search language (a subset of Sentry's) parsed to a tree.
 *	  Syntax only; keys are resolved to columns or tags by discover_sql.c.
 */
#ifndef DATAEXPORT_SEARCH_H
#define DATAEXPORT_SEARCH_H

#include "pure.h"
#include "dates.h"

typedef enum SearchNodeKind
{
	SN_AND,
	SN_OR,
	SN_TERM
} SearchNodeKind;

typedef enum SearchOp
{
	SO_EQ,						/* key:value (values[0]; may be a wildcard) */
	SO_IN,						/* key:[a, b] (values[0..n-1]) */
	SO_GT,						/* key:>v */
	SO_GE,						/* key:>=v */
	SO_LT,						/* key:<v */
	SO_LE,						/* key:<=v */
	SO_HAS,						/* has:key (key set, no values) */
	SO_TEXT						/* free text: key NULL, values[0] = phrase */
} SearchOp;

typedef enum SearchValueKind
{
	SV_STRING,					/* anything (always the kind for EQ/IN/TEXT) */
	SV_NUMBER,					/* comparisons: -?digits[.digits] */
	SV_DATE,					/* comparisons: ISO 8601 -> date */
	SV_RELATIVE					/* comparisons: -24h etc -> relative_seconds */
} SearchValueKind;

typedef struct SearchValue
{
	char	   *text;			/* the literal value, quotes and escapes
								 * removed */
	bool		wildcard;		/* contains an unescaped '*' */
	char	   *like;			/* when wildcard: a LIKE pattern (escape
								 * character backslash; % _ \ escaped, '*'
								 * -> %); else NULL */
	SearchValueKind kind;
	de_time		date;			/* SV_DATE */
	int64_t		relative_seconds;	/* SV_RELATIVE, signed (-24h -> -86400) */
} SearchValue;

typedef struct SearchNode SearchNode;

struct SearchNode
{
	SearchNodeKind kind;
	SearchNode *left;			/* SN_AND / SN_OR */
	SearchNode *right;
	bool		negated;		/* SN_TERM: leading '!' */
	SearchOp	op;
	char	   *key;			/* SN_TERM (NULL for SO_TEXT) */
	int			nvalues;
	SearchValue *values;
};

/*
 * Parses a query string.  An empty or all-whitespace query gives *out = NULL
 * and true.  Syntax errors give false and DE_ERR_INVALID with a message that
 * points at the problem, e.g. "Empty string after 'foo:'".
 */
extern bool search_parse(const char *query, SearchNode **out, DeError *err);
extern void search_free(SearchNode *node);

/* s with LIKE's special characters (% _ \) escaped by backslash; de_alloc'd. */
extern char *search_like_escape(const char *s);

#endif
