/*
 * test_fields.c
 *	  Unit tests of fields.c: field and equation syntax, Sentry's function
 *	  table and messages, the alias rule.
 *
 * Parsed trees are compared through a one-line dump (col(a), tag(k), num(1),
 * fn(args), (op l r)), so a table row states the whole result.  Every table
 * row is its own cmocka test, so the TAP output names the case that broke.
 */
#include "case_runner.h"

#include "fields.h"

static void
dump_expr(StrBuf *sb, const FieldExpr *e)
{
	switch (e->kind)
	{
		case FE_COLUMN:
			sb_appendf(sb, "col(%s)", e->name);
			break;
		case FE_TAG:
			sb_appendf(sb, "tag(%s)", e->name);
			break;
		case FE_NUMBER:
			sb_appendf(sb, "num(%s)", e->name);
			break;
		case FE_FUNCTION:
			sb_appendf(sb, "%s(", e->name);
			for (int i = 0; i < e->nargs; i++)
			{
				if (i > 0)
					sb_append(sb, ", ");
				dump_expr(sb, e->args[i]);
			}
			sb_append_char(sb, ')');
			break;
		case FE_BINOP:
			sb_appendf(sb, "(%c ", e->op);
			dump_expr(sb, e->left);
			sb_append_char(sb, ' ');
			dump_expr(sb, e->right);
			sb_append_char(sb, ')');
			break;
	}
}

static char *
dump(const FieldExpr *e)
{
	StrBuf		sb;

	sb_init(&sb);
	dump_expr(&sb, e);
	return sb_steal(&sb);
}

/* ---- tables ---- */

typedef struct OkCase
{
	const char *in;
	const char *text;
	const char *header;
	bool		aggregate;
	const char *tree;
} OkCase;

static const OkCase field_ok[] = {
	{"id", "id", "id", false, "col(id)"},
	{"  message\t", "message", "message", false, "col(message)"},
	{"transaction.duration", "transaction.duration", "transaction.duration", false,
	"col(transaction.duration)"},
	{"weird col)", "weird col)", "weird col)", false, "col(weird col))"},
	{"tags[browser]", "tags[browser]", "tags[browser]", false, "tag(browser)"},
	{"tags[a(b)]", "tags[a(b)]", "tags[a(b)]", false, "tag(a(b))"},
	{"tags[]", "tags[]", "tags[]", false, "col(tags[])"},
	{"tags[x", "tags[x", "tags[x", false, "col(tags[x)"},
	{"count()", "count()", "count", true, "count()"},
	{"count( )", "count( )", "count", true, "count()"},
	{"count(id)", "count(id)", "count_id", true, "count(col(id))"},
	{"count( id )", "count( id )", "count_id", true, "count(col(id))"},
	{"count_unique(user)", "count_unique(user)", "count_unique_user", true,
	"count_unique(col(user))"},
	{"count_unique(tags[browser])", "count_unique(tags[browser])",
	"count_unique_tags_browser", true, "count_unique(tag(browser))"},
	{"count_unique(tags[a,b)])", "count_unique(tags[a,b)])",
	"count_unique_tags_a_b", true, "count_unique(tag(a,b)))"},
	{"min(duration)", "min(duration)", "min_duration", true, "min(col(duration))"},
	{"max(duration)", "max(duration)", "max_duration", true, "max(col(duration))"},
	{"avg(transaction.duration)", "avg(transaction.duration)",
	"avg_transaction_duration", true, "avg(col(transaction.duration))"},
	{"sum(x)", "sum(x)", "sum_x", true, "sum(col(x))"},
	{"p50(x)", "p50(x)", "p50_x", true, "p50(col(x))"},
	{"p75(x)", "p75(x)", "p75_x", true, "p75(col(x))"},
	{"p95(x)", "p95(x)", "p95_x", true, "p95(col(x))"},
	{"p99(x)", "p99(x)", "p99_x", true, "p99(col(x))"},
	{"percentile(x, 0.5)", "percentile(x, 0.5)", "percentile_x_0_5", true,
	"percentile(col(x), num(0.5))"},
	{"percentile(x,1)", "percentile(x,1)", "percentile_x_1", true,
	"percentile(col(x), num(1))"},
	{"percentile(x, 0)", "percentile(x, 0)", "percentile_x_0", true,
	"percentile(col(x), num(0))"},
	{"percentile(x, 1.000)", "percentile(x, 1.000)", "percentile_x_1_000", true,
	"percentile(col(x), num(1.000))"},
	{"last_seen()", "last_seen()", "last_seen", true, "last_seen()"},
	{"first_seen()", "first_seen()", "first_seen", true, "first_seen()"},
	{"count() as total", "count() as total", "total", true, "count()"},
	{"count()  AS  _t2", "count()  AS  _t2", "_t2", true, "count()"},
	{"p95(x) as Slow_95", "p95(x) as Slow_95", "Slow_95", true, "p95(col(x))"},
	{"count(größe)", "count(größe)", "count_größe", true, "count(col(größe))"},
	{"count(a-b)", "count(a-b)", "count_a_b", true, "count(col(a-b))"},
	{"count(x__)", "count(x__)", "count_x", true, "count(col(x__))"},
};

