/*
 * test_dates.c
 *	  Unit tests of dates.c: ISO 8601 parsing, statsPeriod, relative times
 *	  and the output formats.
 *
 * Table rows are single cmocka tests.  One more test walks every day of
 * years 1..9999 with a naive calendar and checks parser and formatter
 * against it, because the civil-date arithmetic is where off-by-one errors
 * hide.
 */
#include "case_runner.h"

#include "dates.h"

#define SECS(s) ((de_time) (s) * DE_USECS_PER_SEC)

/* 2026-11-28T01:02:03Z */
#define T_2026_11_28 SECS(INT64_C(1795827723))

/* ---- ISO 8601 parsing ---- */

typedef struct IsoCase
{
	const char *name;
	const char *in;
	bool		ok;
	de_time		want;
} IsoCase;

static const IsoCase iso_cases[] = {
	{"epoch", "1970-01-01T00:00:00Z", true, 0},
	{"date only", "2026-11-28", true, SECS(INT64_C(1795824000))},
	{"minutes", "2026-11-28T01:02", true, T_2026_11_28 - SECS(3)},
	{"seconds", "2026-11-28T01:02:03", true, T_2026_11_28},
	{"space separator", "2026-11-28 01:02:03", true, T_2026_11_28},
	{"Z", "2026-11-28T01:02:03Z", true, T_2026_11_28},
	{"one fraction digit", "2026-11-28T01:02:03.5", true, T_2026_11_28 + 500000},
	{"three fraction digits", "2026-11-28T01:02:03.123Z", true, T_2026_11_28 + 123000},
	{"six fraction digits", "2026-11-28T01:02:03.123456", true, T_2026_11_28 + 123456},
	{"zero fraction", "2026-11-28T01:02:03.000000", true, T_2026_11_28},
	{"offset +HH:MM", "2026-11-28T03:32:03+02:30", true, T_2026_11_28},
	{"offset -HH:MM", "2026-11-27T23:02:03-02:00", true, T_2026_11_28},
	{"offset +HHMM", "2026-11-28T02:02:03+0100", true, T_2026_11_28},
	{"offset +HH", "2026-11-28T02:02:03+01", true, T_2026_11_28},
	{"offset zero", "2026-11-28T01:02:03+00:00", true, T_2026_11_28},
	{"offset with fraction", "2026-11-28T02:02:03.25+01:00", true, T_2026_11_28 + 250000},
	{"offset crossing the year", "2027-01-01T00:30:00+01:00", true, SECS(INT64_C(1798759800))},
	{"date with Z", "2026-11-28Z", true, SECS(INT64_C(1795824000))},
	{"leap day 2024", "2024-02-29T00:00:00", true, SECS(INT64_C(1709164800))},
	{"leap day 2000", "2000-02-29T12:00:00", true, SECS(INT64_C(951825600))},
	{"before epoch", "1969-12-31T23:59:59", true, SECS(-1)},
	{"before epoch with fraction", "1969-12-31T23:59:59.5", true, -500000},
	{"1900 march", "1900-03-01", true, SECS(INT64_C(-2203891200))},
	{"year 1", "0001-01-01T00:00:00", true, SECS(INT64_C(-62135596800))},
	{"year 9999", "9999-12-31T23:59:59", true, SECS(INT64_C(253402300799))},
	{"end of day", "2026-11-28T23:59:59", true, SECS(INT64_C(1795910399))},

	{"empty", "", false, 0},
	{"word", "shrug", false, 0},
	{"year only", "2026", false, 0},
	{"year and month", "2026-11", false, 0},
	{"two digit year", "26-11-28", false, 0},
	{"five digit year", "20260-11-28", false, 0},
	{"year 0", "0000-01-01", false, 0},
	{"month 0", "2026-00-10", false, 0},
	{"month 13", "2026-13-10", false, 0},
	{"day 0", "2026-11-00", false, 0},
	{"day 31 in november", "2026-11-31", false, 0},
	{"day 32", "2026-01-32", false, 0},
	{"feb 29 in common year", "2026-02-29", false, 0},
	{"feb 29 in 1900", "1900-02-29", false, 0},
	{"feb 30 in leap year", "2024-02-30", false, 0},
	{"one digit month", "2026-1-28", false, 0},
	{"slashes", "2026/11/28", false, 0},
	{"hour 24", "2026-11-28T24:00:00", false, 0},
	{"minute 60", "2026-11-28T01:60:00", false, 0},
	{"second 60", "2026-11-28T01:02:60", false, 0},
	{"hour only", "2026-11-28T01", false, 0},
	{"T without time", "2026-11-28T", false, 0},
	{"one digit hour", "2026-11-28T1:02:03", false, 0},
	{"seven fraction digits", "2026-11-28T01:02:03.1234567", false, 0},
	{"empty fraction", "2026-11-28T01:02:03.", false, 0},
	{"fraction without seconds", "2026-11-28T01:02.5", false, 0},
	{"two spaces", "2026-11-28  01:02:03", false, 0},
	{"leading space", " 2026-11-28", false, 0},
	{"trailing space", "2026-11-28 ", false, 0},
	{"trailing garbage", "2026-11-28T01:02:03Zx", false, 0},
	{"lowercase z", "2026-11-28T01:02:03z", false, 0},
	{"offset hour 24", "2026-11-28T01:02:03+24:00", false, 0},
	{"offset minute 60", "2026-11-28T01:02:03+01:60", false, 0},
	{"offset one digit", "2026-11-28T01:02:03+1", false, 0},
	{"offset three digits", "2026-11-28T01:02:03+013", false, 0},
	{"offset without digits", "2026-11-28T01:02:03+", false, 0},
	{"Z and offset", "2026-11-28T01:02:03Z+01:00", false, 0},
};

