/*
 * corpus_replay.h
 *	  Feeds every file of a directory to a libFuzzer-style entry point, and
 *	  the main() of the test_corpus_<target>.c tests: fuzz/corpus/<target>
 *	  (which must hold seeds) and fuzz/crashers/<target> (which may be empty)
 *	  through the harness fuzz/fuzz_<target>.c.
 */
#ifndef DATAEXPORT_CORPUS_REPLAY_H
#define DATAEXPORT_CORPUS_REPLAY_H

#include <dirent.h>

#include "case_runner.h"

typedef int (*HarnessFn) (const uint8_t *data, size_t size);

/* Number of files replayed; a missing directory replays none. */
static inline int
replay_directory(const char *dir, HarnessFn harness)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;
	int			n = 0;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
	{
		char		path[4096];
		FILE	   *f;
		uint8_t    *buf;
		long		len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		buf = malloc(len > 0 ? (size_t) len : 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t) len, f), (size_t) len);
		fclose(f);
		harness(buf, (size_t) len);
		free(buf);
		n++;
	}
	closedir(d);
	return n;
}

typedef struct ReplayDirs
{
	const char *corpus;
	const char *crashers;
	HarnessFn	harness;
} ReplayDirs;

static void
replay_corpus(void **state)
{
	const ReplayDirs *r = *state;

	assert_true(replay_directory(r->corpus, r->harness) > 0);
}

static void
replay_crashers(void **state)
{
	const ReplayDirs *r = *state;

	(void) replay_directory(r->crashers, r->harness);
}

/* The group "corpus_<target>": replay_corpus, then replay_crashers. */
static inline int
corpus_replay_main(const char *target, HarnessFn harness)
{
	char		corpus[256];
	char		crashers[256];
	char		group[64];
	ReplayDirs	r = {corpus, crashers, harness};
	CaseList	list;

	snprintf(corpus, sizeof(corpus), "fuzz/corpus/%s", target);
	snprintf(crashers, sizeof(crashers), "fuzz/crashers/%s", target);
	snprintf(group, sizeof(group), "corpus_%s", target);
	case_list_init(&list);
	case_list_add(&list, NULL, "replay_corpus", replay_corpus, &r);
	case_list_add(&list, NULL, "replay_crashers", replay_crashers, &r);
	return case_list_run(&list, group);
}

#endif
