/*
 * test_search.c
 *	  Unit tests of search.c: the Discover search language.
 *
 * Each table row is a query with either the tree it must give, printed in a
 * compact form (see print_node), or the exact error message; every row is
 * its own cmocka test so that the TAP output names the query that broke.
 * The printer flattens nested ANDs and ORs, because how a chain is split into
 * a binary tree is not the language's business (the parser balances them);
 * the shape is tested separately.
 *
 * Printed form:
 *	  "text"				free text; a wildcard adds ~"like pattern"
 *	  key="v"				key:v, wildcard as above
 *	  key=["a","b"]			key:[a, b]
 *	  key>num:"5"			comparisons; date:"..."@ISO, rel:"..."@seconds
 *	  has(key)
 *	  !...					negated term
 *	  (AND x y) (OR x y)
 *	  NULL					empty query
 */
#include "case_runner.h"

#include "search.h"

#define PAREN_HINT \
	"This is commonly caused by unmatched parentheses. " \
	"Enclose any text in double quotes."

typedef struct SearchCase
{
	const char *query;
	const char *tree;			/* expected printed tree, or NULL */
	const char *error;			/* expected message, or NULL */
} SearchCase;

#define OK(q, t) {q, t, NULL}
#define ERR(q, e) {q, NULL, e}

