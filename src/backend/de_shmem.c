/*
 * de_shmem.c
 *	  Allocation of, and small operations on, the shared state (de_shmem.h).
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "settings.h"
#include "de_shmem.h"

DeShared   *de_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static bool de_preloaded = false;

static Size
de_shmem_size(void)
{
	return add_size(offsetof(DeShared, slots),
					mul_size(sizeof(DeSlot), de_max_workers));
}

static void
de_shmem_init(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	de_shared = ShmemInitStruct("dataexport", de_shmem_size(), &found);
	if (!found)
	{
		memset(de_shared, 0, de_shmem_size());
		de_shared->lock = &(GetNamedLWLockTranche("dataexport"))->lock;
		ConditionVariableInit(&de_shared->finished);
		de_shared->nslots = de_max_workers;
		for (int i = 0; i < de_max_workers; i++)
		{
			pg_atomic_init_u64(&de_shared->slots[i].rows, 0);
			pg_atomic_init_u64(&de_shared->slots[i].bytes, 0);
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

static void
de_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(de_shmem_size());
	RequestNamedLWLockTranche("dataexport", 1);
}

/* From _PG_init, in the postmaster only. */
void
de_shmem_install_hooks(void)
{
	de_preloaded = true;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = de_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = de_shmem_init;
}

static bool
de_is_preloaded(void)
{
	return de_preloaded && de_shared != NULL;
}

void
de_require_preloaded(void)
{
	if (!de_is_preloaded())
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("dataexport must be loaded via shared_preload_libraries"),
				 errhint("Add dataexport to shared_preload_libraries in postgresql.conf and restart the server.")));
}

void
de_wake_launcher(void)
{
	Latch	   *latch;

	LWLockAcquire(de_shared->lock, LW_SHARED);
	latch = de_shared->launcher_latch;
	LWLockRelease(de_shared->lock);
	if (latch)
		SetLatch(latch);
}

/* Adds the database to the ring of dirtied databases (or, when the ring is
 * full, asks for a rescan of all of them) and wakes the launcher. */
void
de_wake_launcher_for(Oid dboid)
{
	bool		known = false;

	LWLockAcquire(de_shared->lock, LW_EXCLUSIVE);
	for (int i = 0; i < de_shared->ndirty && !known; i++)
		known = de_shared->dirty[i] == dboid;
	if (!known && de_shared->ndirty < DE_DIRTY_RING)
		de_shared->dirty[de_shared->ndirty++] = dboid;
	else if (!known)
		de_shared->dirty_overflow = true;
	LWLockRelease(de_shared->lock);
	de_wake_launcher();
}

DeSlot *
de_find_slot(Oid dboid, int64 export_id)
{
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_FREE && slot->dboid == dboid &&
			slot->export_id == export_id)
			return slot;
	}
	return NULL;
}

DeSlot *
de_find_claimed_slot(Oid dboid, int64 export_id, int64 claim)
{
	for (int i = 0; i < de_shared->nslots; i++)
	{
		DeSlot	   *slot = &de_shared->slots[i];

		if (slot->state != DE_SLOT_FREE && slot->dboid == dboid &&
			slot->export_id == export_id && slot->claim == claim)
			return slot;
	}
	return NULL;
}
