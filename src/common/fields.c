/*
 * fields.c
 *	  Discover fields and equations: the syntax of a field ("col",
 *	  "tags[key]", "fn(args) [as alias]"), Sentry's function table with its
 *	  arity messages, Sentry's alias rule, and a small recursive-descent parser
 *	  for equations.
 *
 * Nothing here knows a dataset: a column name is whatever the user wrote, and
 * discover_sql.c decides whether it exists.  Function arguments are columns,
 * tags or (percentile's q) numbers, never nested calls, so an expression tree
 * is only as deep as an equation's parentheses, which are limited.
 */
#include "fields.h"

#include <stdlib.h>
#include <string.h>

#define MAX_EQUATION_OPERATORS 10
#define MAX_EQUATION_DEPTH 32

/* user text quoted in messages is cut to this many bytes */
#define MSG_SNIPPET 200

typedef enum ArgKind
{
	ARG_NONE,
	ARG_COLUMN,					/* a column or tags[key] */
	ARG_NUMBER					/* a number between 0 and 1 */
} ArgKind;

typedef struct FunctionSpec
{
	const char *name;
	int			min_args;
	int			max_args;
	ArgKind		args[2];
} FunctionSpec;

static const FunctionSpec functions[] = {
	{"count", 0, 1, {ARG_COLUMN, ARG_NONE}},
	{"count_unique", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"min", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"max", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"avg", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"sum", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"p50", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"p75", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"p95", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"p99", 1, 1, {ARG_COLUMN, ARG_NONE}},
	{"percentile", 2, 2, {ARG_COLUMN, ARG_NUMBER}},
	{"last_seen", 0, 0, {ARG_NONE, ARG_NONE}},
	{"first_seen", 0, 0, {ARG_NONE, ARG_NONE}},
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(char c)
{
	return is_ident_start(c) || is_digit(c);
}

/* Python's \w also matches non-ASCII letters; keep those bytes as they are. */
static bool
is_word_byte(unsigned char c)
{
	return is_ident_char((char) c) || c >= 0x80;
}

/*
 * Length of the longest prefix of s (of length len) that is at most max
 * bytes and does not end inside a UTF-8 sequence, so that messages quoting
 * user text stay valid UTF-8 however long the text is.
 */
static int
snippet_len(const char *s, size_t len)
{
	return (int) de_clip_utf8(s, len, MSG_SNIPPET);
}

static void
trim_span(const char *s, size_t len, size_t *start, size_t *end)
{
	size_t		b = 0;
	size_t		e = len;

	while (b < e && is_space(s[b]))
		b++;
	while (e > b && is_space(s[e - 1]))
		e--;
	*start = b;
	*end = e;
}


static FieldExpr *
expr_new(FieldExprKind kind, const char *name, size_t len)
{
	FieldExpr  *e = de_alloc(sizeof(FieldExpr));

	e->kind = kind;
	if (name != NULL)
		e->name = de_strndup(name, len);
	return e;
}

static void
expr_free(FieldExpr *e)
{
	if (e == NULL)
		return;
	for (int i = 0; i < e->nargs; i++)
		expr_free(e->args[i]);
	de_free(e->args);
	expr_free(e->left);
	expr_free(e->right);
	de_free(e->name);
	de_free(e);
}

void
field_clear(Field *f)
{
	if (f == NULL)
		return;
	de_free(f->text);
	de_free(f->header);
	expr_free(f->expr);
	memset(f, 0, sizeof(*f));
}

static const FunctionSpec *
lookup_function(const char *name, size_t len)
{
	for (size_t i = 0; i < sizeof(functions) / sizeof(functions[0]); i++)
	{
		if (strlen(functions[i].name) == len &&
			memcmp(functions[i].name, name, len) == 0)
			return &functions[i];
	}
	return NULL;
}

/* Sentry's message texts, including the "(s)". */
static bool
check_arity(const FunctionSpec *fn, int nargs, DeError *err)
{
	if (fn->min_args == fn->max_args && nargs != fn->min_args)
		return de_error(err, DE_ERR_INVALID,
						"%s: expected %d argument(s) but got %d argument(s)",
						fn->name, fn->min_args, nargs);
	if (nargs > fn->max_args)
		return de_error(err, DE_ERR_INVALID,
						"%s: expected at most %d argument(s) but got %d argument(s)",
						fn->name, fn->max_args, nargs);
	if (nargs < fn->min_args)
		return de_error(err, DE_ERR_INVALID,
						"%s: expected at least %d argument(s) but got %d argument(s)",
						fn->name, fn->min_args, nargs);
	return true;
}

static bool
is_tag_text(const char *s, size_t len)
{
	return len > 6 && memcmp(s, "tags[", 5) == 0 && s[len - 1] == ']';
}

/* "tags[key]" (whole text) -> FE_TAG; anything else non-empty -> FE_COLUMN */
static FieldExpr *
column_or_tag(const char *s, size_t len)
{
	if (is_tag_text(s, len))
		return expr_new(FE_TAG, s + 5, len - 6);
	return expr_new(FE_COLUMN, s, len);
}

static bool
make_argument(const FunctionSpec *fn, int i, const char *s, size_t len,
			  FieldExpr **out, DeError *err)
{
	if (fn->args[i] == ARG_NUMBER)
	{
		char	   *text;
		double		q;

		if (!de_is_decimal(s, len))
			return de_error(err, DE_ERR_INVALID,
							"%s: q must be a number between 0 and 1", fn->name);
		text = de_strndup(s, len);
		q = strtod(text, NULL);
		de_free(text);
		if (!(q >= 0.0 && q <= 1.0))
			return de_error(err, DE_ERR_INVALID,
							"%s: q must be a number between 0 and 1", fn->name);
		*out = expr_new(FE_NUMBER, s, len);
		return true;
	}
	*out = column_or_tag(s, len);
	return true;
}

/*
 * Parses the argument list of a call to name, s[open] being its '('.  On
 * success *close is the index of the matching ')' and *out the FE_FUNCTION.
 * A '[' ... ']' span (a tag key) may hold any character but ']', so
 * "count_unique(tags[a,b)])" has one argument.
 */
static bool
parse_call(const char *name, size_t namelen, const char *s, size_t len,
		   size_t open, size_t *close, FieldExpr **out, DeError *err)
{
	const FunctionSpec *fn = lookup_function(name, namelen);
	size_t		starts[3];
	size_t		ends[3];
	int			npieces = 0;
	size_t		piece = open + 1;
	bool		in_bracket = false;
	size_t		i;
	FieldExpr  *call;

	if (fn == NULL)
		return de_error(err, DE_ERR_INVALID, "%.*s is not a valid function",
						snippet_len(name, namelen), name);

	for (i = open + 1; i < len; i++)
	{
		char		c = s[i];

		if (in_bracket)
		{
			if (c == ']')
				in_bracket = false;
			continue;
		}
		if (c == '[')
			in_bracket = true;
		else if (c == '(')
			return de_error(err, DE_ERR_INVALID,
							"%s: unexpected \"(\" in the arguments", fn->name);
		else if (c == ',' || c == ')')
		{
			/* more pieces than any function takes: count, don't store */
			if (npieces < 3)
			{
				starts[npieces] = piece;
				ends[npieces] = i;
			}
			npieces++;
			piece = i + 1;
			if (c == ')')
				break;
		}
	}
	if (i >= len)
		return de_error(err, DE_ERR_INVALID, "%s: missing \")\"", fn->name);
	*close = i;

	/* "fn()" and "fn(  )" have no arguments */
	if (npieces == 1)
	{
		size_t		b,
					e;

		trim_span(s + starts[0], ends[0] - starts[0], &b, &e);
		if (b == e)
			npieces = 0;
	}
	if (!check_arity(fn, npieces, err))
		return false;

	call = expr_new(FE_FUNCTION, fn->name, strlen(fn->name));
	call->args = de_alloc(sizeof(FieldExpr *) * (npieces > 0 ? npieces : 1));
	for (int a = 0; a < npieces; a++)
	{
		size_t		b,
					e;
		const char *p = s + starts[a];

		trim_span(p, ends[a] - starts[a], &b, &e);
		if (b == e)
		{
			expr_free(call);
			return de_error(err, DE_ERR_INVALID,
							"%s: argument %d is empty", fn->name, a + 1);
		}
		if (!make_argument(fn, a, p + b, e - b, &call->args[a], err))
		{
			expr_free(call);
			return false;
		}
		call->nargs++;
	}
	*out = call;
	return true;
}

/*
 * The alias of a parsed call.  Arguments were trimmed and a tag argument is
 * exactly "tags[key]", so rebuilding the texts gives what the user wrote.
 */
static char *
call_alias(const FieldExpr *call)
{
	char	  **args = de_alloc(sizeof(char *) * (call->nargs > 0 ? call->nargs : 1));
	char	   *alias;

	for (int i = 0; i < call->nargs; i++)
	{
		const FieldExpr *arg = call->args[i];

		if (arg->kind == FE_TAG)
		{
			StrBuf		sb;

			sb_init(&sb);
			sb_appendf(&sb, "tags[%s]", arg->name);
			args[i] = sb_steal(&sb);
		}
		else
			args[i] = de_strdup(arg->name);
	}
	alias = field_function_alias(call->name, args, call->nargs);
	for (int i = 0; i < call->nargs; i++)
		de_free(args[i]);
	de_free(args);
	return alias;
}

char *
field_function_alias(const char *function, char *const *args, int nargs)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_append(&sb, function);
	sb_append_char(&sb, '_');
	for (int i = 0; i < nargs; i++)
	{
		if (i > 0)
			sb_append_char(&sb, '_');
		for (const char *p = args[i]; *p; p++)
			sb_append_char(&sb, is_word_byte((unsigned char) *p) ? *p : '_');
	}
	while (sb.len > 0 && sb.data[sb.len - 1] == '_')
		sb.data[--sb.len] = '\0';
	return sb_steal(&sb);
}

