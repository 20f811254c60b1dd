/*
 * discover_sql.c
 *	  The SQL of a Discover export: fields, equations, the search query and
 *	  the sort resolved against a registered dataset.
 *
 * The SQL text is built only from our own keywords, identifiers that went
 * through the caller's quoting function and parameter references; every
 * value that came from the payload (search values, tag keys, numbers,
 * projects, dates, environments, the limit) is a text parameter, cast in the
 * SQL text.  So the caller binds every parameter as text.
 *
 * Select items are aliased positionally (c1, c2, ...) because PostgreSQL cuts
 * identifiers at 63 bytes; the real names are returned as headers.  GROUP BY
 * and ORDER BY refer to items by position, so a grouped expression is written
 * once.  The one place where PostgreSQL must see the same expression twice is
 * an equation that uses a grouped column or tag; a tag key in the select list
 * is therefore bound to one parameter however often it is used.
 *
 * Sentry's aliases: "project" / "project.name" are the project's slug, read
 * through one LEFT JOIN (alias dp) with the registered projects relation,
 * restricted to the export's projects and one row per id, added only when
 * some field, search term or sort key uses the slug; "issue" is the short
 * id (a registered column, or the slug and a short-id number in Sentry's
 * base 32), "unknown" without one.  Numbers follow Sentry's storage:
 * avg, percentiles and equations are double precision unless an equation
 * only adds, subtracts or multiplies integers (see append_equation_expr).
 */
#include "discover_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "search.h"

/* user text quoted in messages is cut to this many bytes */
#define MSG_SNIPPET 200

/* AND inside OR inside AND ... after flattening chains */
#define MAX_SEARCH_DEPTH 100

/* A tag value is compared as a number only when it looks like one. */
#define NUMERIC_REGEX "'^-?[0-9]+([.][0-9]+)?$'"

/* Years 1..9999, what de_format_iso_us can print. */
#define MIN_TIME (INT64_C(-62135596800) * DE_USECS_PER_SEC)
#define MAX_TIME (INT64_C(253402300799) * DE_USECS_PER_SEC)

/*
 * The export's scope (projects, time range) and the tag operators name
 * pg_catalog's operators explicitly; the whole text also runs with
 * search_path pinned to pg_catalog, pg_temp (lo_guard.c), so that no
 * caller's schema can shadow an operator, function or type it uses.
 */

/* Sentry's field aliases that are expressions, not one column */
typedef enum RefVirt
{
	VIRT_NONE,
	VIRT_SLUG,					/* the project's slug (dp.slug) */
	VIRT_ISSUE,					/* COALESCE(issue column, 'unknown') */
	VIRT_SHORT_ID				/* SLUG-BASE32(short_id), or 'unknown' */
} RefVirt;

/* Sentry's base 32 (src/sentry/utils/strings.py) */
#define BASE32_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/* A column or a tag, resolved. */
typedef struct Ref
{
	bool		is_tag;
	const char *name;			/* column name, or tag key */
	DsColumnType type;			/* DS_TEXT for tags */
	RefVirt		virt;			/* VIRT_ISSUE, VIRT_SHORT_ID: name is the
								 * column it reads */
	bool		integer;		/* a column of an integer type */
} Ref;

/* What an aggregate or an equation term gives, for equations */
typedef enum NumKind
{
	NUM_NONE,					/* not a number */
	NUM_INTEGER,				/* an integer: stays exact (numeric) */
	NUM_FLOAT					/* double precision */
} NumKind;

typedef struct Builder
{
	const DiscoverQuery *q;
	const Dataset *ds;
	QuoteIdentFn quote;
	DeError    *err;

	char	  **params;
	int			nparams;
	int			capparams;

	/* parameters holding tag keys of the select list */
	int		   *tag_params;
	int			ntag_params;

	const Field *items;			/* fields, then equations */
	Field	   *owned_items;	/* items, when parsed here (else NULL) */
	int			nitems;
	bool		aggregate;		/* some item is an aggregate */
	bool		slug_join;		/* some expression reads dp.slug */
} Builder;

static bool append_search(Builder *b, StrBuf *sb, const SearchNode *node,
						  int depth);

/* ---- small helpers ---- */

static int
snippet_len(const char *s)
{
	return (int) de_clip_utf8(s, strlen(s), MSG_SNIPPET);
}

#define SNIP(s) snippet_len(s), (s)

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}


static bool
ascii_ieq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
	{
		char		ca = (*a >= 'A' && *a <= 'Z') ? *a + 32 : *a;

		if (ca != *b)
			return false;
	}
	return *a == *b;
}

static int
add_param_owned(Builder *b, char *text)
{
	if (b->nparams == b->capparams)
	{
		b->capparams = b->capparams ? b->capparams * 2 : 16;
		b->params = de_realloc(b->params, sizeof(char *) * b->capparams);
	}
	b->params[b->nparams++] = text;
	return b->nparams;
}

static int
add_param(Builder *b, const char *text)
{
	return add_param_owned(b, de_strdup(text));
}

static int
add_time_param(Builder *b, de_time t)
{
	char		buf[40];

	de_format_iso_us(t, buf);
	return add_param(b, buf);
}

static const DsColumn *
find_exact_column(const Dataset *ds, const char *name)
{
	for (int i = 0; i < ds->ncolumns; i++)
	{
		if (strcmp(ds->columns[i].name, name) == 0)
			return &ds->columns[i];
	}
	return NULL;
}

/* The column registered for a SPEC §3 role, when name is that role's. */
static const char *
role_column(const Dataset *ds, const char *name)
{
	if (strcmp(name, "project") == 0)
		return ds->project;
	if (strcmp(name, "timestamp") == 0)
		return ds->timestamp;
	if (strcmp(name, "environment") == 0)
		return ds->environment;
	if (strcmp(name, "message") == 0)
		return ds->message;
	if (strcmp(name, "group") == 0)
		return ds->group;
	return NULL;
}

/*
 * A column by its own name or, failing that, by the role it was registered
 * for, so that "environment:prod" and the field "project" work whatever the
 * application named those columns.
 */
static const DsColumn *
find_column(const Dataset *ds, const char *name)
{
	const DsColumn *col = find_exact_column(ds, name);
	const char *role;

	if (col == NULL && (role = role_column(ds, name)) != NULL)
		col = find_exact_column(ds, role);
	return col;
}

static DsColumnType
column_type(const Dataset *ds, const char *name)
{
	const DsColumn *col = find_column(ds, name);

	return col != NULL ? col->type : DS_OTHER;
}

static void
append_column(Builder *b, StrBuf *sb, const char *name)
{
	sb_append(sb, "d.");
	sb_append(sb, b->quote(name));
}

