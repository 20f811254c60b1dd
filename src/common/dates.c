/*
 * dates.c
 *	  ISO 8601 parsing and formatting, Sentry's statsPeriod and relative
 *	  search times.
 *
 * Everything is UTC and computed here from the proleptic Gregorian calendar
 * (Howard Hinnant's days-from-civil algorithms), never with libc's time
 * functions: those depend on TZ and the locale, and the output must be the
 * same in every server and in the unit tests.
 */
#include "dates.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#define SECS_PER_DAY INT64_C(86400)
#define USECS_PER_DAY (SECS_PER_DAY * DE_USECS_PER_SEC)

/* statsPeriod and relative times longer than this are refused as overflow */
#define MAX_PERIOD_SECS (INT64_C(36525) * SECS_PER_DAY)	/* 100 years */

static const char *const month_names[12] = {
	"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"
};

typedef struct CivilTime
{
	int64_t		year;
	int			month;			/* 1-12 */
	int			day;			/* 1-31 */
	int			hour;
	int			minute;
	int			second;
	int			usec;			/* 0-999999 */
} CivilTime;

/* ---------------------------------------------------------------------
 * Calendar arithmetic
 * ---------------------------------------------------------------------
 */

static bool
is_leap_year(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(int64_t year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap_year(year))
		return 29;
	return days[month - 1];
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t year, int month, int day)
{
	int64_t		y = month <= 2 ? year - 1 : year;
	int64_t		era = floor_div(y, 400);
	int64_t		yoe = y - era * 400;	/* [0, 399] */
	int64_t		mp = (month + 9) % 12;	/* March = 0 */
	int64_t		doy = (153 * mp + 2) / 5 + day - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t days, CivilTime *ct)
{
	int64_t		z = days + 719468;
	int64_t		era = floor_div(z, 146097);
	int64_t		doe = z - era * 146097; /* [0, 146096] */
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			month = (int) (mp < 10 ? mp + 3 : mp - 9);

	ct->day = (int) (doy - (153 * mp + 2) / 5 + 1);
	ct->month = month;
	ct->year = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

static void
time_to_civil(de_time t, CivilTime *ct)
{
	int64_t		days = t / USECS_PER_DAY;
	int64_t		usec_of_day = t % USECS_PER_DAY;
	int64_t		secs;

	/* floor, without computing days * USECS_PER_DAY (overflows near
	 * INT64_MIN) */
	if (usec_of_day < 0)
	{
		usec_of_day += USECS_PER_DAY;
		days--;
	}
	secs = usec_of_day / DE_USECS_PER_SEC;

	civil_from_days(days, ct);
	ct->hour = (int) (secs / 3600);
	ct->minute = (int) (secs / 60 % 60);
	ct->second = (int) (secs % 60);
	ct->usec = (int) (usec_of_day % DE_USECS_PER_SEC);
}

/* ---------------------------------------------------------------------
 * Parsing
 * ---------------------------------------------------------------------
 */

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Exactly n digits at *s; advances past them. */
static bool
take_digits(const char **s, int n, int *out)
{
	int			value = 0;

	for (int i = 0; i < n; i++)
	{
		if (!is_digit((*s)[i]))
			return false;
		value = value * 10 + ((*s)[i] - '0');
	}
	*s += n;
	*out = value;
	return true;
}

static bool
take_char(const char **s, char c)
{
	if (**s != c)
		return false;
	(*s)++;
	return true;
}

static bool
parse_date_part(const char **s, CivilTime *ct)
{
	int			year;

	if (!take_digits(s, 4, &year) || !take_char(s, '-') ||
		!take_digits(s, 2, &ct->month) || !take_char(s, '-') ||
		!take_digits(s, 2, &ct->day))
		return false;
	ct->year = year;
	return year >= 1 && ct->month >= 1 && ct->month <= 12 &&
		ct->day >= 1 && ct->day <= days_in_month(year, ct->month);
}

/* .f{1,6}, scaled to microseconds */
static bool
parse_fraction(const char **s, int *usec)
{
	int			digits = 0;
	int			value = 0;

	while (is_digit(**s))
	{
		if (++digits > 6)
			return false;
		value = value * 10 + (**s - '0');
		(*s)++;
	}
	if (digits == 0)
		return false;
	for (; digits < 6; digits++)
		value *= 10;
	*usec = value;
	return true;
}

/* HH:MM[:SS[.f]] */
static bool
parse_time_part(const char **s, CivilTime *ct)
{
	if (!take_digits(s, 2, &ct->hour) || !take_char(s, ':') ||
		!take_digits(s, 2, &ct->minute))
		return false;
	if (take_char(s, ':'))
	{
		if (!take_digits(s, 2, &ct->second))
			return false;
		if (take_char(s, '.') && !parse_fraction(s, &ct->usec))
			return false;
	}
	return ct->hour <= 23 && ct->minute <= 59 && ct->second <= 59;
}

/* Z, +HH:MM, -HH:MM, +HHMM or +HH; the offset east of UTC in seconds. */
static bool
parse_zone(const char **s, int64_t *offset_secs)
{
	int			sign;
	int			hours;
	int			minutes = 0;

	*offset_secs = 0;
	if (take_char(s, 'Z'))
		return true;
	if (take_char(s, '+'))
		sign = 1;
	else if (take_char(s, '-'))
		sign = -1;
	else
		return true;			/* no zone: UTC */
	if (!take_digits(s, 2, &hours))
		return false;
	if (take_char(s, ':'))
	{
		if (!take_digits(s, 2, &minutes))
			return false;
	}
	else if (is_digit(**s) && !take_digits(s, 2, &minutes))
		return false;
	if (hours > 23 || minutes > 59)
		return false;
	*offset_secs = sign * (hours * INT64_C(3600) + minutes * INT64_C(60));
	return true;
}

bool
de_parse_iso8601(const char *s, de_time *out)
{
	CivilTime	ct = {0};
	int64_t		offset_secs;
	int64_t		secs;

	if (s == NULL || !parse_date_part(&s, &ct))
		return false;
	if (*s == 'T' || *s == ' ')
	{
		s++;
		if (!parse_time_part(&s, &ct))
			return false;
	}
	if (!parse_zone(&s, &offset_secs) || *s != '\0')
		return false;

	secs = days_from_civil(ct.year, ct.month, ct.day) * SECS_PER_DAY +
		ct.hour * INT64_C(3600) + ct.minute * INT64_C(60) + ct.second -
		offset_secs;
	*out = secs * DE_USECS_PER_SEC + ct.usec;
	return true;
}

static bool
is_ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\f' || c == '\v';
}

