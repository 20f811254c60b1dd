/*
 * test_parquet.c
 *	  Unit tests of parquet.c, the Parquet writer: files written to memory
 *	  and read back by parquet_reader.h (a reader written from the format's
 *	  description), so every value, NULL, annotation, page and row group is
 *	  checked byte for byte without a server.  DuckDB and hyparquet read the
 *	  server's files in test/t/100_parquet.pl.
 */
#include "case_runner.h"

#include <math.h>

#include "parquet.h"
#include "parquet_reader.h"

#define COL(n, p, l) ((PqColumnSpec) {.name = (n), .physical = (p), .logical = (l)})
#define FIXED(n, l, len) ((PqColumnSpec) {.name = (n), .physical = PQ_FIXED_LEN_BYTE_ARRAY, \
										  .logical = (l), .type_length = (len)})

/* ---- an in-memory file ---- */

typedef struct MemFile
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	int			writes;
} MemFile;

static void
mem_write(void *arg, const void *data, size_t len)
{
	MemFile    *m = arg;

	if (m->len + len > m->cap)
	{
		m->cap = (m->len + len) * 2;
		m->data = realloc(m->data, m->cap);
		assert_non_null(m->data);
	}
	memcpy(m->data + m->len, data, len);
	m->len += len;
	m->writes++;
}

static PqWriter *
new_writer(const PqColumnSpec *cols, int ncols, PqCodec codec, size_t rg, size_t page,
		   MemFile *m)
{
	PqOptions	o = {.codec = codec, .row_group_bytes = rg, .page_bytes = page,
	.created_by = "unit test"};
	DeError		err = {0};
	PqWriter   *w;

	memset(m, 0, sizeof(*m));
	w = pq_writer_create(cols, ncols, &o, mem_write, m, &err);
	if (w == NULL)
		fail_msg("pq_writer_create: %s", err.message);
	return w;
}

static void
finish_and_read(PqWriter *w, MemFile *m, PrFile *f)
{
	DeError		err = {0};

	if (!pq_finish(w, &err))
		fail_msg("pq_finish: %s", err.message);
	assert_int_equal(pq_bytes_written(w), m->len);
	pq_writer_free(w);
	if (!pr_read(f, m->data, m->len))
		fail_msg("reading back: %s", f->error);
}

static void
end_row(PqWriter *w)
{
	DeError		err = {0};

	if (!pq_end_row(w, &err))
		fail_msg("pq_end_row: %s", err.message);
}

/* ---- every type, three codecs ---- */

typedef struct CodecCase
{
	const char *name;
	PqCodec		codec;
} CodecCase;

static const CodecCase codec_cases[] = {
	{"uncompressed", PQ_CODEC_UNCOMPRESSED},
	{"zstd", PQ_CODEC_ZSTD},
	{"gzip", PQ_CODEC_GZIP},
};

enum
{
	C_BOOL, C_I16, C_I32, C_I64, C_F32, C_F64, C_TEXT, C_JSON, C_UUID, C_DATE,
	C_TS, C_TSL, C_DEC9, C_DEC18, C_DEC38, NCOLS_ALL
};

#define NROWS_ALL 1000

static void
all_columns(PqColumnSpec *c)
{
	memset(c, 0, sizeof(PqColumnSpec) * NCOLS_ALL);
	c[C_BOOL] = COL("bool", PQ_BOOLEAN, PQ_LOGICAL_NONE);
	c[C_I16] = COL("small", PQ_INT32, PQ_LOGICAL_INT16);
	c[C_I32] = COL("int", PQ_INT32, PQ_LOGICAL_NONE);
	c[C_I64] = COL("big", PQ_INT64, PQ_LOGICAL_NONE);
	c[C_F32] = COL("real", PQ_FLOAT, PQ_LOGICAL_NONE);
	c[C_F64] = COL("double", PQ_DOUBLE, PQ_LOGICAL_NONE);
	c[C_TEXT] = COL("h\xc3\xa9llo \xe2\x98\x83", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING);
	c[C_JSON] = COL("json", PQ_BYTE_ARRAY, PQ_LOGICAL_JSON);
	c[C_UUID] = FIXED("uuid", PQ_LOGICAL_UUID, 16);
	c[C_DATE] = COL("date", PQ_INT32, PQ_LOGICAL_DATE);
	c[C_TS] = COL("ts", PQ_INT64, PQ_LOGICAL_TIMESTAMP_UTC);
	c[C_TSL] = COL("tsl", PQ_INT64, PQ_LOGICAL_TIMESTAMP_LOCAL);
	assert_true(pq_decimal_column("d9", 9, 2, &c[C_DEC9]));
	assert_true(pq_decimal_column("d18", 18, 4, &c[C_DEC18]));
	assert_true(pq_decimal_column("d38", 38, 10, &c[C_DEC38]));
}

