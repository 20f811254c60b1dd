/*
 * fields.h
 *	  Discover fields and equations: parsing, Sentry's function table and
 *	  alias rule.  Syntax only; whether a column exists is decided against a
 *	  dataset by discover_sql.c.
 */
#ifndef DATAEXPORT_FIELDS_H
#define DATAEXPORT_FIELDS_H

#include "pure.h"

typedef enum FieldExprKind
{
	FE_COLUMN,					/* name = column name as written */
	FE_TAG,						/* name = tag key (from tags[key]) */
	FE_FUNCTION,				/* name = function name; args */
	FE_NUMBER,					/* name = numeric literal text (validated:
								 * -?digits[.digits]) */
	FE_BINOP					/* op, left, right (equations only) */
} FieldExprKind;

typedef struct FieldExpr FieldExpr;

struct FieldExpr
{
	FieldExprKind kind;
	char	   *name;
	int			nargs;			/* FE_FUNCTION */
	FieldExpr **args;			/* FE_COLUMN, FE_TAG or FE_NUMBER each */
	char		op;				/* FE_BINOP: '+', '-', '*', '/' */
	FieldExpr  *left;
	FieldExpr  *right;
};

typedef struct Field
{
	char	   *text;			/* as written, trimmed; for equations without
								 * the "equation|" prefix */
	char	   *header;			/* CSV header / JSONL key: the text for plain
								 * fields, the alias rule (or "as" alias) for
								 * functions, the text for equations */
	bool		is_equation;
	bool		is_aggregate;	/* contains a function call */
	FieldExpr  *expr;
} Field;

/*
 * A field: "col", "tags[key]", "fn(args)", "fn(args) as alias".
 * Function names and arities (Sentry's):
 *   count()/count(col), count_unique(col), min(col), max(col), avg(col),
 *   sum(col), p50(col), p75(col), p95(col), p99(col), percentile(col, q)
 *   with 0 <= q <= 1, last_seen(), first_seen().
 * Errors (DE_ERR_INVALID), e.g.
 *   "min: expected 1 argument(s) but got 0 argument(s)"
 *   "count: expected at most 1 argument(s) but got 2 argument(s)"
 *   "foo is not a valid function"
 */
extern bool field_parse(const char *text, Field *out, DeError *err);

/* An equation (text after "equation|"): + - * / and parentheses over
 * functions, columns, tags[key] and numbers. */
extern bool equation_parse(const char *text, Field *out, DeError *err);

extern void field_clear(Field *f);

/* Sentry's alias rule: function name, "_", the arguments joined by "_" with
 * every non-word character replaced by "_", trailing "_" stripped:
 * count() -> count, count(id) -> count_id, percentile(x, 0.5) ->
 * percentile_x_0_5.  de_alloc'd. */
extern char *field_function_alias(const char *function, char *const *args,
								  int nargs);

#endif
