/*
 * encode.c
 *	  (being written)
 */
#include "encode.h"
