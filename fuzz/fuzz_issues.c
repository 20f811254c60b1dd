/*
 * fuzz_issues.c
 *	  libFuzzer harness of issues_by_tag_build(): any bytes as the tag key
 *	  and environments of an Issues-by-Tag export, over datasets with and
 *	  without tags, user, environment and group columns.
 *
 * Input: byte 0 picks the dataset's columns, byte 1 the row limit, the rest
 * is the key and then the environments, separated by NUL bytes.
 *
 * It asserts the injection rule: no byte of the key or the environments
 * reaches the SQL text outside a $n parameter or a result of the quoting
 * function.  The quoting function wraps identifiers in \x01 ... \x02 and
 * accepts only the dataset's own column names; with those spans masked, the
 * SQL must be byte-identical to the SQL built for two fixed payloads of the
 * same shape ("a..." and "b...": same number of environments, key "user"
 * kept), so it holds nothing of the payload.  Each key and environment
 * must come back whole as its parameter, every parameter must be used,
 * and the builder must fail exactly when the dataset lacks the group or the
 * needed tags column.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "issues_sql.h"
#include "sql_marks.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ENVS 256

static const char *const column_names[] = {
	"project_id", "ts", "env", "group_id", "tags", "user"
};

static char quote_buf[64];

/* \x01name\x02, for our own column names only */
static const char *
quote_marked(const char *ident)
{
	bool		known = false;

	for (size_t i = 0; i < sizeof(column_names) / sizeof(column_names[0]); i++)
		known |= strcmp(ident, column_names[i]) == 0;
	if (!known)
		abort();
	snprintf(quote_buf, sizeof(quote_buf), "\x01%s\x02", ident);
	return quote_buf;
}

/* sql_skeleton: any span, quotes as ordinary characters. */
static char *
skeleton(const char *sql)
{
	return sql_skeleton(sql, NULL, NULL, 0);
}

/* The same shape as q, every payload byte replaced by c. */
static void
canonical(const IssuesQuery *q, char c, IssuesQuery *out, char **envs)
{
	static char key[2];
	static char env[2];

	*out = *q;
	key[0] = c;
	env[0] = c;
	out->key = strcmp(q->key, "user") == 0 ? "user" : key;
	for (int i = 0; i < q->nenvironments; i++)
		envs[i] = env;
	out->environments = envs;
}

static char *
built_skeleton(const IssuesQuery *q, BuiltQuery *bq)
{
	DeError		err;

	memset(&err, 0, sizeof(err));
	if (!issues_by_tag_build(q, quote_marked, bq, &err))
		abort();
	return skeleton(bq->sql);
}

static void
check_params(const IssuesQuery *q, const BuiltQuery *bq, bool is_user)
{
	int			n = 2;
	bool		envs = q->nenvironments > 0 && q->ds->environment != NULL;

	if (strcmp(bq->params[0], "42") != 0 || strcmp(bq->params[1], "-7") != 0)
		abort();
	if (!is_user && strcmp(bq->params[n++], q->key) != 0)
		abort();
	for (int i = 0; envs && i < q->nenvironments; i++)
		if (strcmp(bq->params[n++], q->environments[i]) != 0)
			abort();
	if (q->row_limit > 0)
		n++;
	if (bq->nparams != n)
		abort();
	if (bq->ncolumns != (is_user ? 8 : 4))
		abort();
	check_param_refs(bq, false);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t		flags = size > 0 ? data[0] : 0xff;
	uint8_t		limit = size > 1 ? data[1] : 0;
	size_t		len = size > 2 ? size - 2 : 0;
	char	   *text = malloc(len + 1);
	char	   *envs[MAX_ENVS];
	char	   *canon_envs[MAX_ENVS];
	Dataset		ds;
	IssuesQuery q;
	IssuesQuery cq;
	BuiltQuery	bq;
	BuiltQuery	cbq;
	DeError		err;
	bool		is_user;
	bool		ok;

	if (text == NULL)
		return 0;
	if (len > 0)
		memcpy(text, data + 2, len);
	text[len] = '\0';

	memset(&ds, 0, sizeof(ds));
	ds.name = "fuzz";
	ds.relation = "\x01" "app.events" "\x02";
	ds.project = "project_id";
	ds.timestamp = "ts";
	ds.tags = (flags & 1) ? "tags" : NULL;
	ds.user = (flags & 2) ? "user" : NULL;
	ds.environment = (flags & 4) ? "env" : NULL;
	ds.group = (flags & 8) ? "group_id" : NULL;

	memset(&q, 0, sizeof(q));
	q.ds = &ds;
	q.project = 42;
	q.group = -7;
	q.key = text;
	q.environments = envs;
	for (const char *p = text; p < text + len && q.nenvironments < MAX_ENVS;)
	{
		p += strlen(p) + 1;
		if (p <= text + len)
			envs[q.nenvironments++] = (char *) p;
	}
	q.row_limit = limit == 1 ? INT64_MAX : limit == 2 ? -1 : limit;

	is_user = strcmp(q.key, "user") == 0 && ds.user != NULL;
	memset(&err, 0, sizeof(err));
	ok = issues_by_tag_build(&q, quote_marked, &bq, &err);
	if (ok != (ds.group != NULL && (is_user || ds.tags != NULL)))
		abort();
	if (!ok)
	{
		if (err.code != DE_ERR_INVALID || err.message[0] == '\0' ||
			bq.sql != NULL || bq.params != NULL)
			abort();
		free(text);
		return 0;
	}
	check_params(&q, &bq, is_user);

	{
		char	   *sk = skeleton(bq.sql);

		for (char c = 'a'; c <= 'b'; c++)
		{
			char	   *csk;

			canonical(&q, c, &cq, canon_envs);
			csk = built_skeleton(&cq, &cbq);
			if (strcmp(sk, csk) != 0)
				abort();
			de_free(csk);
			built_query_clear(&cbq);
		}
		de_free(sk);
	}
	built_query_clear(&bq);
	free(text);
	return 0;
}
