/*
 * jsonb_dom.c
 *	  Jsonb <-> DjValue, for the pure modules (dom.h).
 *
 * Payloads, stored query_info/owner_settings and dataset registrations
 * reach the pure code through here: the DOM is read off the Jsonb with
 * JsonbIterator, so the server never turns jsonb into text to parse it
 * again.  Numbers keep the text numeric_out gives them, which is what the
 * jsonb text output (and so the pure code before) saw: {"limit": 1e2}
 * arrives as 100.
 */
#include "postgres.h"

#include "catalog/pg_type_d.h"
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

/* Pushes v (a container or, as tok, a scalar); returns pushJsonbValue's
 * result, which is the finished value once the outermost container ends. */
static JsonbValue *
push_dom(JsonbParseState **state, const DjValue *v, JsonbIteratorToken tok)
{
	JsonbValue	jv;

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	switch (v->type)
	{
		case DJ_ARRAY:
			pushJsonbValue(state, WJB_BEGIN_ARRAY, NULL);
			for (size_t i = 0; i < v->count; i++)
				push_dom(state, v->items[i], WJB_ELEM);
			return pushJsonbValue(state, WJB_END_ARRAY, NULL);
		case DJ_OBJECT:
			pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
			for (size_t i = 0; i < v->count; i++)
			{
				jv.type = jbvString;
				jv.val.string.val = v->keys[i];
				jv.val.string.len = strlen(v->keys[i]);
				pushJsonbValue(state, WJB_KEY, &jv);
				push_dom(state, v->items[i], WJB_VALUE);
			}
			/* sorts the keys and keeps the last of duplicates, as jsonb_in */
			return pushJsonbValue(state, WJB_END_OBJECT, NULL);
		case DJ_NULL:
			jv.type = jbvNull;
			break;
		case DJ_BOOL:
			jv.type = jbvBool;
			jv.val.boolean = v->boolean;
			break;
		case DJ_NUMBER:
			jv.type = jbvNumeric;
			jv.val.numeric = DatumGetNumeric(DirectFunctionCall3(numeric_in,
																 CStringGetDatum(v->str),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
			break;
		case DJ_STRING:
			jv.type = jbvString;
			jv.val.string.val = v->str;
			jv.val.string.len = strlen(v->str);
			break;
	}
	return pushJsonbValue(state, tok, &jv);
}

Jsonb *
de_jsonb_from_dom(const DjValue *v)
{
	JsonbParseState *state = NULL;
	DjValue		null_value = {.type = DJ_NULL};
	JsonbValue *result;

	if (v == NULL)
		v = &null_value;
	if (v->type == DJ_ARRAY || v->type == DJ_OBJECT)
		result = push_dom(&state, v, WJB_DONE);
	else
	{
		/* a scalar is a one-element "raw scalar" array, as in jsonb_in */
		JsonbValue	raw;

		raw.type = jbvArray;
		raw.val.array.rawScalar = true;
		raw.val.array.nElems = 1;
		pushJsonbValue(&state, WJB_BEGIN_ARRAY, &raw);
		push_dom(&state, v, WJB_ELEM);
		result = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	}
	return JsonbValueToJsonb(result);
}
