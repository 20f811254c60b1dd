/*
 * exports.h
 *	  The export state machine: every read and write of dataexport.export
 *	  (exports.c).  Each function switches to the extension owner itself and
 *	  must be called inside SPI (SPI_connect) in a transaction.
 */
#ifndef DATAEXPORT_EXPORTS_H
#define DATAEXPORT_EXPORTS_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "dom.h"

/* ---- api.c: create ---- */

/* A new export: its columns as text (NULL: SQL NULL), query_info as jsonb. */
typedef struct DeNewExport
{
	Oid			owner;
	const char *owner_name;
	const char *owner_settings;	/* JSON object text (canonical jsonb) */
	const char *organization;	/* int8 text, or NULL */
	const char *query_type;
	Jsonb	   *query_info;		/* built from the normalized DOM */
	const char *environments;	/* JSON array text, or NULL */
	const char *row_limit;		/* int8 text, or NULL */
	const char *format;
	const char *compression;
	const char *dedupe_key;
} DeNewExport;

/* Inserts the export, or finds the identical unfinished one (same
 * dedupe_key); *created says which.  Raises 40001 if neither succeeds. */
extern int64 de_export_insert_or_find(const DeNewExport *e, bool *created);

/* Counts, up to limit, the unfinished exports of owner with these forwarded
 * settings (JSON object text), including those that transactions still in
 * progress have inserted (a dirty snapshot).  With dedupe_key, *identical
 * says whether one of those counted has that key. */
extern int64 de_exports_count_unfinished(Oid owner, const char *settings, int limit,
										 const char *dedupe_key, bool *identical);

/* ---- api.c: the doors ---- */

/* An export as the doors see it before the access rule is applied. */
typedef struct DeExportRow
{
	int64		id;
	char	   *state;
	DjValue    *query_info;		/* query_info, built from the jsonb (NULL: null) */
	bool		has_organization;
	int64		organization;
	Jsonb	   *record;			/* SPEC §5 record; NULL unless asked for */
} DeExportRow;

/*
 * The caller's exports (owner = GetUserId(), owner_settings = the session's
 * forwarded settings; with any_for_superuser and a superuser caller, any
 * export) among those "condition" selects, where $3 is cond_param; newest
 * first.  With with_records, each row also carries its record, read by the
 * same query.  Results are allocated in cxt.
 */
extern int	de_exports_load_for_caller(const char *condition, const char *cond_param,
									   bool any_for_superuser, bool with_records,
									   MemoryContext cxt, DeExportRow **out);

/* The export record (SPEC §5) of one export, or NULL if there is no such
 * export (ownership not checked).  Returned by SPI_datumTransfer: in the
 * memory context that was current when the caller called SPI_connect. */
extern Jsonb *de_export_record(int64 id);

/* Cancels a queued or running export (NOTIFYed at commit).  True if it was
 * cancelled now; *claim and *claimed: the claim of its worker, if it had
 * one. */
extern bool de_export_cancel(int64 id, int64 *claim, bool *claimed);

/* The export is queued or running. */
extern bool de_export_is_unfinished(int64 id);

/* The export was inserted by the current transaction. */
extern bool de_export_created_in_current_transaction(int64 id);

/* Expires succeeded exports past dateExpired or whose file is gone, and
 * unlinks the files still owned by their requesters.  Returns how many. */
extern int64 de_exports_cleanup(void);

/* ---- launcher.c: the scanner ---- */

typedef struct DeExportClaim
{
	int64		id;
	Oid			role;
	int64		claim;
} DeExportClaim;

/* Back to the queue (attempt refunded, not before retry_ms) the running
 * exports of these claims; claims of rows locked elsewhere are zeroed. */
extern void de_exports_return_unstarted(int64 *claims, int nclaims, int retry_ms);

/* Fails queued exports whose role can no longer run them here. */
extern void de_exports_fail_unrunnable(void);

/* Re-queues (or, after a lost worker or max_attempts, fails) running
 * exports whose claim is not among live_claims. */
extern void de_exports_requeue_orphans(const int64 *live_claims, int nlive,
									   int max_attempts, int retry_delay_ms);

/* Claims up to nfree due exports (round-robin across requesters) into
 * claims; returns how many. */
extern int	de_exports_claim(int nfree, DeExportClaim *claims);

/* When the earliest delayed queued export becomes due, or 0. */
extern TimestampTz de_exports_next_retry(void);

/* ---- worker.c ---- */

/* The stored request of a claimed export, as text where it is JSON. */
typedef struct DeExportJobRow
{
	char	   *query_type;
	DjValue    *query_info;		/* query_info, built from the jsonb (NULL: null) */
	char	  **environments;
	int			nenvironments;
	int64		row_limit;		/* 0: not given */
	char	   *format;
	char	   *compression;
	DjValue    *owner_settings; /* owner_settings, built from the jsonb */
	TimestampTz date_created;
	int			attempts;
} DeExportJobRow;

/* Reads export id if it is still running under claim as role owner, into
 * *job allocated in cxt; false otherwise. */
extern bool de_export_load_job(int64 id, Oid owner, int64 claim,
							   MemoryContext cxt, DeExportJobRow *job);

/* The outcome of a successful run. */
typedef struct DeExportSuccess
{
	Oid			file_oid;
	const char *file_name;
	const char *checksum;
	uint64		rows;
	uint64		bytes;
	bool		truncated;
	const char *truncated_reason;
	int			expiration_s;
} DeExportSuccess;

/* Records success (NOTIFYed at commit).  Raises 55000 if the file is no
 * longer the owner's, 57014 if the export is no longer running under claim. */
extern void de_export_record_success(int64 id, int64 claim, Oid owner,
									 const DeExportSuccess *s);

/* Back to the queue after a transient failure, not before delay_ms. */
extern void de_export_record_retry(int64 id, int64 claim, const char *error,
								   const char *detail, int64 delay_ms);

/* Final failure: state "failed" or "cancelled" (NOTIFYed at commit if the
 * export was still running under claim). */
extern void de_export_record_failure(int64 id, int64 claim, const char *state,
									 const char *error, const char *detail);

/* ---- stats.c ---- */

/* The rows of dataexport_stats(period) in SPI_tuptable (see exports.c);
 * own_ids, visible_ids: bigint[] texts, or NULL for every export. */
extern uint64 de_exports_stats(const char *period, const char *own_ids,
							   const char *visible_ids);

#endif
