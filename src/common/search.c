/*
 * search.c
 *	  Parser of the Discover search language into the tree of search.h.
 *
 * The query is untrusted (it comes from the export payload and is fuzzed), so
 * the parser walks it once from left to right: recursion only follows
 * parentheses, which are limited to SEARCH_MAX_DEPTH levels, and AND/OR
 * chains become balanced trees, so that whoever walks the result (search_free,
 * discover_sql.c) recurses O(log n) deep however many terms a query has.
 *
 * Grammar, lowest precedence first:
 *	  query	:= or_expr
 *	  or_expr	:= and_expr ("OR" and_expr)*
 *	  and_expr	:= primary (["AND"] primary)*
 *	  primary	:= "(" or_expr ")" | term
 *	  term		:= ["!"] ( key ":" value | "\"phrase\"" | word )
 *
 * User-visible messages quote the offending text (shortened, see excerpt())
 * and give 1-based columns counted in characters, as Sentry's do.
 */
#include "search.h"

#include <string.h>

#define SEARCH_MAX_QUERY_LEN	10000
#define SEARCH_MAX_DEPTH		50
#define EXCERPT_BYTES			50

#define PAREN_HINT \
	"This is commonly caused by unmatched parentheses. " \
	"Enclose any text in double quotes."

typedef enum TokenKind
{
	TK_END,
	TK_LPAREN,
	TK_RPAREN,
	TK_AND,
	TK_OR,
	TK_TERM
} TokenKind;

typedef struct Parser
{
	const char *query;
	const char *p;				/* next unread byte */
	DeError    *err;

	/*
	 * Where the last search for a ']' started and what it found (NULL: none
	 * in the rest of the query).  tags[...] keys may be long, and looking for
	 * the ']' again from every term would be quadratic.
	 */
	const char *bracket_from;
	const char *bracket_at;
} Parser;

/* A growable array of subtrees, the operands of one AND or OR chain. */
typedef struct NodeList
{
	SearchNode **items;
	int			n;
	int			cap;
} NodeList;

/* A growable array of values, the elements of one list. */
typedef struct ValueList
{
	SearchValue *items;
	int			n;
	int			cap;
} ValueList;

/* Where a value's raw text is: the bytes between the quotes when quoted. */
typedef struct Span
{
	const char *s;
	size_t		len;
} Span;

typedef struct Excerpt
{
	char		buf[EXCERPT_BYTES + 4];
} Excerpt;

static bool parse_or(Parser *ps, int depth, SearchNode **out);


/* ---- characters and messages ---- */

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

/* Ends an unquoted word or value. */
static bool
is_delim(char c)
{
	return c == '\0' || is_space(c) || c == '(' || c == ')';
}

/* What may directly follow a complete term. */
static bool
is_term_end(char c)
{
	return c == '\0' || is_space(c) || c == ')';
}

static bool
is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* The characters a backslash escapes; before anything else it is literal. */
static bool
is_escapable(char c)
{
	return c == '\\' || c == '"' || c == '*';
}

/* Columns count characters, not bytes, so that they match what users see. */
static int
column_of(const Parser *ps, const char *pos)
{
	const char *q;
	int			col = 1;

	for (q = ps->query; q < pos; q++)
		if (((unsigned char) *q & 0xC0) != 0x80)
			col++;
	return col;
}

/*
 * Copies at most EXCERPT_BYTES of s into ex, cut at a UTF-8 character
 * boundary and marked with "..." when shortened, so that a message never
 * overflows DeError nor carries half a character.
 */
static const char *
excerpt(Excerpt *ex, const char *s, size_t len)
{
	size_t		n = de_clip_utf8(s, len, EXCERPT_BYTES);
	bool		cut = n < len;

	memcpy(ex->buf, s, n);
	if (cut)
	{
		memcpy(ex->buf + n, "...", 3);
		n += 3;
	}
	ex->buf[n] = '\0';
	return ex->buf;
}

/* Length of the text at s up to the next character in stop (or space/end). */
static size_t
token_len(const char *s, const char *stop)
{
	size_t		n = 0;

	while (s[n] != '\0' && !is_space(s[n]) && strchr(stop, s[n]) == NULL)
		n++;
	return n;
}

/* The k-th character (0-based) of s, or its end. */
static const char *
char_at(const char *s, int k)
{
	for (; *s != '\0'; s++)
	{
		if (((unsigned char) *s & 0xC0) != 0x80 && k-- == 0)
			break;
	}
	return s;
}

