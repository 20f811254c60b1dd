/*
 * sink.c
 *	  The export's DestReceiver.  The executor pushes tuples; each becomes one
 *	  encoded record in a pending buffer, which is compressed if asked (gzip
 *	  or zstd), hashed and written to the large object in chunks of whole
 *	  large-object pages (LOBLKSIZE), so that no page is written twice.  Nothing is
 *	  materialized: memory stays flat whatever the row count.  Limits stop the
 *	  executor at a row boundary (receiveSlot returns false) and are reported.
 */
#include "postgres.h"

#include <zlib.h>
#include <zstd.h>

#include "access/toast_compression.h"
#include "access/xact.h"
#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "commands/tablespace.h"
#include "common/cryptohash.h"
#include "common/sha1.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "libpq/libpq-fs.h"
#include "storage/buffile.h"
#include "storage/large_object.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "dataexport.h"
#include "pyfloat.h"
#include "parquet_sink.h"
#include "sink.h"

#define SINK_CHUNK_SIZE (1024 * 1024)

/*
 * zstd's fastest regular level: on CSV it compresses about as well as the
 * default level 3 (smaller, on the benchmark's data) and leaves the export
 * bound by the query instead of by the compressor.
 */
#define DE_ZSTD_LEVEL 1

typedef enum ColumnEncoding
{
	COL_TEXT,
	COL_NUMBER,
	COL_BOOL,
	COL_JSON,
	COL_TIMESTAMP,
	COL_PYFLOAT					/* double precision, written as Python does */
} ColumnEncoding;

/*
 * How a column's value becomes text.  The fast paths write exactly the
 * bytes of the type's output function (int2out, int4out, int8out: pg_itoa,
 * pg_ltoa, pg_lltoa; textout, varcharout, bpcharout: the stored bytes)
 * without its palloc, copy and strlen; every other type calls its output
 * function, looked up once per export.
 */
typedef enum ColumnOutput
{
	OUT_FUNCTION,
	OUT_INT2,
	OUT_INT4,
	OUT_INT8,
	OUT_VARLENA_TEXT
} ColumnOutput;

/* room for any fast-path or timestamp cell ("-9223372036854775808") */
#define SINK_CELL_BUF 40

struct ExportSink
{
	DestReceiver pub;			/* must be first */
	MemoryContext cxt;
	MemoryContext row_cxt;
	DeFormat	format;
	DeCompression compression;
	char	  **headers;
	int			nheaders;
	char	  **jsonl_keys;		/* JSONL: the headers as keys, quoted once */
	int64		max_rows;
	int64		max_bytes;
	DeSlot	   *progress;
	bool		python_floats;	/* float8 as Python's repr (Discover) */

	int			natts;
	ColumnEncoding *encodings;
	ColumnOutput *outputs;
	FmgrInfo   *out_funcs;
	DeCell	   *cells;
	char		(*cellbufs)[SINK_CELL_BUF];

