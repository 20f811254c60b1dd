/*
 * spi_owner.h
 *	  The switch to the extension owner for access to the bookkeeping tables
 *	  (schema "dataexport"; the export table is exports.c's), and the SPI
 *	  helpers every server module uses.
 */
#ifndef DATAEXPORT_SPI_OWNER_H
#define DATAEXPORT_SPI_OWNER_H

#include "executor/spi.h"
#include "utils/jsonb.h"

/* The identity switched to around a bookkeeping access, and back. */
typedef struct DeUserSwitch
{
	Oid			saved_userid;
	int			saved_sec_context;
	int			guc_nest_level;
} DeUserSwitch;

extern Oid	de_extension_owner(void);
extern void de_become_owner(DeUserSwitch *sw);
extern void de_restore_user(DeUserSwitch *sw);

/* SPI_execute_with_args with text-only parameters; NULL params are SQL NULL.
 * Raises on any SPI failure.  Returns SPI_processed. */
/* An int8 as the text of an SPI parameter (palloc'd). */
extern char *de_int8_text(int64 v);

extern uint64 de_spi_exec(const char *sql, int nparams, const char *const *params,
						  bool read_only);

/*
 * The same for the extension's own bookkeeping SQL, run as the extension
 * owner (between de_become_owner and de_restore_user): the statement's plan
 * is prepared once per process and kept (the plan cache revalidates it).
 * Never for SQL that runs as the caller.
 */
extern uint64 de_spi_exec_kept(const char *sql, int nparams, const char *const *params,
							   bool read_only);
extern uint64 de_spi_exec_kept_args(const char *sql, int nargs, const Oid *types,
									Datum *values, const char *nulls, bool read_only);
/* How many statements are kept (for tests). */
extern int	de_kept_plan_count(void);

/* Column value of row 0 of SPI_tuptable as text (palloc'd) or NULL. */
extern char *de_spi_text(int row, int col);
extern int64 de_spi_int8(int row, int col, bool *isnull);
extern Jsonb *de_spi_jsonb(int row, int col);

/* The forwarded settings of the current session as a JSON object text. */
extern char *de_current_owner_settings(void);

extern Jsonb *de_jsonb_from_cstring(const char *text);
extern char *de_jsonb_to_cstring(Jsonb *jb);
/* jsonb with one key added or replaced. */
extern Jsonb *de_jsonb_set_key(Jsonb *jb, const char *key, Jsonb *value);

#endif
