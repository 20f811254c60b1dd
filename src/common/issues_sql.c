/*
 * issues_sql.c
 *	  The SQL of an Issues-by-Tag export: the values of one tag among one
 *	  issue's events, with how often and when each was seen.
 *
 * As in discover_sql.c, the SQL text is built only from our own keywords,
 * identifiers that went through the caller's quoting function and parameter
 * references: the project, the issue, the tag key, the environments and the
 * limit are text parameters, cast in the SQL text.  pg_catalog's operators
 * are named explicitly, and the text runs with search_path pinned
 * (lo_guard.c).
 *
 * The key "user" reads the dataset's user column (a JSON object with id,
 * email, username and ip_address) when it maps one, preferring a "user" tag
 * where there is one, then id, username, email and ip (Sentry's EventUser
 * order); any other key reads the tags column.
 */
#include "issues_sql.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* user text quoted in messages is cut to this many bytes */
#define MSG_SNIPPET 200

#define NELEMS(a) ((int) (sizeof(a) / sizeof((a)[0])))

typedef struct Builder
{
	const IssuesQuery *q;
	const Dataset *ds;
	QuoteIdentFn quote;
	bool		is_user;		/* the key reads the user column */
	char	  **params;
	int			nparams;
} Builder;

static const char *const plain_headers[] = {
	"value", "times_seen", "last_seen", "first_seen"
};
static const char *const user_headers[] = {
	"value", "id", "email", "username", "ip_address",
	"times_seen", "last_seen", "first_seen"
};

/*
 * The user column's fields: the value's prefix, and the JSON key.  The
 * value is the first present in this order, Sentry's EventUser keyword order
 * (id, username, email, ip); the columns after it keep the header's order
 * (user_columns).
 */
static const struct
{
	const char *label;
	const char *key;
}			user_fields[] = {
	{"id:", "id"},
	{"username:", "username"},
	{"email:", "email"},
	{"ip:", "ip_address"}
};

/* The JSON keys of the columns id, email, username, ip_address. */
static const char *const user_columns[] = {
	"id", "email", "username", "ip_address"
};

static int
add_param(Builder *b, const char *text)
{
	b->params = de_realloc(b->params, sizeof(char *) * (b->nparams + 1));
	b->params[b->nparams++] = de_strdup(text);
	return b->nparams;
}

static int
add_int_param(Builder *b, int64_t value)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, value);
	return add_param(b, buf);
}

/* d."column": each result of the quoting function is appended before it is
 * called again (it may return a static buffer). */
static void
append_column(Builder *b, StrBuf *sb, const char *name)
{
	sb_append(sb, "d.");
	sb_append(sb, b->quote(name));
}

static bool
missing_column(DeError *err, const Dataset *ds, const char *role)
{
	return de_error(err, DE_ERR_INVALID, "dataset \"%.*s\" has no \"%s\" column",
					(int) de_clip_utf8(ds->name, strlen(ds->name), MSG_SNIPPET),
					ds->name, role);
}

/* COALESCE(tag, 'id:' || id, ...) AS c1, max(id) AS c2, ... AS c5, */
static void
append_user_items(Builder *b, StrBuf *sb)
{
	const Dataset *ds = b->ds;

	sb_append(sb, "COALESCE(");
	if (ds->tags != NULL)
	{
		append_column(b, sb, ds->tags);
		sb_append(sb, " OPERATOR(pg_catalog.->>) 'user', ");
	}
	for (int i = 0; i < NELEMS(user_fields); i++)
	{
		sb_appendf(sb, "%s'%s' || (", i > 0 ? ", " : "", user_fields[i].label);
		append_column(b, sb, ds->user);
		sb_appendf(sb, " OPERATOR(pg_catalog.->>) '%s')", user_fields[i].key);
	}
	sb_append(sb, ") AS c1, ");
	for (int i = 0; i < NELEMS(user_columns); i++)
	{
		sb_append(sb, "max(");
		append_column(b, sb, ds->user);
		sb_appendf(sb, " OPERATOR(pg_catalog.->>) '%s') AS c%d, ",
				   user_columns[i], i + 2);
	}
}

