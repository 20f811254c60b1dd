/*
 * dom.c
 *	  The JSON document model of the pure modules: the constructors and
 *	  accessors of dom.h and a compact serializer.
 *
 * There is no parser here.  The server builds the DOM from Jsonb
 * (jsonb_dom.c); the unit tests and fuzzers build it from PostgreSQL's own
 * JSON parser (test/unit/dom_from_jsonapi.c), the same DOM either way.
 * Strings are NUL-terminated bytes (jsonb refuses \u0000).
 *
 * Arrays and objects carry no capacity field: their storage grows in powers
 * of two (at least DJ_MIN_CAPACITY), so the capacity follows from count.
 */
#include "dom.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DJ_MIN_CAPACITY 4

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
	return dj_new_string_len(s, strlen(s));
}

DjValue *
dj_new_string_len(const char *s, size_t len)
{
	DjValue    *v = dj_new(DJ_STRING);

	v->str = de_strndup(s, len);
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

void
dj_object_push(DjValue *obj, char *key, DjValue *value)
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
	dj_object_push(obj, de_strdup(key), value);
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
			dj_object_push(copy, de_strdup(v->keys[i]), dj_clone(v->items[i]));
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
