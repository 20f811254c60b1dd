/*
 * payload.c
 *	  Validation and normalization of a dataexport_create() payload: Sentry's
 *	  DataExportQuerySerializer and get_date_range_from_params, with their
 *	  user-facing messages.
 *
 * The messages are Sentry's (Django REST framework's where the serializer
 * relies on DRF), word for word, because applications show them to their
 * users.  Where Sentry would look at a value with Python semantics (DRF's
 * IntegerField, "if value:" truthiness, repr() in messages) this file
 * mimics those semantics so that a payload that Sentry accepts is accepted
 * here and vice versa.
 *
 * JSON null for an optional top-level key means "not given": SQL callers
 * build payloads with jsonb_build_object(), where a NULL parameter is the
 * natural way to leave a key out.
 */
#include "payload.h"

#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "search.h"

/* user-supplied text quoted in a message is clipped to this many bytes */
#define MESSAGE_VALUE_MAX 200

typedef enum RangeKind
{
	RANGE_DEFAULT,				/* no dates given: the last 90 days */
	RANGE_RELATIVE,				/* statsPeriod or statsPeriodStart/End */
	RANGE_ABSOLUTE				/* start and end */
} RangeKind;

const char *
export_query_type_name(ExportQueryType type)
{
	switch (type)
	{
		case EQT_DISCOVER:
			return "Discover";
		case EQT_ISSUES_BY_TAG:
			return "Issues-by-Tag";
		case EQT_SQL:
			return "SQL";
	}
	return "unknown";
}

/* ---------------------------------------------------------------------
 * Python's view of JSON values
 * ---------------------------------------------------------------------
 */

static bool
number_is_float(const char *literal)
{
	return strpbrk(literal, ".eE") != NULL;
}

/* type(value).__name__ of what json.loads() makes of v */
static const char *
python_type_name(const DjValue *v)
{
	switch (v->type)
	{
		case DJ_NULL:
			return "null";
		case DJ_BOOL:
			return "bool";
		case DJ_NUMBER:
			return number_is_float(v->str) ? "float" : "int";
		case DJ_STRING:
			return "str";
		case DJ_ARRAY:
			return "list";
		case DJ_OBJECT:
			return "dict";
	}
	return "unknown";
}

/* Python's bool(value); an absent key is falsy like None */
static bool
python_truthy(const DjValue *v)
{
	if (v == NULL)
		return false;
	switch (v->type)
	{
		case DJ_NULL:
			return false;
		case DJ_BOOL:
			return v->boolean;
		case DJ_NUMBER:
			/* nonzero iff the mantissa has a nonzero digit */
			for (const char *p = v->str; *p && *p != 'e' && *p != 'E'; p++)
			{
				if (*p >= '1' && *p <= '9')
					return true;
			}
			return false;
		case DJ_STRING:
			return v->str[0] != '\0';
		case DJ_ARRAY:
		case DJ_OBJECT:
			return v->count > 0;
	}
	return false;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
		c == '\v';
}

static bool
is_blank(const char *s)
{
	for (; *s; s++)
	{
		if (!is_space(*s))
			return false;
	}
	return true;
}

/*
 * What DRF's IntegerField accepts: an integer, or text holding one (Python's
 * int() strips whitespace and takes a sign; DRF first drops a ".000"
 * suffix, which also admits floats with a zero fraction).  Values beyond
 * int64 set *overflow and saturate.
 */
static bool
parse_integer_text(const char *s, int64_t *out, bool *overflow)
{
	bool		negative = false;
	uint64_t	magnitude = 0;
	const char *digits;

	*overflow = false;
	while (is_space(*s))
		s++;
	if (*s == '+' || *s == '-')
		negative = *s++ == '-';
	digits = s;
	for (; *s >= '0' && *s <= '9'; s++)
	{
		if (magnitude > (UINT64_MAX - 9) / 10)
			*overflow = true;
		else
			magnitude = magnitude * 10 + (uint64_t) (*s - '0');
	}
	if (s == digits)
		return false;
	if (*s == '.')
	{
		for (s++; *s == '0'; s++)
			;
	}
	while (is_space(*s))
		s++;
	if (*s != '\0')
		return false;

	if (negative)
	{
		if (magnitude > (uint64_t) INT64_MAX + 1)
			*overflow = true;
		*out = *overflow ? INT64_MIN :
			magnitude == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) magnitude;
	}
	else
	{
		if (magnitude > (uint64_t) INT64_MAX)
			*overflow = true;
		*out = *overflow ? INT64_MAX : (int64_t) magnitude;
	}
	return true;
}

