/*
 * fuzz_payload.c
 *	  libFuzzer harness of payload_normalize(): any bytes as a
 *	  dataexport_create() payload, made into the DOM by PostgreSQL's JSON
 *	  parser as the tests do (test/unit/dom_from_jsonapi.c), which gives
 *	  the DOM the server builds from jsonb.
 *
 * Besides crashes, leaks and undefined behaviour, it checks what the
 * contract promises: a failure carries a message, the payload's DOM is in
 * canonical form (it serializes to text that parses back to the same
 * text), and a success yields a query.info that serializes to JSON which
 * parses back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dom_from_jsonapi.h"
#include "dom.h"
#include "payload.h"

/* A fixed "now" (2026-11-28T01:02:03Z) keeps every run reproducible. */
#define FUZZ_NOW (INT64_C(1795827723) * DE_USECS_PER_SEC)

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_serializes(const DjValue *v)
{
	char	   *text;
	DjValue    *back;
	DeError		err;

	if (v == NULL)
		return;
	memset(&err, 0, sizeof(err));
	text = dj_serialize(v);
	back = dj_from_json(text, strlen(text), &err);
	if (back == NULL)
		abort();
	dj_free(back);
	de_free(text);
}

/* The DOM of a jsonb is a fixed point: serialized and parsed again it is
 * the same (sorted keys, numbers as numeric_out writes them). */
static void
check_canonical(const DjValue *v)
{
	char	   *text = dj_serialize(v);
	DeError		err;
	DjValue    *back;
	char	   *again;

	memset(&err, 0, sizeof(err));
	back = dj_from_json(text, strlen(text), &err);
	if (back == NULL)
		abort();
	again = dj_serialize(back);
	if (strcmp(text, again) != 0)
		abort();
	de_free(again);
	dj_free(back);
	de_free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t resolved[] = {1, INT64_MAX};
	ExportRequest req;
	DeError		err;
	DjValue    *root;

	memset(&req, 0, sizeof(req));
	memset(&err, 0, sizeof(err));

	/* data is exactly size bytes, unterminated: over-reads are caught. */
	root = dj_from_json((const char *) data, size, &err);
	if (root == NULL)
	{
		if (err.code == DE_OK || err.message[0] == '\0')
			abort();
		return 0;
	}
	check_canonical(root);

	if (payload_normalize(root, FUZZ_NOW, &req, &err))
	{
		if (req.info == NULL)
			abort();
		check_serializes(req.info);
		check_serializes(req.dedupe_info);
		if (req.type != EQT_SQL)
		{
			payload_set_projects(&req, resolved, 2);
			check_serializes(req.info);
		}
	}
	else if (err.code == DE_OK || err.message[0] == '\0')
		abort();

	export_request_clear(&req);
	dj_free(root);
	return 0;
}
