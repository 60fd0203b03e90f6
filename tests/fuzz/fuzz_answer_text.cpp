// Fuzz target: the generation-mode answer readers (palign's rule and the reference code's regex) on any text.
#include "fuzz_common.h"

#include "eval/answer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t * data, size_t size) {
    const std::string text((const char *) data, size);
    const palign::answer a = palign::read_answer_text(text);
    const palign::answer b = palign::read_answer_reference(text);
    if (a.value < 0 || a.value > 5 || b.value < 0 || b.value > 5) abort();
    if (a.rule != palign::answer_rule::paper_text || b.rule != palign::answer_rule::reference_text) abort();
    // only the first 12 bytes (palign) / 12 code points (reference) are read: longer tails change nothing
    if (size > 64) {
        const std::string cut = text.substr(0, 64);
        if (palign::read_answer_text(cut).value != a.value || palign::read_answer_reference(cut).value != b.value) abort();
    }
    return 0;
}
