/*
 * pure_mem_pg.c
 *	  de_alloc() and friends inside the server: palloc in the current memory
 *	  context, so whatever the pure modules leave behind goes with it.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "pure.h"

void *
de_alloc(size_t size)
{
	return palloc0(size ? size : 1);
}

void *
de_realloc(void *ptr, size_t size)
{
	if (ptr == NULL)
		return palloc0(size ? size : 1);
	return repalloc(ptr, size ? size : 1);
}

void
de_check_interrupts(void)
{
	CHECK_FOR_INTERRUPTS();
}

void
de_free(void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}
