/*
 * parquet.c
 *	  A streaming Apache Parquet writer (see parquet.h for the model).
 *
 * File layout (parquet-format's):  "PAR1", then per row group one column
 * chunk per column (each a run of DATA_PAGE pages: a Thrift PageHeader and
 * the compressed page body), then the footer (Thrift FileMetaData), its
 * length as 4 little-endian bytes, and "PAR1".
 *
 * A version 1 data page body of a flat OPTIONAL column is the definition
 * levels (bit width 1: 1 = a value, 0 = NULL) as a 4-byte little-endian
 * length and the RLE/bit-packed hybrid, then the non-null values PLAIN
 * encoded: little-endian INT32/INT64/FLOAT/DOUBLE, BOOLEAN bit-packed LSB
 * first, BYTE_ARRAY as a 4-byte length and the bytes, FIXED_LEN_BYTE_ARRAY
 * as the bytes.  The whole body is compressed; the header is not.
 *
 * The Thrift compact protocol (thrift's TCompactProtocol): a field is a
 * byte (field id delta << 4 | type) or, when the delta is not 1..15, the
 * type byte and the id as a zigzag varint; integers are zigzag varints,
 * booleans live in the field's type nibble, binaries are a varint length
 * and bytes, lists a (size << 4 | element type) byte (0xF_ and a varint
 * size from 15 on), structs end with a 0 byte.
 */
#include "parquet.h"

#include <math.h>
#include <string.h>

#include <zlib.h>
/* for ZSTD_createCCtx_advanced (exported by libzstd.so since 1.3), so that
 * zstd's working memory comes from de_alloc like everything else */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#define PQ_MAGIC "PAR1"
#define PQ_DEFAULT_PAGE_BYTES (1024 * 1024)

/* Thrift compact types */
#define TC_TRUE 1
#define TC_FALSE 2
#define TC_BYTE 3
#define TC_I16 4
#define TC_I32 5
#define TC_I64 6
#define TC_BINARY 8
#define TC_LIST 9
#define TC_STRUCT 12

/* parquet-format enums */
#define ENC_PLAIN 0
#define ENC_RLE 3
#define PAGE_DATA 0
#define REP_OPTIONAL 1
#define CONV_UTF8 0
#define CONV_DECIMAL 5
#define CONV_DATE 6
#define CONV_TIMESTAMP_MICROS 10
#define CONV_INT_16 16
#define CONV_JSON 19

typedef struct PqColumn
{
	PqColumnSpec spec;
	/* the open page */
	StrBuf		values;			/* PLAIN values */
	uint8_t    *levels;			/* one definition level per row */
	size_t		nlevels;
	size_t		levels_cap;
	size_t		nbools;			/* BOOLEAN: bits used in values */
	/* the current row group's finished pages */
	StrBuf		chunk;
	int64_t		chunk_values;
	int64_t		chunk_uncompressed;
	/* the chunk's Statistics: NULLs, and min/max of INT32/INT64 columns
	 * (signed order: integers, DATE, TIMESTAMP, DECIMAL; the other types
	 * have none, as floats' NaN and strings' order have rules of their own) */
	int64_t		null_count;
	bool		has_minmax;
	int64_t		min;
	int64_t		max;
	bool		put;			/* a value was given for the current row */
} PqColumn;

struct PqWriter
{
	PqColumn   *cols;
	int			ncols;
	PqOptions	opts;
	char	   *created_by;
	PqWriteFn	write;
	void	   *arg;

	uint64_t	offset;			/* bytes written */
	int64_t		rows;			/* rows ended */
	int64_t		rg_rows;		/* rows in the open row group */
	size_t		rg_bytes;		/* its memory: finished pages + open pages */
	size_t		rg_encoded;		/* its values and levels, encoded, before
								 * compression: the row group's size */
	int			nrow_groups;
	StrBuf		row_groups;		/* the footer's RowGroup structs so far */

	StrBuf		body;			/* scratch: a page body */
	StrBuf		packed;			/* scratch: the compressed body */
	StrBuf		header;			/* scratch: a page header */

	ZSTD_CCtx  *zstd;
	z_stream	zs;
	bool		zs_open;
};

/* ---------------------------------------------------------------------
 * Byte helpers and the Thrift compact protocol
 * ---------------------------------------------------------------------
 */

static void
put_u8(StrBuf *sb, uint8_t b)
{
	sb_append_char(sb, (char) b);
}