static void
test_iso(void **state)
{
	const IsoCase *c = *state;
	de_time		got = 42;

	assert_int_equal(de_parse_iso8601(c->in, &got), c->ok);
	if (c->ok)
		assert_int_equal(got, c->want);
	else
		assert_int_equal(got, 42);	/* untouched on failure */
}

/* ---- statsPeriod and relative times ---- */

typedef struct PeriodCase
{
	const char *name;
	const char *in;
	bool		ok;
	int64_t		want;
} PeriodCase;

static const PeriodCase stats_period_cases[] = {
	{"days", "14d", true, 14 * 86400},
	{"bare seconds", "3600", true, 3600},
	{"seconds", "30s", true, 30},
	{"minutes", "15m", true, 900},
	{"hours", "24h", true, 86400},
	{"week", "1w", true, 7 * 86400},
	{"zero", "0", true, 0},
	{"leading zeros", "007d", true, 7 * 86400},
	{"90 days", "90d", true, 90 * 86400},
	{"100 years in days", "36525d", true, INT64_C(36525) * 86400},
	{"shrug", "shrug", false, 0},
	{"unknown unit", "10x", false, 0},
	{"empty", "", false, 0},
	{"unit only", "d", false, 0},
	{"two units", "1dh", false, 0},
	{"negative", "-1d", false, 0},
	{"plus", "+1d", false, 0},
	{"space", "1 d", false, 0},
	{"trailing space", "1d ", false, 0},
	{"uppercase unit", "1D", false, 0},
	{"fraction", "1.5d", false, 0},
	{"over 100 years", "36526d", false, 0},
	{"huge weeks", "100000w", false, 0},
	{"digits overflowing int64", "99999999999999999999999999", false, 0},
};

static const PeriodCase relative_cases[] = {
	{"minus hours", "-24h", true, -86400},
	{"minus days", "-7d", true, -7 * 86400},
	{"plus minutes", "+30m", true, 1800},
	{"minus seconds", "-5s", true, -5},
	{"minus weeks", "-2w", true, -14 * 86400},
	{"no sign", "24h", false, 0},
	{"no unit", "-24", false, 0},
	{"sign only", "-", false, 0},
	{"unknown unit", "-10x", false, 0},
	{"double sign", "--1d", false, 0},
	{"trailing text", "-1dd", false, 0},
	{"empty", "", false, 0},
	{"overflow", "-99999999999999999999d", false, 0},
};

static void
test_stats_period(void **state)
{
	const PeriodCase *c = *state;
	int64_t		got = 42;

	assert_int_equal(de_parse_stats_period(c->in, &got), c->ok);
	if (c->ok)
		assert_int_equal(got, c->want);
}

static void
test_relative(void **state)
{
	const PeriodCase *c = *state;
	int64_t		got = 42;

	assert_int_equal(de_parse_relative_time(c->in, &got), c->ok);
	if (c->ok)
		assert_int_equal(got, c->want);
}

/* ---- formatters ---- */

typedef void (*Formatter) (de_time t, char *buf);