static const SearchCase cases[] = {
	/* empty */
	OK("", "NULL"),
	OK("   \t\r\n ", "NULL"),

	/* free text */
	OK("error", "\"error\""),
	OK("  padded  ", "\"padded\""),
	OK("a b", "(AND \"a\" \"b\")"),
	OK("a b c", "(AND \"a\" \"b\" \"c\")"),
	OK("\"connection reset\" timeout", "(AND \"connection reset\" \"timeout\")"),
	OK("!\"connection reset\"", "!\"connection reset\""),
	OK("!word", "!\"word\""),
	OK("!!word", "!\"!word\""),
	OK("\"\"", "\"\""),
	OK("\"a\" \"b\"", "(AND \"a\" \"b\")"),
	OK("a\"b", "\"a\"b\""),
	OK("\"say \\\"hi\\\"\"", "\"say \"hi\"\""),
	OK("\"multi\nline\"", "\"multi\nline\""),
	OK("\"\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e\"",
	   "\"\xe6\x97\xa5\xe6\x9c\xac \xe8\xaa\x9e\""),
	OK("foo/bar:baz", "\"foo/bar:baz\""),
	OK(":foo", "\":foo\""),
	OK("\xc3\xa9:x", "\"\xc3\xa9:x\""),
	OK("tags[]:x", "\"tags[]:x\""),
	OK("tags[x]", "\"tags[x]\""),
	OK("tags[a b]", "(AND \"tags[a\" \"b]\")"),
	OK("and or", "(AND \"and\" \"or\")"),
	OK("ANDROID ORACLE", "(AND \"ANDROID\" \"ORACLE\")"),
	OK("\"AND\" \"OR\"", "(AND \"AND\" \"OR\")"),
	OK("!AND", "!\"AND\""),
	OK("a,b", "\"a,b\""),
	OK("[a]", "\"[a]\""),

	/* key:value */
	OK("browser:Chrome", "browser=\"Chrome\""),
	OK("!browser:Chrome", "!browser=\"Chrome\""),
	OK("!browser:Chrome environment:prod",
	   "(AND !browser=\"Chrome\" environment=\"prod\")"),
	OK("key:\"quoted value\"", "key=\"quoted value\""),
	OK("title:\"Quoted \\\"value\\\" here\"", "title=\"Quoted \"value\" here\""),
	OK("path:\"C:\\\\dir\\\\\"", "path=\"C:\\dir\\\""),
	OK("path:C:\\Users\\x", "path=\"C:\\Users\\x\""),
	OK("x:y\\", "x=\"y\\\""),
	OK("key:a\\\"b", "key=\"a\"b\""),
	OK("key:\"\"", "key=\"\""),
	OK("key:a:b", "key=\"a:b\""),
	OK("key:=5", "key=\"=5\""),
	OK("key:]", "key=\"]\""),
	OK("key:a\"b", "key=\"a\"b\""),
	OK("url:http://x.com/a?b=c", "url=\"http://x.com/a?b=c\""),
	OK("http://x.com", "http=\"//x.com\""),
	OK("user.email:a@b.c", "user.email=\"a@b.c\""),
	OK("a-b_c.D9:v", "a-b_c.D9=\"v\""),
	OK("message:caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
	   "(AND message=\"caf\xc3\xa9\" \"\xe6\x97\xa5\xe6\x9c\xac\")"),
	OK("tags[browser.name]:Chrome", "tags[browser.name]=\"Chrome\""),
	OK("tags[a b]:\"x y\"", "tags[a b]=\"x y\""),
	OK("!tags[x]:y", "!tags[x]=\"y\""),
	OK("tags[has]:x", "tags[has]=\"x\""),
	OK("tags:x", "tags=\"x\""),
	OK("has.x:y", "has.x=\"y\""),
	OK("AND:x", "AND=\"x\""),
	OK("OR:x OR y", "(OR OR=\"x\" \"y\")"),

	/* wildcards */
	OK("transaction:/api/*/users*",
	   "transaction=\"/api/*/users*\"~\"/api/%/users%\""),
	OK("user.email:*@example.com",
	   "user.email=\"*@example.com\"~\"%@example.com\""),
	OK("os.name:Win\\*dows", "os.name=\"Win*dows\""),
	OK("key:a\\*b*", "key=\"a*b*\"~\"a*b%\""),
	OK("key:100%_done*", "key=\"100%_done*\"~\"100\\%\\_done%\""),
	OK("key:a\\\\*", "key=\"a\\*\"~\"a\\\\%\""),
	OK("key:a\\b*", "key=\"a\\b*\"~\"a\\\\b%\""),
	OK("key:*", "key=\"*\"~\"%\""),
	OK("key:\"a *b\"", "key=\"a *b\"~\"a %b\""),
	OK("key:\"a\\*b\"", "key=\"a*b\""),
	OK("key:100%", "key=\"100%\""),
	OK("foo*", "\"foo*\"~\"foo%\""),
	OK("!foo*bar", "!\"foo*bar\"~\"foo%bar\""),
	OK("\"a b*\"", "\"a b*\"~\"a b%\""),

	/* lists */
	OK("browser:[Chrome, Firefox, \"Safari 17\"]",
	   "browser=[\"Chrome\",\"Firefox\",\"Safari 17\"]"),
	OK("!release:[1.0, 2.0]", "!release=[\"1.0\",\"2.0\"]"),
	OK("k:[a]", "k=[\"a\"]"),
	OK("k:[ a ,b ]", "k=[\"a\",\"b\"]"),
	OK("k:[\n a,\tb\n]", "k=[\"a\",\"b\"]"),
	OK("k:[\"a,b\", \"c]d\"]", "k=[\"a,b\",\"c]d\"]"),
	OK("k:[a\\*b]", "k=[\"a*b\"]"),
	OK("k:[\"\"]", "k=[\"\"]"),
	OK("k:[f(x), [y]", "k=[\"f(x)\",\"[y\"]"),
	OK("(k:[a, b])", "k=[\"a\",\"b\"]"),
	OK("tags[os]:[a,b] x", "(AND tags[os]=[\"a\",\"b\"] \"x\")"),
	OK("k:[\"q \\\"x\\\"\"]", "k=[\"q \"x\"\"]"),

	/* comparisons */
	OK("transaction.duration:>100", "transaction.duration>num:\"100\""),
	OK("d:<=2500.5", "d<=num:\"2500.5\""),
	OK("count:>=-3", "count>=num:\"-3\""),
	OK("score:<0.25", "score<num:\"0.25\""),
	OK("!count:>5", "!count>num:\"5\""),
	OK("count:>\"5\"", "count>num:\"5\""),
	OK("n:>007", "n>num:\"007\""),
	OK("timestamp:>=2026-11-01T00:00:00Z",
	   "timestamp>=date:\"2026-11-01T00:00:00Z\"@2026-11-01T00:00:00.000000Z"),
	OK("timestamp:<2026-11-28",
	   "timestamp<date:\"2026-11-28\"@2026-11-28T00:00:00.000000Z"),
	OK("timestamp:>2026-11-01T12:30:00.5+02:00",
	   "timestamp>date:\"2026-11-01T12:30:00.5+02:00\"@2026-11-01T10:30:00.500000Z"),
	OK("timestamp:>\"2026-11-01 12:30\"",
	   "timestamp>date:\"2026-11-01 12:30\"@2026-11-01T12:30:00.000000Z"),
	OK("timestamp:>-24h", "timestamp>rel:\"-24h\"@-86400"),
	OK("timestamp:<=-7d", "timestamp<=rel:\"-7d\"@-604800"),
	OK("last_seen:>+30m", "last_seen>rel:\"+30m\"@1800"),
	OK("tags[n]:<-1w", "tags[n]<rel:\"-1w\"@-604800"),

	/* has */
	OK("has:release", "has(release)"),
	OK("!has:user.email", "!has(user.email)"),
	OK("has:release !has:user.email", "(AND has(release) !has(user.email))"),
	OK("has:tags[x y]", "has(tags[x y])"),
	OK("(has:x)", "has(x)"),

	/* boolean structure */
	OK("a AND b", "(AND \"a\" \"b\")"),
	OK("a OR b", "(OR \"a\" \"b\")"),
	OK("a OR b c", "(OR \"a\" (AND \"b\" \"c\"))"),
	OK("a b OR c", "(OR (AND \"a\" \"b\") \"c\")"),
	OK("a AND b OR c AND d", "(OR (AND \"a\" \"b\") (AND \"c\" \"d\"))"),
	OK("a OR b AND c OR d", "(OR \"a\" (AND \"b\" \"c\") \"d\")"),
	OK("(a OR b) c", "(AND (OR \"a\" \"b\") \"c\")"),
	OK("(a OR b) AND (c OR d)", "(AND (OR \"a\" \"b\") (OR \"c\" \"d\"))"),
	OK("a OR (b OR c)", "(OR \"a\" \"b\" \"c\")"),
	OK("(a)", "\"a\""),
	OK("((a))", "\"a\""),
	OK("( a )", "\"a\""),
	OK("(a)(b)", "(AND \"a\" \"b\")"),
	OK("(a)b", "(AND \"a\" \"b\")"),
	OK("a AND(b)", "(AND \"a\" \"b\")"),
	OK("(a)OR(b)", "(OR \"a\" \"b\")"),
	OK("a\tOR\nb", "(OR \"a\" \"b\")"),
	OK("(a b) OR (c)", "(OR (AND \"a\" \"b\") \"c\")"),
	OK("(browser:Chrome OR browser:Firefox) AND environment:prod",
	   "(AND (OR browser=\"Chrome\" browser=\"Firefox\") environment=\"prod\")"),
	OK("a OR b c AND (d OR (e f)) !has:x",
	   "(OR \"a\" (AND \"b\" \"c\" (OR \"d\" (AND \"e\" \"f\")) !has(x)))"),
	OK("(k:\"a)\")", "k=\"a)\""),

	/* empty values */
	ERR("foo:", "Empty string after 'foo:'"),
	ERR("foo: bar", "Empty string after 'foo:'"),
	ERR("!foo:", "Empty string after 'foo:'"),
	ERR("(foo:)", "Empty string after 'foo:'"),
	ERR("foo:(bar)", "Empty string after 'foo:'"),
	ERR("tags[x]:", "Empty string after 'tags[x]:'"),
	ERR("has:", "Empty string after 'has:'"),
	ERR("!has: x", "Empty string after 'has:'"),
	ERR("k:>", "Empty string after 'k:>'"),
	ERR("k:>= 5", "Empty string after 'k:>='"),
	ERR("k:<", "Empty string after 'k:<'"),
	ERR("(k:<=)", "Empty string after 'k:<='"),
	ERR("k:>\"\"", "Empty string after 'k:>'"),
	ERR("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz0123456789:",
		"Empty string after 'abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwx...:'"),

	/* parentheses */
	ERR("(a", "Parse error at '(a' (column 1). " PAREN_HINT),
	ERR("a)", "Parse error at 'a)' (column 2). " PAREN_HINT),
	ERR(")", "Parse error at ')' (column 1). " PAREN_HINT),
	ERR("(a OR b", "Parse error at '(a OR ' (column 1). " PAREN_HINT),
	ERR("((a)", "Parse error at '((a)' (column 1). " PAREN_HINT),
	ERR("(a))", "Parse error at '(a))' (column 4). " PAREN_HINT),
	ERR("a (b (c) d", "Parse error at 'a (b (c)' (column 3). " PAREN_HINT),
	ERR("a ) b", "Parse error at 'a ) b' (column 3). " PAREN_HINT),
	ERR("()", "Parse error at '()' (column 1). " PAREN_HINT),
	ERR("a ()", "Parse error at 'a ()' (column 3). " PAREN_HINT),
	ERR("( )", "Parse error at '( )' (column 1). " PAREN_HINT),
	ERR("(())", "Parse error at '(())' (column 2). " PAREN_HINT),
	ERR("a OR (", "Parse error at ' OR (' (column 6). " PAREN_HINT),
	ERR("a(b)", "Parse error at 'a(b)' (column 2). " PAREN_HINT),
	ERR("key:v(x)", "Parse error at 'ey:v(x)' (column 6). " PAREN_HINT),
	ERR("has:x(y)", "Parse error at 'as:x(y)' (column 6). " PAREN_HINT),
	ERR("\xc3\xa9\xe6\x97\xa5)", "Parse error at '\xc3\xa9\xe6\x97\xa5)' (column 3). " PAREN_HINT),
	ERR("(abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
		"Parse error at '(abcde' (column 1). " PAREN_HINT),
	ERR("(\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
		"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
		"Parse error at '(\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9' (column 1). " PAREN_HINT),
	/* Sentry's own cases (tests/sentry/api/test_event_search.py,
	 * test_organization_events.py): the quote is the query from 5 characters
	 * before to 5 after the reported column; a column counts from the last
	 * newline, the quote (as in Sentry) from the start of the query */
	ERR("user.email:foo@example.com OR user.email:bar@example.com)",
		"Parse error at '.com)' (column 57). " PAREN_HINT),
	ERR("(user.email:foo@example.com OR user.email:bar@example.com",
		"Parse error at '(user.' (column 1). " PAREN_HINT),
	ERR("abcdefghij (klm", "Parse error at 'hij (klm' (column 12). " PAREN_HINT),
	ERR("hi \n there)", "Parse error at ' \n there)' (column 7). " PAREN_HINT),

	/* quotes */
	ERR("\"abc", "Unterminated quoted string at column 1."),
	ERR("key:\"abc", "Unterminated quoted string at column 5."),
	ERR("a \"b\\\"", "Unterminated quoted string at column 3."),
	ERR("!\"x", "Unterminated quoted string at column 2."),
	ERR("\xc3\xa9 \"x", "Unterminated quoted string at column 3."),
	ERR("k:[\"a, b]", "Unterminated quoted string at column 4."),
	ERR("k:>\"5", "Unterminated quoted string at column 4."),
	ERR("\"a\"b", "Unexpected text 'b' after the closing quote at column 4. "
		"Separate search terms with a space."),
	ERR("k:\"a\"b c", "Unexpected text 'b' after the closing quote at column 6. "
		"Separate search terms with a space."),
	ERR("\"a\"(b)", "Unexpected text '(b)' after the closing quote at column 4. "
		"Separate search terms with a space."),

	/* AND / OR operands */
	ERR("OR a", "Condition is missing on the left side of 'OR' operator"),
	ERR("AND a", "Condition is missing on the left side of 'AND' operator"),
	ERR("OR", "Condition is missing on the left side of 'OR' operator"),
	ERR("AND", "Condition is missing on the left side of 'AND' operator"),
	ERR("a OR", "Condition is missing on the right side of 'OR' operator"),
	ERR("a AND  ", "Condition is missing on the right side of 'AND' operator"),
	ERR("a OR OR b", "Condition is missing on the right side of 'OR' operator"),
	ERR("a AND AND b", "Condition is missing on the right side of 'AND' operator"),
	ERR("a AND OR b", "Condition is missing on the right side of 'AND' operator"),
	ERR("a OR AND b", "Condition is missing on the right side of 'OR' operator"),
	ERR("(OR a)", "Condition is missing on the left side of 'OR' operator"),
	ERR("a (AND b)", "Condition is missing on the left side of 'AND' operator"),
	ERR("(a OR)", "Condition is missing on the right side of 'OR' operator"),
	ERR("(a AND) b", "Condition is missing on the right side of 'AND' operator"),
	ERR("b OR (a OR) c", "Condition is missing on the right side of 'OR' operator"),

	/* comparisons */
	ERR("k:>abc", "Invalid value 'abc' for 'k': expected a number or a date"),
	ERR("k:>1.", "Invalid value '1.' for 'k': expected a number or a date"),
	ERR("k:>.5", "Invalid value '.5' for 'k': expected a number or a date"),
	ERR("k:>+5", "Invalid value '+5' for 'k': expected a number or a date"),
	ERR("k:>5x", "Invalid value '5x' for 'k': expected a number or a date"),
	ERR("k:>24h", "Invalid value '24h' for 'k': expected a number or a date"),
	ERR("k:>2026-13-01", "Invalid value '2026-13-01' for 'k': expected a number or a date"),
	ERR("k:>>5", "Invalid value '>5' for 'k': expected a number or a date"),
	ERR("tags[t]:<\"a b\"", "Invalid value 'a b' for 'tags[t]': expected a number or a date"),
	ERR("k:>1*", "Invalid value '1*' for 'k': wildcards are not supported in comparisons"),
	ERR("k:<=\"-24h*\"", "Invalid value '-24h*' for 'k': wildcards are not supported in comparisons"),

	/* lists */
	ERR("k:[]", "Empty list after 'k:' at column 3."),
	ERR("k:[ ]", "Empty list after 'k:' at column 3."),
	ERR("k:[a,,b]", "Empty element in the list for 'k' at column 6."),
	ERR("k:[a,]", "Empty element in the list for 'k' at column 6."),
	ERR("k:[,a]", "Empty element in the list for 'k' at column 4."),
	ERR("k:[a, ]", "Empty element in the list for 'k' at column 7."),
	ERR("k:[a", "Unterminated list for 'k' at column 3: missing ']'."),
	ERR("k:[a,", "Unterminated list for 'k' at column 3: missing ']'."),
	ERR("x k:[a, ", "Unterminated list for 'k' at column 5: missing ']'."),
	ERR("k:[", "Unterminated list for 'k' at column 3: missing ']'."),
	ERR("k:[a b]", "Unexpected text 'b' in the list for 'k' at column 6: "
		"expected ',' or ']'."),
	ERR("k:[\"a\"b]", "Unexpected text 'b' in the list for 'k' at column 7: "
		"expected ',' or ']'."),
	ERR("k:[a*]", "Invalid value 'a*' for 'k': wildcards are not supported in lists"),
	ERR("k:[a, \"b*\"]", "Invalid value 'b*' for 'k': wildcards are not supported in lists"),
	ERR("k:[a]b", "Unexpected text 'b' after the closing ']' at column 6. "
		"Separate search terms with a space."),

	/* negation */
	ERR("!", "'!' must be followed by a search term (column 1)."),
	ERR("a !", "'!' must be followed by a search term (column 3)."),
	ERR("! a", "'!' must be followed by a search term (column 1)."),
	ERR("!(a)", "'!' must be followed by a search term (column 1)."),
	ERR("(a !)", "'!' must be followed by a search term (column 4)."),

	/* has */
	ERR("has:a*", "Invalid key 'a*' after 'has:' at column 5."),
	ERR("has:[a]", "Invalid key '[a]' after 'has:' at column 5."),
	ERR("has:>5", "Invalid key '>5' after 'has:' at column 5."),
	ERR("!has:\"a\"", "Invalid key '\"a\"' after 'has:' at column 6."),
	ERR("has:a:b", "Invalid key 'a:b' after 'has:' at column 5."),
	ERR("(has:a/b)", "Invalid key 'a/b' after 'has:' at column 6."),
};


