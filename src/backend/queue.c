/*
 * queue.c
 *	  Admission to the export queue: the per-requester cap on unfinished
 *	  (queued or running) exports, dataexport.max_queued_per_role.
 *
 * The requester is the identity dedupe uses: the role plus its forwarded
 * settings (owner, owner_settings).  Concurrent creates by one requester
 * are serialized by a lock on a hash of that identity (the lock tag of
 * pg_advisory_xact_lock(int4, int4), key "DEXQ"), taken before counting and
 * released as soon as the export is inserted (de_queue_unlock), so that
 * they cannot all pass the check together.  The count includes exports that
 * other transactions have inserted but not yet committed (a dirty snapshot,
 * exports.c), which is why the lock need not be held until commit: the
 * creates of one requester wait for each other's count and insert, not for
 * each other's commit, and a prepared transaction that created an export
 * does not block that requester's next create.  The count errs on the side
 * of the cap: an export whose transaction later rolls back, or a running
 * export whose end has not committed yet, still counts.  This holds at every
 * isolation level.  Application users forwarded through one role hash
 * apart.  If the transaction fails between the two, its end releases the
 * lock.
 *
 * One case releases the lock before the insert: when an identical
 * unfinished export (same dedupe key) was counted, the insert may have to
 * wait for the transaction that inserted it, and that transaction may want
 * this lock for its next create: held, the two would deadlock.  Released,
 * the count stays right: the insert either finds that export (dedupe) or
 * replaces it in the count, because it has gone (rolled back or finished).
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "storage/lock.h"
#include "storage/proc.h"

#include "spi_owner.h"
#include "exports.h"
#include "settings.h"
#include "queue.h"

/* The first key of the advisory lock (two-int4 form): "DEXQ". */
#define DE_QUEUE_LOCK_KEY 0x44455851

/* The lock de_check_queue_cap took, in the transaction of held_lxid. */
static LOCKTAG held_tag;
static LocalTransactionId held_lxid = InvalidLocalTransactionId;

void
de_check_queue_cap(void)
{
	(void) de_check_queue_cap_for(NULL);
}

bool
de_check_queue_cap_for(const char *dedupe_key)
{
	char	   *settings;
	char	   *identity;
	LOCKTAG		tag;
	int64		n;
	bool		identical = false;

	/* a lock of an earlier call that failed was released by its
	 * (sub)transaction's abort */
	held_lxid = InvalidLocalTransactionId;
	if (de_max_queued_per_role <= 0)
		return false;

	settings = de_current_owner_settings();
	identity = psprintf("%d:%s", (int32) GetUserId(), settings);
	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, (uint32) DE_QUEUE_LOCK_KEY,
						 hash_bytes((const unsigned char *) identity, strlen(identity)), 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	held_tag = tag;
	held_lxid = MyProc->lxid;

	n = de_exports_count_unfinished(GetUserId(), settings, de_max_queued_per_role,
									dedupe_key, &identical);

	if (n >= de_max_queued_per_role)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("too many unfinished data exports"),
				 errdetail("You have %d queued or running data exports, the limit set by dataexport.max_queued_per_role.",
						   de_max_queued_per_role),
				 errhint("Wait for some of them to finish, or cancel some, and try again.")));
	return identical;
}

void
de_queue_unlock(void)
{
	if (held_lxid == InvalidLocalTransactionId)
		return;
	/* taken in an earlier transaction: its end released it */
	if (held_lxid == MyProc->lxid)
		(void) LockRelease(&held_tag, ExclusiveLock, false);
	held_lxid = InvalidLocalTransactionId;
}