/*
 * After a call's ')': nothing, or " as alias" (as/AS, whitespace around).
 * *alias is NULL when there is none.
 */
static bool
parse_alias(const char *s, size_t len, char **alias, const char *text,
			DeError *err)
{
	size_t		b,
				e;

	*alias = NULL;
	trim_span(s, len, &b, &e);
	if (b == e)
		return true;
	if (b == 0 || e - b < 2 ||
		!((s[b] == 'a' || s[b] == 'A') && (s[b + 1] == 's' || s[b + 1] == 'S')) ||
		(e - b > 2 && !is_space(s[b + 2])))
		return de_error(err, DE_ERR_INVALID, "Invalid field: \"%.*s\"",
						snippet_len(text, strlen(text)), text);
	b += 2;
	while (b < e && is_space(s[b]))
		b++;
	if (b == e || !is_ident_start(s[b]))
		return de_error(err, DE_ERR_INVALID, "Invalid alias: '%.*s'",
						snippet_len(s + b, e - b), s + b);
	for (size_t i = b; i < e; i++)
	{
		if (!is_ident_char(s[i]))
			return de_error(err, DE_ERR_INVALID, "Invalid alias: '%.*s'",
							snippet_len(s + b, e - b), s + b);
	}
	*alias = de_strndup(s + b, e - b);
	return true;
}

