/*
 * payload.c
 *	  (being written)
 */
#include "payload.h"
