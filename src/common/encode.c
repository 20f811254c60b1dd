/*
 * encode.c
 *	  The bytes of an export: CSV records (RFC 4180), JSON Lines records and
 *	  the export's file name.
 *
 * The worker streams every row through these functions, so they only ever
 * append to a caller-owned StrBuf and never allocate per cell.  Both formats
 * must stay valid whatever the data holds: a value can never break a CSV
 * record or a JSONL line, which is what failed whole exports in Sentry.
 */
#include "encode.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dom.h"

/*
 * Every byte of an export goes through these two: inline, with the buffer's
 * growth (rare) left to sb_append_len.
 */
static inline void
put_len(StrBuf *out, const char *s, size_t n)
{
	if (out->len + n < out->cap)
	{
		memcpy(out->data + out->len, s, n);
		out->len += n;
		out->data[out->len] = '\0';
	}
	else
		sb_append_len(out, s, n);
}

static inline void
put_char(StrBuf *out, char c)
{
	if (out->len + 1 < out->cap)
	{
		out->data[out->len++] = c;
		out->data[out->len] = '\0';
	}
	else
		sb_append_len(out, &c, 1);
}

/* ---- CSV ---- */

static bool
csv_needs_quotes(const char *text, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
	{
		char		c = text[i];

		if (c == ',' || c == '"' || c == '\r' || c == '\n')
			return true;
	}
	return false;
}

void
csv_append_field(StrBuf *out, const char *text, size_t len)
{
	size_t		start = 0;
	size_t		i;

	/* An empty string is quoted so that it stays distinct from NULL (an
	 * empty field): COPY ... (FORMAT csv) reads the file back exactly. */
	if (len == 0)
	{
		put_len(out, "\"\"", 2);
		return;
	}
	if (!csv_needs_quotes(text, len))
	{
		put_len(out, text, len);
		return;
	}

	/* Copy runs between quotes in one go; each quote is written twice. */
	put_char(out, '"');
	for (i = 0; i < len; i++)
	{
		if (text[i] != '"')
			continue;
		put_len(out, text + start, i + 1 - start);
		put_char(out, '"');
		start = i + 1;
	}
	put_len(out, text + start, len - start);
	put_char(out, '"');
}

/*
 * PostgreSQL's COPY FROM (up to 17, files too) takes a line holding only \.
 * for the end of the data, so a one-column record with that value would cut
 * the round trip short.  COPY TO quotes it for the same reason; so do we.
 */
static bool
csv_is_end_marker(const char *text, size_t len)
{
	return len == 2 && text[0] == '\\' && text[1] == '.';
}

void
csv_append_record(StrBuf *out, const DeCell *cells, int ncells)
{
	int			i;

	if (ncells == 1 && cells[0].kind != DE_CELL_NULL &&
		csv_is_end_marker(cells[0].text, cells[0].len))
	{
		put_len(out, "\"\\.\"\r\n", 6);
		return;
	}
	for (i = 0; i < ncells; i++)
	{
		if (i > 0)
			put_char(out, ',');
		if (cells[i].kind != DE_CELL_NULL)
			csv_append_field(out, cells[i].text, cells[i].len);
	}
	put_len(out, "\r\n", 2);
}

void
csv_append_header(StrBuf *out, char *const *names, int nnames)
{
	int			i;

	if (nnames == 1 && csv_is_end_marker(names[0], strlen(names[0])))
	{
		put_len(out, "\"\\.\"\r\n", 6);
		return;
	}
	for (i = 0; i < nnames; i++)
	{
		if (i > 0)
			put_char(out, ',');
		csv_append_field(out, names[i], strlen(names[i]));
	}
	put_len(out, "\r\n", 2);
}

/* ---- JSON Lines ---- */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Whether text is a number in RFC 8259's grammar.  PostgreSQL's numeric
 * output almost always is; NaN and the infinities are not, and anything else
 * that slips through (a custom type's output) is better quoted than invalid.
 */
static bool
json_number_syntax(const char *s, size_t len)
{
	size_t		i = 0;

	if (i < len && s[i] == '-')
		i++;
	if (i >= len || !is_digit(s[i]))
		return false;
	if (s[i] == '0')
		i++;
	else
		while (i < len && is_digit(s[i]))
			i++;
	if (i < len && s[i] == '.')
	{
		i++;
		if (i >= len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]))
			i++;
	}
	if (i < len && (s[i] == 'e' || s[i] == 'E'))
	{
		i++;
		if (i < len && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= len || !is_digit(s[i]))
			return false;
		while (i < len && is_digit(s[i]))
			i++;
	}
	return i == len;
}

