/*
 * parquet_reader.h
 *	  A minimal Parquet reader for the unit tests and the fuzzer of
 *	  src/common/parquet.c: a generic Thrift compact protocol decoder, and a
 *	  walk over the file's footer, row groups, column chunks and data pages
 *	  (version 1, PLAIN values, RLE/bit-packed definition levels,
 *	  uncompressed, zstd or gzip) into one array of cells per column.
 *
 * It is written from parquet-format's description, independently of the
 * writer's code, and checks what it reads as it goes: every length, offset
 * and count the footer and page headers claim must match the bytes.  A
 * failure is reported as a message (pr_read returns false), not an abort,
 * so a test can assert on it.  Everything is malloc'd; pr_free frees it.
 */
#ifndef DATAEXPORT_PARQUET_READER_H
#define DATAEXPORT_PARQUET_READER_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>

/* ---- Thrift compact protocol, generically ---- */

enum
{
	PRT_TRUE = 1, PRT_FALSE = 2, PRT_BYTE = 3, PRT_I16 = 4, PRT_I32 = 5,
	PRT_I64 = 6, PRT_DOUBLE = 7, PRT_BINARY = 8, PRT_LIST = 9, PRT_SET = 10,
	PRT_MAP = 11, PRT_STRUCT = 12
};

typedef struct PrNode PrNode;
struct PrNode
{
	int			type;
	int64_t		i;				/* integers; booleans as 1/0 */
	const uint8_t *bin;			/* binary (points into the input) */
	size_t		len;
	int			n;				/* struct fields / list items */
	int16_t    *ids;			/* struct field ids */
	PrNode	  **kids;
	PrNode	   *next_alloc;		/* every node, for freeing */
};

typedef struct PrCursor
{
	const uint8_t *p;
	const uint8_t *end;
	bool		bad;
	PrNode	   *allocs;
	int			depth;
} PrCursor;

static inline PrNode *
pr_node(PrCursor *c, int type)
{
	PrNode	   *n = calloc(1, sizeof(PrNode));

	if (n == NULL)
		abort();
	n->type = type;
	n->next_alloc = c->allocs;
	c->allocs = n;
	return n;
}

static inline void
pr_add_kid(PrNode *parent, int16_t id, PrNode *kid)
{
	parent->ids = realloc(parent->ids, sizeof(int16_t) * (parent->n + 1));
	parent->kids = realloc(parent->kids, sizeof(PrNode *) * (parent->n + 1));
	if (parent->ids == NULL || parent->kids == NULL)
		abort();
	parent->ids[parent->n] = id;
	parent->kids[parent->n] = kid;
	parent->n++;
}

static inline void
pr_free_nodes(PrNode *n)
{
	while (n)
	{
		PrNode	   *next = n->next_alloc;

		free(n->ids);
		free(n->kids);
		free(n);
		n = next;
	}
}