/*
 * (d.tags ->> $n).  In the select list the same key reuses its parameter,
 * so that "tags[k]" grouped by and "tags[k]" in an equation are one
 * expression.
 */
static void
append_tag(Builder *b, StrBuf *sb, const char *key, bool select_list)
{
	int			param = 0;

	if (select_list)
	{
		for (int i = 0; i < b->ntag_params && param == 0; i++)
		{
			if (strcmp(b->params[b->tag_params[i] - 1], key) == 0)
				param = b->tag_params[i];
		}
	}
	if (param == 0)
	{
		param = add_param(b, key);
		if (select_list)
		{
			b->tag_params = de_realloc(b->tag_params,
									   sizeof(int) * (b->ntag_params + 1));
			b->tag_params[b->ntag_params++] = param;
		}
	}
	sb_append(sb, "(");
	append_column(b, sb, b->ds->tags);
	sb_appendf(sb, " OPERATOR(pg_catalog.->>) $%d)", param);
}

/*
 * Sentry's base 32 of an integer column, in SQL: thirteen 5-bit digits
 * (64 bits), leading zeros trimmed, "0" for zero; NULL for a negative
 * number.  Built from our own text and the quoted column only.
 */
static void
append_base32(Builder *b, StrBuf *sb, const char *column)
{
	StrBuf		x;

	sb_init(&x);
	sb_append(&x, "(");
	append_column(b, &x, column);
	sb_append(&x, ")::bigint");
	sb_appendf(sb, "CASE WHEN %s >= 0 THEN COALESCE(NULLIF(pg_catalog.ltrim(", x.data);
	for (int shift = 60; shift >= 0; shift -= 5)
		sb_appendf(sb, "%spg_catalog.substr('" BASE32_ALPHABET "', ((%s >> %d) & 31)::integer + 1, 1)",
				   shift < 60 ? " || " : "", x.data, shift);
	sb_append(sb, ", '0'), ''), '0') END");
	sb_free(&x);
}

static void
append_ref(Builder *b, StrBuf *sb, const Ref *ref, bool select_list)
{
	switch (ref->virt)
	{
		case VIRT_SLUG:
			b->slug_join = true;
			sb_append(sb, "dp.slug");
			return;
		case VIRT_ISSUE:
			sb_append(sb, "COALESCE(");
			append_column(b, sb, ref->name);
			sb_append(sb, "::text, 'unknown')");
			return;
		case VIRT_SHORT_ID:
			b->slug_join = true;
			sb_append(sb, "COALESCE(pg_catalog.upper(dp.slug) || '-' || ");
			append_base32(b, sb, ref->name);
			sb_append(sb, ", 'unknown')");
			return;
		case VIRT_NONE:
			break;
	}
	if (ref->is_tag)
		append_tag(b, sb, ref->name, select_list);
	else
		append_column(b, sb, ref->name);
}

/* The ref as text: tags already are, text columns need no cast. */
static void
append_text_ref(Builder *b, StrBuf *sb, const Ref *ref)
{
	append_ref(b, sb, ref, false);
	if (!ref->is_tag && ref->virt == VIRT_NONE && ref->type != DS_TEXT)
		sb_append(sb, "::text");
}

/* CASE WHEN x ~ regex THEN x::numeric END, x being text */
static void
append_safe_numeric(Builder *b, StrBuf *sb, const Ref *ref, bool select_list)
{
	StrBuf		x;

	sb_init(&x);
	if (select_list)
		append_ref(b, &x, ref, true);
	else
		append_text_ref(b, &x, ref);
	sb_appendf(sb, "CASE WHEN %s ~ " NUMERIC_REGEX " THEN (%s)::numeric END",
			   x.data, x.data);
	sb_free(&x);
}

/*
 * A json column has no equality or ordering, a jsonb one has both: plain
 * json fields are read as jsonb so that they can be grouped and sorted
 * (a no-op for jsonb).
 */
static void
append_json_cast(StrBuf *sb, const Ref *ref)
{
	if (!ref->is_tag && ref->type == DS_JSON)
		sb_append(sb, "::jsonb");
}

static bool
no_tags_error(Builder *b)
{
	return de_error(b->err, DE_ERR_INVALID, "Dataset \"%.*s\" has no tags column",
					SNIP(b->ds->name));
}

static bool
unknown_field_error(Builder *b, const char *name)
{
	return de_error(b->err, DE_ERR_INVALID,
					"Unknown field \"%.*s\" for dataset \"%.*s\"",
					SNIP(name), SNIP(b->ds->name));
}

static void
column_ref(Ref *ref, const DsColumn *col)
{
	ref->name = col->name;		/* the real column when named by role */
	ref->type = col->type;
	ref->integer = col->integer;
}

/*
 * Sentry's aliases project, project.name, project.id, issue and issue.id
 * (a real column of that name wins, unless it is the registered project
 * column itself).  *found tells whether name was one; false with an error.
 */
static bool
resolve_alias(Builder *b, const char *name, Ref *ref, bool *found)
{
	const Dataset *ds = b->ds;
	const DsColumn *real = find_exact_column(ds, name);
	const DsColumn *col = NULL;

	*found = false;
	if (strcmp(name, "project") == 0 || strcmp(name, "project.name") == 0)
	{
		if (real != NULL && strcmp(real->name, ds->project) != 0)
			return true;
		if (ds->project_slug != NULL)
		{
			*found = true;
			ref->virt = VIRT_SLUG;
			ref->name = name;
			ref->type = DS_TEXT;
			return true;
		}
		if (strcmp(name, "project") == 0)
			return true;		/* the id, as before slugs */
		de_error(b->err, DE_ERR_INVALID,
				 "project.name needs the projects' slug column");
		if (b->err != NULL)
			b->err->hint = "Register it: dataexport_register_projects(..., slug_column => 'slug') (after ALTER EXTENSION dataexport UPDATE on a 0.1 schema).";
		return false;
	}
	if (real != NULL)
		return true;
	if (strcmp(name, "project.id") == 0)
		col = find_exact_column(ds, ds->project);
	else if (strcmp(name, "issue.id") == 0)
	{
		if (ds->group == NULL)
			return unknown_field_error(b, name);
		col = find_exact_column(ds, ds->group);
	}
	else if (strcmp(name, "issue") == 0)
	{
		*found = true;
		ref->type = DS_TEXT;
		if (ds->issue != NULL)
		{
			ref->virt = VIRT_ISSUE;
			ref->name = ds->issue;
			return true;
		}
		if (ds->short_id != NULL && ds->project_slug != NULL)
		{
			ref->virt = VIRT_SHORT_ID;
			ref->name = ds->short_id;
			return true;
		}
		if (ds->short_id != NULL)
		{
			de_error(b->err, DE_ERR_INVALID,
					 "issue needs the projects' slug column to build short ids");
			if (b->err != NULL)
				b->err->hint = "Register it: dataexport_register_projects(..., slug_column => 'slug') (after ALTER EXTENSION dataexport UPDATE on a 0.1 schema).";
			return false;
		}
		de_error(b->err, DE_ERR_INVALID,
				 "Dataset \"%.*s\" has no issue short-id column", SNIP(ds->name));
		if (b->err != NULL)
			b->err->hint = "Map \"issue\" (the short id) or \"short_id\" (its number) in dataexport_register_dataset(); issue.id is the group id.";
		return false;
	}
	else
		return true;
	if (col == NULL)
		return unknown_field_error(b, name);
	*found = true;
	column_ref(ref, col);
	return true;
}

