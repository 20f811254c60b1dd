/*
 * sink.c
 *	  The export's DestReceiver.  The executor pushes tuples; each becomes one
 *	  encoded record in a pending buffer, which is compressed if asked, hashed
 *	  and written to the large object in large chunks.  Nothing is
 *	  materialized: memory stays flat whatever the row count.  Limits stop the
 *	  executor at a row boundary (receiveSlot returns false) and are reported.
 */
#include "postgres.h"

#include <zlib.h>

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha1.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "libpq/libpq-fs.h"
#include "storage/large_object.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dataexport.h"
#include "parquet_sink.h"
#include "sink.h"

#define SINK_CHUNK_SIZE (1024 * 1024)

typedef enum ColumnEncoding
{
	COL_TEXT,
	COL_NUMBER,
	COL_BOOL,
	COL_JSON,
	COL_TIMESTAMP
} ColumnEncoding;

struct ExportSink
{
	DestReceiver pub;			/* must be first */
	MemoryContext cxt;
	MemoryContext row_cxt;
	DeFormat	format;
	DeCompression compression;
	char	  **headers;
	int			nheaders;
	int64		max_rows;
	int64		max_bytes;
	DeSlot	   *progress;

	int			natts;
	ColumnEncoding *encodings;
	FmgrInfo   *out_funcs;
	DeCell	   *cells;

	Oid			lo_oid;
	LargeObjectDesc *lo;
	z_stream	zs;
	bool		zs_open;
	pg_cryptohash_ctx *sha1;
	StrBuf		row;
	StrBuf		pending;
	unsigned char *zout;

	uint64		rows;
	uint64		raw_bytes;
	uint64		stored_bytes;
	bool		truncated;
	char	   *truncated_reason;

	/* "format": "parquet": parquet_sink.c encodes, this file stores */
	DeCompression parquet_codec;
	ParquetSink *parquet;
};

static void *
sink_zalloc(void *opaque, unsigned int items, unsigned int size)
{
	return MemoryContextAlloc((MemoryContext) opaque, (Size) items * size);
}

static void
sink_zfree(void *opaque, void *address)
{
	pfree(address);
}

static void
store_bytes(ExportSink *sink, const unsigned char *data, size_t len)
{
	if (len == 0)
		return;
	if (pg_cryptohash_update(sink->sha1, data, len) < 0)
		elog(ERROR, "could not update SHA-1 hash: %s",
			 pg_cryptohash_error(sink->sha1));
	if (inv_write(sink->lo, (const char *) data, len) != (int) len)
		elog(ERROR, "short write to large object %u", sink->lo_oid);
	sink->stored_bytes += len;
}

/* Moves the pending bytes out; finishing also ends the gzip stream. */
static void
flush_pending(ExportSink *sink, bool finishing)
{
	if (sink->compression == DE_COMPRESSION_NONE)
	{
		store_bytes(sink, (unsigned char *) sink->pending.data, sink->pending.len);
		sb_reset(&sink->pending);
		return;
	}

	sink->zs.next_in = (unsigned char *) sink->pending.data;
	sink->zs.avail_in = (unsigned int) sink->pending.len;
	for (;;)
	{
		int			rc;

		sink->zs.next_out = sink->zout;
		sink->zs.avail_out = SINK_CHUNK_SIZE;
		rc = deflate(&sink->zs, finishing ? Z_FINISH : Z_NO_FLUSH);
		if (rc == Z_STREAM_ERROR)
			elog(ERROR, "gzip compression failed");
		store_bytes(sink, sink->zout, SINK_CHUNK_SIZE - sink->zs.avail_out);
		if (finishing ? rc == Z_STREAM_END : sink->zs.avail_out != 0)
			break;
	}
	sb_reset(&sink->pending);
}

static void
store_parquet_bytes(void *arg, const void *data, size_t len)
{
	store_bytes((ExportSink *) arg, data, len);
}

static ColumnEncoding
encoding_for_type(Oid type)
{
	type = getBaseType(type);
	switch (type)
	{
		case BOOLOID:
			return COL_BOOL;
		case JSONOID:
		case JSONBOID:
			return COL_JSON;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return COL_TIMESTAMP;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return COL_NUMBER;
		default:
			return COL_TEXT;
	}
}

