/*
 * encode.h
 *	  The bytes of an export: CSV (RFC 4180, CRLF) and JSON Lines records,
 *	  and the export's file name.
 */
#ifndef DATAEXPORT_ENCODE_H
#define DATAEXPORT_ENCODE_H

#include "pure.h"
#include "dates.h"

typedef enum DeCellKind
{
	DE_CELL_NULL,
	DE_CELL_TEXT,				/* any text; JSONL: a JSON string */
	DE_CELL_NUMBER,				/* text is PostgreSQL's output of a numeric
								 * type; JSONL: a bare number, except NaN and
								 * [+-]Infinity which become JSON strings */
	DE_CELL_BOOL,				/* text is "true" or "false" */
	DE_CELL_JSON				/* text is valid JSON (json/jsonb output);
								 * JSONL: embedded as is */
} DeCellKind;

typedef struct DeCell
{
	DeCellKind	kind;
	const char *text;			/* not NUL-terminated necessarily */
	size_t		len;
} DeCell;

typedef enum DeFormat
{
	DE_FORMAT_CSV,
	DE_FORMAT_JSONL,
	DE_FORMAT_PARQUET			/* parquet_sink.c; compression picks the
								 * page codec, the file is never wrapped */
} DeFormat;

typedef enum DeCompression
{
	DE_COMPRESSION_NONE,
	DE_COMPRESSION_GZIP,
	DE_COMPRESSION_ZSTD
} DeCompression;

/* One CSV field: quoted with " iff it contains , " CR or LF, or is empty
 * (so that an empty string is not read back as NULL); inner " doubled. */
extern void csv_append_field(StrBuf *out, const char *text, size_t len);
/* A whole CSV record of cells (NULL -> empty field), ending with CRLF. */
extern void csv_append_record(StrBuf *out, const DeCell *cells, int ncells);
/* The header record: names as CSV fields, CRLF. */
extern void csv_append_header(StrBuf *out, char *const *names, int nnames);
/* One JSONL line: {"name":value,...}\n with keys from names, in order. */
extern void jsonl_append_record(StrBuf *out, char *const *names,
								const DeCell *cells, int ncells);
/* The same line from keys precomputed once per export: keys[i] is
 * jsonl_keys()'s "{\"name\":" (first) or ",\"name\":" (others). */
extern char **jsonl_keys(char *const *names, int nnames);
extern void jsonl_append_record_keyed(StrBuf *out, char *const *keys,
									  const DeCell *cells, int ncells);

/* Sentry's file name: "<type>_<YYYY>-<MonthName>-<DD>_<id>.csv", ".jsonl"
 * for JSONL, plus ".gz" when gzipped, ".zst" with zstd; ".parquet" for
 * Parquet whatever its page compression.  de_alloc'd. */
extern char *de_export_filename(const char *query_type, de_time created,
								int64_t id, DeFormat format,
								DeCompression compression);

#endif
