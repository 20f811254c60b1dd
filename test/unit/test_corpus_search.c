/*
 * test_corpus_search.c
 *	  Replays fuzz/corpus/search and fuzz/crashers/search through the libFuzzer
 *	  harness fuzz/fuzz_search.c, so every seed and every input a fuzzer ever
 *	  found stays a regression case of the unit suite (the harness aborts on
 *	  any broken invariant; run under ASan it also catches leaks).
 */
#include "corpus_replay.h"

#define LLVMFuzzerTestOneInput harness_search
#include "../../fuzz/fuzz_search.c"
#undef LLVMFuzzerTestOneInput

static void
replay_corpus(void **state)
{
	(void) state;
	assert_true(replay_directory("fuzz/corpus/search", harness_search) > 0);
}

static void
replay_crashers(void **state)
{
	(void) state;
	(void) replay_directory("fuzz/crashers/search", harness_search);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_corpus),
		cmocka_unit_test(replay_crashers),
	};

	return cmocka_run_group_tests_name("corpus_search", tests, NULL, NULL);
}
