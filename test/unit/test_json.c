/*
 * test_json.c
 *	  Unit tests of dom.c (serialization and the accessors) and of the DOM
 *	  the tests and fuzzers build with PostgreSQL's JSON parser
 *	  (dom_from_jsonapi.c), which must be the DOM the server builds from
 *	  jsonb: jsonb's key order, numbers as numeric_out writes them.
 *
 * Most cases are table rows (input text, expected compact output or
 * failure); each row is its own cmocka test so that TAP names what broke.
 */
#include "case_runner.h"

#include "dom_from_jsonapi.h"
#include "dom.h"


/* ---- tables ---- */

typedef struct RoundTripCase
{
	const char *name;
	const char *in;
	const char *want;			/* compact serialization */
} RoundTripCase;

static const RoundTripCase round_trip_cases[] = {
	{"null", "null", "null"},
	{"true", "true", "true"},
	{"false", "false", "false"},
	{"zero", "0", "0"},
	{"negative zero", "-0", "0"},
	{"negative zero with scale", "-0.0", "0.0"},
	{"integer", "42", "42"},
	{"negative", "-17", "-17"},
	{"fraction keeps its scale", "1.50", "1.50"},
	{"exponent expanded", "1E+3", "1000"},
	{"exponent 1e2 is the integer 100", "1e2", "100"},
	{"exponent eats the fraction", "1.5e1", "15"},
	{"exponent keeps the remaining scale", "1.50e1", "15.0"},
	{"negative exponent", "1e-2", "0.01"},
	{"zero with exponent", "0.0e5", "0"},
	{"small exponent", "-2.5e-10", "-0.00000000025"},
	{"exponent zero", "-1E+0", "-1"},
	{"huge exponent of zero", "0e1073741822", "0"},
	{"huge integer kept", "123456789012345678901234567890", "123456789012345678901234567890"},
	{"empty string", "\"\"", "\"\""},
	{"string", "\"abc\"", "\"abc\""},
	{"surrounding whitespace", " \t\r\n 1 \n", "1"},
	{"empty array", "[]", "[]"},
	{"empty array with spaces", "[ \n ]", "[]"},
	{"empty object", "{}", "{}"},
	{"empty object with spaces", "{ }", "{}"},
	{"array", "[1, \"a\", true, null, [], {}]", "[1,\"a\",true,null,[],{}]"},
	{"object keys in jsonb order", "{\"b\": 1, \"a\": 2}", "{\"a\":2,\"b\":1}"},
	{"shorter keys first", "{\"bb\": 1, \"c\": 2, \"a\": 3}", "{\"a\":3,\"c\":2,\"bb\":1}"},
	{"nested", "{\"a\": {\"b\": [1, {\"c\": null}]}}", "{\"a\":{\"b\":[1,{\"c\":null}]}}"},
	{"duplicate key last wins", "{\"b\":1,\"a\":2,\"b\":3}", "{\"a\":2,\"b\":3}"},
	{"triple duplicate", "{\"a\":1,\"a\":2,\"b\":0,\"a\":3}", "{\"a\":3,\"b\":0}"},
	{"simple escapes decoded and re-escaped", "\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"",
	"\"\\\" \\\\ / \\b \\f \\n \\r \\t\""},
	{"unicode escape to utf8", "\"\\u00e9\\u20AC\"", "\"\xc3\xa9\xe2\x82\xac\""},
	{"surrogate pair", "\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\""},
	{"control escape re-escaped", "\"\\u0001\\u001f\"", "\"\\u0001\\u001f\""},
	{"utf8 passthrough", "\"caf\xc3\xa9 \xe6\x97\xa5\"", "\"caf\xc3\xa9 \xe6\x97\xa5\""},
	{"utf8 key", "{\"\xc3\xa9\":1}", "{\"\xc3\xa9\":1}"},
	{"escaped key", "{\"a\\nb\":1}", "{\"a\\nb\":1}"},
	{"DEL not escaped", "\"\x7f\"", "\"\x7f\""},
};

typedef struct InvalidCase
{
	const char *name;
	const char *in;
} InvalidCase;