/*
 * The error for parentheses that do not pair up at pos, worded exactly as
 * Sentry's parse_search_query (api/event_search.py): the column is
 * parsimonious's, 1-based and counted from the last newline before pos, and
 * the quote is query[column - 5 : column + 5] in characters, taken (as Sentry
 * does) from the start of the whole query.  At most 10 characters: no
 * clipping needed.
 */
static bool
paren_error(Parser *ps, const char *pos)
{
	const char *q;
	int			nchars = 0;		/* characters before pos */
	int			last_nl = -1;	/* character index of the last '\n' before pos */
	int			column;
	const char *from;
	const char *to;

	for (q = ps->query; q < pos; q++)
	{
		if (((unsigned char) *q & 0xC0) == 0x80)
			continue;
		if (*q == '\n')
			last_nl = nchars;
		nchars++;
	}
	column = last_nl >= 0 ? nchars - last_nl : nchars + 1;
	from = char_at(ps->query, column > 5 ? column - 5 : 0);
	to = char_at(from, column > 5 ? 10 : column + 5);

	return de_error(ps->err, DE_ERR_INVALID,
					"Parse error at '%.*s' (column %d). " PAREN_HINT,
					(int) (to - from), from, column);
}

static bool
missing_operand(Parser *ps, const char *side, const char *op)
{
	return de_error(ps->err, DE_ERR_INVALID,
					"Condition is missing on the %s side of '%s' operator",
					side, op);
}

static bool
empty_value_error(Parser *ps, const char *key, size_t keylen,
				  const char *op)
{
	Excerpt		ex;

	return de_error(ps->err, DE_ERR_INVALID, "Empty string after '%s:%s'",
					excerpt(&ex, key, keylen), op);
}

/* The closing quote or ']' must end the term: "a"b is a typo, not two terms. */
static bool
check_after_closing(Parser *ps, const char *what)
{
	Excerpt		ex;

	if (is_term_end(*ps->p))
		return true;
	return de_error(ps->err, DE_ERR_INVALID,
					"Unexpected text '%s' after the closing %s at column %d. "
					"Separate search terms with a space.",
					excerpt(&ex, ps->p, token_len(ps->p, "")), what,
					column_of(ps, ps->p));
}

/*
 * An unquoted word ends at a parenthesis, but "foo(bar)" glued together is
 * more likely a value with parentheses than a word followed by a group.
 */
static bool
check_after_unquoted(Parser *ps)
{
	if (*ps->p == '(')
		return paren_error(ps, ps->p);
	return true;
}


/* ---- tree and value construction ---- */

static void
value_free(SearchValue *v)
{
	de_free(v->text);
	de_free(v->like);
}

void
search_free(SearchNode *node)
{
	int			i;

	if (node == NULL)
		return;
	/* Trees come from build_chain(), so this recursion is shallow. */
	search_free(node->left);
	search_free(node->right);
	for (i = 0; i < node->nvalues; i++)
		value_free(&node->values[i]);
	de_free(node->values);
	de_free(node->key);
	de_free(node);
}

char *
search_like_escape(const char *s)
{
	StrBuf		sb;

	sb_init(&sb);
	for (; s != NULL && *s != '\0'; s++)
	{
		if (*s == '%' || *s == '_' || *s == '\\')
			sb_append_char(&sb, '\\');
		sb_append_char(&sb, *s);
	}
	return sb_steal(&sb);
}

/*
 * Writes a raw value's text, escapes removed, to text and, unless like is
 * NULL, its LIKE pattern to like; returns whether it has an unescaped '*'.
 * Both come from the raw text because only it knows which stars were
 * escaped.  text needs len + 1 bytes, like 2 * len + 1.
 */
static bool
unescape(Span sp, char *text, char *like)
{
	bool		wildcard = false;
	size_t		i;

	for (i = 0; i < sp.len; i++)
	{
		char		c = sp.s[i];
		bool		escaped = false;

		if (c == '\\' && i + 1 < sp.len && is_escapable(sp.s[i + 1]))
		{
			c = sp.s[++i];
			escaped = true;
		}
		*text++ = c;
		if (c == '*' && !escaped)
		{
			wildcard = true;
			if (like != NULL)
				*like++ = '%';
			continue;
		}
		if (like == NULL)
			continue;
		if (c == '%' || c == '_' || c == '\\')
			*like++ = '\\';
		*like++ = c;
	}
	*text = '\0';
	if (like != NULL)
		*like = '\0';
	return wildcard;
}