/* Python's float() syntax without inf, nan and digit underscores:
 * [space][sign](digits[.digits] | .digits)[(e|E)[sign]digits][space] */
static bool
is_python_float(const char *s)
{
	int			digits = 0;

	while (is_ascii_space(*s))
		s++;
	if (*s == '+' || *s == '-')
		s++;
	for (; is_digit(*s); s++)
		digits++;
	if (*s == '.')
		for (s++; is_digit(*s); s++)
			digits++;
	if (digits == 0)
		return false;
	if (*s == 'e' || *s == 'E')
	{
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
	}
	while (is_ascii_space(*s))
		s++;
	return *s == '\0';
}

/* 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z in seconds */
#define MIN_UNIX_SECS (-62135596800.0)
#define END_UNIX_SECS 253402300800.0

bool
de_parse_unix_timestamp(const char *s, de_time *out)
{
	char		buf[64];
	size_t		len;
	double		d;
	double		secs;
	double		usec;

	if (s == NULL)
		return false;
	len = strlen(s);
	/* parse_datetime_string drops these before it tries anything */
	if (len > 0 && s[len - 1] == 'Z')
		len--;
	if (len >= 6 && s[len - 6] == '+')
		len -= 6;
	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!is_python_float(buf))
		return false;
	d = strtod(buf, NULL);
	if (!(d >= MIN_UNIX_SECS && d < END_UNIX_SECS))
		return false;
	/* datetime.utcfromtimestamp: microseconds rounded half to even */
	secs = floor(d);
	usec = rint((d - secs) * 1e6);
	*out = (de_time) secs * DE_USECS_PER_SEC + (de_time) usec;
	return *out < (de_time) END_UNIX_SECS * DE_USECS_PER_SEC;
}