static const InvalidCase invalid_cases[] = {
	{"empty", ""},
	{"whitespace only", "  "},
	{"bare word", "nul"},
	{"True capitalized", "True"},
	{"trailing garbage", "1 2"},
	{"trailing comma array", "[1,]"},
	{"trailing comma object", "{\"a\":1,}"},
	{"leading comma", "[,1]"},
	{"missing comma", "[1 2]"},
	{"unclosed array", "[1"},
	{"unclosed object", "{\"a\":1"},
	{"unclosed string", "\"abc"},
	{"single quotes", "'a'"},
	{"unquoted key", "{a:1}"},
	{"number key", "{1:1}"},
	{"missing colon", "{\"a\" 1}"},
	{"missing value", "{\"a\":}"},
	{"leading zero", "01"},
	{"plus sign", "+1"},
	{"bare minus", "-"},
	{"dot without digits", "1."},
	{"leading dot", ".5"},
	{"exponent without digits", "1e"},
	{"exponent sign only", "1e+"},
	{"hex", "0x10"},
	{"NaN", "NaN"},
	{"Infinity", "Infinity"},
	{"raw newline in string", "\"a\nb\""},
	{"raw tab in string", "\"a\tb\""},
	{"bad escape", "\"\\x41\""},
	{"short unicode escape", "\"\\u12\""},
	{"bad hex", "\"\\u12g4\""},
	{"escaped NUL", "\"\\u0000\""},
	{"escaped NUL in key", "{\"\\u0000\":1}"},
	{"lone high surrogate", "\"\\ud83d\""},
	{"high surrogate then text", "\"\\ud83dx\""},
	{"high surrogate then non-low", "\"\\ud83d\\u0041\""},
	{"lone low surrogate", "\"\\ude00\""},
	{"comment", "/* x */ 1"},
	{"close without open", "]"},
	{"mismatched brackets", "[1}"},
	{"numeric overflow: 131073 integer digits", "1e131072"},
	{"numeric overflow: scale 16384", "[1e-16384]"},
	{"numeric overflow: scale of zero", "0e-16384"},
	{"numeric overflow: huge exponent of zero", "0e1073741823"},
};

typedef struct IntCase
{
	const char *name;
	const char *literal;
	bool		ok;
	int64_t		want;
} IntCase;

static const IntCase int_cases[] = {
	{"zero", "0", true, 0},
	{"negative zero", "-0", true, 0},
	{"positive", "42", true, 42},
	{"negative", "-42", true, -42},
	{"max", "9223372036854775807", true, INT64_MAX},
	{"min", "-9223372036854775808", true, INT64_MIN},
	{"max plus one", "9223372036854775808", false, 0},
	{"min minus one", "-9223372036854775809", false, 0},
	{"way too big", "100000000000000000000000", false, 0},
	{"fraction", "1.0", false, 0},
	{"exponent", "1e3", false, 0},
	{"empty", "", false, 0},
	{"bare minus", "-", false, 0},
};

/* ---- table tests ---- */

static void
test_round_trip(void **state)
{
	const RoundTripCase *c = *state;
	DeError		err = {0};
	DjValue    *v = dj_from_json(c->in, strlen(c->in), &err);
	char	   *out;

	if (v == NULL)
		fail_msg("parse failed: %s", err.message);
	out = dj_serialize(v);
	assert_string_equal(out, c->want);
	de_free(out);

	/* the serialization parses back to the same serialization */
	{
		DjValue    *again = dj_from_json(c->want, strlen(c->want), &err);
		char	   *out2;

		assert_non_null(again);
		out2 = dj_serialize(again);
		assert_string_equal(out2, c->want);
		de_free(out2);
		dj_free(again);
	}
	dj_free(v);
}

static void
test_invalid(void **state)
{
	const InvalidCase *c = *state;
	DeError		err = {0};
	DjValue    *v = dj_from_json(c->in, strlen(c->in), &err);

	if (v != NULL)
	{
		char	   *out = dj_serialize(v);

		fail_msg("accepted, parsed as %s", out);
	}
	assert_int_equal(err.code, DE_ERR_INVALID);
	if (strncmp(c->name, "numeric overflow", 16) == 0)
		assert_string_equal(err.message, "value overflows numeric format");
	else
		assert_true(strncmp(err.message, "invalid input syntax for type json: ", 36) == 0);
}

static void
test_as_int64(void **state)
{
	const IntCase *c = *state;
	DjValue    *v = dj_new_number_text(c->literal);
	int64_t		got = 12345;

	assert_int_equal(dj_as_int64(v, &got), c->ok);
	if (c->ok)
		assert_int_equal(got, c->want);
	dj_free(v);
}

/* ---- fixed tests ---- */

static DjValue *
must_parse(const char *text)
{
	DeError		err = {0};
	DjValue    *v = dj_from_json(text, strlen(text), &err);

	if (v == NULL)
		fail_msg("parse of %s failed: %s", text, err.message);
	return v;
}

static void
assert_serializes_to(const DjValue *v, const char *want)
{
	char	   *out = dj_serialize(v);

	assert_string_equal(out, want);
	de_free(out);
}

