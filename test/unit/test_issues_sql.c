/*
 * test_issues_sql.c
 *	  Unit tests of issues_sql.c: the full SQL text, parameters and headers
 *	  of Issues-by-Tag queries (a tag key, the key "user" with and without a
 *	  tags column, environments, the row limit), its error messages, and
 *	  hostile keys and environments, which must only ever be parameters.
 *
 * The quoting function (quote_always, sql_builder_test.h) always
 * double-quotes into one static buffer, as quote_identifier may return its
 * argument: the builder must use each result before the next call.  Every
 * table row is its own cmocka test.
 */
#include "sql_builder_test.h"

#include "issues_sql.h"

/* name, relation, columns (unused here), then the roles: project,
 * timestamp, environment, group, tags, message, user */
static Dataset full_ds = {
	"discover", "\"app\".\"events\"", 0, NULL,
	"project_id", "ts", "env", "group_id", "tags", "message", "user",
	NULL, NULL, NULL, NULL, NULL
};

static Dataset no_user_ds = {
	"nouser", "\"nouser\"", 0, NULL,
	"project_id", "ts", NULL, "group_id", "tags", NULL, NULL,
	NULL, NULL, NULL, NULL, NULL
};

static Dataset user_only_ds = {
	"useronly", "\"s\".\"useronly\"", 0, NULL,
	"pid", "at", NULL, "issue", NULL, NULL, "u",
	NULL, NULL, NULL, NULL, NULL
};

static Dataset no_group_ds = {
	"nogroup", "\"nogroup\"", 0, NULL,
	"project_id", "ts", "env", NULL, "tags", NULL, "user",
	NULL, NULL, NULL, NULL, NULL
};

static Dataset no_tags_ds = {
	"notags", "\"notags\"", 0, NULL,
	"project_id", "ts", "env", "group_id", NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL
};

#define TAIL(rel, ts, project, group) \
	"count(*) AS times_seen, max(d.\"" ts "\") AS last_seen, " \
	"min(d.\"" ts "\") AS first_seen FROM " rel " AS d WHERE d.\"" project \
	"\" OPERATOR(pg_catalog.=) $1::bigint AND d.\"" group \
	"\" OPERATOR(pg_catalog.=) $2::bigint"

#define FULL_TAIL TAIL("\"app\".\"events\"", "ts", "project_id", "group_id")
#define ORDER(ts) " GROUP BY 1 ORDER BY min(d.\"" ts "\") DESC, 1"

#define USER_ITEMS(u) \
	"'id:' || (d.\"" u "\" OPERATOR(pg_catalog.->>) 'id'), " \
	"'username:' || (d.\"" u "\" OPERATOR(pg_catalog.->>) 'username'), " \
	"'email:' || (d.\"" u "\" OPERATOR(pg_catalog.->>) 'email'), " \
	"'ip:' || (d.\"" u "\" OPERATOR(pg_catalog.->>) 'ip_address')) AS c1, " \
	"max(d.\"" u "\" OPERATOR(pg_catalog.->>) 'id') AS c2, " \
	"max(d.\"" u "\" OPERATOR(pg_catalog.->>) 'email') AS c3, " \
	"max(d.\"" u "\" OPERATOR(pg_catalog.->>) 'username') AS c4, " \
	"max(d.\"" u "\" OPERATOR(pg_catalog.->>) 'ip_address') AS c5, "

#define PLAIN_HEADERS {"value", "times_seen", "last_seen", "first_seen"}
#define USER_HEADERS {"value", "id", "email", "username", "ip_address", \
		"times_seen", "last_seen", "first_seen"}

typedef struct SqlCase
{
	const char *name;
	const Dataset *ds;
	const char *key;
	const char *environments[MAXN];
	int64_t		limit;
	const char *sql;
	const char *params[MAXN];	/* from $3 on ($1 "42", $2 "-7") */
	const char *headers[MAXN];
} SqlCase;

static const SqlCase sql_cases[] = {
	{
		"plain tag key",
		&full_ds, "browser", {0}, 0,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts"),
		{"browser"}, PLAIN_HEADERS
	},
	{
		"user with a tags column",
		&full_ds, "user", {0}, 0,
		"SELECT COALESCE(d.\"tags\" OPERATOR(pg_catalog.->>) 'user', "
		USER_ITEMS("user") FULL_TAIL " AND d.\"user\" IS NOT NULL" ORDER("ts"),
		{0}, USER_HEADERS
	},
	{
		"user without a tags column",
		&user_only_ds, "user", {0}, 0,
		"SELECT COALESCE(" USER_ITEMS("u")
		TAIL("\"s\".\"useronly\"", "at", "pid", "issue")
		" AND d.\"u\" IS NOT NULL" ORDER("at"),
		{0}, USER_HEADERS
	},
	{
		"user without a user column is a tag",
		&no_user_ds, "user", {0}, 0,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, "
		TAIL("\"nouser\"", "ts", "project_id", "group_id")
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts"),
		{"user"}, PLAIN_HEADERS
	},
	{
		"key is case-sensitive",
		&full_ds, "User", {0}, 0,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts"),
		{"User"}, PLAIN_HEADERS
	},
	{
		"environments",
		&full_ds, "os", {"production", "staging"}, 0,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3"
		" AND d.\"env\" OPERATOR(pg_catalog.=) ANY (ARRAY[$4, $5])" ORDER("ts"),
		{"os", "production", "staging"}, PLAIN_HEADERS
	},
	{
		"user, environment and limit",
		&full_ds, "user", {"prod"}, 100,
		"SELECT COALESCE(d.\"tags\" OPERATOR(pg_catalog.->>) 'user', "
		USER_ITEMS("user") FULL_TAIL " AND d.\"user\" IS NOT NULL"
		" AND d.\"env\" OPERATOR(pg_catalog.=) ANY (ARRAY[$3])" ORDER("ts")
		" LIMIT $4::bigint",
		{"prod", "101"}, USER_HEADERS
	},
	{
		"environments ignored without an environment column",
		&no_user_ds, "os", {"production"}, 0,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, "
		TAIL("\"nouser\"", "ts", "project_id", "group_id")
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts"),
		{"os"}, PLAIN_HEADERS
	},
	{
		"row limit",
		&full_ds, "browser", {0}, 5,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts")
		" LIMIT $4::bigint",
		{"browser", "6"}, PLAIN_HEADERS
	},
	{
		"largest row limit",
		&full_ds, "browser", {"e"}, INT64_MAX,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3"
		" AND d.\"env\" OPERATOR(pg_catalog.=) ANY (ARRAY[$4])" ORDER("ts")
		" LIMIT $5::bigint",
		{"browser", "e", "9223372036854775807"}, PLAIN_HEADERS
	},
	{
		"negative row limit is none",
		&full_ds, "browser", {0}, -1,
		"SELECT d.\"tags\" OPERATOR(pg_catalog.->>) $3 AS c1, " FULL_TAIL
		" AND d.\"tags\" OPERATOR(pg_catalog.?) $3" ORDER("ts"),
		{"browser"}, PLAIN_HEADERS
	},
};

