/*
 * test_payload.c
 *	  Unit tests of payload.c: Sentry's validation messages, the normalized
 *	  query.info, the dedupe key and the request fields.
 *
 * Payloads are written with single quotes, which payload_json() turns into
 * double quotes, so that the tables stay readable (a real single quote is
 * \u0027).  `now` is fixed at 2026-11-28T01:02:03.5Z so that every date in
 * the expected outputs is a literal.
 */
#include "case_runner.h"

#include "fields.h"
#include "dom_from_jsonapi.h"
#include "payload.h"
#include "search.h"

/* payload_normalize() of a JSON text, parsed as the server's jsonb would be */
static bool
normalize_text(const char *json, size_t len, de_time now, ExportRequest *req,
			   DeError *err)
{
	DjValue    *root = dj_from_json(json, len, err);
	bool		ok;

	if (root == NULL)
	{
		memset(req, 0, sizeof(*req));
		return false;
	}
	ok = payload_normalize(root, now, req, err);
	dj_free(root);
	return ok;
}


/* 2026-11-28T01:02:03.5Z */
#define NOW (INT64_C(1795827723) * DE_USECS_PER_SEC + 500000)
#define HOUR (INT64_C(3600) * DE_USECS_PER_SEC)
#define DAY (24 * HOUR)

#define DISCOVER(qi) "{'query_type':'Discover','query_info':{" qi "}}"
#define BY_TAG(qi) "{'query_type':'Issues-by-Tag','query_info':{" qi "}}"
#define SQL(qi) "{'query_type':'SQL','query_info':{" qi "}}"
#define MINIMAL "'field':['title'],'query':''"
#define SQL_TOP(top) "{'query_type':'SQL','query_info':{'sql':'SELECT 1'}," top "}"

#define TEN_FIELDS "'a','b','c','d','e','f','g','h','i','j'"

/* the payload text with ' turned into " */
static char *
payload_json(const char *s)
{
	char	   *copy = strdup(s);

	for (char *p = copy; *p; p++)
	{
		if (*p == '\'')
			*p = '"';
	}
	return copy;
}

static bool
normalize(const char *payload, de_time now, ExportRequest *req, DeError *err)
{
	char	   *json = payload_json(payload);
	bool		ok = normalize_text(json, strlen(json), now, req, err);

	free(json);
	return ok;
}

static void
assert_json(const DjValue *v, const char *want_quoted)
{
	char	   *want = payload_json(want_quoted);
	char	   *got = dj_serialize(v);
	DeError		err = {0};
	DjValue    *want_dom = dj_from_json(want, strlen(want), &err);
	DjValue    *got_dom = dj_from_json(got, strlen(got), &err);
	char	   *want_jsonb;
	char	   *got_jsonb;

	/* compared as jsonb stores them: key order does not matter */
	assert_non_null(want_dom);
	assert_non_null(got_dom);
	want_jsonb = dj_serialize(want_dom);
	got_jsonb = dj_serialize(got_dom);
	if (strcmp(got_jsonb, want_jsonb) != 0)
		assert_string_equal(got, want);
	de_free(want_jsonb);
	de_free(got_jsonb);
	dj_free(want_dom);
	dj_free(got_dom);
	de_free(got);
	free(want);
}

static void
assert_cleared(const ExportRequest *req)
{
	ExportRequest zero;

	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(req, &zero, sizeof(zero));
}

/* ---- validation messages ---- */

