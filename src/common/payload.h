/*
 * payload.h
 *	  Validation and normalization of a dataexport_create() payload, with
 *	  Sentry's user-facing messages.  Everything that needs the database
 *	  (projects, datasets, environments, Issues-by-Tag lookups) is left to the
 *	  caller; this module decides what the request says.
 */
#ifndef DATAEXPORT_PAYLOAD_H
#define DATAEXPORT_PAYLOAD_H

#include "pure.h"
#include "dates.h"
#include "encode.h"
#include "dom.h"
#include "fields.h"
#include "search.h"

#define DE_MAX_FIELDS 20
/* Caps on the lists a payload may hold, far above any real request, so that
 * a huge payload is refused at once (22023) instead of burning CPU. */
#define DE_MAX_PROJECTS 10000
#define DE_MAX_ENVIRONMENTS 1000
#define DE_MAX_SORT 100
#define DE_DEFAULT_RANGE_SECS (INT64_C(90) * 24 * 3600)

typedef enum ExportQueryType
{
	EQT_DISCOVER,
	EQT_ISSUES_BY_TAG,
	EQT_SQL
} ExportQueryType;

/* "Discover", "Issues-by-Tag", "SQL" */
extern const char *export_query_type_name(ExportQueryType type);

typedef struct ExportRequest
{
	ExportQueryType type;
	DjValue    *info;			/* normalized query_info (query.info) */
	DjValue    *dedupe_info;	/* as info, but the date range as requested
								 * (statsPeriod* kept, start/end absent when
								 * defaulted), so that a repeated relative
								 * request dedupes */
	bool		has_organization;
	int64_t		organization;
	char	  **environments;	/* top-level "environment", string or list */
	int			nenvironments;
	bool		has_limit;
	int64_t		limit;
	DeFormat	format;
	DeCompression compression;

	/* Discover and Issues-by-Tag */
	int64_t    *projects;		/* as requested; Discover may have none */
	int			nprojects;

	/* Discover */
	de_time		start;
	de_time		end;
	char	  **fields;			/* without equations */
	int			nfields;
	char	  **equations;		/* "equation|" stripped */
	int			nequations;
	char	   *query;			/* search string */
	char	  **sort;
	int			nsort;
	char	  **info_environments;	/* query_info.environment, string or list */
	int			ninfo_environments;
	char	   *dataset;		/* default "discover" */
	Field	   *items;			/* the fields, then the equations, parsed
								 * (nfields + nequations) */
	SearchNode *search;			/* the query parsed; NULL when empty */

	/* Issues-by-Tag */
	int64_t		group;
	char	   *key;

	/* SQL */
	char	   *sql;
} ExportRequest;

/*
 * Validates payload (the DOM of the request's jsonb; the caller keeps it) at
 * time now.  On success fills out and returns true; on failure returns false
 * with err set and out cleared.  Field and search syntax are checked here
 * (fields.h, search.h), and a Discover request keeps what was parsed
 * (items, search) for the query builder (DiscoverQuery), which then does
 * not parse the texts again.
 */
extern bool payload_normalize(const DjValue *payload, de_time now,
							  ExportRequest *out, DeError *err);

/* Replaces info's "project" with the resolved list. */
extern void payload_set_projects(ExportRequest *req, const int64_t *ids, int n);

extern void export_request_clear(ExportRequest *req);

#endif
