/*
 * settings.c
 *	  Defines the dataexport.* settings.  Limits and privileges that protect
 *	  the server are superuser-only (PGC_SUSET), so an ordinary role cannot
 *	  raise its own limits or grant itself raw SQL exports.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "settings.h"

bool		de_enabled = true;
int			de_max_workers = 2;
int			de_max_rows = 10000000;	/* Sentry's EXPORTED_ROWS_LIMIT */
int			de_max_file_size_kb = 1024 * 1024;	/* 1 GiB, Sentry's cap */
int			de_expiration_s = 28 * 24 * 3600;	/* Sentry's DEFAULT_EXPIRATION */
int			de_statement_timeout_ms = 3600 * 1000;
int			de_naptime_s = 60;
int			de_retry_delay_ms = 30000;	/* Sentry: 30 * 2^k s */
int			de_max_queued_per_role = 100;
char	   *de_sql_role = NULL;
char	   *de_forward_settings = NULL;
char	   *de_user_id_setting = NULL;
int			de_parquet_row_group_size_kb = 64 * 1024;

void
de_define_settings(void)
{
	DefineCustomBoolVariable("dataexport.enabled",
							 "Allows creating data exports.",
							 "Off makes dataexport_create fail (Sentry's discover-query flag).",
							 &de_enabled, true, PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.max_workers",
							"Maximum number of exports running at once.",
							NULL,
							&de_max_workers, 2, 1, 64, PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.max_rows",
							"Maximum number of rows in one export.",
							"Larger exports are truncated and report it.",
							&de_max_rows, 10000000, 1, INT_MAX, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.max_file_size",
							"Maximum size of one export's data before compression.",
							"Larger exports are truncated at a row boundary and report it.",
							&de_max_file_size_kb, 1024 * 1024, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.expiration",
							"How long a finished export's file is kept.",
							"dataexport_cleanup() removes files older than this.",
							&de_expiration_s, 28 * 24 * 3600, 1, INT_MAX,
							PGC_SUSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.statement_timeout",
							"Time limit of one export's query; 0 means none.",
							NULL,
							&de_statement_timeout_ms, 3600 * 1000, 0, INT_MAX,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.naptime",
							"How often the launcher looks for work it was not told about.",
							NULL,
							&de_naptime_s, 60, 1, 3600, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.retry_delay",
							"Delay before the first retry of an export that failed transiently.",
							"Retry k waits retry_delay * 2^k (Sentry: 30 s); three retries at most.",
							&de_retry_delay_ms, 30000, 0, INT_MAX, PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.max_queued_per_role",
							"Maximum number of unfinished exports of one requester in a database.",
							"Beyond it dataexport_create fails; 0 means no limit.",
							&de_max_queued_per_role, 100, 0, INT_MAX, PGC_SUSET, 0,
							NULL, NULL, NULL);
	DefineCustomStringVariable("dataexport.sql_role",
							   "Role whose members may create raw SQL exports.",
							   "Empty: superusers only.",
							   &de_sql_role, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dataexport.forward_settings",
							   "Comma-separated session settings captured at create time and set again in the worker.",
							   "They are part of the owner's identity for details, cancel and dedupe.",
							   &de_forward_settings, "", PGC_SUSET, GUC_LIST_INPUT,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("dataexport.user_id_setting",
							   "Forwarded setting reported as the export's user.id.",
							   "Empty: the role's OID.",
							   &de_user_id_setting, "", PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("dataexport.parquet_row_group_size",
							"Size at which a Parquet export's row group is written out.",
							"Encoded values and levels before compression; the worker holds at most about this much for Parquet.",
							&de_parquet_row_group_size_kb, 64 * 1024, 1, 256 * 1024,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	MarkGUCPrefixReserved("dataexport");
}