typedef struct ErrorCase
{
	const char *name;
	const char *payload;
	const char *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
	/* the payload itself */
	{"payload is a list", "[]", "Invalid data. Expected a dictionary, but got list."},
	{"payload is a string", "'x'", "Invalid data. Expected a dictionary, but got str."},
	{"payload is an int", "7", "Invalid data. Expected a dictionary, but got int."},
	{"payload is a float", "7.5", "Invalid data. Expected a dictionary, but got float."},
	{"payload is a bool", "true", "Invalid data. Expected a dictionary, but got bool."},
	{"payload is null", "null", "Invalid data. Expected a dictionary, but got null."},

	/* query_type */
	{"query_type missing", "{'query_info':{}}", "query_type: This field is required."},
	{"query_type null", "{'query_type':null,'query_info':{}}", "query_type: This field is required."},
	{"query_type number", "{'query_type':1,'query_info':{}}", "query_type: This field is required."},
	{"query_type list", "{'query_type':['SQL'],'query_info':{}}", "query_type: This field is required."},
	{"query_type unknown", "{'query_type':'Foo','query_info':{}}", "query_type: \"Foo\" is not a valid choice."},
	{"query_type wrong case", "{'query_type':'discover','query_info':{}}", "query_type: \"discover\" is not a valid choice."},
	{"query_type empty", "{'query_type':'','query_info':{}}", "query_type: \"\" is not a valid choice."},
	{"query_type checked before query_info", "{'query_type':'Foo'}", "query_type: \"Foo\" is not a valid choice."},

	/* query_info */
	{"query_info missing", "{'query_type':'Discover'}", "query_info: This field is required."},
	{"query_info string", "{'query_type':'Discover','query_info':'x'}", "query_info: Expected a dictionary of items but got type \"str\"."},
	{"query_info list", "{'query_type':'Discover','query_info':[]}", "query_info: Expected a dictionary of items but got type \"list\"."},
	{"query_info int", "{'query_type':'Discover','query_info':1}", "query_info: Expected a dictionary of items but got type \"int\"."},
	{"query_info float", "{'query_type':'Discover','query_info':2.5}", "query_info: Expected a dictionary of items but got type \"float\"."},
	/* jsonb holds 1e3 as the numeric 1000 */
	{"query_info exponent is an int", "{'query_type':'Discover','query_info':1e3}", "query_info: Expected a dictionary of items but got type \"int\"."},
	{"query_info bool", "{'query_type':'Discover','query_info':false}", "query_info: Expected a dictionary of items but got type \"bool\"."},
	{"query_info null", "{'query_type':'Discover','query_info':null}", "query_info: Expected a dictionary of items but got type \"null\"."},

	/* organization */
	{"organization word", SQL_TOP("'organization':'acme'"), "organization: A valid integer is required."},
	{"organization float", SQL_TOP("'organization':1.5"), "organization: A valid integer is required."},
	{"organization bool", SQL_TOP("'organization':true"), "organization: A valid integer is required."},
	{"organization list", SQL_TOP("'organization':[1]"), "organization: A valid integer is required."},
	{"organization empty string", SQL_TOP("'organization':''"), "organization: A valid integer is required."},
	{"organization beyond int64", SQL_TOP("'organization':99999999999999999999"), "organization: A valid integer is required."},

	/* limit */
	{"limit word", SQL_TOP("'limit':'many'"), "limit: A valid integer is required."},
	{"limit float", SQL_TOP("'limit':2.5"), "limit: A valid integer is required."},
	{"limit exponent with a fraction", SQL_TOP("'limit':25e-1"), "limit: A valid integer is required."},
	{"limit bool", SQL_TOP("'limit':true"), "limit: A valid integer is required."},
	{"limit object", SQL_TOP("'limit':{}"), "limit: A valid integer is required."},
	{"limit string with junk", SQL_TOP("'limit':'10 rows'"), "limit: A valid integer is required."},
	{"limit zero", SQL_TOP("'limit':0"), "limit: Ensure this value is greater than or equal to 1."},
	{"limit negative", SQL_TOP("'limit':-5"), "limit: Ensure this value is greater than or equal to 1."},
	{"limit zero string", SQL_TOP("'limit':'0'"), "limit: Ensure this value is greater than or equal to 1."},
	{"limit hugely negative", SQL_TOP("'limit':-99999999999999999999"), "limit: Ensure this value is greater than or equal to 1."},

	/* format and compression */
	{"format unknown", SQL_TOP("'format':'xml'"), "format: \"xml\" is not a valid choice."},
	{"format wrong case", SQL_TOP("'format':'CSV'"), "format: \"CSV\" is not a valid choice."},
	{"format number", SQL_TOP("'format':5"), "format: \"5\" is not a valid choice."},
	{"format bool", SQL_TOP("'format':true"), "format: \"True\" is not a valid choice."},
	{"compression unknown", SQL_TOP("'compression':'zip'"), "compression: \"zip\" is not a valid choice."},
	{"compression empty", SQL_TOP("'compression':''"), "compression: \"\" is not a valid choice."},
	{"compression zstd wrong case", SQL_TOP("'compression':'ZSTD'"), "compression: \"ZSTD\" is not a valid choice."},

	/* top-level environment */
	{"environment number", SQL_TOP("'environment':5"), "environment: Expected a string or a list of strings."},
	{"environment list of numbers", SQL_TOP("'environment':['prod',5]"), "environment: Expected a string or a list of strings."},
	{"environment object", SQL_TOP("'environment':{}"), "environment: Expected a string or a list of strings."},

	/* Discover: fields */
	{"field list with a number", DISCOVER("'field':['title',1],'query':''"), "field: Expected a list of strings."},
	{"field number", DISCOVER("'field':1,'query':''"), "field: Expected a list of strings."},
	{"field null", DISCOVER("'field':null,'query':''"), "field: Expected a list of strings."},
	{"field nested list", DISCOVER("'field':[['title']],'query':''"), "field: Expected a list of strings."},
	{"21 fields", DISCOVER("'field':[" TEN_FIELDS "," TEN_FIELDS ",'k'],'query':''"),
	"You can export up to 20 fields at a time. Please delete some and try again."},
	{"21 with equations", DISCOVER("'field':[" TEN_FIELDS "," TEN_FIELDS ",'equation|1 + 1'],'query':''"),
	"You can export up to 20 fields at a time. Please delete some and try again."},
	{"non-string checked before the count", DISCOVER("'field':[" TEN_FIELDS "," TEN_FIELDS ",1],'query':''"),
	"field: Expected a list of strings."},
	{"no fields", DISCOVER("'field':[],'query':''"), "at least one field is required to export"},
	{"field missing", DISCOVER("'query':''"), "at least one field is required to export"},
	{"fields checked before query", DISCOVER("'field':[]"), "at least one field is required to export"},

	/* Discover: query */
	{"query missing", DISCOVER("'field':['title']"),
	"query is a required to export, please pass an empty string if you don't want to set one"},
	{"query null", DISCOVER("'field':['title'],'query':null"),
	"query is a required to export, please pass an empty string if you don't want to set one"},
	{"query number", DISCOVER("'field':['title'],'query':5"),
	"query is a required to export, please pass an empty string if you don't want to set one"},

	/* Discover: project */
	{"project word", DISCOVER(MINIMAL ",'project':'abc'"), "project: A valid integer is required."},
	{"project list with a word", DISCOVER(MINIMAL ",'project':['1','x']"), "project: A valid integer is required."},
	{"project list with a float", DISCOVER(MINIMAL ",'project':[1.5]"), "project: A valid integer is required."},
	{"project nested list", DISCOVER(MINIMAL ",'project':[[1]]"), "project: A valid integer is required."},
	{"project list with null", DISCOVER(MINIMAL ",'project':[null]"), "project: A valid integer is required."},
	{"project true", DISCOVER(MINIMAL ",'project':true"), "project: A valid integer is required."},
	{"project object", DISCOVER(MINIMAL ",'project':{'a':1}"), "project: A valid integer is required."},

	/* Discover: statsPeriod */
	{"statsPeriod shrug", DISCOVER(MINIMAL ",'statsPeriod':'shrug'"), "Invalid statsPeriod: 'shrug'"},
	{"statsPeriod unknown unit", DISCOVER(MINIMAL ",'statsPeriod':'10x'"), "Invalid statsPeriod: '10x'"},
	{"statsPeriod empty", DISCOVER(MINIMAL ",'statsPeriod':''"), "Invalid statsPeriod: ''"},
	{"statsPeriod negative", DISCOVER(MINIMAL ",'statsPeriod':'-1d'"), "Invalid statsPeriod: '-1d'"},
	{"statsPeriod number", DISCOVER(MINIMAL ",'statsPeriod':3600"), "Invalid statsPeriod: 3600"},
	{"statsPeriod false", DISCOVER(MINIMAL ",'statsPeriod':false"), "Invalid statsPeriod: False"},
	{"statsPeriod repr with a quote", DISCOVER(MINIMAL ",'statsPeriod':'it\\u0027s'"), "Invalid statsPeriod: \"it's\""},
	{"statsPeriod repr with both quotes", DISCOVER(MINIMAL ",'statsPeriod':'a\\u0027b\\\"c'"), "Invalid statsPeriod: 'a\\'b\"c'"},
	{"statsPeriod repr escapes", DISCOVER(MINIMAL ",'statsPeriod':'a\\nb\\\\c\\u0001'"), "Invalid statsPeriod: 'a\\nb\\\\c\\x01'"},
	{"statsPeriod too long", DISCOVER(MINIMAL ",'statsPeriod':'99999999w'"), "Invalid statsPeriod: '99999999w'"},
	{"statsPeriod zero is an empty range", DISCOVER(MINIMAL ",'statsPeriod':'0'"), "start must be before end"},
	{"statsPeriod wins over start/end", DISCOVER(MINIMAL ",'statsPeriod':'x','start':'2026-01-01','end':'2026-01-02'"), "Invalid statsPeriod: 'x'"},

	/* Discover: statsPeriodStart / statsPeriodEnd */
	{"statsPeriodStart alone", DISCOVER(MINIMAL ",'statsPeriodStart':'7d'"), "statsPeriodStart and statsPeriodEnd are both required"},
	{"statsPeriodEnd alone", DISCOVER(MINIMAL ",'statsPeriodEnd':'1d'"), "statsPeriodStart and statsPeriodEnd are both required"},
	{"statsPeriodEnd empty", DISCOVER(MINIMAL ",'statsPeriodStart':'7d','statsPeriodEnd':''"), "statsPeriodStart and statsPeriodEnd are both required"},
	{"statsPeriodStart invalid", DISCOVER(MINIMAL ",'statsPeriodStart':'x','statsPeriodEnd':'1d'"), "Invalid statsPeriod: 'x'"},
	{"statsPeriodEnd invalid", DISCOVER(MINIMAL ",'statsPeriodStart':'7d','statsPeriodEnd':'x'"), "Invalid statsPeriod: 'x'"},
	{"both invalid reports start", DISCOVER(MINIMAL ",'statsPeriodStart':'x','statsPeriodEnd':'y'"), "Invalid statsPeriod: 'x'"},
	{"statsPeriodStart after statsPeriodEnd", DISCOVER(MINIMAL ",'statsPeriodStart':'1d','statsPeriodEnd':'7d'"), "start must be before end"},
	{"statsPeriodStart equal to statsPeriodEnd", DISCOVER(MINIMAL ",'statsPeriodStart':'1d','statsPeriodEnd':'24h'"), "start must be before end"},

	/* Discover: start / end */
	{"start alone", DISCOVER(MINIMAL ",'start':'2026-01-01'"), "start and end are both required"},
	{"end alone", DISCOVER(MINIMAL ",'end':'2026-01-01'"), "start and end are both required"},
	{"end empty", DISCOVER(MINIMAL ",'start':'2026-01-01','end':''"), "start and end are both required"},
	{"start shrug", DISCOVER(MINIMAL ",'start':'shrug','end':'2026-01-01'"), "shrug is not a valid ISO8601 date query"},
	{"end shrug", DISCOVER(MINIMAL ",'start':'2026-01-01','end':'shrug'"), "shrug is not a valid ISO8601 date query"},
	{"start impossible date", DISCOVER(MINIMAL ",'start':'2026-02-30','end':'2026-03-01'"), "2026-02-30 is not a valid ISO8601 date query"},
	{"start number", DISCOVER(MINIMAL ",'start':20260101,'end':'2026-03-01'"), "20260101 is not a valid ISO8601 date query"},
	{"timestamp as a number", DISCOVER(MINIMAL ",'start':1589896800,'end':'1589900400'"), "1589896800 is not a valid ISO8601 date query"},
	{"timestamp inf", DISCOVER(MINIMAL ",'start':'inf','end':'1589900400'"), "inf is not a valid ISO8601 date query"},
	{"timestamp nan", DISCOVER(MINIMAL ",'start':'1589896800','end':'nan'"), "nan is not a valid ISO8601 date query"},
	{"timestamp hex", DISCOVER(MINIMAL ",'start':'0x10','end':'1589900400'"), "0x10 is not a valid ISO8601 date query"},
	{"timestamp past year 9999", DISCOVER(MINIMAL ",'start':'1589896800','end':'253402300800'"), "253402300800 is not a valid ISO8601 date query"},
	{"timestamp with a word", DISCOVER(MINIMAL ",'start':'1589896800 s','end':'1589900400'"), "1589896800 s is not a valid ISO8601 date query"},
	{"timestamps in order", DISCOVER(MINIMAL ",'start':'1589900400','end':'1589896800'"), "start must be before end"},

	/* Discover: timeframe aliases (Sentry's get_date_range_from_params) */
	{"timeframe shrug", DISCOVER(MINIMAL ",'timeframe':'shrug'"), "Invalid statsPeriod: 'shrug'"},
	{"timeframe wins over statsPeriod", DISCOVER(MINIMAL ",'timeframe':'x','statsPeriod':'1d'"), "Invalid statsPeriod: 'x'"},
	{"timeframeStart alone", DISCOVER(MINIMAL ",'timeframeStart':'7d'"), "timeframeStart and timeframeEnd are both required"},
	{"timeframeEnd alone", DISCOVER(MINIMAL ",'timeframeEnd':'1d'"), "timeframeStart and timeframeEnd are both required"},
	{"timeframeEnd empty", DISCOVER(MINIMAL ",'timeframeStart':'7d','timeframeEnd':''"), "timeframeStart and timeframeEnd are both required"},
	{"timeframeStart alone even with statsPeriod", DISCOVER(MINIMAL ",'statsPeriod':'1d','timeframeStart':'7d'"), "timeframeStart and timeframeEnd are both required"},
	{"timeframeStart invalid", DISCOVER(MINIMAL ",'timeframeStart':'x','timeframeEnd':'1d'"), "Invalid statsPeriod: 'x'"},
	{"timeframeStart after timeframeEnd", DISCOVER(MINIMAL ",'timeframeStart':'1d','timeframeEnd':'7d'"), "start must be before end"},
	{"start equal to end", DISCOVER(MINIMAL ",'start':'2026-01-01','end':'2026-01-01T00:00:00Z'"), "start must be before end"},
	{"start after end", DISCOVER(MINIMAL ",'start':'2026-01-02','end':'2026-01-01'"), "start must be before end"},
	{"offsets compared in UTC", DISCOVER(MINIMAL ",'start':'2026-01-01T10:00:00+02:00','end':'2026-01-01T08:00:00Z'"), "start must be before end"},

	/* Discover: sort, environment, dataset */
	{"sort number", DISCOVER(MINIMAL ",'sort':5"), "sort: Expected a string or a list of strings."},
	{"sort list with a number", DISCOVER(MINIMAL ",'sort':['-title',5]"), "sort: Expected a string or a list of strings."},
	{"query_info environment number", DISCOVER(MINIMAL ",'environment':5"), "environment: Expected a string or a list of strings."},
	{"dataset number", DISCOVER(MINIMAL ",'dataset':5"), "5 is not supported for csv exports"},
	{"dataset list", DISCOVER(MINIMAL ",'dataset':['x']"), "[\"x\"] is not supported for csv exports"},

	/* Discover: syntax of fields and query (fields.c, search.c) */
	{"field min()", DISCOVER("'field':['min()'],'query':''"), "min: expected 1 argument(s) but got 0 argument(s)"},
	{"query foo:", DISCOVER("'field':['title'],'query':'foo:'"), "Empty string after 'foo:'"},
	{"dates checked before syntax", DISCOVER("'field':['min()'],'query':'','statsPeriod':'x'"), "Invalid statsPeriod: 'x'"},

	/* Issues-by-Tag */
	{"by tag project missing", BY_TAG("'group':1,'key':'browser'"), "project: This field is required."},
	{"by tag project empty list", BY_TAG("'project':[],'group':1,'key':'browser'"), "project: This field is required."},
	{"by tag project null", BY_TAG("'project':null,'group':1,'key':'browser'"), "project: This field is required."},
	{"by tag project word", BY_TAG("'project':'abc','group':1,'key':'browser'"), "project: A valid integer is required."},
	{"by tag group missing", BY_TAG("'project':[1],'key':'browser'"), "group: This field is required."},
	{"by tag group word", BY_TAG("'project':[1],'group':'abc','key':'browser'"), "Invalid group ID"},
	{"by tag group float", BY_TAG("'project':[1],'group':1.5,'key':'browser'"), "Invalid group ID"},
	{"by tag group null", BY_TAG("'project':[1],'group':null,'key':'browser'"), "group: This field is required."},
	{"by tag group empty string", BY_TAG("'project':[1],'group':'','key':'browser'"), "Invalid group ID"},
	{"by tag group list", BY_TAG("'project':[1],'group':[1],'key':'browser'"), "Invalid group ID"},
	{"by tag key missing", BY_TAG("'project':[1],'group':1"), "key: This field is required."},
	{"by tag key empty", BY_TAG("'project':[1],'group':1,'key':''"), "key: This field is required."},
	{"by tag key number", BY_TAG("'project':[1],'group':1,'key':5"), "key: This field is required."},

	/* SQL */
	{"sql missing", SQL(""), "sql: This field is required."},
	{"sql empty", SQL("'sql':''"), "sql: This field is required."},
	{"sql blank", SQL("'sql':'  \\n\\t '"), "sql: This field is required."},
	{"sql number", SQL("'sql':1"), "sql: This field is required."},
	{"sql null", SQL("'sql':null"), "sql: This field is required."},

	/* order of the top-level checks */
	{"organization before limit", SQL_TOP("'organization':'x','limit':0"), "organization: A valid integer is required."},
	{"limit before format", SQL_TOP("'limit':0,'format':'xml'"), "limit: Ensure this value is greater than or equal to 1."},
	{"format before compression", SQL_TOP("'format':'xml','compression':'zip'"), "format: \"xml\" is not a valid choice."},
	{"top level before query_info", "{'query_type':'SQL','query_info':{},'limit':0}", "limit: Ensure this value is greater than or equal to 1."},
};