static const OkCase equation_ok[] = {
	{"1", "1", "1", false, "num(1)"},
	{"count() / 2", "count() / 2", "count() / 2", true, "(/ count() num(2))"},
	{"  count()*2  ", "count()*2", "count()*2", true, "(* count() num(2))"},
	{"a + b * c", "a + b * c", "a + b * c", false, "(+ col(a) (* col(b) col(c)))"},
	{"a * b + c", "a * b + c", "a * b + c", false, "(+ (* col(a) col(b)) col(c))"},
	{"(a + b) * c", "(a + b) * c", "(a + b) * c", false,
	"(* (+ col(a) col(b)) col(c))"},
	{"a - b - c", "a - b - c", "a - b - c", false, "(- (- col(a) col(b)) col(c))"},
	{"a / b / c", "a / b / c", "a / b / c", false, "(/ (/ col(a) col(b)) col(c))"},
	{"a -5", "a -5", "a -5", false, "(- col(a) num(5))"},
	{"a * -5", "a * -5", "a * -5", false, "(* col(a) num(-5))"},
	{"-1.5 - -2", "-1.5 - -2", "-1.5 - -2", false, "(- num(-1.5) num(-2))"},
	{"((((a))))", "((((a))))", "((((a))))", false, "col(a)"},
	{"tags[x] + 1", "tags[x] + 1", "tags[x] + 1", false, "(+ tag(x) num(1))"},
	{"tags[a b+c] * 2", "tags[a b+c] * 2", "tags[a b+c] * 2", false,
	"(* tag(a b+c) num(2))"},
	{"count_unique(tags[browser]) / count()", "count_unique(tags[browser]) / count()",
		"count_unique(tags[browser]) / count()", true,
	"(/ count_unique(tag(browser)) count())"},
	{"percentile(d, 0.95) - p50(d)", "percentile(d, 0.95) - p50(d)",
		"percentile(d, 0.95) - p50(d)", true,
	"(- percentile(col(d), num(0.95)) p50(col(d)))"},
	{"transaction.duration * 1000", "transaction.duration * 1000",
		"transaction.duration * 1000", false,
	"(* col(transaction.duration) num(1000))"},
	{"1+1+1+1+1+1+1+1+1+1+1", "1+1+1+1+1+1+1+1+1+1+1", "1+1+1+1+1+1+1+1+1+1+1",
		false,
	"(+ (+ (+ (+ (+ (+ (+ (+ (+ (+ num(1) num(1)) num(1)) num(1)) num(1)) num(1)) num(1)) num(1)) num(1)) num(1)) num(1))"},
};

typedef struct ErrCase
{
	const char *in;
	const char *message;
} ErrCase;

