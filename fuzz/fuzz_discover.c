/*
 * fuzz_discover.c
 *	  libFuzzer harness of discover_build(): Discover exports (fields,
 *	  equations, search query, sort, environments) written from the input
 *	  over a dataset with every column type, with and without its role
 *	  columns, the projects' slug column and an issue short-id source.
 *
 * Input: a byte stream read front to back (zeros when it runs out).  Bytes
 * choose the shape: which fields, functions, equation operators, search
 * keys, operators, negations, AND/OR/parentheses, sort keys and how many
 * environments.  Length-prefixed byte strings are the payload's values:
 * tag keys, search values (quoted and escaped, so any byte but NUL), free
 * text, environments, numbers, percentiles, dates, relative times, booleans
 * and a raw sort key.
 *
 * It asserts the injection rule: no byte of those values reaches the SQL
 * text outside a $n parameter or a result of the quoting function.  The
 * quoting function wraps identifiers in \x01 ... \x02 and accepts only the
 * dataset's own column names, and a span must hold exactly such a name;
 * outside the spans only printable ASCII may appear, and no double quote,
 * ';', "--" or string literal other than the builder's own ('', its
 * numeric regex, 'unknown', and the pieces of a short id).  With the spans masked, the SQL must be byte-identical to
 * the SQL built from the same shape with every value replaced by a
 * canonical one of its class ("a3", "b3", "1", "2", another date ...;
 * equal values stay equal, wildcards stay wildcards, relative times keep
 * their sign), so it holds nothing of the values.  Every $n names a
 * parameter and every parameter is used; every environment and every tag
 * key comes back whole as a parameter.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover_sql.h"
#include "sql_marks.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 6
#define MAX_TERMS 8
#define MAX_SORT 3
#define MAX_ENVS 4
#define MAX_STR 40
#define MAX_VALUES 512

/* ---- the dataset ---- */

static DsColumn columns[] = {
	{"project_id", DS_NUMBER, true},
	{"ts", DS_TIMESTAMP, false},
	{"env", DS_TEXT, false},
	{"message", DS_TEXT, false},
	{"group_id", DS_NUMBER, true},
	{"duration", DS_NUMBER, false},
	{"handled", DS_BOOL, false},
	{"payload", DS_JSON, false},
	{"tags", DS_JSON, false},
	{"trace", DS_OTHER, false},
	{"short", DS_TEXT, false},
	{"sid", DS_NUMBER, true},
};
#define NCOLUMNS ((int) (sizeof(columns) / sizeof(columns[0])))

/* the projects relation's columns (the slug join) */
static const char *const project_columns[] = {"pk", "slug"};

/* what fields and search keys may name: columns, then role names and
 * Sentry's aliases */
static const char *const key_names[] = {
	"project_id", "ts", "env", "message", "group_id", "duration", "handled",
	"payload", "tags", "trace",
	"project", "timestamp", "environment", "group",
	"project.name", "project.id", "issue", "issue.id",
};
#define NKEYS ((int) (sizeof(key_names) / sizeof(key_names[0])))

static const char *const numeric_cols[] = {"duration", "group_id", "project_id", "ts", "env"};

static char quote_buf[64];

/* \x01name\x02, for our own column names only */
static const char *
quote_marked(const char *ident)
{
	bool		known = false;

	for (int i = 0; i < NCOLUMNS; i++)
		known |= strcmp(ident, columns[i].name) == 0;
	for (int i = 0; i < 2; i++)
		known |= strcmp(ident, project_columns[i]) == 0;
	if (!known)
		abort();
	snprintf(quote_buf, sizeof(quote_buf), "\x01%s\x02", ident);
	return quote_buf;
}

/* ---- reading the input ---- */

typedef struct Reader
{
	const uint8_t *data;
	size_t		size;
	size_t		pos;
} Reader;

static unsigned
next(Reader *r)
{
	return r->pos < r->size ? r->data[r->pos++] : 0;
}

/* A value: length byte then bytes, NUL read as 'x'. */
static void
next_str(Reader *r, char *buf)
{
	unsigned	len = next(r) % MAX_STR;

	for (unsigned i = 0; i < len; i++)
	{
		unsigned	c = next(r);

		buf[i] = c ? (char) c : 'x';
	}
	buf[len] = '\0';
}