static void
test_error(void **state)
{
	const ErrorCase *c = *state;
	ExportRequest req;
	DeError		err = {0};

	memset(&req, 0x7f, sizeof(req));	/* garbage in must not matter */
	if (normalize(c->payload, NOW, &req, &err))
	{
		char	   *info = dj_serialize(req.info);

		fail_msg("accepted, info %s", info);
	}
	assert_int_equal(err.code, DE_ERR_INVALID);
	assert_string_equal(err.message, c->message);
	assert_cleared(&req);
}

/* ---- normalization ---- */

typedef struct NormalizeCase
{
	const char *name;
	const char *payload;
	const char *info;
	const char *dedupe_info;
} NormalizeCase;

static const NormalizeCase normalize_cases[] = {
	{"statsPeriod",
		DISCOVER("'field':['title','count()','equation|count() * 2'],'query':'is:unresolved','project':[1,'2'],"
				 "'statsPeriod':'14d','yAxis':'count()','environment':['prod']"),
		"{'field':['title','count()'],'query':'is:unresolved','project':[1,2],'yAxis':'count()',"
		"'environment':['prod'],'equations':['count() * 2'],"
		"'start':'2026-11-14T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title','count()'],'query':'is:unresolved','project':[1,2],'statsPeriod':'14d',"
		"'yAxis':'count()','environment':['prod'],'equations':['count() * 2']}"},
	{"statsPeriod in bare seconds",
		DISCOVER(MINIMAL ",'statsPeriod':'3600'"),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-11-28T00:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title'],'query':'','statsPeriod':'3600','equations':[],'project':[]}"},
	{"statsPeriod in weeks replaces start and end",
		DISCOVER(MINIMAL ",'start':'2020-01-01','end':'2020-01-02','statsPeriod':'1w'"),
		"{'field':['title'],'query':'','start':'2026-11-21T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','statsPeriod':'1w','equations':[],'project':[]}"},
	{"statsPeriodStart and statsPeriodEnd",
		DISCOVER(MINIMAL ",'statsPeriodStart':'7d','statsPeriodEnd':'1d'"),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-11-21T01:02:03.5Z','end':'2026-11-27T01:02:03.5Z'}",
		"{'field':['title'],'query':'','statsPeriodStart':'7d','statsPeriodEnd':'1d','equations':[],'project':[]}"},
	{"null statsPeriod falls through to start and end",
		DISCOVER(MINIMAL ",'statsPeriod':null,'start':'2026-01-01','end':'2026-01-02'"),
		"{'field':['title'],'query':'','start':'2026-01-01T00:00:00Z','end':'2026-01-02T00:00:00Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','start':'2026-01-01T00:00:00Z','end':'2026-01-02T00:00:00Z',"
		"'equations':[],'project':[]}"},
	{"timeframe replaces statsPeriod and goes",
		DISCOVER(MINIMAL ",'timeframe':'1d','statsPeriod':'7d'"),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-11-27T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title'],'query':'','timeframe':'1d','statsPeriod':'7d','equations':[],'project':[]}"},
	{"timeframeStart/End replace statsPeriodStart/End",
		DISCOVER(MINIMAL ",'timeframeStart':'7d','timeframeEnd':'1d','statsPeriodStart':'9d','statsPeriodEnd':'8d'"),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-11-21T01:02:03.5Z','end':'2026-11-27T01:02:03.5Z'}",
		"{'field':['title'],'query':'','timeframeStart':'7d','timeframeEnd':'1d','statsPeriodStart':'9d',"
		"'statsPeriodEnd':'8d','equations':[],'project':[]}"},
	{"statsPeriod wins over timeframeStart/End",
		DISCOVER(MINIMAL ",'statsPeriod':'1d','timeframeStart':'7d','timeframeEnd':'2d'"),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-11-27T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title'],'query':'','statsPeriod':'1d','timeframeStart':'7d','timeframeEnd':'2d',"
		"'equations':[],'project':[]}"},
	{"Unix timestamps as strings",
		DISCOVER(MINIMAL ",'start':'1589896800','end':'1589900400.25'"),
		"{'field':['title'],'query':'','start':'2020-05-19T14:00:00Z','end':'2020-05-19T15:00:00.25Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','start':'2020-05-19T14:00:00Z','end':'2020-05-19T15:00:00.25Z',"
		"'equations':[],'project':[]}"},
	{"Unix timestamps as Python's float reads them, after Sentry's suffix cuts",
		DISCOVER(MINIMAL ",'start':' 1.5898968e9 ','end':'1589900400Z'"),
		"{'field':['title'],'query':'','start':'2020-05-19T14:00:00Z','end':'2020-05-19T15:00:00Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','start':'2020-05-19T14:00:00Z','end':'2020-05-19T15:00:00Z',"
		"'equations':[],'project':[]}"},
	{"absolute range is normalized in both",
		DISCOVER(MINIMAL ",'start':'2026-11-01T10:00:00.250+02:00','end':'2026-11-02 00:00:00.000000'"),
		"{'field':['title'],'query':'','start':'2026-11-01T08:00:00.25Z','end':'2026-11-02T00:00:00Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','start':'2026-11-01T08:00:00.25Z','end':'2026-11-02T00:00:00Z',"
		"'equations':[],'project':[]}"},
	{"empty statsPeriodStart/End with absolute range are dropped",
		DISCOVER(MINIMAL ",'statsPeriodStart':'','statsPeriodEnd':null,'start':'2026-01-01','end':'2026-01-02'"),
		"{'field':['title'],'query':'','start':'2026-01-01T00:00:00Z','end':'2026-01-02T00:00:00Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','start':'2026-01-01T00:00:00Z','end':'2026-01-02T00:00:00Z',"
		"'equations':[],'project':[]}"},
	{"default range",
		DISCOVER(MINIMAL),
		"{'field':['title'],'query':'','equations':[],'project':[],"
		"'start':'2026-08-30T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title'],'query':'','equations':[],'project':[]}"},
	{"empty start and end are the default range",
		DISCOVER(MINIMAL ",'start':'','end':null"),
		"{'field':['title'],'query':'','start':'2026-08-30T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z',"
		"'equations':[],'project':[]}",
		"{'field':['title'],'query':'','equations':[],'project':[]}"},
	{"single field is wrapped, single project listed",
		DISCOVER("'field':'title','query':'','project':'5','statsPeriod':'1d'"),
		"{'field':['title'],'query':'','project':[5],'equations':[],"
		"'start':'2026-11-27T01:02:03.5Z','end':'2026-11-28T01:02:03.5Z'}",
		"{'field':['title'],'query':'','project':[5],'statsPeriod':'1d','equations':[]}"},
	{"only equations",
		DISCOVER("'field':['equation|1 + 2'],'query':'','statsPeriod':'1d'"),
		"{'field':[],'query':'','equations':['1 + 2'],'project':[]}",
		NULL},
	{"sent equations are replaced",
		DISCOVER("'equations':['x'],'field':['a','equation|count() / 2'],'query':'','statsPeriod':'1d'"),
		"{'equations':['count() / 2'],'field':['a'],'query':'','project':[]}",
		NULL},
	{"twenty fields are fine",
		DISCOVER("'field':[" TEN_FIELDS "," TEN_FIELDS "],'query':'','project':0,'statsPeriod':'1d'"),
		"{'field':[" TEN_FIELDS "," TEN_FIELDS "],'query':'','project':[],'equations':[]}",
		NULL},
	{"unknown keys and values preserved",
		DISCOVER(MINIMAL ",'statsPeriod':'1d','x':{'y':[1,2.50,null,true]},'z':'\\u00e9\\n','dataset':'errors',"
				 "'sort':'-count'"),
		"{'field':['title'],'query':'','x':{'y':[1,2.50,null,true]},'z':'\xc3\xa9\\n','dataset':'errors',"
		"'sort':'-count','equations':[],'project':[]}",
		NULL},
	{"issues by tag",
		BY_TAG("'project':['3',4],'group':'42','key':'browser','extra':[1]"),
		"{'project':[3,4],'group':42,'key':'browser','extra':[1]}",
		"{'project':[3,4],'group':42,'key':'browser','extra':[1]}"},
	{"issues by tag single project",
		BY_TAG("'key':'user','group':7,'project':9"),
		"{'key':'user','group':7,'project':[9]}",
		"{'key':'user','group':7,'project':[9]}"},
	{"sql",
		SQL("'sql':'SELECT 1','comment':{'a':1}"),
		"{'sql':'SELECT 1','comment':{'a':1}}",
		"{'sql':'SELECT 1','comment':{'a':1}}"},
};

static void
test_normalize(void **state)
{
	const NormalizeCase *c = *state;
	ExportRequest req;
	DeError		err = {0};

	if (!normalize(c->payload, NOW, &req, &err))
		fail_msg("rejected: %s", err.message);
	if (c->info != NULL && strstr(c->info, "'start'") == NULL &&
		req.type == EQT_DISCOVER)
	{
		/* cases that only look at the non-date keys */
		dj_remove(req.info, "start");
		dj_remove(req.info, "end");
	}
	assert_json(req.info, c->info);
	if (c->dedupe_info != NULL)
		assert_json(req.dedupe_info, c->dedupe_info);
	export_request_clear(&req);
	assert_cleared(&req);
}

/* ---- fixed tests ---- */

static void
test_request_fields_discover(void **state)
{
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	assert_true(normalize(DISCOVER("'field':['title','equation|count() + 1','count()'],'query':'browser:Chrome',"
								   "'project':[3,'4'],'sort':['-count()','title'],'environment':'prod',"
								   "'start':'2026-01-01','end':'2026-01-02T12:00:00'"),
						  NOW, &req, &err));
	assert_int_equal(req.type, EQT_DISCOVER);
	assert_int_equal(req.nfields, 2);
	assert_string_equal(req.fields[0], "title");
	assert_string_equal(req.fields[1], "count()");
	assert_int_equal(req.nequations, 1);
	assert_string_equal(req.equations[0], "count() + 1");
	assert_string_equal(req.query, "browser:Chrome");
	assert_int_equal(req.nprojects, 2);
	assert_int_equal(req.projects[0], 3);
	assert_int_equal(req.projects[1], 4);
	assert_int_equal(req.nsort, 2);
	assert_string_equal(req.sort[0], "-count()");
	assert_string_equal(req.sort[1], "title");
	assert_int_equal(req.ninfo_environments, 1);
	assert_string_equal(req.info_environments[0], "prod");
	assert_int_equal(req.nenvironments, 0);
	assert_null(req.environments);
	assert_string_equal(req.dataset, "discover");
	assert_int_equal(req.start, INT64_C(1767225600) * DE_USECS_PER_SEC);
	assert_int_equal(req.end, INT64_C(1767225600) * DE_USECS_PER_SEC + 36 * HOUR);
	assert_false(req.has_organization);
	assert_false(req.has_limit);
	assert_int_equal(req.format, DE_FORMAT_CSV);
	assert_int_equal(req.compression, DE_COMPRESSION_NONE);
	assert_null(req.sql);
	assert_null(req.key);
	export_request_clear(&req);

	/* relative ranges against now */
	assert_true(normalize(DISCOVER(MINIMAL ",'statsPeriodStart':'2h','statsPeriodEnd':'30m','dataset':'errors'"),
						  NOW, &req, &err));
	assert_int_equal(req.start, NOW - 2 * HOUR);
	assert_int_equal(req.end, NOW - HOUR / 2);
	assert_string_equal(req.dataset, "errors");
	assert_int_equal(req.nprojects, 0);
	assert_null(req.projects);
	assert_int_equal(req.nsort, 0);
	export_request_clear(&req);

	assert_true(normalize(DISCOVER(MINIMAL), NOW, &req, &err));
	assert_int_equal(req.start, NOW - 90 * DAY);
	assert_int_equal(req.end, NOW);
	export_request_clear(&req);
}

/* A Discover request keeps its fields, equations and search as parsed, for
 * the query builder; an empty query parses to no tree. */
static void
test_request_parsed_syntax(void **state)
{
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	assert_true(normalize(DISCOVER("'field':['title','equation|count() + 1','count()'],"
								   "'query':'browser:Chrome !level:error'"),
						  NOW, &req, &err));
	assert_non_null(req.items);
	assert_string_equal(req.items[0].text, "title");
	assert_int_equal(req.items[0].expr->kind, FE_COLUMN);
	assert_false(req.items[0].is_equation);
	assert_string_equal(req.items[1].text, "count()");
	assert_true(req.items[1].is_aggregate);
	assert_string_equal(req.items[2].text, "count() + 1");
	assert_true(req.items[2].is_equation);
	assert_int_equal(req.items[2].expr->kind, FE_BINOP);
	assert_non_null(req.search);
	assert_int_equal(req.search->kind, SN_AND);
	assert_string_equal(req.search->left->key, "browser");
	assert_string_equal(req.search->left->values[0].text, "Chrome");
	assert_true(req.search->right->negated);
	assert_string_equal(req.search->right->key, "level");
	export_request_clear(&req);
	assert_cleared(&req);

	assert_true(normalize(DISCOVER(MINIMAL), NOW, &req, &err));
	assert_non_null(req.items);
	assert_null(req.search);
	export_request_clear(&req);

	/* a syntax error after good fields: nothing kept */
	assert_false(normalize(DISCOVER("'field':['title','count('],'query':''"), NOW, &req, &err));
	assert_cleared(&req);
	assert_false(normalize(DISCOVER("'field':['title'],'query':'foo:'"), NOW, &req, &err));
	assert_cleared(&req);

	/* not Discover: nothing parsed */
	assert_true(normalize(SQL_TOP("'limit':5"), NOW, &req, &err));
	assert_null(req.items);
	assert_null(req.search);
	export_request_clear(&req);
}

static void
test_request_fields_top_level(void **state)
{
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	assert_true(normalize(SQL_TOP("'organization':'7','limit':'100','format':'jsonl','compression':'gzip',"
								  "'environment':'prod'"),
						  NOW, &req, &err));
	assert_int_equal(req.type, EQT_SQL);
	assert_string_equal(req.sql, "SELECT 1");
	assert_true(req.has_organization);
	assert_int_equal(req.organization, 7);
	assert_true(req.has_limit);
	assert_int_equal(req.limit, 100);
	assert_int_equal(req.format, DE_FORMAT_JSONL);
	assert_int_equal(req.compression, DE_COMPRESSION_GZIP);
	assert_int_equal(req.nenvironments, 1);
	assert_string_equal(req.environments[0], "prod");
	export_request_clear(&req);

	assert_true(normalize(SQL_TOP("'compression':'zstd'"), NOW, &req, &err));
	assert_int_equal(req.compression, DE_COMPRESSION_ZSTD);
	assert_int_equal(req.format, DE_FORMAT_CSV);
	assert_true(normalize(SQL_TOP("'format':'parquet','compression':'gzip'"), NOW, &req, &err));
	assert_int_equal(req.format, DE_FORMAT_PARQUET);
	assert_int_equal(req.compression, DE_COMPRESSION_GZIP);
	export_request_clear(&req);

	/* DRF's IntegerField: whitespace, sign, a zero fraction */
	assert_true(normalize(SQL_TOP("'organization':' +7 ','limit':5.0,'environment':['a','b'],"
								  "'format':'csv','compression':'none'"),
						  NOW, &req, &err));
	assert_int_equal(req.organization, 7);
	assert_int_equal(req.limit, 5);
	assert_int_equal(req.nenvironments, 2);
	assert_string_equal(req.environments[1], "b");
	assert_int_equal(req.format, DE_FORMAT_CSV);
	assert_int_equal(req.compression, DE_COMPRESSION_NONE);
	export_request_clear(&req);

	/* an exponent is what jsonb made of it: 1e2 is the numeric 100, and
	 * 1.50e1 is 15.0, an integer with a zero fraction */
	assert_true(normalize(SQL_TOP("'limit':1e2"), NOW, &req, &err));
	assert_int_equal(req.limit, 100);
	export_request_clear(&req);
	assert_true(normalize(SQL_TOP("'limit':1.50e1"), NOW, &req, &err));
	assert_int_equal(req.limit, 15);
	export_request_clear(&req);

	/* a limit beyond int64 is just large (clamped to max_rows later) */
	assert_true(normalize(SQL_TOP("'limit':99999999999999999999999"), NOW, &req, &err));
	assert_int_equal(req.limit, INT64_MAX);
	export_request_clear(&req);

	/* null means not given */
	assert_true(normalize(SQL_TOP("'organization':null,'limit':null,'format':null,'compression':null,"
								  "'environment':null"),
						  NOW, &req, &err));
	assert_false(req.has_organization);
	assert_false(req.has_limit);
	assert_int_equal(req.nenvironments, 0);
	export_request_clear(&req);

	/* an empty environment list is no environment */
	assert_true(normalize(SQL_TOP("'environment':[],'organization':0"), NOW, &req, &err));
	assert_int_equal(req.nenvironments, 0);
	assert_true(req.has_organization);
	assert_int_equal(req.organization, 0);
	export_request_clear(&req);
}

static void
test_request_fields_by_tag(void **state)
{
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	assert_true(normalize("{'query_type':'Issues-by-Tag','environment':['prod','staging'],"
						  "'query_info':{'project':[5,6],'group':' 42 ','key':'user'}}",
						  NOW, &req, &err));
	assert_int_equal(req.type, EQT_ISSUES_BY_TAG);
	assert_int_equal(req.nprojects, 2);
	assert_int_equal(req.projects[0], 5);
	assert_int_equal(req.group, 42);
	assert_string_equal(req.key, "user");
	assert_int_equal(req.nenvironments, 2);
	assert_string_equal(req.environments[1], "staging");
	assert_null(req.fields);
	assert_null(req.query);
	export_request_clear(&req);
}

static char *
serialize_dedupe(const char *payload, de_time now)
{
	ExportRequest req;
	DeError		err = {0};
	char	   *out;

	if (!normalize(payload, now, &req, &err))
		fail_msg("rejected: %s", err.message);
	out = dj_serialize(req.dedupe_info);
	export_request_clear(&req);
	return out;
}

static char *
serialize_info(const char *payload, de_time now)
{
	ExportRequest req;
	DeError		err = {0};
	char	   *out;

	if (!normalize(payload, now, &req, &err))
		fail_msg("rejected: %s", err.message);
	out = dj_serialize(req.info);
	export_request_clear(&req);
	return out;
}

static void
assert_same_dedupe(const char *a, de_time now_a, const char *b, de_time now_b,
				   bool same)
{
	char	   *da = serialize_dedupe(a, now_a);
	char	   *db = serialize_dedupe(b, now_b);

	if (same)
		assert_string_equal(da, db);
	else
		assert_string_not_equal(da, db);
	de_free(da);
	de_free(db);
}

static void
test_dedupe(void **state)
{
	const char *relative = DISCOVER(MINIMAL ",'statsPeriod':'14d'");
	const char *defaulted = DISCOVER(MINIMAL);
	const char *period_pair = DISCOVER(MINIMAL ",'statsPeriodStart':'7d','statsPeriodEnd':'1d'");
	char	   *info_a;
	char	   *info_b;

	(void) state;
	/* the same relative request a minute later dedupes ... */
	assert_same_dedupe(relative, NOW, relative, NOW + 60 * DE_USECS_PER_SEC, true);
	assert_same_dedupe(defaulted, NOW, defaulted, NOW + HOUR, true);
	assert_same_dedupe(period_pair, NOW, period_pair, NOW + HOUR, true);
	/* ... although its concrete range moved */
	info_a = serialize_info(relative, NOW);
	info_b = serialize_info(relative, NOW + 60 * DE_USECS_PER_SEC);
	assert_string_not_equal(info_a, info_b);
	de_free(info_a);
	de_free(info_b);

	/* different periods, or relative vs default, do not */
	assert_same_dedupe(relative, NOW, DISCOVER(MINIMAL ",'statsPeriod':'7d'"), NOW, false);
	assert_same_dedupe(relative, NOW, defaulted, NOW, false);
	/* even when they resolve to the same range */
	assert_same_dedupe(DISCOVER(MINIMAL ",'statsPeriod':'90d'"), NOW, defaulted, NOW, false);

	/* absolute ranges dedupe on the instant, whatever the spelling */
	assert_same_dedupe(DISCOVER(MINIMAL ",'start':'2026-01-01','end':'2026-01-02'"), NOW,
					   DISCOVER(MINIMAL ",'start':'2026-01-01T00:00:00.000Z','end':'2026-01-02T01:00:00+01:00'"),
					   NOW + DAY, true);
	assert_same_dedupe(DISCOVER(MINIMAL ",'start':'2026-01-01','end':'2026-01-02'"), NOW,
					   DISCOVER(MINIMAL ",'start':'2026-01-01','end':'2026-01-03'"), NOW, false);

	/* a single field or project is the same as a list of one */
	assert_same_dedupe(DISCOVER("'field':'title','query':'','project':'1'"), NOW,
					   DISCOVER("'field':['title'],'query':'','project':[1]"), NOW, true);
	/* different fields differ */
	assert_same_dedupe(DISCOVER("'field':['title'],'query':''"), NOW,
					   DISCOVER("'field':['count()'],'query':''"), NOW, false);

	/* Issues-by-Tag and SQL have no dates */
	assert_same_dedupe(BY_TAG("'project':1,'group':'2','key':'k'"), NOW,
					   BY_TAG("'project':[1],'group':2,'key':'k'"), NOW + DAY, true);
	assert_same_dedupe(SQL("'sql':'SELECT 1'"), NOW, SQL("'sql':'SELECT 1'"), NOW + DAY, true);
	assert_same_dedupe(SQL("'sql':'SELECT 1'"), NOW, SQL("'sql':'SELECT 2'"), NOW, false);
}

static void
test_set_projects(void **state)
{
	ExportRequest req;
	DeError		err = {0};
	const int64_t resolved[] = {11, 12, 13};

	(void) state;
	assert_true(normalize(DISCOVER(MINIMAL ",'statsPeriod':'1d'"), NOW, &req, &err));
	assert_int_equal(req.nprojects, 0);
	payload_set_projects(&req, resolved, 3);
	assert_int_equal(req.nprojects, 3);
	assert_int_equal(req.projects[2], 13);
	assert_json(req.dedupe_info,
				"{'field':['title'],'query':'','statsPeriod':'1d','equations':[],'project':[11,12,13]}");
	assert_json(dj_get(req.info, "project"), "[11,12,13]");

	/* again, smaller: replaces */
	payload_set_projects(&req, resolved + 1, 1);
	assert_int_equal(req.nprojects, 1);
	assert_int_equal(req.projects[0], 12);
	assert_json(dj_get(req.info, "project"), "[12]");
	assert_json(dj_get(req.dedupe_info, "project"), "[12]");

	payload_set_projects(&req, NULL, 0);
	assert_int_equal(req.nprojects, 0);
	assert_null(req.projects);
	assert_json(dj_get(req.info, "project"), "[]");
	assert_json(dj_get(req.dedupe_info, "project"), "[]");
	export_request_clear(&req);

	/* Issues-by-Tag too */
	assert_true(normalize(BY_TAG("'project':[1,2],'group':3,'key':'k'"), NOW, &req, &err));
	payload_set_projects(&req, resolved, 1);
	assert_json(req.info, "{'project':[11],'group':3,'key':'k'}");
	assert_json(req.dedupe_info, "{'project':[11],'group':3,'key':'k'}");
	export_request_clear(&req);
}

static void
test_query_type_names(void **state)
{
	(void) state;
	assert_string_equal(export_query_type_name(EQT_DISCOVER), "Discover");
	assert_string_equal(export_query_type_name(EQT_ISSUES_BY_TAG), "Issues-by-Tag");
	assert_string_equal(export_query_type_name(EQT_SQL), "SQL");
}

static void
test_malformed_json(void **state)
{
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	assert_false(normalize_text("{\"query_type\":", 14, NOW, &req, &err));
	assert_int_equal(err.code, DE_ERR_INVALID);
	assert_string_equal(err.message,
						"invalid input syntax for type json: the input string ended unexpectedly at offset 14");
	assert_cleared(&req);
	assert_false(normalize_text("", 0, NOW, &req, &err));
	assert_cleared(&req);
}

/* Field and search errors are passed on exactly as fields.c / search.c say. */
static void
test_syntax_errors_passed_through(void **state)
{
	static const struct
	{
		const char *field;
		const char *equation;
		const char *query;
	}			cases[] = {
		{"count(a, b)", NULL, NULL},
		{"nosuchfn(x)", NULL, NULL},
		{"percentile(x, 2)", NULL, NULL},
		{NULL, "count() +", NULL},
		{NULL, "(1 + 2", NULL},
		{NULL, NULL, "(a:b"},
		{NULL, NULL, "a:\"unterminated"},
		{NULL, NULL, "a:[1,"},
	};

	(void) state;
	for (size_t i = 0; i < NELEMS(cases); i++)
	{
		DeError		direct = {0};
		DeError		err = {0};
		ExportRequest req;
		char		payload[256];
		bool		direct_ok;

		if (cases[i].field != NULL)
		{
			Field		f;

			direct_ok = field_parse(cases[i].field, &f, &direct);
			field_clear(&f);
			snprintf(payload, sizeof(payload), DISCOVER("'field':['%s'],'query':''"), cases[i].field);
		}
		else if (cases[i].equation != NULL)
		{
			Field		f;

			direct_ok = equation_parse(cases[i].equation, &f, &direct);
			field_clear(&f);
			snprintf(payload, sizeof(payload), DISCOVER("'field':['equation|%s'],'query':''"),
					 cases[i].equation);
		}
		else
		{
			SearchNode *tree = NULL;

			direct_ok = search_parse(cases[i].query, &tree, &direct);
			if (tree != NULL)
				search_free(tree);
			/* the query's own double quote, escaped for JSON */
			{
				char		escaped[128];
				size_t		n = 0;

				for (const char *p = cases[i].query; *p; p++)
				{
					if (*p == '"')
						escaped[n++] = '\\';
					escaped[n++] = *p;
				}
				escaped[n] = '\0';
				snprintf(payload, sizeof(payload), DISCOVER("'field':['title'],'query':'%s'"), escaped);
			}
		}
		if (direct_ok)
			fail_msg("case %zu is not an error for the parser itself", i);
		if (normalize(payload, NOW, &req, &err))
			fail_msg("case %zu accepted", i);
		assert_int_equal(err.code, direct.code);
		assert_string_equal(err.message, direct.message);
		assert_cleared(&req);
	}
}

/* A hostile payload of many big pieces fails or passes without leaking. */
static void
test_large_payloads(void **state)
{
	StrBuf		sb;
	ExportRequest req;
	DeError		err = {0};

	(void) state;
	sb_init(&sb);
	sb_append(&sb, "{\"query_type\":\"Discover\",\"query_info\":{\"field\":[\"title\"],\"query\":\"\",\"project\":[");
	for (int i = 0; i < 5000; i++)
		sb_appendf(&sb, "%s%d", i ? "," : "", i);
	sb_append(&sb, "],\"statsPeriod\":\"");
	for (int i = 0; i < 1000; i++)
		sb_append(&sb, "\xc3\xa9");
	sb_append(&sb, "\"}}");
	assert_false(normalize_text(sb.data, sb.len, NOW, &req, &err));
	/* the value is clipped, on a character boundary */
	assert_true(strncmp(err.message, "Invalid statsPeriod: '\xc3\xa9", 24) == 0);
	assert_non_null(strstr(err.message, "\xc3\xa9...'"));
	assert_true(strlen(err.message) < 250);
	assert_cleared(&req);

	sb_reset(&sb);
	sb_append(&sb, "{\"query_type\":\"Discover\",\"query_info\":{\"field\":[\"title\"],\"query\":\"\",\"project\":[");
	for (int i = 0; i < 5000; i++)
		sb_appendf(&sb, "%s\"%d\"", i ? "," : "", i);
	sb_append(&sb, "]}}");
	assert_true(normalize_text(sb.data, sb.len, NOW, &req, &err));
	assert_int_equal(req.nprojects, 5000);
	assert_int_equal(req.projects[4999], 4999);
	export_request_clear(&req);
	sb_free(&sb);
}

/* A Discover payload whose query_info key holds a list of n items. */
static bool
normalize_list(const char *key, int n, bool strings, ExportRequest *req, DeError *err)
{
	StrBuf		sb;
	bool		ok;

	sb_init(&sb);
	sb_appendf(&sb, "{\"query_type\":\"Discover\",\"query_info\":{\"field\":[\"title\"],"
			   "\"query\":\"\",\"%s\":[", key);
	for (int i = 0; i < n; i++)
		sb_appendf(&sb, strings ? "%s\"v%d\"" : "%s%d", i ? "," : "", i);
	sb_append(&sb, "]}}");
	ok = normalize_text(sb.data, sb.len, NOW, req, err);
	sb_free(&sb);
	return ok;
}

/* Lists are capped far above real use, with DRF's message, so that a huge
 * payload is refused before anything works through it. */
static void
test_list_caps(void **state)
{
	static const struct
	{
		const char *key;
		int			max;
		bool		strings;
	}			caps[] = {
		{"project", DE_MAX_PROJECTS, false},
		{"environment", DE_MAX_ENVIRONMENTS, true},
		{"sort", DE_MAX_SORT, true},
	};
	ExportRequest req;
	DeError		err = {0};
	char		want[128];

	(void) state;
	assert_int_equal(DE_MAX_PROJECTS, 10000);
	assert_int_equal(DE_MAX_ENVIRONMENTS, 1000);
	assert_int_equal(DE_MAX_SORT, 100);
	for (size_t i = 0; i < NELEMS(caps); i++)
	{
		/* "sort" must name a field: only its count is checked here */
		bool		ok = normalize_list(caps[i].key, caps[i].max, caps[i].strings, &req, &err);

		if (strcmp(caps[i].key, "sort") != 0)
			assert_true(ok);
		else
			assert_true(ok || strstr(err.message, "no more than") == NULL);
		export_request_clear(&req);

		assert_false(normalize_list(caps[i].key, caps[i].max + 1, caps[i].strings, &req, &err));
		assert_int_equal(err.code, DE_ERR_INVALID);
		snprintf(want, sizeof(want), "%s: Ensure this field has no more than %d elements.",
				 caps[i].key, caps[i].max);
		assert_string_equal(err.message, want);
		assert_cleared(&req);
	}
	/* 150,000 ids: refused on the count */
	assert_false(normalize_list("project", 150000, false, &req, &err));
	assert_string_equal(err.message, "project: Ensure this field has no more than 10000 elements.");
	assert_cleared(&req);
}

/* ---- runner ---- */

int
main(void)
{
	static const FixedTest fixed[] = {
		{"request fields: Discover", test_request_fields_discover},
		{"request fields: parsed fields and search", test_request_parsed_syntax},
		{"request fields: top level", test_request_fields_top_level},
		{"request fields: Issues-by-Tag", test_request_fields_by_tag},
		{"dedupe_info", test_dedupe},
		{"payload_set_projects", test_set_projects},
		{"query type names", test_query_type_names},
		{"malformed JSON", test_malformed_json},
		{"field and search errors passed through", test_syntax_errors_passed_through},
		{"large payloads", test_large_payloads},
		{"list caps", test_list_caps},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "error", error_cases, test_error);
	CASE_TABLE(&list, "normalize", normalize_cases, test_normalize);
	CASE_FIXED(&list, "payload", fixed);
	return case_list_run(&list, "payload");
}