static bool
unit_seconds(char unit, int64_t *secs)
{
	switch (unit)
	{
		case 's':
			*secs = 1;
			return true;
		case 'm':
			*secs = 60;
			return true;
		case 'h':
			*secs = 3600;
			return true;
		case 'd':
			*secs = SECS_PER_DAY;
			return true;
		case 'w':
			*secs = 7 * SECS_PER_DAY;
			return true;
		default:
			return false;
	}
}

/*
 * digits followed by a unit (required or optional), nothing after; the
 * total in seconds, at most MAX_PERIOD_SECS.
 */
static bool
parse_period(const char *s, bool unit_required, int64_t *seconds)
{
	int64_t		value = 0;
	int64_t		multiplier = 1;
	const char *p = s;

	for (; is_digit(*p); p++)
	{
		value = value * 10 + (*p - '0');
		if (value > MAX_PERIOD_SECS)
			return false;
	}
	if (p == s)
		return false;
	if (*p != '\0')
	{
		if (!unit_seconds(*p, &multiplier) || p[1] != '\0')
			return false;
	}
	else if (unit_required)
		return false;
	if (value > MAX_PERIOD_SECS / multiplier)
		return false;
	*seconds = value * multiplier;
	return true;
}

bool
de_parse_stats_period(const char *s, int64_t *seconds)
{
	if (s == NULL)
		return false;
	return parse_period(s, false, seconds);
}

bool
de_parse_relative_time(const char *s, int64_t *seconds)
{
	int64_t		magnitude;

	if (s == NULL || (s[0] != '-' && s[0] != '+'))
		return false;
	if (!parse_period(s + 1, true, &magnitude))
		return false;
	*seconds = s[0] == '-' ? -magnitude : magnitude;
	return true;
}

/* ---------------------------------------------------------------------
 * Formatting
 * ---------------------------------------------------------------------
 */

/* "YYYY-MM-DDTHH:MM:SS", the length written */
static int
format_seconds_part(const CivilTime *ct, char *buf)
{
	return sprintf(buf, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d",
				   ct->year, ct->month, ct->day,
				   ct->hour, ct->minute, ct->second);
}

/* n decimal digits of v (0 <= v < 10^n), zero padded */
static inline void
put_digits(char *buf, int64_t v, int n)
{
	while (n-- > 0)
	{
		buf[n] = (char) ('0' + v % 10);
		v /= 10;
	}
}

/*
 * The export writes one of these per timestamp cell: years 0..9999 are
 * formatted digit by digit (the same bytes as the sprintf formats, which
 * the other years still take), as sprintf dominated the cost.
 */
void
de_format_iso_us(de_time t, char *buf)
{
	CivilTime	ct;
	int			n;

	time_to_civil(t, &ct);
	if (ct.year >= 0 && ct.year <= 9999)
	{
		put_digits(buf, ct.year, 4);
		buf[4] = '-';
		put_digits(buf + 5, ct.month, 2);
		buf[7] = '-';
		put_digits(buf + 8, ct.day, 2);
		buf[10] = 'T';
		put_digits(buf + 11, ct.hour, 2);
		buf[13] = ':';
		put_digits(buf + 14, ct.minute, 2);
		buf[16] = ':';
		put_digits(buf + 17, ct.second, 2);
		buf[19] = '.';
		put_digits(buf + 20, ct.usec, 6);
		buf[26] = 'Z';
		buf[27] = '\0';
		return;
	}
	n = format_seconds_part(&ct, buf);
	sprintf(buf + n, ".%06dZ", ct.usec);
}

void
de_format_iso_trim(de_time t, char *buf)
{
	CivilTime	ct;
	int			n;

	time_to_civil(t, &ct);
	n = format_seconds_part(&ct, buf);
	if (ct.usec != 0)
	{
		n += sprintf(buf + n, ".%06d", ct.usec);
		while (buf[n - 1] == '0')
			n--;
	}
	strcpy(buf + n, "Z");
}

void
de_format_filename_date(de_time t, char *buf)
{
	CivilTime	ct;

	time_to_civil(t, &ct);
	sprintf(buf, "%" PRId64 "-%s-%02d",
			ct.year, month_names[ct.month - 1], ct.day);
}
