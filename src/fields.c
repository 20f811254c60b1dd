/*
 * fields.c
 *	  (being written)
 */
#include "fields.h"
