/*
 * parquet.h
 *	  A streaming Apache Parquet writer, server-independent: flat schemas of
 *	  nullable (OPTIONAL) columns, PLAIN-encoded values, definition levels in
 *	  the RLE/bit-packed hybrid, version 1 data pages compressed with zstd or
 *	  gzip (or not at all), and the Thrift compact protocol for the page
 *	  headers and the footer.
 *
 * The caller declares the columns, then pushes one value per column per row
 * (pq_put_*) and ends each row (pq_end_row).  Rows collect in the current
 * row group: values of the current page of each column uncompressed,
 * finished pages compressed.  When the row group holds row_group_bytes of
 * encoded data (its PLAIN values and levels before compression; the memory
 * it holds, finished pages compressed plus open pages, is at most about as
 * much), pq_end_row writes it out through the
 * write callback, column chunk after column chunk, and starts the next, so
 * memory is bounded by the row group size whatever the row count.
 * pq_finish writes the last row group and the footer.
 *
 * Like the other pure modules it allocates through de_alloc (zstd's and
 * zlib's working memory included) and reports errors in a DeError; it never
 * includes postgres.h.  The write callback may longjmp (the server's does on
 * an I/O error); the writer is then simply abandoned with its memory.
 */
#ifndef DATAEXPORT_PARQUET_H
#define DATAEXPORT_PARQUET_H

#include "pure.h"

/* Parquet's physical types (the Thrift enum values). */
typedef enum PqPhysical
{
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FIXED_LEN_BYTE_ARRAY = 7
} PqPhysical;

/* The logical types this writer annotates columns with. */
typedef enum PqLogical
{
	PQ_LOGICAL_NONE,
	PQ_LOGICAL_INT16,			/* INT32, INTEGER(16, signed) */
	PQ_LOGICAL_STRING,			/* BYTE_ARRAY, UTF-8 */
	PQ_LOGICAL_JSON,			/* BYTE_ARRAY, UTF-8 JSON text */
	PQ_LOGICAL_UUID,			/* FIXED_LEN_BYTE_ARRAY(16) */
	PQ_LOGICAL_DATE,			/* INT32, days since 1970-01-01 */
	PQ_LOGICAL_TIMESTAMP_UTC,	/* INT64, µs since 1970, isAdjustedToUTC */
	PQ_LOGICAL_TIMESTAMP_LOCAL, /* INT64, µs since 1970, not adjusted */
	PQ_LOGICAL_DECIMAL			/* INT32/INT64/FIXED_LEN_BYTE_ARRAY, unscaled
								 * two's complement (big-endian when fixed) */
} PqLogical;

/* Page compression (the Thrift CompressionCodec values). */
typedef enum PqCodec
{
	PQ_CODEC_UNCOMPRESSED = 0,
	PQ_CODEC_GZIP = 2,
	PQ_CODEC_ZSTD = 6
} PqCodec;

typedef struct PqColumnSpec
{
	const char *name;			/* UTF-8; copied */
	PqPhysical	physical;
	PqLogical	logical;
	int			type_length;	/* FIXED_LEN_BYTE_ARRAY only */
	int			precision;		/* DECIMAL only */
	int			scale;			/* DECIMAL only */
} PqColumnSpec;

/* Largest DECIMAL precision pq_decimal_column accepts (a 16-byte unscaled
 * value; DuckDB's and Arrow's limit too). */
#define PQ_DECIMAL_MAX_PRECISION 38

typedef struct PqOptions
{
	PqCodec		codec;
	int			level;			/* codec's level; 0: its default */
	size_t		row_group_bytes;	/* flush a row group at this much encoded
									 * data (before compression) */
	size_t		page_bytes;		/* close a data page at this raw size; 0:
								 * 1 MB */
	const char *created_by;		/* footer's created_by, may be NULL */
} PqOptions;

/* Receives the file's bytes in order.  May longjmp; must not return short. */
typedef void (*PqWriteFn) (void *arg, const void *data, size_t len);

typedef struct PqWriter PqWriter;

/*
 * The column of a DECIMAL(precision, scale): INT32 up to precision 9, INT64
 * up to 18, FIXED_LEN_BYTE_ARRAY of the fewest bytes beyond.  False when
 * precision is outside 1..PQ_DECIMAL_MAX_PRECISION or scale outside
 * 0..precision.
 */
extern bool pq_decimal_column(const char *name, int precision, int scale,
							  PqColumnSpec *out);

/*
 * Starts a file: validates the schema and writes the leading magic.  False
 * (err set, nothing written) on an invalid schema: no columns, a FIXED
 * column without a length, an unknown codec.
 */
extern PqWriter *pq_writer_create(const PqColumnSpec *cols, int ncols,
								  const PqOptions *opts, PqWriteFn write,
								  void *arg, DeError *err);

/* One value of the current row, for each column in order.  The type must
 * match the column's physical type (pq_put_bytes: BYTE_ARRAY, or
 * FIXED_LEN_BYTE_ARRAY with len == type_length). */
extern void pq_put_null(PqWriter *w, int col);
extern void pq_put_bool(PqWriter *w, int col, bool v);
extern void pq_put_int32(PqWriter *w, int col, int32_t v);
extern void pq_put_int64(PqWriter *w, int col, int64_t v);
extern void pq_put_float(PqWriter *w, int col, float v);
extern void pq_put_double(PqWriter *w, int col, double v);
extern void pq_put_bytes(PqWriter *w, int col, const void *data, size_t len);

/*
 * A DECIMAL value from its decimal text ([-]digits[.digits], e.g.
 * PostgreSQL's numeric output): rounded half away from zero to the column's
 * scale like numeric(p,s) input rounds.  False (err set, nothing put) for
 * text that is no finite decimal (NaN, Infinity) or does not fit the
 * precision.
 */
extern bool pq_put_decimal_text(PqWriter *w, int col, const char *text,
								DeError *err);

/* The PLAIN size of a value of the column (len: the bytes of a
 * BYTE_ARRAY value), for callers that count the file's raw size. */
extern size_t pq_plain_size(const PqColumnSpec *col, size_t len);

/* Ends the row (every column must have been given a value); writes the row
 * group out when it is full.  False (err set) if compression fails. */
extern bool pq_end_row(PqWriter *w, DeError *err);

/* Writes the last row group and the footer.  False (err set) if
 * compression fails. */
extern bool pq_finish(PqWriter *w, DeError *err);

/* Rows ended so far, row groups written so far, bytes written so far. */
extern int64_t pq_rows(const PqWriter *w);
extern int	pq_row_groups(const PqWriter *w);
extern uint64_t pq_bytes_written(const PqWriter *w);

/* Frees the writer and its codec state. */
extern void pq_writer_free(PqWriter *w);

#endif
