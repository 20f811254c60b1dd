/*
 * dom_from_jsonapi.c
 *	  JSON text -> DjValue through pg_parse_json(), for the unit tests and
 *	  fuzzers only (the server reads jsonb directly, src/jsonb_dom.c).
 *
 * A frontend build: postgres_fe.h, linked with libpgcommon.a and
 * libpgport.a.  What jsonb_in would do on top of the parser is done here, so
 * that the tests see the DOM production builds:
 *	- objects: keys sorted as jsonb sorts them (length, then bytes), the last
 *	  of duplicate keys wins;
 *	- numbers: the text numeric_out gives for what numeric_in read (no
 *	  exponent, leading zeros dropped, the scale kept, no negative zero), and
 *	  "value overflows numeric format" where numeric_in says so (more than
 *	  131072 integer digits, a scale above 16383, a huge exponent);
 *	- nesting: the server's limit is max_stack_depth (10000 levels pass at
 *	  the default 2MB); the frontend parser has no such check and recurses,
 *	  so deeper input is refused here before parsing.
 * pg_parse_json already refuses \u0000 and lone surrogates, as jsonb does.
 *
 * Memory: in the server the parser's allocations go with the memory
 * context; the frontend parser of PostgreSQL 15 drops a field name on some
 * error paths (a bad token after a key).  So this file supplies the
 * frontend palloc family (instead of libpgcommon's fe_memutils.o, which is
 * then not linked): every chunk is kept on a list and what the parser leaves
 * behind is freed when dj_from_json returns, like a memory context reset.
 * Tests and fuzzers are single-threaded; nothing else here uses palloc.
 */
#include "postgres_fe.h"

#include "common/jsonapi.h"
#include "mb/pg_wchar.h"

#include "dom_from_jsonapi.h"

/* numeric_in's limits (PostgreSQL 15): an exponent from INT_MAX/2 on, a
 * weight above 32767 base-10000 digits, a display scale above 0x3FFF */
#define NUMERIC_EXPONENT_MAX 1073741822L
#define NUMERIC_INT_DIGITS_MAX 131072L
#define NUMERIC_DSCALE_MAX 16383L
/* the nesting the tests accept (see the header comment) */
#define DOM_MAX_DEPTH 10000

typedef struct DomBuilder
{
	DjValue    *root;
	DjValue   **stack;			/* open containers, innermost last */
	int			depth;
	int			cap;
	char	   *key;			/* key of the value about to come */
	bool		overflow;		/* a number numeric_in would refuse */
} DomBuilder;

/* ---- the parser's memory: one "context", reset after each parse ---- */

typedef union ParseChunk
{
	struct
	{
		union ParseChunk *prev;
		union ParseChunk *next;
	}			link;
	max_align_t align;			/* keeps what follows aligned */
} ParseChunk;

static ParseChunk parse_chunks = {.link = {&parse_chunks, &parse_chunks}};

static void *
chunk_link(ParseChunk *c)
{
	if (c == NULL)
	{
		fprintf(stderr, "dom_from_jsonapi: out of memory\n");
		abort();
	}
	c->link.prev = parse_chunks.link.prev;
	c->link.next = &parse_chunks;
	c->link.prev->link.next = c;
	parse_chunks.link.prev = c;
	return c + 1;
}

static ParseChunk *
chunk_unlink(void *p)
{
	ParseChunk *c = (ParseChunk *) p - 1;

	c->link.prev->link.next = c->link.next;
	c->link.next->link.prev = c->link.prev;
	return c;
}

void *
palloc(Size size)
{
	return chunk_link(malloc(sizeof(ParseChunk) + size));
}

void *
palloc0(Size size)
{
	return chunk_link(calloc(1, sizeof(ParseChunk) + size));
}

void *
repalloc(void *pointer, Size size)
{
	return chunk_link(realloc(chunk_unlink(pointer), sizeof(ParseChunk) + size));
}

void
pfree(void *pointer)
{
	free(chunk_unlink(pointer));
}

