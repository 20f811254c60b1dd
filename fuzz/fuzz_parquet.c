/*
 * fuzz_parquet.c
 *	  libFuzzer harness of the Parquet writer (parquet.c): the input is a
 *	  program (a schema, a codec, row group and page sizes, then values and
 *	  NULLs row by row) that the writer turns into a file in memory; the file
 *	  is read back by test/unit/parquet_reader.h, which checks every length,
 *	  offset and count, and every value must be the one that was put.
 *
 * Input layout: ncols, codec, row group size (2 bytes), page size, one
 * type byte per column (DECIMAL takes two more: precision, scale), then per
 * value a tag byte (tag % 4 == 0: NULL) and the value's bytes (fixed size,
 * or a length byte and that many bytes for text and DECIMAL text).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parquet.h"
#include "parquet_reader.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_COLS 6

typedef struct Input
{
	const uint8_t *p;
	const uint8_t *end;
} Input;

static bool
take(Input *in, void *out, size_t n)
{
	if ((size_t) (in->end - in->p) < n)
		return false;
	memcpy(out, in->p, n);
	in->p += n;
	return true;
}

static int
byte(Input *in)
{
	uint8_t		b;

	return take(in, &b, 1) ? b : -1;
}

typedef struct Expected
{
	bool		isnull;
	uint8_t		bytes[256];		/* the raw value as put */
	size_t		len;
} Expected;

typedef struct Out
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
} Out;

