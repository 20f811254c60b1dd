/*
 * parquet_sink.h
 *	  "format": "parquet": the export's tuples as a Parquet file, through the
 *	  server-independent writer (src/common/parquet.c).  sink.c owns the
 *	  large object, the hash and the limits, and hands each row here.
 */
#ifndef DATAEXPORT_PARQUET_SINK_H
#define DATAEXPORT_PARQUET_SINK_H

#include "access/tupdesc.h"
#include "executor/tuptable.h"

#include "encode.h"
#include "parquet.h"

typedef struct ParquetSink ParquetSink;

/*
 * Maps the result's columns onto Parquet columns named by headers (nheaders
 * == desc->natts) and writes the file's first bytes through write(arg).
 * compression picks the page codec: gzip pages for "gzip", zstd pages
 * otherwise.  Rows are converted in row_cxt, which parquet_sink_row resets;
 * the writer lives in a child of the current memory context.
 */
extern ParquetSink *parquet_sink_begin(TupleDesc desc, char **headers,
									   DeCompression compression,
									   MemoryContext row_cxt,
									   PqWriteFn write, void *arg);

/*
 * Adds the slot's row (all attributes deformed) unless its uncompressed
 * PLAIN size exceeds budget: then nothing is added and false is returned.
 * *row_bytes: that size.
 */
extern bool parquet_sink_row(ParquetSink *ps, TupleTableSlot *slot,
							 uint64 budget, uint64 *row_bytes);

/* Writes the last row group and the footer. */
extern void parquet_sink_end(ParquetSink *ps);

#endif
