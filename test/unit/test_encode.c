/*
 * test_encode.c
 *	  Unit tests of encode.c: CSV and JSONL bytes and export file names.
 *
 * Every table row is its own cmocka test, so the TAP output names the case
 * that broke.  Two round-trip tests decode what was encoded (a minimal RFC
 * 4180 reader here, dj_parse for JSONL) over generated values, because
 * hand-written rows only cover the cases someone thought of.
 */
#include "case_runner.h"

#include "encode.h"
#include "dom_from_jsonapi.h"
#include "dom.h"

#define MAX_CELLS 8

#define CNULL	{DE_CELL_NULL, NULL, 0}
#define CTEXT(s) {DE_CELL_TEXT, s, sizeof(s) - 1}
#define CNUM(s) {DE_CELL_NUMBER, s, sizeof(s) - 1}
#define CBOOL(s) {DE_CELL_BOOL, s, sizeof(s) - 1}
#define CJSON(s) {DE_CELL_JSON, s, sizeof(s) - 1}

/* 2026-11-28T01:02:03Z */
#define T_2026_11_28 (INT64_C(1795827723) * DE_USECS_PER_SEC)

/* ---- tables ---- */

typedef struct FieldCase
{
	const char *name;
	const char *in;
	const char *want;
} FieldCase;

static const FieldCase field_cases[] = {
	{"plain", "hello", "hello"},
	{"empty", "", "\"\""},
	{"comma", "a,b", "\"a,b\""},
	{"only comma", ",", "\",\""},
	{"quote", "say \"hi\"", "\"say \"\"hi\"\"\""},
	{"only quote", "\"", "\"\"\"\""},
	{"two quotes", "\"\"", "\"\"\"\"\"\""},
	{"quote at ends", "\"x\"", "\"\"\"x\"\"\""},
	{"CR", "a\rb", "\"a\rb\""},
	{"LF", "a\nb", "\"a\nb\""},
	{"CRLF", "a\r\nb", "\"a\r\nb\""},
	{"trailing LF", "line\n", "\"line\n\""},
	{"everything", "a,\"b\"\r\nc", "\"a,\"\"b\"\"\r\nc\""},
	{"spaces not quoted", "  padded  ", "  padded  "},
	{"tab not quoted", "a\tb", "a\tb"},
	{"semicolon not quoted", "a;b", "a;b"},
	{"single quote not quoted", "it's", "it's"},
	{"backslash not quoted", "C:\\path\\", "C:\\path\\"},
	{"utf8 passes", "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80",
	"h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80"},
	{"utf8 with comma", "\xc3\xa9,\xc3\xa8", "\"\xc3\xa9,\xc3\xa8\""},
	{"invalid utf8 bytes pass", "\xff\xfe", "\xff\xfe"},
	{"COPY null marker text", "\\N", "\\N"},
	{"COPY end marker alone is a field like any", "\\.", "\\."},
};

typedef struct RecordCase
{
	const char *name;
	int			ncells;
	const char *names[MAX_CELLS];
	DeCell		cells[MAX_CELLS];
	const char *want_csv;
	const char *want_jsonl;
} RecordCase;