static bool
value_as_integer(const DjValue *v, int64_t *out, bool *overflow)
{
	if (v == NULL)
		return false;
	if (v->type == DJ_NUMBER)
	{
		/* JSON has no whitespace or '+' inside numbers; exponents are out */
		if (strpbrk(v->str, "eE") != NULL)
			return false;
		return parse_integer_text(v->str, out, overflow);
	}
	if (v->type == DJ_STRING)
		return parse_integer_text(v->str, out, overflow);
	return false;
}

/* An integer within int64; for ids, where a bigger one cannot exist. */
static bool
value_as_id(const DjValue *v, int64_t *out)
{
	bool		overflow;

	return value_as_integer(v, out, &overflow) && !overflow;
}

/* ---------------------------------------------------------------------
 * Message helpers
 * ---------------------------------------------------------------------
 */

/* Appends at most MESSAGE_VALUE_MAX bytes of s, cut at a UTF-8 boundary. */
static void
append_clipped(StrBuf *sb, const char *s)
{
	size_t		len = strlen(s);
	size_t		clipped = de_clip_utf8(s, len, MESSAGE_VALUE_MAX);

	sb_append_len(sb, s, clipped);
	if (clipped < len)
		sb_append(sb, "...");
}

/* str(value) in Python: strings as they are, other values as literals */
static void
append_python_str(StrBuf *sb, const DjValue *v)
{
	char	   *json;

	switch (v->type)
	{
		case DJ_STRING:
			append_clipped(sb, v->str);
			return;
		case DJ_NULL:
			sb_append(sb, "None");
			return;
		case DJ_BOOL:
			sb_append(sb, v->boolean ? "True" : "False");
			return;
		default:
			json = dj_serialize(v);
			append_clipped(sb, json);
			de_free(json);
			return;
	}
}

/* repr(value) in Python: strings quoted and escaped the way Python does */
static void
append_python_repr(StrBuf *sb, const DjValue *v)
{
	StrBuf		quoted;
	char		quote;

	if (v->type != DJ_STRING)
	{
		append_python_str(sb, v);
		return;
	}
	quote = strchr(v->str, '\'') != NULL && strchr(v->str, '"') == NULL ? '"' : '\'';
	sb_init(&quoted);
	for (const char *p = v->str; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c == '\\' || c == (unsigned char) quote)
		{
			sb_append_char(&quoted, '\\');
			sb_append_char(&quoted, (char) c);
		}
		else if (c == '\n')
			sb_append(&quoted, "\\n");
		else if (c == '\r')
			sb_append(&quoted, "\\r");
		else if (c == '\t')
			sb_append(&quoted, "\\t");
		else if (c < 0x20 || c == 0x7f)
			sb_appendf(&quoted, "\\x%02x", c);
		else
			sb_append_char(&quoted, (char) c);
	}
	sb_append_char(sb, quote);
	append_clipped(sb, quoted.data);
	sb_append_char(sb, quote);
	sb_free(&quoted);
}

/* prefix + str(value) or repr(value) + suffix, as a DE_ERR_INVALID */
static bool
fail_with_value(DeError *err, const char *prefix, const DjValue *v,
				bool repr, const char *suffix)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_append(&sb, prefix);
	if (repr)
		append_python_repr(&sb, v);
	else
		append_python_str(&sb, v);
	sb_append(&sb, suffix);
	de_error(err, DE_ERR_INVALID, "%s", sb.data);
	sb_free(&sb);
	return false;
}

/* ---------------------------------------------------------------------
 * Value extraction
 * ---------------------------------------------------------------------
 */

static void
free_string_array(char **arr, int n)
{
	for (int i = 0; i < n; i++)
		de_free(arr[i]);
	de_free(arr);
}

/*
 * A string or a list of strings, as an array of copies.  Absent or null
 * gives none.  On a wrong type: "<name>: Expected a string or a list of
 * strings."
 */
static bool
too_many_error(DeError *err, const char *name, int max)
{
	return de_error(err, DE_ERR_INVALID,
					"%s: Ensure this field has no more than %d elements.", name, max);
}

