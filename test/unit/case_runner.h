/*
 * case_runner.h
 *	  Turns the unit tests' case tables into one cmocka group: each table row
 *	  becomes a test named "<group>: <case>", run with the row as its state.
 */
#ifndef DATAEXPORT_CASE_RUNNER_H
#define DATAEXPORT_CASE_RUNNER_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static inline void
add_case(struct CMUnitTest *tests, size_t *n, char **names,
		 const char *group, const char *name,
		 CMUnitTestFunction fn, const void *state)
{
	size_t		len = strlen(group) + strlen(name) + 3;

	names[*n] = malloc(len);
	if (names[*n] == NULL)
		abort();
	snprintf(names[*n], len, "%s: %s", group, name);
	tests[*n].name = names[*n];
	tests[*n].test_func = fn;
	tests[*n].setup_func = NULL;
	tests[*n].teardown_func = NULL;
	tests[*n].initial_state = (void *) state;
	(*n)++;
}

/* Runs the n collected cases, frees them and the arrays; the exit status. */
static inline int
run_cases(const char *group, struct CMUnitTest *tests, char **names, size_t n)
{
	int			failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);

	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed == 0 ? 0 : 1;
}

#endif