static void
put_le32(StrBuf *sb, uint32_t v)
{
	char		b[4];

	b[0] = (char) (v & 0xff);
	b[1] = (char) ((v >> 8) & 0xff);
	b[2] = (char) ((v >> 16) & 0xff);
	b[3] = (char) ((v >> 24) & 0xff);
	sb_append_len(sb, b, 4);
}

static void
put_le64(StrBuf *sb, uint64_t v)
{
	put_le32(sb, (uint32_t) v);
	put_le32(sb, (uint32_t) (v >> 32));
}

static void
put_varint(StrBuf *sb, uint64_t v)
{
	while (v >= 0x80)
	{
		put_u8(sb, (uint8_t) (v | 0x80));
		v >>= 7;
	}
	put_u8(sb, (uint8_t) v);
}

static uint64_t
zigzag(int64_t v)
{
	return ((uint64_t) v << 1) ^ (uint64_t) (v >> 63);
}

#define TW_MAX_DEPTH 8

typedef struct ThriftWriter
{
	StrBuf	   *out;
	int16_t		last[TW_MAX_DEPTH];
	int			depth;
} ThriftWriter;

static void
tw_init(ThriftWriter *tw, StrBuf *out)
{
	tw->out = out;
	tw->depth = 0;
	tw->last[0] = 0;
}

static void
tw_field(ThriftWriter *tw, int type, int16_t id)
{
	int			delta = id - tw->last[tw->depth];

	if (delta > 0 && delta <= 15)
		put_u8(tw->out, (uint8_t) ((delta << 4) | type));
	else
	{
		put_u8(tw->out, (uint8_t) type);
		put_varint(tw->out, zigzag(id));
	}
	tw->last[tw->depth] = id;
}

static void
tw_i32(ThriftWriter *tw, int16_t id, int32_t v)
{
	tw_field(tw, TC_I32, id);
	put_varint(tw->out, zigzag(v));
}

static void
tw_i64(ThriftWriter *tw, int16_t id, int64_t v)
{
	tw_field(tw, TC_I64, id);
	put_varint(tw->out, zigzag(v));
}

static void
tw_i16(ThriftWriter *tw, int16_t id, int16_t v)
{
	tw_field(tw, TC_I16, id);
	put_varint(tw->out, zigzag(v));
}

static void
tw_byte(ThriftWriter *tw, int16_t id, int8_t v)
{
	tw_field(tw, TC_BYTE, id);
	put_u8(tw->out, (uint8_t) v);
}

static void
tw_bool(ThriftWriter *tw, int16_t id, bool v)
{
	tw_field(tw, v ? TC_TRUE : TC_FALSE, id);
}

static void
tw_binary(ThriftWriter *tw, int16_t id, const char *data, size_t len)
{
	tw_field(tw, TC_BINARY, id);
	put_varint(tw->out, len);
	sb_append_len(tw->out, data, len);
}

static void
tw_push(ThriftWriter *tw)
{
	tw->depth++;
	tw->last[tw->depth] = 0;
}

static void
tw_pop(ThriftWriter *tw)
{
	put_u8(tw->out, 0);			/* stop */
	tw->depth--;
}

/* A struct-valued field; close with tw_pop. */
static void
tw_struct(ThriftWriter *tw, int16_t id)
{
	tw_field(tw, TC_STRUCT, id);
	tw_push(tw);
}

/* A list-valued field's header; the elements follow without field headers
 * (structs: tw_push ... tw_pop each). */
static void
tw_list(ThriftWriter *tw, int16_t id, int elem_type, size_t n)
{
	tw_field(tw, TC_LIST, id);
	if (n < 15)
		put_u8(tw->out, (uint8_t) ((n << 4) | elem_type));
	else
	{
		put_u8(tw->out, (uint8_t) (0xf0 | elem_type));
		put_varint(tw->out, n);
	}
}

/* An empty struct as a field (the members of LogicalType and TimeUnit). */
static void
tw_empty_struct(ThriftWriter *tw, int16_t id)
{
	tw_struct(tw, id);
	tw_pop(tw);
}

/* ---------------------------------------------------------------------
 * Definition levels: the RLE/bit-packed hybrid, bit width 1
 * ---------------------------------------------------------------------
 */

static size_t
run_length(const uint8_t *v, size_t i, size_t n)
{
	size_t		j = i + 1;

	while (j < n && v[j] == v[i])
		j++;
	return j - i;
}

/*
 * Runs of 8 or more equal levels become RLE runs (varint count << 1, then
 * the value in one byte); everything between becomes bit-packed runs of
 * groups of 8 (varint groups << 1 | 1, then the bits LSB first), the last
 * group padded with zeros past the end, which readers ignore.
 */