static const ErrCase field_err[] = {
	{"", "Empty field"},
	{"   ", "Empty field"},
	{"min()", "min: expected 1 argument(s) but got 0 argument(s)"},
	{"max( )", "max: expected 1 argument(s) but got 0 argument(s)"},
	{"avg(a, b)", "avg: expected 1 argument(s) but got 2 argument(s)"},
	{"count(a, b)", "count: expected at most 1 argument(s) but got 2 argument(s)"},
	{"count(a, b, c, d)", "count: expected at most 1 argument(s) but got 4 argument(s)"},
	{"count_unique()", "count_unique: expected 1 argument(s) but got 0 argument(s)"},
	{"p50()", "p50: expected 1 argument(s) but got 0 argument(s)"},
	{"percentile(x)", "percentile: expected 2 argument(s) but got 1 argument(s)"},
	{"last_seen(x)", "last_seen: expected 0 argument(s) but got 1 argument(s)"},
	{"first_seen(a,b)", "first_seen: expected 0 argument(s) but got 2 argument(s)"},
	{"foo(x)", "foo is not a valid function"},
	{"COUNT()", "COUNT is not a valid function"},
	{"my func(x)", "my func is not a valid function"},
	{"(x)", "Invalid field: \"(x)\""},
	{"percentile(x, 2)", "percentile: q must be a number between 0 and 1"},
	{"percentile(x, -0.1)", "percentile: q must be a number between 0 and 1"},
	{"percentile(x, .5)", "percentile: q must be a number between 0 and 1"},
	{"percentile(x, 0.5.1)", "percentile: q must be a number between 0 and 1"},
	{"percentile(x, abc)", "percentile: q must be a number between 0 and 1"},
	{"percentile(x, 1e-1)", "percentile: q must be a number between 0 and 1"},
	{"percentile(, 0.5)", "percentile: argument 1 is empty"},
	{"count(", "count: missing \")\""},
	{"count(tags[a)", "count: missing \")\""},
	{"count(min(x))", "count: unexpected \"(\" in the arguments"},
	{"count()x", "Invalid field: \"count()x\""},
	{"count() x", "Invalid field: \"count() x\""},
	{"count() asx", "Invalid field: \"count() asx\""},
	{"count() as", "Invalid alias: ''"},
	{"count() as 1x", "Invalid alias: '1x'"},
	{"count() as a-b", "Invalid alias: 'a-b'"},
	{"count() as a b", "Invalid alias: 'a b'"},
	{"count() as x;DROP", "Invalid alias: 'x;DROP'"},
};

static const ErrCase equation_err[] = {
	{"", "Empty equation"},
	{" \t", "Empty equation"},
	{"1+1+1+1+1+1+1+1+1+1+1+1", "Too many operators in equation (at most 10)"},
	{"(a)*(a)*(a)*(a)*(a)*(a)*(a)*(a)*(a)*(a)*(a)*(a)",
	"Too many operators in equation (at most 10)"},
	{"a +", "Invalid equation \"a +\": expected a field, function or number at the end"},
	{"a + * b",
	"Invalid equation \"a + * b\": expected a field, function or number at position 5"},
	{"a b", "Invalid equation \"a b\": expected an operator at position 3"},
	{"(a + b", "Invalid equation \"(a + b\": expected \")\" at the end"},
	{"a + b)", "Invalid equation \"a + b)\": expected an operator at position 6"},
	{"-a", "Invalid equation \"-a\": expected a field, function or number at position 1"},
	{"- 1", "Invalid equation \"- 1\": expected a field, function or number at position 1"},
	{"1. + 2", "Invalid equation \"1. + 2\": expected a digit at position 3"},
	{"a % b", "Invalid equation \"a % b\": expected an operator at position 3"},
	{"tags[x", "Invalid equation \"tags[x\": missing \"]\" at position 6"},
	{"tags[] + 1", "Invalid equation \"tags[] + 1\": expected a tag key at position 6"},
	{"min() + 1", "min: expected 1 argument(s) but got 0 argument(s)"},
	{"foo(x) / 2", "foo is not a valid function"},
	{"count() as c + 1", "Invalid equation \"count() as c + 1\": expected an operator at position 9"},
	{"percentile(x, 7) * 2", "percentile: q must be a number between 0 and 1"},
	{"'; DROP TABLE t; --",
	"Invalid equation \"'; DROP TABLE t; --\": expected a field, function or number at position 1"},
	{"((((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))))",
	"Equation is nested too deeply (at most 32 parentheses)"},
};

/* ---- tests ---- */

static void
check_ok(const OkCase *c, bool equation)
{
	Field		f;
	DeError		err = {0};
	bool		ok;
	char	   *tree;

	ok = equation ? equation_parse(c->in, &f, &err) : field_parse(c->in, &f, &err);
	if (!ok)
		fail_msg("\"%s\": unexpected error \"%s\"", c->in, err.message);
	assert_string_equal(f.text, c->text);
	assert_string_equal(f.header, c->header);
	assert_int_equal(f.is_aggregate, c->aggregate);
	assert_int_equal(f.is_equation, equation);
	tree = dump(f.expr);
	assert_string_equal(tree, c->tree);
	de_free(tree);
	field_clear(&f);
	assert_null(f.text);
	assert_null(f.expr);
}

