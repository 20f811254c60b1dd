/*
 * json.c
 *	  (being written)
 */
#include "json.h"