/* depth containers around the value 1 */
static char *
nested(const char *open, const char *close, int depth)
{
	size_t		olen = strlen(open);
	size_t		clen = strlen(close);
	char	   *s = malloc(depth * (olen + clen) + 2);
	char	   *p = s;

	for (int i = 0; i < depth; i++, p += olen)
		memcpy(p, open, olen);
	*p++ = '1';
	for (int i = 0; i < depth; i++, p += clen)
		memcpy(p, close, clen);
	*p = '\0';
	return s;
}

static void
test_depth_limit(void **state)
{
	static const struct
	{
		const char *open;
		const char *close;
	}			kinds[] = {{"[", "]"}, {"{\"k\":", "}"}, {"[{\"k\":", "}]"}};

	(void) state;
	for (size_t k = 0; k < NELEMS(kinds); k++)
	{
		/* the mixed kind opens two containers per step */
		int			per_step = k == 2 ? 2 : 1;
		char	   *ok = nested(kinds[k].open, kinds[k].close, 10000 / per_step);
		char	   *deep = nested(kinds[k].open, kinds[k].close, 10000 / per_step + 1);
		DeError		err = {0};
		DjValue    *v;

		v = dj_from_json(ok, strlen(ok), &err);
		assert_non_null(v);
		assert_serializes_to(v, ok);
		dj_free(v);

		assert_null(dj_from_json(deep, strlen(deep), &err));
		assert_int_equal(err.code, DE_ERR_INVALID);
		assert_string_equal(err.message, "stack depth limit exceeded");
		free(ok);
		free(deep);
	}
}

static void
test_very_deep_input_fails_fast(void **state)
{
	char	   *deep = nested("[", "]", 100000);
	DeError		err = {0};

	(void) state;
	assert_null(dj_from_json(deep, strlen(deep), &err));
	assert_string_equal(err.message, "stack depth limit exceeded");
	free(deep);
}

/* The largest values numeric_in takes (as checked against jsonb_in of
 * PostgreSQL 15): 131072 integer digits, a scale of 16383. */
static void
test_numeric_limits(void **state)
{
	DeError		err = {0};
	DjValue    *v;
	StrBuf		want;

	(void) state;
	v = dj_from_json("1e131071", 8, &err);
	assert_non_null(v);
	assert_int_equal(strlen(v->str), 131072);
	assert_true(v->str[0] == '1' && strspn(v->str + 1, "0") == 131071);
	dj_free(v);

	v = dj_from_json("-1e-16383", 9, &err);
	assert_non_null(v);
	sb_init(&want);
	sb_append(&want, "-0.");
	for (int i = 0; i < 16382; i++)
		sb_append_char(&want, '0');
	sb_append_char(&want, '1');
	assert_string_equal(v->str, want.data);
	sb_free(&want);
	dj_free(v);
}

static void
test_length_is_honoured(void **state)
{
	DeError		err = {0};
	DjValue    *v;

	(void) state;
	/* only "12" of "123" */
	v = dj_from_json("123", 2, &err);
	assert_non_null(v);
	assert_serializes_to(v, "12");
	dj_free(v);

	/* "[1" of "[1]": unclosed */
	assert_null(dj_from_json("[1]", 2, &err));
	/* "\"ab" of "\"ab\"" */
	assert_null(dj_from_json("\"ab\"", 3, &err));
	/* "tru" of "true" */
	assert_null(dj_from_json("true", 3, &err));
	/* an escape cut in the middle */
	assert_null(dj_from_json("\"\\u00e9\"", 5, &err));
	/* a NUL byte inside the given length */
	assert_null(dj_from_json("[1,\0 2]", 7, &err));
	assert_null(dj_from_json("\"a\0b\"", 5, &err));
	assert_null(dj_from_json(NULL, 0, &err));
}

static void
test_error_position(void **state)
{
	DeError		err = {0};

	(void) state;
	assert_null(dj_from_json("[1, x]", 6, &err));
	assert_string_equal(err.message, "invalid input syntax for type json: invalid token at offset 4");
	assert_null(dj_from_json("[1,", 3, &err));
	assert_string_equal(err.message,
						"invalid input syntax for type json: the input string ended unexpectedly at offset 3");
	assert_null(dj_from_json("{\"a\" 1}", 7, &err));
	assert_string_equal(err.message, "invalid input syntax for type json: expected \":\" at offset 5");
	assert_null(dj_from_json("\"\\u0000\"", 8, &err));
	assert_string_equal(err.message,
						"invalid input syntax for type json: \\u0000 cannot be converted to text at offset 0");
	/* err may be NULL */
	assert_null(dj_from_json("x", 1, NULL));
}