/* ---- printer ---- */

static void print_node(StrBuf *sb, const SearchNode *n);

static void
print_value(StrBuf *sb, const SearchValue *v)
{
	char		buf[64];

	switch (v->kind)
	{
		case SV_STRING:
			break;
		case SV_NUMBER:
			sb_append(sb, "num:");
			break;
		case SV_DATE:
			sb_append(sb, "date:");
			break;
		case SV_RELATIVE:
			sb_append(sb, "rel:");
			break;
	}
	sb_appendf(sb, "\"%s\"", v->text);
	if (v->wildcard)
		sb_appendf(sb, "~\"%s\"", v->like ? v->like : "(null)");
	else if (v->like != NULL)
		sb_append(sb, "~(like without wildcard)");
	if (v->kind == SV_DATE)
	{
		de_format_iso_us(v->date, buf);
		sb_appendf(sb, "@%s", buf);
	}
	else if (v->kind == SV_RELATIVE)
		sb_appendf(sb, "@%lld", (long long) v->relative_seconds);
}

static const char *
op_text(SearchOp op)
{
	switch (op)
	{
		case SO_EQ:
		case SO_IN:
			return "=";
		case SO_GT:
			return ">";
		case SO_GE:
			return ">=";
		case SO_LT:
			return "<";
		case SO_LE:
			return "<=";
		default:
			return "?";
	}
}

