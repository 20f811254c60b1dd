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

#include "spi_owner.h"
#include "exports.h"
#include "settings.h"
#include "queue.h"

/* The first key of the advisory lock (two-int4 form): "DEXQ". */
#define DE_QUEUE_LOCK_KEY 0x44455851

void
de_check_queue_cap(void)
{
	int64		n;

	if (de_max_queued_per_role <= 0)
		return;

	n = de_exports_count_unfinished(DE_QUEUE_LOCK_KEY, GetUserId(),
									de_current_owner_settings(),
									de_max_queued_per_role);

	if (n >= de_max_queued_per_role)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many unfinished data exports"),
				 errdetail("You have %d queued or running data exports, the limit set by dataexport.max_queued_per_role.",
						   de_max_queued_per_role),
				 errhint("Wait for some of them to finish, or cancel some, and try again.")));
}