/* Is name one of the aliases resolve_alias() knows? */
static bool
is_alias(const char *name)
{
	static const char *const aliases[] = {
		"project", "project.name", "project.id", "issue", "issue.id"
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
	{
		if (strcmp(name, aliases[i]) == 0)
			return true;
	}
	return false;
}

/* A field's FE_COLUMN or FE_TAG. */
static bool
resolve_field_ref(Builder *b, const FieldExpr *e, Ref *ref)
{
	memset(ref, 0, sizeof(*ref));
	ref->name = e->name;
	if (e->kind == FE_TAG)
	{
		if (b->ds->tags == NULL)
			return no_tags_error(b);
		ref->is_tag = true;
		ref->type = DS_TEXT;
		return true;
	}
	else
	{
		const DsColumn *col;
		bool		found;

		if (!resolve_alias(b, e->name, ref, &found))
			return false;
		if (found)
			return true;
		col = find_column(b->ds, e->name);
		if (col == NULL)
			return unknown_field_error(b, e->name);
		column_ref(ref, col);
		return true;
	}
}

/* A function argument as the user wrote it, for messages. */
static char *
arg_text(const FieldExpr *arg)
{
	StrBuf		sb;

	sb_init(&sb);
	if (arg->kind == FE_TAG)
		sb_appendf(&sb, "tags[%s]", arg->name);
	else
		sb_append(&sb, arg->name);
	return sb_steal(&sb);
}

/* "fn(a, b)" of a parsed call, for messages */
static char *
call_text(const FieldExpr *fn)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_appendf(&sb, "%s(", fn->name);
	for (int i = 0; i < fn->nargs; i++)
	{
		char	   *arg = arg_text(fn->args[i]);

		if (i > 0)
			sb_append(&sb, ", ");
		sb_append(&sb, arg);
		de_free(arg);
	}
	sb_append_char(&sb, ')');
	return sb_steal(&sb);
}

/* ---- select items ---- */

/*
 * An aggregate.  *kind tells whether its value is a number, and which (for
 * equations): the counts, and sum, min and max of an integer column, are
 * integers; avg and the percentiles are double precision (avg is cast, as
 * Sentry's storage computes it in floating point), and so are sum, min and
 * max of other numeric columns when an equation uses them.
 */
static bool
append_function(Builder *b, StrBuf *sb, const FieldExpr *fn, NumKind *kind)
{
	const char *name = fn->name;
	Ref			arg;
	const char *percentile = NULL;

	*kind = NUM_INTEGER;
	if (strcmp(name, "last_seen") == 0 || strcmp(name, "first_seen") == 0)
	{
		sb_append(sb, name[0] == 'l' ? "max(" : "min(");
		append_column(b, sb, b->ds->timestamp);
		sb_append_char(sb, ')');
		*kind = NUM_NONE;
		return true;
	}
	if (strcmp(name, "count") == 0 && fn->nargs == 0)
	{
		sb_append(sb, "count(*)");
		return true;
	}
	if (!resolve_field_ref(b, fn->args[0], &arg))
		return false;

	if (strcmp(name, "count") == 0 || strcmp(name, "count_unique") == 0)
	{
		bool		distinct = name[5] == '_';

		sb_append(sb, distinct ? "count(DISTINCT " : "count(");
		/* json has no equality operator; its text does */
		if (distinct && (arg.type == DS_JSON || arg.type == DS_OTHER))
			append_text_ref(b, sb, &arg);
		else
			append_ref(b, sb, &arg, true);
		sb_append_char(sb, ')');
		return true;
	}
	if (strcmp(name, "min") == 0 || strcmp(name, "max") == 0)
	{
		if (!arg.is_tag && arg.type != DS_NUMBER && arg.type != DS_TIMESTAMP &&
			arg.type != DS_TEXT)
			return de_error(b->err, DE_ERR_INVALID,
							"%s: %.*s is not a numeric, timestamp or text column",
							name, SNIP(arg.name));
		sb_appendf(sb, "%s(", name);
		append_ref(b, sb, &arg, true);
		sb_append_char(sb, ')');
		if (arg.is_tag || arg.type != DS_NUMBER)
			*kind = NUM_NONE;
		else
			*kind = arg.integer ? NUM_INTEGER : NUM_FLOAT;
		return true;
	}

	/* avg, sum and the percentiles want numbers */
	if (arg.is_tag || arg.type != DS_NUMBER)
	{
		char	   *what = arg_text(fn->args[0]);

		de_error(b->err, DE_ERR_INVALID, "%s: %.*s is not a numeric column",
				 name, SNIP(what));
		de_free(what);
		return false;
	}
	if (strcmp(name, "avg") == 0)
	{
		sb_append(sb, "avg(");
		append_column(b, sb, arg.name);
		sb_append(sb, ")::float8");
		*kind = NUM_FLOAT;
		return true;
	}
	if (strcmp(name, "sum") == 0)
	{
		sb_append(sb, "sum(");
		append_column(b, sb, arg.name);
		sb_append_char(sb, ')');
		*kind = arg.integer ? NUM_INTEGER : NUM_FLOAT;
		return true;
	}
	*kind = NUM_FLOAT;
	if (strcmp(name, "p50") == 0)
		percentile = "0.5";
	else if (strcmp(name, "p75") == 0)
		percentile = "0.75";
	else if (strcmp(name, "p95") == 0)
		percentile = "0.95";
	else if (strcmp(name, "p99") == 0)
		percentile = "0.99";
	else
		percentile = fn->args[1]->name;
	sb_appendf(sb, "percentile_cont($%d::float8) WITHIN GROUP (ORDER BY ",
			   add_param(b, percentile));
	append_column(b, sb, arg.name);
	sb_append_char(sb, ')');
	return true;
}