static inline uint64_t
pr_varint(PrCursor *c)
{
	uint64_t	v = 0;

	for (int shift = 0; shift < 64; shift += 7)
	{
		uint8_t		b;

		if (c->p >= c->end)
		{
			c->bad = true;
			return 0;
		}
		b = *c->p++;
		v |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	c->bad = true;
	return 0;
}

static inline int64_t
pr_zigzag(PrCursor *c)
{
	uint64_t	v = pr_varint(c);

	return (int64_t) (v >> 1) ^ -(int64_t) (v & 1);
}

static PrNode *pr_value(PrCursor *c, int type);

static inline PrNode *
pr_struct(PrCursor *c)
{
	PrNode	   *st = pr_node(c, PRT_STRUCT);
	int16_t		last = 0;

	if (++c->depth > 32)
	{
		c->bad = true;
		return st;
	}
	while (!c->bad)
	{
		uint8_t		b;
		int			type;
		int16_t		id;

		if (c->p >= c->end)
		{
			c->bad = true;
			break;
		}
		b = *c->p++;
		if (b == 0)
			break;
		type = b & 0x0f;
		if (b >> 4)
			id = (int16_t) (last + (b >> 4));
		else
			id = (int16_t) pr_zigzag(c);
		last = id;
		if (type == PRT_TRUE || type == PRT_FALSE)
		{
			PrNode	   *v = pr_node(c, type);

			v->i = type == PRT_TRUE;
			pr_add_kid(st, id, v);
		}
		else
			pr_add_kid(st, id, pr_value(c, type));
	}
	c->depth--;
	return st;
}

static PrNode *
pr_value(PrCursor *c, int type)
{
	PrNode	   *v = pr_node(c, type);

	switch (type)
	{
		case PRT_BYTE:
			if (c->p >= c->end)
				c->bad = true;
			else
				v->i = (int8_t) *c->p++;
			break;
		case PRT_I16:
		case PRT_I32:
		case PRT_I64:
			v->i = pr_zigzag(c);
			break;
		case PRT_DOUBLE:
			if (c->end - c->p < 8)
				c->bad = true;
			else
				c->p += 8;
			break;
		case PRT_BINARY:
			v->len = pr_varint(c);
			if (c->bad || v->len > (size_t) (c->end - c->p))
				c->bad = true;
			else
			{
				v->bin = c->p;
				c->p += v->len;
			}
			break;
		case PRT_LIST:
		case PRT_SET:
			{
				uint8_t		h;
				uint64_t	size;
				int			et;

				if (c->p >= c->end)
				{
					c->bad = true;
					break;
				}
				h = *c->p++;
				et = h & 0x0f;
				size = h >> 4;
				if (size == 15)
					size = pr_varint(c);
				if (size > (uint64_t) (c->end - c->p))
				{
					c->bad = true;
					break;
				}
				for (uint64_t k = 0; k < size && !c->bad; k++)
				{
					if (et == PRT_TRUE || et == PRT_FALSE)
					{
						PrNode	   *b = pr_node(c, et);

						if (c->p >= c->end)
							c->bad = true;
						else
							b->i = *c->p++ == 1;
						pr_add_kid(v, 0, b);
					}
					else
						pr_add_kid(v, 0, pr_value(c, et));
				}
			}
			break;
		case PRT_STRUCT:
			{
				PrNode	   *st = pr_struct(c);

				v->n = st->n;
				v->ids = st->ids;
				v->kids = st->kids;
				st->ids = NULL;
				st->kids = NULL;
				st->n = 0;
			}
			break;
		default:
			c->bad = true;		/* maps are not used by parquet.thrift's
								 * structures we read */
			break;
	}
	return v;
}

/* The field of a struct node, or NULL. */
static inline PrNode *
pr_field(const PrNode *st, int16_t id)
{
	if (st == NULL)
		return NULL;
	for (int i = 0; i < st->n; i++)
		if (st->ids[i] == id)
			return st->kids[i];
	return NULL;
}

static inline int64_t
pr_int(const PrNode *st, int16_t id, int64_t dflt)
{
	PrNode	   *f = pr_field(st, id);

	return f ? f->i : dflt;
}

/* ---- the file ---- */

typedef struct PrCell
{
	bool		isnull;
	int64_t		i;				/* BOOLEAN, INT32, INT64 */
	double		d;				/* FLOAT, DOUBLE */
	uint8_t    *bytes;			/* BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY */
	size_t		len;
} PrCell;

typedef struct PrColumn
{
	char		name[256];
	int			physical;
	int			type_length;
	int			repetition;
	int			converted;		/* -1: none */
	int			scale;
	int			precision;
	int			logical;		/* LogicalType union field id, 0: none */
	int			ts_utc;			/* TIMESTAMP: isAdjustedToUTC */
	int			int_bits;		/* INTEGER: bitWidth */
	PrCell	   *cells;
	size_t		ncells;
	size_t		cap;
} PrColumn;

typedef struct PrFile
{
	int			ncols;
	PrColumn   *cols;
	int64_t		num_rows;
	int			nrow_groups;
	int			npages;
	int			nstats;			/* chunks whose Statistics were checked */
	int			codec;			/* of the last chunk read */
	char		created_by[64];
	char		error[256];
} PrFile;

static inline bool
pr_fail(PrFile *f, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(f->error, sizeof(f->error), fmt, ap);
	va_end(ap);
	return false;
}

static inline uint32_t
pr_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) |
		((uint32_t) p[3] << 24);
}