static const RecordCase record_cases[] = {
	{"zero cells", 0, {NULL}, {CNULL}, "\r\n", "{}\n"},
	{"one empty string", 1, {"a"}, {CTEXT("")}, "\"\"\r\n", "{\"a\":\"\"}\n"},
	{"one NULL", 1, {"a"}, {CNULL}, "\r\n", "{\"a\":null}\n"},
	{"NULL vs empty string", 4, {"n", "e", "n2", "e2"},
		{CNULL, CTEXT(""), CNULL, CTEXT("")},
		",\"\",,\"\"\r\n",
	"{\"n\":null,\"e\":\"\",\"n2\":null,\"e2\":\"\"}\n"},
	{"all NULL", 3, {"a", "b", "c"}, {CNULL, CNULL, CNULL},
	",,\r\n", "{\"a\":null,\"b\":null,\"c\":null}\n"},
	{"plain text", 2, {"id", "title"}, {CTEXT("1"), CTEXT("hello")},
	"1,hello\r\n", "{\"id\":\"1\",\"title\":\"hello\"}\n"},
	{"comma quote CR LF", 4, {"a", "b", "c", "d"},
		{CTEXT("x,y"), CTEXT("\"q\""), CTEXT("r\rs"), CTEXT("l\r\nm")},
		"\"x,y\",\"\"\"q\"\"\",\"r\rs\",\"l\r\nm\"\r\n",
	"{\"a\":\"x,y\",\"b\":\"\\\"q\\\"\",\"c\":\"r\\rs\",\"d\":\"l\\r\\nm\"}\n"},
	{"text escapes", 1, {"t"},
		{CTEXT("\"\\/\b\f\n\r\t")},
		"\"\"\"\\/\b\f\n\r\t\"\r\n",
	"{\"t\":\"\\\"\\\\/\\b\\f\\n\\r\\t\"}\n"},
	{"control characters", 1, {"t"},
		{CTEXT("\x01\x1f\x7f")},
		"\x01\x1f\x7f\r\n",
	"{\"t\":\"\\u0001\\u001f\x7f\"}\n"},
	{"non-ASCII", 2, {"\xc3\xa9t\xc3\xa9", "emoji"},
		{CTEXT("caf\xc3\xa9"), CTEXT("\xf0\x9f\x98\x80")},
		"caf\xc3\xa9,\xf0\x9f\x98\x80\r\n",
	"{\"\xc3\xa9t\xc3\xa9\":\"caf\xc3\xa9\",\"emoji\":\"\xf0\x9f\x98\x80\"}\n"},
	{"numbers", 7, {"i", "neg", "frac", "exp", "big", "zero", "negzero"},
		{CNUM("42"), CNUM("-17"), CNUM("3.25"), CNUM("1e+100"),
		CNUM("123456789012345678901234567890.5"), CNUM("0"), CNUM("-0")},
		"42,-17,3.25,1e+100,123456789012345678901234567890.5,0,-0\r\n",
		"{\"i\":42,\"neg\":-17,\"frac\":3.25,\"exp\":1e+100,"
	"\"big\":123456789012345678901234567890.5,\"zero\":0,\"negzero\":-0}\n"},
	{"NaN and infinities", 4, {"nan", "inf", "ninf", "pinf"},
		{CNUM("NaN"), CNUM("Infinity"), CNUM("-Infinity"), CNUM("+Infinity")},
		"NaN,Infinity,-Infinity,+Infinity\r\n",
		"{\"nan\":\"NaN\",\"inf\":\"Infinity\",\"ninf\":\"-Infinity\","
	"\"pinf\":\"+Infinity\"}\n"},
	{"number-like text stays text", 2, {"a", "b"},
		{CTEXT("42"), CTEXT("true")},
	"42,true\r\n", "{\"a\":\"42\",\"b\":\"true\"}\n"},
	{"non-JSON number output is quoted", 4, {"a", "b", "c", "d"},
		{CNUM("007"), CNUM("1."), CNUM(".5"), CNUM("$1,000.00")},
		"007,1.,.5,\"$1,000.00\"\r\n",
	"{\"a\":\"007\",\"b\":\"1.\",\"c\":\".5\",\"d\":\"$1,000.00\"}\n"},
	{"booleans", 4, {"t", "f", "pt", "pf"},
		{CBOOL("true"), CBOOL("false"), CBOOL("t"), CBOOL("f")},
		"true,false,t,f\r\n",
	"{\"t\":true,\"f\":false,\"pt\":true,\"pf\":false}\n"},
	{"nested JSON", 2, {"obj", "arr"},
		{CJSON("{\"a\": [1, {\"b\": null}], \"c\": \"x,y\"}"),
		CJSON("[\"\\n\", true]")},
		"\"{\"\"a\"\": [1, {\"\"b\"\": null}], \"\"c\"\": \"\"x,y\"\"}\","
		"\"[\"\"\\n\"\", true]\"\r\n",
		"{\"obj\":{\"a\": [1, {\"b\": null}], \"c\": \"x,y\"},"
	"\"arr\":[\"\\n\", true]}\n"},
	{"JSON scalars", 3, {"n", "s", "nul"},
		{CJSON("12.5"), CJSON("\"str\""), CJSON("null")},
		"12.5,\"\"\"str\"\"\",null\r\n",
	"{\"n\":12.5,\"s\":\"str\",\"nul\":null}\n"},
	{"json with newlines stays on one line", 1, {"j"},
		{CJSON("{\r\n  \"a\": 1\n}")},
		"\"{\r\n  \"\"a\"\": 1\n}\"\r\n",
	"{\"j\":{    \"a\": 1 }}\n"},
	{"keys are escaped", 3, {"a\"b", "back\\slash", "new\nline"},
		{CNUM("1"), CNUM("2"), CNUM("3")},
		"1,2,3\r\n",
	"{\"a\\\"b\":1,\"back\\\\slash\":2,\"new\\nline\":3}\n"},
	{"COPY end marker as the only cell is quoted", 1, {"a"},
		{CTEXT("\\.")},
	"\"\\.\"\r\n", "{\"a\":\"\\\\.\"}\n"},
	{"COPY end marker beside another cell is not", 2, {"a", "b"},
		{CTEXT("\\."), CTEXT("x")},
	"\\.,x\r\n", "{\"a\":\"\\\\.\",\"b\":\"x\"}\n"},
	{"mixed kinds", 5, {"id", "ok", "tags", "msg", "gone"},
		{CNUM("7"), CBOOL("true"), CJSON("{\"k\":\"v\"}"),
		CTEXT("it's \"fine\", really"), CNULL},
		"7,true,\"{\"\"k\"\":\"\"v\"\"}\",\"it's \"\"fine\"\", really\",\r\n",
		"{\"id\":7,\"ok\":true,\"tags\":{\"k\":\"v\"},"
	"\"msg\":\"it's \\\"fine\\\", really\",\"gone\":null}\n"},
};