/* Is a plain field of the query this column or tag (so it is grouped)? */
static bool
is_grouped(const Builder *b, const FieldExpr *leaf)
{
	for (int i = 0; i < b->q->nfields; i++)
	{
		const FieldExpr *e = b->items[i].expr;

		if (e->kind == leaf->kind && strcmp(e->name, leaf->name) == 0)
			return true;
	}
	return false;
}

static bool
equation_error(Builder *b, const Field *eq, const char *what, const char *why)
{
	return de_error(b->err, DE_ERR_INVALID, "Equation \"%.*s\": %.*s %s",
					SNIP(eq->text), SNIP(what), why);
}

/*
 * An equation term, typed as Sentry's storage types it: numbers written in
 * the equation are floats (Sentry's arithmetic parser reads them with
 * float()), "/" always gives a float, and "+ - *" give an integer only when
 * both sides are integers (counts, integer columns).  Integers stay exact
 * (numeric of scale 0); anything else is double precision, written as Python
 * writes a float.  Division by zero gives NULL.
 */
static bool
append_equation_expr(Builder *b, StrBuf *sb, const Field *eq,
					 const FieldExpr *e, NumKind *kind)
{
	Ref			ref;

	*kind = NUM_FLOAT;
	switch (e->kind)
	{
		case FE_NUMBER:
			sb_appendf(sb, "$%d::float8", add_param(b, e->name));
			return true;
		case FE_COLUMN:
		case FE_TAG:
			if (eq->is_aggregate && !is_grouped(b, e))
				return de_error(b->err, DE_ERR_INVALID,
								"Equation \"%.*s\" mixes aggregates and plain columns",
								SNIP(eq->text));
			if (!resolve_field_ref(b, e, &ref))
				return false;
			if (ref.is_tag)
			{
				sb_append_char(sb, '(');
				append_safe_numeric(b, sb, &ref, true);
				sb_append(sb, ")::float8");
				return true;
			}
			if (ref.type != DS_NUMBER)
				return equation_error(b, eq, e->name, "is not a numeric column");
			/* the resolved column: a role name ("project") names another */
			append_column(b, sb, ref.name);
			*kind = ref.integer ? NUM_INTEGER : NUM_FLOAT;
			sb_append(sb, ref.integer ? "::numeric" : "::float8");
			return true;
		case FE_FUNCTION:
			{
				StrBuf		fn;

				sb_init(&fn);
				if (!append_function(b, &fn, e, kind))
				{
					sb_free(&fn);
					return false;
				}
				if (*kind == NUM_NONE)
				{
					char	   *text = call_text(e);

					equation_error(b, eq, text, "is not numeric");
					de_free(text);
					sb_free(&fn);
					return false;
				}
				sb_appendf(sb, "(%s)::%s", fn.data,
						   *kind == NUM_INTEGER ? "numeric" : "float8");
				sb_free(&fn);
				return true;
			}
		case FE_BINOP:
			{
				StrBuf		left;
				StrBuf		right;
				NumKind		lk;
				NumKind		rk;
				bool		ok;

				sb_init(&left);
				sb_init(&right);
				ok = append_equation_expr(b, &left, eq, e->left, &lk) &&
					append_equation_expr(b, &right, eq, e->right, &rk);
				if (ok)
				{
					bool		integer = e->op != '/' &&
						lk == NUM_INTEGER && rk == NUM_INTEGER;
					/* an integer side of a float operation becomes a float */
					const char *lcast = !integer && lk == NUM_INTEGER ? "::float8" : "";
					const char *rcast = !integer && rk == NUM_INTEGER ? "::float8" : "";

					*kind = integer ? NUM_INTEGER : NUM_FLOAT;
					if (e->op == '/')
						sb_appendf(sb, "(%s%s / NULLIF(%s%s, 0))",
								   left.data, lcast, right.data, rcast);
					else
						sb_appendf(sb, "(%s%s %c %s%s)", left.data, lcast, e->op,
								   right.data, rcast);
				}
				sb_free(&left);
				sb_free(&right);
				return ok;
			}
	}
	return false;
}

static bool
append_item(Builder *b, StrBuf *sb, const Field *item)
{
	const FieldExpr *e = item->expr;
	Ref			ref;
	NumKind		kind;

	if (item->is_equation)
		return append_equation_expr(b, sb, item, e, &kind);
	if (e->kind == FE_FUNCTION)
		return append_function(b, sb, e, &kind);
	if (!resolve_field_ref(b, e, &ref))
		return false;
	append_ref(b, sb, &ref, true);
	append_json_cast(sb, &ref);
	return true;
}

static bool
parse_items(Builder *b)
{
	const DiscoverQuery *q = b->q;

	if (q->items != NULL)
	{
		/* parsed by the caller */
		b->items = q->items;
		b->nitems = q->nfields + q->nequations;
		for (int i = 0; i < b->nitems; i++)
			b->aggregate |= b->items[i].is_aggregate;
		return true;
	}
	b->owned_items = de_alloc(sizeof(Field) * (q->nfields + q->nequations + 1));
	b->items = b->owned_items;
	for (int i = 0; i < q->nfields; i++)
	{
		if (!field_parse(q->fields[i], &b->owned_items[b->nitems], b->err))
			return false;
		b->aggregate |= b->items[b->nitems++].is_aggregate;
	}
	for (int i = 0; i < q->nequations; i++)
	{
		if (!equation_parse(q->equations[i], &b->owned_items[b->nitems], b->err))
			return false;
		b->aggregate |= b->items[b->nitems++].is_aggregate;
	}
	return true;
}

static bool
append_select_list(Builder *b, StrBuf *sb)
{
	for (int i = 0; i < b->nitems; i++)
	{
		if (i > 0)
			sb_append(sb, ", ");
		if (!append_item(b, sb, &b->items[i]))
			return false;
		sb_appendf(sb, " AS c%d", i + 1);
	}
	return true;
}

/* ---- search ---- */

/*
 * A search key: a column of the dataset, or else a tag ("tags[k]" or any
 * other key).
 */
static bool
resolve_search_key(Builder *b, const char *key, Ref *ref, char **owned)
{
	const DsColumn *col = find_column(b->ds, key);
	size_t		len = strlen(key);
	bool		found;

	memset(ref, 0, sizeof(*ref));
	*owned = NULL;
	if (!resolve_alias(b, key, ref, &found))
		return false;
	if (found)
		return true;
	if (col != NULL)
	{
		column_ref(ref, col);
		return true;
	}
	if (len > 6 && memcmp(key, "tags[", 5) == 0 && key[len - 1] == ']')
	{
		if (b->ds->tags == NULL)
			return no_tags_error(b);
		*owned = de_strndup(key + 5, len - 6);
		ref->name = *owned;
	}
	else
	{
		if (b->ds->tags == NULL)
			return unknown_field_error(b, key);
		ref->name = key;
	}
	ref->is_tag = true;
	ref->type = DS_TEXT;
	return true;
}

