/*
 * fuzz_search.c
 *	  libFuzzer harness of search_parse(): any bytes as a Discover "query".
 *
 * The tree that comes back is walked and held to search.h's shape rules,
 * because discover_sql.c trusts them when it builds SQL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "search.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_value(const SearchValue *v)
{
	if (v->text == NULL)
		abort();
	if (v->wildcard != (v->like != NULL))
		abort();
}

static void
check_term(const SearchNode *n)
{
	int			i;

	if (n->nvalues < 0 || (n->nvalues > 0 && n->values == NULL))
		abort();
	switch (n->op)
	{
		case SO_TEXT:
			if (n->key != NULL || n->nvalues != 1)
				abort();
			break;
		case SO_HAS:
			if (n->key == NULL || n->nvalues != 0)
				abort();
			break;
		case SO_IN:
			if (n->key == NULL || n->nvalues < 1)
				abort();
			break;
		default:
			if (n->key == NULL || n->nvalues != 1)
				abort();
			break;
	}
	for (i = 0; i < n->nvalues; i++)
	{
		check_value(&n->values[i]);
		/* Only comparisons classify their value. */
		if ((n->op == SO_EQ || n->op == SO_IN || n->op == SO_TEXT) &&
			n->values[i].kind != SV_STRING)
			abort();
	}
}

static void
check_tree(const SearchNode *n)
{
	if (n == NULL)
		abort();
	if (n->kind == SN_TERM)
	{
		check_term(n);
		return;
	}
	if (n->kind != SN_AND && n->kind != SN_OR)
		abort();
	check_tree(n->left);
	check_tree(n->right);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *query = malloc(size + 1);
	SearchNode *tree = NULL;
	DeError		err;
	char	   *escaped;

	if (query == NULL)
		return 0;
	memcpy(query, data, size);
	query[size] = '\0';
	memset(&err, 0, sizeof(err));

	if (search_parse(query, &tree, &err))
	{
		if (tree != NULL)
			check_tree(tree);
	}
	else if (err.code != DE_ERR_INVALID || err.message[0] == '\0')
		abort();
	search_free(tree);

	escaped = search_like_escape(query);
	de_free(escaped);
	free(query);
	return 0;
}
