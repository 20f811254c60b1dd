/*
 * parquet_sink.c
 *	  "format": "parquet": maps the export's result columns onto Parquet
 *	  columns and feeds each row's Datums to the writer (src/common/parquet.c).
 *
 * The type mapping (README's "Parquet" section says the same):
 *	  smallint -> INT32 (INTEGER(16)), integer -> INT32, bigint -> INT64,
 *	  real -> FLOAT, double precision -> DOUBLE, boolean -> BOOLEAN,
 *	  date -> INT32 DATE (days since 1970), timestamp with time zone ->
 *	  INT64 TIMESTAMP(MICROS, adjusted to UTC), timestamp -> the same, not
 *	  adjusted, numeric(p,s) with 1 <= p <= 38 and 0 <= s <= p -> DECIMAL(p,s)
 *	  (INT32 / INT64 / FIXED_LEN_BYTE_ARRAY), json/jsonb -> BYTE_ARRAY JSON,
 *	  uuid -> FIXED_LEN_BYTE_ARRAY(16) UUID, everything else (text, varchar,
 *	  numeric without typmod, arrays, ...) -> BYTE_ARRAY STRING of its text
 *	  output.  Domains map as their base type.  Text is converted to UTF-8
 *	  when the database encoding is another.
 *
 *	  ±infinity dates and timestamps are written as the extreme values that
 *	  DuckDB reads as ±infinity (INT32/INT64 max and -max); a timestamp
 *	  beyond 294246 AD (past int64 microseconds since 1970) and NaN in a
 *	  DECIMAL column fail the export with a clear error, since Parquet has
 *	  no way to write them in that column.
 *
 * Memory: the writer and its row group live in this sink's own context; a
 * row's text conversions in the row context, reset after every row.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "runquery.h"
#include "settings.h"
#include "parquet_sink.h"

/* microseconds and days from 2000-01-01 (PostgreSQL's epoch) to 1970-01-01 */
#define EPOCH_SHIFT_DAYS ((int32) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define EPOCH_SHIFT_USECS ((int64) EPOCH_SHIFT_DAYS * USECS_PER_DAY)

typedef enum PqConv
{
	CV_BOOL,
	CV_INT2,
	CV_INT4,
	CV_INT8,
	CV_FLOAT4,
	CV_FLOAT8,
	CV_DATE,
	CV_TIMESTAMP,
	CV_UUID,
	CV_DECIMAL,					/* text output -> pq_put_decimal_text */
	CV_TEXT						/* text output as STRING or JSON */
} PqConv;

typedef struct StagedValue
{
	const char *text;			/* CV_TEXT, CV_DECIMAL */
	size_t		len;
} StagedValue;

struct ParquetSink
{
	MemoryContext cxt;
	MemoryContext row_cxt;
	PqWriter   *writer;
	int			natts;
	PqColumnSpec *specs;
	PqConv	   *conv;
	FmgrInfo   *out_funcs;
	StagedValue *staged;
	bool		convert_utf8;	/* database encoding is not UTF-8 */
};

static char *
to_utf8(const char *s, size_t len, size_t *outlen)
{
	char	   *u = pg_server_to_any(s, (int) len, PG_UTF8);

	*outlen = u == s ? len : strlen(u);
	return u;
}

