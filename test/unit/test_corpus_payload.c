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

int
main(void)
{
	return corpus_replay_main("payload", harness_payload);
}