static void
append_environments(Builder *b, StrBuf *sb)
{
	const IssuesQuery *q = b->q;

	if (q->nenvironments <= 0 || b->ds->environment == NULL)
		return;
	sb_append(sb, " AND ");
	append_column(b, sb, b->ds->environment);
	sb_append(sb, " OPERATOR(pg_catalog.=) ANY (ARRAY[");
	for (int i = 0; i < q->nenvironments; i++)
	{
		de_check_interrupts();
		sb_appendf(sb, "%s$%d", i > 0 ? ", " : "",
				   add_param(b, q->environments[i]));
	}
	sb_append(sb, "])");
}

static void
append_limit(Builder *b, StrBuf *sb)
{
	int64_t		limit = b->q->row_limit;

	if (limit <= 0)
		return;
	/* one row more than asked, so that the caller sees truncation */
	if (limit < INT64_MAX)
		limit++;
	sb_appendf(sb, " LIMIT $%d::bigint", add_int_param(b, limit));
}

static void
build(Builder *b, StrBuf *sql)
{
	const Dataset *ds = b->ds;
	int			p_project = add_int_param(b, b->q->project);
	int			p_group = add_int_param(b, b->q->group);
	int			p_key = 0;

	sb_append(sql, "SELECT ");
	if (b->is_user)
		append_user_items(b, sql);
	else
	{
		p_key = add_param(b, b->q->key);
		append_column(b, sql, ds->tags);
		sb_appendf(sql, " OPERATOR(pg_catalog.->>) $%d AS c1, ", p_key);
	}
	sb_append(sql, "count(*) AS times_seen, max(");
	append_column(b, sql, ds->timestamp);
	sb_append(sql, ") AS last_seen, min(");
	append_column(b, sql, ds->timestamp);
	sb_append(sql, ") AS first_seen FROM ");
	sb_append(sql, ds->relation);
	sb_append(sql, " AS d WHERE ");
	append_column(b, sql, ds->project);
	sb_appendf(sql, " OPERATOR(pg_catalog.=) $%d::bigint AND ", p_project);
	append_column(b, sql, ds->group);
	sb_appendf(sql, " OPERATOR(pg_catalog.=) $%d::bigint AND ", p_group);
	if (b->is_user)
	{
		append_column(b, sql, ds->user);
		sb_append(sql, " IS NOT NULL");
	}
	else
	{
		append_column(b, sql, ds->tags);
		sb_appendf(sql, " OPERATOR(pg_catalog.?) $%d", p_key);
	}
	append_environments(b, sql);
	sb_append(sql, " GROUP BY 1 ORDER BY min(");
	append_column(b, sql, ds->timestamp);
	sb_append(sql, ") DESC, 1");
	append_limit(b, sql);
}

bool
issues_by_tag_build(const IssuesQuery *q, QuoteIdentFn quote, BuiltQuery *out,
					DeError *err)
{
	const Dataset *ds = q->ds;
	const char *const *headers;
	Builder		b;
	StrBuf		sql;

	memset(out, 0, sizeof(*out));
	if (ds->project == NULL)
		return missing_column(err, ds, "project");
	if (ds->timestamp == NULL)
		return missing_column(err, ds, "timestamp");
	if (ds->group == NULL)
	{
		missing_column(err, ds, "group");
		if (err != NULL)
			err->hint = "Issues-by-Tag exports need the group (issue id) column registered.";
		return false;
	}
	memset(&b, 0, sizeof(b));
	b.q = q;
	b.ds = ds;
	b.quote = quote;
	b.is_user = q->key != NULL && strcmp(q->key, "user") == 0 && ds->user != NULL;
	if (q->key == NULL)
		return de_error(err, DE_ERR_INVALID, "an Issues-by-Tag export needs a tag key");
	if (!b.is_user && ds->tags == NULL)
		return missing_column(err, ds, "tags");

	sb_init(&sql);
	build(&b, &sql);
	out->sql = sb_steal(&sql);
	out->nparams = b.nparams;
	out->params = b.params;
	headers = b.is_user ? user_headers : plain_headers;
	out->ncolumns = b.is_user ? NELEMS(user_headers) : NELEMS(plain_headers);
	out->headers = de_alloc(sizeof(char *) * (out->ncolumns + 1));
	for (int i = 0; i < out->ncolumns; i++)
		out->headers[i] = de_strdup(headers[i]);
	return true;
}