bool
field_parse(const char *text, Field *out, DeError *err)
{
	size_t		b,
				e,
				len;
	const char *s;
	const char *paren;
	FieldExpr  *call = NULL;
	size_t		open,
				close;
	char	   *alias;

	memset(out, 0, sizeof(*out));
	trim_span(text, strlen(text), &b, &e);
	if (b == e)
		return de_error(err, DE_ERR_INVALID, "Empty field");
	s = text + b;
	len = e - b;
	paren = memchr(s, '(', len);

	/* a tag key may hold parentheses: "tags[a(b)]" is no call */
	if (paren == NULL || is_tag_text(s, len))
	{
		out->text = de_strndup(s, len);
		out->header = de_strdup(out->text);
		out->expr = column_or_tag(s, len);
		return true;
	}

	/* a call: everything before the first '(' is the function's name */
	open = (size_t) (paren - s);
	{
		size_t		nb,
					ne;

		trim_span(s, open, &nb, &ne);
		if (nb == ne)
			return de_error(err, DE_ERR_INVALID, "Invalid field: \"%.*s\"",
							snippet_len(s, len), s);
		if (!parse_call(s + nb, ne - nb, s, len, open, &close, &call, err))
			return false;
	}
	out->text = de_strndup(s, len);
	if (!parse_alias(s + close + 1, len - close - 1, &alias, out->text, err))
	{
		expr_free(call);
		field_clear(out);
		return false;
	}
	out->header = alias != NULL ? alias : call_alias(call);
	out->is_aggregate = true;
	out->expr = call;
	return true;
}

