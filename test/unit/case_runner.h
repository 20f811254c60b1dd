/*
 * case_runner.h
 *	  Turns the unit tests' case tables into one cmocka group: each table row
 *	  becomes a test named "<group>: <case>", run with the row as its state.
 *
 * A test's main() is a list of tables and single tests, in the order the TAP
 * output shows them:
 *
 *		CaseList	list;
 *
 *		case_list_init(&list);
 *		CASE_TABLE(&list, "iso8601", iso_cases, test_iso);
 *		CASE_FIXED(&list, "dates", fixed);
 *		return case_list_run(&list, "dates");
 *
 * A NULL group names a test by its case alone; list.sep (": " by default)
 * stands between group and case.
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

/* A test that needs no table row: its name and function. */
typedef struct FixedTest
{
	const char *name;
	CMUnitTestFunction fn;
} FixedTest;

/* The tests collected so far; each name is owned by the list. */
typedef struct CaseList
{
	struct CMUnitTest *tests;
	char	  **names;
	size_t		n;
	size_t		cap;
	const char *sep;			/* between group and case name */
} CaseList;

static inline void
case_list_init(CaseList *list)
{
	memset(list, 0, sizeof(*list));
	list->sep = ": ";
}

/* Appends the test "<group><sep><name>" (or "<name>"), run as fn(state). */
static inline void
case_list_add(CaseList *list, const char *group, const char *name,
			  CMUnitTestFunction fn, const void *state)
{
	const char *sep = group ? list->sep : "";
	size_t		len;
	char	   *full;

	if (group == NULL)
		group = "";
	if (list->n == list->cap)
	{
		list->cap = list->cap ? 2 * list->cap : 64;
		list->tests = realloc(list->tests, list->cap * sizeof(*list->tests));
		list->names = realloc(list->names, list->cap * sizeof(*list->names));
		if (list->tests == NULL || list->names == NULL)
			abort();
	}
	len = strlen(group) + strlen(sep) + strlen(name) + 1;
	full = malloc(len);
	if (full == NULL)
		abort();
	snprintf(full, len, "%s%s%s", group, sep, name);
	list->names[list->n] = full;
	list->tests[list->n] = (struct CMUnitTest)
	{
		full, fn, NULL, NULL, (void *) state
	};
	list->n++;
}

/* One test per row of the array table, named by the row's field `key`. */
#define CASE_TABLE_BY(list, group, table, key, fn) \
	do { \
		for (size_t case_i_ = 0; case_i_ < NELEMS(table); case_i_++) \
			case_list_add((list), (group), (table)[case_i_].key, (fn), \
						  &(table)[case_i_]); \
	} while (0)

/* One test per row of the array table, named by the row's .name. */
#define CASE_TABLE(list, group, table, fn) \
	CASE_TABLE_BY(list, group, table, name, fn)

/* One stateless test per row of a FixedTest array. */
#define CASE_FIXED(list, group, fixed) \
	do { \
		for (size_t case_i_ = 0; case_i_ < NELEMS(fixed); case_i_++) \
			case_list_add((list), (group), (fixed)[case_i_].name, \
						  (fixed)[case_i_].fn, NULL); \
	} while (0)

/* A stateless test named after its function, as cmocka_unit_test() does. */
#define CASE_TEST(list, fn) case_list_add((list), NULL, #fn, (fn), NULL)

/* Runs the collected tests as one group and frees the list; exit status. */
static inline int
case_list_run(CaseList *list, const char *group)
{
	int			failed = _cmocka_run_group_tests(group, list->tests, list->n,
												 NULL, NULL);

	for (size_t i = 0; i < list->n; i++)
		free(list->names[i]);
	free(list->names);
	free(list->tests);
	memset(list, 0, sizeof(*list));
	return failed == 0 ? 0 : 1;
}

#endif
