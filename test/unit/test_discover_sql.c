/*
 * test_discover_sql.c
 *	  Unit tests of discover_sql.c: the full SQL text, parameters and headers
 *	  of representative Discover queries, every error message, and injection
 *	  attempts through every payload value that reaches the builder.
 *
 * The quoting function (quote_always, sql_builder_test.h) always
 * double-quotes, so every identifier is visible in the expected SQL.  Every
 * table row is its own cmocka test.
 */
#include "sql_builder_test.h"

#include "discover_sql.h"
#include "search.h"

/* 2026-11-28T01:02:03Z */
#define T_NOW (INT64_C(1795827723) * DE_USECS_PER_SEC)
#define T_START (T_NOW - INT64_C(7) * 86400 * DE_USECS_PER_SEC)

#define P_START "2026-11-21T01:02:03.000000Z"
#define P_END "2026-11-28T01:02:03.000000Z"

static DsColumn columns[] = {
	{"id", DS_NUMBER, true},
	{"project_id", DS_NUMBER, true},
	{"ts", DS_TIMESTAMP, false},
	{"environment", DS_TEXT, false},
	{"message", DS_TEXT, false},
	{"tags", DS_JSON, false},
	{"user", DS_JSON, false},
	{"group_id", DS_NUMBER, true},
	{"duration", DS_NUMBER, false},
	{"transaction", DS_TEXT, false},
	{"handled", DS_BOOL, false},
	{"release", DS_OTHER, false},
	{"we\"ird", DS_TEXT, false},
	{"level", DS_TEXT, false},
};

static Dataset full_ds = {
	"discover", "\"app\".\"events\"", sizeof(columns) / sizeof(columns[0]),
	columns, "project_id", "ts", "environment", "group_id", "tags",
	"message", "user", NULL, NULL, NULL, NULL, NULL
};

/* no tags, message or environment; release is the timestamp, as text */
static DsColumn bare_columns[] = {
	{"pid", DS_NUMBER, true},
	{"at", DS_TIMESTAMP, false},
	{"env", DS_OTHER, false},
	{"body", DS_JSON, false},
};

static Dataset bare_ds = {
	"bare", "\"bare\"", 4, bare_columns, "pid", "at", NULL, NULL, NULL, NULL,
	NULL, NULL, NULL, NULL, NULL, NULL
};

static Dataset other_env_ds = {
	"envs", "\"envs\"", 4, bare_columns, "pid", "at", "env", NULL, NULL,
	"body", NULL, NULL, NULL, NULL, NULL, NULL
};

/* the application's short ids: a column, or numbers and the projects' slugs */
static Dataset issue_column_ds = {
	"issues", "\"app\".\"events\"", sizeof(columns) / sizeof(columns[0]),
	columns, "project_id", "ts", "environment", "group_id", "tags",
	"message", "user", "transaction", NULL, NULL, NULL, NULL
};

static Dataset short_id_ds = {
	"shortids", "\"app\".\"events\"", sizeof(columns) / sizeof(columns[0]),
	columns, "project_id", "ts", "environment", "group_id", "tags",
	"message", "user", NULL, "id", "\"app\".\"projects\"", "pk", "slug"
};

static Dataset short_id_no_slug_ds = {
	"noslug", "\"app\".\"events\"", sizeof(columns) / sizeof(columns[0]),
	columns, "project_id", "ts", "environment", "group_id", "tags",
	"message", "user", NULL, "id", NULL, NULL, NULL
};

#define FROM_WHERE " FROM \"app\".\"events\" AS d WHERE d.\"project_id\" " \
	"OPERATOR(pg_catalog.=) ANY($1::bigint[]) AND d.\"ts\" OPERATOR(pg_catalog.>=) " \
	"$2::timestamptz AND d.\"ts\" OPERATOR(pg_catalog.<) $3::timestamptz"

#define TAG(n) "(d.\"tags\" OPERATOR(pg_catalog.->>) $" #n ")"
#define SAFE_NUM(x) "CASE WHEN " x " ~ '^-?[0-9]+([.][0-9]+)?$' THEN (" x ")::numeric END"

typedef struct SqlCase
{
	const char *name;
	const char *fields[MAXN];
	const char *equations[MAXN];
	const char *query;
	const char *sort[MAXN];
	const char *environments[MAXN];
	int64_t		limit;
	const char *sql;
	const char *params[MAXN];	/* from $4 on */
	const char *headers[MAXN];
} SqlCase;