static bool
read_string_or_list(const DjValue *v, const char *name, int max,
					char ***out, int *n, DeError *err)
{
	*out = NULL;
	*n = 0;
	if (v == NULL || v->type == DJ_NULL)
		return true;
	if (v->type == DJ_STRING)
	{
		*out = de_alloc(sizeof(char *));
		(*out)[0] = de_strdup(v->str);
		*n = 1;
		return true;
	}
	if (v->type == DJ_ARRAY)
	{
		if (v->count > (size_t) max)
			return too_many_error(err, name, max);
		for (size_t i = 0; i < v->count; i++)
		{
			de_check_interrupts();
			if (v->items[i]->type != DJ_STRING)
				return de_error(err, DE_ERR_INVALID,
								"%s: Expected a string or a list of strings.", name);
		}
		*out = de_alloc((v->count ? v->count : 1) * sizeof(char *));
		for (size_t i = 0; i < v->count; i++)
			(*out)[i] = de_strdup(v->items[i]->str);
		*n = (int) v->count;
		return true;
	}
	return de_error(err, DE_ERR_INVALID,
					"%s: Expected a string or a list of strings.", name);
}

/* One of choices (a string), or the default when absent or null. */
static bool
read_choice(const DjValue *v, const char *name, const char *const *choices,
			int nchoices, int default_index, int *out, DeError *err)
{
	char		prefix[64];

	*out = default_index;
	if (v == NULL || v->type == DJ_NULL)
		return true;
	if (v->type == DJ_STRING)
	{
		for (int i = 0; i < nchoices; i++)
		{
			if (strcmp(v->str, choices[i]) == 0)
			{
				*out = i;
				return true;
			}
		}
	}
	snprintf(prefix, sizeof(prefix), "%s: \"", name);
	return fail_with_value(err, prefix, v, false, "\" is not a valid choice.");
}

static DjValue *
int_list(const int64_t *ids, int n)
{
	DjValue    *list = dj_new_array();

	for (int i = 0; i < n; i++)
		dj_append(list, dj_new_int(ids[i]));
	return list;
}

/* ---------------------------------------------------------------------
 * Top level
 * ---------------------------------------------------------------------
 */

static bool
read_query_type(const DjValue *root, ExportRequest *req, DeError *err)
{
	static const char *const names[] = {"Discover", "Issues-by-Tag", "SQL"};
	static const ExportQueryType types[] = {EQT_DISCOVER, EQT_ISSUES_BY_TAG, EQT_SQL};
	const DjValue *v = dj_get(root, "query_type");

	if (v == NULL || v->type != DJ_STRING)
		return de_error(err, DE_ERR_INVALID, "query_type: This field is required.");
	for (int i = 0; i < 3; i++)
	{
		if (strcmp(v->str, names[i]) == 0)
		{
			req->type = types[i];
			return true;
		}
	}
	return fail_with_value(err, "query_type: \"", v, false,
						   "\" is not a valid choice.");
}

static bool
read_query_info(const DjValue *root, const DjValue **out, DeError *err)
{
	const DjValue *v = dj_get(root, "query_info");

	if (v == NULL)
		return de_error(err, DE_ERR_INVALID, "query_info: This field is required.");
	if (v->type != DJ_OBJECT)
		return de_error(err, DE_ERR_INVALID,
						"query_info: Expected a dictionary of items but got type \"%s\".",
						python_type_name(v));
	*out = v;
	return true;
}

static bool
read_organization(const DjValue *root, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(root, "organization");

	if (v == NULL || v->type == DJ_NULL)
		return true;
	if (!value_as_id(v, &req->organization))
		return de_error(err, DE_ERR_INVALID, "organization: A valid integer is required.");
	req->has_organization = true;
	return true;
}

/* A limit beyond int64 is simply large: it is clamped to max_rows later. */
static bool
read_limit(const DjValue *root, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(root, "limit");
	bool		overflow;

	if (v == NULL || v->type == DJ_NULL)
		return true;
	if (!value_as_integer(v, &req->limit, &overflow))
		return de_error(err, DE_ERR_INVALID, "limit: A valid integer is required.");
	if (req->limit < 1)
		return de_error(err, DE_ERR_INVALID,
						"limit: Ensure this value is greater than or equal to 1.");
	req->has_limit = true;
	return true;
}

