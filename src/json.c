/*
 * json.c
 *	  The JSON document model of the pure modules: an RFC 8259 parser, a
 *	  compact serializer and the accessors of json.h.
 *
 * Input arrives as the text output of jsonb, so in practice it is valid, but
 * the parser is also driven by fuzzers and must reject anything else without
 * reading past len.  Strings are passed through byte for byte (the server
 * encoding is PostgreSQL's business); only escapes are decoded.  \u0000 is
 * rejected because every consumer treats strings as NUL-terminated, which is
 * also what jsonb does.
 *
 * Arrays and objects carry no capacity field: their storage grows in powers
 * of two (at least DJ_MIN_CAPACITY), so the capacity follows from count.
 */
#include "json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DJ_MAX_DEPTH 200
#define DJ_MIN_CAPACITY 4

typedef struct DjParser
{
	const char *text;
	size_t		len;
	size_t		pos;
	int			depth;
	DeError    *err;
} DjParser;

static DjValue *parse_value(DjParser *p);

/* ---------------------------------------------------------------------
 * Construction
 * ---------------------------------------------------------------------
 */

static DjValue *
dj_new(DjType type)
{
	DjValue    *v = de_alloc(sizeof(DjValue));

	v->type = type;
	return v;
}

DjValue *
dj_new_null(void)
{
	return dj_new(DJ_NULL);
}

DjValue *
dj_new_bool(bool b)
{
	DjValue    *v = dj_new(DJ_BOOL);

	v->boolean = b;
	return v;
}

DjValue *
dj_new_string(const char *s)
{
	DjValue    *v = dj_new(DJ_STRING);

	v->str = de_strdup(s);
	return v;
}

DjValue *
dj_new_number_text(const char *literal)
{
	DjValue    *v = dj_new(DJ_NUMBER);

	v->str = de_strdup(literal);
	return v;
}

DjValue *
dj_new_int(int64_t i)
{
	char		buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, i);
	return dj_new_number_text(buf);
}

DjValue *
dj_new_array(void)
{
	return dj_new(DJ_ARRAY);
}

DjValue *
dj_new_object(void)
{
	return dj_new(DJ_OBJECT);
}

/* Makes room for one more item (and key, for objects). */
static void
container_grow(DjValue *v)
{
	size_t		newcap;

	if (v->items == NULL)
		newcap = DJ_MIN_CAPACITY;
	else if (v->count >= DJ_MIN_CAPACITY && (v->count & (v->count - 1)) == 0)
		newcap = v->count * 2;
	else
		return;

	v->items = de_realloc(v->items, newcap * sizeof(DjValue *));
	if (v->type == DJ_OBJECT)
		v->keys = de_realloc(v->keys, newcap * sizeof(char *));
}

/* Appends without looking for an existing key; takes ownership of both. */
static void
object_push(DjValue *obj, char *key, DjValue *value)
{
	container_grow(obj);
	obj->keys[obj->count] = key;
	obj->items[obj->count] = value;
	obj->count++;
}

void
dj_append(DjValue *arr, DjValue *value)
{
	if (arr == NULL || arr->type != DJ_ARRAY)
	{
		dj_free(value);
		return;
	}
	container_grow(arr);
	arr->items[arr->count++] = value;
}

static int
object_find(const DjValue *obj, const char *key)
{
	if (obj == NULL || obj->type != DJ_OBJECT)
		return -1;
	for (size_t i = 0; i < obj->count; i++)
	{
		if (strcmp(obj->keys[i], key) == 0)
			return (int) i;
	}
	return -1;
}

DjValue *
dj_get(const DjValue *obj, const char *key)
{
	int			i = object_find(obj, key);

	return i < 0 ? NULL : obj->items[i];
}

void
dj_set(DjValue *obj, const char *key, DjValue *value)
{
	int			i;

	if (obj == NULL || obj->type != DJ_OBJECT)
	{
		dj_free(value);
		return;
	}
	i = object_find(obj, key);
	if (i >= 0)
	{
		dj_free(obj->items[i]);
		obj->items[i] = value;
		return;
	}
	object_push(obj, de_strdup(key), value);
}