typedef struct HeaderCase
{
	const char *name;
	int			nnames;
	const char *names[MAX_CELLS];
	const char *want;
} HeaderCase;

static const HeaderCase header_cases[] = {
	{"no columns", 0, {NULL}, "\r\n"},
	{"plain", 3, {"id", "title", "count"}, "id,title,count\r\n"},
	{"functions and aliases", 4,
		{"count", "count_unique_user", "percentile_x_0_5", "p95_duration"},
	"count,count_unique_user,percentile_x_0_5,p95_duration\r\n"},
	{"equation with spaces and slash", 1, {"count() / 2"}, "count() / 2\r\n"},
	{"special characters", 5,
		{"a,b", "say \"x\"", "multi\nline", "cr\rhere", "tags[browser]"},
		"\"a,b\",\"say \"\"x\"\"\",\"multi\nline\",\"cr\rhere\","
	"tags[browser]\r\n"},
	{"percentile with comma as written", 1, {"percentile(x, 0.5)"},
	"\"percentile(x, 0.5)\"\r\n"},
	{"non-ASCII", 2, {"\xc3\xa9v\xc3\xa9nement", "\xe6\x97\xa5\xe6\x9c\xac"},
	"\xc3\xa9v\xc3\xa9nement,\xe6\x97\xa5\xe6\x9c\xac\r\n"},
	{"empty name", 2, {"", "b"}, "\"\",b\r\n"},
	{"COPY end marker as the only name", 1, {"\\."}, "\"\\.\"\r\n"},
};

typedef struct FilenameCase
{
	const char *name;
	const char *type;
	de_time		created;
	int64_t		id;
	DeFormat	format;
	DeCompression compression;
	const char *want;
} FilenameCase;