static void
out_write(void *arg, const void *data, size_t len)
{
	Out		   *o = arg;

	if (o->len + len > o->cap)
	{
		o->cap = (o->len + len) * 2;
		o->data = realloc(o->data, o->cap);
		if (o->data == NULL)
			abort();
	}
	memcpy(o->data + o->len, data, len);
	o->len += len;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Input		in = {data, data + size};
	PqColumnSpec cols[MAX_COLS];
	static const PqCodec codecs[] = {PQ_CODEC_UNCOMPRESSED, PQ_CODEC_ZSTD, PQ_CODEC_GZIP};
	PqOptions	opts;
	int			ncols;
	int			b;
	uint16_t	rg;
	Expected   *expected = NULL;
	size_t		nexpected = 0;
	size_t		cap = 0;
	int64_t		rows = 0;
	PqWriter   *w;
	DeError		err;
	Out			out = {0};
	PrFile		f;

	if ((b = byte(&in)) < 0)
		return 0;
	ncols = 1 + b % MAX_COLS;
	memset(&opts, 0, sizeof(opts));
	if ((b = byte(&in)) < 0)
		return 0;
	opts.codec = codecs[b % 3];
	if (!take(&in, &rg, 2) || (b = byte(&in)) < 0)
		return 0;
	opts.row_group_bytes = 1 + rg % 4096;
	opts.page_bytes = 1 + (size_t) b * 4;
	memset(cols, 0, sizeof(cols));
	for (int c = 0; c < ncols; c++)
	{
		static const PqColumnSpec kinds[] = {
			{.name = "bool", .physical = PQ_BOOLEAN},
			{.name = "int32", .physical = PQ_INT32},
			{.name = "int64", .physical = PQ_INT64, .logical = PQ_LOGICAL_TIMESTAMP_UTC},
			{.name = "float", .physical = PQ_FLOAT},
			{.name = "double", .physical = PQ_DOUBLE},
			{.name = "text", .physical = PQ_BYTE_ARRAY, .logical = PQ_LOGICAL_STRING},
			{.name = "uuid", .physical = PQ_FIXED_LEN_BYTE_ARRAY, .logical = PQ_LOGICAL_UUID,
			.type_length = 16},
		};
		int			kind;

		if ((b = byte(&in)) < 0)
			return 0;
		kind = b % 8;
		if (kind == 7)
		{
			int			p = byte(&in);
			int			s = byte(&in);

			if (p < 0 || s < 0)
				return 0;
			p = 1 + p % PQ_DECIMAL_MAX_PRECISION;
			if (!pq_decimal_column("decimal", p, s % (p + 1), &cols[c]))
				abort();
		}
		else
			cols[c] = kinds[kind];
	}

	memset(&err, 0, sizeof(err));
	w = pq_writer_create(cols, ncols, &opts, out_write, &out, &err);
	if (w == NULL)
		abort();
	while (in.p < in.end)
	{
		for (int c = 0; c < ncols; c++)
		{
			Expected   *e;
			int			tag = byte(&in);

			if (nexpected == cap)
			{
				cap = cap ? cap * 2 : 64;
				expected = realloc(expected, cap * sizeof(Expected));
				if (expected == NULL)
					abort();
			}
			e = &expected[nexpected++];
			memset(e, 0, sizeof(*e));
			e->isnull = true;
			if (tag < 0 || tag % 4 == 0)
			{
				pq_put_null(w, c);
				continue;
			}
			switch (cols[c].physical)
			{
				case PQ_BOOLEAN:
					e->bytes[0] = (tag >> 2) & 1;
					e->len = 1;
					pq_put_bool(w, c, e->bytes[0]);
					e->isnull = false;
					break;
				case PQ_INT32:
					if (cols[c].logical == PQ_LOGICAL_DECIMAL)
						goto decimal;
					/* FALLTHROUGH */
				case PQ_FLOAT:
					{
						uint32_t	v;

						if (!take(&in, &v, 4))
							break;
						if (cols[c].physical == PQ_FLOAT)
						{
							float		fl;

							memcpy(&fl, &v, 4);
							pq_put_float(w, c, fl);
						}
						else
							pq_put_int32(w, c, (int32_t) v);
						memcpy(e->bytes, &v, 4);
						e->len = 4;
						e->isnull = false;
					}
					break;
				case PQ_INT64:
					if (cols[c].logical == PQ_LOGICAL_DECIMAL)
						goto decimal;
					/* FALLTHROUGH */
				case PQ_DOUBLE:
					{
						uint64_t	v;

						if (!take(&in, &v, 8))
							break;
						if (cols[c].physical == PQ_DOUBLE)
						{
							double		d;

							memcpy(&d, &v, 8);
							pq_put_double(w, c, d);
						}
						else
							pq_put_int64(w, c, (int64_t) v);
						memcpy(e->bytes, &v, 8);
						e->len = 8;
						e->isnull = false;
					}
					break;
				case PQ_BYTE_ARRAY:
					{
						int			n = byte(&in);

						if (n < 0 || !take(&in, e->bytes, (size_t) n))
							break;
						e->len = (size_t) n;
						pq_put_bytes(w, c, e->bytes, e->len);
						e->isnull = false;
					}
					break;
				case PQ_FIXED_LEN_BYTE_ARRAY:
					if (cols[c].logical == PQ_LOGICAL_DECIMAL)
						goto decimal;
					if (!take(&in, e->bytes, 16))
						break;
					e->len = 16;
					pq_put_bytes(w, c, e->bytes, 16);
					e->isnull = false;
					break;
			}
			if (e->isnull)
				pq_put_null(w, c);
			continue;
	decimal:
			{
				char		text[64];
				int			n = byte(&in);

				if (n < 0)
					n = 0;
				n %= 48;
				if (!take(&in, text, (size_t) n))
					n = 0;
				text[n] = '\0';
				/* accepted or refused; refused puts nothing */
				if (pq_put_decimal_text(w, c, text, &err))
				{
					e->isnull = false;
					e->len = SIZE_MAX;	/* value not checked, only bounds */
				}
				else
					pq_put_null(w, c);
			}
		}
		memset(&err, 0, sizeof(err));
		if (!pq_end_row(w, &err))
			abort();
		rows++;
	}
	if (!pq_finish(w, &err) || pq_rows(w) != rows || pq_bytes_written(w) != out.len)
		abort();
	pq_writer_free(w);

	if (!pr_read(&f, out.data, out.len))
		abort();
	if (f.num_rows != rows || f.ncols != ncols)
		abort();
	for (int c = 0; c < ncols; c++)
	{
		if (f.cols[c].ncells != (size_t) rows || f.cols[c].physical != (int) cols[c].physical)
			abort();
		for (int64_t r = 0; r < rows; r++)
		{
			const Expected *e = &expected[r * ncols + c];
			const PrCell *cell = &f.cols[c].cells[r];

			if (cell->isnull != e->isnull)
				abort();
			if (e->isnull || e->len == SIZE_MAX)
				continue;
			switch (cols[c].physical)
			{
				case PQ_BOOLEAN:
					if (cell->i != e->bytes[0])
						abort();
					break;
				case PQ_INT32:
				case PQ_FLOAT:
					{
						uint32_t	v;

						memcpy(&v, e->bytes, 4);
						if ((uint32_t) cell->i != v)
							abort();
					}
					break;
				case PQ_INT64:
				case PQ_DOUBLE:
					{
						uint64_t	v;

						memcpy(&v, e->bytes, 8);
						if ((uint64_t) cell->i != v)
							abort();
					}
					break;
				default:
					if (cell->len != e->len || memcmp(cell->bytes, e->bytes, e->len) != 0)
						abort();
			}
		}
	}
	pr_free(&f);
	free(expected);
	free(out.data);
	return 0;
}