/* ---- writing a query, with the input's values or canonical ones ---- */

typedef enum VClass
{
	VC_TEXT, VC_TAGKEY, VC_NUMBER, VC_QUANTILE, VC_DATE, VC_DAY,
	VC_RELATIVE, VC_BOOL
} VClass;

typedef struct Gen
{
	Reader		r;
	char		mode;			/* 0: the input's values; 'a', 'b': canonical */
	/* values met so far (input text), for equality-preserving canonicals */
	int			nvalues;
	VClass		classes[MAX_VALUES];
	char	   *values[MAX_VALUES];

	const Dataset *ds;
	char	   *fields[MAX_ITEMS];
	int			nfields;
	char	   *equations[MAX_ITEMS];
	int			nequations;
	StrBuf		query;
	char	   *sort[MAX_SORT];
	int			nsort;
	char	   *envs[MAX_ENVS];
	int			nenvs;
	/* what must come back as parameters */
	char	   *tag_keys[MAX_ITEMS * 4 + MAX_TERMS];
	int			ntag_keys;
} Gen;

static int
value_index(Gen *g, VClass c, const char *text)
{
	for (int i = 0; i < g->nvalues; i++)
		if (g->classes[i] == c && strcmp(g->values[i], text) == 0)
			return i;
	if (g->nvalues == MAX_VALUES)
		return MAX_VALUES;
	g->classes[g->nvalues] = c;
	g->values[g->nvalues] = de_strdup(text);
	return g->nvalues++;
}

static bool
is_key_name(const char *s)
{
	for (int i = 0; i < NKEYS; i++)
		if (strcmp(s, key_names[i]) == 0)
			return true;
	return false;
}

/* byte i of a value, or i when it is shorter */
static unsigned
len_or(const char *raw, size_t i)
{
	return i < strlen(raw) ? (unsigned char) raw[i] : (unsigned) i;
}

/*
 * A value of class c written into out (plain, not yet quoted for the
 * search syntax): from the input, or canonical.
 */