/* row r's value of column c is NULL */
static bool
is_null(int r, int c)
{
	return (r * 7 + c * 3) % (c + 3) == 0;
}

static double
dbl_of(int r)
{
	static const double special[] = {0.0, -0.0, 1.7976931348623157e308, 5e-324,
	-1.5, 0.1};

	if (r < 6)
		return special[r];
	if (r == 6)
		return INFINITY;
	if (r == 7)
		return -INFINITY;
	return r * 1.25 - 300;
}

static void
text_of(int r, char *buf)
{
	if (r % 13 == 0)
		buf[0] = '\0';
	else
		snprintf(buf, 64, "row %d \xf0\x9f\x98\x80,\"q\"\n", r);
}

static void
test_all_types(void **state)
{
	const CodecCase *cc = *state;
	PqColumnSpec cols[NCOLS_ALL];
	MemFile		m;
	PrFile		f;
	PqWriter   *w;
	DeError		err = {0};

	all_columns(cols);
	w = new_writer(cols, NCOLS_ALL, cc->codec, 1 << 20, 0, &m);
	for (int r = 0; r < NROWS_ALL; r++)
	{
		char		buf[64];
		uint8_t		uuid[16];
		char		dec[64];

		for (int c = 0; c < NCOLS_ALL; c++)
		{
			if (is_null(r, c))
			{
				pq_put_null(w, c);
				continue;
			}
			switch (c)
			{
				case C_BOOL:
					pq_put_bool(w, c, r % 3 == 1);
					break;
				case C_I16:
					pq_put_int32(w, c, r % 2 ? 32767 : -32768);
					break;
				case C_I32:
					pq_put_int32(w, c, r == 1 ? INT32_MIN : r == 2 ? INT32_MAX : r * 1000);
					break;
				case C_I64:
				case C_TS:
				case C_TSL:
					pq_put_int64(w, c, r == 1 ? INT64_MIN : r == 2 ? INT64_MAX : (int64_t) r * -123456789);
					break;
				case C_F32:
					pq_put_float(w, c, r == 3 ? NAN : (float) dbl_of(r));
					break;
				case C_F64:
					pq_put_double(w, c, r == 3 ? NAN : dbl_of(r));
					break;
				case C_TEXT:
				case C_JSON:
					text_of(r, buf);
					pq_put_bytes(w, c, buf, strlen(buf));
					break;
				case C_UUID:
					for (int k = 0; k < 16; k++)
						uuid[k] = (uint8_t) (r * 16 + k);
					pq_put_bytes(w, c, uuid, 16);
					break;
				case C_DATE:
					pq_put_int32(w, c, r - 500);
					break;
				case C_DEC9:
				case C_DEC18:
				case C_DEC38:
					snprintf(dec, sizeof(dec), "%s%d.%02d", r % 2 ? "-" : "", r * 3, r % 100);
					if (!pq_put_decimal_text(w, c, dec, &err))
						fail_msg("%s", err.message);
					break;
			}
		}
		end_row(w);
	}
	assert_int_equal(pq_rows(w), NROWS_ALL);
	finish_and_read(w, &m, &f);

	assert_int_equal(f.num_rows, NROWS_ALL);
	assert_int_equal(f.nrow_groups, 1);
	assert_int_equal(f.ncols, NCOLS_ALL);
	assert_int_equal(f.codec, cc->codec);
	assert_int_equal(f.nstats, NCOLS_ALL);	/* every chunk's Statistics hold */
	assert_string_equal(f.created_by, "unit test");
	for (int c = 0; c < NCOLS_ALL; c++)
	{
		PrColumn   *col = &f.cols[c];

		assert_string_equal(col->name, cols[c].name);
		assert_int_equal(col->physical, cols[c].physical);
		assert_int_equal(col->repetition, 1);	/* OPTIONAL */
		assert_int_equal(col->ncells, NROWS_ALL);
		for (int r = 0; r < NROWS_ALL; r++)
		{
			PrCell	   *cell = &col->cells[r];
			char		buf[64];

			assert_int_equal(cell->isnull, is_null(r, c));
			if (cell->isnull)
				continue;
			switch (c)
			{
				case C_BOOL:
					assert_int_equal(cell->i, r % 3 == 1);
					break;
				case C_I16:
					assert_int_equal(cell->i, r % 2 ? 32767 : -32768);
					break;
				case C_I32:
					assert_int_equal(cell->i, r == 1 ? INT32_MIN : r == 2 ? INT32_MAX : r * 1000);
					break;
				case C_I64:
				case C_TS:
				case C_TSL:
					assert_true(cell->i == (r == 1 ? INT64_MIN : r == 2 ? INT64_MAX : (int64_t) r * -123456789));
					break;
				case C_F32:
				case C_F64:
					{
						double		want = c == C_F32 ? (double) (float) dbl_of(r) : dbl_of(r);

						if (r == 3)
							assert_true(isnan(cell->d));
						else
						{
							assert_memory_equal(&cell->d, &want, sizeof(double));
						}
					}
					break;
				case C_TEXT:
				case C_JSON:
					text_of(r, buf);
					assert_int_equal(cell->len, strlen(buf));
					assert_memory_equal(cell->bytes, buf, cell->len);
					break;
				case C_UUID:
					assert_int_equal(cell->len, 16);
					for (int k = 0; k < 16; k++)
						assert_int_equal(cell->bytes[k], (uint8_t) (r * 16 + k));
					break;
				case C_DATE:
					assert_int_equal(cell->i, r - 500);
					break;
				case C_DEC9:
				case C_DEC18:
					{
						int64_t		want = ((int64_t) r * 3 * 100 + r % 100) *
							(c == C_DEC18 ? 100 : 1) * (r % 2 ? -1 : 1);

						assert_true(cell->i == want);
					}
					break;
				case C_DEC38:
					{
						__int128	v = (cell->bytes[0] & 0x80) ? -1 : 0;
						__int128	want = ((__int128) r * 3 * 100 + r % 100) *
							100000000 * (r % 2 ? -1 : 1);

						assert_int_equal(cell->len, 16);
						for (int k = 0; k < 16; k++)
							v = (v << 8) | cell->bytes[k];
						assert_true(v == want);
					}
					break;
			}
		}
	}
	/* the annotations readers go by */
	assert_int_equal(f.cols[C_BOOL].logical, 0);
	assert_int_equal(f.cols[C_I16].logical, 10);
	assert_int_equal(f.cols[C_I16].int_bits, 16);
	assert_int_equal(f.cols[C_I16].converted, 16);	/* INT_16 */
	assert_int_equal(f.cols[C_TEXT].logical, 1);
	assert_int_equal(f.cols[C_TEXT].converted, 0);	/* UTF8 */
	assert_int_equal(f.cols[C_JSON].logical, 12);
	assert_int_equal(f.cols[C_JSON].converted, 19);
	assert_int_equal(f.cols[C_UUID].logical, 14);
	assert_int_equal(f.cols[C_UUID].type_length, 16);
	assert_int_equal(f.cols[C_DATE].logical, 6);
	assert_int_equal(f.cols[C_DATE].converted, 6);
	assert_int_equal(f.cols[C_TS].logical, 8);
	assert_int_equal(f.cols[C_TS].ts_utc, 1);
	assert_int_equal(f.cols[C_TS].converted, 10);	/* TIMESTAMP_MICROS */
	assert_int_equal(f.cols[C_TSL].logical, 8);
	assert_int_equal(f.cols[C_TSL].ts_utc, 0);
	assert_int_equal(f.cols[C_TSL].converted, -1);
	assert_int_equal(f.cols[C_DEC38].logical, 5);
	assert_int_equal(f.cols[C_DEC38].converted, 5);
	assert_int_equal(f.cols[C_DEC38].precision, 38);
	assert_int_equal(f.cols[C_DEC38].scale, 10);
	assert_int_equal(f.cols[C_DEC38].type_length, 16);
	pr_free(&f);
	free(m.data);
}