static void
sink_startup(DestReceiver *self, int operation, TupleDesc desc)
{
	ExportSink *sink = (ExportSink *) self;
	MemoryContext old = MemoryContextSwitchTo(sink->cxt);

	sink->natts = desc->natts;
	sink->encodings = palloc0(sizeof(ColumnEncoding) * Max(desc->natts, 1));
	sink->out_funcs = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	sink->cells = palloc0(sizeof(DeCell) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			outfunc;
		bool		varlena;

		sink->encodings[i] = encoding_for_type(att->atttypid);
		getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
		fmgr_info(outfunc, &sink->out_funcs[i]);
	}
	if (sink->headers == NULL || sink->nheaders != desc->natts)
	{
		sink->nheaders = desc->natts;
		sink->headers = palloc(sizeof(char *) * Max(desc->natts, 1));
		for (int i = 0; i < desc->natts; i++)
			sink->headers[i] = pstrdup(NameStr(TupleDescAttr(desc, i)->attname));
	}
	if (sink->format == DE_FORMAT_PARQUET)
		sink->parquet = parquet_sink_begin(desc, sink->headers, sink->parquet_codec,
										   sink->row_cxt, store_parquet_bytes, sink);
	if (sink->format == DE_FORMAT_CSV)
	{
		csv_append_header(&sink->pending, sink->headers, sink->nheaders);
		sink->raw_bytes += sink->pending.len;
	}
	MemoryContextSwitchTo(old);
}

static void
timestamp_cell(Datum value, Oid type, char *buf)
{
	TimestampTz ts = DatumGetTimestampTz(value);

	/* timestamp without time zone is taken as UTC, like the rest of the file */
	(void) type;
	if (TIMESTAMP_IS_NOBEGIN(ts))
		strcpy(buf, "-infinity");
	else if (TIMESTAMP_IS_NOEND(ts))
		strcpy(buf, "infinity");
	else
		de_format_iso_us(de_time_from_timestamptz(ts), buf);
}

static void
fill_cells(ExportSink *sink, TupleTableSlot *slot, char (*tsbufs)[40])
{
	for (int i = 0; i < sink->natts; i++)
	{
		DeCell	   *cell = &sink->cells[i];
		Datum		value = slot->tts_values[i];

		if (slot->tts_isnull[i])
		{
			cell->kind = DE_CELL_NULL;
			cell->text = "";
			cell->len = 0;
			continue;
		}
		switch (sink->encodings[i])
		{
			case COL_BOOL:
				cell->kind = DE_CELL_BOOL;
				cell->text = DatumGetBool(value) ? "true" : "false";
				break;
			case COL_TIMESTAMP:
				timestamp_cell(value, TupleDescAttr(slot->tts_tupleDescriptor, i)->atttypid,
							   tsbufs[i]);
				cell->kind = DE_CELL_TEXT;
				cell->text = tsbufs[i];
				break;
			case COL_NUMBER:
				cell->kind = DE_CELL_NUMBER;
				cell->text = OutputFunctionCall(&sink->out_funcs[i], value);
				break;
			case COL_JSON:
				cell->kind = DE_CELL_JSON;
				cell->text = OutputFunctionCall(&sink->out_funcs[i], value);
				break;
			case COL_TEXT:
				cell->kind = DE_CELL_TEXT;
				cell->text = OutputFunctionCall(&sink->out_funcs[i], value);
				break;
		}
		cell->len = strlen(cell->text);
	}
}

static bool
stop_truncated(ExportSink *sink, const char *reason)
{
	sink->truncated = true;
	sink->truncated_reason = MemoryContextStrdup(sink->cxt, reason);
	return false;
}

static bool
sink_receive(TupleTableSlot *slot, DestReceiver *self)
{
	ExportSink *sink = (ExportSink *) self;
	MemoryContext old;
	char		(*tsbufs)[40];

	if (sink->max_rows > 0 && sink->rows >= (uint64) sink->max_rows)
		return stop_truncated(sink,
							  psprintf("The export reached the row limit of " INT64_FORMAT " rows.",
									   sink->max_rows));

	slot_getallattrs(slot);
	if (sink->parquet)
	{
		uint64		len;

		if (!parquet_sink_row(sink->parquet, slot,
							  sink->max_bytes > 0 ?
							  (uint64) sink->max_bytes - Min(sink->raw_bytes, (uint64) sink->max_bytes) :
							  PG_UINT64_MAX, &len))
			return stop_truncated(sink,
								  psprintf("The export reached the file size limit of " INT64_FORMAT " bytes.",
										   sink->max_bytes));
		sink->raw_bytes += len;
		sink->rows++;
		if (sink->progress)
		{
			pg_atomic_write_u64(&sink->progress->rows, sink->rows);
			pg_atomic_write_u64(&sink->progress->bytes, sink->raw_bytes);
		}
		return true;
	}
	old = MemoryContextSwitchTo(sink->row_cxt);
	tsbufs = palloc(sizeof(*tsbufs) * Max(sink->natts, 1));
	fill_cells(sink, slot, tsbufs);
	MemoryContextSwitchTo(sink->cxt);
	sb_reset(&sink->row);
	if (sink->format == DE_FORMAT_CSV)
		csv_append_record(&sink->row, sink->cells, sink->natts);
	else
		jsonl_append_record(&sink->row, sink->headers, sink->cells, sink->natts);
	MemoryContextSwitchTo(old);
	MemoryContextReset(sink->row_cxt);

	if (sink->max_bytes > 0 &&
		sink->raw_bytes + sink->row.len > (uint64) sink->max_bytes)
		return stop_truncated(sink,
							  psprintf("The export reached the file size limit of " INT64_FORMAT " bytes.",
									   sink->max_bytes));

	sb_append_len(&sink->pending, sink->row.data, sink->row.len);
	sink->raw_bytes += sink->row.len;
	sink->rows++;
	if (sink->progress)
	{
		/* encoded bytes so far: the stored ones lag by up to a chunk */
		pg_atomic_write_u64(&sink->progress->rows, sink->rows);
		pg_atomic_write_u64(&sink->progress->bytes, sink->raw_bytes);
	}
	if (sink->pending.len >= SINK_CHUNK_SIZE)
		flush_pending(sink, false);
	return true;
}