/* Sized allocations rather than StrBufs: a query may hold thousands. */
static void
decode_value(Span sp, SearchValue *v)
{
	memset(v, 0, sizeof(*v));
	v->kind = SV_STRING;
	v->text = de_alloc(sp.len + 1);
	v->wildcard = unescape(sp, v->text, NULL);
	if (v->wildcard)
	{
		v->like = de_alloc(2 * sp.len + 1);
		(void) unescape(sp, v->text, v->like);
	}
}

/* Takes ownership of key and values. */
static SearchNode *
make_term(SearchOp op, bool negated, char *key, SearchValue *values,
		  int nvalues)
{
	SearchNode *node = de_alloc(sizeof(SearchNode));

	node->kind = SN_TERM;
	node->op = op;
	node->negated = negated;
	node->key = key;
	node->values = values;
	node->nvalues = nvalues;
	return node;
}

static SearchNode *
make_single(SearchOp op, bool negated, char *key, const SearchValue *v)
{
	SearchValue *values = de_alloc(sizeof(SearchValue));

	*values = *v;
	return make_term(op, negated, key, values, 1);
}

static void
node_list_push(NodeList *list, SearchNode *node)
{
	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 4;
		list->items = de_realloc(list->items,
								 (size_t) list->cap * sizeof(SearchNode *));
	}
	list->items[list->n++] = node;
}

static void
node_list_free(NodeList *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
		search_free(list->items[i]);
	de_free(list->items);
}

static SearchNode *
build_balanced(SearchNodeKind kind, SearchNode **items, int n)
{
	SearchNode *node;

	if (n == 1)
		return items[0];
	node = de_alloc(sizeof(SearchNode));
	node->kind = kind;
	node->left = build_balanced(kind, items, n / 2);
	node->right = build_balanced(kind, items + n / 2, n - n / 2);
	return node;
}

/* Turns the operands into one tree (NULL for none) and frees the list. */
static SearchNode *
build_chain(NodeList *list, SearchNodeKind kind)
{
	SearchNode *tree = NULL;

	if (list->n > 0)
		tree = build_balanced(kind, list->items, list->n);
	de_free(list->items);
	return tree;
}

static void
value_list_push(ValueList *list, const SearchValue *v)
{
	if (list->n == list->cap)
	{
		list->cap = list->cap ? list->cap * 2 : 4;
		list->items = de_realloc(list->items,
								 (size_t) list->cap * sizeof(SearchValue));
	}
	list->items[list->n++] = *v;
}

static void
value_list_free(ValueList *list)
{
	int			i;

	for (i = 0; i < list->n; i++)
		value_free(&list->items[i]);
	de_free(list->items);
}


/* ---- lexical pieces ---- */

static bool
is_keyword(const char *p, const char *word)
{
	size_t		n = strlen(word);

	return strncmp(p, word, n) == 0 && is_delim(p[n]);
}

/* Skips spaces and says what comes next, without consuming it. */
static TokenKind
peek(Parser *ps)
{
	while (is_space(*ps->p))
		ps->p++;
	switch (*ps->p)
	{
		case '\0':
			return TK_END;
		case '(':
			return TK_LPAREN;
		case ')':
			return TK_RPAREN;
		default:
			break;
	}
	if (is_keyword(ps->p, "AND"))
		return TK_AND;
	if (is_keyword(ps->p, "OR"))
		return TK_OR;
	return TK_TERM;
}

/* Whether a token can start the operand an AND or OR still needs. */
static bool
starts_operand(TokenKind tk)
{
	return tk == TK_TERM || tk == TK_LPAREN;
}

static const char *
next_bracket(Parser *ps, const char *from)
{
	if (ps->bracket_from != NULL && from >= ps->bracket_from &&
		(ps->bracket_at == NULL || from <= ps->bracket_at))
		return ps->bracket_at;
	ps->bracket_from = from;
	ps->bracket_at = strchr(from, ']');
	return ps->bracket_at;
}

/*
 * Length of the key that starts at p: a word of key characters or
 * tags[anything but ']'].  0 when there is none.
 */
static size_t
scan_key(Parser *ps, const char *p)
{
	size_t		n = 0;

	if (strncmp(p, "tags[", 5) == 0)
	{
		const char *close = next_bracket(ps, p + 5);

		if (close != NULL && close > p + 5)
			return (size_t) (close - p) + 1;
	}
	while (is_key_char(p[n]))
		n++;
	return n;
}