/* ---- definition levels ---- */

typedef struct LevelCase
{
	const char *name;
	const char *pattern;		/* repeated to n rows: '1' value, '0' NULL */
	int			n;
} LevelCase;

static const LevelCase level_cases[] = {
	{"no rows", "1", 0},
	{"one value", "1", 1},
	{"one NULL", "0", 1},
	{"seven values", "1", 7},
	{"eight NULLs", "0", 8},
	{"nine values", "1", 9},
	{"alternating", "01", 1001},
	{"long run then noise", "11111111111111111111111111111111111111110100110", 5000},
	{"runs of seven", "11111110000000", 700},
	{"runs of eight", "1111111100000000", 701},
	{"sparse NULLs", "1111111111111111111111111111111111111111111111111111110", 10000},
	{"all NULL", "0", 3333},
	{"all values", "1", 3333},
	{"group boundary noise", "1111111111111111101", 999},
};

static void
test_levels(void **state)
{
	const LevelCase *lc = *state;
	PqColumnSpec col = COL("v", PQ_INT32, PQ_LOGICAL_NONE);
	size_t		plen = strlen(lc->pattern);
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	/* small pages: the pattern crosses page boundaries too */
	w = new_writer(&col, 1, PQ_CODEC_UNCOMPRESSED, 1 << 20, 4096, &m);
	for (int r = 0; r < lc->n; r++)
	{
		if (lc->pattern[r % plen] == '1')
			pq_put_int32(w, 0, r);
		else
			pq_put_null(w, 0);
		end_row(w);
	}
	finish_and_read(w, &m, &f);
	assert_int_equal(f.num_rows, lc->n);
	assert_int_equal(f.cols[0].ncells, lc->n);
	for (int r = 0; r < lc->n; r++)
	{
		bool		value = lc->pattern[r % plen] == '1';

		assert_int_equal(f.cols[0].cells[r].isnull, !value);
		if (value)
			assert_int_equal(f.cols[0].cells[r].i, r);
	}
	pr_free(&f);
	free(m.data);
}

