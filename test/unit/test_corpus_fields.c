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

int
main(void)
{
	return corpus_replay_main("fields", harness_fields);
}