static void
encode_levels(StrBuf *out, const uint8_t *v, size_t n)
{
	size_t		i = 0;

	while (i < n)
	{
		size_t		r = run_length(v, i, n);
		size_t		start;
		size_t		groups = 0;

		if (r >= 8)
		{
			put_varint(out, (uint64_t) r << 1);
			put_u8(out, v[i]);
			i += r;
			continue;
		}
		start = i;
		do
		{
			i += 8;
			groups++;
		} while (i < n && run_length(v, i, n) < 8);
		put_varint(out, ((uint64_t) groups << 1) | 1);
		for (size_t g = 0; g < groups; g++)
		{
			uint8_t		byte = 0;

			for (int b = 0; b < 8; b++)
			{
				size_t		k = start + g * 8 + b;

				if (k < n && v[k])
					byte |= (uint8_t) (1 << b);
			}
			put_u8(out, byte);
		}
		if (i > n)
			i = n;
	}
}

/* ---------------------------------------------------------------------
 * Compression
 * ---------------------------------------------------------------------
 */

static void *
zstd_alloc(void *opaque, size_t size)
{
	(void) opaque;
	return de_alloc(size);
}

static void
zstd_free(void *opaque, void *address)
{
	(void) opaque;
	de_free(address);
}

static voidpf
zlib_alloc(voidpf opaque, uInt items, uInt size)
{
	(void) opaque;
	return de_alloc((size_t) items * size);
}

static void
zlib_free(voidpf opaque, voidpf address)
{
	(void) opaque;
	de_free(address);
}

static void
sb_reserve(StrBuf *sb, size_t extra)
{
	if (sb->len + extra + 1 > sb->cap)
	{
		size_t		cap = sb->cap ? sb->cap : 64;

		while (cap < sb->len + extra + 1)
			cap *= 2;
		sb->data = de_realloc(sb->data, cap);
		sb->cap = cap;
	}
}

/* w->body compressed into w->packed. */
static bool
compress_body(PqWriter *w, DeError *err)
{
	const StrBuf *src = &w->body;
	StrBuf	   *dst = &w->packed;

	sb_reset(dst);
	switch (w->opts.codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			sb_append_len(dst, src->data, src->len);
			return true;
		case PQ_CODEC_ZSTD:
			{
				size_t		bound = ZSTD_compressBound(src->len);
				size_t		n;

				sb_reserve(dst, bound);
				n = ZSTD_compressCCtx(w->zstd, dst->data, bound, src->data, src->len,
									  w->opts.level ? w->opts.level : ZSTD_CLEVEL_DEFAULT);
				if (ZSTD_isError(n))
					return de_error(err, DE_ERR_INVALID, "zstd compression failed: %s",
									ZSTD_getErrorName(n));
				dst->len = n;
				dst->data[n] = '\0';
				return true;
			}
		case PQ_CODEC_GZIP:
			{
				uLong		bound;
				int			rc;

				/* reset first: a finished stream's bound leaves out the
				 * gzip header and trailer */
				if (deflateReset(&w->zs) != Z_OK)
					return de_error(err, DE_ERR_INVALID, "gzip compression failed");
				bound = deflateBound(&w->zs, (uLong) src->len);
				sb_reserve(dst, bound);
				w->zs.next_in = (Bytef *) src->data;
				w->zs.avail_in = (uInt) src->len;
				w->zs.next_out = (Bytef *) dst->data;
				w->zs.avail_out = (uInt) bound;
				rc = deflate(&w->zs, Z_FINISH);
				if (rc != Z_STREAM_END)
					return de_error(err, DE_ERR_INVALID, "gzip compression failed (%d)", rc);
				dst->len = bound - w->zs.avail_out;
				dst->data[dst->len] = '\0';
				return true;
			}
	}
	return de_error(err, DE_ERR_INVALID, "unknown Parquet codec %d", (int) w->opts.codec);
}

/* ---------------------------------------------------------------------
 * Schema
 * ---------------------------------------------------------------------
 */

bool
pq_decimal_column(const char *name, int precision, int scale, PqColumnSpec *out)
{
	memset(out, 0, sizeof(*out));
	if (precision < 1 || precision > PQ_DECIMAL_MAX_PRECISION ||
		scale < 0 || scale > precision)
		return false;
	out->name = name;
	out->logical = PQ_LOGICAL_DECIMAL;
	out->precision = precision;
	out->scale = scale;
	if (precision <= 9)
		out->physical = PQ_INT32;
	else if (precision <= 18)
		out->physical = PQ_INT64;
	else
	{
		/* the fewest bytes n with 10^precision - 1 < 2^(8n - 1) */
		out->physical = PQ_FIXED_LEN_BYTE_ARRAY;
		out->type_length = (int) ceil((precision * 3.321928094887362 + 1) / 8);
	}
	return true;
}