static void
print_term(StrBuf *sb, const SearchNode *n)
{
	int			i;

	if (n->negated)
		sb_append_char(sb, '!');
	if (n->op == SO_HAS)
	{
		sb_appendf(sb, "has(%s)", n->key ? n->key : "(null)");
		return;
	}
	if (n->op != SO_TEXT)
		sb_appendf(sb, "%s%s", n->key ? n->key : "(null)", op_text(n->op));
	else if (n->key != NULL)
		sb_append(sb, "(key on text)");
	if (n->op == SO_IN)
		sb_append_char(sb, '[');
	for (i = 0; i < n->nvalues; i++)
	{
		if (i > 0)
			sb_append_char(sb, ',');
		print_value(sb, &n->values[i]);
	}
	if (n->op == SO_IN)
		sb_append_char(sb, ']');
}

/* Prints the operands of a chain of one kind as if it were n-ary. */
static void
print_chain(StrBuf *sb, const SearchNode *n, SearchNodeKind kind)
{
	if (n->kind == kind)
	{
		print_chain(sb, n->left, kind);
		print_chain(sb, n->right, kind);
		return;
	}
	sb_append_char(sb, ' ');
	print_node(sb, n);
}

static void
print_node(StrBuf *sb, const SearchNode *n)
{
	if (n == NULL)
	{
		sb_append(sb, "NULL");
		return;
	}
	if (n->kind == SN_TERM)
	{
		print_term(sb, n);
		return;
	}
	sb_append(sb, n->kind == SN_AND ? "(AND" : "(OR");
	print_chain(sb, n, n->kind);
	sb_append_char(sb, ')');
}