static bool
read_output_options(const DjValue *root, ExportRequest *req, DeError *err)
{
	static const char *const formats[] = {"csv", "jsonl", "parquet"};
	static const char *const compressions[] = {"none", "gzip", "zstd"};
	static const DeCompression compression_values[] = {
		DE_COMPRESSION_NONE, DE_COMPRESSION_GZIP, DE_COMPRESSION_ZSTD
	};
	int			format;
	int			compression;

	if (!read_choice(dj_get(root, "format"), "format", formats, 3, 0,
					 &format, err) ||
		!read_choice(dj_get(root, "compression"), "compression",
					 compressions, 3, 0, &compression, err))
		return false;
	req->format = format == 1 ? DE_FORMAT_JSONL :
		format == 2 ? DE_FORMAT_PARQUET : DE_FORMAT_CSV;
	req->compression = compression_values[compression];
	return true;
}

/* ---------------------------------------------------------------------
 * Shared by Discover and Issues-by-Tag
 * ---------------------------------------------------------------------
 */

/*
 * query_info.project: a list of integers (or integer strings) or a single
 * one; info's "project" becomes the list of integers.  Falsy (absent, null,
 * empty) means "none requested": an error when required, else an empty list
 * that the caller replaces with the default projects.
 */
static bool
read_projects(DjValue *info, bool required, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(info, "project");
	const DjValue *const *entries;
	size_t		n;

	if (!python_truthy(v))
	{
		if (required)
			return de_error(err, DE_ERR_INVALID, "project: This field is required.");
		dj_set(info, "project", dj_new_array());
		return true;
	}
	if (v->type == DJ_ARRAY)
	{
		entries = (const DjValue *const *) v->items;
		n = v->count;
	}
	else
	{
		entries = &v;
		n = 1;
	}
	if (n > DE_MAX_PROJECTS)
		return too_many_error(err, "project", DE_MAX_PROJECTS);
	req->projects = de_alloc(n * sizeof(int64_t));
	for (size_t i = 0; i < n; i++)
	{
		de_check_interrupts();
		if (!value_as_id(entries[i], &req->projects[i]))
			return de_error(err, DE_ERR_INVALID, "project: A valid integer is required.");
	}
	req->nprojects = (int) n;
	dj_set(info, "project", int_list(req->projects, req->nprojects));
	return true;
}

/* ---------------------------------------------------------------------
 * Discover
 * ---------------------------------------------------------------------
 */

#define EQUATION_PREFIX "equation|"

/*
 * query_info.field: a list, or one value that is wrapped; equations are
 * split off.  info gets "field" (the plain fields) and "equations".
 */
static bool
read_fields(DjValue *info, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(info, "field");
	const DjValue *const *entries = NULL;
	size_t		n = 0;
	DjValue    *fields;
	DjValue    *equations;
	size_t		prefix_len = strlen(EQUATION_PREFIX);

	if (v != NULL && v->type == DJ_ARRAY)
	{
		entries = (const DjValue *const *) v->items;
		n = v->count;
	}
	else if (v != NULL)
	{
		entries = &v;
		n = 1;
	}
	for (size_t i = 0; i < n; i++)
	{
		if (entries[i]->type != DJ_STRING)
			return de_error(err, DE_ERR_INVALID, "field: Expected a list of strings.");
	}
	if (n > DE_MAX_FIELDS)
		return de_error(err, DE_ERR_INVALID,
						"You can export up to %d fields at a time. Please delete some and try again.",
						DE_MAX_FIELDS);
	if (n == 0)
		return de_error(err, DE_ERR_INVALID, "at least one field is required to export");

	req->fields = de_alloc(n * sizeof(char *));
	req->equations = de_alloc(n * sizeof(char *));
	fields = dj_new_array();
	equations = dj_new_array();
	for (size_t i = 0; i < n; i++)
	{
		const char *text = entries[i]->str;

		if (strncmp(text, EQUATION_PREFIX, prefix_len) == 0)
		{
			req->equations[req->nequations++] = de_strdup(text + prefix_len);
			dj_append(equations, dj_new_string(text + prefix_len));
		}
		else
		{
			req->fields[req->nfields++] = de_strdup(text);
			dj_append(fields, dj_new_string(text));
		}
	}
	/* v (and entries) belong to info's old "field", which this frees */
	dj_set(info, "field", fields);
	dj_set(info, "equations", equations);
	return true;
}