/* At an opening quote: the quoted bytes, leaving ps->p after the closing one. */
static bool
scan_quoted(Parser *ps, Span *sp)
{
	const char *open = ps->p;
	const char *q = open + 1;

	while (*q != '"')
	{
		if (*q == '\0')
			return de_error(ps->err, DE_ERR_INVALID,
							"Unterminated quoted string at column %d.",
							column_of(ps, open));
		if (*q == '\\' && is_escapable(q[1]))
			q++;
		q++;
	}
	sp->s = open + 1;
	sp->len = (size_t) (q - sp->s);
	ps->p = q + 1;
	return true;
}

/* Unquoted text up to a space or a character of stop. */
static void
scan_unquoted(Parser *ps, const char *stop, Span *sp)
{
	sp->s = ps->p;
	sp->len = token_len(ps->p, stop);
	ps->p += sp->len;
}


/* ---- terms ---- */

/* A quoted or unquoted value that ends the term. */
static bool
scan_value(Parser *ps, Span *sp)
{
	if (*ps->p == '"')
		return scan_quoted(ps, sp) && check_after_closing(ps, "quote");
	scan_unquoted(ps, "()", sp);
	return check_after_unquoted(ps);
}

/* A free-text term: a bare word or a quoted phrase. */
static bool
parse_text(Parser *ps, bool negated, SearchNode **out)
{
	Span		sp;
	SearchValue v;

	if (!scan_value(ps, &sp))
		return false;
	decode_value(sp, &v);
	*out = make_single(SO_TEXT, negated, NULL, &v);
	return true;
}

/* has:key, with ps->p after "has:". */
static bool
parse_has(Parser *ps, bool negated, SearchNode **out)
{
	const char *start = ps->p;
	size_t		klen;
	Excerpt		ex;

	if (is_delim(*start))
		return empty_value_error(ps, "has", 3, "");
	klen = scan_key(ps, start);
	if (klen > 0 && start[klen] == '(')
		return paren_error(ps, start + klen);
	if (klen == 0 || !is_term_end(start[klen]))
		return de_error(ps->err, DE_ERR_INVALID,
						"Invalid key '%s' after 'has:' at column %d.",
						excerpt(&ex, start, token_len(start, "()")),
						column_of(ps, start));
	ps->p = start + klen;
	*out = make_term(SO_HAS, negated, de_strndup(start, klen), NULL, 0);
	return true;
}


/* Gives a comparison's value its kind; false when it has none. */
static bool
classify_value(SearchValue *v)
{
	if (de_is_decimal(v->text, strlen(v->text)))
		v->kind = SV_NUMBER;
	else if (de_parse_iso8601(v->text, &v->date))
		v->kind = SV_DATE;
	else if (de_parse_relative_time(v->text, &v->relative_seconds))
		v->kind = SV_RELATIVE;
	else
		return false;
	return true;
}

/* key:>v and friends, with ps->p after the operator. */
static bool
parse_comparison(Parser *ps, bool negated, const char *key, size_t keylen,
				 SearchOp op, const char *opname, SearchNode **out)
{
	Span		sp;
	SearchValue v;
	Excerpt		exv;
	Excerpt		exk;

	if (is_delim(*ps->p))
		return empty_value_error(ps, key, keylen, opname);
	if (!scan_value(ps, &sp))
		return false;
	decode_value(sp, &v);
	if (v.text[0] == '\0')
	{
		value_free(&v);
		return empty_value_error(ps, key, keylen, opname);
	}
	if (v.wildcard || !classify_value(&v))
	{
		de_error(ps->err, DE_ERR_INVALID, "Invalid value '%s' for '%s': %s",
				 excerpt(&exv, v.text, strlen(v.text)),
				 excerpt(&exk, key, keylen),
				 v.wildcard ? "wildcards are not supported in comparisons"
				 : "expected a number or a date");
		value_free(&v);
		return false;
	}
	*out = make_single(op, negated, de_strndup(key, keylen), &v);
	return true;
}

