/*
 * search.c
 *	  (being written)
 */
#include "search.h"
