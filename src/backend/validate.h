/*
 * validate.h
 *	  Create-time checks of a normalized request (validate.c).
 */
#ifndef DATAEXPORT_VALIDATE_H
#define DATAEXPORT_VALIDATE_H

#include "payload.h"

/* The worker connects as the caller, which a role without LOGIN cannot. */
extern void de_require_login_role(void);

/* The checks of the request's export type (SPEC §2, §4.4), as the caller;
 * called inside SPI.  A Discover request's project list becomes the
 * projects the caller sees. */
extern void de_validate_request(ExportRequest *req);

/* Sorts ids and drops duplicates; returns the new count. */
extern int	de_sort_distinct(int64 *ids, int n);

/* Every id of need (any order, duplicates allowed) is in have (sorted,
 * distinct). */
extern bool de_ids_all_in(const int64 *need, int nneed, const int64 *have, int nhave);

#endif