char *
pstrdup(const char *in)
{
	size_t		len = strlen(in);
	char	   *out = palloc(len + 1);

	memcpy(out, in, len + 1);
	return out;
}

static void
parse_memory_reset(void)
{
	while (parse_chunks.link.next != &parse_chunks)
		free(chunk_unlink(parse_chunks.link.next + 1));
}

/* ---- numbers ---- */

/*
 * literal is a valid JSON number (the lexer checked it):
 * -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
 * Returns its numeric_out text (de_alloc'd), or NULL on overflow.
 */
static char *
numeric_text(const char *literal)
{
	const char *p = literal;
	bool		negative = false;
	const char *int_digits;
	size_t		nint;
	const char *frac_digits = "";
	size_t		nfrac = 0;
	long		exponent = 0;
	long		point;			/* digits before the decimal point */
	long		scale;
	size_t		ndigits;
	char	   *digits;
	bool		nonzero = false;
	StrBuf		out;

	if (*p == '-')
	{
		negative = true;
		p++;
	}
	int_digits = p;
	while (*p >= '0' && *p <= '9')
		p++;
	nint = (size_t) (p - int_digits);
	if (*p == '.')
	{
		frac_digits = ++p;
		while (*p >= '0' && *p <= '9')
			p++;
		nfrac = (size_t) (p - frac_digits);
	}
	if (*p == 'e' || *p == 'E')
	{
		bool		eneg = false;

		p++;
		if (*p == '+' || *p == '-')
			eneg = *p++ == '-';
		for (; *p >= '0' && *p <= '9'; p++)
		{
			if (exponent <= NUMERIC_EXPONENT_MAX)
				exponent = exponent * 10 + (*p - '0');
		}
		if (exponent > NUMERIC_EXPONENT_MAX)
			return NULL;
		if (eneg)
			exponent = -exponent;
	}

	/* all digits, and where the point goes after the exponent */
	ndigits = nint + nfrac;
	digits = de_alloc(ndigits + 1);
	memcpy(digits, int_digits, nint);
	memcpy(digits + nint, frac_digits, nfrac);
	for (size_t i = 0; i < ndigits; i++)
		nonzero |= digits[i] != '0';
	point = (long) nint + exponent;
	scale = (long) nfrac - exponent;
	if (scale < 0)
		scale = 0;
	if (scale > NUMERIC_DSCALE_MAX)
	{
		de_free(digits);
		return NULL;
	}
	if (nonzero)
	{
		size_t		first = 0;

		while (digits[first] == '0')
			first++;
		if (point - (long) first > NUMERIC_INT_DIGITS_MAX)
		{
			de_free(digits);
			return NULL;
		}
	}

	sb_init(&out);
	if (negative && nonzero)
		sb_append_char(&out, '-');
	/* the integer part without leading zeros */
	{
		size_t		len = out.len;

		/* zero has no integer digits however large its exponent */
		for (long i = 0; nonzero && i < point; i++)
		{
			char		c = i < (long) ndigits ? digits[i] : '0';

			if (c != '0' || out.len > len)
				sb_append_char(&out, c);
		}
		if (out.len == len)
			sb_append_char(&out, '0');
	}
	if (scale > 0)
	{
		sb_append_char(&out, '.');
		for (long i = point; i < point + scale; i++)
			sb_append_char(&out, i >= 0 && i < (long) ndigits ? digits[i] : '0');
	}
	de_free(digits);
	return sb_steal(&out);
}

/* ---- objects: jsonb's key order ---- */

typedef struct KeyRef
{
	const char *key;
	size_t		len;
	size_t		index;
} KeyRef;

static int
keyref_cmp(const void *a, const void *b)
{
	const KeyRef *ka = a;
	const KeyRef *kb = b;
	int			c;

	if (ka->len != kb->len)
		return ka->len < kb->len ? -1 : 1;
	c = memcmp(ka->key, kb->key, ka->len);
	if (c != 0)
		return c;
	/* equal keys: the later one first, so that it is the one kept */
	return ka->index > kb->index ? -1 : ka->index < kb->index;
}

