/*
 * shmem.h
 *	  State shared by backends, the launcher and the workers: the worker slots
 *	  (one per running export, with its progress and cancel flag), the list of
 *	  databases that may have queued work, and the wakeup plumbing.
 */
#ifndef DATAEXPORT_SHMEM_H
#define DATAEXPORT_SHMEM_H

#include "port/atomics.h"
#include "storage/condition_variable.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "utils/timestamp.h"

#define DE_MAX_DATABASES 64

typedef enum DeSlotState
{
	DE_SLOT_FREE = 0,
	DE_SLOT_ASSIGNED,			/* claimed by a scanner, worker not started */
	DE_SLOT_LAUNCHED			/* worker registered by the launcher */
} DeSlotState;

typedef struct DeSlot
{
	DeSlotState state;
	Oid			dboid;
	Oid			roleoid;
	int64		export_id;
	int64		claim;			/* the export's claim token (launcher.c) */
	int			pid;			/* the worker's, once it runs */
	bool		cancel_requested;
	TimestampTz started;
	pg_atomic_uint64 rows;
	pg_atomic_uint64 bytes;
} DeSlot;

typedef struct DeDatabase
{
	Oid			dboid;			/* InvalidOid: entry unused */
	bool		dirty;			/* may have queued work: scan it */
	TimestampTz wake_at;		/* 0, or when delayed retries become due */
} DeDatabase;

typedef struct DeShared
{
	LWLock	   *lock;
	Latch	   *launcher_latch;
	ConditionVariable finished;	/* broadcast when an export ends */
	int			nslots;
	DeDatabase	databases[DE_MAX_DATABASES];
	DeSlot		slots[FLEXIBLE_ARRAY_MEMBER];
} DeShared;

extern DeShared *de_shared;

extern void de_shmem_install_hooks(void);
extern void de_require_preloaded(void);

/* Marks a database as possibly having queued work and wakes the launcher. */
extern void de_wake_launcher_for(Oid dboid);
extern void de_wake_launcher(void);

/* Slot of a running export in this database, or NULL (lock held by caller). */
extern DeSlot *de_find_slot(Oid dboid, int64 export_id);

#endif
