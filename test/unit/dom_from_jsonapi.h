/*
 * dom_from_jsonapi.h
 *	  JSON text -> DjValue for the unit tests and fuzzers, through
 *	  PostgreSQL's own JSON parser (common/jsonapi.h, from libpgcommon.a).
 *
 * The DOM is the one the server builds from jsonb (src/jsonb_dom.c): object
 * keys in jsonb's order (shorter first, then bytewise) with the last of
 * duplicate keys winning, and numbers as numeric_out writes what numeric_in
 * read ({"limit": 1e2} gives 100, 1.50 stays 1.50).
 */
#ifndef DATAEXPORT_DOM_FROM_JSONAPI_H
#define DATAEXPORT_DOM_FROM_JSONAPI_H

#include "dom.h"

/* The DOM of the len bytes at text, or NULL with err (DE_ERR_INVALID; err
 * may be NULL) set to "invalid input syntax for type json: ..." naming what
 * pg_parse_json reported, or to numeric_in's "value overflows numeric
 * format". */
extern DjValue *dj_from_json(const char *text, size_t len, DeError *err);

#endif