static bool
typed_ref(const Ref *ref)
{
	return !ref->is_tag &&
		(ref->type == DS_NUMBER || ref->type == DS_TIMESTAMP ||
		 ref->type == DS_BOOL);
}

/* The left-hand side of a comparison with bind_value()'s parameter. */
static void
append_lhs(Builder *b, StrBuf *sb, const Ref *ref)
{
	if (typed_ref(ref))
		append_ref(b, sb, ref, false);
	else
		append_text_ref(b, sb, ref);
}

static bool
invalid_value(Builder *b, const char *what, const char *value, const char *key)
{
	return de_error(b->err, DE_ERR_INVALID, "Invalid %s \"%.*s\" for \"%.*s\"",
					what, SNIP(value), SNIP(key));
}

static bool
normalize_bool(const char *text, const char **out)
{
	static const char *const truthy[] = {"true", "1", "yes"};
	static const char *const falsy[] = {"false", "0", "no"};

	for (int i = 0; i < 3; i++)
	{
		if (ascii_ieq(text, truthy[i]))
		{
			*out = "true";
			return true;
		}
		if (ascii_ieq(text, falsy[i]))
		{
			*out = "false";
			return true;
		}
	}
	return false;
}

/*
 * Binds a value compared with ref: "$n::numeric", "$n::timestamptz",
 * "$n::boolean" or "$n" (text), after checking that the cast will succeed,
 * so that a bad value fails at create time and not in the worker.
 */
static bool
bind_value(Builder *b, StrBuf *sb, const Ref *ref, const char *key,
		   const char *text)
{
	if (typed_ref(ref) && ref->type == DS_NUMBER)
	{
		if (!de_is_decimal(text, strlen(text)))
			return invalid_value(b, "number", text, key);
		sb_appendf(sb, "$%d::numeric", add_param(b, text));
	}
	else if (typed_ref(ref) && ref->type == DS_TIMESTAMP)
	{
		de_time		t;

		if (!de_parse_iso8601(text, &t))
			return invalid_value(b, "date", text, key);
		sb_appendf(sb, "$%d::timestamptz", add_time_param(b, t));
	}
	else if (typed_ref(ref))
	{
		const char *value;

		if (!normalize_bool(text, &value))
			return invalid_value(b, "boolean", text, key);
		sb_appendf(sb, "$%d::boolean", add_param(b, value));
	}
	else
		sb_appendf(sb, "$%d", add_param(b, text));
	return true;
}

/* wildcard: lhs LIKE $n; negated: (lhs NOT LIKE $n OR lhs IS NULL) */
static void
append_like(Builder *b, StrBuf *sb, const char *lhs, const char *pattern,
			bool negated)
{
	if (negated)
		sb_appendf(sb, "(%s NOT LIKE $%d OR %s IS NULL)", lhs,
				   add_param(b, pattern), lhs);
	else
		sb_appendf(sb, "%s LIKE $%d", lhs, add_param(b, pattern));
}

/* Sentry's relative times: key:-24h is "within the last day", key:+24h
 * "more than a day ago". */
static bool
relative_bound(Builder *b, int64_t seconds, de_time *out)
{
	int64_t		usecs;

	if (__builtin_mul_overflow(seconds, DE_USECS_PER_SEC, &usecs) ||
		__builtin_add_overflow(b->q->now, usecs, out) ||
		*out < MIN_TIME || *out > MAX_TIME)
		return de_error(b->err, DE_ERR_INVALID,
						"Relative time out of range: %" PRId64 " seconds",
						seconds);
	return true;
}

/*
 * The positive condition of key:value on a timestamp column; a date alone
 * is the whole day, a relative time a half-open range from now.
 */
static bool
append_timestamp_eq(Builder *b, StrBuf *sb, const Ref *ref, const char *key,
					const char *text, bool *simple)
{
	int64_t		seconds;
	de_time		t;

	*simple = false;
	if (de_parse_relative_time(text, &seconds))
	{
		if (!relative_bound(b, seconds < 0 ? seconds : -seconds, &t))
			return false;
		append_column(b, sb, ref->name);
		sb_appendf(sb, " %s $%d::timestamptz", seconds < 0 ? ">=" : "<=",
				   add_time_param(b, t));
		return true;
	}
	if (strlen(text) == 10 && de_parse_iso8601(text, &t))
	{
		sb_append_char(sb, '(');
		append_column(b, sb, ref->name);
		sb_appendf(sb, " >= $%d::timestamptz AND ", add_time_param(b, t));
		append_column(b, sb, ref->name);
		sb_appendf(sb, " < $%d::timestamptz)",
				   add_time_param(b, t + 86400 * DE_USECS_PER_SEC));
		return true;
	}
	*simple = true;
	append_column(b, sb, ref->name);
	sb_append(sb, " = ");
	return bind_value(b, sb, ref, key, text);
}

/* NOT COALESCE(cond, false): rows where the condition is unknown match */
static void
wrap_negation(StrBuf *sb, size_t start)
{
	StrBuf		cond;

	sb_init(&cond);
	sb_append(&cond, sb->data + start);
	sb->len = start;
	sb->data[start] = '\0';
	sb_appendf(sb, "NOT COALESCE(%s, false)", cond.data);
	sb_free(&cond);
}

static bool
append_eq(Builder *b, StrBuf *sb, const SearchNode *t, const Ref *ref)
{
	const SearchValue *v = &t->values[0];
	size_t		start = sb->len;

	if (v->wildcard)
	{
		StrBuf		lhs;

		sb_init(&lhs);
		append_text_ref(b, &lhs, ref);
		append_like(b, sb, lhs.data, v->like, t->negated);
		sb_free(&lhs);
		return true;
	}
	/* key:"" is Sentry's "has no value" */
	if (v->text[0] == '\0')
	{
		StrBuf		lhs;

		sb_init(&lhs);
		append_lhs(b, &lhs, ref);
		if (typed_ref(ref))
			sb_appendf(sb, "%s IS %sNULL", lhs.data, t->negated ? "NOT " : "");
		else if (t->negated)
			sb_appendf(sb, "(%s IS NOT NULL AND %s <> '')", lhs.data, lhs.data);
		else
			sb_appendf(sb, "(%s IS NULL OR %s = '')", lhs.data, lhs.data);
		sb_free(&lhs);
		return true;
	}
	if (typed_ref(ref) && ref->type == DS_TIMESTAMP)
	{
		bool		simple;

		if (!append_timestamp_eq(b, sb, ref, t->key, v->text, &simple))
			return false;
		if (t->negated)
			wrap_negation(sb, start);
		return true;
	}
	append_lhs(b, sb, ref);
	sb_append(sb, t->negated ? " IS DISTINCT FROM " : " = ");
	return bind_value(b, sb, ref, t->key, v->text);
}