static void
test_decoded_strings(void **state)
{
	DjValue    *v = must_parse("{\"k\\u00e9y\": \"a\\\"b\\\\c\\nd\\u0041\"}");

	(void) state;
	assert_int_equal(v->type, DJ_OBJECT);
	assert_int_equal(v->count, 1);
	assert_string_equal(v->keys[0], "k\xc3\xa9y");
	assert_string_equal(dj_get(v, "k\xc3\xa9y")->str, "a\"b\\c\ndA");
	dj_free(v);

	v = must_parse("\"\\uD834\\uDD1E \\u007f \\u0080 \\u07FF \\u0800 \\uFFFF\"");
	assert_string_equal(v->str,
						"\xf0\x9d\x84\x9e \x7f \xc2\x80 \xdf\xbf \xe0\xa0\x80 \xef\xbf\xbf");
	dj_free(v);
}

static void
test_serializer_escapes(void **state)
{
	StrBuf		sb;
	char		all_controls[33];

	(void) state;
	sb_init(&sb);
	dj_append_quoted(&sb, "a\"b\\c/d\x01\x1f\b\f\n\r\t", 14);
	assert_string_equal(sb.data,
						"\"a\\\"b\\\\c/d\\u0001\\u001f\\b\\f\\n\\r\\t\"");

	/* the length is honoured, not the NUL */
	sb_reset(&sb);
	dj_append_quoted(&sb, "abcdef", 3);
	assert_string_equal(sb.data, "\"abc\"");

	/* every control character survives a round trip */
	for (int i = 1; i < 32; i++)
		all_controls[i - 1] = (char) i;
	all_controls[31] = '\0';
	sb_reset(&sb);
	dj_append_quoted(&sb, all_controls, 31);
	{
		DeError		err = {0};
		DjValue    *v = dj_from_json(sb.data, sb.len, &err);

		assert_non_null(v);
		assert_string_equal(v->str, all_controls);
		for (size_t i = 0; i < sb.len; i++)
			assert_true((unsigned char) sb.data[i] >= 0x20);
		dj_free(v);
	}
	sb_free(&sb);
}

static void
test_constructors(void **state)
{
	DjValue    *obj = dj_new_object();
	DjValue    *arr = dj_new_array();

	(void) state;
	dj_append(arr, dj_new_null());
	dj_append(arr, dj_new_bool(true));
	dj_append(arr, dj_new_bool(false));
	dj_append(arr, dj_new_int(INT64_MIN));
	dj_append(arr, dj_new_int(7));
	dj_append(arr, dj_new_number_text("2.5"));
	dj_append(arr, dj_new_string("x\"y"));
	dj_set(obj, "list", arr);
	dj_set(obj, "empty", dj_new_object());
	assert_serializes_to(obj,
						 "{\"list\":[null,true,false,-9223372036854775808,7,2.5,\"x\\\"y\"],\"empty\":{}}");
	dj_free(obj);
}

static void
test_get_set_remove(void **state)
{
	DjValue    *obj = must_parse("{\"a\":1,\"b\":2,\"c\":3}");
	DjValue    *arr = dj_new_array();
	int64_t		i;

	(void) state;
	assert_true(dj_as_int64(dj_get(obj, "b"), &i));
	assert_int_equal(i, 2);
	assert_null(dj_get(obj, "z"));
	assert_null(dj_get(arr, "a"));
	assert_null(dj_get(NULL, "a"));

	/* replacing keeps the position */
	dj_set(obj, "b", dj_new_string("two"));
	assert_serializes_to(obj, "{\"a\":1,\"b\":\"two\",\"c\":3}");
	/* new keys go last */
	dj_set(obj, "d", dj_new_null());
	assert_serializes_to(obj, "{\"a\":1,\"b\":\"two\",\"c\":3,\"d\":null}");

	dj_remove(obj, "a");
	assert_serializes_to(obj, "{\"b\":\"two\",\"c\":3,\"d\":null}");
	dj_remove(obj, "d");
	assert_serializes_to(obj, "{\"b\":\"two\",\"c\":3}");
	dj_remove(obj, "nope");
	assert_serializes_to(obj, "{\"b\":\"two\",\"c\":3}");
	dj_remove(obj, "b");
	dj_remove(obj, "c");
	assert_serializes_to(obj, "{}");
	dj_set(obj, "again", dj_new_int(1));
	assert_serializes_to(obj, "{\"again\":1}");

	/* wrong container types take ownership and do nothing (no leak) */
	dj_set(arr, "k", dj_new_string("leak?"));
	dj_append(obj, dj_new_string("leak?"));
	dj_remove(arr, "k");
	assert_serializes_to(arr, "[]");
	assert_serializes_to(obj, "{\"again\":1}");

	dj_free(obj);
	dj_free(arr);
	dj_free(NULL);
}