/* Runs are RLE: a million NULL-free rows cost a few bytes of levels. */
static void
test_levels_compact(void **state)
{
	PqColumnSpec col = COL("v", PQ_BOOLEAN, PQ_LOGICAL_NONE);
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	(void) state;
	w = new_writer(&col, 1, PQ_CODEC_UNCOMPRESSED, 64 << 20, 64 << 20, &m);
	for (int r = 0; r < 1000000; r++)
	{
		pq_put_bool(w, 0, true);
		end_row(w);
	}
	finish_and_read(w, &m, &f);
	/* 125000 bytes of booleans, the levels a handful, header and footer */
	assert_true(m.len < 125000 + 200);
	assert_int_equal(f.npages, 1);
	pr_free(&f);
	free(m.data);
}

/* ---- row groups and pages ---- */

static void
test_row_groups_stream(void **state)
{
	PqColumnSpec cols[2] = {
		COL("id", PQ_INT64, PQ_LOGICAL_NONE),
		COL("text", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING),
	};
	MemFile		m;
	PrFile		f;
	PqWriter   *w;
	size_t		before_finish;
	int			groups_before;
	const int	nrows = 20000;

	(void) state;
	w = new_writer(cols, 2, PQ_CODEC_ZSTD, 16 * 1024, 0, &m);
	for (int r = 0; r < nrows; r++)
	{
		char		buf[64];

		pq_put_int64(w, 0, r);
		snprintf(buf, sizeof(buf), "value %d", r * 7919 % 100003);
		if (r % 5 == 0)
			pq_put_null(w, 1);
		else
			pq_put_bytes(w, 1, buf, strlen(buf));
		end_row(w);
	}
	/* the file streams out as row groups fill, long before the end */
	before_finish = m.len;
	groups_before = pq_row_groups(w);
	assert_true(groups_before > 5);
	assert_true(before_finish > 16 * 1024);
	finish_and_read(w, &m, &f);
	assert_true(before_finish > m.len / 2);
	/* the rows after the last full group make one more */
	assert_int_equal(f.nrow_groups, groups_before + 1);
	assert_int_equal(f.num_rows, nrows);
	for (int r = 0; r < nrows; r++)
	{
		char		buf[64];

		assert_true(f.cols[0].cells[r].i == r);
		assert_int_equal(f.cols[1].cells[r].isnull, r % 5 == 0);
		if (r % 5)
		{
			snprintf(buf, sizeof(buf), "value %d", r * 7919 % 100003);
			assert_string_equal((char *) f.cols[1].cells[r].bytes, buf);
		}
	}
	pr_free(&f);
	free(m.data);
}