/*
 * key:[a, b]: lhs IN ($a, $b); wildcard elements are LIKEs OR'ed to it.
 * Negated: rows without a value match too.
 */
static bool
append_in(Builder *b, StrBuf *sb, const SearchNode *t, const Ref *ref)
{
	StrBuf		lhs;
	StrBuf		text_lhs;
	int			plain = 0;
	int			terms = 0;
	bool		ok = true;

	sb_init(&lhs);
	sb_init(&text_lhs);
	append_lhs(b, &lhs, ref);
	/* a tag is text already: keep its one key parameter */
	if (typed_ref(ref))
		append_text_ref(b, &text_lhs, ref);
	else
		sb_append(&text_lhs, lhs.data);

	sb_append(sb, t->negated ? "(NOT (" : "(");
	for (int i = 0; i < t->nvalues; i++)
		plain += !t->values[i].wildcard;
	if (plain > 0)
	{
		int			done = 0;

		sb_appendf(sb, "%s IN (", lhs.data);
		for (int i = 0; i < t->nvalues && ok; i++)
		{
			de_check_interrupts();
			if (t->values[i].wildcard)
				continue;
			if (done++ > 0)
				sb_append(sb, ", ");
			ok = bind_value(b, sb, ref, t->key, t->values[i].text);
		}
		sb_append_char(sb, ')');
		terms++;
	}
	for (int i = 0; i < t->nvalues && ok; i++)
	{
		if (!t->values[i].wildcard)
			continue;
		if (terms++ > 0)
			sb_append(sb, " OR ");
		append_like(b, sb, text_lhs.data, t->values[i].like, false);
	}
	if (t->negated)
		sb_appendf(sb, ") OR %s IS NULL", lhs.data);
	sb_append_char(sb, ')');
	sb_free(&lhs);
	sb_free(&text_lhs);
	return ok;
}

static const char *
compare_operator(SearchOp op)
{
	switch (op)
	{
		case SO_GT:
			return ">";
		case SO_GE:
			return ">=";
		case SO_LT:
			return "<";
		case SO_LE:
			return "<=";
		default:
			return "=";
	}
}

static bool
append_compare(Builder *b, StrBuf *sb, const SearchNode *t, const Ref *ref)
{
	const SearchValue *v = &t->values[0];
	const char *op = compare_operator(t->op);
	size_t		start = sb->len;
	bool		is_date = v->kind == SV_DATE || v->kind == SV_RELATIVE;

	if (!ref->is_tag && ref->type == DS_BOOL)
		return de_error(b->err, DE_ERR_INVALID,
						"Cannot use \"%s\" on boolean \"%.*s\"", op, SNIP(t->key));
	if (!ref->is_tag && ref->type == DS_TIMESTAMP)
	{
		de_time		at = v->date;

		if (!is_date)
			return invalid_value(b, "date", v->text, t->key);
		if (v->kind == SV_RELATIVE &&
			!relative_bound(b, v->relative_seconds, &at))
			return false;
		append_column(b, sb, ref->name);
		sb_appendf(sb, " %s $%d::timestamptz", op, add_time_param(b, at));
	}
	else if (!ref->is_tag && ref->type == DS_NUMBER)
	{
		if (!de_is_decimal(v->text, strlen(v->text)))
			return invalid_value(b, "number", v->text, t->key);
		append_column(b, sb, ref->name);
		sb_appendf(sb, " %s $%d::numeric", op, add_param(b, v->text));
	}
	else if (is_date)
		return de_error(b->err, DE_ERR_INVALID,
						"Cannot compare \"%.*s\" with a date: it is not a timestamp column",
						SNIP(t->key));
	else if (v->kind == SV_NUMBER)
	{
		append_safe_numeric(b, sb, ref, false);
		sb_appendf(sb, " %s $%d::numeric", op, add_param(b, v->text));
	}
	else
	{
		append_text_ref(b, sb, ref);
		sb_appendf(sb, " %s $%d", op, add_param(b, v->text));
	}
	if (t->negated)
		wrap_negation(sb, start);
	return true;
}

static bool
append_has(Builder *b, StrBuf *sb, const SearchNode *t, const Ref *ref)
{
	if (!ref->is_tag)
	{
		/* has:issue: whether the event has an issue (not 'unknown') */
		if (ref->virt == VIRT_ISSUE || ref->virt == VIRT_SHORT_ID)
			append_column(b, sb, ref->name);
		else
			append_ref(b, sb, ref, false);
		sb_append(sb, t->negated ? " IS NULL" : " IS NOT NULL");
		return true;
	}
	sb_append(sb, t->negated ? "NOT COALESCE(" : "");
	append_column(b, sb, b->ds->tags);
	sb_appendf(sb, " OPERATOR(pg_catalog.?) $%d", add_param(b, ref->name));
	sb_append(sb, t->negated ? ", false)" : "");
	return true;
}

static bool
append_free_text(Builder *b, StrBuf *sb, const SearchNode *t)
{
	Ref			ref = {false, b->ds->message, DS_TEXT, VIRT_NONE, false};
	char	   *escaped;
	StrBuf		pattern;
	StrBuf		lhs;
	int			param;

	if (b->ds->message == NULL)
		return de_error(b->err, DE_ERR_INVALID,
						"Dataset \"%.*s\" has no message column for free-text search",
						SNIP(b->ds->name));
	ref.type = column_type(b->ds, b->ds->message);
	escaped = search_like_escape(t->values[0].text);
	sb_init(&pattern);
	sb_appendf(&pattern, "%%%s%%", escaped);
	de_free(escaped);
	param = add_param_owned(b, sb_steal(&pattern));

	sb_init(&lhs);
	append_text_ref(b, &lhs, &ref);
	if (t->negated)
		sb_appendf(sb, "(%s NOT ILIKE $%d OR %s IS NULL)", lhs.data, param,
				   lhs.data);
	else
		sb_appendf(sb, "%s ILIKE $%d", lhs.data, param);
	sb_free(&lhs);
	return true;
}

