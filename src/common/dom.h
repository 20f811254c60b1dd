/*
 * dom.h
 *	  A small JSON document model for the pure modules.
 *
 * The server builds it from Jsonb (jsonb_dom.h), the unit tests and fuzzers
 * from PostgreSQL's JSON parser (test/unit/dom_from_jsonapi.h); both give
 * objects in jsonb's key order with unique keys and numbers as numeric_out
 * writes them.  Objects built here keep insertion order (jsonb sorts them
 * again on the way back in).
 */
#ifndef DATAEXPORT_DOM_H
#define DATAEXPORT_DOM_H

#include "pure.h"

typedef enum DjType
{
	DJ_NULL,
	DJ_BOOL,
	DJ_NUMBER,
	DJ_STRING,
	DJ_ARRAY,
	DJ_OBJECT
} DjType;

typedef struct DjValue DjValue;

struct DjValue
{
	DjType		type;
	bool		boolean;		/* DJ_BOOL */
	char	   *str;			/* DJ_STRING: decoded UTF-8; DJ_NUMBER: the
								 * literal exactly as written */
	size_t		count;			/* DJ_ARRAY / DJ_OBJECT: number of items */
	DjValue   **items;			/* elements, or the values of an object */
	char	  **keys;			/* DJ_OBJECT: decoded keys, parallel to items */
};

/* Compact JSON text (no spaces), NUL-terminated, de_alloc'd.  Strings are
 * escaped per RFC 8259 (", \, control characters as \uXXXX or \n etc). */
extern char *dj_serialize(const DjValue *v);
extern void dj_serialize_to(StrBuf *out, const DjValue *v);
/* Appends s as a JSON string literal (with quotes). */
extern void dj_append_quoted(StrBuf *out, const char *s, size_t len);

extern void dj_free(DjValue *v);	/* recursive; accepts NULL */
extern DjValue *dj_clone(const DjValue *v);

extern DjValue *dj_new_null(void);
extern DjValue *dj_new_bool(bool b);
extern DjValue *dj_new_string(const char *s);
extern DjValue *dj_new_string_len(const char *s, size_t len);
extern DjValue *dj_new_number_text(const char *literal); /* e.g. "42" */
extern DjValue *dj_new_int(int64_t i);
extern DjValue *dj_new_array(void);
extern DjValue *dj_new_object(void);

/* Object access: NULL when absent or obj is not an object. */
extern DjValue *dj_get(const DjValue *obj, const char *key);
/* Replaces an existing key's value (freeing the old) or appends; takes
 * ownership of value. */
extern void dj_set(DjValue *obj, const char *key, DjValue *value);
/* Removes and frees; no-op when absent. */
extern void dj_remove(DjValue *obj, const char *key);
/* Appends without looking for an existing key (for builders whose keys are
 * known to be unique); takes ownership of key (de_alloc'd) and value. */
extern void dj_object_push(DjValue *obj, char *key, DjValue *value);
/* Takes ownership of value. */
extern void dj_append(DjValue *arr, DjValue *value);

/* True iff v is a DJ_NUMBER whose literal is an integer (no fraction, no
 * exponent) that fits int64; stores it in *out. */
extern bool dj_as_int64(const DjValue *v, int64_t *out);

#endif
