/*
 * corpus_replay.h
 *	  Feeds every file of a directory to a libFuzzer-style entry point.
 */
#ifndef DATAEXPORT_CORPUS_REPLAY_H
#define DATAEXPORT_CORPUS_REPLAY_H

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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

#endif