static bool
append_term(Builder *b, StrBuf *sb, const SearchNode *t)
{
	Ref			ref;
	char	   *owned;
	bool		ok;

	if (t->op == SO_TEXT)
		return append_free_text(b, sb, t);
	if (!resolve_search_key(b, t->key, &ref, &owned))
		return false;
	switch (t->op)
	{
		case SO_HAS:
			ok = append_has(b, sb, t, &ref);
			break;
		case SO_EQ:
			ok = append_eq(b, sb, t, &ref);
			break;
		case SO_IN:
			ok = append_in(b, sb, t, &ref);
			break;
		default:
			ok = append_compare(b, sb, t, &ref);
			break;
	}
	de_free(owned);
	return ok;
}

/*
 * The operands of a chain of one kind ("a AND b AND c", however the parser
 * nested it), in order, without recursion: a query of many terms is a deep
 * tree.
 */
static SearchNode **
flatten_chain(const SearchNode *node, int *count)
{
	int			cap = 16;
	int			nstack = 0;
	const SearchNode **stack = de_alloc(sizeof(SearchNode *) * cap);
	SearchNode **out = NULL;
	int			nout = 0;
	int			capout = 0;

	stack[nstack++] = node;
	while (nstack > 0)
	{
		const SearchNode *n = stack[--nstack];

		de_check_interrupts();
		if (n->kind == node->kind)
		{
			if (nstack + 2 > cap)
			{
				cap *= 2;
				stack = de_realloc(stack, sizeof(SearchNode *) * cap);
			}
			stack[nstack++] = n->right;
			stack[nstack++] = n->left;
			continue;
		}
		if (nout == capout)
		{
			capout = capout ? capout * 2 : 16;
			out = de_realloc(out, sizeof(SearchNode *) * capout);
		}
		out[nout++] = (SearchNode *) n;
	}
	de_free(stack);
	*count = nout;
	return out;
}

static bool
append_search(Builder *b, StrBuf *sb, const SearchNode *node, int depth)
{
	SearchNode **operands;
	int			n;
	bool		ok = true;

	if (node->kind == SN_TERM)
		return append_term(b, sb, node);
	if (depth > MAX_SEARCH_DEPTH)
		return de_error(b->err, DE_ERR_INVALID, "Search query is nested too deeply");

	operands = flatten_chain(node, &n);
	for (int i = 0; i < n && ok; i++)
	{
		bool		paren = operands[i]->kind != SN_TERM;

		de_check_interrupts();
		if (i > 0)
			sb_append(sb, node->kind == SN_AND ? " AND " : " OR ");
		if (paren)
			sb_append_char(sb, '(');
		ok = append_search(b, sb, operands[i], depth + 1);
		if (paren)
			sb_append_char(sb, ')');
	}
	de_free(operands);
	return ok;
}

/* ---- WHERE, GROUP BY, ORDER BY, LIMIT ---- */

/* $1 projects, $2 start, $3 end: bound first, whatever the select list binds */
static void
bind_scope(Builder *b)
{
	const DiscoverQuery *q = b->q;
	StrBuf		projects;

	sb_init(&projects);
	sb_append_char(&projects, '{');
	for (int i = 0; i < q->nprojects; i++)
		sb_appendf(&projects, "%s%" PRId64, i > 0 ? "," : "", q->projects[i]);
	sb_append_char(&projects, '}');
	add_param_owned(b, sb_steal(&projects));
	add_time_param(b, q->start);
	add_time_param(b, q->end);
}

static void
append_scope(Builder *b, StrBuf *sb)
{
	sb_append(sb, " WHERE ");
	append_column(b, sb, b->ds->project);
	sb_append(sb, " OPERATOR(pg_catalog.=) ANY($1::bigint[]) AND ");
	append_column(b, sb, b->ds->timestamp);
	sb_append(sb, " OPERATOR(pg_catalog.>=) $2::timestamptz AND ");
	append_column(b, sb, b->ds->timestamp);
	sb_append(sb, " OPERATOR(pg_catalog.<) $3::timestamptz");
}

/*
 * The projects' slugs: the registered projects relation, as the user who
 * runs the query sees it (grants and row-level security apply), restricted
 * to the export's projects ($1) and made one row per id, so that the join
 * never repeats an event.  A project the user cannot see has no slug.
 */
static void
append_slug_join(Builder *b, StrBuf *sb)
{
	const Dataset *ds = b->ds;

	sb_append(sb, " LEFT JOIN (SELECT DISTINCT ON (1) p.");
	sb_append(sb, b->quote(ds->projects_id));
	sb_append(sb, "::bigint AS id, p.");
	sb_append(sb, b->quote(ds->project_slug));
	sb_append(sb, "::text AS slug FROM ");
	sb_append(sb, ds->projects_relation);
	sb_append(sb, " AS p WHERE p.");
	sb_append(sb, b->quote(ds->projects_id));
	sb_append(sb, " OPERATOR(pg_catalog.=) ANY($1::bigint[]) ORDER BY 1) AS dp ON dp.id OPERATOR(pg_catalog.=) ");
	append_column(b, sb, ds->project);
}

static bool
append_environments(Builder *b, StrBuf *sb)
{
	Ref			ref = {false, b->ds->environment, DS_TEXT, VIRT_NONE, false};

	if (b->q->nenvironments == 0)
		return true;
	if (b->ds->environment == NULL)
		return de_error(b->err, DE_ERR_INVALID,
						"Dataset \"%.*s\" has no environment column",
						SNIP(b->ds->name));
	ref.type = column_type(b->ds, b->ds->environment);
	sb_append(sb, " AND ");
	append_text_ref(b, sb, &ref);
	sb_append(sb, " IN (");
	for (int i = 0; i < b->q->nenvironments; i++)
		sb_appendf(sb, "%s$%d", i > 0 ? ", " : "",
				   add_param(b, b->q->environments[i]));
	sb_append_char(sb, ')');
	return true;
}

static bool
append_where_search(Builder *b, StrBuf *sb)
{
	const SearchNode *root = b->q->search;
	SearchNode *parsed = NULL;
	bool		ok;

	if (!b->q->search_parsed)
	{
		if (b->q->query == NULL)
			return true;
		if (!search_parse(b->q->query, &parsed, b->err))
			return false;
		root = parsed;
	}
	if (root == NULL)
		return true;
	sb_append(sb, " AND (");
	ok = append_search(b, sb, root, 0);
	sb_append_char(sb, ')');
	if (parsed != NULL)
		search_free(parsed);
	return ok;
}

static void
append_group_by(Builder *b, StrBuf *sb)
{
	int			n = 0;

	if (!b->aggregate)
		return;
	for (int i = 0; i < b->nitems; i++)
	{
		if (b->items[i].is_aggregate)
			continue;
		sb_appendf(sb, "%s%d", n++ > 0 ? ", " : " GROUP BY ", i + 1);
	}
}

