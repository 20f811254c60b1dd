/*
 * sqlcheck.h
 *	  The settings under which the extension parses SQL, the statement check
 *	  of SQL exports (shared by create and the worker) and the SQL-role gate.
 */
#ifndef DATAEXPORT_SQLCHECK_H
#define DATAEXPORT_SQLCHECK_H

/* Opens a GUC nest level with the parser settings pinned
 * (standard_conforming_strings = on, backslash_quote = safe_encoding) and,
 * with pin_search_path, search_path = 'pg_catalog, pg_temp'.  The user's
 * identity is not touched.  Returns the level for de_settings_pop; an error
 * in between is cleaned up by the transaction's abort. */
extern int	de_settings_push(bool pin_search_path);
extern void de_settings_pop(int nest_level);

/* de_spi_exec as the caller (read-only) with search_path pinned: for SQL
 * text the extension builds and runs for its own checks. */
extern uint64 de_spi_exec_pinned(const char *sql, int nparams,
								 const char *const *params);

/* Raises 22023 unless sql is exactly one read-only query, parsed with the
 * pinned parser settings; with prepare, also plans it as the caller (names,
 * types, privileges).  Create and the worker both call this. */
extern void de_check_sql_export(const char *sql, bool prepare);

/* Raises 42501 unless the current user is a superuser or a member of
 * dataexport.sql_role; at_run words the message for the worker. */
extern void de_require_sql_role(bool at_run);

#endif
