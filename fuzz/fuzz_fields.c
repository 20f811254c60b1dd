/*
 * fuzz_fields.c
 *	  libFuzzer harness of field_parse() and equation_parse(): the same bytes
 *	  as a Discover field and as an equation.
 *
 * A parsed field is walked and held to fields.h's shape rules, because
 * discover_sql.c trusts them when it builds SQL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_expr(const FieldExpr *e)
{
	int			i;

	if (e == NULL)
		abort();
	switch (e->kind)
	{
		case FE_BINOP:
			if (strchr("+-*/", e->op) == NULL || e->op == '\0')
				abort();
			check_expr(e->left);
			check_expr(e->right);
			break;
		case FE_FUNCTION:
			if (e->name == NULL || e->nargs < 0 ||
				(e->nargs > 0 && e->args == NULL))
				abort();
			for (i = 0; i < e->nargs; i++)
				check_expr(e->args[i]);
			break;
		case FE_COLUMN:
		case FE_TAG:
		case FE_NUMBER:
			if (e->name == NULL)
				abort();
			break;
		default:
			abort();
	}
}

static void
check_field(const Field *f)
{
	if (f->text == NULL || f->header == NULL)
		abort();
	check_expr(f->expr);
}

static void
parse_one(const char *text, bool equation)
{
	Field		f;
	DeError		err;
	bool		ok;

	memset(&f, 0, sizeof(f));
	memset(&err, 0, sizeof(err));
	ok = equation ? equation_parse(text, &f, &err) : field_parse(text, &f, &err);
	if (ok)
		check_field(&f);
	else if (err.code == DE_OK || err.message[0] == '\0')
		abort();
	field_clear(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text = malloc(size + 1);

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	parse_one(text, false);
	parse_one(text, true);
	free(text);
	return 0;
}
