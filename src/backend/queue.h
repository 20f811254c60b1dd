/*
 * queue.h
 *	  Admission to the export queue: the per-requester cap on unfinished
 *	  exports (dataexport.max_queued_per_role).
 */
#ifndef DATAEXPORT_QUEUE_H
#define DATAEXPORT_QUEUE_H

/* Raises 53400 when the current requester (role plus forwarded identity)
 * already has dataexport.max_queued_per_role unfinished exports in this
 * database.  Called inside SPI, before the export is inserted; takes the
 * requester's queue lock, which de_queue_unlock releases once the export is
 * inserted (or the transaction's end does). */
extern void de_check_queue_cap(void);
extern void de_queue_unlock(void);

/* The same for an export of this dedupe key; returns true if an identical
 * unfinished export was counted, in which case the caller may release the
 * lock before it inserts (see queue.c). */
extern bool de_check_queue_cap_for(const char *dedupe_key);

#endif
