/*
 * sink.h
 *	  The export's DestReceiver: tuples in, CSV/JSONL bytes (optionally
 *	  gzipped) or a Parquet file (parquet_sink.c), always SHA-1 hashed, out
 *	  into a new large object.
 */
#ifndef DATAEXPORT_SINK_H
#define DATAEXPORT_SINK_H

#include "tcop/dest.h"

#include "encode.h"
#include "de_shmem.h"

typedef struct ExportSink ExportSink;

typedef struct ExportSinkResult
{
	Oid			lo_oid;
	uint64		rows;
	uint64		bytes;			/* stored bytes (after compression) */
	bool		truncated;
	char	   *truncated_reason;	/* NULL unless truncated */
	char		checksum[41];	/* SHA-1 hex of the stored bytes */
} ExportSinkResult;

/*
 * Creates the large object (owned by the current user) and the receiver.
 * headers may be NULL, in which case the result's column names are used.
 * max_rows / max_bytes: 0 for no limit.  progress may be NULL.
 */
extern ExportSink *export_sink_create(DeFormat format, DeCompression compression,
									  char **headers, int nheaders,
									  int64 max_rows, int64 max_bytes,
									  DeSlot *progress);
extern DestReceiver *export_sink_receiver(ExportSink *sink);
/* double precision columns written as Python writes a float (Discover) */
extern void export_sink_python_floats(ExportSink *sink);
/* Flushes, closes the large object and reports. */
extern void export_sink_finish(ExportSink *sink, ExportSinkResult *result);

#endif
