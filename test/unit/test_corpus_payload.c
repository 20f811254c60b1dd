/*
 * test_corpus_payload.c
 *	  Replays fuzz/corpus/payload and fuzz/crashers/payload through the libFuzzer
 *	  harness fuzz/fuzz_payload.c, so every seed and every input a fuzzer ever
 *	  found stays a regression case of the unit suite (the harness aborts on
 *	  any broken invariant; run under ASan it also catches leaks).
 */
#include "corpus_replay.h"

#define LLVMFuzzerTestOneInput harness_payload
#include "../../fuzz/fuzz_payload.c"
#undef LLVMFuzzerTestOneInput

static void
replay_corpus(void **state)
{
	(void) state;
	assert_true(replay_directory("fuzz/corpus/payload", harness_payload) > 0);
}

static void
replay_crashers(void **state)
{
	(void) state;
	(void) replay_directory("fuzz/crashers/payload", harness_payload);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_corpus),
		cmocka_unit_test(replay_crashers),
	};

	return cmocka_run_group_tests_name("corpus_payload", tests, NULL, NULL);
}
