/*
 * sqlcheck.c
 *	  How the extension parses SQL, and what a raw SQL export may be.
 *
 * Create validates an SQL export's text and the worker parses it again,
 * possibly under other settings (the role's defaults, forwarded settings).
 * standard_conforming_strings decides where a string literal ends, so a text
 * that validated as one statement could otherwise run as two.  Both sides
 * therefore parse under the same pinned parser settings, and both run the
 * same check (de_check_sql_export).
 *
 * SQL that the extension builds itself (Discover, Issues-by-Tag, the
 * create-time checks, the visible-projects check) runs as the caller, for
 * grants and row-level security, but with search_path pinned to
 * pg_catalog, pg_temp, so that a caller's schema cannot shadow an operator,
 * function, type or cast that the text relies on.
 */
#include "postgres.h"

#include "executor/spi.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/guc.h"

#include "spi_owner.h"
#include "settings.h"
#include "sqlcheck.h"

static void
pin(const char *name, const char *value)
{
	(void) set_config_option(name, value, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

int
de_settings_push(bool pin_search_path)
{
	int			level = NewGUCNestLevel();

	pin("standard_conforming_strings", "on");
	pin("backslash_quote", "safe_encoding");
	if (pin_search_path)
		pin("search_path", "pg_catalog, pg_temp");
	return level;
}

void
de_settings_pop(int nest_level)
{
	AtEOXact_GUC(true, nest_level);
}

uint64
de_spi_exec_pinned(const char *sql, int nparams, const char *const *params)
{
	int			level = de_settings_push(true);
	uint64		n = de_spi_exec(sql, nparams, params, true);

	de_settings_pop(level);
	return n;
}

static void
raise_sql_not_read_only(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("SQL exports must be one read-only query"),
			 errdetail_internal("%s", detail),
			 errhint("Use SELECT, WITH ... SELECT, VALUES or TABLE.")));
}

static void
check_select_is_read_only(SelectStmt *stmt)
{
	ListCell   *lc;

	if (stmt == NULL)
		return;
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (stmt->intoClause != NULL)
		raise_sql_not_read_only("SELECT ... INTO creates a table.");
	if (stmt->lockingClause != NIL)
		raise_sql_not_read_only("FOR UPDATE and FOR SHARE lock rows.");
	if (stmt->withClause != NULL)
		foreach(lc, stmt->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!IsA(cte->ctequery, SelectStmt))
				raise_sql_not_read_only("WITH contains a data-modifying statement.");
			check_select_is_read_only((SelectStmt *) cte->ctequery);
		}
	check_select_is_read_only(stmt->larg);
	check_select_is_read_only(stmt->rarg);
}

void
de_check_sql_export(const char *sql, bool prepare)
{
	int			level = de_settings_push(false);
	List	   *stmts;
	RawStmt    *raw;

	stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(stmts) != 1)
		raise_sql_not_read_only(list_length(stmts) == 0 ?
								"The statement is empty." :
								"The text contains more than one statement.");
	raw = linitial_node(RawStmt, stmts);
	if (!IsA(raw->stmt, SelectStmt))
		raise_sql_not_read_only("The statement is not a query.");
	check_select_is_read_only((SelectStmt *) raw->stmt);

	if (prepare)
	{
		/* names, types and privileges, as the caller */
		SPIPlanPtr	plan = SPI_prepare(sql, 0, NULL);

		if (plan == NULL)
			elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
		SPI_freeplan(plan);
	}
	de_settings_pop(level);
}

void
de_require_sql_role(bool at_run)
{
	Oid			gate;

	if (superuser())
		return;
	gate = (de_sql_role && de_sql_role[0]) ? get_role_oid(de_sql_role, true) : InvalidOid;
	if (OidIsValid(gate) && is_member_of_role(GetUserId(), gate))
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg(at_run ? "permission denied to run SQL exports" :
					"permission denied to create SQL exports"),
			 errdetail(at_run ?
					   "The requesting role is no longer a superuser or a member of the role named by dataexport.sql_role." :
					   "Only superusers and members of the role named by dataexport.sql_role may create SQL exports."),
			 errhint("A superuser can set dataexport.sql_role and grant that role.")));
}
