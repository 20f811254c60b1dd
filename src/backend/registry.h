/*
 * registry.h
 *	  The application's schema as registered by the DBA: the projects
 *	  relation and the datasets.
 */
#ifndef DATAEXPORT_REGISTRY_H
#define DATAEXPORT_REGISTRY_H

#include "discover_sql.h"

typedef struct DeProjects
{
	Oid			relid;
	char	   *relation;		/* quoted, schema-qualified */
	char	   *id_column;
	char	   *organization_column;	/* NULL when not registered */
	char	   *slug_column;	/* NULL when not registered (or 0.1 schema) */
} DeProjects;

/* Raises 55000 with a hint when no projects relation is registered. */
extern void de_load_projects(DeProjects *out);

/* False when no dataset of that name is registered. */
extern bool de_load_dataset(const char *name, Dataset *out);

/* Project ids (of those requested, or all when n == 0) that the current
 * user can see, within organization when has_org; sorted, distinct. */
extern int64 *de_visible_projects(const DeProjects *pr, const int64 *ids, int n,
								  bool has_org, int64 org, int *nout);

extern const char *de_quote_ident(const char *ident);

/* Create-time checks that the dataset has such rows, run as the caller
 * (grants and row-level security decide) with search_path pinned. */
extern bool de_dataset_has_environments(const Dataset *ds, char **envs, int n);
extern bool de_dataset_has_issue(const Dataset *ds, int64 project, int64 group);
extern bool de_dataset_issue_has_key(const Dataset *ds, int64 project, int64 group,
									 const char *key);

#endif
