/*
 * test_corpus_fields.c
 *	  Replays fuzz/corpus/fields and fuzz/crashers/fields through the libFuzzer
 *	  harness fuzz/fuzz_fields.c, so every seed and every input a fuzzer ever
 *	  found stays a regression case of the unit suite (the harness aborts on
 *	  any broken invariant; run under ASan it also catches leaks).
 */
#include "corpus_replay.h"

#define LLVMFuzzerTestOneInput harness_fields
#include "../../fuzz/fuzz_fields.c"
#undef LLVMFuzzerTestOneInput

static void
replay_corpus(void **state)
{
	(void) state;
	assert_true(replay_directory("fuzz/corpus/fields", harness_fields) > 0);
}

static void
replay_crashers(void **state)
{
	(void) state;
	(void) replay_directory("fuzz/crashers/fields", harness_fields);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_corpus),
		cmocka_unit_test(replay_crashers),
	};

	return cmocka_run_group_tests_name("corpus_fields", tests, NULL, NULL);
}
