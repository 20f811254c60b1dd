/*
 * pyfloat.h
 *	  A double written as Python writes a float (repr / str, and so
 *	  csv.writer): what Sentry's Discover exports contain for averages,
 *	  percentiles and equations.
 */
#ifndef DATAEXPORT_PYFLOAT_H
#define DATAEXPORT_PYFLOAT_H

#include <stddef.h>

/* Enough for "-1.7976931348623157e+308" and "-0.00012345678901234567". */
#define DE_PYFLOAT_BUFSIZE 32

/*
 * Writes x into buf (DE_PYFLOAT_BUFSIZE bytes), NUL-terminated, and returns
 * the length:
 * - the shortest decimal digits that read back as the same double (among
 *   equally short ones, the nearest), Python's repr since 3.1;
 * - positional notation when the decimal exponent e is -4 <= e < 16, with
 *   ".0" added to a whole value ("500.0", "1e+16" is 10**16, "0.0001");
 * - otherwise d[.ddd]e[+-]XX with at least two exponent digits ("1e-05",
 *   "1.5e+300");
 * - "-0.0", "nan", "inf", "-inf".
 */
extern size_t de_format_pyfloat(double x, char *buf);

#endif