static bool
read_query(const DjValue *info, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(info, "query");

	if (v == NULL || v->type != DJ_STRING)
		return de_error(err, DE_ERR_INVALID,
						"query is a required to export, please pass an empty string if you don't want to set one");
	req->query = de_strdup(v->str);
	return true;
}

/* A statsPeriod-like value: a string of Sentry's form, else a message. */
static bool
read_period(const DjValue *v, const char *name, int64_t *seconds, DeError *err)
{
	char		prefix[64];

	if (v->type == DJ_STRING && de_parse_stats_period(v->str, seconds))
		return true;
	snprintf(prefix, sizeof(prefix), "Invalid %s: ", name);
	return fail_with_value(err, prefix, v, true, "");
}

/* ISO 8601, else (as Sentry's parse_datetime_string) a Unix timestamp in a
 * string; a JSON number is refused (Sentry fails on one with a 500) */
static bool
read_iso_date(const DjValue *v, de_time *out, DeError *err)
{
	if (v->type == DJ_STRING &&
		(de_parse_iso8601(v->str, out) || de_parse_unix_timestamp(v->str, out)))
		return true;
	return fail_with_value(err, "", v, false, " is not a valid ISO8601 date query");
}

/*
 * Sentry's get_date_range_from_params: timeframe is an alias that replaces
 * statsPeriod, and timeframeStart/End (both or neither) replace
 * statsPeriodStart/End; then statsPeriod wins over statsPeriodStart/End,
 * which win over start/end; none of them means the last 90 days.  "Given"
 * follows Python: statsPeriod and timeframe count unless None, the others
 * only when truthy.  A bad period is "Invalid statsPeriod: '...'" whichever
 * key held it, as Sentry's get_datetime_from_stats_period says.
 */
static bool
resolve_date_range(const DjValue *info, de_time now, ExportRequest *req,
				   RangeKind *kind, DeError *err)
{
	const DjValue *period = dj_get(info, "statsPeriod");
	const DjValue *period_start = dj_get(info, "statsPeriodStart");
	const DjValue *period_end = dj_get(info, "statsPeriodEnd");
	const DjValue *start = dj_get(info, "start");
	const DjValue *end = dj_get(info, "end");
	const DjValue *timeframe = dj_get(info, "timeframe");
	const DjValue *timeframe_start = dj_get(info, "timeframeStart");
	const DjValue *timeframe_end = dj_get(info, "timeframeEnd");
	int64_t		secs;
	int64_t		end_secs;

	if (timeframe != NULL && timeframe->type != DJ_NULL)
		period = timeframe;
	else if (python_truthy(timeframe_start) || python_truthy(timeframe_end))
	{
		if (!python_truthy(timeframe_start) || !python_truthy(timeframe_end))
			return de_error(err, DE_ERR_INVALID,
							"timeframeStart and timeframeEnd are both required");
		period_start = timeframe_start;
		period_end = timeframe_end;
	}

	if (period != NULL && period->type != DJ_NULL)
	{
		if (!read_period(period, "statsPeriod", &secs, err))
			return false;
		req->start = now - secs * DE_USECS_PER_SEC;
		req->end = now;
		*kind = RANGE_RELATIVE;
	}
	else if (python_truthy(period_start) || python_truthy(period_end))
	{
		if (!python_truthy(period_start) || !python_truthy(period_end))
			return de_error(err, DE_ERR_INVALID,
							"statsPeriodStart and statsPeriodEnd are both required");
		if (!read_period(period_start, "statsPeriod", &secs, err) ||
			!read_period(period_end, "statsPeriod", &end_secs, err))
			return false;
		req->start = now - secs * DE_USECS_PER_SEC;
		req->end = now - end_secs * DE_USECS_PER_SEC;
		*kind = RANGE_RELATIVE;
	}
	else if (python_truthy(start) || python_truthy(end))
	{
		if (!python_truthy(start) || !python_truthy(end))
			return de_error(err, DE_ERR_INVALID, "start and end are both required");
		if (!read_iso_date(start, &req->start, err) ||
			!read_iso_date(end, &req->end, err))
			return false;
		*kind = RANGE_ABSOLUTE;
	}
	else
	{
		req->start = now - DE_DEFAULT_RANGE_SECS * DE_USECS_PER_SEC;
		req->end = now;
		*kind = RANGE_DEFAULT;
	}
	if (req->start >= req->end)
		return de_error(err, DE_ERR_INVALID, "start must be before end");
	return true;
}