/* One element of a list, leaving ps->p after it. */
static bool
parse_list_element(Parser *ps, const char *key, size_t keylen,
				   SearchValue *v)
{
	Span		sp;
	Excerpt		exv;
	Excerpt		exk;

	if (*ps->p == ',' || *ps->p == ']')
		return de_error(ps->err, DE_ERR_INVALID,
						"Empty element in the list for '%s' at column %d.",
						excerpt(&exk, key, keylen), column_of(ps, ps->p));
	if (*ps->p == '"')
	{
		if (!scan_quoted(ps, &sp))
			return false;
	}
	else
		scan_unquoted(ps, ",]", &sp);
	decode_value(sp, v);
	if (!v->wildcard)
		return true;
	de_error(ps->err, DE_ERR_INVALID,
			 "Invalid value '%s' for '%s': wildcards are not supported in lists",
			 excerpt(&exv, v->text, strlen(v->text)),
			 excerpt(&exk, key, keylen));
	value_free(v);
	return false;
}

static bool
unterminated_list(Parser *ps, const char *key, size_t keylen,
				  const char *open)
{
	Excerpt		exk;

	return de_error(ps->err, DE_ERR_INVALID,
					"Unterminated list for '%s' at column %d: missing ']'.",
					excerpt(&exk, key, keylen), column_of(ps, open));
}

/* Moves past the separator after an element; *done at the closing ']'. */
static bool
parse_list_separator(Parser *ps, const char *key, size_t keylen,
					 const char *open, bool *done)
{
	Excerpt		ex;
	Excerpt		exk;

	while (is_space(*ps->p))
		ps->p++;
	*done = (*ps->p == ']');
	if (*ps->p == ',' || *ps->p == ']')
	{
		ps->p++;
		return true;
	}
	if (*ps->p == '\0')
		return unterminated_list(ps, key, keylen, open);
	return de_error(ps->err, DE_ERR_INVALID,
					"Unexpected text '%s' in the list for '%s' at column %d: "
					"expected ',' or ']'.",
					excerpt(&ex, ps->p, token_len(ps->p, ",]")),
					excerpt(&exk, key, keylen), column_of(ps, ps->p));
}

/* key:[a, b], with ps->p at the '['. */
static bool
parse_list(Parser *ps, bool negated, const char *key, size_t keylen,
		   SearchNode **out)
{
	const char *open = ps->p;
	ValueList	list = {0};
	bool		done = false;
	Excerpt		exk;

	ps->p++;
	while (is_space(*ps->p))
		ps->p++;
	if (*ps->p == ']')
		return de_error(ps->err, DE_ERR_INVALID,
						"Empty list after '%s:' at column %d.",
						excerpt(&exk, key, keylen), column_of(ps, open));
	while (!done)
	{
		SearchValue v;

		de_check_interrupts();
		while (is_space(*ps->p))
			ps->p++;
		if (*ps->p == '\0')
		{
			value_list_free(&list);
			return unterminated_list(ps, key, keylen, open);
		}
		if (!parse_list_element(ps, key, keylen, &v))
		{
			value_list_free(&list);
			return false;
		}
		value_list_push(&list, &v);
		if (!parse_list_separator(ps, key, keylen, open, &done))
		{
			value_list_free(&list);
			return false;
		}
	}
	if (!check_after_closing(ps, "']'"))
	{
		value_list_free(&list);
		return false;
	}
	*out = make_term(SO_IN, negated, de_strndup(key, keylen), list.items,
					 list.n);
	return true;
}

/* key:..., with ps->p at the key and keylen its length. */
static bool
parse_filter(Parser *ps, bool negated, size_t keylen, SearchNode **out)
{
	const char *key = ps->p;
	const char *v = key + keylen + 1;
	Span		sp;
	SearchValue val;

	ps->p = v;
	if (keylen == 3 && memcmp(key, "has", 3) == 0)
		return parse_has(ps, negated, out);
	if (*v == '[')
		return parse_list(ps, negated, key, keylen, out);
	if (v[0] == '>' || v[0] == '<')
	{
		bool		eq = (v[1] == '=');
		SearchOp	op = v[0] == '>' ? (eq ? SO_GE : SO_GT) : (eq ? SO_LE : SO_LT);

		ps->p = v + (eq ? 2 : 1);
		return parse_comparison(ps, negated, key, keylen, op,
								v[0] == '>' ? (eq ? ">=" : ">") : (eq ? "<=" : "<"),
								out);
	}
	if (is_delim(*v))
		return empty_value_error(ps, key, keylen, "");
	if (!scan_value(ps, &sp))
		return false;
	decode_value(sp, &val);
	*out = make_single(SO_EQ, negated, de_strndup(key, keylen), &val);
	return true;
}