static void
test_pages_split(void **state)
{
	PqColumnSpec col = COL("t", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING);
	char		big[3000];
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	(void) state;
	memset(big, 'x', sizeof(big));
	w = new_writer(&col, 1, PQ_CODEC_GZIP, 64 << 20, 10000, &m);
	for (int r = 0; r < 100; r++)
	{
		big[r] = 'y';
		pq_put_bytes(w, 0, big, sizeof(big));
		end_row(w);
	}
	finish_and_read(w, &m, &f);
	assert_int_equal(f.nrow_groups, 1);
	/* about 10000 bytes a page: 4 values each */
	assert_int_equal(f.npages, 25);
	for (int r = 0; r < 100; r++)
	{
		assert_int_equal(f.cols[0].cells[r].len, sizeof(big));
		assert_int_equal(f.cols[0].cells[r].bytes[r], 'y');
		assert_int_equal(f.cols[0].cells[r].bytes[r + 1], 'x');
	}
	pr_free(&f);
	free(m.data);
}

/* Incompressible pages, page after page: each codec's output bound holds
 * (gzip's bound must count its header and trailer on every page, not only
 * the first). */
static void
test_incompressible_pages(void **state)
{
	const CodecCase *cc = *state;
	PqColumnSpec col = COL("t", PQ_BYTE_ARRAY, PQ_LOGICAL_NONE);
	uint8_t		buf[100];
	uint32_t	x = 12345;
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	w = new_writer(&col, 1, cc->codec, 64 << 20, 100, &m);
	for (int r = 0; r < 50; r++)
	{
		for (size_t k = 0; k < sizeof(buf); k++)
		{
			x = x * 1103515245 + 12345;
			buf[k] = (uint8_t) (x >> 16);
		}
		pq_put_bytes(w, 0, buf, sizeof(buf));
		end_row(w);
	}
	finish_and_read(w, &m, &f);
	assert_int_equal(f.npages, 50);
	assert_int_equal(f.cols[0].ncells, 50);
	pr_free(&f);
	free(m.data);
}

static void
test_zero_rows(void **state)
{
	PqColumnSpec cols[2] = {
		COL("a", PQ_INT32, PQ_LOGICAL_NONE),
		COL("b", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING),
	};
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	(void) state;
	w = new_writer(cols, 2, PQ_CODEC_ZSTD, 1024, 0, &m);
	finish_and_read(w, &m, &f);
	assert_int_equal(f.num_rows, 0);
	assert_int_equal(f.nrow_groups, 0);
	assert_int_equal(f.ncols, 2);
	assert_string_equal(f.cols[1].name, "b");
	pr_free(&f);
	free(m.data);
}