typedef struct ErrCase
{
	const char *name;
	const Dataset *ds;
	const char *key;
	const char *message;
	const char *hint;
} ErrCase;

static const ErrCase err_cases[] = {
	{
		"missing group column", &no_group_ds, "browser",
		"dataset \"nogroup\" has no \"group\" column",
		"Issues-by-Tag exports need the group (issue id) column registered."
	},
	{
		"missing group column, user key", &no_group_ds, "user",
		"dataset \"nogroup\" has no \"group\" column",
		"Issues-by-Tag exports need the group (issue id) column registered."
	},
	{
		"missing tags column", &no_tags_ds, "browser",
		"dataset \"notags\" has no \"tags\" column", NULL
	},
	{
		"missing tags and user columns, user key", &no_tags_ds, "user",
		"dataset \"notags\" has no \"tags\" column", NULL
	},
	{
		"missing tags column, other key", &user_only_ds, "browser",
		"dataset \"useronly\" has no \"tags\" column", NULL
	},
};

static void
make_query(IssuesQuery *q, const Dataset *ds, const char *key,
		   const char *const *environments, int64_t limit)
{
	memset(q, 0, sizeof(*q));
	q->ds = ds;
	q->project = 42;
	q->group = -7;
	q->key = key;
	q->environments = (char **) environments;
	q->nenvironments = environments ? count_strings(environments) : 0;
	q->row_limit = limit;
}

static void
test_sql_case(void **state)
{
	static const char *const lead[] = {"42", "-7"};
	const SqlCase *c = *state;
	IssuesQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	make_query(&q, c->ds, c->key, c->environments, c->limit);
	assert_built(issues_by_tag_build(&q, quote_always, &bq, &err), &bq, &err,
				 c->sql, lead, NELEMS(lead), c->params, c->headers);
}

static void
test_err_case(void **state)
{
	const ErrCase *c = *state;
	const char *envs[] = {"production", NULL};
	IssuesQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	make_query(&q, c->ds, c->key, envs, 100);
	assert_refused(issues_by_tag_build(&q, quote_always, &bq, &err), &bq, &err,
				   c->message);
	assert_string_equal(err.detail, "");
	if (c->hint == NULL)
		assert_null(err.hint);
	else
		assert_string_equal(err.hint, c->hint);
}

/* A hint from an earlier error does not stick to the next one. */
static void
test_hint_reset(void **state)
{
	IssuesQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	make_query(&q, &no_group_ds, "browser", NULL, 0);
	assert_false(issues_by_tag_build(&q, quote_always, &bq, &err));
	assert_non_null(err.hint);
	make_query(&q, &no_tags_ds, "browser", NULL, 0);
	assert_false(issues_by_tag_build(&q, quote_always, &bq, &err));
	assert_null(err.hint);
}

/*
 * Keys and environments that try to leave their place: each is a whole
 * parameter, and no part of it is in the SQL text.
 */
static const char *const hostile[] = {
	"x'); DROP TABLE t; --",
	"\"; DELETE FROM users; --",
	"a' OR '1'='1",
	"user' --",
	"tags\" ->> 1; --",
};

static void
test_injection(void **state)
{
	(void) state;
	for (size_t h = 0; h < NELEMS(hostile); h++)
	{
		const char *payload = hostile[h];
		const char *envs[] = {"prod", payload, NULL};
		IssuesQuery q;
		BuiltQuery	bq;
		DeError		err = {0};

		make_query(&q, &full_ds, payload, envs, 0);
		if (!issues_by_tag_build(&q, quote_always, &bq, &err))
			fail_msg("key %s: %s", payload, err.message);
		assert_sql_clean(&bq, payload);
		assert_int_equal(bq.nparams, 5);
		assert_string_equal(bq.params[2], payload);
		assert_string_equal(bq.params[4], payload);
		built_query_clear(&bq);
	}
}

int
main(void)
{
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "sql", sql_cases, test_sql_case);
	CASE_TABLE(&list, "error", err_cases, test_err_case);
	case_list_add(&list, "error", "hint reset", test_hint_reset, NULL);
	case_list_add(&list, "injection", "keys and environments",
				  test_injection, NULL);
	return case_list_run(&list, "issues_sql");
}