/* The Parquet column of one result column. */
static void
map_column(Form_pg_attribute att, const char *name, PqColumnSpec *spec, PqConv *conv)
{
	int32		typmod = att->atttypmod;
	Oid			type = getBaseTypeAndTypmod(att->atttypid, &typmod);

	memset(spec, 0, sizeof(*spec));
	spec->name = name;
	spec->physical = PQ_BYTE_ARRAY;
	spec->logical = PQ_LOGICAL_STRING;
	*conv = CV_TEXT;
	switch (type)
	{
		case BOOLOID:
			spec->physical = PQ_BOOLEAN;
			spec->logical = PQ_LOGICAL_NONE;
			*conv = CV_BOOL;
			break;
		case INT2OID:
			spec->physical = PQ_INT32;
			spec->logical = PQ_LOGICAL_INT16;
			*conv = CV_INT2;
			break;
		case INT4OID:
			spec->physical = PQ_INT32;
			spec->logical = PQ_LOGICAL_NONE;
			*conv = CV_INT4;
			break;
		case INT8OID:
			spec->physical = PQ_INT64;
			spec->logical = PQ_LOGICAL_NONE;
			*conv = CV_INT8;
			break;
		case FLOAT4OID:
			spec->physical = PQ_FLOAT;
			spec->logical = PQ_LOGICAL_NONE;
			*conv = CV_FLOAT4;
			break;
		case FLOAT8OID:
			spec->physical = PQ_DOUBLE;
			spec->logical = PQ_LOGICAL_NONE;
			*conv = CV_FLOAT8;
			break;
		case DATEOID:
			spec->physical = PQ_INT32;
			spec->logical = PQ_LOGICAL_DATE;
			*conv = CV_DATE;
			break;
		case TIMESTAMPTZOID:
		case TIMESTAMPOID:
			spec->physical = PQ_INT64;
			spec->logical = type == TIMESTAMPTZOID ?
				PQ_LOGICAL_TIMESTAMP_UTC : PQ_LOGICAL_TIMESTAMP_LOCAL;
			*conv = CV_TIMESTAMP;
			break;
		case UUIDOID:
			spec->physical = PQ_FIXED_LEN_BYTE_ARRAY;
			spec->logical = PQ_LOGICAL_UUID;
			spec->type_length = UUID_LEN;
			*conv = CV_UUID;
			break;
		case JSONOID:
		case JSONBOID:
			spec->logical = PQ_LOGICAL_JSON;
			break;
		case NUMERICOID:
			if (typmod >= (int32) VARHDRSZ)
			{
				int32		tm = typmod - VARHDRSZ;
				int			precision = (tm >> 16) & 0xffff;
				/* PostgreSQL 15 stores the scale as 11 signed bits */
				int			scale = ((tm & 0x7ff) ^ 1024) - 1024;

				PqColumnSpec dec;

				/* it clears its output also when it says no: only a
				 * DECIMAL it accepts replaces the text column */
				if (pq_decimal_column(name, precision, scale, &dec))
				{
					*spec = dec;
					*conv = CV_DECIMAL;
				}
			}
			break;
		default:
			break;
	}
}

ParquetSink *
parquet_sink_begin(TupleDesc desc, char **headers, DeCompression compression,
				   MemoryContext row_cxt, PqWriteFn write, void *arg)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "dataexport parquet",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ParquetSink *ps = palloc0(sizeof(ParquetSink));
	PqOptions	opts;
	DeError		err = {0};

	ps->cxt = cxt;
	ps->row_cxt = row_cxt;
	ps->natts = desc->natts;
	ps->specs = palloc0(sizeof(PqColumnSpec) * Max(desc->natts, 1));
	ps->conv = palloc0(sizeof(PqConv) * Max(desc->natts, 1));
	ps->out_funcs = palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1));
	ps->staged = palloc0(sizeof(StagedValue) * Max(desc->natts, 1));
	ps->convert_utf8 = GetDatabaseEncoding() != PG_UTF8 &&
		GetDatabaseEncoding() != PG_SQL_ASCII;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		char	   *name = headers[i];
		Oid			outfunc;
		bool		varlena;

		if (ps->convert_utf8)
		{
			size_t		len;

			name = to_utf8(name, strlen(name), &len);
		}
		map_column(att, name, &ps->specs[i], &ps->conv[i]);
		getTypeOutputInfo(att->atttypid, &outfunc, &varlena);
		fmgr_info(outfunc, &ps->out_funcs[i]);
	}

	memset(&opts, 0, sizeof(opts));
	opts.codec = compression == DE_COMPRESSION_GZIP ? PQ_CODEC_GZIP : PQ_CODEC_ZSTD;
	opts.row_group_bytes = (size_t) de_parquet_row_group_size_kb * 1024;
	opts.created_by = "dataexport";
	ps->writer = pq_writer_create(ps->specs, ps->natts, &opts, write, arg, &err);
	if (ps->writer == NULL)
		de_raise(&err);
	MemoryContextSwitchTo(old);
	return ps;
}

static int64
timestamp_micros(Timestamp ts, const char *column)
{
	/* DuckDB's ±infinity */
	if (TIMESTAMP_IS_NOBEGIN(ts))
		return -PG_INT64_MAX;
	if (TIMESTAMP_IS_NOEND(ts))
		return PG_INT64_MAX;
	if (ts >= PG_INT64_MAX - EPOCH_SHIFT_USECS)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range for Parquet column \"%s\"", column),
				 errdetail("Parquet timestamps are 64-bit microseconds since 1970."),
				 errhint("Export the column as text (cast it to text) to keep such values.")));
	return ts + EPOCH_SHIFT_USECS;
}