static void
sink_shutdown(DestReceiver *self)
{
}

static void
sink_destroy(DestReceiver *self)
{
}

ExportSink *
export_sink_create(DeFormat format, DeCompression compression,
				   char **headers, int nheaders,
				   int64 max_rows, int64 max_bytes, DeSlot *progress)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dataexport sink",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ExportSink *sink = palloc0(sizeof(ExportSink));

	/* Parquet compresses its pages; the file itself is not wrapped */
	if (format == DE_FORMAT_PARQUET)
	{
		sink->parquet_codec = compression;
		compression = DE_COMPRESSION_NONE;
	}

	sink->pub.receiveSlot = sink_receive;
	sink->pub.rStartup = sink_startup;
	sink->pub.rShutdown = sink_shutdown;
	sink->pub.rDestroy = sink_destroy;
	sink->pub.mydest = DestNone;
	sink->cxt = cxt;
	sink->row_cxt = AllocSetContextCreate(cxt, "dataexport sink row",
										  ALLOCSET_DEFAULT_SIZES);
	sink->format = format;
	sink->compression = compression;
	sink->headers = headers;
	sink->nheaders = nheaders;
	sink->max_rows = max_rows;
	sink->max_bytes = max_bytes;
	sink->progress = progress;
	sb_init(&sink->row);
	sb_init(&sink->pending);

	sink->sha1 = pg_cryptohash_create(PG_SHA1);
	if (sink->sha1 == NULL || pg_cryptohash_init(sink->sha1) < 0)
		elog(ERROR, "could not initialize SHA-1 hash");

	if (compression == DE_COMPRESSION_GZIP)
	{
		sink->zout = palloc(SINK_CHUNK_SIZE);
		sink->zs.zalloc = sink_zalloc;
		sink->zs.zfree = sink_zfree;
		sink->zs.opaque = cxt;
		/* windowBits 15 + 16: a gzip wrapper rather than zlib's */
		if (deflateInit2(&sink->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16,
						 8, Z_DEFAULT_STRATEGY) != Z_OK)
			elog(ERROR, "could not initialize gzip compression");
		sink->zs_open = true;
	}

	/* created by, and so owned by, the current user: the requester */
	sink->lo_oid = inv_create(InvalidOid);
	sink->lo = inv_open(sink->lo_oid, INV_WRITE, cxt);
	MemoryContextSwitchTo(old);
	return sink;
}

DestReceiver *
export_sink_receiver(ExportSink *sink)
{
	return &sink->pub;
}

void
export_sink_finish(ExportSink *sink, ExportSinkResult *result)
{
	uint8		digest[SHA1_DIGEST_LENGTH];

	if (sink->parquet)
	{
		parquet_sink_end(sink->parquet);
		sink->parquet = NULL;
	}
	flush_pending(sink, true);
	if (sink->zs_open)
	{
		deflateEnd(&sink->zs);
		sink->zs_open = false;
	}
	inv_close(sink->lo);
	sink->lo = NULL;
	/* we use inv_api directly, so be-fsstubs' end-of-transaction hook will
	 * not close pg_largeobject for us */
	close_lo_relation(true);
	if (pg_cryptohash_final(sink->sha1, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not finish SHA-1 hash");
	pg_cryptohash_free(sink->sha1);
	sink->sha1 = NULL;

	result->lo_oid = sink->lo_oid;
	result->rows = sink->rows;
	result->bytes = sink->stored_bytes;
	result->truncated = sink->truncated;
	result->truncated_reason = sink->truncated_reason;
	hex_encode((const char *) digest, sizeof(digest), result->checksum);
	result->checksum[40] = '\0';
}