static bool
text_equals(const char *text, size_t len, const char *word)
{
	return len == strlen(word) && memcmp(text, word, len) == 0;
}

static void
jsonl_append_number(StrBuf *out, const char *text, size_t len)
{
	if (json_number_syntax(text, len))
		put_len(out, text, len);
	else
		dj_append_quoted(out, text, len);
}

/* PostgreSQL's boolean output is "t"/"f"; the contract says "true"/"false".
 * Accept both, and quote anything else rather than emit invalid JSON. */
static void
jsonl_append_bool(StrBuf *out, const char *text, size_t len)
{
	if (text_equals(text, len, "true") || text_equals(text, len, "t"))
		put_len(out, "true", 4);
	else if (text_equals(text, len, "false") || text_equals(text, len, "f"))
		put_len(out, "false", 5);
	else
		dj_append_quoted(out, text, len);
}

/*
 * json (unlike jsonb) keeps its input's whitespace, newlines included, which
 * would split the line.  Valid JSON has no raw CR or LF inside strings, so
 * every CR/LF is insignificant whitespace and a space is equivalent.
 */
static void
jsonl_append_json(StrBuf *out, const char *text, size_t len)
{
	size_t		start = 0;
	size_t		i;

	if (len == 0)
	{
		put_len(out, "null", 4);
		return;
	}
	for (i = 0; i < len; i++)
	{
		if (text[i] != '\r' && text[i] != '\n')
			continue;
		put_len(out, text + start, i - start);
		put_char(out, ' ');
		start = i + 1;
	}
	put_len(out, text + start, len - start);
}

static void
jsonl_append_value(StrBuf *out, const DeCell *cell)
{
	/* A cell without text is only meaningful as NULL; keep the line valid. */
	const char *text = cell->text ? cell->text : "";
	size_t		len = cell->text ? cell->len : 0;

	switch (cell->kind)
	{
		case DE_CELL_NULL:
			put_len(out, "null", 4);
			break;
		case DE_CELL_NUMBER:
			jsonl_append_number(out, text, len);
			break;
		case DE_CELL_BOOL:
			jsonl_append_bool(out, text, len);
			break;
		case DE_CELL_JSON:
			jsonl_append_json(out, text, len);
			break;
		case DE_CELL_TEXT:
		default:
			dj_append_quoted(out, text, len);
			break;
	}
}

void
jsonl_append_record(StrBuf *out, char *const *names,
					const DeCell *cells, int ncells)
{
	int			i;

	put_char(out, '{');
	for (i = 0; i < ncells; i++)
	{
		if (i > 0)
			put_char(out, ',');
		dj_append_quoted(out, names[i], strlen(names[i]));
		put_char(out, ':');
		jsonl_append_value(out, &cells[i]);
	}
	put_len(out, "}\n", 2);
}

char	  **
jsonl_keys(char *const *names, int nnames)
{
	char	  **keys = de_alloc(sizeof(char *) * (nnames > 0 ? nnames : 1));

	for (int i = 0; i < nnames; i++)
	{
		StrBuf		sb;

		sb_init(&sb);
		sb_append_char(&sb, i > 0 ? ',' : '{');
		dj_append_quoted(&sb, names[i], strlen(names[i]));
		sb_append_char(&sb, ':');
		keys[i] = sb_steal(&sb);
	}
	return keys;
}

void
jsonl_append_record_keyed(StrBuf *out, char *const *keys,
						  const DeCell *cells, int ncells)
{
	if (ncells == 0)
		put_char(out, '{');
	for (int i = 0; i < ncells; i++)
	{
		put_len(out, keys[i], strlen(keys[i]));
		jsonl_append_value(out, &cells[i]);
	}
	put_len(out, "}\n", 2);
}

/* ---- file name ---- */

char *
de_export_filename(const char *query_type, de_time created, int64_t id,
				   DeFormat format, DeCompression compression)
{
	char		date[40];
	StrBuf		sb;

	de_format_filename_date(created, date);
	sb_init(&sb);
	if (format == DE_FORMAT_PARQUET)
	{
		sb_appendf(&sb, "%s_%s_%" PRId64 ".parquet", query_type, date, id);
		return sb_steal(&sb);
	}
	sb_appendf(&sb, "%s_%s_%" PRId64 "%s%s",
			   query_type, date, id,
			   format == DE_FORMAT_JSONL ? ".jsonl" : ".csv",
			   compression == DE_COMPRESSION_GZIP ? ".gz" :
			   compression == DE_COMPRESSION_ZSTD ? ".zst" : "");
	return sb_steal(&sb);
}