static void
sort_object(DjValue *obj)
{
	size_t		n = obj->count;
	KeyRef	   *refs;
	char	  **keys;
	DjValue   **items;
	size_t		kept = 0;

	if (n == 0)
		return;
	refs = de_alloc(n * sizeof(KeyRef));
	keys = de_alloc(n * sizeof(char *));
	items = de_alloc(n * sizeof(DjValue *));
	for (size_t i = 0; i < n; i++)
	{
		refs[i].key = obj->keys[i];
		refs[i].len = strlen(obj->keys[i]);
		refs[i].index = i;
	}
	qsort(refs, n, sizeof(KeyRef), keyref_cmp);
	for (size_t i = 0; i < n; i++)
	{
		size_t		from = refs[i].index;

		/* a duplicate of the key kept last (sorted: equal keys adjoin) */
		if (kept > 0 && refs[i].len == strlen(keys[kept - 1]) &&
			memcmp(refs[i].key, keys[kept - 1], refs[i].len) == 0)
		{
			de_free(obj->keys[from]);
			dj_free(obj->items[from]);
			continue;
		}
		keys[kept] = obj->keys[from];
		items[kept] = obj->items[from];
		kept++;
	}
	/* the storage only shrinks: dom.c's growth rule still holds */
	memcpy(obj->keys, keys, kept * sizeof(char *));
	memcpy(obj->items, items, kept * sizeof(DjValue *));
	obj->count = kept;
	de_free(refs);
	de_free(keys);
	de_free(items);
}

/* ---- semantic actions ---- */

static void
attach(DomBuilder *b, DjValue *node)
{
	DjValue    *parent;

	if (b->depth == 0)
	{
		b->root = node;
		return;
	}
	parent = b->stack[b->depth - 1];
	if (parent->type == DJ_OBJECT)
	{
		/* duplicates are collapsed at the object's end */
		dj_object_push(parent, b->key, node);
		b->key = NULL;
	}
	else
		dj_append(parent, node);
}

static void
open_container(DomBuilder *b, DjValue *node)
{
	attach(b, node);
	if (b->depth == b->cap)
	{
		b->cap = b->cap ? b->cap * 2 : 16;
		b->stack = de_realloc(b->stack, (size_t) b->cap * sizeof(DjValue *));
	}
	b->stack[b->depth++] = node;
}

static void
on_object_start(void *state)
{
	open_container(state, dj_new_object());
}

static void
on_object_end(void *state)
{
	DomBuilder *b = state;

	sort_object(b->stack[--b->depth]);
}

static void
on_array_start(void *state)
{
	open_container(state, dj_new_array());
}

static void
on_array_end(void *state)
{
	DomBuilder *b = state;

	b->depth--;
}

static void
on_field_start(void *state, char *fname, bool isnull)
{
	DomBuilder *b = state;

	(void) isnull;
	de_free(b->key);
	b->key = de_strdup(fname);
	pfree(fname);
}

static void
on_scalar(void *state, char *token, JsonTokenType type)
{
	DomBuilder *b = state;
	DjValue    *node;
	char	   *text;

	switch (type)
	{
		case JSON_TOKEN_STRING:
			node = dj_new_string(token);
			break;
		case JSON_TOKEN_NUMBER:
			text = numeric_text(token);
			if (text == NULL)
			{
				b->overflow = true;
				text = de_strdup("0");
			}
			node = dj_new_number_text(text);
			de_free(text);
			break;
		case JSON_TOKEN_TRUE:
			node = dj_new_bool(true);
			break;
		case JSON_TOKEN_FALSE:
			node = dj_new_bool(false);
			break;
		default:
			node = dj_new_null();
			break;
	}
	pfree(token);
	attach(b, node);
}

/* Deepest bracket nesting of text, strings skipped (a lexical guess: only
 * used to refuse before the recursive parser runs). */