static bool
parse_term(Parser *ps, SearchNode **out)
{
	bool		negated = false;
	size_t		keylen;

	if (*ps->p == '!')
	{
		if (is_delim(ps->p[1]))
			return de_error(ps->err, DE_ERR_INVALID,
							"'!' must be followed by a search term (column %d).",
							column_of(ps, ps->p));
		negated = true;
		ps->p++;
	}
	if (*ps->p == '"')
		return parse_text(ps, negated, out);
	keylen = scan_key(ps, ps->p);
	if (keylen > 0 && ps->p[keylen] == ':')
		return parse_filter(ps, negated, keylen, out);
	return parse_text(ps, negated, out);
}


/* ---- boolean structure ---- */

/* At a '(': the group's tree, leaving ps->p after the ')'. */
static bool
parse_group(Parser *ps, int depth, SearchNode **out)
{
	const char *open = ps->p;
	SearchNode *inner;

	if (depth > SEARCH_MAX_DEPTH)
		return de_error(ps->err, DE_ERR_INVALID,
						"Parentheses are nested too deeply at column %d "
						"(at most %d levels).",
						column_of(ps, open), SEARCH_MAX_DEPTH);
	ps->p++;
	if (!parse_or(ps, depth, &inner))
		return false;
	if (inner == NULL || peek(ps) != TK_RPAREN)
	{
		/* "()" or a '(' that is never closed */
		search_free(inner);
		return paren_error(ps, open);
	}
	ps->p++;
	*out = inner;
	return true;
}

/* Moves past an explicit AND, which needs an operand on each side. */
static bool
consume_and(Parser *ps, bool has_left)
{
	ps->p += 3;
	if (!has_left)
		return missing_operand(ps, "left", "AND");
	if (!starts_operand(peek(ps)))
		return missing_operand(ps, "right", "AND");
	return true;
}

/* Terms joined by AND or juxtaposition; *out NULL when there are none. */
static bool
parse_and(Parser *ps, int depth, SearchNode **out)
{
	NodeList	list = {0};

	for (;;)
	{
		TokenKind	tk = peek(ps);
		SearchNode *node = NULL;
		bool		ok;

		de_check_interrupts();
		if (tk == TK_END || tk == TK_RPAREN || tk == TK_OR)
			break;
		if (tk == TK_AND)
			ok = consume_and(ps, list.n > 0);
		else if (tk == TK_LPAREN)
			ok = parse_group(ps, depth + 1, &node);
		else
			ok = parse_term(ps, &node);
		if (!ok)
		{
			node_list_free(&list);
			return false;
		}
		if (node != NULL)
			node_list_push(&list, node);
	}
	*out = build_chain(&list, SN_AND);
	return true;
}

/* AND chains joined by OR; *out NULL when there is nothing before ')'/end. */
static bool
parse_or(Parser *ps, int depth, SearchNode **out)
{
	NodeList	list = {0};
	SearchNode *operand;

	*out = NULL;
	if (!parse_and(ps, depth, &operand))
		return false;
	if (operand == NULL)
		return peek(ps) == TK_OR ? missing_operand(ps, "left", "OR") : true;
	node_list_push(&list, operand);
	while (peek(ps) == TK_OR)
	{
		ps->p += 2;
		if (!starts_operand(peek(ps)))
		{
			node_list_free(&list);
			return missing_operand(ps, "right", "OR");
		}
		if (!parse_and(ps, depth, &operand))
		{
			node_list_free(&list);
			return false;
		}
		node_list_push(&list, operand);
	}
	*out = build_chain(&list, SN_OR);
	return true;
}

bool
search_parse(const char *query, SearchNode **out, DeError *err)
{
	Parser		ps = {0};
	SearchNode *tree;

	*out = NULL;
	if (query == NULL)
		return true;
	if (strnlen(query, SEARCH_MAX_QUERY_LEN + 1) > SEARCH_MAX_QUERY_LEN)
		return de_error(err, DE_ERR_INVALID,
						"Search query is too long (at most %d characters).",
						SEARCH_MAX_QUERY_LEN);
	ps.query = query;
	ps.p = query;
	ps.err = err;
	if (!parse_or(&ps, 0, &tree))
		return false;
	if (peek(&ps) == TK_RPAREN)
	{
		search_free(tree);
		return paren_error(&ps, ps.p);
	}
	*out = tree;
	return true;
}