	Oid			lo_oid;
	LargeObjectDesc *lo;
	z_stream	zs;
	bool		zs_open;
	ZSTD_CCtx  *zstd;			/* freed by a reset callback of cxt */
	MemoryContextCallback zstd_free;
	pg_cryptohash_ctx *sha1;
	StrBuf		pending;
	unsigned char *zout;
	/* stored bytes not yet written: fewer than SINK_CHUNK_SIZE */
	unsigned char *lobuf;
	size_t		lobuf_len;
	/* whole chunks held back while the executor is in parallel mode */
	BufFile    *spill;

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
sink_zstd_free(void *arg)
{
	ExportSink *sink = (ExportSink *) arg;

	if (sink->zstd)
		ZSTD_freeCCtx(sink->zstd);
	sink->zstd = NULL;
}

/*
 * pg_largeobject's pages are TOAST-compressed inline (a full page is over the
 * toast threshold), with default_toast_compression: pglz took a third of a
 * CSV export's time.  lz4, where the server has it, does the same work an
 * order of magnitude faster; the stored bytes read back are the same.
 */
static void
write_lo_now(ExportSink *sink, const unsigned char *data, size_t len)
{
#ifdef USE_LZ4
	int			saved_compression = default_toast_compression;
#endif

	if (len == 0)
		return;
#ifdef USE_LZ4
	default_toast_compression = TOAST_LZ4_COMPRESSION;
	PG_TRY();
	{
#endif
		if (inv_write(sink->lo, (const char *) data, len) != (int) len)
			elog(ERROR, "short write to large object %u", sink->lo_oid);
#ifdef USE_LZ4
	}
	PG_FINALLY();
	{
		default_toast_compression = saved_compression;
	}
	PG_END_TRY();
#endif
}

/* The spilled chunks into the large object, in order; the file is closed. */
static void
drain_spill(ExportSink *sink)
{
	unsigned char *buf = palloc(SINK_CHUNK_SIZE);
	size_t		n;

	if (BufFileSeek(sink->spill, 0, 0, SEEK_SET) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not rewind the export's temporary file")));
	while ((n = BufFileRead(sink->spill, buf, SINK_CHUNK_SIZE)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		write_lo_now(sink, buf, n);
	}
	BufFileClose(sink->spill);
	sink->spill = NULL;
	pfree(buf);
}

/*
 * A large-object write is a heap insert plus CommandCounterIncrement, which
 * PostgreSQL refuses while the executor is in parallel mode: a query run
 * with a parallel plan (Gather) kept there until its end.  Stored bytes
 * written meanwhile go to a temporary file (memory stays flat), and into
 * the large object, in order, before the first write after the executor is
 * done (export_sink_finish).  A result that fits in the buffers, such as an
 * aggregate's, never touches the file.
 */
static void
write_lo(ExportSink *sink, const unsigned char *data, size_t len)
{
	if (IsInParallelMode())
	{
		if (len == 0)
			return;
		if (sink->spill == NULL)
		{
			MemoryContext old = MemoryContextSwitchTo(sink->cxt);

			sink->spill = BufFileCreateTemp(false);
			MemoryContextSwitchTo(old);
		}
		BufFileWrite(sink->spill, (void *) data, len);
		return;
	}
	if (sink->spill != NULL)
		drain_spill(sink);
	write_lo_now(sink, data, len);
}

/*
 * Hashes the bytes and writes them to the large object in whole chunks of
 * SINK_CHUNK_SIZE (a multiple of LOBLKSIZE): a write that ended inside a
 * page would make the next one rewrite that page (a heap update), so the
 * tail waits in lobuf until it fills a chunk or the file ends.
 */
static void
store_bytes(ExportSink *sink, const unsigned char *data, size_t len)
{
	if (len == 0)
		return;
	if (pg_cryptohash_update(sink->sha1, data, len) < 0)
		elog(ERROR, "could not update SHA-1 hash: %s",
			 pg_cryptohash_error(sink->sha1));
	sink->stored_bytes += len;
	if (sink->lobuf_len > 0)
	{
		size_t		n = Min(len, SINK_CHUNK_SIZE - sink->lobuf_len);

		memcpy(sink->lobuf + sink->lobuf_len, data, n);
		sink->lobuf_len += n;
		data += n;
		len -= n;
		if (sink->lobuf_len < SINK_CHUNK_SIZE)
			return;
		write_lo(sink, sink->lobuf, SINK_CHUNK_SIZE);
		sink->lobuf_len = 0;
	}
	if (len >= SINK_CHUNK_SIZE)
	{
		size_t		whole = len - len % SINK_CHUNK_SIZE;

		write_lo(sink, data, whole);
		data += whole;
		len -= whole;
	}
	memcpy(sink->lobuf, data, len);
	sink->lobuf_len = len;
}

/* The zstd stream: the pending bytes in, finishing ends the frame. */
static void
flush_zstd(ExportSink *sink, bool finishing)
{
	ZSTD_inBuffer in = {sink->pending.data, sink->pending.len, 0};

	for (;;)
	{
		ZSTD_outBuffer out = {sink->zout, SINK_CHUNK_SIZE, 0};
		size_t		rc;

		rc = ZSTD_compressStream2(sink->zstd, &out, &in,
								  finishing ? ZSTD_e_end : ZSTD_e_continue);
		if (ZSTD_isError(rc))
			elog(ERROR, "zstd compression failed: %s", ZSTD_getErrorName(rc));
		store_bytes(sink, sink->zout, out.pos);
		if (finishing ? rc == 0 : in.pos == in.size)
			break;
	}
	sb_reset(&sink->pending);
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
	if (sink->compression == DE_COMPRESSION_ZSTD)
	{
		flush_zstd(sink, finishing);
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
	sink->outputs = palloc0(sizeof(ColumnOutput) * Max(desc->natts, 1));
	sink->cellbufs = palloc(sizeof(*sink->cellbufs) * Max(desc->natts, 1));
	sink->out_funcs = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	sink->cells = palloc0(sizeof(DeCell) * Max(desc->natts, 1));
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		Oid			outfunc;
		bool		varlena;

		sink->encodings[i] = encoding_for_type(att->atttypid);
		if (sink->python_floats && getBaseType(att->atttypid) == FLOAT8OID)
			sink->encodings[i] = COL_PYFLOAT;
		getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
		fmgr_info(outfunc, &sink->out_funcs[i]);
		switch (outfunc)
		{
			case F_INT2OUT:
				sink->outputs[i] = OUT_INT2;
				break;
			case F_INT4OUT:
				sink->outputs[i] = OUT_INT4;
				break;
			case F_INT8OUT:
				sink->outputs[i] = OUT_INT8;
				break;
			case F_TEXTOUT:
			case F_VARCHAROUT:
			case F_BPCHAROUT:
				sink->outputs[i] = OUT_VARLENA_TEXT;
				break;
			default:
				sink->outputs[i] = OUT_FUNCTION;
				break;
		}
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
	else
		sink->jsonl_keys = jsonl_keys(sink->headers, sink->nheaders);
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

/* The column's text by its fast path or output function (in row_cxt). */
static void
output_cell(ExportSink *sink, int i, Datum value, DeCell *cell)
{
	char	   *buf = sink->cellbufs[i];

	switch (sink->outputs[i])
	{
		case OUT_INT2:
			cell->len = pg_itoa(DatumGetInt16(value), buf);
			cell->text = buf;
			return;
		case OUT_INT4:
			cell->len = pg_ltoa(DatumGetInt32(value), buf);
			cell->text = buf;
			return;
		case OUT_INT8:
			cell->len = pg_lltoa(DatumGetInt64(value), buf);
			cell->text = buf;
			return;
		case OUT_VARLENA_TEXT:
			{
				struct varlena *v = pg_detoast_datum_packed((struct varlena *) DatumGetPointer(value));

				cell->text = VARDATA_ANY(v);
				cell->len = VARSIZE_ANY_EXHDR(v);
				return;
			}
		case OUT_FUNCTION:
			break;
	}
	cell->text = OutputFunctionCall(&sink->out_funcs[i], value);
	cell->len = strlen(cell->text);
}

static void
fill_cells(ExportSink *sink, TupleTableSlot *slot)
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
				if (DatumGetBool(value))
				{
					cell->text = "true";
					cell->len = 4;
				}
				else
				{
					cell->text = "false";
					cell->len = 5;
				}
				break;
			case COL_TIMESTAMP:
				timestamp_cell(value, TupleDescAttr(slot->tts_tupleDescriptor, i)->atttypid,
							   sink->cellbufs[i]);
				cell->kind = DE_CELL_TEXT;
				cell->text = sink->cellbufs[i];
				cell->len = strlen(cell->text);
				break;
			case COL_NUMBER:
				cell->kind = DE_CELL_NUMBER;
				output_cell(sink, i, value, cell);
				break;
			case COL_PYFLOAT:
				StaticAssertStmt(DE_PYFLOAT_BUFSIZE <= SINK_CELL_BUF, "buffer too small");
				de_format_pyfloat(DatumGetFloat8(value), sink->cellbufs[i]);
				cell->kind = DE_CELL_NUMBER;
				cell->text = sink->cellbufs[i];
				cell->len = strlen(cell->text);
				break;
			case COL_JSON:
				cell->kind = DE_CELL_JSON;
				output_cell(sink, i, value, cell);
				break;
			case COL_TEXT:
				cell->kind = DE_CELL_TEXT;
				output_cell(sink, i, value, cell);
				break;
		}
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
	size_t		start;
	size_t		rowlen;

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
	fill_cells(sink, slot);
	/* the record goes straight into pending (which lives in sink->cxt) */
	MemoryContextSwitchTo(sink->cxt);
	start = sink->pending.len;
	if (sink->format == DE_FORMAT_CSV)
		csv_append_record(&sink->pending, sink->cells, sink->natts);
	else
		jsonl_append_record_keyed(&sink->pending, sink->jsonl_keys, sink->cells, sink->natts);
	MemoryContextSwitchTo(old);
	MemoryContextReset(sink->row_cxt);
	rowlen = sink->pending.len - start;

	if (sink->max_bytes > 0 &&
		sink->raw_bytes + rowlen > (uint64) sink->max_bytes)
	{
		/* the record that does not fit is taken back out */
		sink->pending.len = start;
		sink->pending.data[start] = '\0';
		return stop_truncated(sink,
							  psprintf("The export reached the file size limit of " INT64_FORMAT " bytes.",
									   sink->max_bytes));
	}

	sink->raw_bytes += rowlen;
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

/*
 * From now on, double precision columns are written as Python writes a
 * float (pyfloat.h), as Sentry's Discover exports have them; call before the
 * query starts.
 */
void
export_sink_python_floats(ExportSink *sink)
{
	sink->python_floats = true;
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
	sb_init(&sink->pending);
	sink->lobuf = palloc(SINK_CHUNK_SIZE);

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
	else if (compression == DE_COMPRESSION_ZSTD)
	{
		size_t		rc;

		sink->zout = palloc(SINK_CHUNK_SIZE);
		sink->zstd = ZSTD_createCCtx();
		if (sink->zstd == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory"),
					 errdetail("Could not create a zstd compression context.")));
		/* freed with the sink's context, on error too */
		sink->zstd_free.func = sink_zstd_free;
		sink->zstd_free.arg = sink;
		MemoryContextRegisterResetCallback(cxt, &sink->zstd_free);
		rc = ZSTD_CCtx_setParameter(sink->zstd, ZSTD_c_compressionLevel,
									DE_ZSTD_LEVEL);
		if (!ZSTD_isError(rc))
			rc = ZSTD_CCtx_setParameter(sink->zstd, ZSTD_c_checksumFlag, 1);
		if (ZSTD_isError(rc))
			elog(ERROR, "could not initialize zstd compression: %s",
				 ZSTD_getErrorName(rc));
	}

	/* created by, and so owned by, the current user: the requester */
	sink->lo_oid = inv_create(InvalidOid);
	sink->lo = inv_open(sink->lo_oid, INV_WRITE, cxt);
	/* temp_tablespaces for a spill file, looked up before any parallel mode */
	PrepareTempTablespaces();
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
	write_lo(sink, sink->lobuf, sink->lobuf_len);
	sink->lobuf_len = 0;
	if (sink->zs_open)
	{
		deflateEnd(&sink->zs);
		sink->zs_open = false;
	}
	sink_zstd_free(sink);
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
