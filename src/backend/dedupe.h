/*
 * dedupe.h
 *	  The identity of an export: its stored columns and dedupe key (dedupe.c).
 */
#ifndef DATAEXPORT_DEDUPE_H
#define DATAEXPORT_DEDUPE_H

#include "exports.h"
#include "payload.h"

/* Fills out (palloc'd texts) for the current user and session settings. */
extern void de_export_identity(const ExportRequest *req, DeNewExport *out);

#endif