static bool
valid_column(const PqColumnSpec *c, DeError *err)
{
	switch (c->physical)
	{
		case PQ_BOOLEAN:
		case PQ_INT32:
		case PQ_INT64:
		case PQ_FLOAT:
		case PQ_DOUBLE:
		case PQ_BYTE_ARRAY:
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (c->type_length < 1)
				return de_error(err, DE_ERR_INVALID,
								"Parquet column \"%s\": FIXED_LEN_BYTE_ARRAY needs a length",
								c->name);
			break;
		default:
			return de_error(err, DE_ERR_INVALID, "Parquet column \"%s\": unknown type %d",
							c->name, (int) c->physical);
	}
	if (c->logical == PQ_LOGICAL_DECIMAL)
	{
		PqColumnSpec want;

		if (!pq_decimal_column(c->name, c->precision, c->scale, &want) ||
			want.physical != c->physical || want.type_length != c->type_length)
			return de_error(err, DE_ERR_INVALID,
							"Parquet column \"%s\": invalid DECIMAL(%d, %d)",
							c->name, c->precision, c->scale);
	}
	if (c->logical == PQ_LOGICAL_UUID &&
		(c->physical != PQ_FIXED_LEN_BYTE_ARRAY || c->type_length != 16))
		return de_error(err, DE_ERR_INVALID,
						"Parquet column \"%s\": UUID is FIXED_LEN_BYTE_ARRAY(16)", c->name);
	return true;
}

/* SchemaElement of one column (field ids of parquet.thrift). */
static void
write_schema_element(ThriftWriter *tw, const PqColumnSpec *c)
{
	tw_push(tw);
	tw_i32(tw, 1, c->physical);
	if (c->physical == PQ_FIXED_LEN_BYTE_ARRAY)
		tw_i32(tw, 2, c->type_length);
	tw_i32(tw, 3, REP_OPTIONAL);
	tw_binary(tw, 4, c->name, strlen(c->name));
	switch (c->logical)
	{
		case PQ_LOGICAL_INT16:
			tw_i32(tw, 6, CONV_INT_16);
			break;
		case PQ_LOGICAL_STRING:
			tw_i32(tw, 6, CONV_UTF8);
			break;
		case PQ_LOGICAL_JSON:
			tw_i32(tw, 6, CONV_JSON);
			break;
		case PQ_LOGICAL_DATE:
			tw_i32(tw, 6, CONV_DATE);
			break;
		case PQ_LOGICAL_TIMESTAMP_UTC:
			/* the converted type means adjusted to UTC: none for local */
			tw_i32(tw, 6, CONV_TIMESTAMP_MICROS);
			break;
		case PQ_LOGICAL_DECIMAL:
			tw_i32(tw, 6, CONV_DECIMAL);
			tw_i32(tw, 7, c->scale);
			tw_i32(tw, 8, c->precision);
			break;
		default:
			break;
	}
	if (c->logical != PQ_LOGICAL_NONE)
	{
		/* LogicalType, a union */
		tw_struct(tw, 10);
		switch (c->logical)
		{
			case PQ_LOGICAL_STRING:
				tw_empty_struct(tw, 1);
				break;
			case PQ_LOGICAL_DECIMAL:
				tw_struct(tw, 5);
				tw_i32(tw, 1, c->scale);
				tw_i32(tw, 2, c->precision);
				tw_pop(tw);
				break;
			case PQ_LOGICAL_DATE:
				tw_empty_struct(tw, 6);
				break;
			case PQ_LOGICAL_TIMESTAMP_UTC:
			case PQ_LOGICAL_TIMESTAMP_LOCAL:
				tw_struct(tw, 8);
				tw_bool(tw, 1, c->logical == PQ_LOGICAL_TIMESTAMP_UTC);
				tw_struct(tw, 2);	/* TimeUnit */
				tw_empty_struct(tw, 2); /* MICROS */
				tw_pop(tw);
				tw_pop(tw);
				break;
			case PQ_LOGICAL_INT16:
				tw_struct(tw, 10);
				tw_byte(tw, 1, 16);
				tw_bool(tw, 2, true);
				tw_pop(tw);
				break;
			case PQ_LOGICAL_JSON:
				tw_empty_struct(tw, 12);
				break;
			case PQ_LOGICAL_UUID:
				tw_empty_struct(tw, 14);
				break;
			case PQ_LOGICAL_NONE:
				break;
		}
		tw_pop(tw);
	}
	tw_pop(tw);
}