static int
tree_depth(const SearchNode *n)
{
	int			l,
				r;

	if (n == NULL || n->kind == SN_TERM)
		return 0;
	l = tree_depth(n->left);
	r = tree_depth(n->right);
	return 1 + (l > r ? l : r);
}


/* ---- helpers ---- */

/* Parses q, asserting the error contract; the tree is returned or NULL. */
static bool
parse(const char *q, SearchNode **tree, DeError *err)
{
	bool		ok;

	memset(err, 0, sizeof(*err));
	*tree = (SearchNode *) 0x1;
	ok = search_parse(q, tree, err);
	if (ok)
		assert_int_equal(err->code, DE_OK);
	else
	{
		assert_null(*tree);
		assert_int_equal(err->code, DE_ERR_INVALID);
		assert_true(err->message[0] != '\0');
	}
	return ok;
}

static char *
repeat(const char *piece, int times, const char *tail)
{
	StrBuf		sb;
	int			i;

	sb_init(&sb);
	for (i = 0; i < times; i++)
		sb_append(&sb, piece);
	sb_append(&sb, tail);
	return sb_steal(&sb);
}


/* ---- tests ---- */

static void
test_case(void **state)
{
	const SearchCase *c = *state;
	SearchNode *tree;
	DeError		err;
	bool		ok = parse(c->query, &tree, &err);

	if (c->error != NULL)
	{
		if (ok)
		{
			StrBuf		sb;

			sb_init(&sb);
			print_node(&sb, tree);
			print_error("parsed as %s\n", sb.data);
			sb_free(&sb);
			search_free(tree);
			fail_msg("expected error: %s", c->error);
		}
		assert_string_equal(err.message, c->error);
	}
	else
	{
		StrBuf		sb;

		if (!ok)
			fail_msg("unexpected error: %s", err.message);
		sb_init(&sb);
		print_node(&sb, tree);
		search_free(tree);
		assert_string_equal(sb.data, c->tree);
		sb_free(&sb);
	}
}

