/*
 * jsonb_dom.c
 *	  Jsonb -> DjValue, for the pure modules (json.h).
 *
 * Payloads, stored query_info/owner_settings and dataset registrations
 * reach the pure code through here: the DOM is read off the Jsonb with
 * JsonbIterator, so the server never turns jsonb into text to parse it
 * again.  Numbers keep the text numeric_out gives them, which is what the
 * jsonb text output (and so the pure code before) saw: {"limit": 1e2}
 * arrives as 100.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"
#include "utils/numeric.h"

#include "jsonb_dom.h"

static DjValue *
scalar_dom(const JsonbValue *v)
{
	DjValue    *dom;
	char	   *literal;

	switch (v->type)
	{
		case jbvNull:
			return dj_new_null();
		case jbvBool:
			return dj_new_bool(v->val.boolean);
		case jbvString:
			return dj_new_string_len(v->val.string.val, v->val.string.len);
		case jbvNumeric:
			literal = DatumGetCString(DirectFunctionCall1(numeric_out,
														  NumericGetDatum(v->val.numeric)));
			dom = dj_new_number_text(literal);
			pfree(literal);
			return dom;
		default:
			elog(ERROR, "unexpected jsonb value type %d", (int) v->type);
	}
	return NULL;				/* keep compiler quiet */
}

DjValue *
de_dom_from_jsonb(Jsonb *jb)
{
	JsonbIterator *it = JsonbIteratorInit(&jb->root);
	JsonbValue	v;
	JsonbIteratorToken tok;
	DjValue   **stack = NULL;
	int			depth = 0;
	int			cap = 0;
	char	   *key = NULL;
	DjValue    *root = NULL;
	bool		raw_scalar = false;

	while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE)
	{
		DjValue    *node;

		CHECK_FOR_INTERRUPTS();
		switch (tok)
		{
			case WJB_KEY:
				key = de_strndup(v.val.string.val, v.val.string.len);
				continue;
			case WJB_END_ARRAY:
			case WJB_END_OBJECT:
				if (!raw_scalar)
					depth--;
				continue;
			case WJB_BEGIN_ARRAY:
				if (v.val.array.rawScalar)
				{
					raw_scalar = true;
					continue;
				}
				node = dj_new_array();
				break;
			case WJB_BEGIN_OBJECT:
				node = dj_new_object();
				break;
			case WJB_ELEM:
			case WJB_VALUE:
				node = scalar_dom(&v);
				break;
			default:
				elog(ERROR, "unexpected jsonb iterator token %d", (int) tok);
		}

		/* hang the node on its container */
		if (raw_scalar || depth == 0)
			root = node;
		else if (stack[depth - 1]->type == DJ_OBJECT)
		{
			/* jsonb keys are unique: no lookup needed */
			dj_object_push(stack[depth - 1], key, node);
			key = NULL;
		}
		else
			dj_append(stack[depth - 1], node);

		if (tok == WJB_BEGIN_ARRAY || tok == WJB_BEGIN_OBJECT)
		{
			if (depth == cap)
			{
				cap = cap ? cap * 2 : 16;
				stack = stack ? repalloc(stack, cap * sizeof(DjValue *)) :
					palloc(cap * sizeof(DjValue *));
			}
			stack[depth++] = node;
		}
	}
	if (stack)
		pfree(stack);
	return root;
}

DjValue *
de_spi_dom(int row, int col)
{
	bool		isnull;
	Datum		d = SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc,
								  col, &isnull);
	Jsonb	   *jb;
	DjValue    *dom;

	if (isnull)
		return NULL;
	jb = DatumGetJsonbP(d);
	dom = de_dom_from_jsonb(jb);
	/* a detoasted copy goes at once; the tuple's own bytes stay with SPI */
	if ((Pointer) jb != DatumGetPointer(d))
		pfree(jb);
	return dom;
}