static inline PrCell *
pr_new_cell(PrColumn *col)
{
	if (col->ncells == col->cap)
	{
		col->cap = col->cap ? col->cap * 2 : 64;
		col->cells = realloc(col->cells, col->cap * sizeof(PrCell));
		if (col->cells == NULL)
			abort();
	}
	memset(&col->cells[col->ncells], 0, sizeof(PrCell));
	return &col->cells[col->ncells++];
}

/* Decodes n levels of bit width 1 from the hybrid; false if malformed. */
static inline bool
pr_levels(const uint8_t *p, size_t len, uint8_t *out, size_t n)
{
	PrCursor	c = {p, p + len, false, NULL, 0};
	size_t		k = 0;

	while (k < n)
	{
		uint64_t	h = pr_varint(&c);

		if (c.bad)
			return false;
		if (h & 1)
		{
			uint64_t	groups = h >> 1;

			if (groups == 0 || groups > (uint64_t) (c.end - c.p))
				return false;
			for (uint64_t g = 0; g < groups; g++)
			{
				uint8_t		b = *c.p++;

				for (int bit = 0; bit < 8; bit++)
					if (k < n)
						out[k++] = (b >> bit) & 1;
			}
		}
		else
		{
			uint64_t	run = h >> 1;
			uint8_t		v;

			if (run == 0 || c.p >= c.end)
				return false;
			v = *c.p++;
			if (v > 1 || run > n - k)
				return false;
			for (uint64_t r = 0; r < run; r++)
				out[k++] = v;
		}
	}
	return c.p == c.end;		/* nothing left over */
}