/* ---- equations ---- */

typedef struct EqParser
{
	const char *s;				/* trimmed equation text */
	size_t		len;
	size_t		pos;
	int			operators;
	int			depth;
	bool		aggregate;
	DeError    *err;
} EqParser;

static FieldExpr *eq_sum(EqParser *p);

static void
eq_skip_space(EqParser *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++;
}

static bool
eq_fail(EqParser *p, const char *what)
{
	if (p->pos >= p->len)
		return de_error(p->err, DE_ERR_INVALID,
						"Invalid equation \"%.*s\": %s at the end",
						snippet_len(p->s, p->len), p->s, what);
	return de_error(p->err, DE_ERR_INVALID,
					"Invalid equation \"%.*s\": %s at position %zu",
					snippet_len(p->s, p->len), p->s, what, p->pos + 1);
}

static FieldExpr *
eq_number(EqParser *p)
{
	size_t		start = p->pos;
	size_t		i = start;

	if (p->s[i] == '-')
		i++;
	while (i < p->len && is_digit(p->s[i]))
		i++;
	if (i < p->len && p->s[i] == '.')
	{
		i++;
		if (i >= p->len || !is_digit(p->s[i]))
		{
			p->pos = i;
			eq_fail(p, "expected a digit");
			return NULL;
		}
		while (i < p->len && is_digit(p->s[i]))
			i++;
	}
	p->pos = i;
	return expr_new(FE_NUMBER, p->s + start, i - start);
}

static FieldExpr *
eq_tag(EqParser *p)
{
	size_t		start = p->pos + 5;
	const char *close = memchr(p->s + start, ']', p->len - start);

	if (close == NULL || close == p->s + start)
	{
		p->pos = start;
		eq_fail(p, close == NULL ? "missing \"]\"" : "expected a tag key");
		return NULL;
	}
	p->pos = (size_t) (close - p->s) + 1;
	return expr_new(FE_TAG, p->s + start, (size_t) (close - p->s) - start);
}

/* identifier: a column, or a function when '(' follows at once */
static FieldExpr *
eq_name(EqParser *p)
{
	size_t		start = p->pos;
	size_t		i = start;
	FieldExpr  *call;
	size_t		close;

	while (i < p->len && (is_ident_char(p->s[i]) || p->s[i] == '.'))
		i++;
	if (i - start == 4 && i < p->len && p->s[i] == '[' &&
		memcmp(p->s + start, "tags", 4) == 0)
		return eq_tag(p);
	if (i >= p->len || p->s[i] != '(')
	{
		p->pos = i;
		return expr_new(FE_COLUMN, p->s + start, i - start);
	}
	if (!parse_call(p->s + start, i - start, p->s, p->len, i, &close, &call,
					p->err))
		return NULL;
	p->aggregate = true;
	p->pos = close + 1;
	return call;
}

