/*
 * dates.h
 *	  Time values of the payload and of the output: ISO 8601 parsing,
 *	  Sentry's statsPeriod, and the output formats.
 */
#ifndef DATAEXPORT_DATES_H
#define DATAEXPORT_DATES_H

#include "pure.h"

/* Microseconds since 1970-01-01T00:00:00Z. */
typedef int64_t de_time;

#define DE_USECS_PER_SEC INT64_C(1000000)

/*
 * Parses what Sentry's parse_datetime_string accepts, as UTC:
 *   YYYY-MM-DD
 *   YYYY-MM-DDTHH:MM[:SS[.f{1,6}]]   ('T' or one space as separator)
 * optionally followed by 'Z' or an offset +HH:MM / -HH:MM / +HHMM / +HH.
 * A time without offset is UTC.  Fields are range-checked (month 1-12, day
 * valid for the month incl. leap years, hour 0-23, minute 0-59, second 0-59).
 * Years 1..9999.  Returns false on anything else (no partial parses).
 */
extern bool de_parse_iso8601(const char *s, de_time *out);

/*
 * The fallback of Sentry's parse_datetime_string: after dropping a trailing
 * 'Z' and then a 6-character suffix that starts with '+', the text as
 * Python's float() reads it (surrounding spaces, sign, fraction, exponent;
 * not inf or nan) is seconds since the epoch, UTC ("1589896800"), rounded to
 * the microsecond.  Years 1..9999, like Python's datetime.
 */
extern bool de_parse_unix_timestamp(const char *s, de_time *out);

/* Sentry's statsPeriod: ^\d+[smhdw]?$ (no unit = seconds).  Returns false on
 * anything else or on overflow (more than 100 years is overflow). */
extern bool de_parse_stats_period(const char *s, int64_t *seconds);

/* Relative search times like "-24h", "-7d", "+30m": sign, digits, unit in
 * [smhdw].  Stores the signed offset in seconds. */
extern bool de_parse_relative_time(const char *s, int64_t *seconds);

/* "2026-11-28T01:02:03.123456Z", always six digits.  (CSV/JSONL values,
 * Issues-by-Tag dates.)  buf >= 40 bytes. */
extern void de_format_iso_us(de_time t, char *buf);

/* "2026-11-28T01:02:03Z" or with the fraction's trailing zeros trimmed
 * ("...:03.5Z").  (Normalized start/end in query.info.)  buf >= 40 bytes. */
extern void de_format_iso_trim(de_time t, char *buf);

/* "2026-November-28" (strftime %Y-%B-%d in the C locale, UTC). buf >= 40. */
extern void de_format_filename_date(de_time t, char *buf);

#endif
