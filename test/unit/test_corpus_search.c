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

int
main(void)
{
	return corpus_replay_main("search", harness_search);
}