static const FilenameCase filename_cases[] = {
	{"discover csv", "Discover", T_2026_11_28, 42,
	DE_FORMAT_CSV, DE_COMPRESSION_NONE, "Discover_2026-November-28_42.csv"},
	{"discover csv gzip", "Discover", T_2026_11_28, 42,
		DE_FORMAT_CSV, DE_COMPRESSION_GZIP,
	"Discover_2026-November-28_42.csv.gz"},
	{"discover jsonl", "Discover", T_2026_11_28, 42,
		DE_FORMAT_JSONL, DE_COMPRESSION_NONE,
	"Discover_2026-November-28_42.jsonl"},
	{"discover jsonl gzip", "Discover", T_2026_11_28, 42,
		DE_FORMAT_JSONL, DE_COMPRESSION_GZIP,
	"Discover_2026-November-28_42.jsonl.gz"},
	{"discover csv zstd", "Discover", T_2026_11_28, 42,
		DE_FORMAT_CSV, DE_COMPRESSION_ZSTD,
	"Discover_2026-November-28_42.csv.zst"},
	{"discover jsonl zstd", "Discover", T_2026_11_28, 42,
		DE_FORMAT_JSONL, DE_COMPRESSION_ZSTD,
	"Discover_2026-November-28_42.jsonl.zst"},
	{"issues-by-tag csv", "Issues-by-Tag", T_2026_11_28, 7,
		DE_FORMAT_CSV, DE_COMPRESSION_NONE,
	"Issues-by-Tag_2026-November-28_7.csv"},
	{"issues-by-tag jsonl gzip", "Issues-by-Tag", T_2026_11_28, 7,
		DE_FORMAT_JSONL, DE_COMPRESSION_GZIP,
	"Issues-by-Tag_2026-November-28_7.jsonl.gz"},
	{"sql csv", "SQL", T_2026_11_28, 1,
	DE_FORMAT_CSV, DE_COMPRESSION_NONE, "SQL_2026-November-28_1.csv"},
	{"sql parquet", "SQL", T_2026_11_28, 1,
	DE_FORMAT_PARQUET, DE_COMPRESSION_NONE, "SQL_2026-November-28_1.parquet"},
	{"parquet gzip pages: still .parquet", "Discover", T_2026_11_28, 42,
	DE_FORMAT_PARQUET, DE_COMPRESSION_GZIP, "Discover_2026-November-28_42.parquet"},
	{"leap day, last microsecond", "Discover",
		INT64_C(1709251199) * DE_USECS_PER_SEC + 999999, 3,
	DE_FORMAT_CSV, DE_COMPRESSION_NONE, "Discover_2024-February-29_3.csv"},
	{"day padded", "Discover", INT64_C(946684800) * DE_USECS_PER_SEC, 9,
	DE_FORMAT_CSV, DE_COMPRESSION_NONE, "Discover_2000-January-01_9.csv"},
	{"year end", "Discover", INT64_C(946684799) * DE_USECS_PER_SEC, 10,
	DE_FORMAT_CSV, DE_COMPRESSION_NONE, "Discover_1999-December-31_10.csv"},
	{"largest id", "Discover", T_2026_11_28, INT64_MAX,
		DE_FORMAT_CSV, DE_COMPRESSION_NONE,
	"Discover_2026-November-28_9223372036854775807.csv"},
};

/* ---- per-row tests ---- */

static void
test_csv_field(void **state)
{
	const FieldCase *c = *state;
	StrBuf		sb;

	sb_init(&sb);
	csv_append_field(&sb, c->in, strlen(c->in));
	assert_string_equal(sb.data, c->want);
	assert_int_equal(sb.len, strlen(c->want));
	sb_free(&sb);
}

static void
test_csv_record(void **state)
{
	const RecordCase *c = *state;
	StrBuf		sb;

	sb_init(&sb);
	csv_append_record(&sb, c->cells, c->ncells);
	assert_string_equal(sb.data, c->want_csv);
	sb_free(&sb);
}

static void
test_jsonl_record(void **state)
{
	const RecordCase *c = *state;
	StrBuf		sb;
	DeError		err = {0};
	DjValue    *parsed;

	sb_init(&sb);
	jsonl_append_record(&sb, (char *const *) c->names, c->cells, c->ncells);
	assert_string_equal(sb.data, c->want_jsonl);

	/* the worker's variant, keys quoted once per export: the same bytes */
	{
		char	  **keys = jsonl_keys((char *const *) c->names, c->ncells);
		StrBuf		keyed;

		sb_init(&keyed);
		jsonl_append_record_keyed(&keyed, keys, c->cells, c->ncells);
		assert_string_equal(keyed.data, c->want_jsonl);
		for (int i = 0; i < c->ncells; i++)
			de_free(keys[i]);
		de_free(keys);
		sb_free(&keyed);
	}

	/* One line, and that line is one valid JSON object. */
	assert_ptr_equal(memchr(sb.data, '\n', sb.len), sb.data + sb.len - 1);
	parsed = dj_from_json(sb.data, sb.len, &err);
	assert_non_null(parsed);
	assert_int_equal(parsed->type, DJ_OBJECT);
	assert_int_equal(parsed->count, c->ncells);
	dj_free(parsed);
	sb_free(&sb);
}