static FieldExpr *
eq_operand(EqParser *p)
{
	char		c;

	eq_skip_space(p);
	if (p->pos >= p->len)
	{
		eq_fail(p, "expected a field, function or number");
		return NULL;
	}
	c = p->s[p->pos];
	if (c == '(')
	{
		FieldExpr  *inner;

		if (++p->depth > MAX_EQUATION_DEPTH)
		{
			de_error(p->err, DE_ERR_INVALID,
					 "Equation is nested too deeply (at most %d parentheses)",
					 MAX_EQUATION_DEPTH);
			return NULL;
		}
		p->pos++;
		inner = eq_sum(p);
		if (inner == NULL)
			return NULL;
		eq_skip_space(p);
		if (p->pos >= p->len || p->s[p->pos] != ')')
		{
			eq_fail(p, "expected \")\"");
			expr_free(inner);
			return NULL;
		}
		p->pos++;
		p->depth--;
		return inner;
	}
	if (is_digit(c) ||
		(c == '-' && p->pos + 1 < p->len && is_digit(p->s[p->pos + 1])))
		return eq_number(p);
	if (is_ident_start(c))
		return eq_name(p);
	eq_fail(p, "expected a field, function or number");
	return NULL;
}

static FieldExpr *
eq_binop(char op, FieldExpr *left, FieldExpr *right)
{
	FieldExpr  *e = expr_new(FE_BINOP, NULL, 0);

	e->op = op;
	e->left = left;
	e->right = right;
	return e;
}

/* the operator at pos if it is one of ops; 0 otherwise */
static char
eq_peek_operator(EqParser *p, const char *ops)
{
	eq_skip_space(p);
	if (p->pos < p->len && strchr(ops, p->s[p->pos]) != NULL)
		return p->s[p->pos];
	return 0;
}

static bool
eq_count_operator(EqParser *p)
{
	if (++p->operators > MAX_EQUATION_OPERATORS)
		return de_error(p->err, DE_ERR_INVALID,
						"Too many operators in equation (at most %d)",
						MAX_EQUATION_OPERATORS);
	return true;
}

typedef FieldExpr *(*EqOperandFn) (EqParser *p);

/* One left-associative precedence level: operands joined by ops. */
static FieldExpr *
eq_left_assoc(EqParser *p, const char *ops, EqOperandFn operand)
{
	FieldExpr  *left = operand(p);
	char		op;

	while (left != NULL && (op = eq_peek_operator(p, ops)) != 0)
	{
		FieldExpr  *right;

		p->pos++;
		if (!eq_count_operator(p) || (right = operand(p)) == NULL)
		{
			expr_free(left);
			return NULL;
		}
		left = eq_binop(op, left, right);
	}
	return left;
}

static FieldExpr *
eq_product(EqParser *p)
{
	return eq_left_assoc(p, "*/", eq_operand);
}

static FieldExpr *
eq_sum(EqParser *p)
{
	return eq_left_assoc(p, "+-", eq_product);
}

bool
equation_parse(const char *text, Field *out, DeError *err)
{
	EqParser	p;
	size_t		b,
				e;
	FieldExpr  *expr;

	memset(out, 0, sizeof(*out));
	trim_span(text, strlen(text), &b, &e);
	if (b == e)
		return de_error(err, DE_ERR_INVALID, "Empty equation");

	memset(&p, 0, sizeof(p));
	p.s = text + b;
	p.len = e - b;
	p.err = err;
	expr = eq_sum(&p);
	if (expr == NULL)
		return false;
	eq_skip_space(&p);
	if (p.pos < p.len)
	{
		expr_free(expr);
		return eq_fail(&p, "expected an operator");
	}
	out->text = de_strndup(p.s, p.len);
	out->header = de_strdup(out->text);
	out->is_equation = true;
	out->is_aggregate = p.aggregate;
	out->expr = expr;
	return true;
}
