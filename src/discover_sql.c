/*
 * discover_sql.c
 *	  (being written)
 */
#include "discover_sql.h"