static void
test_csv_header(void **state)
{
	const HeaderCase *c = *state;
	StrBuf		sb;

	sb_init(&sb);
	csv_append_header(&sb, (char *const *) c->names, c->nnames);
	assert_string_equal(sb.data, c->want);
	sb_free(&sb);
}

static void
test_filename(void **state)
{
	const FilenameCase *c = *state;
	char	   *name;

	name = de_export_filename(c->type, c->created, c->id, c->format,
							  c->compression);
	assert_string_equal(name, c->want);
	de_free(name);
}

/* ---- whole-file and round-trip tests ---- */

/* Header and records append to one buffer, each ending with CRLF. */
static void
test_csv_stream(void **state)
{
	static const char *const names[] = {"id", "message"};
	static const DeCell rows[][2] = {
		{CNUM("1"), CTEXT("first")},
		{CNUM("2"), CTEXT("two\nlines")},
		{CNUM("3"), CNULL},
	};
	StrBuf		sb;
	size_t		i;

	(void) state;
	sb_init(&sb);
	csv_append_header(&sb, (char *const *) names, 2);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		csv_append_record(&sb, rows[i], 2);
	assert_string_equal(sb.data,
						"id,message\r\n"
						"1,first\r\n"
						"2,\"two\nlines\"\r\n"
						"3,\r\n");
	sb_free(&sb);
}

static void
test_jsonl_stream(void **state)
{
	static const char *const names[] = {"id", "message"};
	static const DeCell rows[][2] = {
		{CNUM("1"), CTEXT("first")},
		{CNUM("2"), CTEXT("two\nlines")},
	};
	StrBuf		sb;

	(void) state;
	sb_init(&sb);
	jsonl_append_record(&sb, (char *const *) names, rows[0], 2);
	jsonl_append_record(&sb, (char *const *) names, rows[1], 2);
	assert_string_equal(sb.data,
						"{\"id\":1,\"message\":\"first\"}\n"
						"{\"id\":2,\"message\":\"two\\nlines\"}\n");
	sb_free(&sb);
}

/* Cells are (text, len), not C strings: a length shorter than the text must
 * be honoured by both encoders. */
static void
test_cell_length_honoured(void **state)
{
	static const char *const names[] = {"a", "b"};
	DeCell		cells[2] = {
		{DE_CELL_TEXT, "abc,def", 3},
		{DE_CELL_NUMBER, "12345", 2},
	};
	StrBuf		sb;

	(void) state;
	sb_init(&sb);
	csv_append_record(&sb, cells, 2);
	assert_string_equal(sb.data, "abc,12\r\n");
	sb_reset(&sb);
	jsonl_append_record(&sb, (char *const *) names, cells, 2);
	assert_string_equal(sb.data, "{\"a\":\"abc\",\"b\":12}\n");
	sb_free(&sb);
}

static uint32_t
next_random(uint32_t *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* A value over the characters that matter to CSV and JSON, plus UTF-8. */
static size_t
random_value(uint32_t *seed, char *buf, size_t cap)
{
	static const char *const atoms[] = {
		"a", "Z", "0", ",", "\"", "\r", "\n", " ", "\t", "\\", "'",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\x01", "\x1f", ";",
		"\\.", "\\N",
	};
	size_t		natoms = sizeof(atoms) / sizeof(atoms[0]);
	size_t		n = next_random(seed) % 12;
	size_t		len = 0;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		const char *a = atoms[next_random(seed) % natoms];
		size_t		alen = strlen(a);

		if (len + alen >= cap)
			break;
		memcpy(buf + len, a, alen);
		len += alen;
	}
	buf[len] = '\0';
	return len;
}

/*
 * Reads one RFC 4180 record from *p into fields (de_alloc'd); returns the
 * field count.  Strict: anything not RFC 4180 fails the test.
 */