/* Every prefix of every query either parses or fails cleanly, leak-free. */
static void
test_prefixes(void **state)
{
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		size_t		len = strlen(cases[i].query);
		size_t		k;

		for (k = 0; k <= len; k++)
		{
			char	   *q = de_strndup(cases[i].query, k);
			SearchNode *tree;
			DeError		err;

			if (parse(q, &tree, &err))
				search_free(tree);
			de_free(q);
		}
	}
}

/* Random strings over the language's special characters. */
static void
test_random(void **state)
{
	static const char alphabet[] = "ab:!\"\\*[],()<>=- \tAND OR has:tags[x]";
	unsigned int seed = 12345;
	int			i;

	(void) state;
	for (i = 0; i < 50000; i++)
	{
		char		q[32];
		int			len;
		int			k;
		SearchNode *tree;
		DeError		err;

		seed = seed * 1103515245u + 12345u;
		len = (int) ((seed >> 16) % (sizeof(q) - 1));
		for (k = 0; k < len; k++)
		{
			seed = seed * 1103515245u + 12345u;
			q[k] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		q[len] = '\0';
		if (parse(q, &tree, &err))
			search_free(tree);
	}
}

static void
test_null_query(void **state)
{
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_true(parse(NULL, &tree, &err));
	assert_null(tree);
	search_free(NULL);
}

static void
test_length_limit(void **state)
{
	char	   *q = repeat("a", 10000, "");
	char	   *q2 = repeat("a", 10001, "");
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_true(parse(q, &tree, &err));
	assert_non_null(tree);
	assert_int_equal((int) strlen(tree->values[0].text), 10000);
	search_free(tree);
	assert_false(parse(q2, &tree, &err));
	assert_string_equal(err.message,
						"Search query is too long (at most 10000 characters).");
	de_free(q);
	de_free(q2);
}

static void
test_nesting_limit(void **state)
{
	char	   *open50 = repeat("(", 50, "a");
	char	   *q50 = repeat(")", 50, "");
	char	   *open51 = repeat("(", 51, "a");
	char	   *q51 = repeat(")", 51, "");
	char	   *ok = repeat(open50, 1, q50);
	char	   *bad = repeat(open51, 1, q51);
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_true(parse(ok, &tree, &err));
	assert_non_null(tree);
	assert_int_equal(tree->kind, SN_TERM);
	search_free(tree);
	assert_false(parse(bad, &tree, &err));
	assert_string_equal(err.message,
						"Parentheses are nested too deeply at column 51 "
						"(at most 50 levels).");
	de_free(open50);
	de_free(q50);
	de_free(open51);
	de_free(q51);
	de_free(ok);
	de_free(bad);
}

/* Long chains come out balanced, so walking them recurses only log n deep. */
static void
test_balanced(void **state)
{
	char	   *ands = repeat("a ", 4096, "");
	char	   *ors = repeat("a OR ", 1023, "a");
	char	   *mixed = repeat("a b OR ", 1000, "a");
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_true(parse(ands, &tree, &err));
	assert_int_equal(tree->kind, SN_AND);
	assert_int_equal(tree_depth(tree), 12);
	search_free(tree);
	assert_true(parse(ors, &tree, &err));
	assert_int_equal(tree->kind, SN_OR);
	assert_int_equal(tree_depth(tree), 10);
	search_free(tree);
	assert_true(parse(mixed, &tree, &err));
	assert_true(tree_depth(tree) <= 12);
	search_free(tree);
	de_free(ands);
	de_free(ors);
	de_free(mixed);
}

/* Inputs that a careless scanner would walk quadratically. */
static void
test_adversarial(void **state)
{
	char	   *brackets = repeat("tags[ ", 1600, "");
	char	   *quotes = repeat("a\"", 3000, "");
	char	   *keys = repeat("k:", 4999, "");
	char	   *list = repeat("x,", 4000, "");
	char	   *q;
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_true(parse(brackets, &tree, &err));
	search_free(tree);
	assert_true(parse(quotes, &tree, &err));
	search_free(tree);
	assert_true(parse(keys, &tree, &err));
	assert_string_equal(tree->key, "k");
	search_free(tree);
	q = repeat("k:[", 1, list);
	assert_false(parse(q, &tree, &err));
	assert_string_equal(err.message,
						"Unterminated list for 'k' at column 3: missing ']'.");
	de_free(q);
	de_free(brackets);
	de_free(quotes);
	de_free(keys);
	de_free(list);
}

static void
test_like_escape(void **state)
{
	static const char *const pairs[][2] = {
		{"", ""},
		{"plain", "plain"},
		{"100%", "100\\%"},
		{"a_b", "a\\_b"},
		{"C:\\x", "C:\\\\x"},
		{"%_\\", "\\%\\_\\\\"},
		{"*", "*"},
		{"caf\xc3\xa9", "caf\xc3\xa9"},
	};
	size_t		i;

	(void) state;
	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
	{
		char	   *got = search_like_escape(pairs[i][0]);

		assert_string_equal(got, pairs[i][1]);
		de_free(got);
	}
}

/* A failed parse leaves nothing behind and the next one starts clean. */
static void
test_error_then_success(void **state)
{
	SearchNode *tree;
	DeError		err;

	(void) state;
	assert_false(parse("a b c (d e f k:[x, y", &tree, &err));
	assert_true(parse("a", &tree, &err));
	assert_string_equal(tree->values[0].text, "a");
	search_free(tree);
}


/* ---- runner ---- */

/* The query made printable for a TAP line. */
static char *
case_name(const char *query)
{
	StrBuf		sb;
	const char *q;

	sb_init(&sb);
	sb_append(&sb, "parse: ");
	for (q = query; *q != '\0' && sb.len < 80; q++)
	{
		if (*q == '\n')
			sb_append(&sb, "\\n");
		else if (*q == '\t')
			sb_append(&sb, "\\t");
		else if (*q == '\r')
			sb_append(&sb, "\\r");
		else if (*q == '#')
			sb_append(&sb, "\\#");
		else
			sb_append_char(&sb, *q);
	}
	if (*query == '\0')
		sb_append(&sb, "(empty)");
	return sb_steal(&sb);
}

int
main(void)
{
	static const FixedTest fixed[] = {
		{"every prefix of the table", test_prefixes},
		{"random strings", test_random},
		{"NULL query", test_null_query},
		{"10000-byte limit", test_length_limit},
		{"50-level nesting limit", test_nesting_limit},
		{"chains are balanced", test_balanced},
		{"adversarial inputs stay linear", test_adversarial},
		{"like escape", test_like_escape},
		{"error then success", test_error_then_success},
	};
	CaseList	list;

	case_list_init(&list);
	for (size_t i = 0; i < NELEMS(cases); i++)
	{
		char	   *name = case_name(cases[i].query);

		case_list_add(&list, NULL, name, test_case, &cases[i]);
		de_free(name);
	}
	CASE_FIXED(&list, "search", fixed);
	return case_list_run(&list, "search");
}