static bool
read_dataset(const DjValue *info, ExportRequest *req, DeError *err)
{
	const DjValue *v = dj_get(info, "dataset");

	if (v == NULL || v->type == DJ_NULL)
	{
		req->dataset = de_strdup("discover");
		return true;
	}
	if (v->type != DJ_STRING)
		return fail_with_value(err, "", v, false, " is not supported for csv exports");
	req->dataset = de_strdup(v->str);
	return true;
}

/* The relative forms, replaced by the concrete start/end.  Sentry removes
 * only statsPeriod*; the timeframe aliases go too, so that what is stored
 * is a fixed range whichever key asked for it. */
static void
remove_stats_periods(DjValue *info)
{
	dj_remove(info, "statsPeriod");
	dj_remove(info, "statsPeriodStart");
	dj_remove(info, "statsPeriodEnd");
	dj_remove(info, "timeframe");
	dj_remove(info, "timeframeStart");
	dj_remove(info, "timeframeEnd");
}

static void
set_concrete_range(DjValue *info, const ExportRequest *req)
{
	char		buf[40];

	remove_stats_periods(info);
	de_format_iso_trim(req->start, buf);
	dj_set(info, "start", dj_new_string(buf));
	de_format_iso_trim(req->end, buf);
	dj_set(info, "end", dj_new_string(buf));
}

/*
 * info always carries the concrete range.  dedupe_info carries the range as
 * asked for: a relative or default range must compare equal to the same
 * request a moment later, so it keeps statsPeriod* and drops start/end.
 */
static void
apply_date_range(ExportRequest *req, RangeKind kind)
{
	req->dedupe_info = dj_clone(req->info);
	set_concrete_range(req->info, req);
	if (kind == RANGE_ABSOLUTE)
		set_concrete_range(req->dedupe_info, req);
	else
	{
		dj_remove(req->dedupe_info, "start");
		dj_remove(req->dedupe_info, "end");
	}
}

/*
 * The syntax of fields, equations and the search query (fields.h,
 * search.h).  What is parsed is kept in req (items, search) for the query
 * builder; on failure export_request_clear frees it.
 */
static bool
parse_discover_syntax(ExportRequest *req, DeError *err)
{
	int			n = req->nfields + req->nequations;

	req->items = de_alloc(sizeof(Field) * (size_t) (n + 1));
	memset(req->items, 0, sizeof(Field) * (size_t) (n + 1));
	for (int i = 0; i < req->nfields; i++)
	{
		if (!field_parse(req->fields[i], &req->items[i], err))
			return false;
	}
	for (int i = 0; i < req->nequations; i++)
	{
		if (!equation_parse(req->equations[i], &req->items[req->nfields + i], err))
			return false;
	}
	return search_parse(req->query, &req->search, err);
}

static bool
normalize_discover(const DjValue *query_info, de_time now,
				   ExportRequest *req, DeError *err)
{
	RangeKind	kind = RANGE_DEFAULT;

	req->info = dj_clone(query_info);
	if (!read_fields(req->info, req, err) ||
		!read_query(req->info, req, err) ||
		!read_projects(req->info, false, req, err) ||
		!resolve_date_range(req->info, now, req, &kind, err) ||
		!read_string_or_list(dj_get(req->info, "sort"), "sort", DE_MAX_SORT,
							 &req->sort, &req->nsort, err) ||
		!read_string_or_list(dj_get(req->info, "environment"), "environment",
							 DE_MAX_ENVIRONMENTS, &req->info_environments,
							 &req->ninfo_environments, err) ||
		!read_dataset(req->info, req, err))
		return false;
	apply_date_range(req, kind);
	return parse_discover_syntax(req, err);
}

/* ---------------------------------------------------------------------
 * Issues-by-Tag and SQL
 * ---------------------------------------------------------------------
 */