static inline bool
pr_decompress(PrFile *f, int codec, const uint8_t *src, size_t srclen,
			  uint8_t *dst, size_t dstlen)
{
	switch (codec)
	{
		case 0:
			if (srclen != dstlen)
				return pr_fail(f, "uncompressed page of %zu bytes claims %zu", srclen, dstlen);
			memcpy(dst, src, srclen);
			return true;
		case 6:
			{
				size_t		n = ZSTD_decompress(dst, dstlen, src, srclen);

				if (ZSTD_isError(n) || n != dstlen)
					return pr_fail(f, "zstd page: %s", ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short");
				return true;
			}
		case 2:
			{
				z_stream	zs;
				int			rc;

				memset(&zs, 0, sizeof(zs));
				/* 16 + 15: gzip only, as Parquet's GZIP is RFC 1952 */
				if (inflateInit2(&zs, 16 + 15) != Z_OK)
					return pr_fail(f, "inflateInit2");
				zs.next_in = (Bytef *) src;
				zs.avail_in = (uInt) srclen;
				zs.next_out = dst;
				zs.avail_out = (uInt) dstlen;
				rc = inflate(&zs, Z_FINISH);
				inflateEnd(&zs);
				if (rc != Z_STREAM_END || zs.avail_out != 0 || zs.avail_in != 0)
					return pr_fail(f, "gzip page: rc %d", rc);
				return true;
			}
	}
	return pr_fail(f, "unknown codec %d", codec);
}

/* One data page's values into col. */
static inline bool
pr_page(PrFile *f, PrColumn *col, const uint8_t *body, size_t len, int64_t nvalues)
{
	uint32_t	levlen;
	uint8_t    *levels;
	const uint8_t *v;
	const uint8_t *end = body + len;
	int64_t		nbool = 0;
	bool		ok = true;

	if (len < 4)
		return pr_fail(f, "page too short");
	levlen = pr_le32(body);
	if (levlen > len - 4)
		return pr_fail(f, "levels overrun the page");
	levels = malloc(nvalues ? (size_t) nvalues : 1);
	if (levels == NULL)
		abort();
	if (!pr_levels(body + 4, levlen, levels, (size_t) nvalues))
	{
		free(levels);
		return pr_fail(f, "bad definition levels in column %s", col->name);
	}
	v = body + 4 + levlen;
	for (int64_t k = 0; k < nvalues && ok; k++)
	{
		PrCell	   *cell = pr_new_cell(col);
		size_t		need;

		if (!levels[k])
		{
			cell->isnull = true;
			continue;
		}
		switch (col->physical)
		{
			case 0:				/* BOOLEAN, bit-packed LSB first */
				if (v + nbool / 8 >= end)
				{
					ok = pr_fail(f, "booleans overrun");
					break;
				}
				cell->i = (v[nbool / 8] >> (nbool % 8)) & 1;
				nbool++;
				break;
			case 1:
			case 4:
				if (end - v < 4)
				{
					ok = pr_fail(f, "values overrun");
					break;
				}
				cell->i = (int32_t) pr_le32(v);
				if (col->physical == 4)
				{
					float		fl;
					uint32_t	bits = pr_le32(v);

					memcpy(&fl, &bits, 4);
					cell->d = fl;
				}
				v += 4;
				break;
			case 2:
			case 5:
				if (end - v < 8)
				{
					ok = pr_fail(f, "values overrun");
					break;
				}
				{
					uint64_t	bits = (uint64_t) pr_le32(v) | ((uint64_t) pr_le32(v + 4) << 32);

					cell->i = (int64_t) bits;
					memcpy(&cell->d, &bits, 8);
				}
				v += 8;
				break;
			case 6:
			case 7:
				if (col->physical == 6)
				{
					if (end - v < 4)
					{
						ok = pr_fail(f, "values overrun");
						break;
					}
					need = pr_le32(v);
					v += 4;
				}
				else
					need = (size_t) col->type_length;
				if ((size_t) (end - v) < need)
				{
					ok = pr_fail(f, "bytes overrun");
					break;
				}
				cell->bytes = malloc(need + 1);
				if (cell->bytes == NULL)
					abort();
				memcpy(cell->bytes, v, need);
				cell->bytes[need] = 0;
				cell->len = need;
				v += need;
				break;
			default:
				ok = pr_fail(f, "physical type %d", col->physical);
		}
	}
	free(levels);
	if (ok && col->physical == 0)
		v += (nbool + 7) / 8;
	if (ok && v != end)
		return pr_fail(f, "%td bytes left over in a page of column %s", end - v, col->name);
	return ok;
}

static inline bool
pr_chunk(PrFile *f, PrColumn *col, const uint8_t *file, size_t size, const PrNode *md)
{
	int64_t		start = pr_int(md, 9, -1);
	int64_t		total = pr_int(md, 7, -1);
	int64_t		nvalues = pr_int(md, 5, -1);
	int64_t		uncompressed = pr_int(md, 6, -1);
	int			codec = (int) pr_int(md, 4, -1);
	int64_t		seen = 0;
	int64_t		seen_uncompressed = 0;
	const uint8_t *p;
	const uint8_t *end;

	f->codec = codec;
	if (start < 4 || total < 0 || (uint64_t) (start + total) > size - 8)
		return pr_fail(f, "column chunk out of the file");
	if (pr_int(md, 1, -1) != col->physical)
		return pr_fail(f, "chunk type differs from the schema");
	p = file + start;
	end = p + total;
	while (p < end)
	{
		PrCursor	c = {p, end, false, NULL, 0};
		PrNode	   *h = pr_struct(&c);
		PrNode	   *dph = pr_field(h, 5);
		int64_t		usize = pr_int(h, 2, -1);
		int64_t		csize = pr_int(h, 3, -1);
		int64_t		n = pr_int(dph, 1, -1);
		uint8_t    *body;
		bool		ok;

		if (c.bad || pr_int(h, 1, -1) != 0 || dph == NULL || usize < 0 || csize < 0 ||
			n < 0 || csize > end - c.p)
		{
			pr_free_nodes(c.allocs);
			return pr_fail(f, "bad page header in column %s", col->name);
		}
		if (pr_int(dph, 2, -1) != 0 || pr_int(dph, 3, -1) != 3)
		{
			pr_free_nodes(c.allocs);
			return pr_fail(f, "unexpected page encodings");
		}
		seen_uncompressed += (c.p - p) + usize;
		body = malloc(usize ? (size_t) usize : 1);
		if (body == NULL)
			abort();
		ok = pr_decompress(f, codec, c.p, (size_t) csize, body, (size_t) usize) &&
			pr_page(f, col, body, (size_t) usize, n);
		free(body);
		pr_free_nodes(c.allocs);
		if (!ok)
			return false;
		seen += n;
		f->npages++;
		p = c.p + csize;
	}
	if (seen != nvalues)
		return pr_fail(f, "chunk claims %lld values, pages hold %lld",
					   (long long) nvalues, (long long) seen);
	if (seen_uncompressed != uncompressed)
		return pr_fail(f, "chunk claims %lld uncompressed bytes, pages hold %lld",
					   (long long) uncompressed, (long long) seen_uncompressed);
	return true;
}

/*
 * The chunk's Statistics against its values (cells from..col->ncells): the
 * NULL count, and for INT32/INT64 the signed min and max as PLAIN bytes,
 * which this writer always gives when the chunk has a value.
 */
static inline bool
pr_check_stats(PrFile *f, PrColumn *col, size_t from, const PrNode *md)
{
	PrNode	   *st = pr_field(md, 12);
	int64_t		nulls = 0;
	bool		any = false;
	int64_t		min = 0;
	int64_t		max = 0;

	if (st == NULL)
		return pr_fail(f, "column %s: chunk without Statistics", col->name);
	for (size_t k = from; k < col->ncells; k++)
	{
		const PrCell *cell = &col->cells[k];

		if (cell->isnull)
			nulls++;
		else if (!any || cell->i < min || cell->i > max)
		{
			if (!any || cell->i < min)
				min = cell->i;
			if (!any || cell->i > max)
				max = cell->i;
			any = true;
		}
	}
	if (pr_int(st, 3, -1) != nulls)
		return pr_fail(f, "column %s: null_count %lld, the pages hold %lld", col->name,
					   (long long) pr_int(st, 3, -1), (long long) nulls);
	if (col->physical == 1 || col->physical == 2)
	{
		size_t		n = col->physical == 1 ? 4 : 8;
		PrNode	   *maxv = pr_field(st, 5);
		PrNode	   *minv = pr_field(st, 6);

		if (!any)
		{
			if (maxv || minv)
				return pr_fail(f, "column %s: min/max of no values", col->name);
		}
		else
		{
			uint8_t		want[8];

			if (!maxv || !minv || maxv->len != n || minv->len != n)
				return pr_fail(f, "column %s: no PLAIN min/max", col->name);
			for (size_t k = 0; k < n; k++)
				want[k] = (uint8_t) ((uint64_t) max >> (8 * k));
			if (memcmp(maxv->bin, want, n) != 0)
				return pr_fail(f, "column %s: wrong max_value", col->name);
			for (size_t k = 0; k < n; k++)
				want[k] = (uint8_t) ((uint64_t) min >> (8 * k));
			if (memcmp(minv->bin, want, n) != 0)
				return pr_fail(f, "column %s: wrong min_value", col->name);
		}
	}
	else if (pr_field(st, 5) || pr_field(st, 6))
		return pr_fail(f, "column %s: min/max for a type without them", col->name);
	f->nstats++;
	return true;
}

/* Reads the whole file; false with f->error set if anything is off. */
static inline bool
pr_read(PrFile *f, const uint8_t *file, size_t size)
{
	uint32_t	flen;
	PrCursor	c;
	PrNode	   *fmd;
	PrNode	   *schema;
	PrNode	   *rgs;
	bool		ok = true;
	int64_t		rows = 0;

	memset(f, 0, sizeof(*f));
	if (size < 12 || memcmp(file, "PAR1", 4) != 0 || memcmp(file + size - 4, "PAR1", 4) != 0)
		return pr_fail(f, "no PAR1 magic");
	flen = pr_le32(file + size - 8);
	if (flen > size - 12)
		return pr_fail(f, "footer length %u too large", flen);
	c = (PrCursor) {file + size - 8 - flen, file + size - 8, false, NULL, 0};
	fmd = pr_struct(&c);
	if (c.bad || c.p != c.end)
	{
		pr_free_nodes(c.allocs);
		return pr_fail(f, "footer does not parse to its length");
	}
	schema = pr_field(fmd, 2);
	rgs = pr_field(fmd, 4);
	f->num_rows = pr_int(fmd, 3, -1);
	if (pr_field(fmd, 6) && pr_field(fmd, 6)->len < sizeof(f->created_by))
		memcpy(f->created_by, pr_field(fmd, 6)->bin, pr_field(fmd, 6)->len);
	if (pr_int(fmd, 1, -1) != 1 || schema == NULL || rgs == NULL || schema->n < 1 ||
		pr_int(schema->kids[0], 5, -1) != schema->n - 1)
	{
		pr_free_nodes(c.allocs);
		return pr_fail(f, "bad FileMetaData");
	}
	f->ncols = schema->n - 1;
	f->cols = calloc(f->ncols ? f->ncols : 1, sizeof(PrColumn));
	if (f->cols == NULL)
		abort();
	for (int i = 0; i < f->ncols; i++)
	{
		PrNode	   *e = schema->kids[i + 1];
		PrNode	   *name = pr_field(e, 4);
		PrNode	   *lt = pr_field(e, 10);
		PrColumn   *col = &f->cols[i];

		if (name && name->len < sizeof(col->name))
			memcpy(col->name, name->bin, name->len);
		col->physical = (int) pr_int(e, 1, -1);
		col->type_length = (int) pr_int(e, 2, 0);
		col->repetition = (int) pr_int(e, 3, -1);
		col->converted = (int) pr_int(e, 6, -1);
		col->scale = (int) pr_int(e, 7, 0);
		col->precision = (int) pr_int(e, 8, 0);
		if (lt && lt->n == 1)
		{
			col->logical = lt->ids[0];
			if (col->logical == 8)
				col->ts_utc = (int) pr_int(lt->kids[0], 1, -1);
			if (col->logical == 10)
				col->int_bits = (int) pr_int(lt->kids[0], 1, -1);
		}
	}
	f->nrow_groups = rgs->n;
	for (int g = 0; g < rgs->n && ok; g++)
	{
		PrNode	   *rg = rgs->kids[g];
		PrNode	   *chunks = pr_field(rg, 1);
		int64_t		nrows = pr_int(rg, 3, -1);

		if (chunks == NULL || chunks->n != f->ncols)
		{
			ok = pr_fail(f, "row group %d has the wrong number of chunks", g);
			break;
		}
		for (int i = 0; i < f->ncols && ok; i++)
		{
			size_t		before = f->cols[i].ncells;
			PrNode	   *md = pr_field(chunks->kids[i], 3);

			ok = pr_chunk(f, &f->cols[i], file, size, md) &&
				pr_check_stats(f, &f->cols[i], before, md);
			if (ok && f->cols[i].ncells - before != (size_t) nrows)
				ok = pr_fail(f, "row group %d column %d: %zu values for %lld rows", g, i,
							 f->cols[i].ncells - before, (long long) nrows);
		}
		rows += nrows;
	}
	pr_free_nodes(c.allocs);
	if (ok && rows != f->num_rows)
		ok = pr_fail(f, "row groups hold %lld rows, footer says %lld",
					 (long long) rows, (long long) f->num_rows);
	return ok;
}

static inline void
pr_free(PrFile *f)
{
	for (int i = 0; i < f->ncols; i++)
	{
		for (size_t k = 0; k < f->cols[i].ncells; k++)
			free(f->cols[i].cells[k].bytes);
		free(f->cols[i].cells);
	}
	free(f->cols);
	memset(f, 0, sizeof(*f));
}

#endif