static void
value(Gen *g, VClass c, char *out, size_t outlen)
{
	char		raw[MAX_STR + 1];
	char		v[MAX_STR * 2 + 16];
	int			idx;
	unsigned	b;

	next_str(&g->r, raw);
	b = (unsigned char) raw[0];
	switch (c)
	{
		case VC_TEXT:
			snprintf(v, sizeof(v), "%s", raw);
			break;
		case VC_TAGKEY:
			/* the key characters of the search syntax, never a column name */
			for (char *p = raw; *p; p++)
			{
				unsigned char u = (unsigned char) *p;

				if (!((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
					  (u >= '0' && u <= '9') || u == '_' || u == '.' || u == '-'))
					*p = "abcdefghijklmnopqrstuvwxyz0123456789_.-XYZ"[u % 42];
			}
			snprintf(v, sizeof(v), "%s%s", raw[0] ? raw : "k",
					 is_key_name(raw) ? "_" : "");
			break;
		case VC_NUMBER:
		case VC_QUANTILE:
			{
				size_t		n = 0;
				size_t		len = strlen(raw);

				if (c == VC_QUANTILE && (b & 2))
				{
					snprintf(v, sizeof(v), "1");
					break;
				}
				if (c == VC_QUANTILE)
				{
					v[n++] = '0';
					v[n++] = '.';
				}
				else if (b & 1)
					v[n++] = '-';
				v[n++] = '0' + len_or(raw, 1) % 10;
				for (size_t i = 2; i < len && i < 12; i++)
				{
					if (c == VC_NUMBER && (b & 4) && i == len / 2 + 1)
						v[n++] = '.';
					v[n++] = '0' + (unsigned char) raw[i] % 10;
				}
				v[n] = '\0';
				break;
			}
		case VC_DATE:
		case VC_DAY:
			{
				unsigned	y = 1970 + (len_or(raw, 1) % 130);

				if (c == VC_DAY)
					snprintf(v, sizeof(v), "%04u-%02u-%02u", y, 1 + b % 12,
							 1 + len_or(raw, 2) % 28);
				else
					snprintf(v, sizeof(v), "%04u-%02u-%02uT%02u:%02u:%02u%s", y,
							 1 + b % 12, 1 + len_or(raw, 2) % 28,
							 len_or(raw, 3) % 24, len_or(raw, 4) % 60,
							 len_or(raw, 5) % 60, (b & 1) ? "Z" : "");
				break;
			}
		case VC_RELATIVE:
			snprintf(v, sizeof(v), "%c%u%c", (b & 1) ? '-' : '+',
					 1 + len_or(raw, 1) % 999, "smhdw"[len_or(raw, 2) % 5]);
			break;
		case VC_BOOL:
			{
				static const char *const words[] = {
					"true", "false", "yes", "no", "1", "0", "TRUE", "No"
				};

				snprintf(v, sizeof(v), "%s", words[b % 8]);
				break;
			}
	}
	if (g->mode == 0)
	{
		snprintf(out, outlen, "%s", v);
		return;
	}
	/* equations write a number without its sign: its class is the text
	 * written, so that equal texts stay equal and distinct ones distinct */
	idx = value_index(g, c, c == VC_NUMBER && v[0] == '-' ? v + 1 : v);
	switch (c)
	{
		case VC_TEXT:
			/* same emptiness and wildcard-ness */
			if (v[0] == '\0')
				out[0] = '\0';
			else
				snprintf(out, outlen, "%c%d%s", g->mode, idx,
						 strchr(v, '*') ? "*" : "");
			break;
		case VC_TAGKEY:
			snprintf(out, outlen, "%c%d", g->mode, idx);
			break;
		/*
		 * Numbers and quantiles are written into field and equation texts,
		 * which sorts name: distinct values stay distinct (else two fields
		 * that differ only by a value would become one, and a sort key
		 * would match the other field).
		 */
		case VC_NUMBER:
			snprintf(out, outlen, "%c%d", g->mode == 'a' ? '1' : '2', idx);
			break;
		case VC_QUANTILE:
			snprintf(out, outlen, "%s%d", g->mode == 'a' ? "0.5" : "0.25", idx);
			break;
		case VC_DATE:
			snprintf(out, outlen, "%s", g->mode == 'a' ? "2001-02-03T04:05:06" :
					 "2011-12-13T14:15:16Z");
			break;
		case VC_DAY:
			snprintf(out, outlen, "%s", g->mode == 'a' ? "2001-02-03" : "2011-12-13");
			break;
		case VC_RELATIVE:
			snprintf(out, outlen, "%c%d%c", v[0], g->mode == 'a' ? 1 : 2,
					 g->mode == 'a' ? 'h' : 'd');
			break;
		case VC_BOOL:
			snprintf(out, outlen, "%s", g->mode == 'a' ? "true" : "no");
			break;
	}
}

/* ---- fields, equations, search, sort ---- */

/* The type a field or search key resolves to, as discover_sql.c does. */
static DsColumnType
key_type(const Dataset *ds, const char *name, bool *is_tag)
{
	const char *role = NULL;

	*is_tag = false;
	/* Sentry's aliases (none of them is a column of ours) */
	if (ds->project_slug != NULL &&
		(strcmp(name, "project") == 0 || strcmp(name, "project.name") == 0))
		return DS_TEXT;
	if (strcmp(name, "issue") == 0)
		return DS_TEXT;
	if (strcmp(name, "project.id") == 0)
		name = ds->project;
	else if (strcmp(name, "issue.id") == 0 && ds->group != NULL)
		name = ds->group;
	for (int pass = 0; pass < 2; pass++)
	{
		for (int i = 0; i < ds->ncolumns; i++)
			if (strcmp(ds->columns[i].name, name) == 0)
				return ds->columns[i].type;
		if (pass == 0)
		{
			if (strcmp(name, "project") == 0)
				role = ds->project;
			else if (strcmp(name, "timestamp") == 0)
				role = ds->timestamp;
			else if (strcmp(name, "environment") == 0)
				role = ds->environment;
			else if (strcmp(name, "message") == 0)
				role = ds->message;
			else if (strcmp(name, "group") == 0)
				role = ds->group;
			if (role == NULL)
				break;
			name = role;
		}
	}
	*is_tag = true;
	return DS_TEXT;
}

static void
add_tag_key(Gen *g, const char *key)
{
	if (g->ntag_keys < (int) (sizeof(g->tag_keys) / sizeof(g->tag_keys[0])))
		g->tag_keys[g->ntag_keys++] = de_strdup(key);
}

/*
 * A column or role name, or tags[key] (or, in search, a bare tag key).
 */

static DsColumnType
gen_ref_in(Gen *g, StrBuf *sb, bool allow_tag, bool bare_tag, bool *is_tag,
		   int nkeys)
{
	unsigned	k = next(&g->r);
	char		key[MAX_STR * 2 + 16];

	if (allow_tag && k % 4 == 0)
	{
		value(g, VC_TAGKEY, key, sizeof(key));
		add_tag_key(g, key);
		if (bare_tag && (k & 4))
			sb_append(sb, key);
		else
			sb_appendf(sb, "tags[%s]", key);
		*is_tag = true;
		return DS_TEXT;
	}
	sb_append(sb, key_names[k / 4 % nkeys]);
	return key_type(g->ds, key_names[k / 4 % nkeys], is_tag);
}

static DsColumnType
gen_ref(Gen *g, StrBuf *sb, bool allow_tag, bool bare_tag, bool *is_tag)
{
	return gen_ref_in(g, sb, allow_tag, bare_tag, is_tag, NKEYS);
}

static char *
gen_field(Gen *g)
{
	StrBuf		sb;
	unsigned	k = next(&g->r);
	bool		is_tag;
	char		v[MAX_STR * 2 + 16];

	sb_init(&sb);
	switch (k % 8)
	{
		case 0:
		case 1:
			gen_ref(g, &sb, true, false, &is_tag);
			break;
		case 2:
			sb_append(&sb, "count()");
			break;
		case 3:
			sb_append(&sb, (k & 8) ? "count_unique(" : "count(");
			gen_ref(g, &sb, true, false, &is_tag);
			sb_append_char(&sb, ')');
			break;
		case 4:
			sb_append(&sb, (k & 8) ? "min(" : "max(");
			gen_ref(g, &sb, true, false, &is_tag);
			sb_append_char(&sb, ')');
			break;
		case 5:
			{
				static const char *const fns[] = {"avg", "sum", "p50", "p75", "p95", "p99"};

				sb_appendf(&sb, "%s(%s)", fns[(k >> 3) % 6],
						   numeric_cols[(k >> 5) % 5]);
				break;
			}
		case 6:
			value(g, VC_QUANTILE, v, sizeof(v));
			sb_appendf(&sb, "percentile(%s, %s)", numeric_cols[(k >> 3) % 5], v);
			break;
		case 7:
			sb_append(&sb, (k & 8) ? "last_seen()" : "first_seen()");
			break;
	}
	return sb_steal(&sb);
}

static void
gen_expr(Gen *g, StrBuf *sb, int depth)
{
	int			nops = next(&g->r) % 3;

	for (int i = 0; i <= nops; i++)
	{
		unsigned	k = next(&g->r);
		bool		is_tag;
		char		v[MAX_STR * 2 + 16];

		if (i > 0)
			sb_appendf(sb, " %c ", "+-*/"[k % 4]);
		switch (k / 4 % 6)
		{
			case 0:
				value(g, VC_NUMBER, v, sizeof(v));
				sb_append(sb, v[0] == '-' ? v + 1 : v);
				break;
			case 1:
				sb_append(sb, "count()");
				break;
			case 2:
				sb_appendf(sb, "%s(%s)", (k & 64) ? "avg" : "sum",
						   numeric_cols[(k >> 7) % 2]);
				break;
			case 3:
				gen_ref_in(g, sb, true, false, &is_tag, NKEYS);
				break;
			case 4:
				if (depth < 3)
				{
					sb_append_char(sb, '(');
					gen_expr(g, sb, depth + 1);
					sb_append_char(sb, ')');
					break;
				}
				/* FALLTHROUGH */
			default:
				sb_append(sb, "duration");
				break;
		}
	}
}

/* "value" in the search syntax: \ and " escaped, * a wildcard */
static void
append_quoted(StrBuf *sb, const char *v)
{
	sb_append_char(sb, '"');
	for (; *v; v++)
	{
		if (*v == '\\' || *v == '"')
			sb_append_char(sb, '\\');
		sb_append_char(sb, *v);
	}
	sb_append_char(sb, '"');
}

/* an EQ or IN value for a key of this type */
static void
append_search_value(Gen *g, StrBuf *sb, DsColumnType type, bool is_tag)
{
	char		v[MAX_STR * 2 + 16];
	unsigned	k = next(&g->r);

	if (is_tag || type == DS_TEXT || type == DS_JSON || type == DS_OTHER)
		value(g, VC_TEXT, v, sizeof(v));
	else if (type == DS_NUMBER)
		value(g, VC_NUMBER, v, sizeof(v));
	else if (type == DS_BOOL)
		value(g, VC_BOOL, v, sizeof(v));
	else
		value(g, k % 3 == 0 ? VC_DAY : k % 3 == 1 ? VC_DATE : VC_RELATIVE,
			  v, sizeof(v));
	append_quoted(sb, v);
}

static void
gen_term(Gen *g, StrBuf *sb)
{
	unsigned	k = next(&g->r);
	bool		is_tag;
	DsColumnType type;
	char		v[MAX_STR * 2 + 16];

	if (k & 1)
		sb_append_char(sb, '!');
	switch (k / 2 % 5)
	{
		case 0:					/* key:value */
			type = gen_ref(g, sb, true, true, &is_tag);
			sb_append_char(sb, ':');
			append_search_value(g, sb, type, is_tag);
			break;
		case 1:					/* key:[a, b] */
			{
				int			n = 1 + (k >> 4) % 3;

				type = gen_ref(g, sb, true, true, &is_tag);
				sb_append(sb, ":[");
				for (int i = 0; i < n; i++)
				{
					if (i > 0)
						sb_append(sb, ", ");
					append_search_value(g, sb, type, is_tag);
				}
				sb_append_char(sb, ']');
				break;
			}
		case 2:					/* key:>v */
			{
				static const char *const ops[] = {">", ">=", "<", "<="};

				type = gen_ref(g, sb, true, true, &is_tag);
				sb_appendf(sb, ":%s", ops[(k >> 4) % 4]);
				if (!is_tag && type == DS_TIMESTAMP)
					value(g, (k & 64) ? VC_RELATIVE : VC_DATE, v, sizeof(v));
				else if (!is_tag && type == DS_BOOL)
					value(g, VC_BOOL, v, sizeof(v));
				else
					value(g, VC_NUMBER, v, sizeof(v));
				sb_append(sb, v);
				break;
			}
		case 3:					/* has:key */
			sb_append(sb, "has:");
			gen_ref(g, sb, true, true, &is_tag);
			break;
		case 4:					/* free text */
			value(g, VC_TEXT, v, sizeof(v));
			if (v[0] == '\0')
				v[0] = 'x', v[1] = '\0';
			append_quoted(sb, v);
			break;
	}
}

static void
gen_search(Gen *g)
{
	int			n = next(&g->r) % (MAX_TERMS + 1);

	for (int i = 0; i < n; i++)
	{
		unsigned	k = next(&g->r);

		if (i > 0)
			sb_append(&g->query, k % 3 == 0 ? " " : k % 3 == 1 ? " AND " : " OR ");
		if (k & 4)
		{
			sb_append_char(&g->query, '(');
			gen_term(g, &g->query);
			sb_append(&g->query, (k & 8) ? " OR " : " AND ");
			gen_term(g, &g->query);
			sb_append_char(&g->query, ')');
		}
		else
			gen_term(g, &g->query);
	}
}

static char *
gen_sort(Gen *g)
{
	unsigned	k = next(&g->r);
	int			nitems = g->nfields + g->nequations;
	StrBuf		sb;
	char		raw[MAX_STR + 1];

	sb_init(&sb);
	if (k & 1)
		sb_append(&sb, (k & 2) ? "-" : " -");
	switch (k / 4 % 5)
	{
		case 0:
		case 1:
			{
				int			i = (k >> 5) % nitems;

				if (i < g->nfields)
					sb_append(&sb, g->fields[i]);
				else if (k & 128)
					sb_appendf(&sb, "equation|%s", g->equations[i - g->nfields]);
				else
					sb_appendf(&sb, "equation[%d]", i - g->nfields);
				break;
			}
		case 2:
			sb_appendf(&sb, "equation[%d]", (k >> 5) % 3);
			break;
		case 3:
			sb_append(&sb, key_names[(k >> 5) % NKEYS]);
			break;
		case 4:
			/* any bytes, the same in every build: matched, never written */
			next_str(&g->r, raw);
			sb_append(&sb, raw);
			break;
	}
	return sb_steal(&sb);
}

static void
gen(Gen *g, const uint8_t *data, size_t size, char mode, const Dataset *ds)
{
	memset(g, 0, sizeof(*g));
	g->r.data = data;
	g->r.size = size;
	g->r.pos = 2;				/* after the dataset and limit bytes */
	g->mode = mode;
	g->ds = ds;
	sb_init(&g->query);

	g->nfields = next(&g->r) % (MAX_ITEMS + 1);
	for (int i = 0; i < g->nfields; i++)
		g->fields[i] = gen_field(g);
	g->nequations = next(&g->r) % 3;
	for (int i = 0; i < g->nequations; i++)
	{
		StrBuf		sb;

		sb_init(&sb);
		gen_expr(g, &sb, 0);
		g->equations[i] = sb_steal(&sb);
	}
	gen_search(g);
	g->nenvs = next(&g->r) % (MAX_ENVS + 1);
	for (int i = 0; i < g->nenvs; i++)
	{
		char		v[MAX_STR * 2 + 16];

		value(g, VC_TEXT, v, sizeof(v));
		g->envs[i] = de_strdup(v);
	}
	if (g->nfields + g->nequations > 0)
	{
		g->nsort = next(&g->r) % (MAX_SORT + 1);
		for (int i = 0; i < g->nsort; i++)
			g->sort[i] = gen_sort(g);
	}
}

static void
gen_free(Gen *g)
{
	for (int i = 0; i < g->nfields; i++)
		de_free(g->fields[i]);
	for (int i = 0; i < g->nequations; i++)
		de_free(g->equations[i]);
	for (int i = 0; i < g->nsort; i++)
		de_free(g->sort[i]);
	for (int i = 0; i < g->nenvs; i++)
		de_free(g->envs[i]);
	for (int i = 0; i < g->nvalues; i++)
		de_free(g->values[i]);
	for (int i = 0; i < g->ntag_keys; i++)
		de_free(g->tag_keys[i]);
	sb_free(&g->query);
}

/* ---- checks ---- */

/* the builder's own string literals (besides '') */
#define NUMERIC_REGEX "'^-?[0-9]+([.][0-9]+)?$'"
static const char *const own_literals[] = {
	NUMERIC_REGEX, "'unknown'", "'-'", "'0'", "'0123456789ABCDEFGHJKMNPQRSTVWXYZ'"
};

/* A span of the Discover SQL holds one of our column names or relations. */
static bool
known_span(const char *text, size_t len)
{
	for (int i = 0; i < NCOLUMNS; i++)
		if (strlen(columns[i].name) == len && memcmp(columns[i].name, text, len) == 0)
			return true;
	for (int i = 0; i < 2; i++)
		if (strlen(project_columns[i]) == len && memcmp(project_columns[i], text, len) == 0)
			return true;
	return (len == 10 && memcmp(text, "app.events", 10) == 0) ||
		(len == 12 && memcmp(text, "app.projects", 12) == 0);
}

/* sql_skeleton with our spans and literals: no string literal but '' and
 * the builder's own. */
static char *
skeleton(const char *sql)
{
	return sql_skeleton(sql, known_span, own_literals,
						sizeof(own_literals) / sizeof(own_literals[0]));
}

static bool
is_param(const BuiltQuery *bq, const char *text)
{
	for (int i = 0; i < bq->nparams; i++)
		if (bq->params[i] != NULL && strcmp(bq->params[i], text) == 0)
			return true;
	return false;
}

static const int64_t projects[] = {1, 42};

static bool
build(const Gen *g, int64_t limit, BuiltQuery *bq, DeError *err)
{
	DiscoverQuery q;

	memset(&q, 0, sizeof(q));
	q.ds = g->ds;
	q.fields = (char **) g->fields;
	q.nfields = g->nfields;
	q.equations = (char **) g->equations;
	q.nequations = g->nequations;
	q.query = g->query.data;
	q.sort = (char **) g->sort;
	q.nsort = g->nsort;
	q.projects = projects;
	q.nprojects = 2;
	q.start = INT64_C(1700000000) * DE_USECS_PER_SEC;
	q.end = INT64_C(1800000000) * DE_USECS_PER_SEC;
	q.environments = (char **) g->envs;
	q.nenvironments = g->nenvs;
	q.row_limit = limit;
	q.now = INT64_C(1764000000) * DE_USECS_PER_SEC;
	memset(err, 0, sizeof(*err));
	return discover_build(&q, quote_marked, bq, err);
}

/* FUZZ_DISCOVER_PRINT=1: the query of each input on stderr */
static void
print_query(const Gen *g)
{
	for (int i = 0; i < g->nfields; i++)
		fprintf(stderr, "field: %s\n", g->fields[i]);
	for (int i = 0; i < g->nequations; i++)
		fprintf(stderr, "equation: %s\n", g->equations[i]);
	fprintf(stderr, "query: %s\n", g->query.data);
	for (int i = 0; i < g->nsort; i++)
		fprintf(stderr, "sort: %s\n", g->sort[i]);
	for (int i = 0; i < g->nenvs; i++)
		fprintf(stderr, "environment: %s\n", g->envs[i]);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		flags = size > 0 ? data[0] : 0xff;
	uint8_t		limit = size > 1 ? data[1] : 0;
	int64_t		row_limit = limit == 1 ? INT64_MAX : limit == 2 ? -1 : limit;
	Dataset		ds;
	Gen			g;
	BuiltQuery	bq;
	DeError		err;
	char	   *sk;

	memset(&ds, 0, sizeof(ds));
	ds.name = "fuzz";
	ds.relation = "\x01" "app.events" "\x02";
	ds.ncolumns = NCOLUMNS;
	ds.columns = columns;
	ds.project = "project_id";
	ds.timestamp = "ts";
	ds.environment = (flags & 1) ? NULL : "env";
	ds.message = (flags & 2) ? NULL : "message";
	ds.tags = (flags & 4) ? NULL : "tags";
	ds.group = (flags & 8) ? NULL : "group_id";
	if (flags & 16)
	{
		ds.projects_relation = "\x01" "app.projects" "\x02";
		ds.projects_id = "pk";
		ds.project_slug = "slug";
	}
	ds.issue = (flags & 96) == 32 ? "short" : NULL;
	ds.short_id = (flags & 96) == 64 ? "sid" : NULL;

	gen(&g, data, size, 0, &ds);
	if (getenv("FUZZ_DISCOVER_PRINT") != NULL)
		print_query(&g);
	if (!build(&g, row_limit, &bq, &err))
	{
		if (getenv("FUZZ_DISCOVER_PRINT") != NULL)
			fprintf(stderr, "error: %s\n", err.message);
		if (err.code != DE_ERR_INVALID || err.message[0] == '\0' ||
			bq.sql != NULL || bq.params != NULL)
			abort();
		gen_free(&g);
		return 0;
	}
	if (getenv("FUZZ_DISCOVER_PRINT") != NULL)
		fprintf(stderr, "sql: %s\n", bq.sql);
	if (bq.ncolumns != g.nfields + g.nequations)
		abort();
	check_param_refs(&bq, true);
	for (int i = 0; i < g.nenvs; i++)
		if (!is_param(&bq, g.envs[i]))
			abort();
	for (int i = 0; i < g.ntag_keys; i++)
		if (!is_param(&bq, g.tag_keys[i]))
			abort();
	sk = skeleton(bq.sql);
	built_query_clear(&bq);
	gen_free(&g);

	for (char mode = 'a'; mode <= 'b'; mode++)
	{
		char	   *csk;

		gen(&g, data, size, mode, &ds);
		if (!build(&g, row_limit, &bq, &err))
		{
			fprintf(stderr, "canonical build failed: %s\nquery: %s\n",
					err.message, g.query.data);
			abort();
		}
		csk = skeleton(bq.sql);
		if (strcmp(sk, csk) != 0)
		{
			fprintf(stderr, "SQL differs from the canonical (%c) one:\n%s\n%s\n",
					mode, sk, csk);
			abort();
		}
		de_free(csk);
		built_query_clear(&bq);
		gen_free(&g);
	}
	de_free(sk);
	return 0;
}