typedef struct FormatCase
{
	const char *name;
	Formatter	fn;
	de_time		t;
	const char *want;
} FormatCase;

static const FormatCase format_cases[] = {
	{"us: whole second", de_format_iso_us, T_2026_11_28, "2026-11-28T01:02:03.000000Z"},
	{"us: micros", de_format_iso_us, T_2026_11_28 + 123456, "2026-11-28T01:02:03.123456Z"},
	{"us: padded", de_format_iso_us, T_2026_11_28 + 7, "2026-11-28T01:02:03.000007Z"},
	{"us: before epoch", de_format_iso_us, -1, "1969-12-31T23:59:59.999999Z"},
	{"us: year 1", de_format_iso_us, SECS(INT64_C(-62135596800)), "0001-01-01T00:00:00.000000Z"},
	{"us: year 9999", de_format_iso_us, SECS(INT64_C(253402300799)), "9999-12-31T23:59:59.000000Z"},

	{"trim: whole second", de_format_iso_trim, T_2026_11_28, "2026-11-28T01:02:03Z"},
	{"trim: half", de_format_iso_trim, T_2026_11_28 + 500000, "2026-11-28T01:02:03.5Z"},
	{"trim: millis", de_format_iso_trim, T_2026_11_28 + 123000, "2026-11-28T01:02:03.123Z"},
	{"trim: micros", de_format_iso_trim, T_2026_11_28 + 123456, "2026-11-28T01:02:03.123456Z"},
	{"trim: one micro", de_format_iso_trim, T_2026_11_28 + 1, "2026-11-28T01:02:03.000001Z"},
	{"trim: inner zeros kept", de_format_iso_trim, T_2026_11_28 + 100200, "2026-11-28T01:02:03.1002Z"},
	{"trim: before epoch", de_format_iso_trim, -500000, "1969-12-31T23:59:59.5Z"},

	{"filename: 2026-11-28", de_format_filename_date, T_2026_11_28, "2026-November-28"},
	{"filename: january", de_format_filename_date, SECS(0), "1970-January-01"},
	{"filename: leap day", de_format_filename_date, SECS(INT64_C(1709164800)), "2024-February-29"},
	{"filename: last second of a day", de_format_filename_date, SECS(INT64_C(1795910399)), "2026-November-28"},
	{"filename: december", de_format_filename_date, SECS(INT64_C(1798761600)) - 1, "2026-December-31"},
};

static void
test_format(void **state)
{
	const FormatCase *c = *state;
	char		buf[40];

	memset(buf, 'x', sizeof(buf));
	c->fn(c->t, buf);
	assert_string_equal(buf, c->want);
}

/* ---- fixed tests ---- */

/* Every day of years 1..9999 against a naive calendar, both directions. */
static void
test_every_day(void **state)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	de_time		t = SECS(INT64_C(-62135596800));	/* 0001-01-01 */
	char		text[32];
	char		buf[40];
	char		want[48];

	(void) state;
	for (int year = 1; year <= 9999; year++)
	{
		bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

		for (int month = 1; month <= 12; month++)
		{
			int			ndays = mdays[month - 1] + (month == 2 && leap);

			for (int day = 1; day <= ndays; day++)
			{
				de_time		got;

				snprintf(text, sizeof(text), "%04d-%02d-%02d", year, month, day);
				if (!de_parse_iso8601(text, &got) || got != t)
					fail_msg("parse of %s", text);
				de_format_iso_trim(t, buf);
				snprintf(want, sizeof(want), "%sT00:00:00Z", text);
				if (strcmp(buf, want) != 0)
					fail_msg("format of %s gave %s", text, buf);
				t += SECS(86400);
			}
			/* the day after the last is invalid */
			snprintf(text, sizeof(text), "%04d-%02d-%02d", year, month, ndays + 1);
			assert_false(de_parse_iso8601(text, &(de_time) {0}));
		}
	}
}

