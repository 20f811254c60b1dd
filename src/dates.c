/*
 * dates.c
 *	  (being written)
 */
#include "dates.h"
