/*
 * jsonb_dom.h
 *	  The server's side of dom.h: the DOM of the pure modules built straight
 *	  from a Jsonb value, with no text in between.
 */
#ifndef DATAEXPORT_JSONB_DOM_H
#define DATAEXPORT_JSONB_DOM_H

#include "utils/jsonb.h"

#include "dom.h"

/* The DOM of jb, allocated in the current memory context.  Objects come in
 * jsonb's key order (shorter keys first, then bytewise; no duplicates);
 * numbers carry numeric_out's text, as jsonb's own text output does. */
extern DjValue *de_dom_from_jsonb(Jsonb *jb);

/* The other way: v as jsonb (as jsonb_in would make of dj_serialize(v), with
 * no text in between); NULL is the JSON null. */
extern Jsonb *de_jsonb_from_dom(const DjValue *v);

/* The DOM of a jsonb column of SPI_tuptable (1-based col), built in the
 * current memory context, or NULL for SQL NULL.  Call it before SPI_finish;
 * nothing it returns points into the SPI tuple. */
extern DjValue *de_spi_dom(int row, int col);

#endif