/* 20 columns: the schema list's size needs the long list header */
static void
test_many_columns(void **state)
{
	PqColumnSpec cols[20];
	char		names[20][8];
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	(void) state;
	for (int c = 0; c < 20; c++)
	{
		snprintf(names[c], sizeof(names[c]), "c%d", c);
		cols[c] = COL(names[c], PQ_INT32, PQ_LOGICAL_NONE);
	}
	w = new_writer(cols, 20, PQ_CODEC_UNCOMPRESSED, 1 << 20, 0, &m);
	for (int r = 0; r < 3; r++)
	{
		for (int c = 0; c < 20; c++)
			pq_put_int32(w, c, r * 100 + c);
		end_row(w);
	}
	finish_and_read(w, &m, &f);
	assert_int_equal(f.ncols, 20);
	for (int c = 0; c < 20; c++)
	{
		assert_string_equal(f.cols[c].name, names[c]);
		for (int r = 0; r < 3; r++)
			assert_int_equal(f.cols[c].cells[r].i, r * 100 + c);
	}
	pr_free(&f);
	free(m.data);
}

/* ---- DECIMAL ---- */

typedef struct DecimalCase
{
	const char *name;
	int			precision;
	int			scale;
	const char *text;
	const char *want;			/* unscaled value, or NULL: refused */
} DecimalCase;

static const DecimalCase decimal_cases[] = {
	{"int32 positive", 5, 2, "123.45", "12345"},
	{"int32 negative", 5, 2, "-123.45", "-12345"},
	{"int32 max", 9, 0, "999999999", "999999999"},
	{"int32 min", 9, 0, "-999999999", "-999999999"},
	{"pads the scale", 5, 2, "7", "700"},
	{"pads one digit", 5, 2, "7.5", "750"},
	{"leading zeros", 5, 2, "000123.40", "12340"},
	{"zero", 5, 2, "0.00", "0"},
	{"negative zero", 5, 2, "-0.00", "0"},
	{"rounds half up", 5, 2, "1.005", "101"},
	{"rounds half away from zero", 5, 2, "-1.005", "-101"},
	{"rounds down", 5, 2, "1.00499", "100"},
	{"plus sign", 5, 2, "+1.5", "150"},
	{"scale zero fraction", 3, 0, "12.5", "13"},
	{"int64 max", 18, 0, "999999999999999999", "999999999999999999"},
	{"int64 fraction", 18, 4, "-99999999999999.9999", "-999999999999999999"},
	{"fixed 38", 38, 10, "9999999999999999999999999999.9999999999",
	"99999999999999999999999999999999999999"},
	{"fixed 38 negative", 38, 10, "-9999999999999999999999999999.9999999999",
	"-99999999999999999999999999999999999999"},
	{"fixed 19 small", 19, 3, "-0.001", "-1"},
	{"fixed 20 ones", 20, 0, "11111111111111111111", "11111111111111111111"},
	{"too many integer digits", 5, 2, "1000.00", NULL},
	{"rounding overflows", 5, 2, "999.995", NULL},
	{"NaN", 5, 2, "NaN", NULL},
	{"Infinity", 5, 2, "Infinity", NULL},
	{"-Infinity", 5, 2, "-Infinity", NULL},
	{"empty", 5, 2, "", NULL},
	{"just a point", 5, 2, ".", NULL},
	{"exponent", 5, 2, "1e2", NULL},
	{"trailing text", 5, 2, "1.5x", NULL},
	{"leading point", 5, 2, ".5", "50"},
};

