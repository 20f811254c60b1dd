/*
 * extversion.h
 *	  Which version of the extension's SQL objects this database has.
 *
 * One shared library serves every version of the SQL script: between a
 * package upgrade (new dataexport.so) and ALTER EXTENSION dataexport UPDATE,
 * the new library runs against the 0.1 schema.  Code that needs an object
 * added after 0.1 asks de_schema_minor() first, and a feature that needs the
 * newer schema calls de_require_schema(), which refuses it with a hint to run
 * the update instead of failing on a missing column.
 */
#ifndef DATAEXPORT_EXTVERSION_H
#define DATAEXPORT_EXTVERSION_H

/* The minor version of the installed SQL objects ("0.1" -> 1, "0.2" -> 2),
 * 0 when the extension is not installed in this database. */
extern int	de_schema_minor(void);

/* ERROR (55000) unless the installed SQL objects are at least 0.<minor>. */
extern void de_require_schema(int minor, const char *feature);

#endif