static int32
date_days(DateADT d)
{
	if (DATE_IS_NOBEGIN(d))
		return -PG_INT32_MAX;
	if (DATE_IS_NOEND(d))
		return PG_INT32_MAX;
	/* no overflow: PostgreSQL's dates end in 5874897 AD */
	return d + EPOCH_SHIFT_DAYS;
}

bool
parquet_sink_row(ParquetSink *ps, TupleTableSlot *slot, uint64 budget,
				 uint64 *row_bytes)
{
	MemoryContext old = MemoryContextSwitchTo(ps->row_cxt);
	uint64		size = 0;
	DeError		err = {0};

	/* convert what needs the output function, and measure */
	for (int i = 0; i < ps->natts; i++)
	{
		StagedValue *sv = &ps->staged[i];
		size_t		len = 0;

		if (slot->tts_isnull[i])
			continue;
		if (ps->conv[i] == CV_TEXT || ps->conv[i] == CV_DECIMAL)
		{
			char	   *text = OutputFunctionCall(&ps->out_funcs[i], slot->tts_values[i]);

			len = strlen(text);
			if (ps->convert_utf8 && ps->conv[i] == CV_TEXT)
				text = to_utf8(text, len, &len);
			sv->text = text;
			sv->len = len;
		}
		size += pq_plain_size(&ps->specs[i], len);
	}
	*row_bytes = size;
	if (size > budget)
	{
		MemoryContextSwitchTo(old);
		MemoryContextReset(ps->row_cxt);
		return false;
	}

	/* the writer allocates in its own context */
	MemoryContextSwitchTo(ps->cxt);
	for (int i = 0; i < ps->natts; i++)
	{
		Datum		v = slot->tts_values[i];

		if (slot->tts_isnull[i])
		{
			pq_put_null(ps->writer, i);
			continue;
		}
		switch (ps->conv[i])
		{
			case CV_BOOL:
				pq_put_bool(ps->writer, i, DatumGetBool(v));
				break;
			case CV_INT2:
				pq_put_int32(ps->writer, i, DatumGetInt16(v));
				break;
			case CV_INT4:
				pq_put_int32(ps->writer, i, DatumGetInt32(v));
				break;
			case CV_INT8:
				pq_put_int64(ps->writer, i, DatumGetInt64(v));
				break;
			case CV_FLOAT4:
				pq_put_float(ps->writer, i, DatumGetFloat4(v));
				break;
			case CV_FLOAT8:
				pq_put_double(ps->writer, i, DatumGetFloat8(v));
				break;
			case CV_DATE:
				pq_put_int32(ps->writer, i, date_days(DatumGetDateADT(v)));
				break;
			case CV_TIMESTAMP:
				pq_put_int64(ps->writer, i,
							 timestamp_micros(DatumGetTimestamp(v), ps->specs[i].name));
				break;
			case CV_UUID:
				pq_put_bytes(ps->writer, i, DatumGetUUIDP(v)->data, UUID_LEN);
				break;
			case CV_DECIMAL:
				if (!pq_put_decimal_text(ps->writer, i, ps->staged[i].text, &err))
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("%s", err.message),
							 errhint("Export the column as numeric without a precision (written as text) to keep such values.")));
				break;
			case CV_TEXT:
				pq_put_bytes(ps->writer, i, ps->staged[i].text, ps->staged[i].len);
				break;
		}
	}
	if (!pq_end_row(ps->writer, &err))
		elog(ERROR, "could not write Parquet row group: %s", err.message);
	MemoryContextSwitchTo(old);
	MemoryContextReset(ps->row_cxt);
	return true;
}

void
parquet_sink_end(ParquetSink *ps)
{
	MemoryContext old = MemoryContextSwitchTo(ps->cxt);
	DeError		err = {0};

	if (!pq_finish(ps->writer, &err))
		elog(ERROR, "could not write Parquet file: %s", err.message);
	pq_writer_free(ps->writer);
	ps->writer = NULL;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(ps->cxt);
}