static void
check_err(const ErrCase *c, bool equation)
{
	Field		f;
	DeError		err = {0};
	bool		ok;

	ok = equation ? equation_parse(c->in, &f, &err) : field_parse(c->in, &f, &err);
	if (ok)
		fail_msg("\"%s\": parsed, expected \"%s\"", c->in, c->message);
	assert_int_equal(err.code, DE_ERR_INVALID);
	assert_string_equal(err.message, c->message);
	/* a failed parse leaves nothing behind to free */
	assert_null(f.text);
	assert_null(f.header);
	assert_null(f.expr);
	field_clear(&f);
}

static void
test_field_ok(void **state)
{
	check_ok(*state, false);
}

static void
test_equation_ok(void **state)
{
	check_ok(*state, true);
}

static void
test_field_err(void **state)
{
	check_err(*state, false);
}

static void
test_equation_err(void **state)
{
	check_err(*state, true);
}

static void
test_alias_rule(void **state)
{
	char	   *args1[] = {"x", "0.5"};
	char	   *args2[] = {"tags[browser.name]"};
	char	   *args3[] = {"__"};
	char	   *alias;

	(void) state;
	alias = field_function_alias("count", NULL, 0);
	assert_string_equal(alias, "count");
	de_free(alias);
	alias = field_function_alias("percentile", args1, 2);
	assert_string_equal(alias, "percentile_x_0_5");
	de_free(alias);
	alias = field_function_alias("count_unique", args2, 1);
	assert_string_equal(alias, "count_unique_tags_browser_name");
	de_free(alias);
	/* Python's rstrip("_") also eats the separator */
	alias = field_function_alias("sum", args3, 1);
	assert_string_equal(alias, "sum");
	de_free(alias);
}

/* A long unknown name is cut in the message, at a UTF-8 boundary. */
static void
test_long_name_message(void **state)
{
	StrBuf		sb;
	Field		f;
	DeError		err = {0};

	(void) state;
	sb_init(&sb);
	sb_append(&sb, "a");
	for (int i = 0; i < 1000; i++)
		sb_append(&sb, "é");
	sb_append(&sb, "(x)");
	assert_false(field_parse(sb.data, &f, &err));
	assert_true(strlen(err.message) < 260);
	assert_non_null(strstr(err.message, " is not a valid function"));
	/* 'a' then whole two-byte characters only */
	assert_int_equal((strstr(err.message, " is not") - err.message) % 2, 1);
	sb_free(&sb);
}

/* Long inputs parse in linear time and bounded depth. */
static void
test_long_inputs(void **state)
{
	StrBuf		sb;
	Field		f;
	DeError		err = {0};

	(void) state;
	sb_init(&sb);
	sb_append(&sb, "count(");
	for (int i = 0; i < 200000; i++)
		sb_append(&sb, "a,");
	sb_append(&sb, "b)");
	assert_false(field_parse(sb.data, &f, &err));
	assert_string_equal(err.message,
						"count: expected at most 1 argument(s) but got 200001 argument(s)");

	sb_reset(&sb);
	for (int i = 0; i < 200000; i++)
		sb_append_char(&sb, '(');
	assert_false(equation_parse(sb.data, &f, &err));
	assert_string_equal(err.message,
						"Equation is nested too deeply (at most 32 parentheses)");

	sb_reset(&sb);
	for (int i = 0; i < 200000; i++)
		sb_append_char(&sb, 'x');
	assert_true(field_parse(sb.data, &f, &err));
	assert_int_equal(strlen(f.header), 200000);
	field_clear(&f);
	assert_true(equation_parse(sb.data, &f, &err));
	field_clear(&f);
	sb_free(&sb);
}

int
main(void)
{
	CaseList	list;

	case_list_init(&list);
	list.sep = " ";
	CASE_TABLE_BY(&list, "field", field_ok, in, test_field_ok);
	CASE_TABLE_BY(&list, "equation", equation_ok, in, test_equation_ok);
	CASE_TABLE_BY(&list, "field error", field_err, in, test_field_err);
	CASE_TABLE_BY(&list, "equation error", equation_err, in, test_equation_err);
	CASE_TEST(&list, test_alias_rule);
	CASE_TEST(&list, test_long_name_message);
	CASE_TEST(&list, test_long_inputs);
	return case_list_run(&list, "fields");
}