static int
max_depth(const char *text, size_t len)
{
	int			depth = 0;
	int			max = 0;
	bool		in_string = false;

	for (size_t i = 0; i < len; i++)
	{
		char		c = text[i];

		if (in_string)
		{
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		}
		else if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{')
		{
			if (++depth > max)
				max = depth;
		}
		else if (c == ']' || c == '}')
			depth--;
	}
	return max;
}

/* ---- errors ---- */

/* What pg_parse_json reported, in a few words. */
static const char *
parse_error_text(JsonParseErrorType e)
{
	switch (e)
	{
		case JSON_SUCCESS:
			break;
		case JSON_ESCAPING_INVALID:
			return "invalid escape sequence";
		case JSON_ESCAPING_REQUIRED:
			return "unescaped control character";
		case JSON_EXPECTED_ARRAY_FIRST:
			return "expected array element or \"]\"";
		case JSON_EXPECTED_ARRAY_NEXT:
			return "expected \",\" or \"]\"";
		case JSON_EXPECTED_COLON:
			return "expected \":\"";
		case JSON_EXPECTED_END:
			return "expected end of input";
		case JSON_EXPECTED_JSON:
			return "expected JSON value";
		case JSON_EXPECTED_MORE:
			return "the input string ended unexpectedly";
		case JSON_EXPECTED_OBJECT_FIRST:
			return "expected string or \"}\"";
		case JSON_EXPECTED_OBJECT_NEXT:
			return "expected \",\" or \"}\"";
		case JSON_EXPECTED_STRING:
			return "expected string";
		case JSON_INVALID_TOKEN:
			return "invalid token";
		case JSON_UNICODE_CODE_POINT_ZERO:
			return "\\u0000 cannot be converted to text";
		case JSON_UNICODE_ESCAPE_FORMAT:
			return "\"\\u\" must be followed by four hexadecimal digits";
		case JSON_UNICODE_HIGH_ESCAPE:
			return "Unicode escape values cannot be used for code point values above 007F when the encoding is not UTF8";
		case JSON_UNICODE_HIGH_SURROGATE:
			return "Unicode high surrogate must not follow a high surrogate";
		case JSON_UNICODE_LOW_SURROGATE:
			return "Unicode low surrogate must follow a high surrogate";
	}
	return "unknown error";
}

DjValue *
dj_from_json(const char *text, size_t len, DeError *err)
{
	DomBuilder	b = {0};
	JsonSemAction sem = {
		.semstate = &b,
		.object_start = on_object_start,
		.object_end = on_object_end,
		.array_start = on_array_start,
		.array_end = on_array_end,
		.object_field_start = on_field_start,
		.scalar = on_scalar,
	};
	JsonLexContext *lex;
	JsonParseErrorType result;
	char	   *copy;

	if (max_depth(text, len) > DOM_MAX_DEPTH)
	{
		de_error(err, DE_ERR_INVALID, "stack depth limit exceeded");
		return NULL;
	}
	/* the lexer reads no further than len; the copy keeps ASan honest
	 * about that and gives the parser a writable buffer */
	copy = de_alloc(len + 1);
	if (len > 0)
		memcpy(copy, text, len);
	lex = makeJsonLexContextCstringLen(copy, (int) len, PG_UTF8, true);
	result = pg_parse_json(lex, &sem);
	if (result != JSON_SUCCESS)
		de_error(err, DE_ERR_INVALID,
				 "invalid input syntax for type json: %s at offset %ld",
				 parse_error_text(result),
				 (long) ((lex->token_start ? lex->token_start : lex->token_terminator) - copy));
	else if (b.overflow)
		de_error(err, DE_ERR_INVALID, "value overflows numeric format");

	/* the lexer, its buffer and whatever the parser dropped */
	parse_memory_reset();
	de_free(copy);
	de_free(b.stack);
	de_free(b.key);
	if (result != JSON_SUCCESS || b.overflow)
	{
		dj_free(b.root);
		return NULL;
	}
	return b.root;
}
