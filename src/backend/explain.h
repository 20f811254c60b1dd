/*
 * explain.h
 *	  dataexport_explain's dry run of a validated request (explain.c).
 */
#ifndef DATAEXPORT_EXPLAIN_H
#define DATAEXPORT_EXPLAIN_H

#include "utils/jsonb.h"

#include "payload.h"

/* The dry run's result for req, which de_validate_request has checked
 * (inside SPI): the worker's query and parameters, its plan as the caller
 * (EXPLAIN without ANALYZE: nothing runs), the estimates, the file name and
 * whether the limits would truncate it.  Writes nothing. */
extern Jsonb *de_explain_request(const ExportRequest *req);

#endif
