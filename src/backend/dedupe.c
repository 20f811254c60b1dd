/*
 * dedupe.c
 *	  The identity of an export: the columns dataexport_create stores for a
 *	  request (exports.c inserts them) and its dedupe key, the hex SHA-256 of
 *	  the same texts, by which an identical unfinished export of the same
 *	  owner is found instead of a second one being queued.  No SQL, no
 *	  shared memory, no lock.
 */
#include "postgres.h"

#include "common/cryptohash.h"
#include "common/sha2.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "spi_owner.h"
#include "exports.h"
#include "jsonb_dom.h"
#include "payload.h"
#include "dedupe.h"

static char *
canonical_json(DjValue *v)
{
	return de_jsonb_to_cstring(de_jsonb_from_dom(v));
}

static char *
environments_json(const ExportRequest *req)
{
	StrBuf		buf;

	if (req->nenvironments == 0)
		return NULL;
	sb_init(&buf);
	sb_append_char(&buf, '[');
	for (int i = 0; i < req->nenvironments; i++)
	{
		if (i)
			sb_append_char(&buf, ',');
		dj_append_quoted(&buf, req->environments[i], strlen(req->environments[i]));
	}
	sb_append_char(&buf, ']');
	return buf.data;
}

static const char *
format_name(DeFormat f)
{
	return f == DE_FORMAT_JSONL ? "jsonl" :
		f == DE_FORMAT_PARQUET ? "parquet" : "csv";
}

static const char *
compression_name(DeCompression c)
{
	switch (c)
	{
		case DE_COMPRESSION_GZIP:
			return "gzip";
		case DE_COMPRESSION_ZSTD:
			return "zstd";
		case DE_COMPRESSION_NONE:
			break;
	}
	return "none";
}

/* The same owner (role and forwarded settings) asking the same thing: the
 * hex SHA-256 of those (not MD5, which FIPS builds refuse). */
static char *
dedupe_key(const ExportRequest *req, const char *settings)
{
	StringInfoData buf;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char	   *hex = palloc(PG_SHA256_DIGEST_STRING_LENGTH);
	pg_cryptohash_ctx *ctx;
	char	   *envs = environments_json(req);

	initStringInfo(&buf);
	appendStringInfo(&buf, "%u\n%s\n%s\n%s\n%s\n%s\n%s\n%s\n%s",
					 GetUserId(), settings,
					 req->has_organization ? de_int8_text(req->organization) : "",
					 export_query_type_name(req->type),
					 canonical_json(req->dedupe_info),
					 envs ? envs : "",
					 req->has_limit ? de_int8_text(req->limit) : "",
					 format_name(req->format), compression_name(req->compression));
	ctx = pg_cryptohash_create(PG_SHA256);
	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (uint8 *) buf.data, buf.len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not compute dedupe key: %s", pg_cryptohash_error(ctx));
	pg_cryptohash_free(ctx);
	hex[hex_encode((const char *) digest, sizeof(digest), hex)] = '\0';
	return hex;
}

/* The export's identity: the columns an export is stored with, and the
 * dedupe key computed from the same texts. */
void
de_export_identity(const ExportRequest *req, DeNewExport *out)
{
	DeNewExport e;

	e.owner = GetUserId();
	e.owner_name = GetUserNameFromId(GetUserId(), false);
	e.owner_settings = de_jsonb_to_cstring(de_jsonb_from_cstring(de_current_owner_settings()));
	e.organization = req->has_organization ? de_int8_text(req->organization) : NULL;
	e.query_type = export_query_type_name(req->type);
	e.query_info = de_jsonb_from_dom(req->info);
	e.environments = environments_json(req);
	e.row_limit = req->has_limit ? de_int8_text(req->limit) : NULL;
	e.format = format_name(req->format);
	e.compression = compression_name(req->compression);
	e.dedupe_key = dedupe_key(req, e.owner_settings);
	*out = e;
}

