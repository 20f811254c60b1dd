/*
 * pure_mem_libc.c
 *	  de_alloc() and friends for the unit tests and fuzzers: plain libc, so
 *	  that ASan/LSan and valgrind see every allocation.
 */
#include "pure.h"

#include <stdio.h>
#include <stdlib.h>

void *
de_alloc(size_t size)
{
	void	   *p = calloc(1, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void *
de_realloc(void *ptr, size_t size)
{
	void	   *p = realloc(ptr, size ? size : 1);

	if (p == NULL)
		abort();
	return p;
}

void
de_free(void *ptr)
{
	free(ptr);
}

void
de_check_interrupts(void)
{
}