/* Formatting never overflows the 40-byte buffer nor crashes, whatever t. */
static void
test_extreme_times(void **state)
{
	static const de_time extremes[] = {
		INT64_MIN, INT64_MIN + 1, INT64_MAX, INT64_MAX - 1, -1, 0,
		SECS(INT64_C(-210866803200)),	/* 4713 BC, PostgreSQL's minimum */
	};
	char		buf[40];

	(void) state;
	for (size_t i = 0; i < NELEMS(extremes); i++)
	{
		de_format_iso_us(extremes[i], buf);
		assert_true(strlen(buf) < sizeof(buf));
		de_format_iso_trim(extremes[i], buf);
		assert_true(strlen(buf) < sizeof(buf));
		de_format_filename_date(extremes[i], buf);
		assert_true(strlen(buf) < sizeof(buf));
	}
	de_format_iso_us(INT64_MAX, buf);
	assert_string_equal(buf, "294247-01-10T04:00:54.775807Z");
}

static void
test_format_parse_round_trip(void **state)
{
	char		buf[40];
	de_time		got;

	(void) state;
	/* a spread of instants, including negative ones and odd micros */
	for (de_time t = SECS(INT64_C(-62135596800)); t < SECS(INT64_C(253402300799));
		 t += INT64_C(7777777777777) + 123457)
	{
		de_format_iso_us(t, buf);
		assert_true(de_parse_iso8601(buf, &got));
		assert_int_equal(got, t);
		de_format_iso_trim(t, buf);
		assert_true(de_parse_iso8601(buf, &got));
		assert_int_equal(got, t);
	}
}

static void
test_null_inputs(void **state)
{
	de_time		t;
	int64_t		secs;

	(void) state;
	assert_false(de_parse_iso8601(NULL, &t));
	assert_false(de_parse_stats_period(NULL, &secs));
	assert_false(de_parse_relative_time(NULL, &secs));
}

/* Sentry's parse_datetime_string fallback: float(value) seconds, UTC. */
static void
test_unix_timestamps(void **state)
{
	de_time		t;

	(void) state;
	assert_true(de_parse_unix_timestamp("1589896800", &t));
	assert_int_equal(t, INT64_C(1589896800) * DE_USECS_PER_SEC);
	assert_true(de_parse_unix_timestamp("1589896800Z", &t));
	assert_int_equal(t, INT64_C(1589896800) * DE_USECS_PER_SEC);
	assert_true(de_parse_unix_timestamp("1589896800+02:00", &t));	/* cut, not applied */
	assert_int_equal(t, INT64_C(1589896800) * DE_USECS_PER_SEC);
	assert_true(de_parse_unix_timestamp(" +1.5e0\t", &t));
	assert_int_equal(t, INT64_C(1500000));
	assert_true(de_parse_unix_timestamp("-0.5", &t));
	assert_int_equal(t, INT64_C(-500000));
	assert_true(de_parse_unix_timestamp(".0000005", &t));	/* half to even */
	assert_int_equal(t, 0);
	assert_true(de_parse_unix_timestamp("-62135596800", &t));	/* 0001-01-01 */
	assert_true(de_parse_unix_timestamp("253402300799.5", &t));
	assert_false(de_parse_unix_timestamp("253402300799.9999999", &t));	/* 10000-01-01 as a double */
	assert_false(de_parse_unix_timestamp("253402300800", &t));
	assert_false(de_parse_unix_timestamp("-62135596801", &t));
	assert_false(de_parse_unix_timestamp("inf", &t));
	assert_false(de_parse_unix_timestamp("nan", &t));
	assert_false(de_parse_unix_timestamp("0x10", &t));
	assert_false(de_parse_unix_timestamp("1e", &t));
	assert_false(de_parse_unix_timestamp(".", &t));
	assert_false(de_parse_unix_timestamp("", &t));
	assert_false(de_parse_unix_timestamp("Z", &t));
	assert_false(de_parse_unix_timestamp("1 2", &t));
	assert_false(de_parse_unix_timestamp(NULL, &t));
}

/* ---- runner ---- */

int
main(void)
{
	static const FixedTest fixed[] = {
		{"every day of years 1..9999", test_every_day},
		{"extreme times format safely", test_extreme_times},
		{"format then parse round trip", test_format_parse_round_trip},
		{"NULL inputs", test_null_inputs},
		{"Unix timestamps", test_unix_timestamps},
	};
	CaseList	list;

	case_list_init(&list);
	CASE_TABLE(&list, "iso8601", iso_cases, test_iso);
	CASE_TABLE(&list, "statsPeriod", stats_period_cases, test_stats_period);
	CASE_TABLE(&list, "relative", relative_cases, test_relative);
	CASE_TABLE(&list, "format", format_cases, test_format);
	CASE_FIXED(&list, "dates", fixed);
	return case_list_run(&list, "dates");
}