/* ---------------------------------------------------------------------
 * The writer
 * ---------------------------------------------------------------------
 */

static void
emit(PqWriter *w, const void *data, size_t len)
{
	if (len == 0)
		return;
	w->write(w->arg, data, len);
	w->offset += len;
}

PqWriter *
pq_writer_create(const PqColumnSpec *cols, int ncols, const PqOptions *opts,
				 PqWriteFn write, void *arg, DeError *err)
{
	PqWriter   *w;

	if (ncols < 1)
	{
		de_error(err, DE_ERR_UNSUPPORTED, "a Parquet file needs at least one column");
		return NULL;
	}
	for (int i = 0; i < ncols; i++)
		if (!valid_column(&cols[i], err))
			return NULL;
	if (opts->codec != PQ_CODEC_UNCOMPRESSED && opts->codec != PQ_CODEC_ZSTD &&
		opts->codec != PQ_CODEC_GZIP)
	{
		de_error(err, DE_ERR_INVALID, "unknown Parquet codec %d", (int) opts->codec);
		return NULL;
	}

	w = de_alloc(sizeof(PqWriter));
	w->ncols = ncols;
	w->cols = de_alloc(sizeof(PqColumn) * ncols);
	for (int i = 0; i < ncols; i++)
	{
		PqColumn   *c = &w->cols[i];

		c->spec = cols[i];
		c->spec.name = de_strdup(cols[i].name);
		sb_init(&c->values);
		sb_init(&c->chunk);
	}
	w->opts = *opts;
	if (w->opts.page_bytes == 0)
		w->opts.page_bytes = PQ_DEFAULT_PAGE_BYTES;
	w->created_by = opts->created_by ? de_strdup(opts->created_by) : NULL;
	w->write = write;
	w->arg = arg;
	sb_init(&w->row_groups);
	sb_init(&w->body);
	sb_init(&w->packed);
	sb_init(&w->header);

	if (opts->codec == PQ_CODEC_ZSTD)
	{
		ZSTD_customMem mem = {zstd_alloc, zstd_free, NULL};

		w->zstd = ZSTD_createCCtx_advanced(mem);
		if (w->zstd == NULL)
		{
			pq_writer_free(w);
			de_error(err, DE_ERR_INVALID, "could not initialize zstd compression");
			return NULL;
		}
	}
	else if (opts->codec == PQ_CODEC_GZIP)
	{
		w->zs.zalloc = zlib_alloc;
		w->zs.zfree = zlib_free;
		w->zs.opaque = NULL;
		/* windowBits 15 + 16: the gzip format (RFC 1952), Parquet's GZIP */
		if (deflateInit2(&w->zs, opts->level ? opts->level : Z_DEFAULT_COMPRESSION,
						 Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		{
			pq_writer_free(w);
			de_error(err, DE_ERR_INVALID, "could not initialize gzip compression");
			return NULL;
		}
		w->zs_open = true;
	}
	emit(w, PQ_MAGIC, 4);
	return w;
}

void
pq_writer_free(PqWriter *w)
{
	if (w == NULL)
		return;
	for (int i = 0; i < w->ncols; i++)
	{
		de_free((void *) w->cols[i].spec.name);
		sb_free(&w->cols[i].values);
		sb_free(&w->cols[i].chunk);
		de_free(w->cols[i].levels);
	}
	de_free(w->cols);
	de_free(w->created_by);
	sb_free(&w->row_groups);
	sb_free(&w->body);
	sb_free(&w->packed);
	sb_free(&w->header);
	if (w->zstd)
		ZSTD_freeCCtx(w->zstd);
	if (w->zs_open)
		deflateEnd(&w->zs);
	de_free(w);
}

size_t
pq_plain_size(const PqColumnSpec *col, size_t len)
{
	switch (col->physical)
	{
		case PQ_BOOLEAN:
			return 1;
		case PQ_INT32:
		case PQ_FLOAT:
			return 4;
		case PQ_INT64:
		case PQ_DOUBLE:
			return 8;
		case PQ_BYTE_ARRAY:
			return 4 + len;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return (size_t) col->type_length;
	}
	return len;
}

static void
add_level(PqWriter *w, PqColumn *c, uint8_t level)
{
	if (c->nlevels == c->levels_cap)
	{
		c->levels_cap = c->levels_cap ? c->levels_cap * 2 : 1024;
		c->levels = de_realloc(c->levels, c->levels_cap);
	}
	c->levels[c->nlevels++] = level;
	c->put = true;
	w->rg_bytes++;
	w->rg_encoded++;
}

void
pq_put_null(PqWriter *w, int col)
{
	w->cols[col].null_count++;
	add_level(w, &w->cols[col], 0);
}

static void
track_minmax(PqColumn *c, int64_t v)
{
	if (!c->has_minmax)
	{
		c->has_minmax = true;
		c->min = c->max = v;
	}
	else if (v < c->min)
		c->min = v;
	else if (v > c->max)
		c->max = v;
}

void
pq_put_bool(PqWriter *w, int col, bool v)
{
	PqColumn   *c = &w->cols[col];

	if (c->nbools % 8 == 0)
	{
		put_u8(&c->values, 0);
		w->rg_bytes++;
		w->rg_encoded++;
	}
	if (v)
		c->values.data[c->values.len - 1] |= (char) (1 << (c->nbools % 8));
	c->nbools++;
	add_level(w, c, 1);
}

void
pq_put_int32(PqWriter *w, int col, int32_t v)
{
	PqColumn   *c = &w->cols[col];

	put_le32(&c->values, (uint32_t) v);
	w->rg_bytes += 4;
	w->rg_encoded += 4;
	track_minmax(c, v);
	add_level(w, c, 1);
}

void
pq_put_int64(PqWriter *w, int col, int64_t v)
{
	PqColumn   *c = &w->cols[col];

	put_le64(&c->values, (uint64_t) v);
	w->rg_bytes += 8;
	w->rg_encoded += 8;
	track_minmax(c, v);
	add_level(w, c, 1);
}

void
pq_put_float(PqWriter *w, int col, float v)
{
	uint32_t	bits;

	memcpy(&bits, &v, 4);
	put_le32(&w->cols[col].values, bits);
	w->rg_bytes += 4;
	w->rg_encoded += 4;
	add_level(w, &w->cols[col], 1);
}

void
pq_put_double(PqWriter *w, int col, double v)
{
	uint64_t	bits;

	memcpy(&bits, &v, 8);
	put_le64(&w->cols[col].values, bits);
	w->rg_bytes += 8;
	w->rg_encoded += 8;
	add_level(w, &w->cols[col], 1);
}

void
pq_put_bytes(PqWriter *w, int col, const void *data, size_t len)
{
	PqColumn   *c = &w->cols[col];

	if (c->spec.physical == PQ_BYTE_ARRAY)
	{
		put_le32(&c->values, (uint32_t) len);
		w->rg_bytes += 4;
		w->rg_encoded += 4;
	}
	sb_append_len(&c->values, data, len);
	w->rg_bytes += len;
	w->rg_encoded += len;
	add_level(w, c, 1);
}

/* ---- DECIMAL ---- */

/* DECIMAL(38) needs 128-bit arithmetic (gcc and clang have it on every
 * 64-bit target) */
#ifndef __SIZEOF_INT128__
#error "parquet.c needs __int128"
#endif
typedef __int128 pq_wide;
typedef unsigned __int128 pq_uwide;

bool
pq_put_decimal_text(PqWriter *w, int col, const char *text, DeError *err)
{
	PqColumn   *c = &w->cols[col];
	const char *p = text;
	bool		neg = false;
	int			digits = 0;		/* significant integer + kept fraction */
	int			frac = 0;		/* fraction digits kept */
	bool		seen = false;
	bool		round_up = false;
	pq_uwide	mag = 0;
	pq_wide		v;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	for (; *p >= '0' && *p <= '9'; p++)
	{
		seen = true;
		if (mag == 0 && *p == '0')
			continue;
		if (++digits > c->spec.precision - c->spec.scale)
			goto overflow;
		mag = mag * 10 + (unsigned) (*p - '0');
	}
	if (*p == '.')
	{
		for (p++; *p >= '0' && *p <= '9'; p++)
		{
			seen = true;
			if (frac < c->spec.scale)
			{
				mag = mag * 10 + (unsigned) (*p - '0');
				frac++;
			}
			else if (frac == c->spec.scale)
			{
				round_up = *p >= '5';
				frac++;			/* later digits do not matter */
			}
		}
	}
	if (!seen || *p != '\0')
		return de_error(err, DE_ERR_INVALID,
						"\"%s\" is not a finite decimal number for Parquet DECIMAL(%d, %d) column \"%s\"",
						text, c->spec.precision, c->spec.scale, c->spec.name);
	for (; frac < c->spec.scale; frac++)
		mag *= 10;
	if (round_up)
		mag++;
	{
		pq_uwide	limit = 1;

		for (int i = 0; i < c->spec.precision; i++)
			limit *= 10;
		if (mag >= limit)
			goto overflow;
	}
	v = neg ? -(pq_wide) mag : (pq_wide) mag;
	switch (c->spec.physical)
	{
		case PQ_INT32:
			pq_put_int32(w, col, (int32_t) v);
			break;
		case PQ_INT64:
			pq_put_int64(w, col, (int64_t) v);
			break;
		default:
			{
				unsigned char be[32];
				int			n = c->spec.type_length;

				/* big-endian two's complement, sign-extended to n bytes */
				for (int i = n - 1; i >= 0; i--)
				{
					be[i] = (unsigned char) (v & 0xff);
					v >>= 8;	/* arithmetic: keeps the sign */
				}
				pq_put_bytes(w, col, be, (size_t) n);
			}
			break;
	}
	return true;

overflow:
	return de_error(err, DE_ERR_INVALID,
					"%s does not fit Parquet DECIMAL(%d, %d) column \"%s\"",
					text, c->spec.precision, c->spec.scale, c->spec.name);
}

/* ---- pages, row groups, footer ---- */

/* Closes the column's open page into its chunk. */
static bool
flush_page(PqWriter *w, PqColumn *c, DeError *err)
{
	size_t		lev_start;
	size_t		raw;
	ThriftWriter tw;

	if (c->nlevels == 0)
		return true;
	sb_reset(&w->body);
	put_le32(&w->body, 0);		/* the levels' length, filled below */
	lev_start = w->body.len;
	encode_levels(&w->body, c->levels, c->nlevels);
	{
		uint32_t	n = (uint32_t) (w->body.len - lev_start);

		w->body.data[0] = (char) (n & 0xff);
		w->body.data[1] = (char) ((n >> 8) & 0xff);
		w->body.data[2] = (char) ((n >> 16) & 0xff);
		w->body.data[3] = (char) ((n >> 24) & 0xff);
	}
	sb_append_len(&w->body, c->values.data, c->values.len);
	if (!compress_body(w, err))
		return false;

	/* PageHeader */
	sb_reset(&w->header);
	tw_init(&tw, &w->header);
	tw_i32(&tw, 1, PAGE_DATA);
	tw_i32(&tw, 2, (int32_t) w->body.len);
	tw_i32(&tw, 3, (int32_t) w->packed.len);
	tw_struct(&tw, 5);			/* DataPageHeader */
	tw_i32(&tw, 1, (int32_t) c->nlevels);
	tw_i32(&tw, 2, ENC_PLAIN);
	tw_i32(&tw, 3, ENC_RLE);
	tw_i32(&tw, 4, ENC_RLE);
	tw_pop(&tw);
	put_u8(&w->header, 0);		/* end of PageHeader */

	raw = c->values.len + c->nlevels;
	sb_append_len(&c->chunk, w->header.data, w->header.len);
	sb_append_len(&c->chunk, w->packed.data, w->packed.len);
	c->chunk_values += (int64_t) c->nlevels;
	c->chunk_uncompressed += (int64_t) (w->header.len + w->body.len);
	w->rg_bytes = w->rg_bytes - raw + w->header.len + w->packed.len;

	sb_reset(&c->values);
	c->nlevels = 0;
	c->nbools = 0;
	return true;
}

/* Writes the open row group out and adds its RowGroup to the footer's. */
static bool
flush_row_group(PqWriter *w, DeError *err)
{
	ThriftWriter tw;
	uint64_t	rg_offset = w->offset;
	int64_t		total_uncompressed = 0;
	int64_t		total_compressed = 0;

	if (w->rg_rows == 0)
		return true;
	tw_init(&tw, &w->row_groups);
	tw_push(&tw);				/* RowGroup, a list element */
	tw_list(&tw, 1, TC_STRUCT, (size_t) w->ncols);
	for (int i = 0; i < w->ncols; i++)
	{
		PqColumn   *c = &w->cols[i];
		uint64_t	chunk_offset;

		if (!flush_page(w, c, err))
			return false;
		de_check_interrupts();
		chunk_offset = w->offset;
		emit(w, c->chunk.data, c->chunk.len);

		tw_push(&tw);			/* ColumnChunk */
		tw_i64(&tw, 2, (int64_t) chunk_offset);
		tw_struct(&tw, 3);		/* ColumnMetaData */
		tw_i32(&tw, 1, c->spec.physical);
		tw_list(&tw, 2, TC_I32, 2);
		put_varint(tw.out, zigzag(ENC_PLAIN));
		put_varint(tw.out, zigzag(ENC_RLE));
		tw_list(&tw, 3, TC_BINARY, 1);
		put_varint(tw.out, strlen(c->spec.name));
		sb_append(tw.out, c->spec.name);
		tw_i32(&tw, 4, w->opts.codec);
		tw_i64(&tw, 5, c->chunk_values);
		tw_i64(&tw, 6, c->chunk_uncompressed);
		tw_i64(&tw, 7, (int64_t) c->chunk.len);
		tw_i64(&tw, 9, (int64_t) chunk_offset);
		tw_struct(&tw, 12);		/* Statistics */
		tw_i64(&tw, 3, c->null_count);
		if (c->has_minmax)
		{
			char		v[8];
			size_t		n = c->spec.physical == PQ_INT32 ? 4 : 8;

			/* max_value and min_value, PLAIN encoded */
			for (size_t k = 0; k < n; k++)
				v[k] = (char) (((uint64_t) c->max >> (8 * k)) & 0xff);
			tw_binary(&tw, 5, v, n);
			for (size_t k = 0; k < n; k++)
				v[k] = (char) (((uint64_t) c->min >> (8 * k)) & 0xff);
			tw_binary(&tw, 6, v, n);
		}
		tw_pop(&tw);
		tw_pop(&tw);
		tw_pop(&tw);

		total_uncompressed += c->chunk_uncompressed;
		total_compressed += (int64_t) c->chunk.len;
		sb_reset(&c->chunk);
		c->chunk_values = 0;
		c->chunk_uncompressed = 0;
		c->null_count = 0;
		c->has_minmax = false;
	}
	tw_i64(&tw, 2, total_uncompressed);
	tw_i64(&tw, 3, w->rg_rows);
	tw_i64(&tw, 5, (int64_t) rg_offset);
	tw_i64(&tw, 6, total_compressed);
	tw_i16(&tw, 7, (int16_t) w->nrow_groups);
	tw_pop(&tw);

	w->nrow_groups++;
	w->rg_rows = 0;
	w->rg_bytes = 0;
	w->rg_encoded = 0;
	return true;
}

bool
pq_end_row(PqWriter *w, DeError *err)
{
	for (int i = 0; i < w->ncols; i++)
	{
		PqColumn   *c = &w->cols[i];

		if (!c->put)
			pq_put_null(w, i);	/* a caller's slip: keep the columns aligned */
		c->put = false;
		if (c->values.len + c->nlevels >= w->opts.page_bytes &&
			!flush_page(w, c, err))
			return false;
	}
	w->rows++;
	w->rg_rows++;
	/* the memory it holds (compressed pages plus open ones) is at most about
	 * as much, whatever the codec */
	if (w->rg_encoded >= w->opts.row_group_bytes)
		return flush_row_group(w, err);
	return true;
}

bool
pq_finish(PqWriter *w, DeError *err)
{
	StrBuf		footer;
	ThriftWriter tw;

	if (!flush_row_group(w, err))
		return false;

	sb_init(&footer);
	tw_init(&tw, &footer);
	tw_i32(&tw, 1, 1);			/* version */
	tw_list(&tw, 2, TC_STRUCT, (size_t) w->ncols + 1);
	/* the root: a group of the columns */
	tw_push(&tw);
	tw_binary(&tw, 4, "schema", 6);
	tw_i32(&tw, 5, w->ncols);
	tw_pop(&tw);
	for (int i = 0; i < w->ncols; i++)
		write_schema_element(&tw, &w->cols[i].spec);
	tw_i64(&tw, 3, w->rows);
	tw_list(&tw, 4, TC_STRUCT, (size_t) w->nrow_groups);
	sb_append_len(&footer, w->row_groups.data, w->row_groups.len);
	if (w->created_by)
		tw_binary(&tw, 6, w->created_by, strlen(w->created_by));
	put_u8(&footer, 0);			/* end of FileMetaData */

	emit(w, footer.data, footer.len);
	{
		StrBuf		tail;

		sb_init(&tail);
		put_le32(&tail, (uint32_t) footer.len);
		sb_append_len(&tail, PQ_MAGIC, 4);
		emit(w, tail.data, tail.len);
		sb_free(&tail);
	}
	sb_free(&footer);
	return true;
}

int64_t
pq_rows(const PqWriter *w)
{
	return w->rows;
}

int
pq_row_groups(const PqWriter *w)
{
	return w->nrow_groups;
}

uint64_t
pq_bytes_written(const PqWriter *w)
{
	return w->offset;
}