static void
test_growth_and_removal(void **state)
{
	DjValue    *obj = dj_new_object();
	DjValue    *arr = dj_new_array();
	char		key[32];

	(void) state;
	for (int i = 0; i < 1000; i++)
	{
		snprintf(key, sizeof(key), "k%d", i);
		dj_set(obj, key, dj_new_int(i));
		dj_append(arr, dj_new_int(i));
		/* interleave removals so that count goes up and down */
		if (i % 3 == 2)
		{
			snprintf(key, sizeof(key), "k%d", i - 1);
			dj_remove(obj, key);
		}
	}
	assert_int_equal(arr->count, 1000);
	assert_int_equal(obj->count, 1000 - 333);
	for (int i = 0; i < 1000; i++)
	{
		DjValue    *v;
		int64_t		got;

		snprintf(key, sizeof(key), "k%d", i);
		v = dj_get(obj, key);
		if (i % 3 == 1)
			assert_null(v);
		else
		{
			assert_true(dj_as_int64(v, &got));
			assert_int_equal(got, i);
		}
		assert_true(dj_as_int64(arr->items[i], &got));
		assert_int_equal(got, i);
	}
	/* remove everything, then grow again from the same storage */
	while (obj->count > 0)
	{
		char	   *first = de_strdup(obj->keys[0]);

		dj_remove(obj, first);
		de_free(first);
	}
	for (int i = 0; i < 40; i++)
	{
		snprintf(key, sizeof(key), "n%d", i);
		dj_set(obj, key, dj_new_bool(true));
	}
	assert_int_equal(obj->count, 40);
	dj_free(obj);
	dj_free(arr);
}

static void
test_clone(void **state)
{
	const char *text = "{\"a\":[1,2.5,\"x\",{\"b\":null,\"c\":[true,false]}],\"d\":{}}";
	DjValue    *v = must_parse(text);
	DjValue    *copy = dj_clone(v);

	(void) state;
	dj_free(v);
	assert_serializes_to(copy, text);
	/* a clone is independent */
	dj_set(copy, "e", dj_new_int(1));
	assert_int_equal(copy->count, 3);
	dj_free(copy);
	assert_null(dj_clone(NULL));
}

static void
test_many_duplicate_keys(void **state)
{
	StrBuf		sb;
	DeError		err = {0};
	DjValue    *v;
	int64_t		got;

	(void) state;
	sb_init(&sb);
	sb_append_char(&sb, '{');
	for (int i = 0; i < 5000; i++)
		sb_appendf(&sb, "%s\"k%d\":%d", i ? "," : "", i % 7, i);
	sb_append_char(&sb, '}');
	v = dj_from_json(sb.data, sb.len, &err);
	assert_non_null(v);
	assert_int_equal(v->count, 7);
	for (int k = 0; k < 7; k++)
	{
		char		want_key[8];

		snprintf(want_key, sizeof(want_key), "k%d", k);
		assert_string_equal(v->keys[k], want_key);
		assert_true(dj_as_int64(v->items[k], &got));
		/* the last i with i % 7 == k */
		assert_int_equal(got, 4999 - ((4999 - k) % 7));
	}
	dj_free(v);
	sb_free(&sb);
}

/* ---- runner ---- */

int
main(void)
{
	static const FixedTest fixed[] = {
		{"depth limit is 10000, as jsonb's at max_stack_depth 2MB", test_depth_limit},
		{"very deep input fails without recursing", test_very_deep_input_fails_fast},
		{"numeric limits", test_numeric_limits},
		{"length is honoured", test_length_is_honoured},
		{"error messages are pg_parse_json's, with the position", test_error_position},
		{"strings are decoded", test_decoded_strings},
		{"serializer escapes", test_serializer_escapes},
		{"constructors", test_constructors},
		{"get, set, remove", test_get_set_remove},
		{"growth and removal", test_growth_and_removal},
		{"clone", test_clone},
		{"many duplicate keys", test_many_duplicate_keys},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "round trip", round_trip_cases, test_round_trip);
	CASE_TABLE(&list, "invalid", invalid_cases, test_invalid);
	CASE_TABLE(&list, "as int64", int_cases, test_as_int64);
	CASE_FIXED(&list, "json", fixed);
	return case_list_run(&list, "json");
}