static bool
normalize_issues_by_tag(const DjValue *query_info, ExportRequest *req,
						DeError *err)
{
	const DjValue *key;
	const DjValue *group;

	req->info = dj_clone(query_info);
	if (!read_projects(req->info, true, req, err))
		return false;
	group = dj_get(req->info, "group");
	if (group == NULL || group->type == DJ_NULL)
		return de_error(err, DE_ERR_INVALID, "group: This field is required.");
	if (!value_as_id(group, &req->group))
		return de_error(err, DE_ERR_INVALID, "Invalid group ID");
	dj_set(req->info, "group", dj_new_int(req->group));

	key = dj_get(req->info, "key");
	if (key == NULL || key->type != DJ_STRING || key->str[0] == '\0')
		return de_error(err, DE_ERR_INVALID, "key: This field is required.");
	req->key = de_strdup(key->str);

	req->dedupe_info = dj_clone(req->info);
	return true;
}

static bool
normalize_sql(const DjValue *query_info, ExportRequest *req, DeError *err)
{
	const DjValue *sql = dj_get(query_info, "sql");

	if (sql == NULL || sql->type != DJ_STRING || is_blank(sql->str))
		return de_error(err, DE_ERR_INVALID, "sql: This field is required.");
	req->sql = de_strdup(sql->str);
	req->info = dj_clone(query_info);
	req->dedupe_info = dj_clone(query_info);
	return true;
}

/* ---------------------------------------------------------------------
 * Entry points
 * ---------------------------------------------------------------------
 */

static bool
normalize_root(const DjValue *root, de_time now, ExportRequest *req,
			   DeError *err)
{
	const DjValue *query_info = NULL;

	if (root->type != DJ_OBJECT)
		return de_error(err, DE_ERR_INVALID,
						"Invalid data. Expected a dictionary, but got %s.",
						python_type_name(root));
	if (!read_query_type(root, req, err) ||
		!read_query_info(root, &query_info, err) ||
		!read_organization(root, req, err) ||
		!read_limit(root, req, err) ||
		!read_output_options(root, req, err) ||
		!read_string_or_list(dj_get(root, "environment"), "environment",
							 DE_MAX_ENVIRONMENTS, &req->environments, &req->nenvironments, err))
		return false;

	switch (req->type)
	{
		case EQT_DISCOVER:
			return normalize_discover(query_info, now, req, err);
		case EQT_ISSUES_BY_TAG:
			return normalize_issues_by_tag(query_info, req, err);
		case EQT_SQL:
			return normalize_sql(query_info, req, err);
	}
	return false;
}

bool
payload_normalize(const DjValue *payload, de_time now,
				  ExportRequest *out, DeError *err)
{
	bool		ok;

	memset(out, 0, sizeof(*out));
	if (payload == NULL)
		return de_error(err, DE_ERR_INVALID, "No data provided");
	ok = normalize_root(payload, now, out, err);
	if (!ok)
		export_request_clear(out);
	return ok;
}

void
payload_set_projects(ExportRequest *req, const int64_t *ids, int n)
{
	de_free(req->projects);
	req->projects = NULL;
	req->nprojects = 0;
	if (n > 0)
	{
		req->projects = de_alloc((size_t) n * sizeof(int64_t));
		memcpy(req->projects, ids, (size_t) n * sizeof(int64_t));
		req->nprojects = n;
	}
	if (req->info != NULL)
		dj_set(req->info, "project", int_list(ids, n));
	if (req->dedupe_info != NULL)
		dj_set(req->dedupe_info, "project", int_list(ids, n));
}

void
export_request_clear(ExportRequest *req)
{
	if (req == NULL)
		return;
	dj_free(req->info);
	dj_free(req->dedupe_info);
	free_string_array(req->environments, req->nenvironments);
	de_free(req->projects);
	free_string_array(req->fields, req->nfields);
	free_string_array(req->equations, req->nequations);
	de_free(req->query);
	free_string_array(req->sort, req->nsort);
	free_string_array(req->info_environments, req->ninfo_environments);
	de_free(req->dataset);
	if (req->items != NULL)
	{
		for (int i = 0; i < req->nfields + req->nequations; i++)
			field_clear(&req->items[i]);
		de_free(req->items);
	}
	if (req->search != NULL)
		search_free(req->search);
	de_free(req->key);
	de_free(req->sql);
	memset(req, 0, sizeof(*req));
}