static void
int128_text(__int128 v, char *buf)
{
	char		tmp[64];
	int			n = 0;
	bool		neg = v < 0;
	unsigned __int128 u = neg ? -(unsigned __int128) v : (unsigned __int128) v;

	do
	{
		tmp[n++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u);
	if (neg)
		*buf++ = '-';
	while (n)
		*buf++ = tmp[--n];
	*buf = '\0';
}

static void
test_decimal(void **state)
{
	const DecimalCase *dc = *state;
	PqColumnSpec col;
	MemFile		m;
	PrFile		f;
	PqWriter   *w;
	DeError		err = {0};
	bool		ok;

	assert_true(pq_decimal_column("d", dc->precision, dc->scale, &col));
	w = new_writer(&col, 1, PQ_CODEC_UNCOMPRESSED, 1 << 20, 0, &m);
	ok = pq_put_decimal_text(w, 0, dc->text, &err);
	assert_int_equal(ok, dc->want != NULL);
	if (!ok)
	{
		assert_int_equal(err.code, DE_ERR_INVALID);
		assert_non_null(strstr(err.message, "\"d\""));
		pq_put_null(w, 0);
	}
	end_row(w);
	finish_and_read(w, &m, &f);
	assert_int_equal(f.cols[0].ncells, 1);
	if (dc->want)
	{
		PrCell	   *cell = &f.cols[0].cells[0];
		char		got[64];

		if (col.physical == PQ_FIXED_LEN_BYTE_ARRAY)
		{
			__int128	v = (cell->bytes[0] & 0x80) ? -1 : 0;

			for (size_t k = 0; k < cell->len; k++)
				v = (v << 8) | cell->bytes[k];
			int128_text(v, got);
		}
		else
			snprintf(got, sizeof(got), "%lld", (long long) cell->i);
		assert_string_equal(got, dc->want);
	}
	else
		assert_true(f.cols[0].cells[0].isnull);
	pr_free(&f);
	free(m.data);
}

typedef struct DecimalColumnCase
{
	const char *name;
	int			precision;
	int			scale;
	bool		ok;
	PqPhysical	physical;
	int			type_length;
} DecimalColumnCase;

static const DecimalColumnCase decimal_column_cases[] = {
	{"precision 1", 1, 0, true, PQ_INT32, 0},
	{"precision 9", 9, 9, true, PQ_INT32, 0},
	{"precision 10", 10, 2, true, PQ_INT64, 0},
	{"precision 18", 18, 0, true, PQ_INT64, 0},
	{"precision 19", 19, 0, true, PQ_FIXED_LEN_BYTE_ARRAY, 9},
	{"precision 21", 21, 0, true, PQ_FIXED_LEN_BYTE_ARRAY, 9},
	{"precision 22", 22, 0, true, PQ_FIXED_LEN_BYTE_ARRAY, 10},
	{"precision 38", 38, 0, true, PQ_FIXED_LEN_BYTE_ARRAY, 16},
	{"precision 0", 0, 0, false, 0, 0},
	{"precision 39", 39, 0, false, 0, 0},
	{"negative scale", 5, -1, false, 0, 0},
	{"scale above precision", 5, 6, false, 0, 0},
};

static void
test_decimal_column(void **state)
{
	const DecimalColumnCase *dc = *state;
	PqColumnSpec col;

	assert_int_equal(pq_decimal_column("d", dc->precision, dc->scale, &col), dc->ok);
	if (!dc->ok)
		return;
	assert_int_equal(col.physical, dc->physical);
	assert_int_equal(col.type_length, dc->type_length);
	/* the fewest bytes that hold 10^p - 1 signed */
	if (col.physical == PQ_FIXED_LEN_BYTE_ARRAY)
	{
		unsigned __int128 max = 1;

		for (int i = 0; i < dc->precision; i++)
			max *= 10;
		max -= 1;
		assert_true(max < ((unsigned __int128) 1 << (8 * col.type_length - 1)));
		assert_true(max >= ((unsigned __int128) 1 << (8 * (col.type_length - 1) - 1)));
	}
}

/* ---- schema errors ---- */

static void
test_bad_schemas(void **state)
{
	PqOptions	o = {.codec = PQ_CODEC_ZSTD, .row_group_bytes = 1024};
	PqColumnSpec fixed = FIXED("f", PQ_LOGICAL_NONE, 0);
	PqColumnSpec uuid = FIXED("u", PQ_LOGICAL_UUID, 8);
	PqColumnSpec dec = {.name = "d", .physical = PQ_INT32, .logical = PQ_LOGICAL_DECIMAL,
		.precision = 12, .scale = 2};
	PqColumnSpec ok = COL("ok", PQ_INT32, PQ_LOGICAL_NONE);
	PqOptions	bad_codec = {.codec = (PqCodec) 1, .row_group_bytes = 1024};
	MemFile		m;
	DeError		err = {0};

	(void) state;
	memset(&m, 0, sizeof(m));
	assert_null(pq_writer_create(&ok, 0, &o, mem_write, &m, &err));
	assert_int_equal(err.code, DE_ERR_UNSUPPORTED);
	assert_string_equal(err.message, "a Parquet file needs at least one column");
	assert_null(pq_writer_create(&fixed, 1, &o, mem_write, &m, &err));
	assert_non_null(strstr(err.message, "needs a length"));
	assert_null(pq_writer_create(&uuid, 1, &o, mem_write, &m, &err));
	assert_non_null(strstr(err.message, "UUID"));
	assert_null(pq_writer_create(&dec, 1, &o, mem_write, &m, &err));
	assert_non_null(strstr(err.message, "DECIMAL(12, 2)"));
	assert_null(pq_writer_create(&ok, 1, &bad_codec, mem_write, &m, &err));
	assert_non_null(strstr(err.message, "codec"));
	/* nothing was written by any of them */
	assert_int_equal(m.len, 0);
}

/* A row that misses a column gets NULL there, so the columns stay aligned. */
static void
test_missing_value_is_null(void **state)
{
	PqColumnSpec cols[2] = {
		COL("a", PQ_INT32, PQ_LOGICAL_NONE),
		COL("b", PQ_INT32, PQ_LOGICAL_NONE),
	};
	MemFile		m;
	PrFile		f;
	PqWriter   *w;

	(void) state;
	w = new_writer(cols, 2, PQ_CODEC_UNCOMPRESSED, 1 << 20, 0, &m);
	pq_put_int32(w, 0, 1);
	end_row(w);
	pq_put_int32(w, 0, 2);
	pq_put_int32(w, 1, 3);
	end_row(w);
	finish_and_read(w, &m, &f);
	assert_true(f.cols[1].cells[0].isnull);
	assert_int_equal(f.cols[1].cells[1].i, 3);
	pr_free(&f);
	free(m.data);
}

static void
test_plain_size(void **state)
{
	PqColumnSpec b = COL("b", PQ_BOOLEAN, PQ_LOGICAL_NONE);
	PqColumnSpec i = COL("i", PQ_INT32, PQ_LOGICAL_NONE);
	PqColumnSpec l = COL("l", PQ_INT64, PQ_LOGICAL_NONE);
	PqColumnSpec t = COL("t", PQ_BYTE_ARRAY, PQ_LOGICAL_STRING);
	PqColumnSpec u = FIXED("u", PQ_LOGICAL_UUID, 16);

	(void) state;
	assert_int_equal(pq_plain_size(&b, 0), 1);
	assert_int_equal(pq_plain_size(&i, 0), 4);
	assert_int_equal(pq_plain_size(&l, 0), 8);
	assert_int_equal(pq_plain_size(&t, 10), 14);
	assert_int_equal(pq_plain_size(&u, 0), 16);
}

/* ---- runner ---- */

int
main(void)
{
	static const FixedTest fixed[] = {
		{"NULL-free levels are RLE", test_levels_compact},
		{"row groups stream out", test_row_groups_stream},
		{"pages split at page_bytes", test_pages_split},
		{"zero rows", test_zero_rows},
		{"twenty columns", test_many_columns},
		{"invalid schemas", test_bad_schemas},
		{"a missing value is NULL", test_missing_value_is_null},
		{"PLAIN sizes", test_plain_size},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "all types", codec_cases, test_all_types);
	CASE_TABLE(&list, "incompressible pages", codec_cases, test_incompressible_pages);
	CASE_TABLE(&list, "levels", level_cases, test_levels);
	CASE_TABLE(&list, "decimal", decimal_cases, test_decimal);
	CASE_TABLE(&list, "decimal column", decimal_column_cases, test_decimal_column);
	CASE_FIXED(&list, "parquet", fixed);
	return case_list_run(&list, "parquet");
}