/* 1-based position of the item a sort key names; 0 if none */
static int
sort_position(const Builder *b, const char *key)
{
	int			nfields = b->q->nfields;
	const char *eq = key;
	char	   *end;

	if (strncmp(key, "equation[", 9) == 0 && is_digit(key[9]))
	{
		long		i = strtol(key + 9, &end, 10);

		if (strcmp(end, "]") == 0 && i >= 0 && i < b->q->nequations)
			return nfields + (int) i + 1;
		return 0;
	}
	if (strncmp(key, "equation|", 9) == 0)
		eq = key + 9;
	for (int i = nfields; i < b->nitems; i++)
	{
		if (strcmp(b->items[i].text, eq) == 0)
			return i + 1;
	}
	for (int i = 0; i < nfields; i++)
	{
		if (strcmp(b->items[i].text, key) == 0 ||
			strcmp(b->items[i].header, key) == 0)
			return i + 1;
	}
	return 0;
}

static bool
append_order_by(Builder *b, StrBuf *sb)
{
	for (int i = 0; i < b->q->nsort; i++)
	{
		const char *key = b->q->sort[i];
		const DsColumn *col;
		bool		desc = false;
		int			pos;
		char	   *trimmed;
		size_t		len;

		while (*key == ' ' || *key == '\t')
			key++;
		if (*key == '-')
		{
			desc = true;
			key++;
		}
		len = strlen(key);
		while (len > 0 && (key[len - 1] == ' ' || key[len - 1] == '\t'))
			len--;
		trimmed = de_strndup(key, len);
		pos = sort_position(b, trimmed);

		sb_append(sb, i > 0 ? ", " : " ORDER BY ");
		if (pos > 0)
			sb_appendf(sb, "%d", pos);
		else if (!b->aggregate &&
				 ((col = find_column(b->ds, trimmed)) != NULL || is_alias(trimmed)))
		{
			Ref			ref;
			bool		found;

			memset(&ref, 0, sizeof(ref));
			if (!resolve_alias(b, trimmed, &ref, &found) ||
				(!found && col == NULL && !unknown_field_error(b, trimmed)))
			{
				de_free(trimmed);
				return false;
			}
			if (!found)
				column_ref(&ref, col);
			append_ref(b, sb, &ref, false);
			append_json_cast(sb, &ref);
		}
		else
		{
			de_error(b->err, DE_ERR_INVALID,
					 "Cannot sort by \"%.*s\": it is not one of the selected fields",
					 SNIP(trimmed));
			de_free(trimmed);
			return false;
		}
		/* Sentry's storage sorts NULLs last in both directions */
		sb_append(sb, desc ? " DESC NULLS LAST" : " NULLS LAST");
		de_free(trimmed);
	}
	return true;
}

static void
append_limit(Builder *b, StrBuf *sb)
{
	char		buf[32];
	int64_t		limit = b->q->row_limit;

	if (limit <= 0)
		return;
	/* one row more than asked, so that the caller sees truncation */
	if (limit < INT64_MAX)
		limit++;
	snprintf(buf, sizeof(buf), "%" PRId64, limit);
	sb_appendf(sb, " LIMIT $%d::bigint", add_param(b, buf));
}

/* ---- entry points ---- */

static void
builder_free(Builder *b)
{
	if (b->owned_items != NULL)
	{
		for (int i = 0; i < b->nitems; i++)
			field_clear(&b->owned_items[i]);
		de_free(b->owned_items);
	}
	for (int i = 0; i < b->nparams; i++)
		de_free(b->params[i]);
	de_free(b->params);
	de_free(b->tag_params);
}

static bool
build(Builder *b, StrBuf *sql)
{
	const Dataset *ds = b->ds;
	StrBuf		items;
	StrBuf		rest;
	bool		ok;

	if (ds->project == NULL || ds->timestamp == NULL)
		return de_error(b->err, DE_ERR_INVALID,
						"Dataset \"%.*s\" has no %s column", SNIP(ds->name),
						ds->project == NULL ? "project" : "timestamp");
	if (b->q->nfields + b->q->nequations == 0)
		return de_error(b->err, DE_ERR_INVALID,
						"at least one field is required to export");
	if (!parse_items(b))
		return false;

	bind_scope(b);
	/* the parts after FROM are built first: they tell whether to join */
	sb_init(&items);
	sb_init(&rest);
	ok = append_select_list(b, &items);
	if (ok)
		append_scope(b, &rest);
	ok = ok && append_environments(b, &rest) && append_where_search(b, &rest);
	if (ok)
		append_group_by(b, &rest);
	ok = ok && append_order_by(b, &rest);
	if (ok)
	{
		append_limit(b, &rest);
		sb_append(sql, "SELECT ");
		sb_append(sql, items.data);
		sb_append(sql, " FROM ");
		sb_append(sql, ds->relation);
		sb_append(sql, " AS d");
		if (b->slug_join)
			append_slug_join(b, sql);
		sb_append(sql, rest.data);
	}
	sb_free(&items);
	sb_free(&rest);
	return ok;
}

bool
discover_build(const DiscoverQuery *q, QuoteIdentFn quote, BuiltQuery *out,
			   DeError *err)
{
	Builder		b;
	StrBuf		sql;

	memset(out, 0, sizeof(*out));
	memset(&b, 0, sizeof(b));
	b.q = q;
	b.ds = q->ds;
	b.quote = quote;
	b.err = err;
	sb_init(&sql);
	if (!build(&b, &sql))
	{
		sb_free(&sql);
		builder_free(&b);
		return false;
	}
	out->sql = sb_steal(&sql);
	out->nparams = b.nparams;
	out->params = b.params;
	b.params = NULL;
	b.nparams = 0;
	out->ncolumns = b.nitems;
	out->headers = de_alloc(sizeof(char *) * (b.nitems + 1));
	for (int i = 0; i < b.nitems; i++)
	{
		if (b.owned_items != NULL)
		{
			out->headers[i] = b.owned_items[i].header;
			b.owned_items[i].header = NULL;
		}
		else
			out->headers[i] = de_strdup(b.items[i].header);
	}
	builder_free(&b);
	return true;
}

void
built_query_clear(BuiltQuery *bq)
{
	if (bq == NULL)
		return;
	de_free(bq->sql);
	for (int i = 0; i < bq->nparams; i++)
		de_free(bq->params[i]);
	de_free(bq->params);
	for (int i = 0; i < bq->ncolumns; i++)
		de_free(bq->headers[i]);
	de_free(bq->headers);
	memset(bq, 0, sizeof(*bq));
}