void
dj_remove(DjValue *obj, const char *key)
{
	int			i = object_find(obj, key);

	if (i < 0)
		return;
	de_free(obj->keys[i]);
	dj_free(obj->items[i]);
	memmove(&obj->keys[i], &obj->keys[i + 1],
			(obj->count - i - 1) * sizeof(char *));
	memmove(&obj->items[i], &obj->items[i + 1],
			(obj->count - i - 1) * sizeof(DjValue *));
	obj->count--;
}

void
dj_free(DjValue *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->count; i++)
	{
		dj_free(v->items[i]);
		if (v->keys)
			de_free(v->keys[i]);
	}
	de_free(v->items);
	de_free(v->keys);
	de_free(v->str);
	de_free(v);
}

DjValue *
dj_clone(const DjValue *v)
{
	DjValue    *copy;

	if (v == NULL)
		return NULL;
	copy = dj_new(v->type);
	copy->boolean = v->boolean;
	if (v->str)
		copy->str = de_strdup(v->str);
	for (size_t i = 0; i < v->count; i++)
	{
		if (v->type == DJ_OBJECT)
			object_push(copy, de_strdup(v->keys[i]), dj_clone(v->items[i]));
		else
			dj_append(copy, dj_clone(v->items[i]));
	}
	return copy;
}

bool
dj_as_int64(const DjValue *v, int64_t *out)
{
	const char *s;
	bool		negative = false;
	uint64_t	magnitude = 0;
	uint64_t	limit;

	if (v == NULL || v->type != DJ_NUMBER || v->str == NULL)
		return false;
	s = v->str;
	if (*s == '-')
	{
		negative = true;
		s++;
	}
	if (*s == '\0')
		return false;
	limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; *s; s++)
	{
		unsigned	digit;

		if (*s < '0' || *s > '9')
			return false;
		digit = (unsigned) (*s - '0');
		if (magnitude > (limit - digit) / 10)
			return false;
		magnitude = magnitude * 10 + digit;
	}
	if (negative)
		*out = magnitude == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) magnitude;
	else
		*out = (int64_t) magnitude;
	return true;
}

/* ---------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------
 */

static bool
parse_fail(DjParser *p, const char *what)
{
	if (p->pos >= p->len)
		return de_error(p->err, DE_ERR_INVALID,
						"invalid JSON: %s at end of input", what);
	return de_error(p->err, DE_ERR_INVALID,
					"invalid JSON: %s at offset %zu", what, p->pos);
}

