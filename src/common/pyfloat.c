/*
 * pyfloat.c
 *	  Python's float repr in C (see pyfloat.h), so that Discover exports
 *	  write averages, percentiles and equations as Sentry's do.
 *
 * Why not PostgreSQL's float8out: with extra_float_digits > 0 (the default
 * since PostgreSQL 12) it also writes the shortest digits that round-trip,
 * but it writes a whole value without ".0" ("500"), switches to exponent
 * notation from 10**15 on where Python does from 10**16, and writes NaN and
 * Infinity where Python writes nan and inf.  With extra_float_digits <= 0 it
 * writes 15 significant digits, which do not round-trip.  So the digits are
 * found here and laid out as Python's float_repr_style "short" does.
 *
 * The digits: for p = 1..17, the correctly rounded p-digit decimal
 * (snprintf "%.*e") is the nearest p-digit decimal to x; if it reads back
 * (strtod) as x, it is the answer.  Near a power of two the interval of
 * decimals that read back as x is lopsided, so when the nearest one misses
 * it the neighbour on the other side of x (one unit in the last digit away)
 * may still hit it: that one is tried too before going to p + 1.
 */
#include "pyfloat.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Splits snprintf's "d.ddde[+-]XX" (x > 0) into its digits (no point) and
 * decimal exponent.  Returns the number of digits.
 */
static int
split_exp(const char *s, char *digits, int *exp10)
{
	int			n = 0;

	for (; *s && *s != 'e'; s++)
	{
		if (*s >= '0' && *s <= '9')
			digits[n++] = *s;
	}
	digits[n] = '\0';
	*exp10 = (*s == 'e') ? atoi(s + 1) : 0;
	return n;
}

/* digits (n of them) and exp10 as "d.ddde<exp10>", read back by strtod */
static double
read_back(const char *digits, int n, int exp10)
{
	char		buf[48];
	int			len = 0;

	buf[len++] = digits[0];
	if (n > 1)
	{
		buf[len++] = '.';
		memcpy(buf + len, digits + 1, n - 1);
		len += n - 1;
	}
	snprintf(buf + len, sizeof(buf) - len, "e%d", exp10);
	return strtod(buf, NULL);
}

/*
 * Adds delta (+1 or -1) to the last of n digits, carrying; keeps n digits by
 * adjusting exp10 when the carry makes "99" into "100" or a borrow makes
 * "10" into "09".  False when there is no such neighbour.
 */
static bool
step_digits(char *digits, int n, int *exp10, int delta)
{
	int			i = n - 1;

	if (delta > 0)
	{
		while (i >= 0 && digits[i] == '9')
			digits[i--] = '0';
		if (i < 0)
		{
			/* 99..9 + 1 = 100..0: one more digit; keep n by dropping a 0 */
			digits[0] = '1';
			for (int j = 1; j < n; j++)
				digits[j] = '0';
			(*exp10)++;
			return true;
		}
		digits[i]++;
		return true;
	}
	while (i >= 0 && digits[i] == '0')
		digits[i--] = '9';
	if (i < 0)
		return false;
	digits[i]--;
	if (digits[0] == '0')
	{
		/* 10..0 - 1 = 09..9: n - 1 significant digits, plus a 9 */
		if (n == 1)
			return false;
		memmove(digits, digits + 1, n - 1);
		digits[n - 1] = '9';
		(*exp10)--;
	}
	return true;
}

/* The shortest round-tripping digits of x > 0 (finite); returns n. */
static int
shortest_digits(double x, char *digits, int *exp10)
{
	char		buf[48];
	int			n = 0;

	for (int p = 1; p <= 17; p++)
	{
		char		cand[24];
		int			e;

		snprintf(buf, sizeof(buf), "%.*e", p - 1, x);
		n = split_exp(buf, digits, exp10);
		if (read_back(digits, n, *exp10) == x)
			break;
		/* the neighbour on the other side of x */
		memcpy(cand, digits, n + 1);
		e = *exp10;
		if (step_digits(cand, n, &e, read_back(digits, n, *exp10) < x ? 1 : -1) &&
			read_back(cand, n, e) == x)
		{
			memcpy(digits, cand, n + 1);
			*exp10 = e;
			break;
		}
	}
	/* drop trailing zeros ("1e+01" at p = 1 has none; a carry may add them) */
	while (n > 1 && digits[n - 1] == '0')
		digits[--n] = '\0';
	return n;
}

size_t
de_format_pyfloat(double x, char *buf)
{
	char		digits[24];
	int			n;
	int			exp10;
	int			decpt;
	size_t		len = 0;

	if (isnan(x))
	{
		strcpy(buf, "nan");
		return 3;
	}
	if (signbit(x))
		buf[len++] = '-';
	if (isinf(x))
	{
		strcpy(buf + len, "inf");
		return len + 3;
	}
	if (x == 0)
	{
		strcpy(buf + len, "0.0");
		return len + 3;
	}
	n = shortest_digits(fabs(x), digits, &exp10);
	decpt = exp10 + 1;			/* x = 0.digits * 10**decpt */

	if (decpt <= -4 || decpt > 16)
	{
		buf[len++] = digits[0];
		if (n > 1)
		{
			buf[len++] = '.';
			memcpy(buf + len, digits + 1, n - 1);
			len += n - 1;
		}
		len += snprintf(buf + len, DE_PYFLOAT_BUFSIZE - len, "e%c%02d",
						exp10 < 0 ? '-' : '+', abs(exp10));
		return len;
	}
	if (decpt <= 0)
	{
		buf[len++] = '0';
		buf[len++] = '.';
		for (int i = 0; i < -decpt; i++)
			buf[len++] = '0';
		memcpy(buf + len, digits, n);
		len += n;
	}
	else if (decpt < n)
	{
		memcpy(buf + len, digits, decpt);
		len += decpt;
		buf[len++] = '.';
		memcpy(buf + len, digits + decpt, n - decpt);
		len += n - decpt;
	}
	else
	{
		memcpy(buf + len, digits, n);
		len += n;
		for (int i = n; i < decpt; i++)
			buf[len++] = '0';
		buf[len++] = '.';
		buf[len++] = '0';
	}
	buf[len] = '\0';
	return len;
}
