/*
 * stats.h
 *	  Operator statistics (dataexport_stats, stats.c) and the access rule
 *	  they share with the other doors (api.c).
 */
#ifndef DATAEXPORT_STATS_H
#define DATAEXPORT_STATS_H

/* api.c: the ids of the caller's own exports (as dataexport_list returns
 * them) and of those whose projects the caller still all sees, as bigint[]
 * texts (palloc'd).  Inside SPI. */
extern void de_caller_export_ids(char **own, char **visible);

#endif