static void
skip_whitespace(DjParser *p)
{
	while (p->pos < p->len)
	{
		char		c = p->text[p->pos];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool
at_end(const DjParser *p)
{
	return p->pos >= p->len;
}

static char
peek(const DjParser *p)
{
	return at_end(p) ? '\0' : p->text[p->pos];
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
match_literal(DjParser *p, const char *word)
{
	size_t		n = strlen(word);

	if (p->len - p->pos < n || memcmp(p->text + p->pos, word, n) != 0)
		return false;
	p->pos += n;
	return true;
}

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads the four hex digits after "\u"; p->pos is at the first of them. */
static bool
parse_hex4(DjParser *p, unsigned *out)
{
	unsigned	value = 0;

	if (p->len - p->pos < 4)
		return parse_fail(p, "truncated \\u escape");
	for (int i = 0; i < 4; i++)
	{
		int			h = hex_value(p->text[p->pos + i]);

		if (h < 0)
			return parse_fail(p, "invalid \\u escape");
		value = value * 16 + (unsigned) h;
	}
	p->pos += 4;
	*out = value;
	return true;
}

static void
append_utf8(StrBuf *sb, unsigned cp)
{
	char		buf[4];
	size_t		n;

	if (cp < 0x80)
	{
		buf[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		buf[0] = (char) (0xC0 | (cp >> 6));
		buf[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		buf[0] = (char) (0xE0 | (cp >> 12));
		buf[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		buf[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		buf[0] = (char) (0xF0 | (cp >> 18));
		buf[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		buf[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		buf[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	sb_append_len(sb, buf, n);
}

/*
 * A \uXXXX escape, p->pos just after the 'u'.  A high surrogate must be
 * followed by an escaped low surrogate; the pair is one code point.  Lone
 * surrogates have no UTF-8 encoding, so they are errors (as in jsonb).
 */
static bool
parse_unicode_escape(DjParser *p, StrBuf *sb)
{
	unsigned	cp;

	if (!parse_hex4(p, &cp))
		return false;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return parse_fail(p, "unpaired low surrogate");
	if (cp >= 0xD800 && cp <= 0xDBFF)
	{
		unsigned	low;

		if (p->len - p->pos < 2 || p->text[p->pos] != '\\' ||
			p->text[p->pos + 1] != 'u')
			return parse_fail(p, "unpaired high surrogate");
		p->pos += 2;
		if (!parse_hex4(p, &low))
			return false;
		if (low < 0xDC00 || low > 0xDFFF)
			return parse_fail(p, "unpaired high surrogate");
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
	}
	if (cp == 0)
		return parse_fail(p, "\\u0000 is not allowed");
	append_utf8(sb, cp);
	return true;
}

/* The escape after a backslash; p->pos is at the character after it. */
static bool
parse_escape(DjParser *p, StrBuf *sb)
{
	char		c;

	if (at_end(p))
		return parse_fail(p, "unterminated string");
	c = p->text[p->pos++];
	switch (c)
	{
		case '"':
		case '\\':
		case '/':
			sb_append_char(sb, c);
			return true;
		case 'b':
			sb_append_char(sb, '\b');
			return true;
		case 'f':
			sb_append_char(sb, '\f');
			return true;
		case 'n':
			sb_append_char(sb, '\n');
			return true;
		case 'r':
			sb_append_char(sb, '\r');
			return true;
		case 't':
			sb_append_char(sb, '\t');
			return true;
		case 'u':
			return parse_unicode_escape(p, sb);
		default:
			p->pos--;
			return parse_fail(p, "invalid escape");
	}
}

/* A string literal, p->pos at the opening quote; the decoded text, or NULL. */
static char *
parse_string_text(DjParser *p)
{
	StrBuf		sb;

	p->pos++;
	sb_init(&sb);
	for (;;)
	{
		size_t		run = p->pos;
		unsigned char c;

		de_check_interrupts();

		/* copy plain bytes in runs rather than one by one */
		while (run < p->len && p->text[run] != '"' && p->text[run] != '\\' &&
			   (unsigned char) p->text[run] >= 0x20)
			run++;
		sb_append_len(&sb, p->text + p->pos, run - p->pos);
		p->pos = run;

		if (at_end(p))
		{
			parse_fail(p, "unterminated string");
			break;
		}
		c = (unsigned char) p->text[p->pos];
		if (c == '"')
		{
			p->pos++;
			return sb_steal(&sb);
		}
		if (c < 0x20)
		{
			parse_fail(p, "control character in string");
			break;
		}
		p->pos++;				/* the backslash */
		if (!parse_escape(p, &sb))
			break;
	}
	sb_free(&sb);
	return NULL;
}

static bool
skip_digits(DjParser *p)
{
	size_t		start = p->pos;

	while (!at_end(p) && is_digit(p->text[p->pos]))
		p->pos++;
	return p->pos > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, kept as written */
static DjValue *
parse_number(DjParser *p)
{
	size_t		start = p->pos;
	DjValue    *v;

	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (!skip_digits(p))
	{
		parse_fail(p, "invalid number");
		return NULL;
	}
	if (peek(p) == '.')
	{
		p->pos++;
		if (!skip_digits(p))
		{
			parse_fail(p, "invalid number");
			return NULL;
		}
	}
	if (peek(p) == 'e' || peek(p) == 'E')
	{
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (!skip_digits(p))
		{
			parse_fail(p, "invalid number");
			return NULL;
		}
	}
	v = dj_new(DJ_NUMBER);
	v->str = de_strndup(p->text + start, p->pos - start);
	return v;
}

static bool
enter_container(DjParser *p)
{
	if (p->depth >= DJ_MAX_DEPTH)
		return parse_fail(p, "nesting too deep");
	p->depth++;
	p->pos++;					/* the opening bracket */
	skip_whitespace(p);
	return true;
}

static DjValue *
parse_array(DjParser *p)
{
	DjValue    *arr;

	if (!enter_container(p))
		return NULL;
	arr = dj_new_array();
	if (peek(p) == ']')
	{
		p->pos++;
		p->depth--;
		return arr;
	}
	for (;;)
	{
		DjValue    *item;

		de_check_interrupts();
		item = parse_value(p);

		if (item == NULL)
			break;
		dj_append(arr, item);
		skip_whitespace(p);
		if (peek(p) == ',')
		{
			p->pos++;
			continue;
		}
		if (peek(p) == ']')
		{
			p->pos++;
			p->depth--;
			return arr;
		}
		parse_fail(p, "expected ',' or ']'");
		break;
	}
	dj_free(arr);
	return NULL;
}

/*
 * Duplicate keys: the last value wins, at the first key's position, which is
 * what both jsonb and Python's json module do.  Done once per object after
 * parsing, with a sort, so that a hostile object with many keys stays
 * O(n log n).
 */
typedef struct KeyRef
{
	const char *key;
	size_t		index;
} KeyRef;

static int
keyref_cmp(const void *a, const void *b)
{
	const KeyRef *ka = a;
	const KeyRef *kb = b;
	int			c = strcmp(ka->key, kb->key);

	if (c != 0)
		return c;
	return ka->index < kb->index ? -1 : ka->index > kb->index;
}

static void
collapse_duplicate_keys(DjValue *obj)
{
	KeyRef	   *refs;
	bool	   *dropped;
	bool		any = false;
	size_t		kept = 0;

	if (obj->count < 2)
		return;
	refs = de_alloc(obj->count * sizeof(KeyRef));
	dropped = de_alloc(obj->count * sizeof(bool));
	for (size_t i = 0; i < obj->count; i++)
	{
		refs[i].key = obj->keys[i];
		refs[i].index = i;
	}
	qsort(refs, obj->count, sizeof(KeyRef), keyref_cmp);

	for (size_t i = 1; i < obj->count; i++)
	{
		size_t		first = refs[i - 1].index;
		size_t		later = refs[i].index;

		if (strcmp(refs[i - 1].key, refs[i].key) != 0)
			continue;
		/* move the later value to the earlier slot, drop the later slot */
		dj_free(obj->items[first]);
		obj->items[first] = obj->items[later];
		obj->items[later] = NULL;
		refs[i].index = first;
		dropped[later] = true;
		any = true;
	}

	if (any)
	{
		for (size_t i = 0; i < obj->count; i++)
		{
			if (dropped[i])
			{
				de_free(obj->keys[i]);
				continue;
			}
			obj->keys[kept] = obj->keys[i];
			obj->items[kept] = obj->items[i];
			kept++;
		}
		obj->count = kept;
	}
	de_free(refs);
	de_free(dropped);
}

static DjValue *
parse_object(DjParser *p)
{
	DjValue    *obj;

	if (!enter_container(p))
		return NULL;
	obj = dj_new_object();
	if (peek(p) == '}')
	{
		p->pos++;
		p->depth--;
		return obj;
	}
	for (;;)
	{
		char	   *key;
		DjValue    *value;

		de_check_interrupts();

		if (peek(p) != '"')
		{
			parse_fail(p, "expected a string key");
			break;
		}
		key = parse_string_text(p);
		if (key == NULL)
			break;
		skip_whitespace(p);
		if (peek(p) != ':')
		{
			de_free(key);
			parse_fail(p, "expected ':'");
			break;
		}
		p->pos++;
		value = parse_value(p);
		if (value == NULL)
		{
			de_free(key);
			break;
		}
		object_push(obj, key, value);
		skip_whitespace(p);
		if (peek(p) == ',')
		{
			p->pos++;
			skip_whitespace(p);
			continue;
		}
		if (peek(p) == '}')
		{
			p->pos++;
			p->depth--;
			collapse_duplicate_keys(obj);
			return obj;
		}
		parse_fail(p, "expected ',' or '}'");
		break;
	}
	dj_free(obj);
	return NULL;
}

static DjValue *
parse_value(DjParser *p)
{
	DjValue    *v;
	char	   *s;

	skip_whitespace(p);
	switch (peek(p))
	{
		case '{':
			return parse_object(p);
		case '[':
			return parse_array(p);
		case '"':
			s = parse_string_text(p);
			if (s == NULL)
				return NULL;
			v = dj_new(DJ_STRING);
			v->str = s;
			return v;
		case 't':
			if (match_literal(p, "true"))
				return dj_new_bool(true);
			break;
		case 'f':
			if (match_literal(p, "false"))
				return dj_new_bool(false);
			break;
		case 'n':
			if (match_literal(p, "null"))
				return dj_new_null();
			break;
		case '-':
		case '0':
		case '1':
		case '2':
		case '3':
		case '4':
		case '5':
		case '6':
		case '7':
		case '8':
		case '9':
			return parse_number(p);
		default:
			break;
	}
	parse_fail(p, at_end(p) ? "expected a value" : "unexpected character");
	return NULL;
}

DjValue *
dj_parse(const char *text, size_t len, DeError *err)
{
	DjParser	p = {.text = text, .len = len, .err = err};
	DjValue    *v;

	if (text == NULL)
		p.len = 0;
	v = parse_value(&p);
	if (v == NULL)
		return NULL;
	skip_whitespace(&p);
	if (!at_end(&p))
	{
		parse_fail(&p, "unexpected text after the value");
		dj_free(v);
		return NULL;
	}
	return v;
}

/* ---------------------------------------------------------------------
 * Serialization
 * ---------------------------------------------------------------------
 */

void
dj_append_quoted(StrBuf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t		run = 0;

	sb_append_char(out, '"');
	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		const char *escape = NULL;
		char		ubuf[7];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		switch (c)
		{
			case '"':
				escape = "\\\"";
				break;
			case '\\':
				escape = "\\\\";
				break;
			case '\b':
				escape = "\\b";
				break;
			case '\f':
				escape = "\\f";
				break;
			case '\n':
				escape = "\\n";
				break;
			case '\r':
				escape = "\\r";
				break;
			case '\t':
				escape = "\\t";
				break;
			default:
				memcpy(ubuf, "\\u00", 4);
				ubuf[4] = hex[c >> 4];
				ubuf[5] = hex[c & 0xF];
				ubuf[6] = '\0';
				escape = ubuf;
				break;
		}
		sb_append_len(out, s + run, i - run);
		sb_append(out, escape);
		run = i + 1;
	}
	sb_append_len(out, s + run, len - run);
	sb_append_char(out, '"');
}

void
dj_serialize_to(StrBuf *out, const DjValue *v)
{
	if (v == NULL)
	{
		sb_append(out, "null");
		return;
	}
	switch (v->type)
	{
		case DJ_NULL:
			sb_append(out, "null");
			break;
		case DJ_BOOL:
			sb_append(out, v->boolean ? "true" : "false");
			break;
		case DJ_NUMBER:
			sb_append(out, v->str);
			break;
		case DJ_STRING:
			dj_append_quoted(out, v->str, strlen(v->str));
			break;
		case DJ_ARRAY:
			sb_append_char(out, '[');
			for (size_t i = 0; i < v->count; i++)
			{
				if (i > 0)
					sb_append_char(out, ',');
				dj_serialize_to(out, v->items[i]);
			}
			sb_append_char(out, ']');
			break;
		case DJ_OBJECT:
			sb_append_char(out, '{');
			for (size_t i = 0; i < v->count; i++)
			{
				if (i > 0)
					sb_append_char(out, ',');
				dj_append_quoted(out, v->keys[i], strlen(v->keys[i]));
				sb_append_char(out, ':');
				dj_serialize_to(out, v->items[i]);
			}
			sb_append_char(out, '}');
			break;
	}
}

char *
dj_serialize(const DjValue *v)
{
	StrBuf		sb;

	sb_init(&sb);
	dj_serialize_to(&sb, v);
	return sb_steal(&sb);
}
