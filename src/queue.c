/*
 * queue.c
 *	  Admission to the export queue: the per-requester cap on unfinished
 *	  (queued or running) exports, dataexport.max_queued_per_role.
 *
 * The requester is the identity dedupe uses: the role plus its forwarded
 * settings (owner, owner_settings).  Concurrent creates by one requester
 * are serialized by a transaction-level advisory lock on a hash of that
 * identity, taken before counting, so that they cannot all pass the check
 * together; at READ COMMITTED each count then sees the exports committed by
 * the previous lock holder.  The lock is held until the creating transaction
 * ends, so a long transaction that created an export delays only the same
 * requester's other creates (application users forwarded through one role
 * hash apart).  In a REPEATABLE READ or SERIALIZABLE transaction the count
 * sees the transaction's snapshot, so concurrent creates there may overshoot
 * the cap by the number of concurrent transactions; we accept that.
 */
#include "postgres.h"

#include "miscadmin.h"

#include "catalog.h"
#include "guc.h"
#include "queue.h"

/* The first key of the advisory lock (two-int4 form): "DEXQ". */
#define DE_QUEUE_LOCK_KEY 0x44455851

void
de_check_queue_cap(void)
{
	DeUserSwitch sw;
	char		key[16];
	char		role[16];
	char		limit[16];
	const char *params[4];
	bool		isnull;
	int64		n;

	if (de_max_queued_per_role <= 0)
		return;

	snprintf(key, sizeof(key), "%d", DE_QUEUE_LOCK_KEY);
	snprintf(role, sizeof(role), "%d", (int32) GetUserId());
	snprintf(limit, sizeof(limit), "%d", de_max_queued_per_role);
	params[0] = key;
	params[1] = role;
	params[2] = de_current_owner_settings();
	params[3] = limit;

	de_become_owner(&sw);
	de_spi_exec("SELECT pg_catalog.pg_advisory_xact_lock($1::integer, "
				"pg_catalog.hashtext($2 || ':' || $3::jsonb::text))",
				3, params, false);
	de_spi_exec("SELECT count(*) FROM (SELECT 1 FROM dataexport.export "
				"WHERE owner = $2::integer::oid AND state IN ('queued', 'running') "
				"AND owner_settings = $3::jsonb LIMIT $4::integer) AS unfinished",
				4, params, false);
	n = de_spi_int8(0, 1, &isnull);
	de_restore_user(&sw);

	if (n >= de_max_queued_per_role)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many unfinished data exports"),
				 errdetail("You have %d queued or running data exports, the limit set by dataexport.max_queued_per_role.",
						   de_max_queued_per_role),
				 errhint("Wait for some of them to finish, or cancel some, and try again.")));
}