static const SqlCase sql_cases[] = {
	{
		"plain columns",
		{"id", "message", "we\"ird", "user"}, {0}, "", {"user"}, {0}, 0,
		"SELECT d.\"id\" AS c1, d.\"message\" AS c2, d.\"we\"\"ird\" AS c3, "
		"d.\"user\"::jsonb AS c4" FROM_WHERE " ORDER BY 4 NULLS LAST",
		{0},
		{"id", "message", "we\"ird", "user"}
	},
	{
		"tags and limit",
		{"tags[browser]", "transaction"}, {0}, NULL, {0}, {0}, 1000,
		"SELECT " TAG(4) " AS c1, d.\"transaction\" AS c2" FROM_WHERE
		" LIMIT $5::bigint",
		{"browser", "1001"},
		{"tags[browser]", "transaction"}
	},
	{
		"aggregates group by",
		{"transaction", "count()", "count(id)", "count_unique(tags[browser])",
		"tags[os]"}, {0}, "", {"-count()"}, {0}, 0,
		"SELECT d.\"transaction\" AS c1, count(*) AS c2, count(d.\"id\") AS c3, "
		"count(DISTINCT " TAG(4) ") AS c4, " TAG(5) " AS c5" FROM_WHERE
		" GROUP BY 1, 5 ORDER BY 2 DESC NULLS LAST",
		{"browser", "os"},
		{"transaction", "count", "count_id", "count_unique_tags_browser", "tags[os]"}
	},
	{
		"every function",
		{"min(duration)", "max(ts)", "avg(duration)", "sum(duration)",
			"p50(duration)", "p75(duration)", "p95(duration)", "p99(duration)",
			"percentile(duration, 0.3)", "last_seen()", "first_seen()",
		"count_unique(user) as users", "min(tags[x])"},
		{0}, "", {0}, {0}, 0,
		"SELECT min(d.\"duration\") AS c1, max(d.\"ts\") AS c2, "
		"avg(d.\"duration\")::float8 AS c3, sum(d.\"duration\") AS c4, "
		"percentile_cont($4::float8) WITHIN GROUP (ORDER BY d.\"duration\") AS c5, "
		"percentile_cont($5::float8) WITHIN GROUP (ORDER BY d.\"duration\") AS c6, "
		"percentile_cont($6::float8) WITHIN GROUP (ORDER BY d.\"duration\") AS c7, "
		"percentile_cont($7::float8) WITHIN GROUP (ORDER BY d.\"duration\") AS c8, "
		"percentile_cont($8::float8) WITHIN GROUP (ORDER BY d.\"duration\") AS c9, "
		"max(d.\"ts\") AS c10, min(d.\"ts\") AS c11, "
		"count(DISTINCT d.\"user\"::text) AS c12, min(" TAG(9) ") AS c13" FROM_WHERE,
		{"0.5", "0.75", "0.95", "0.99", "0.3", "x"},
		{"min_duration", "max_ts", "avg_duration", "sum_duration", "p50_duration",
			"p75_duration", "p95_duration", "p99_duration",
		"percentile_duration_0_3", "last_seen", "first_seen", "users", "min_tags_x"}
	},
	{
		"equations",
		{"transaction", "count()", "tags[k]"},
		{"count() / 2", "count_unique(id) * 100 / count()", "tags[k] + -1.5",
		"p95(duration) - count()"},
		"", {"equation|count() / 2", "-equation[1]"}, {0}, 0,
		"SELECT d.\"transaction\" AS c1, count(*) AS c2, " TAG(4) " AS c3, "
		"((count(*))::numeric::float8 / NULLIF($5::float8, 0)) AS c4, "
		"(((count(DISTINCT d.\"id\"))::numeric::float8 * $6::float8) / "
		"NULLIF((count(*))::numeric::float8, 0)) AS c5, "
		"((" SAFE_NUM(TAG(4)) ")::float8 + $7::float8) AS c6, "
		"((percentile_cont($8::float8) WITHIN GROUP (ORDER BY d.\"duration\"))::float8"
		" - (count(*))::numeric::float8) AS c7"
		FROM_WHERE " GROUP BY 1, 3, 6 ORDER BY 4 NULLS LAST, 5 DESC NULLS LAST",
		{"k", "2", "100", "-1.5", "0.95"},
		{"transaction", "count", "tags[k]", "count() / 2",
		"count_unique(id) * 100 / count()", "tags[k] + -1.5", "p95(duration) - count()"}
	},
	{
		"equation grouped with plain column",
		{"duration", "count()"}, {"duration * count()"}, "", {0}, {0}, 0,
		"SELECT d.\"duration\" AS c1, count(*) AS c2, "
		"(d.\"duration\"::float8 * (count(*))::numeric::float8) AS c3" FROM_WHERE
		" GROUP BY 1",
		{0},
		{"duration", "count", "duration * count()"}
	},
	{
		"equation over a role name",
		{"id"}, {"project + 1"}, "", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1, (d.\"project_id\"::numeric::float8 + $4::float8) AS c2"
		FROM_WHERE,
		{"1"},
		{"id", "project + 1"}
	},
	{
		/* Sentry's storage: integers stay integers under + - *, a number
		 * written in the equation is a float, "/" gives a float */
		"integer and float equations",
		{"transaction", "count()"},
		{"count() + count_unique(id) - count(id)", "sum(id) * count()",
		"count() * 2", "sum(id) / count()", "avg(id) + count()"},
		"", {0}, {0}, 0,
		"SELECT d.\"transaction\" AS c1, count(*) AS c2, "
		"(((count(*))::numeric + (count(DISTINCT d.\"id\"))::numeric) - "
		"(count(d.\"id\"))::numeric) AS c3, "
		"((sum(d.\"id\"))::numeric * (count(*))::numeric) AS c4, "
		"((count(*))::numeric::float8 * $4::float8) AS c5, "
		"((sum(d.\"id\"))::numeric::float8 / NULLIF((count(*))::numeric::float8, 0)) AS c6, "
		"((avg(d.\"id\")::float8)::float8 + (count(*))::numeric::float8) AS c7"
		FROM_WHERE " GROUP BY 1",
		{"2"},
		{"transaction", "count", "count() + count_unique(id) - count(id)",
		"sum(id) * count()", "count() * 2", "sum(id) / count()", "avg(id) + count()"}
	},
	{
		"integer row equation",
		{"id"}, {"id - group_id", "id - duration"}, "", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1, (d.\"id\"::numeric - d.\"group_id\"::numeric) AS c2, "
		"(d.\"id\"::numeric::float8 - d.\"duration\"::float8) AS c3" FROM_WHERE,
		{0},
		{"id", "id - group_id", "id - duration"}
	},
	{
		/* without a slug column: project is the id, project.id too */
		"project and issue.id without slugs",
		{"project", "project.id", "issue.id"}, {0}, "issue.id:7 project.id:1",
		{"-project.id"}, {0}, 0,
		"SELECT d.\"project_id\" AS c1, d.\"project_id\" AS c2, d.\"group_id\" AS c3"
		FROM_WHERE " AND (d.\"group_id\" = $4::numeric AND d.\"project_id\" = $5::numeric)"
		" ORDER BY 2 DESC NULLS LAST",
		{"7", "1"},
		{"project", "project.id", "issue.id"}
	},
	{
		"non-aggregate equation",
		{"id"}, {"(duration + 1) * 2"}, "", {"-id", "ts", "-user"}, {0}, 0,
		"SELECT d.\"id\" AS c1, ((d.\"duration\"::float8 + $4::float8) * $5::float8)"
		" AS c2" FROM_WHERE " ORDER BY 1 DESC NULLS LAST, d.\"ts\" NULLS LAST, "
		"d.\"user\"::jsonb DESC NULLS LAST",
		{"1", "2"},
		{"id", "(duration + 1) * 2"}
	},
	{
		"sort by alias and text",
		{"count() as n", "transaction"}, {0}, "", {"n", "-count() as n", " -transaction "},
		{0}, 5,
		"SELECT count(*) AS c1, d.\"transaction\" AS c2" FROM_WHERE
		" GROUP BY 2 ORDER BY 1 NULLS LAST, 1 DESC NULLS LAST, 2 DESC NULLS LAST LIMIT $4::bigint",
		{"6"},
		{"n", "transaction"}
	},
	{
		"environments",
		{"id"}, {0}, "", {0}, {"prod", "staging"}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND d.\"environment\" IN ($4, $5)",
		{"prod", "staging"},
		{"id"}
	},
	{
		"search: text column, tag, implicit tag",
		{"id"}, {0}, "transaction:/api browser:Chrome tags[os]:linux", {0},
		{0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (d.\"transaction\" = $4 AND "
		TAG(5) " = $6 AND " TAG(7) " = $8)",
		{"/api", "browser", "Chrome", "os", "linux"},
		{"id"}
	},
	{
		"search: negation and typed columns",
		{"id"}, {0},
		"!browser:Chrome !transaction:x duration:1.5 !id:7 handled:Yes "
		"ts:2026-11-01T10:00:00 release:1.0",
		{0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (" TAG(4)
		" IS DISTINCT FROM $5 AND d.\"transaction\" IS DISTINCT FROM $6 AND "
		"d.\"duration\" = $7::numeric AND d.\"id\" IS DISTINCT FROM $8::numeric AND "
		"d.\"handled\" = $9::boolean AND d.\"ts\" = $10::timestamptz AND "
		"d.\"release\"::text = $11)",
		{"browser", "Chrome", "x", "1.5", "7", "true",
		"2026-11-01T10:00:00.000000Z", "1.0"},
		{"id"}
	},
	{
		"search: timestamp day and relative",
		{"id"}, {0}, "ts:2026-11-01 !ts:-24h ts:+7d", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND ((d.\"ts\" >= $4::timestamptz AND "
		"d.\"ts\" < $5::timestamptz) AND NOT COALESCE(d.\"ts\" >= $6::timestamptz, "
		"false) AND d.\"ts\" <= $7::timestamptz)",
		{"2026-11-01T00:00:00.000000Z", "2026-11-02T00:00:00.000000Z",
		"2026-11-27T01:02:03.000000Z", "2026-11-21T01:02:03.000000Z"},
		{"id"}
	},
	{
		"search: wildcards",
		{"id"}, {0}, "transaction:/api/* !browser:*fox* duration:1*", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (d.\"transaction\" LIKE $4 AND "
		"(" TAG(5) " NOT LIKE $6 OR " TAG(5) " IS NULL) AND "
		"d.\"duration\"::text LIKE $7)",
		{"/api/%", "browser", "%fox%", "1%"},
		{"id"}
	},
	{
		"search: in lists",
		{"id"}, {0}, "browser:[Chrome, \"Fire fox\"] !id:[1, 2] !handled:[yes]",
		{0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND ((" TAG(4) " IN ($5, $6)) AND "
		"(NOT (d.\"id\" IN ($7::numeric, $8::numeric)) OR d.\"id\" IS NULL) AND "
		"(NOT (d.\"handled\" IN ($9::boolean)) OR d.\"handled\" IS NULL))",
		{"browser", "Chrome", "Fire fox", "1", "2", "true"},
		{"id"}
	},
	{
		"search: comparisons",
		{"id"}, {0},
		"duration:>10 duration:<=2.5 ts:>=2026-11-01 ts:<-1h level:>5 !tags[n]:<3",
		{0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (d.\"duration\" > $4::numeric AND "
		"d.\"duration\" <= $5::numeric AND d.\"ts\" >= $6::timestamptz AND "
		"d.\"ts\" < $7::timestamptz AND " SAFE_NUM("d.\"level\"") " > $8::numeric AND "
		"NOT COALESCE(" SAFE_NUM(TAG(9)) " < $10::numeric, false))",
		{"10", "2.5", "2026-11-01T00:00:00.000000Z", "2026-11-28T00:02:03.000000Z",
		"5", "n", "3"},
		{"id"}
	},
	{
		"search: has and empty values",
		{"id"}, {0}, "has:browser !has:os has:duration !has:transaction "
		"browser:\"\" !transaction:\"\" duration:\"\"",
		{0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (d.\"tags\" OPERATOR(pg_catalog.?) $4 AND "
		"NOT COALESCE(d.\"tags\" OPERATOR(pg_catalog.?) $5, false) AND d.\"duration\" IS NOT NULL AND "
		"d.\"transaction\" IS NULL AND (" TAG(6) " IS NULL OR " TAG(6) " = '') AND "
		"(d.\"transaction\" IS NOT NULL AND d.\"transaction\" <> '') AND "
		"d.\"duration\" IS NULL)",
		{"browser", "os", "browser"},
		{"id"}
	},
	{
		"search: free text",
		{"id"}, {0}, "\"connection reset\" !timeout 100%_done", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (d.\"message\" ILIKE $4 AND "
		"(d.\"message\" NOT ILIKE $5 OR d.\"message\" IS NULL) AND "
		"d.\"message\" ILIKE $6)",
		{"%connection reset%", "%timeout%", "%100\\%\\_done%"},
		{"id"}
	},
	{
		"search: boolean operators",
		{"id"}, {0}, "a:1 OR b:2 c:3 OR (d:4 OR e:5) AND (f:6 g:7)", {0}, {0}, 0,
		"SELECT d.\"id\" AS c1" FROM_WHERE " AND (" TAG(4) " = $5 OR (" TAG(6)
		" = $7 AND " TAG(8) " = $9) OR ((" TAG(10) " = $11 OR " TAG(12)
		" = $13) AND " TAG(14) " = $15 AND " TAG(16) " = $17))",
		{"a", "1", "b", "2", "c", "3", "d", "4", "e", "5", "f", "6", "g", "7"},
		{"id"}
	},
};

typedef struct ErrCase
{
	const char *name;
	const Dataset *ds;
	const char *fields[MAXN];
	const char *equations[MAXN];
	const char *query;
	const char *sort[MAXN];
	const char *environments[MAXN];
	const char *message;
} ErrCase;

static const ErrCase err_cases[] = {
	{"no fields", &full_ds, {0}, {0}, "", {0}, {0},
	"at least one field is required to export"},
	{"field syntax", &full_ds, {"min()"}, {0}, "", {0}, {0},
	"min: expected 1 argument(s) but got 0 argument(s)"},
	{"unknown function", &full_ds, {"foo(id)"}, {0}, "", {0}, {0},
	"foo is not a valid function"},
	{"equation syntax", &full_ds, {"id"}, {"id +"}, "", {0}, {0},
	"Invalid equation \"id +\": expected a field, function or number at the end"},
	{"unknown field", &full_ds, {"id", "nope"}, {0}, "", {0}, {0},
	"Unknown field \"nope\" for dataset \"discover\""},
	{"unknown function column", &full_ds, {"count(nope)"}, {0}, "", {0}, {0},
	"Unknown field \"nope\" for dataset \"discover\""},
	{"unknown equation column", &full_ds, {"id"}, {"nope * 2"}, "", {0}, {0},
	"Unknown field \"nope\" for dataset \"discover\""},
	{"tag field without tags", &bare_ds, {"tags[x]"}, {0}, "", {0}, {0},
	"Dataset \"bare\" has no tags column"},
	{"project.name without slugs", &full_ds, {"project.name"}, {0}, "", {0}, {0},
	"project.name needs the projects' slug column"},
	{"issue without a short id", &full_ds, {"id", "issue"}, {0}, "", {0}, {0},
	"Dataset \"discover\" has no issue short-id column"},
	{"issue search without a short id", &full_ds, {"id"}, {0}, "issue:ACME-1", {0}, {0},
	"Dataset \"discover\" has no issue short-id column"},
	{"short id without slugs", &short_id_no_slug_ds, {"issue"}, {0}, "", {0}, {0},
	"issue needs the projects' slug column to build short ids"},
	{"issue.id without group", &bare_ds, {"issue.id"}, {0}, "", {0}, {0},
	"Unknown field \"issue.id\" for dataset \"bare\""},
	{"tag search without tags", &bare_ds, {"pid"}, {0}, "tags[x]:1", {0}, {0},
	"Dataset \"bare\" has no tags column"},
	{"unknown key without tags", &bare_ds, {"pid"}, {0}, "browser:x", {0}, {0},
	"Unknown field \"browser\" for dataset \"bare\""},
	{"free text without message", &bare_ds, {"pid"}, {0}, "oops", {0}, {0},
	"Dataset \"bare\" has no message column for free-text search"},
	{"environment without column", &bare_ds, {"pid"}, {0}, "", {0}, {"prod"},
	"Dataset \"bare\" has no environment column"},
	{"avg of text", &full_ds, {"avg(message)"}, {0}, "", {0}, {0},
	"avg: message is not a numeric column"},
	{"sum of tag", &full_ds, {"sum(tags[n])"}, {0}, "", {0}, {0},
	"sum: tags[n] is not a numeric column"},
	{"p95 of timestamp", &full_ds, {"p95(ts)"}, {0}, "", {0}, {0},
	"p95: ts is not a numeric column"},
	{"percentile of json", &full_ds, {"percentile(user, 0.5)"}, {0}, "", {0}, {0},
	"percentile: user is not a numeric column"},
	{"max of bool", &full_ds, {"max(handled)"}, {0}, "", {0}, {0},
	"max: handled is not a numeric, timestamp or text column"},
	{"equation mixes", &full_ds, {"count()"}, {"count() + duration"}, "", {0}, {0},
	"Equation \"count() + duration\" mixes aggregates and plain columns"},
	{"equation mixes tag", &full_ds, {"tags[a]", "count()"}, {"count() * tags[b]"},
		"", {0}, {0},
	"Equation \"count() * tags[b]\" mixes aggregates and plain columns"},
	{"equation text column", &full_ds, {"id"}, {"message * 2"}, "", {0}, {0},
	"Equation \"message * 2\": message is not a numeric column"},
	{"equation date function", &full_ds, {"count()"}, {"last_seen() - 1"}, "", {0},
		{0},
	"Equation \"last_seen() - 1\": last_seen() is not numeric"},
	{"equation min of text", &full_ds, {"count()"}, {"min(message) + 1"}, "", {0},
		{0},
	"Equation \"min(message) + 1\": min(message) is not numeric"},
	{"sort unknown", &full_ds, {"id"}, {0}, "", {"-nope"}, {0},
	"Cannot sort by \"nope\": it is not one of the selected fields"},
	{"sort ungrouped column", &full_ds, {"transaction", "count()"}, {0}, "",
		{"id"}, {0},
	"Cannot sort by \"id\": it is not one of the selected fields"},
	{"sort equation out of range", &full_ds, {"id"}, {"id * 2"}, "",
		{"equation[1]"}, {0},
	"Cannot sort by \"equation[1]\": it is not one of the selected fields"},
	{"sort empty", &full_ds, {"id"}, {0}, "", {"-"}, {0},
	"Cannot sort by \"\": it is not one of the selected fields"},
	{"search syntax", &full_ds, {"id"}, {0}, "foo:", {0}, {0},
	"Empty string after 'foo:'"},
	{"bad number", &full_ds, {"id"}, {0}, "duration:abc", {0}, {0},
	"Invalid number \"abc\" for \"duration\""},
	{"bad number in list", &full_ds, {"id"}, {0}, "id:[1, x]", {0}, {0},
	"Invalid number \"x\" for \"id\""},
	{"bad date", &full_ds, {"id"}, {0}, "ts:yesterday", {0}, {0},
	"Invalid date \"yesterday\" for \"ts\""},
	{"bad boolean", &full_ds, {"id"}, {0}, "handled:maybe", {0}, {0},
	"Invalid boolean \"maybe\" for \"handled\""},
	{"number compared with date", &full_ds, {"id"}, {0}, "ts:>5", {0}, {0},
	"Invalid date \"5\" for \"ts\""},
	{"date compared with number column", &full_ds, {"id"}, {0},
		"duration:>2026-01-01", {0}, {0},
	"Invalid number \"2026-01-01\" for \"duration\""},
	{"date compared with tag", &full_ds, {"id"}, {0}, "seen:>-1h", {0}, {0},
	"Cannot compare \"seen\" with a date: it is not a timestamp column"},
	{"boolean compared", &full_ds, {"id"}, {0}, "handled:>1", {0}, {0},
	"Cannot use \">\" on boolean \"handled\""},
};

/* ---- running a case ---- */

static void
make_query(DiscoverQuery *q, const Dataset *ds, const char *const *fields,
		   const char *const *equations, const char *query,
		   const char *const *sort, const char *const *environments,
		   int64_t limit)
{
	static const int64_t projects[] = {1, 2};

	memset(q, 0, sizeof(*q));
	q->ds = ds;
	q->fields = (char **) fields;
	q->nfields = count_strings(fields);
	q->equations = (char **) equations;
	q->nequations = count_strings(equations);
	q->query = query;
	q->sort = (char **) sort;
	q->nsort = count_strings(sort);
	q->projects = projects;
	q->nprojects = 2;
	q->start = T_START;
	q->end = T_NOW;
	q->environments = (char **) environments;
	q->nenvironments = count_strings(environments);
	q->row_limit = limit;
	q->now = T_NOW;
}

static void
test_sql_case(void **state)
{
	static const char *const lead[] = {"{1,2}", P_START, P_END};
	const SqlCase *c = *state;
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	make_query(&q, &full_ds, c->fields, c->equations, c->query, c->sort,
			   c->environments, c->limit);
	assert_built(discover_build(&q, quote_always, &bq, &err), &bq, &err,
				 c->sql, lead, NELEMS(lead), c->params, c->headers);
}

static void
test_err_case(void **state)
{
	const ErrCase *c = *state;
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	make_query(&q, c->ds, c->fields, c->equations, c->query, c->sort,
			   c->environments, 100);
	assert_refused(discover_build(&q, quote_always, &bq, &err), &bq, &err,
				   c->message);
}

/* ---- other tests ---- */

static void
test_empty_projects_and_huge_limit(void **state)
{
	const char *fields[] = {"id", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	make_query(&q, &full_ds, fields, none, "", none, none, INT64_MAX);
	q.nprojects = 0;
	assert_true(discover_build(&q, quote_always, &bq, &err));
	assert_string_equal(bq.params[0], "{}");
	assert_string_equal(bq.params[3], "9223372036854775807");
	built_query_clear(&bq);
}

/* A non-text environment column is compared as text. */
static void
test_environment_cast(void **state)
{
	const char *fields[] = {"pid", NULL};
	const char *envs[] = {"prod", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	make_query(&q, &other_env_ds, fields, none, "needle", none, envs, 0);
	assert_true(discover_build(&q, quote_always, &bq, &err));
	assert_string_equal(bq.sql,
						"SELECT d.\"pid\" AS c1 FROM \"envs\" AS d WHERE "
						"d.\"pid\" OPERATOR(pg_catalog.=) ANY($1::bigint[]) AND d.\"at\" "
						"OPERATOR(pg_catalog.>=) $2::timestamptz"
						" AND d.\"at\" OPERATOR(pg_catalog.<) $3::timestamptz AND d.\"env\"::text IN ($4)"
						" AND (d.\"body\"::text ILIKE $5)");
	assert_string_equal(bq.params[4], "%needle%");
	built_query_clear(&bq);
}

/* Role names ("project", "environment", ...) reach the registered columns,
 * in fields, search and sort, whatever those columns are called. */
static void
test_role_names(void **state)
{
	const char *fields[] = {"project", "environment", NULL};
	const char *sort[] = {"-timestamp", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	make_query(&q, &other_env_ds, fields, none, "environment:prod", sort, none, 0);
	assert_true(discover_build(&q, quote_always, &bq, &err));
	assert_string_equal(bq.sql,
						"SELECT d.\"pid\" AS c1, d.\"env\" AS c2 FROM \"envs\" AS d WHERE "
						"d.\"pid\" OPERATOR(pg_catalog.=) ANY($1::bigint[]) AND d.\"at\" "
						"OPERATOR(pg_catalog.>=) $2::timestamptz"
						" AND d.\"at\" OPERATOR(pg_catalog.<) $3::timestamptz AND (d.\"env\"::text = $4)"
						" ORDER BY d.\"at\" DESC NULLS LAST");
	assert_string_equal(bq.headers[0], "project");
	assert_string_equal(bq.headers[1], "environment");
	built_query_clear(&bq);
}

/*
 * Payload text never reaches the SQL text: each hostile string goes through
 * every place a payload value can take, and must come out as a parameter.
 */
static const char *const hostile[] = {
	"x'); DROP TABLE t; --",
	"\"; DELETE FROM users; --",
	"a' OR '1'='1",
	"); SELECT pg_sleep(10); --",
	"tags\" ->> 1; --",
};

static void
assert_clean(const BuiltQuery *bq, const char *payload)
{
	bool		bound = false;
	char	   *escaped = search_like_escape(payload);

	assert_sql_clean(bq, payload);
	for (int i = 0; i < bq->nparams; i++)
		bound |= strstr(bq->params[i], payload) != NULL ||
			strstr(bq->params[i], escaped) != NULL;
	de_free(escaped);
	assert_true(bound);
}

static char *
quoted(const char *s)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_append_char(&sb, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			sb_append_char(&sb, '\\');
		sb_append_char(&sb, *s);
	}
	sb_append_char(&sb, '"');
	return sb_steal(&sb);
}

static void
test_injection(void **state)
{
	const char *none[] = {NULL};

	(void) state;
	for (size_t h = 0; h < sizeof(hostile) / sizeof(hostile[0]); h++)
	{
		const char *payload = hostile[h];
		char	   *qp = quoted(payload);
		StrBuf		tagfield;
		StrBuf		query;
		const char *places[8];
		int			nplaces = 0;

		sb_init(&tagfield);
		sb_appendf(&tagfield, "tags[%s]", payload);
		sb_init(&query);

		/* search values: equality, negation, wildcard, list, comparison,
		 * free text; tag keys through has: and tags[...] */
		sb_reset(&query);
		sb_appendf(&query, "transaction:%s", qp);
		places[nplaces++] = de_strdup(query.data);
		sb_reset(&query);
		sb_appendf(&query, "!browser:%s", qp);
		places[nplaces++] = de_strdup(query.data);
		sb_reset(&query);
		sb_appendf(&query, "browser:[a, %s]", qp);
		places[nplaces++] = de_strdup(query.data);
		sb_reset(&query);
		sb_appendf(&query, "%s", qp);
		places[nplaces++] = de_strdup(query.data);
		sb_reset(&query);
		/* the escaped payload between "* and *" */
		sb_appendf(&query, "!transaction:\"*%.*s*\"", (int) strlen(qp) - 2,
				   qp + 1);
		places[nplaces++] = de_strdup(query.data);
		sb_reset(&query);
		sb_appendf(&query, "tags[%s]:1", payload);
		places[nplaces++] = de_strdup(query.data);

		for (int i = 0; i < nplaces; i++)
		{
			const char *fields[] = {"id", NULL};
			DiscoverQuery q;
			BuiltQuery	bq;
			DeError		err = {0};

			make_query(&q, &full_ds, fields, none, places[i], none, none, 0);
			if (!discover_build(&q, quote_always, &bq, &err))
				fail_msg("query %s: %s", places[i], err.message);
			assert_clean(&bq, payload);
			built_query_clear(&bq);
			de_free((char *) places[i]);
		}

		/* tag keys in fields, function arguments and equations; environments */
		{
			const char *fields[] = {tagfield.data, "count()", NULL};
			char	   *eqtext;
			const char *envs[] = {payload, NULL};
			const char *eqs[2] = {NULL, NULL};
			const char *sort[] = {tagfield.data, NULL};
			DiscoverQuery q;
			BuiltQuery	bq;
			DeError		err = {0};
			StrBuf		eq;

			sb_init(&eq);
			sb_appendf(&eq, "count() * tags[%s]", payload);
			eqtext = sb_steal(&eq);
			eqs[0] = eqtext;
			make_query(&q, &full_ds, fields, eqs, "", sort, envs, 10);
			if (!discover_build(&q, quote_always, &bq, &err))
				fail_msg("tag field %s: %s", tagfield.data, err.message);
			assert_clean(&bq, payload);
			built_query_clear(&bq);
			de_free(eqtext);
		}

		/* names that are no column are refused, and never quoted into SQL */
		{
			const char *fields[] = {payload, NULL};
			const char *ok_fields[] = {"id", NULL};
			const char *sort[] = {payload, NULL};
			DiscoverQuery q;
			BuiltQuery	bq;
			DeError		err = {0};

			make_query(&q, &full_ds, fields, none, "", none, none, 0);
			assert_false(discover_build(&q, quote_always, &bq, &err));
			make_query(&q, &full_ds, ok_fields, none, "", sort, none, 0);
			assert_false(discover_build(&q, quote_always, &bq, &err));
			assert_non_null(strstr(err.message, "Cannot sort by"));
		}
		sb_free(&tagfield);
		sb_free(&query);
		de_free(qp);
	}
}

/*
 * Fields, equations and search parsed by the caller (payload_normalize's
 * ExportRequest.items and .search): every SQL case gives the same text,
 * parameters and headers, and the texts are not parsed again (they are
 * replaced by ones that do not parse).  The caller's parse is left as it
 * was.
 */
static void
test_parsed_by_caller(void **state)
{
	static const char *const garbage[MAXN] = {
		"(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "(", "("
	};

	(void) state;
	for (size_t c = 0; c < sizeof(sql_cases) / sizeof(sql_cases[0]); c++)
	{
		const SqlCase *sc = &sql_cases[c];
		DiscoverQuery q;
		BuiltQuery	text_bq;
		BuiltQuery	bq;
		DeError		err = {0};
		Field		items[2 * MAXN];
		SearchNode *search = NULL;
		int			nitems = 0;

		make_query(&q, &full_ds, sc->fields, sc->equations, sc->query, sc->sort,
				   sc->environments, sc->limit);
		if (!discover_build(&q, quote_always, &text_bq, &err))
			fail_msg("%s: %s", sc->name, err.message);
		for (int i = 0; i < q.nfields; i++)
			assert_true(field_parse(sc->fields[i], &items[nitems++], &err));
		for (int i = 0; i < q.nequations; i++)
			assert_true(equation_parse(sc->equations[i], &items[nitems++], &err));
		assert_true(search_parse(sc->query, &search, &err));

		q.fields = (char **) garbage;
		q.equations = (char **) garbage;
		q.query = "foo:";
		q.items = items;
		q.search_parsed = true;
		q.search = search;
		if (!discover_build(&q, quote_always, &bq, &err))
			fail_msg("%s (parsed): %s", sc->name, err.message);
		assert_string_equal(bq.sql, text_bq.sql);
		assert_int_equal(bq.nparams, text_bq.nparams);
		for (int i = 0; i < bq.nparams; i++)
			assert_string_equal(bq.params[i], text_bq.params[i]);
		assert_int_equal(bq.ncolumns, text_bq.ncolumns);
		for (int i = 0; i < bq.ncolumns; i++)
		{
			assert_string_equal(bq.headers[i], text_bq.headers[i]);
			assert_string_equal(items[i].header, text_bq.headers[i]);
		}
		built_query_clear(&bq);
		built_query_clear(&text_bq);
		for (int i = 0; i < nitems; i++)
			field_clear(&items[i]);
		if (search != NULL)
			search_free(search);
	}
}

/* The caller's parse also carries errors that need the dataset. */
static void
test_parsed_by_caller_errors(void **state)
{
	const char *fields[] = {"nope", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};
	Field		item;
	SearchNode *search = NULL;

	(void) state;
	assert_true(field_parse("id", &item, &err));
	assert_true(search_parse("duration:abc", &search, &err));
	make_query(&q, &full_ds, fields, none, "", none, none, 0);
	q.items = &item;
	q.search_parsed = true;
	q.search = search;
	assert_false(discover_build(&q, quote_always, &bq, &err));
	assert_string_equal(err.message, "Invalid number \"abc\" for \"duration\"");
	assert_null(bq.sql);
	field_clear(&item);
	search_free(search);
}

/* Many terms: linear, and no recursion per term. */
static void
test_many_terms(void **state)
{
	const char *fields[] = {"id", NULL};
	const char *none[] = {NULL};
	StrBuf		query;
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	sb_init(&query);
	for (int i = 0; i < 1000; i++)
		sb_appendf(&query, "%sk%d:v", i % 2 ? " OR " : " ", i);
	make_query(&q, &full_ds, fields, none, query.data, none, none, 0);
	if (!discover_build(&q, quote_always, &bq, &err))
		fail_msg("%s", err.message);
	assert_int_equal(bq.nparams, 3 + 2000);
	built_query_clear(&bq);
	sb_free(&query);
}

/* Sentry's base 32 of d."id", as the builder writes it */
static void
append_b32(StrBuf *sb)
{
	sb_append(sb, "CASE WHEN (d.\"id\")::bigint >= 0 THEN COALESCE(NULLIF(pg_catalog.ltrim(");
	for (int shift = 60; shift >= 0; shift -= 5)
		sb_appendf(sb, "%spg_catalog.substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ', "
				   "(((d.\"id\")::bigint >> %d) & 31)::integer + 1, 1)",
				   shift < 60 ? " || " : "", shift);
	sb_append(sb, ", '0'), ''), '0') END");
}

/*
 * With the projects' slug column: project and project.name are the slug
 * (through one join, restricted to the export's projects), project.id the
 * id, issue the short id built from the slug, issue.id the group; in
 * fields, search and sort alike.
 */
static void
test_slugs_and_short_ids(void **state)
{
	const char *fields[] = {"project", "project.name", "project.id", "issue",
	"issue.id", NULL};
	const char *sort[] = {"-project", "issue", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};
	StrBuf		want;
	StrBuf		issue;

	(void) state;
	sb_init(&issue);
	sb_append(&issue, "COALESCE(pg_catalog.upper(dp.slug) || '-' || ");
	append_b32(&issue);
	sb_append(&issue, ", 'unknown')");
	sb_init(&want);
	sb_appendf(&want, "SELECT dp.slug AS c1, dp.slug AS c2, d.\"project_id\" AS c3, "
			   "%s AS c4, d.\"group_id\" AS c5 FROM \"app\".\"events\" AS d "
			   "LEFT JOIN (SELECT DISTINCT ON (1) p.\"pk\"::bigint AS id, "
			   "p.\"slug\"::text AS slug FROM \"app\".\"projects\" AS p WHERE p.\"pk\" "
			   "OPERATOR(pg_catalog.=) ANY($1::bigint[]) ORDER BY 1) AS dp ON dp.id "
			   "OPERATOR(pg_catalog.=) d.\"project_id\" WHERE d.\"project_id\" "
			   "OPERATOR(pg_catalog.=) ANY($1::bigint[]) AND d.\"ts\" OPERATOR(pg_catalog.>=) "
			   "$2::timestamptz AND d.\"ts\" OPERATOR(pg_catalog.<) $3::timestamptz AND "
			   "(dp.slug = $4 AND %s = $5 AND d.\"project_id\" = $6::numeric) "
			   "ORDER BY 1 DESC NULLS LAST, 4 NULLS LAST",
			   issue.data, issue.data);
	make_query(&q, &short_id_ds, fields, none,
			   "project:backend issue:BACKEND-1A project.id:1", sort, none, 0);
	if (!discover_build(&q, quote_always, &bq, &err))
		fail_msg("%s", err.message);
	assert_string_equal(bq.sql, want.data);
	assert_int_equal(bq.nparams, 6);
	assert_string_equal(bq.params[3], "backend");
	assert_string_equal(bq.params[4], "BACKEND-1A");
	assert_string_equal(bq.headers[0], "project");
	assert_string_equal(bq.headers[1], "project.name");
	assert_string_equal(bq.headers[3], "issue");
	built_query_clear(&bq);

	/* not selected: the sort reads the slug too; no join when unused */
	{
		const char *f2[] = {"id", NULL};
		const char *s2[] = {"project", NULL};

		make_query(&q, &short_id_ds, f2, none, "", s2, none, 0);
		if (!discover_build(&q, quote_always, &bq, &err))
			fail_msg("%s", err.message);
		assert_non_null(strstr(bq.sql, "LEFT JOIN"));
		assert_non_null(strstr(bq.sql, " ORDER BY dp.slug NULLS LAST"));
		built_query_clear(&bq);
		make_query(&q, &short_id_ds, f2, none, "", f2, none, 0);
		if (!discover_build(&q, quote_always, &bq, &err))
			fail_msg("%s", err.message);
		assert_null(strstr(bq.sql, "JOIN"));
		built_query_clear(&bq);
	}
	sb_free(&want);
	sb_free(&issue);
}

/* A registered short-id column is written as is, "unknown" when NULL. */
static void
test_issue_column(void **state)
{
	const char *fields[] = {"issue", "count()", NULL};
	const char *none[] = {NULL};
	DiscoverQuery q;
	BuiltQuery	bq;
	DeError		err = {0};

	(void) state;
	make_query(&q, &issue_column_ds, fields, none, "has:issue", none, none, 0);
	if (!discover_build(&q, quote_always, &bq, &err))
		fail_msg("%s", err.message);
	assert_string_equal(bq.sql,
						"SELECT COALESCE(d.\"transaction\"::text, 'unknown') AS c1, count(*) AS c2"
						FROM_WHERE " AND (d.\"transaction\" IS NOT NULL)"
						" GROUP BY 1");
	built_query_clear(&bq);
}

int
main(void)
{
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, NULL, sql_cases, test_sql_case);
	CASE_TABLE(&list, NULL, err_cases, test_err_case);
	CASE_TEST(&list, test_empty_projects_and_huge_limit);
	CASE_TEST(&list, test_environment_cast);
	CASE_TEST(&list, test_role_names);
	CASE_TEST(&list, test_slugs_and_short_ids);
	CASE_TEST(&list, test_issue_column);
	CASE_TEST(&list, test_injection);
	CASE_TEST(&list, test_many_terms);
	CASE_TEST(&list, test_parsed_by_caller);
	CASE_TEST(&list, test_parsed_by_caller_errors);
	return case_list_run(&list, "discover_sql");
}