static int
csv_read_record(const char **p, char **fields, int maxfields)
{
	const char *s = *p;
	int			n = 0;

	for (;;)
	{
		StrBuf		f;

		assert_true(n < maxfields);
		sb_init(&f);
		if (*s == '"')
		{
			s++;
			for (;;)
			{
				assert_true(*s != '\0');
				if (s[0] == '"' && s[1] == '"')
				{
					sb_append_char(&f, '"');
					s += 2;
				}
				else if (s[0] == '"')
				{
					s++;
					break;
				}
				else
					sb_append_char(&f, *s++);
			}
		}
		else
		{
			while (*s != ',' && *s != '\r' && *s != '\0')
			{
				assert_true(*s != '"' && *s != '\n');
				sb_append_char(&f, *s++);
			}
		}
		fields[n++] = sb_steal(&f);
		if (*s == ',')
		{
			s++;
			continue;
		}
		assert_true(s[0] == '\r' && s[1] == '\n');
		*p = s + 2;
		return n;
	}
}

static void
test_csv_round_trip(void **state)
{
	uint32_t	seed = 12345;
	char		values[MAX_CELLS][64];
	DeCell		cells[MAX_CELLS];
	char	   *fields[MAX_CELLS];
	StrBuf		sb;
	int			iter;

	(void) state;
	sb_init(&sb);
	for (iter = 0; iter < 2000; iter++)
	{
		int			ncells = 1 + next_random(&seed) % MAX_CELLS;
		const char *p;
		int			i;

		for (i = 0; i < ncells; i++)
		{
			cells[i].kind = DE_CELL_TEXT;
			cells[i].text = values[i];
			cells[i].len = random_value(&seed, values[i], sizeof(values[i]));
		}
		sb_reset(&sb);
		csv_append_record(&sb, cells, ncells);
		p = sb.data;
		assert_int_equal(csv_read_record(&p, fields, MAX_CELLS), ncells);
		assert_true(*p == '\0');
		for (i = 0; i < ncells; i++)
		{
			assert_string_equal(fields[i], values[i]);
			de_free(fields[i]);
		}
	}
	sb_free(&sb);
}

static void
test_jsonl_round_trip(void **state)
{
	static const char *const names[MAX_CELLS] = {
		"a", "b,c", "\"d\"", "e\nf", "\xc3\xa9", "g\\h", "i\x01", "j"
	};
	uint32_t	seed = 54321;
	char		values[MAX_CELLS][64];
	DeCell		cells[MAX_CELLS];
	StrBuf		sb;
	int			iter;

	(void) state;
	sb_init(&sb);
	for (iter = 0; iter < 2000; iter++)
	{
		int			ncells = 1 + next_random(&seed) % MAX_CELLS;
		DeError		err = {0};
		DjValue    *obj;
		int			i;

		for (i = 0; i < ncells; i++)
		{
			cells[i].kind = DE_CELL_TEXT;
			cells[i].text = values[i];
			cells[i].len = random_value(&seed, values[i], sizeof(values[i]));
		}
		sb_reset(&sb);
		jsonl_append_record(&sb, (char *const *) names, cells, ncells);
		assert_ptr_equal(memchr(sb.data, '\n', sb.len), sb.data + sb.len - 1);
		obj = dj_from_json(sb.data, sb.len, &err);
		assert_non_null(obj);
		assert_int_equal(obj->count, ncells);
		/* the DOM has jsonb's key order: look each name up */
		for (i = 0; i < ncells; i++)
		{
			DjValue    *v = dj_get(obj, names[i]);

			assert_non_null(v);
			assert_int_equal(v->type, DJ_STRING);
			assert_string_equal(v->str, values[i]);
		}
		dj_free(obj);
	}
	sb_free(&sb);
}

/* ---- runner ---- */


int
main(void)
{
	static const FixedTest fixed[] = {
		{"csv stream of header and records", test_csv_stream},
		{"jsonl stream of records", test_jsonl_stream},
		{"cell length honoured", test_cell_length_honoured},
		{"csv round trip of generated values", test_csv_round_trip},
		{"jsonl round trip of generated values", test_jsonl_round_trip},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "csv field", field_cases, test_csv_field);
	CASE_TABLE(&list, "csv record", record_cases, test_csv_record);
	CASE_TABLE(&list, "jsonl record", record_cases, test_jsonl_record);
	CASE_TABLE(&list, "csv header", header_cases, test_csv_header);
	CASE_TABLE(&list, "file name", filename_cases, test_filename);
	CASE_FIXED(&list, "encode", fixed);
	return case_list_run(&list, "encode");
}
